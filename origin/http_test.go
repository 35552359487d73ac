package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

// seen is what a test origin received.
type seen struct {
	method, uri, host string
	header            http.Header
	body              string
}

// echoServer starts a net/http origin that records each request and answers 200 "ok".
func echoServer(t *testing.T) (*httptest.Server, func() seen) {
	t.Helper()
	var mu sync.Mutex
	var last seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = seen{method: r.Method, uri: r.RequestURI, host: r.Host, header: r.Header.Clone(), body: string(b)}
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, func() seen { mu.Lock(); defer mu.Unlock(); return last }
}

func TestHTTPRequestShape(t *testing.T) {
	srv, last := echoServer(t)
	addr := srv.Listener.Addr().String()
	tests := []struct {
		name   string
		cfg    func(*config.Origin)
		req    Request
		uri    string
		host   string
		header map[string]string // want; "" means absent
		body   string
	}{
		{
			name: "plain path, default host carries the non-default port",
			req:  Request{Method: "GET", Path: "/a/b.txt"},
			uri:  "/a/b.txt", host: addr,
			header: map[string]string{"Connection": "keep-alive", "User-Agent": ""},
		},
		{
			name: "origin_path prefixed and query passed",
			cfg:  func(c *config.Origin) { c.OriginPath = "/prod" },
			req:  Request{Method: "GET", Path: "/v/x.mp4", Query: "a=1&b=%20c"},
			uri:  "/prod/v/x.mp4?a=1&b=%20c", host: addr,
		},
		{
			name: "escaped path sent as the viewer sent it",
			req:  Request{Method: "GET", Path: "/a%20b/%E2%82%AC//c"},
			uri:  "/a%20b/%E2%82%AC//c", host: addr,
		},
		{
			name: "leading double slash is a path, not an authority",
			req:  Request{Method: "GET", Path: "//evil.example/x"},
			uri:  "//evil.example/x", host: addr,
		},
		{
			name: "viewer host forwarded",
			req:  Request{Method: "GET", Path: "/", Host: "www.example.com"},
			uri:  "/", host: "www.example.com",
		},
		{
			name: "custom headers overwrite the edge's",
			cfg: func(c *config.Origin) {
				c.CustomHeaders = []config.CustomHeader{{Name: "x-origin-secret", Value: "s3cr3t"}, {Name: "X-Added", Value: "1"}}
			},
			req: Request{Method: "GET", Path: "/", Header: http.Header{
				"X-Origin-Secret": {"from-viewer"}, "User-Agent": {"Amazon CloudFront"}, "X-Forwarded-For": {"192.0.2.1"},
			}},
			uri: "/", host: addr,
			header: map[string]string{
				"X-Origin-Secret": "s3cr3t", "X-Added": "1", "User-Agent": "Amazon CloudFront",
				"X-Forwarded-For": "192.0.2.1",
			},
		},
		{
			name: "framing headers from the edge are ignored",
			req: Request{Method: "GET", Path: "/", Header: http.Header{
				"Host": {"evil.example"}, "Content-Length": {"99"}, "Transfer-Encoding": {"chunked"},
			}},
			uri: "/", host: addr,
			header: map[string]string{"Transfer-Encoding": "", "Content-Length": ""},
		},
		{
			name: "POST body sent",
			req:  Request{Method: "POST", Path: "/form", Body: []byte("k=v"), Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
			uri:  "/form", host: addr, body: "k=v",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := originConfig(t, addr)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			resp, body := fetchAll(t, newTestHTTP(t, cfg), &tt.req)
			if resp.Status != 200 || string(body) != "ok" {
				t.Fatalf("got %d %q, want 200 \"ok\"", resp.Status, body)
			}
			got := last()
			if got.uri != tt.uri {
				t.Errorf("request URI: got %q, want %q", got.uri, tt.uri)
			}
			if got.host != tt.host {
				t.Errorf("Host: got %q, want %q", got.host, tt.host)
			}
			if got.method != tt.req.Method {
				t.Errorf("method: got %q, want %q", got.method, tt.req.Method)
			}
			for k, want := range tt.header {
				if g := strings.Join(got.header.Values(k), ","); g != want {
					t.Errorf("header %s: got %q, want %q", k, g, want)
				}
			}
			if got.body != tt.body {
				t.Errorf("body: got %q, want %q", got.body, tt.body)
			}
		})
	}
}

func TestHTTPResponseHeaders(t *testing.T) {
	srv := startRaw(t, func(c net.Conn, _ []byte) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nConnection: keep-alive, X-Hop\r\n"+
			"X-Hop: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\n"+
			"x-amz-meta-a: 1\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 3\r\n\r\nabc")
		return true
	})
	resp, body := fetchAll(t, newTestHTTP(t, originConfig(t, srv.addr())), &Request{Method: "GET", Path: "/r"})
	if resp.Status != http.StatusFound || string(body) != "abc" {
		t.Fatalf("got %d %q, want 302 \"abc\" (redirects are not followed)", resp.Status, body)
	}
	want := http.Header{
		"Location": {"/elsewhere"}, "X-Amz-Meta-A": {"1"}, "Set-Cookie": {"a=1", "b=2"}, "Content-Length": {"3"},
	}
	if fmt.Sprint(resp.Header) != fmt.Sprint(want) {
		t.Errorf("headers: got %v, want %v", resp.Header, want)
	}
	if resp.ContentLength != 3 || resp.Chunked {
		t.Errorf("ContentLength %d Chunked %v, want 3 false", resp.ContentLength, resp.Chunked)
	}
	if srv.requests.Load() != 1 {
		t.Errorf("origin saw %d requests, want 1", srv.requests.Load())
	}
}

func TestHTTPConnectRefused(t *testing.T) {
	t.Parallel()
	cfg := originConfig(t, closedAddr(t))
	start := time.Now()
	_, err := newTestHTTP(t, cfg).Fetch(context.Background(), &Request{Method: "GET", Path: "/"})
	var oe *Error
	if !errors.As(err, &oe) {
		t.Fatalf("got %v, want *Error", err)
	}
	if oe.Kind != KindConnect || oe.Attempts != 3 || oe.Origin != "web" {
		t.Errorf("got kind %v attempts %d origin %q, want OriginConnectError 3 \"web\"", oe.Kind, oe.Attempts, oe.Origin)
	}
	// A refused connection fails at once: three attempts take far less than the three
	// connection timeouts that unanswered connects would (with room for a stalled machine).
	if d := time.Since(start); d > 2*testTimeout {
		t.Errorf("3 refused attempts took %v, want < %v", d, 2*testTimeout)
	}
}

func TestHTTPReadTimeoutRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method   string
		attempts int
	}{
		{"GET", 2},
		{"HEAD", 2},
		{"POST", 1},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			srv := startRaw(t, func(c net.Conn, _ []byte) bool { return hang(c) })
			cfg := originConfig(t, srv.addr())
			cfg.ConnectionAttempts = 2
			start := time.Now()
			_, err := newTestHTTP(t, cfg).Fetch(context.Background(), &Request{Method: tt.method, Path: "/slow", Body: []byte("x")})
			elapsed := time.Since(start)
			var oe *Error
			if !errors.As(err, &oe) || oe.Kind != KindTimeout {
				t.Fatalf("got %v, want *Error OriginReadError", err)
			}
			if oe.Attempts != tt.attempts {
				t.Errorf("attempts: got %d, want %d", oe.Attempts, tt.attempts)
			}
			if got := int(srv.requests.Load()); got != tt.attempts {
				t.Errorf("origin hits: got %d, want %d", got, tt.attempts)
			}
			want := time.Duration(tt.attempts) * testTimeout
			if elapsed < want-100*time.Millisecond || elapsed > want+3*time.Second { // generous: CI machines stall
				t.Errorf("took %v, want about %v", elapsed, want)
			}
		})
	}
}

func TestHTTPTruncatedBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		response string
		reset    bool
		stall    bool
	}{
		{name: "content-length then close", response: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789"},
		{name: "content-length then reset", response: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789", reset: true},
		{name: "chunked without last chunk", response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n"},
		{name: "chunked cut inside a chunk", response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n0123456789"},
		{name: "stalls mid-body", response: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789", stall: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startRaw(t, func(c net.Conn, _ []byte) bool {
				_, _ = io.WriteString(c, tt.response)
				if tt.stall {
					return hang(c)
				}
				if tt.reset {
					_ = c.(*net.TCPConn).SetLinger(0)
				}
				return false
			})
			resp, err := newTestHTTP(t, originConfig(t, srv.addr())).Fetch(context.Background(), &Request{Method: "GET", Path: "/"})
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			defer resp.Body.Close()
			start := time.Now()
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("read: got %v, want an error wrapping ErrTruncated", err)
			}
			if !strings.HasPrefix(string(body), "0123456789") {
				t.Errorf("body before the error: got %q, want the 10 bytes sent", body)
			}
			if tt.stall {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("stall: got %v, want a deadline error too", err)
				}
				if d := time.Since(start); d > testTimeout+time.Second {
					t.Errorf("stall detected after %v, want about %v", d, testTimeout)
				}
			}
		})
	}
}

func TestHTTPBodyUntilClose(t *testing.T) {
	srv := startRaw(t, func(c net.Conn, _ []byte) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nno length here")
		return false
	})
	resp, body := fetchAll(t, newTestHTTP(t, originConfig(t, srv.addr())), &Request{Method: "GET", Path: "/"})
	if string(body) != "no length here" || resp.ContentLength != -1 || resp.Chunked {
		t.Errorf("got %q len %d chunked %v, want the body, -1, false", body, resp.ContentLength, resp.Chunked)
	}
}

func TestHTTPChunked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "part1,")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "part2")
	}))
	defer srv.Close()
	resp, body := fetchAll(t, newTestHTTP(t, originConfig(t, srv.Listener.Addr().String())), &Request{Method: "GET", Path: "/"})
	if !resp.Chunked || resp.ContentLength != -1 || string(body) != "part1,part2" {
		t.Errorf("got chunked %v len %d body %q, want true -1 \"part1,part2\"", resp.Chunked, resp.ContentLength, body)
	}
	if te := resp.Header.Get("Transfer-Encoding"); te != "" {
		t.Errorf("Transfer-Encoding %q kept, want it removed (hop-by-hop)", te)
	}
}

func TestHTTPS(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "secure")
	}))
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "plain")
	}))
	defer plainSrv.Close()
	tlsAddr := tlsSrv.Listener.Addr().String()

	t.Run("https-only with InsecureSkipVerify", func(t *testing.T) {
		cfg := originConfig(t, tlsAddr)
		cfg.OriginProtocolPolicy, cfg.InsecureSkipVerify = "https-only", true
		if _, body := fetchAll(t, newTestHTTP(t, cfg), &Request{Method: "GET", Path: "/"}); string(body) != "secure" {
			t.Errorf("got %q, want \"secure\"", body)
		}
	})
	t.Run("untrusted certificate is a TLS error", func(t *testing.T) {
		cfg := originConfig(t, tlsAddr)
		cfg.OriginProtocolPolicy = "https-only"
		_, err := newTestHTTP(t, cfg).Fetch(context.Background(), &Request{Method: "GET", Path: "/"})
		var oe *Error
		if !errors.As(err, &oe) || oe.Kind != KindTLS || oe.Attempts != 1 {
			t.Errorf("got %v, want *Error with KindTLS after 1 attempt", err)
		}
	})
	t.Run("match-viewer picks the viewer's scheme", func(t *testing.T) {
		cfg := originConfig(t, plainSrv.Listener.Addr().String())
		_, p, _ := net.SplitHostPort(tlsAddr)
		fmt.Sscan(p, &cfg.HTTPSPort)
		cfg.OriginProtocolPolicy, cfg.InsecureSkipVerify = "match-viewer", true
		h := newTestHTTP(t, cfg)
		for viewerHTTPS, want := range map[bool]string{false: "plain", true: "secure"} {
			if _, body := fetchAll(t, h, &Request{Method: "GET", Path: "/", ViewerHTTPS: viewerHTTPS}); string(body) != want {
				t.Errorf("ViewerHTTPS %v: got %q, want %q", viewerHTTPS, body, want)
			}
		}
	})
}

func TestHTTPKeepAlive(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	h := newTestHTTP(t, originConfig(t, srv.Listener.Addr().String()))
	for range 2 {
		fetchAll(t, h, &Request{Method: "GET", Path: "/"})
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("origin saw %d connections for 2 sequential requests, want 1", n)
	}
}

func TestHTTPStaleKeepAlive(t *testing.T) {
	// The origin drops each connection after one response without saying so: the pooled
	// connection is dead when the second GET takes it, and the GET is retried on a new one.
	srv := startRaw(t, func(c net.Conn, _ []byte) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		return false
	})
	h := newTestHTTP(t, originConfig(t, srv.addr()))
	for i := range 3 {
		if resp, body := fetchAll(t, h, &Request{Method: "GET", Path: "/"}); resp.Status != 200 || string(body) != "ok" {
			t.Fatalf("request %d: got %d %q, want 200 \"ok\"", i, resp.Status, body)
		}
	}
	if n := srv.requests.Load(); n != 3 {
		t.Errorf("origin answered %d requests, want 3", n)
	}
}

func TestHTTPBodyCutByContext(t *testing.T) {
	t.Parallel()
	srv := startRaw(t, func(c net.Conn, _ []byte) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
		return hang(c)
	})
	h := newTestHTTP(t, originConfig(t, srv.addr()))
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := h.Fetch(ctx, &Request{Method: "GET", Path: "/"})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = io.ReadAll(resp.Body)
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want ErrTruncated and context.Canceled", err)
	}
}

func TestHTTPInvalidResponse(t *testing.T) {
	tests := []struct {
		name     string
		response string
		want     ErrorKind
	}{
		{"not http", "SSH-2.0-OpenSSH_9.6\r\n\r\n", KindProtocol},
		{"bad status line", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", KindProtocol},
		{"headers too big", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 40<<10) + "\r\n\r\n", KindHeaderTooBig},
		{"closed without answering", "", KindComm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRaw(t, func(c net.Conn, _ []byte) bool {
				_, _ = io.WriteString(c, tt.response)
				return false
			})
			_, err := newTestHTTP(t, originConfig(t, srv.addr())).Fetch(context.Background(), &Request{Method: "GET", Path: "/"})
			var oe *Error
			if !errors.As(err, &oe) || oe.Kind != tt.want || oe.Attempts != 1 {
				t.Errorf("got %v, want *Error %v after 1 attempt", err, tt.want)
			}
		})
	}
}
