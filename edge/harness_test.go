package edge

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
)

// recorded is one request as the test origin saw it.
type recorded struct {
	Method string
	URI    string
	Host   string
	Header http.Header
}

// testOrigin is a real HTTP origin on 127.0.0.1 that records every request and answers with the
// handler registered for the path (exact match), or 404.
type testOrigin struct {
	t        testing.TB
	ln       net.Listener
	srv      *http.Server
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	reqs     []recorded
	files    http.Handler
	total    atomic.Int64
}

func newTestOrigin(t testing.TB) *testOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &testOrigin{t: t, ln: ln, handlers: map[string]http.HandlerFunc{}}
	o.srv = &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second}
	go o.srv.Serve(ln)
	t.Cleanup(func() { o.srv.Close() })
	return o
}

func (o *testOrigin) port() int { return o.ln.Addr().(*net.TCPAddr).Port }

func (o *testOrigin) handle(path string, h http.HandlerFunc) {
	o.mu.Lock()
	o.handlers[path] = h
	o.mu.Unlock()
}

// serveDir makes the origin serve the files under dir (with Range and validators, as
// net/http's file server does) for paths without a handler.
func (o *testOrigin) serveDir(dir string) {
	o.mu.Lock()
	o.files = http.FileServer(http.Dir(dir))
	o.mu.Unlock()
}

// requests returns how many requests the origin has seen.
func (o *testOrigin) requests() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.reqs)
}

// static registers a fixed answer.
func (o *testOrigin) static(path string, status int, headers map[string]string, body string) {
	o.handle(path, func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func (o *testOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// No Date unless a handler sets one: net/http's would come from the real clock, while the
	// edge runs on a fake one, and the difference would count as the response's age.
	w.Header()["Date"] = nil
	o.total.Add(1)
	o.mu.Lock()
	o.reqs = append(o.reqs, recorded{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header.Clone()})
	h := o.handlers[r.URL.Path]
	files := o.files
	o.mu.Unlock()
	if h == nil && files != nil {
		files.ServeHTTP(w, r)
		return
	}
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

// count returns how many requests reached path.
func (o *testOrigin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, r := range o.reqs {
		if strings.SplitN(r.URI, "?", 2)[0] == path {
			n++
		}
	}
	return n
}

// last returns the last request that reached path.
func (o *testOrigin) last(path string) recorded {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.reqs) - 1; i >= 0; i-- {
		if strings.SplitN(o.reqs[i].URI, "?", 2)[0] == path {
			return o.reqs[i]
		}
	}
	o.t.Fatalf("origin never saw %s", path)
	return recorded{}
}

// fakeClock is a settable clock shared by the edge and its cache.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testEdge is a running edge on 127.0.0.1:0.
type testEdge struct {
	srv   *Server
	addr  string
	clock *fakeClock
	host  string
}

// startEdge parses a TOML config (with {{ORIGIN_PORT}} replaced), starts the edge with a fake clock
// and returns it; it is shut down when the test ends.
func startEdge(t testing.TB, toml string, originPort int) *testEdge {
	t.Helper()
	return startEdgeWith(t, toml, originPort, nil)
}

// startEdgeWith is startEdge with a hook to adjust the edge's Config (access log, metrics).
func startEdgeWith(t testing.TB, toml string, originPort int, adjust func(*Config)) *testEdge {
	t.Helper()
	toml = strings.ReplaceAll(toml, "{{ORIGIN_PORT}}", fmt.Sprint(originPort))
	cfg, err := config.Parse([]byte(toml), t.Name()+".toml")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	clock := newFakeClock()
	store, err := cache.New(cache.Config{MaxBytes: int64(cfg.Cache.Memory), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	ecfg := Config{Config: cfg, Logger: log, Store: store, Now: clock.Now}
	if adjust != nil {
		adjust(&ecfg)
	}
	srv, err := New(ecfg)
	if err != nil {
		t.Fatalf("edge.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Shutdown(t.Context())
		srv.Close()
		store.Close()
	})
	return &testEdge{srv: srv, addr: ln.Addr().String(), clock: clock, host: cfg.Distributions[0].DomainName}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// viewer is an HTTP client that never decompresses or reuses surprises.
var viewer = &http.Client{
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
	Timeout: 60 * time.Second,
}

// do sends a request to the edge with the distribution's Host and returns the response with its body read.
func (e *testEdge) do(t testing.TB, method, uri string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+e.addr+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = e.host
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := viewer.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, uri, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, uri, err)
	}
	return resp, string(b)
}

// get is do with GET and no extra headers.
func (e *testEdge) get(t testing.TB, uri string) (*http.Response, string) {
	t.Helper()
	return e.do(t, http.MethodGet, uri, nil)
}

// raw writes a raw request on a new connection and returns the parsed response and whether the
// edge closed the connection afterwards.
func (e *testEdge) raw(t testing.TB, request string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// xcache returns the X-Cache value of a response.
func xcache(r *http.Response) string { return r.Header.Get("X-Cache") }

// baseConfig is a distribution in front of the test origin; extra is appended TOML (behaviors).
func baseConfig(extra string) string {
	return `
[server]
pop = "TST1-C1"
[cache]
memory = "64MiB"
max_object_size = "8MiB"
[api]
auth = "none"
[[distribution]]
id = "ETESTDIST"
domain_name = "dtest0000000001.cloudfront.net"
aliases = ["cdn.example.test"]
default_root_object = "index.html"
[[distribution.origin]]
id = "web"
kind = "http"
domain_name = "127.0.0.1"
http_port = {{ORIGIN_PORT}}
connection_attempts = 1
connection_timeout = "2s"
origin_read_timeout = "2s"
` + extra + `
[distribution.default_behavior]
target_origin_id = "web"
`
}

// heapPeak runs f while sampling the heap every 20 ms and returns the largest growth of HeapAlloc
// seen above what was in use (after a collection) when f started, so that what earlier tests of
// the process left behind does not count.
func heapPeak(f func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base.HeapAlloc && ms.HeapAlloc-base.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc - base.HeapAlloc)
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak.Load()
}
