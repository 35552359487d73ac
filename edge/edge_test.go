package edge

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var cfIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{54}==$`)

// waitFor receives from ch, or fails the test after 10 s naming what it waited for.
func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out after 10 s waiting for %s", what)
	}
	var zero T
	return zero
}

// watchedListener is a viewer listener for an edge (Serve or ServeTLS on it) that tells the
// test what the edge did with it: heads gets one value per request head the edge has read
// from a connection, accepting is closed on the first Accept call, closed on Close.
type watchedListener struct {
	net.Listener
	heads                 chan struct{}
	accepting, closed     chan struct{}
	acceptOnce, closeOnce sync.Once
}

// watchListener listens on 127.0.0.1:0; the listener is closed when the test ends.
func watchListener(t testing.TB) *watchedListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &watchedListener{Listener: ln, heads: make(chan struct{}, 4096), accepting: make(chan struct{}), closed: make(chan struct{})}
	t.Cleanup(func() { w.Close() })
	return w
}

func (w *watchedListener) Accept() (net.Conn, error) {
	w.acceptOnce.Do(func() { close(w.accepting) })
	c, err := w.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &headCountingConn{Conn: c, heads: w.heads}, nil
}

func (w *watchedListener) Close() error {
	err := w.Listener.Close()
	w.closeOnce.Do(func() { close(w.closed) })
	return err
}

// headCountingConn sends on heads each time the bytes read end a request head (a blank line);
// the requests of these tests have no body.
type headCountingConn struct {
	net.Conn
	heads chan<- struct{}
	tail  []byte // the last bytes read, for a blank line split across reads
}

func (c *headCountingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		buf := append(c.tail, p[:n]...)
		for i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0; i = bytes.Index(buf, []byte("\r\n\r\n")) {
			buf = buf[i+4:]
			select {
			case c.heads <- struct{}{}:
			default:
			}
		}
		c.tail = append(c.tail[:0], buf[max(0, len(buf)-3):]...)
	}
	return n, err
}

// via returns e with requests sent through ln, a second listener the edge serves.
func (e *testEdge) via(ln net.Listener) *testEdge {
	c := *e
	c.addr = ln.Addr().String()
	return &c
}

func TestCloudFrontHeadersMissThenHit(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a.txt", 200, map[string]string{"Content-Type": "text/plain", "Cache-Control": "max-age=60", "Connection": "keep-alive", "Keep-Alive": "timeout=5"}, "hello")
	e := startEdge(t, baseConfig(""), o.port())

	r1, b1 := e.get(t, "/a.txt")
	if r1.StatusCode != 200 || b1 != "hello" {
		t.Fatalf("miss: %d %q", r1.StatusCode, b1)
	}
	if got := xcache(r1); got != "Miss from cloudfront" {
		t.Errorf("X-Cache = %q, want Miss", got)
	}
	if r1.Header.Get("Age") != "0" {
		t.Errorf("Age on a miss: %q, want 0 (CloudFront sends Age on every answer from the cache)", r1.Header.Get("Age"))
	}
	e.clock.Advance(7 * time.Second)
	r2, b2 := e.get(t, "/a.txt")
	if b2 != "hello" || xcache(r2) != "Hit from cloudfront" {
		t.Fatalf("hit: %q %q", b2, xcache(r2))
	}
	if r2.Header.Get("Age") != "7" {
		t.Errorf("Age = %q, want 7", r2.Header.Get("Age"))
	}
	for _, r := range []*http.Response{r1, r2} {
		if !regexp.MustCompile(`^1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)$`).MatchString(r.Header.Get("Via")) {
			t.Errorf("Via = %q", r.Header.Get("Via"))
		}
		if id := r.Header.Get("X-Amz-Cf-Id"); !cfIDPattern.MatchString(id) {
			t.Errorf("X-Amz-Cf-Id = %q (len %d)", id, len(id))
		}
		if r.Header.Get("X-Amz-Cf-Pop") != "TST1-C1" {
			t.Errorf("X-Amz-Cf-Pop = %q", r.Header.Get("X-Amz-Cf-Pop"))
		}
		if r.Header.Get("Keep-Alive") != "" {
			t.Errorf("hop-by-hop Keep-Alive passed through")
		}
		if r.Header.Get("Cache-Control") != "max-age=60" {
			t.Errorf("Cache-Control not passed unchanged: %q", r.Header.Get("Cache-Control"))
		}
	}
	if r1.Header.Get("X-Amz-Cf-Id") == r2.Header.Get("X-Amz-Cf-Id") {
		t.Error("two requests share an X-Amz-Cf-Id")
	}
	if n := o.count("/a.txt"); n != 1 {
		t.Errorf("origin saw %d requests, want 1", n)
	}
}

func TestCollapsing200ColdRequests(t *testing.T) {
	o := newTestOrigin(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	o.handle("/cold", func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		w.Header().Set("Cache-Control", "max-age=300")
		io.WriteString(w, "collapsed body")
	})
	e := startEdge(t, baseConfig(""), o.port())
	ln := watchListener(t)
	go e.srv.Serve(ln)
	ev := e.via(ln)
	const n = 200
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	open := sync.OnceFunc(func() { close(release) })
	t.Cleanup(open) // runs first: no viewer is left waiting on a failed test
	results := make([]string, n)
	xc := make([]string, n)
	for i := range n {
		wg.Go(func() {
			r, b := ev.get(t, "/cold")
			results[i], xc[i] = b, xcache(r)
		})
	}
	// Hold the origin's answer until the edge has read every viewer's request: the origin
	// request is in flight, so each of them must wait for it.
	waitFor(t, arrived, "the origin request")
	for i := range n {
		waitFor(t, ln.heads, fmt.Sprintf("request %d of %d at the edge", i+1, n))
	}
	open()
	wg.Wait()
	if got := o.count("/cold"); got != 1 {
		t.Fatalf("origin saw %d requests for 200 concurrent cold viewers, want 1", got)
	}
	misses := 0
	for i := range n {
		if results[i] != "collapsed body" {
			t.Fatalf("viewer %d got %q", i, results[i])
		}
		if xc[i] == "Miss from cloudfront" {
			misses++
		}
	}
	if misses != 1 {
		t.Errorf("%d viewers saw Miss, want exactly 1 (collapsed ones are Hits)", misses)
	}
}

// TestTTLTable checks each row of CloudFront's expiration table
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html#ExpirationDownloadDist):
// the origin's headers and the behavior's
// Min/Default/Max decide how long the object stays fresh at the edge.
func TestTTLTable(t *testing.T) {
	type row struct {
		name          string
		min, def, max int64
		header        map[string]string
		fresh         time.Duration // 0: not cached at all
	}
	// Expires values are written by the origin when it answers (see below), so that the edge's
	// clock, which starts when the edge does, cannot be ahead of the date they were computed from.
	expires := func(d time.Duration) string { return "now+" + d.String() }
	rows := []row{
		{"max-age under max", 0, 86400, 31536000, map[string]string{"Cache-Control": "max-age=100"}, 100 * time.Second},
		{"max-age over max clamps", 0, 40, 50, map[string]string{"Cache-Control": "max-age=100"}, 50 * time.Second},
		{"max-age under min clamps up", 30, 86400, 31536000, map[string]string{"Cache-Control": "max-age=10"}, 30 * time.Second},
		{"no header uses default", 0, 40, 31536000, nil, 40 * time.Second},
		{"no header with min > 0 uses default", 30, 40, 31536000, nil, 40 * time.Second},
		{"s-maxage wins over max-age", 0, 86400, 31536000, map[string]string{"Cache-Control": "max-age=10, s-maxage=70"}, 70 * time.Second},
		{"s-maxage clamped to max", 0, 10, 20, map[string]string{"Cache-Control": "max-age=10, s-maxage=70"}, 20 * time.Second},
		{"expires", 0, 86400, 31536000, map[string]string{"Expires": expires(90 * time.Second)}, 90 * time.Second},
		{"expires clamped to max", 0, 10, 30, map[string]string{"Expires": expires(90 * time.Second)}, 30 * time.Second},
		{"max-age beats expires", 0, 86400, 31536000, map[string]string{"Cache-Control": "max-age=25", "Expires": expires(900 * time.Second)}, 25 * time.Second},
		{"no-store, min 0: not cached", 0, 86400, 31536000, map[string]string{"Cache-Control": "no-store"}, 0},
		{"no-cache, min 0: not cached", 0, 86400, 31536000, map[string]string{"Cache-Control": "no-cache"}, 0},
		{"private, min 0: not cached", 0, 86400, 31536000, map[string]string{"Cache-Control": "private"}, 0},
		{"no-store, min > 0: kept min", 45, 86400, 31536000, map[string]string{"Cache-Control": "no-store"}, 45 * time.Second},
		{"max-age=0, min 0: not cached", 0, 86400, 31536000, map[string]string{"Cache-Control": "max-age=0"}, 0},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			o := newTestOrigin(t)
			o.handle("/obj", func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range r.header {
					if d, ok := strings.CutPrefix(v, "now+"); ok {
						dur, _ := time.ParseDuration(d)
						v = time.Now().Add(dur).UTC().Format(http.TimeFormat)
					}
					w.Header().Set(k, v)
				}
				io.WriteString(w, "body")
			})
			e := startEdge(t, baseConfig(fmt.Sprintf(`
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
min_ttl = %d
default_ttl = %d
max_ttl = %d
`, r.min, r.def, r.max)), o.port())
			e.get(t, "/obj")
			if r.fresh == 0 {
				resp, _ := e.get(t, "/obj")
				if xcache(resp) == "Hit from cloudfront" || o.count("/obj") != 2 {
					t.Fatalf("not-cacheable object was served from cache (%s, origin saw %d)", xcache(resp), o.count("/obj"))
				}
				return
			}
			e.clock.Advance(r.fresh - time.Second)
			resp, _ := e.get(t, "/obj")
			if xcache(resp) != "Hit from cloudfront" {
				t.Fatalf("1 s before the TTL: X-Cache = %q, want Hit", xcache(resp))
			}
			e.clock.Advance(2 * time.Second)
			resp, _ = e.get(t, "/obj")
			if xcache(resp) == "Hit from cloudfront" {
				t.Fatalf("1 s after the TTL: still a Hit")
			}
			if o.count("/obj") != 2 {
				t.Fatalf("origin saw %d requests, want 2", o.count("/obj"))
			}
		})
	}
}

func TestRevalidation304IsRefreshHit(t *testing.T) {
	o := newTestOrigin(t)
	var mu sync.Mutex
	var sawINM, sawIMS string
	o.handle("/r", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sawINM, sawIMS = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		mu.Unlock()
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Header().Set("Cache-Control", "max-age=10")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "version one")
	})
	e := startEdge(t, baseConfig(""), o.port())
	e.get(t, "/r")
	e.clock.Advance(11 * time.Second)
	r, b := e.get(t, "/r")
	if xcache(r) != "RefreshHit from cloudfront" || b != "version one" {
		t.Fatalf("after expiry: %q %q, want RefreshHit with the cached body", xcache(r), b)
	}
	mu.Lock()
	if sawINM != `"v1"` || sawIMS != "Mon, 02 Jan 2006 15:04:05 GMT" {
		t.Errorf("revalidation headers: If-None-Match %q, If-Modified-Since %q", sawINM, sawIMS)
	}
	mu.Unlock()
	r, _ = e.get(t, "/r")
	if xcache(r) != "Hit from cloudfront" {
		t.Errorf("after refresh: %q, want Hit", xcache(r))
	}
	if o.count("/r") != 2 {
		t.Errorf("origin saw %d, want 2", o.count("/r"))
	}
}

// TestErrorCaching checks CloudFront's error caching
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html#HTTPStatusCodes-cached-errors
// and "Controlling how long CloudFront caches errors" in
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/GeneratingCustomErrorResponses.html):
// which codes are cached, and for how long.
func TestErrorCaching(t *testing.T) {
	cases := []struct {
		name   string
		status int
		header map[string]string
		extra  string
		fresh  time.Duration // 0: never cached
	}{
		{"404 default 10s", 404, nil, "", 10 * time.Second},
		{"500 default 10s", 500, nil, "", 10 * time.Second},
		{"503 max-age longer", 503, map[string]string{"Cache-Control": "max-age=30"}, "", 30 * time.Second},
		{"404 max-age shorter than min", 404, map[string]string{"Cache-Control": "max-age=3"}, "", 10 * time.Second},
		{"403 without max-age not cached", 403, nil, "", 0},
		{"403 with max-age cached", 403, map[string]string{"Cache-Control": "max-age=20"}, "", 20 * time.Second},
		{"416 never cached", 416, map[string]string{"Cache-Control": "max-age=20"}, "", 0},
		{"404 custom error_caching_min_ttl", 404, nil, `
[[distribution.custom_error_response]]
error_code = 404
error_caching_min_ttl = 60
`, 60 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newTestOrigin(t)
			o.static("/err", c.status, c.header, "origin error")
			e := startEdge(t, baseConfig(c.extra), o.port())
			r, _ := e.get(t, "/err")
			if r.StatusCode != c.status || xcache(r) != "Error from cloudfront" {
				t.Fatalf("first: %d %q", r.StatusCode, xcache(r))
			}
			if c.fresh == 0 {
				e.get(t, "/err")
				if o.count("/err") != 2 {
					t.Fatalf("status %d was cached (origin saw %d)", c.status, o.count("/err"))
				}
				return
			}
			e.clock.Advance(c.fresh - time.Second)
			r, _ = e.get(t, "/err")
			if r.StatusCode != c.status || o.count("/err") != 1 {
				t.Fatalf("within %v: status %d, origin saw %d, want cached", c.fresh, r.StatusCode, o.count("/err"))
			}
			e.clock.Advance(2 * time.Second)
			e.get(t, "/err")
			if o.count("/err") != 2 {
				t.Fatalf("after %v: origin saw %d, want 2", c.fresh, o.count("/err"))
			}
		})
	}
}

// TestStaleServedWhenOriginFails: an expired object whose origin now fails (5xx or no answer) is
// served stale for ErrorCachingMinTTL, then the origin is tried again ("The requested object is
// in the edge cache",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html#HTTPStatusCodes-no-custom-error-pages-in-cache).
func TestStaleServedWhenOriginFails(t *testing.T) {
	o := newTestOrigin(t)
	var mu sync.Mutex
	status := 200
	o.handle("/s", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st := status
		mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=5")
		w.WriteHeader(st)
		if st == 200 {
			io.WriteString(w, "good copy")
		} else {
			io.WriteString(w, "broken")
		}
	})
	e := startEdge(t, baseConfig(""), o.port())
	e.get(t, "/s")
	mu.Lock()
	status = 503
	mu.Unlock()
	e.clock.Advance(6 * time.Second)
	r, b := e.get(t, "/s")
	if r.StatusCode != 200 || b != "good copy" {
		t.Fatalf("origin 503 on revalidation: %d %q, want the stale copy", r.StatusCode, b)
	}
	e.clock.Advance(5 * time.Second)
	if _, b = e.get(t, "/s"); b != "good copy" || o.count("/s") != 2 {
		t.Fatalf("within ErrorCachingMinTTL: %q, origin saw %d, want the stale copy without asking", b, o.count("/s"))
	}
	e.clock.Advance(6 * time.Second)
	e.get(t, "/s")
	if o.count("/s") != 3 {
		t.Fatalf("after ErrorCachingMinTTL the origin is asked again: saw %d", o.count("/s"))
	}
	// A cached error is an Error on every answer.
	o.static("/missing", 404, nil, "nope")
	e.get(t, "/missing")
	if r, _ := e.get(t, "/missing"); xcache(r) != "Error from cloudfront" || o.count("/missing") != 1 {
		t.Errorf("cached 404: %q, origin saw %d", xcache(r), o.count("/missing"))
	}
}

// TestStaleWhileRevalidateAndStaleIfError: within stale-while-revalidate the stale copy is served
// at once while one background request refreshes it; stale-if-error=0 turns off the stale
// fallback on origin errors.
func TestStaleWhileRevalidateAndStaleIfError(t *testing.T) {
	o := newTestOrigin(t)
	var mu sync.Mutex
	version, status := "v1", 200
	refreshed := make(chan struct{}, 1)
	o.handle("/swr", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		v := version
		mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=5, stale-while-revalidate=30")
		io.WriteString(w, v)
		if v == "v2" {
			select {
			case refreshed <- struct{}{}:
			default:
			}
		}
	})
	o.handle("/sie", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st := status
		mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=5, stale-if-error=0")
		w.WriteHeader(st)
		io.WriteString(w, "sie")
	})
	e := startEdge(t, baseConfig(""), o.port())
	e.get(t, "/swr")
	e.get(t, "/sie")
	mu.Lock()
	version, status = "v2", 503
	mu.Unlock()
	e.clock.Advance(10 * time.Second)
	r, b := e.get(t, "/swr")
	if b != "v1" || xcache(r) != "Hit from cloudfront" {
		t.Fatalf("within stale-while-revalidate: %q %s, want the stale v1 at once", b, xcache(r))
	}
	waitFor(t, refreshed, "the background refresh at the origin")
	// The origin has answered the refresh; the edge stores the answer as soon as it has read
	// it, with nothing a viewer can wait on, so ask until v2 comes (within a deadline).
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, b = e.get(t, "/swr"); b == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("background refresh never landed (origin saw %d requests)", o.count("/swr"))
		}
	}
	if n := o.count("/swr"); n != 2 {
		t.Errorf("origin saw %d requests, want 2 (one fill, one background refresh)", n)
	}
	if r, _ := e.get(t, "/sie"); r.StatusCode != 503 {
		t.Errorf("stale-if-error=0 and origin 503: %d, want the 503, not the stale copy", r.StatusCode)
	}
	e.clock.Advance(40 * time.Second)
	mu.Lock()
	version = "v3"
	mu.Unlock()
	if _, b := e.get(t, "/swr"); b != "v3" {
		t.Errorf("past stale-while-revalidate: %q, want a synchronous refetch (v3)", b)
	}
}
