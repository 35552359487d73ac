//go:build linux

package origin

import (
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// blackholeAddr returns a loopback address whose connects time out: a socket listening with
// a backlog of 0 that never accepts, its one queue slot already taken, so Linux drops
// further SYNs.
func blackholeAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // the queue is full: connects now time out
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Fatal("could not fill the accept queue")
	return ""
}

func TestHTTPConnectTimeout(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			cfg := originConfig(t, blackholeAddr(t))
			cfg.ConnectionAttempts = 2
			start := time.Now()
			_, err := newTestHTTP(t, cfg).Fetch(context.Background(), &Request{Method: method, Path: "/"})
			elapsed := time.Since(start)
			var oe *Error
			if !errors.As(err, &oe) || oe.Kind != KindConnect || oe.Attempts != 2 {
				t.Fatalf("got %v, want *Error OriginConnectError after 2 attempts", err)
			}
			// Each attempt waits the whole connection timeout.
			want := 2 * testTimeout
			if elapsed < want-100*time.Millisecond || elapsed > want+3*time.Second { // generous: CI machines stall
				t.Errorf("took %v, want about %v (attempts x connection_timeout)", elapsed, want)
			}
		})
	}
}
