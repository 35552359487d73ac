package origin

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

// testTimeout is the connection and read timeout of test origins.
const testTimeout = time.Second

// originConfig returns an http origin config for a server at addr (host:port) with 1 s
// timeouts.
func originConfig(t testing.TB, addr string) config.Origin {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return config.Origin{
		ID:                     "web",
		Kind:                   config.KindHTTP,
		DomainName:             host,
		HTTPPort:               n,
		HTTPSPort:              n,
		ConnectionAttempts:     3,
		ConnectionTimeout:      config.Duration(testTimeout),
		OriginReadTimeout:      config.Duration(testTimeout),
		OriginKeepaliveTimeout: config.Duration(5 * time.Second),
	}
}

// newTestHTTP builds an HTTP origin and closes it with the test.
func newTestHTTP(t *testing.T, cfg config.Origin) *HTTP {
	t.Helper()
	h, err := NewHTTP(cfg, Options{})
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// fetchAll fetches and reads the whole body, failing the test on any error.
func fetchAll(t *testing.T, f Fetcher, req *Request) (*Response, []byte) {
	t.Helper()
	resp, err := f.Fetch(context.Background(), req)
	if err != nil {
		t.Fatalf("Fetch %s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", req.Method, req.Path, err)
	}
	return resp, body
}

// rawServer is a TCP server on 127.0.0.1:0 whose handler talks raw bytes, for origins that
// misbehave in ways net/http servers cannot. It counts connections and requests.
type rawServer struct {
	ln       net.Listener
	conns    atomic.Int32
	requests atomic.Int32
	wg       sync.WaitGroup
}

// startRaw serves every connection with handle, once per request head read; handle returns
// false to stop serving the connection. The server stops with the test.
func startRaw(t *testing.T, handle func(c net.Conn, head []byte) bool) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	var mu sync.Mutex
	var open []net.Conn
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					head, err := readHead(br)
					if err != nil {
						return
					}
					s.requests.Add(1)
					if !handle(c, head) {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range open {
			_ = c.Close()
		}
		mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) addr() string { return s.ln.Addr().String() }

// readHead reads one request head (through the blank line), skipping any Content-Length body.
func readHead(br *bufio.Reader) ([]byte, error) {
	var head bytes.Buffer
	n := 0
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		head.Write(line)
		if k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte(":")); ok &&
			bytes.EqualFold(bytes.TrimSpace(k), []byte("Content-Length")) {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
	}
	if n > 0 {
		if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
			return nil, err
		}
	}
	return head.Bytes(), nil
}

// hang blocks a raw handler until the connection is closed by the client or the test.
func hang(c net.Conn) bool {
	_, _ = io.Copy(io.Discard, c)
	return false
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// logBuffer is a concurrency-safe sink for a test slog.Logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// configFor returns a minimal valid origin config of a kind.
func configFor(t *testing.T, kind string) config.Origin {
	t.Helper()
	return config.Origin{ID: "o-" + kind, Kind: kind, DomainName: "example.com", Path: t.TempDir(), Bucket: "b"}
}
