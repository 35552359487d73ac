package origin

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Informational (1xx) responses from raw TCP origins on 127.0.0.1. The helpers are this
// file's own (prefixed "info") so that it does not depend on the other test files.

// infoOrigin is a raw origin: for every request head it reads, it calls answer with the
// connection's writer. It counts connections.
type infoOrigin struct {
	ln    net.Listener
	conns atomic.Int32
	ended chan struct{} // one value each time a connection's handler ends
}

// startInfoOrigin serves answer on 127.0.0.1 until the test ends; answer returns false to
// close the connection.
func startInfoOrigin(t *testing.T, answer func(w *bufio.Writer) bool) *infoOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &infoOrigin{ln: ln, ended: make(chan struct{}, 64)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					_ = c.Close()
					select {
					case o.ended <- struct{}{}:
					default:
					}
				}()
				br, bw := bufio.NewReader(c), bufio.NewWriter(c)
				for {
					if err := infoReadHead(br); err != nil {
						return
					}
					ok := answer(bw)
					if bw.Flush() != nil || !ok {
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
		wg.Wait()
	})
	return o
}

// infoReadHead reads a request head (the test requests have no body).
func infoReadHead(br *bufio.Reader) error {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.TrimSpace(line) == "" {
			return nil
		}
	}
}

// infoHTTP is an http origin for o, closed with the test.
func infoHTTP(t *testing.T, o *infoOrigin) *HTTP {
	t.Helper()
	return bodyHTTP(t, bodyOriginConfig(t, o.ln.Addr().String(), 3))
}

// infoCall is one OnInformational call.
type infoCall struct {
	status int
	header http.Header
}

// TestInformationalEarlyHints checks that a 103 reaches OnInformational with its Link header
// before the final response exists (the origin writes the 200 only once the callback has
// run), that the final response is the 200 with its body, and that the connection is then
// reused.
func TestInformationalEarlyHints(t *testing.T) {
	t.Parallel()
	seen := make(chan struct{}, 1)
	stop := make(chan struct{})
	o := startInfoOrigin(t, func(w *bufio.Writer) bool {
		_, _ = w.WriteString("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
		if w.Flush() != nil {
			return false
		}
		select {
		case <-seen: // the edge has the hint before the origin has even answered
		case <-stop:
			return false
		}
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello")
		return true
	})
	t.Cleanup(func() { close(stop) }) // runs before the origin's own cleanup
	h := infoHTTP(t, o)
	for i := range 2 {
		var calls []infoCall
		req := &Request{Method: "GET", Path: "/", OnInformational: func(status int, header http.Header) {
			calls = append(calls, infoCall{status, header})
			seen <- struct{}{}
		}}
		resp, body := bodyFetch(t, h, req)
		if resp.Status != 200 || body != "hello" || resp.Header.Get("Content-Type") != "text/html" {
			t.Errorf("request %d: final response %d %q %v, want the 200 with body hello", i, resp.Status, body, resp.Header)
		}
		if len(calls) != 1 || calls[0].status != 103 || len(calls[0].header) != 1 ||
			calls[0].header.Get("Link") != "</a.css>; rel=preload" {
			t.Errorf("request %d: OnInformational calls %+v, want one 103 with Link </a.css>; rel=preload", i, calls)
		}
	}
	if n := o.conns.Load(); n != 1 {
		t.Errorf("%d connections for 2 requests, want 1 (kept alive after a 1xx)", n)
	}
}

// TestInformationalSeveral checks order and filtering: 100 Continue is consumed without a
// call, 102 and 103 are reported in order, and a request without a callback gets the final
// response as before.
func TestInformationalSeveral(t *testing.T) {
	t.Parallel()
	o := startInfoOrigin(t, func(w *bufio.Writer) bool {
		_, _ = w.WriteString("HTTP/1.1 100 Continue\r\n\r\n" +
			"HTTP/1.1 102 Processing\r\n\r\n" +
			"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nLink: </b.js>; rel=preload\r\nConnection: x-hop\r\nX-Hop: 1\r\n\r\n" +
			"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone")
		return true
	})
	h := infoHTTP(t, o)
	var calls []infoCall
	resp, body := bodyFetch(t, h, &Request{Path: "/x", OnInformational: func(status int, header http.Header) {
		calls = append(calls, infoCall{status, header})
	}})
	if resp.Status != 404 || body != "gone" {
		t.Errorf("final response %d %q, want 404 gone", resp.Status, body)
	}
	if len(calls) != 2 || calls[0].status != 102 || calls[1].status != 103 ||
		strings.Join(calls[1].header.Values("Link"), ", ") != "</a.css>; rel=preload, </b.js>; rel=preload" ||
		calls[1].header.Get("X-Hop") != "" || calls[1].header.Get("Connection") != "" {
		t.Errorf("OnInformational calls %+v, want 102 then 103 with both Links and no hop-by-hop header", calls)
	}
	resp, body = bodyFetch(t, h, &Request{Path: "/x"})
	if resp.Status != 404 || body != "gone" {
		t.Errorf("without callback: final response %d %q, want 404 gone", resp.Status, body)
	}
}

// TestInformationalContinueOnly checks that a 100 Continue alone is skipped as before.
func TestInformationalContinueOnly(t *testing.T) {
	t.Parallel()
	o := startInfoOrigin(t, func(w *bufio.Writer) bool {
		_, _ = w.WriteString("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		return true
	})
	calls := 0
	resp, body := bodyFetch(t, infoHTTP(t, o), &Request{Method: "POST", Path: "/", Body: []byte("data"),
		OnInformational: func(int, http.Header) { calls++ }})
	if resp.Status != 200 || body != "ok" || calls != 0 {
		t.Errorf("100 then 200: %d %q with %d callback calls, want 200 ok and none", resp.Status, body, calls)
	}
}

// TestInformationalHostile checks the bounds: 1,000 1xx responses fail with a precise
// KindProtocol error after MaxInformational reports and no retry; a 1xx whose headers
// exceed the read buffer fails as OriginHeaderTooBigError.
func TestInformationalHostile(t *testing.T) {
	t.Parallel()
	flood := startInfoOrigin(t, func(w *bufio.Writer) bool {
		for range 1000 {
			if _, err := w.WriteString("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"); err != nil {
				return false
			}
		}
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		return true
	})
	calls := 0
	_, err := infoHTTP(t, flood).Fetch(context.Background(), &Request{Path: "/",
		OnInformational: func(int, http.Header) { calls++ }})
	var oe *Error
	if !errors.As(err, &oe) || oe.Kind != KindProtocol || oe.Attempts != 1 || !errors.Is(err, errTooManyInformational) ||
		!strings.Contains(err.Error(), "more than 10 informational (1xx) responses") {
		t.Errorf("1,000 1xx: err %v, want an OriginInvalidResponseError after 1 attempt naming the 1xx limit", err)
	}
	if calls != MaxInformational {
		t.Errorf("%d OnInformational calls, want %d", calls, MaxInformational)
	}
	if n := flood.conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (no retry)", n)
	}

	big := startInfoOrigin(t, func(w *bufio.Writer) bool {
		_, _ = w.WriteString("HTTP/1.1 103 Early Hints\r\nLink: <" + strings.Repeat("a", readBufferSize) + ">\r\n\r\n")
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		return true
	})
	_, err = infoHTTP(t, big).Fetch(context.Background(), &Request{Path: "/",
		OnInformational: func(int, http.Header) { t.Error("oversized 1xx reported") }})
	if !errors.As(err, &oe) || oe.Kind != KindHeaderTooBig {
		t.Errorf("oversized 1xx: err %v, want an OriginHeaderTooBigError", err)
	}
}

// TestInformationalCancel checks that OnInformational is never called after Fetch returned
// on a cancelled context: the callback cancels, and the origin's next 1xx arrives only once
// Fetch has returned; the test then waits until the abandoned call has read everything and
// closed the connection (Connection: close).
func TestInformationalCancel(t *testing.T) {
	t.Parallel()
	returned := make(chan struct{})
	o := startInfoOrigin(t, func(w *bufio.Writer) bool {
		_, _ = w.WriteString("HTTP/1.1 103 Early Hints\r\n\r\n")
		if w.Flush() != nil {
			return false
		}
		<-returned
		_, _ = w.WriteString("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
		return true
	})
	ctx, cancel := context.WithCancel(context.Background())
	var calls, late atomic.Int32
	var done atomic.Bool
	_, err := infoHTTP(t, o).Fetch(ctx, &Request{Path: "/", OnInformational: func(int, http.Header) {
		if done.Load() {
			late.Add(1)
		}
		calls.Add(1)
		cancel()
	}})
	done.Store(true)
	close(returned)
	<-o.ended // the background call read the late 103 and the 200, then closed
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if calls.Load() != 1 || late.Load() != 0 {
		t.Errorf("%d calls, %d after Fetch returned; want 1 and 0", calls.Load(), late.Load())
	}
}
