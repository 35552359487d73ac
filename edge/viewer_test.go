package edge

import (
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOriginRequestHeaders(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/h", 200, map[string]string{"Cache-Control": "no-store"}, "ok")
	e := startEdge(t, baseConfig(""), o.port())
	e.do(t, "GET", "/h?a=1", map[string]string{
		"User-Agent":        "Mozilla/5.0 test",
		"X-Forwarded-For":   "203.0.113.9",
		"Authorization":     "Bearer secret",
		"Cookie":            "session=abc",
		"Accept":            "text/html",
		"Accept-Language":   "en",
		"Referer":           "http://example.com/",
		"X-Real-Ip":         "1.2.3.4",
		"X-Forwarded-Proto": "https",
		"X-Edge-Thing":      "x",
		"Connection":        "keep-alive, X-Hop",
		"X-Hop":             "hop-by-hop",
		"Cache-Control":     "no-cache",
	})
	r := o.last("/h")
	want := map[string]string{
		"User-Agent":      "Amazon CloudFront",
		"X-Forwarded-For": "203.0.113.9,127.0.0.1",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("origin %s = %q, want %q", k, got, v)
		}
	}
	if !strings.HasPrefix(r.Host, "127.0.0.1") {
		t.Errorf("origin Host = %q, want the origin's domain", r.Host)
	}
	if !strings.HasSuffix(r.Header.Get("Via"), ".cloudfront.net (CloudFront)") {
		t.Errorf("origin Via = %q", r.Header.Get("Via"))
	}
	if id := r.Header.Get("X-Amz-Cf-Id"); !cfIDPattern.MatchString(id) {
		t.Errorf("origin X-Amz-Cf-Id = %q", id)
	}
	if r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("viewer Cache-Control not passed to the origin: %q", r.Header.Get("Cache-Control"))
	}
	for _, h := range []string{"Authorization", "Cookie", "Accept", "Accept-Language", "Referer", "X-Real-Ip", "X-Forwarded-Proto", "X-Edge-Thing", "X-Hop"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("origin received %s: %q (must be stripped)", h, v)
		}
	}
	if r.URI != "/h" {
		t.Errorf("origin URI = %q: the legacy default forwards no query string", r.URI)
	}
}

func TestMethodsAndPolicies(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/index.html", 200, map[string]string{"Content-Type": "text/html"}, "<h1>root</h1>")
	o.static("/api/x", 200, map[string]string{"Cache-Control": "no-store"}, "posted")
	o.static("/secure/x", 200, nil, "secure")
	e := startEdge(t, baseConfig(`
[[distribution.behavior]]
path_pattern = "/api/*"
target_origin_id = "web"
allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
[[distribution.behavior]]
path_pattern = "/secure/*"
target_origin_id = "web"
viewer_protocol_policy = "redirect-to-https"
`), o.port())

	r, body := e.do(t, "POST", "/index.html", nil)
	if r.StatusCode != 403 || xcache(r) != "Error from cloudfront" || !strings.Contains(body, "not configured to allow the HTTP request method") || !strings.Contains(body, r.Header.Get("X-Amz-Cf-Id")) {
		t.Errorf("POST on a GET/HEAD behavior: %d %q\n%s", r.StatusCode, xcache(r), body)
	}
	if r.Header.Get("Server") != "CloudFront" {
		t.Errorf("error page Server = %q", r.Header.Get("Server"))
	}
	if o.count("/index.html") != 0 {
		t.Errorf("a refused method reached the origin")
	}
	r, body = e.do(t, "POST", "/api/x", nil)
	if r.StatusCode != 200 || body != "posted" {
		t.Errorf("POST on an all-methods behavior: %d %q", r.StatusCode, body)
	}
	if o.last("/api/x").Method != "POST" {
		t.Errorf("origin saw %s", o.last("/api/x").Method)
	}
	r, body = e.get(t, "/")
	if r.StatusCode != 200 || body != "<h1>root</h1>" {
		t.Errorf("default root object: %d %q", r.StatusCode, body)
	}
	r, body = e.do(t, "HEAD", "/", nil)
	if r.StatusCode != 200 || body != "" || r.ContentLength != int64(len("<h1>root</h1>")) {
		t.Errorf("HEAD: %d %q len %d", r.StatusCode, body, r.ContentLength)
	}
	r, _ = e.get(t, "/secure/x")
	if r.StatusCode != 301 || r.Header.Get("Location") != "https://"+e.host+"/secure/x" || xcache(r) != "Redirect from cloudfront" {
		t.Errorf("redirect-to-https: %d %q %q", r.StatusCode, r.Header.Get("Location"), xcache(r))
	}
	// An absolute-form target redirects to its path and query, not to the whole target.
	r, _ = e.raw(t, "GET http://"+e.host+"/secure/x?a=1 HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n")
	if r.StatusCode != 301 || r.Header.Get("Location") != "https://"+e.host+"/secure/x?a=1" {
		t.Errorf("redirect-to-https, absolute-form: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r, _ = e.do(t, "GET", "/index.html", map[string]string{"Host": "unknown.example"})
	if r.StatusCode != 403 || xcache(r) != "Error from cloudfront" {
		t.Errorf("unknown Host: %d %q", r.StatusCode, xcache(r))
	}
	r, _ = e.do(t, "GET", "/index.html", map[string]string{"Host": "CDN.Example.Test:8080"})
	if r.StatusCode != 200 {
		t.Errorf("alias with port and case: %d", r.StatusCode)
	}
}

func TestConditionalAndRangeFromCache(t *testing.T) {
	o := newTestOrigin(t)
	const body = "0123456789abcdefghij"
	o.static("/f", 200, map[string]string{"ETag": `"e1"`, "Last-Modified": "Mon, 02 Jan 2006 15:04:05 GMT", "Content-Type": "text/plain"}, body)
	e := startEdge(t, baseConfig(""), o.port())
	e.get(t, "/f")

	cases := []struct {
		name   string
		hdr    map[string]string
		status int
		body   string
		cr     string
	}{
		{"if-none-match", map[string]string{"If-None-Match": `"e1"`}, 304, "", ""},
		{"if-none-match weak", map[string]string{"If-None-Match": `W/"e1"`}, 304, "", ""},
		{"if-none-match other", map[string]string{"If-None-Match": `"zz"`}, 200, body, ""},
		{"if-modified-since", map[string]string{"If-Modified-Since": "Mon, 02 Jan 2006 15:04:05 GMT"}, 304, "", ""},
		{"if-modified-since older", map[string]string{"If-Modified-Since": "Sun, 01 Jan 2006 15:04:05 GMT"}, 200, body, ""},
		{"single range", map[string]string{"Range": "bytes=2-5"}, 206, "2345", "bytes 2-5/20"},
		{"suffix range", map[string]string{"Range": "bytes=-3"}, 206, "hij", "bytes 17-19/20"},
		{"open range", map[string]string{"Range": "bytes=18-"}, 206, "ij", "bytes 18-19/20"},
		{"past end clipped", map[string]string{"Range": "bytes=15-99"}, 206, "fghij", "bytes 15-19/20"},
		{"unsatisfiable", map[string]string{"Range": "bytes=50-60"}, 416, "", "bytes */20"},
		{"unsorted: full", map[string]string{"Range": "bytes=10-12,0-2"}, 200, body, ""},
		{"overlapping: full", map[string]string{"Range": "bytes=0-5,3-8"}, 200, body, ""},
		{"invalid: full", map[string]string{"Range": "bytes=x-2"}, 200, body, ""},
		{"if-range match", map[string]string{"Range": "bytes=0-1", "If-Range": `"e1"`}, 206, "01", "bytes 0-1/20"},
		{"if-range stale", map[string]string{"Range": "bytes=0-1", "If-Range": `"old"`}, 200, body, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, b := e.do(t, "GET", "/f", c.hdr)
			if r.StatusCode != c.status || b != c.body || r.Header.Get("Content-Range") != c.cr {
				t.Fatalf("got %d %q Content-Range %q; want %d %q %q", r.StatusCode, b, r.Header.Get("Content-Range"), c.status, c.body, c.cr)
			}
			if xcache(r) != "Hit from cloudfront" {
				t.Errorf("X-Cache = %q", xcache(r))
			}
		})
	}
	t.Run("multipart", func(t *testing.T) {
		r, b := e.do(t, "GET", "/f", map[string]string{"Range": "bytes=0-1,5-6"})
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if r.StatusCode != 206 || err != nil || mt != "multipart/byteranges" {
			t.Fatalf("%d %q %v", r.StatusCode, r.Header.Get("Content-Type"), err)
		}
		mr := multipart.NewReader(strings.NewReader(b), params["boundary"])
		var parts []string
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			pb, _ := io.ReadAll(p)
			parts = append(parts, p.Header.Get("Content-Range")+"="+string(pb))
		}
		if strings.Join(parts, ";") != "bytes 0-1/20=01;bytes 5-6/20=56" {
			t.Fatalf("parts %q", parts)
		}
	})
	if o.count("/f") != 1 {
		t.Errorf("origin saw %d requests, want 1", o.count("/f"))
	}
}

func TestRequestLimits(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/x", 200, nil, "x")
	e := startEdge(t, baseConfig(""), o.port())
	long := "/x?" + strings.Repeat("a", 8200)
	r, _ := e.raw(t, "GET "+long+" HTTP/1.1\r\nHost: "+e.host+"\r\n\r\n")
	if r.StatusCode != 413 || !r.Close {
		t.Errorf("URL over 8192 bytes: %d close=%v", r.StatusCode, r.Close)
	}
	big := "GET /x HTTP/1.1\r\nHost: " + e.host + "\r\n"
	for i := 0; i < 30; i++ {
		big += fmt.Sprintf("X-Pad-%d: %s\r\n", i, strings.Repeat("p", 1000))
	}
	r, _ = e.raw(t, big+"\r\n")
	if r.StatusCode != 413 || !r.Close || xcache(r) != "Error from cloudfront" {
		t.Errorf("headers over 20480 bytes: %d close=%v %q", r.StatusCode, r.Close, xcache(r))
	}
	r, _ = e.raw(t, "GET /x HTTP/1.1\r\nHost: "+e.host+"\r\nX-Pad: "+strings.Repeat("p", 15000)+"\r\n\r\n")
	if r.StatusCode != 200 {
		t.Errorf("headers under the limit: %d", r.StatusCode)
	}
	if o.count("/x") != 1 {
		t.Errorf("oversized requests reached the origin: %d", o.count("/x"))
	}
}

func TestOriginFailures(t *testing.T) {
	o := newTestOrigin(t)
	o.handle("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		io.WriteString(w, "only this")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	o.handle("/short-chunked", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, "first chunk")
		w.(http.Flusher).Flush() // chunked, as no length was set
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	testDone := make(chan struct{})
	t.Cleanup(func() { close(testDone) })
	o.handle("/slow", func(w http.ResponseWriter, r *http.Request) {
		// No answer within the 2 s read timeout: hold the request until the edge gives up and
		// closes the connection.
		select {
		case <-r.Context().Done():
		case <-testDone:
		}
		io.WriteString(w, "late")
	})
	e := startEdge(t, baseConfig(""), o.port())

	// A body cut short (under its Content-Length, or chunked before its last chunk) reaches the
	// viewer visibly short, and is never cached: each request goes to the origin.
	for _, path := range []string{"/short", "/short-chunked"} {
		for i := 0; i < 2; i++ {
			req, _ := http.NewRequest("GET", "http://"+e.addr+path, nil)
			req.Host = e.host
			resp, err := viewer.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil || len(b) >= 1000 {
				t.Fatalf("%s: cut body delivered as complete: %d bytes, err %v", path, len(b), rerr)
			}
		}
		if n := o.count(path); n != 2 {
			t.Errorf("%s: cut body was cached: origin saw %d requests, want 2", path, n)
		}
	}
	// No answer within the read timeout: 504, cached as an error.
	r, body := e.get(t, "/slow")
	if r.StatusCode != 504 || xcache(r) != "Error from cloudfront" || !strings.Contains(body, "The request could not be satisfied") {
		t.Errorf("slow origin: %d %q", r.StatusCode, xcache(r))
	}
	// Nothing listening: 504.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	e2 := startEdge(t, baseConfig(""), port)
	r, _ = e2.get(t, "/any")
	if r.StatusCode != 504 || xcache(r) != "Error from cloudfront" {
		t.Errorf("origin down: %d %q", r.StatusCode, xcache(r))
	}
}

// TestLargeObjectStreams streams a 512 MiB origin object through the edge (over max_object_size,
// so it is not cached) and checks the process heap stays under 64 MiB meanwhile.
func TestLargeObjectStreams(t *testing.T) {
	const size = 512 << 20
	o := newTestOrigin(t)
	o.handle("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.Header().Set("Content-Type", "application/octet-stream")
		buf := make([]byte, 64<<10)
		for i := range buf {
			buf[i] = byte(i)
		}
		for sent := 0; sent < size; sent += len(buf) {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	})
	e := startEdge(t, baseConfig(""), o.port())
	var n int64
	var err error
	peak := heapPeak(func() {
		req, _ := http.NewRequest("GET", "http://"+e.addr+"/big", nil)
		req.Host = e.host
		resp, rerr := viewer.Do(req)
		if rerr != nil {
			err = rerr
			return
		}
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})
	if err != nil || n != size {
		t.Fatalf("streamed %d bytes, err %v", n, err)
	}
	if peak > 64<<20 {
		t.Fatalf("heap peaked at %d MiB while streaming 512 MiB, want < 64 MiB", peak>>20)
	}
	t.Logf("heap peak %.1f MiB", float64(peak)/(1<<20))
	resp2, _ := e.do(t, "HEAD", "/big", nil)
	if resp2.ContentLength != size {
		t.Errorf("HEAD Content-Length %d", resp2.ContentLength)
	}
}

func TestDirOriginTraversal(t *testing.T) {
	root := t.TempDir()
	site := filepath.Join(root, "site")
	os.MkdirAll(filepath.Join(site, "sub"), 0o755)
	os.WriteFile(filepath.Join(site, "index.html"), []byte("inside"), 0o644)
	os.WriteFile(filepath.Join(site, "sub", "a.txt"), []byte("sub-a"), 0o644)
	os.WriteFile(filepath.Join(root, "secret.txt"), []byte("TOP-SECRET"), 0o644)
	os.Symlink(filepath.Join(root, "secret.txt"), filepath.Join(site, "link.txt"))
	cfg := mustReplace(t, baseConfig(""), `kind = "http"`, `kind = "dir"
path = "`+site+`"`)
	cfg = mustReplace(t, cfg, "domain_name = \"127.0.0.1\"\nhttp_port = {{ORIGIN_PORT}}\n", "")
	e := startEdge(t, cfg, 0)
	r, b := e.get(t, "/sub/a.txt")
	if r.StatusCode != 200 || b != "sub-a" {
		t.Fatalf("dir origin: %d %q", r.StatusCode, b)
	}
	attempts := []string{
		"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
		"/%2F..%2F..%2Fsecret.txt", "/sub/..\\..\\secret.txt", "/sub/%5c..%5c..%5csecret.txt",
		"/link.txt", "/sub/../../secret.txt", "/%2e%2e%2fsecret.txt", "/.%2e/secret.txt", "//../secret.txt",
	}
	for _, p := range attempts {
		r, b := e.raw(t, "GET "+p+" HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n")
		if strings.Contains(b, "TOP-SECRET") {
			t.Errorf("%s escaped the folder: %d", p, r.StatusCode)
		}
		if r.StatusCode == 200 && b != "inside" {
			t.Errorf("%s: 200 with %q", p, b)
		}
	}
}

func TestBehaviorsRouteAndKey(t *testing.T) {
	o := newTestOrigin(t)
	o2 := newTestOrigin(t)
	o.static("/img/a.jpg", 200, nil, "from web")
	o2.static("/img/a.jpg", 200, nil, "from images")
	o2.static("/q", 200, nil, "q")
	cfg := baseConfig(fmt.Sprintf(`
[[distribution.origin]]
id = "images"
kind = "http"
domain_name = "127.0.0.1"
http_port = %d
[[distribution.behavior]]
path_pattern = "*.jpg"
target_origin_id = "images"
[[distribution.behavior]]
path_pattern = "/q"
target_origin_id = "images"
[distribution.behavior.forwarded_values]
query_string = true
query_string_cache_keys = ["v"]
`, o2.port()))
	e := startEdge(t, cfg, o.port())
	if _, b := e.get(t, "/img/a.jpg"); b != "from images" {
		t.Errorf("*.jpg routed to %q", b)
	}
	e.get(t, "/q?v=1&junk=1")
	r, _ := e.get(t, "/q?junk=2&v=1")
	if xcache(r) != "Hit from cloudfront" {
		t.Errorf("query not in the key changed the key: %q", xcache(r))
	}
	r, _ = e.get(t, "/q?v=2")
	if xcache(r) != "Miss from cloudfront" {
		t.Errorf("key query string ignored: %q", xcache(r))
	}
	if got := o2.last("/q").URI; got != "/q?v=2" {
		t.Errorf("origin URI %q: all query strings are forwarded", got)
	}
}

func TestGracefulShutdown(t *testing.T) {
	o := newTestOrigin(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	open := sync.OnceFunc(func() { close(release) })
	t.Cleanup(open)
	o.handle("/slowok", func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		io.WriteString(w, "finished")
	})
	e := startEdge(t, baseConfig(""), o.port())
	ln := watchListener(t)
	go e.srv.Serve(ln)
	got := make(chan string, 1)
	go func() {
		_, b := e.via(ln).get(t, "/slowok")
		got <- b
	}()
	waitFor(t, entered, "the request at the origin")
	shutdown := make(chan error, 1)
	go func() { shutdown <- e.srv.Shutdown(t.Context()) }()
	waitFor(t, ln.closed, "Shutdown to close the listeners")
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}
	open()
	if err := waitFor(t, shutdown, "Shutdown to return"); err != nil {
		t.Fatal(err)
	}
	if b := waitFor(t, got, "the in-flight response"); b != "finished" {
		t.Fatalf("in-flight request got %q", b)
	}
	for _, addr := range []string{e.addr, ln.Addr().String()} {
		if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			t.Errorf("%s still accepting after Shutdown", addr)
		}
	}
}

// TestCustomErrorResponses: an SPA-style 404 → /index.html with 200, the page fetched through
// the behavior matching its path and cached; a missing page gives the page origin's status.
func TestCustomErrorResponses(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/index.html", 200, map[string]string{"Content-Type": "text/html"}, "<app>")
	o.static("/boom", 503, nil, "origin down")
	e := startEdge(t, baseConfig(`
[[distribution.custom_error_response]]
error_code = 404
response_page_path = "/index.html"
response_code = 200
[[distribution.custom_error_response]]
error_code = 503
response_page_path = "/errors/503.html"
response_code = 503
`), o.port())
	for i := 0; i < 2; i++ {
		r, b := e.get(t, "/some/client/route")
		if r.StatusCode != 200 || b != "<app>" || xcache(r) != "Error from cloudfront" {
			t.Fatalf("404 with a custom page: %d %q %q", r.StatusCode, b, xcache(r))
		}
	}
	if o.count("/index.html") != 1 || o.count("/some/client/route") != 1 {
		t.Errorf("origin saw page %d times, route %d times: both should be cached", o.count("/index.html"), o.count("/some/client/route"))
	}
	r, _ := e.get(t, "/boom")
	if r.StatusCode != 404 {
		t.Errorf("custom page missing on its origin: %d, want the page origin's 404", r.StatusCode)
	}
}

// TestHTTPSViewers: the TLS listener (self-signed for the distribution's names) serves behaviors
// whose policy refuses or redirects plain http.
func TestHTTPSViewers(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/secure/x", 200, nil, "secure")
	e := startEdge(t, baseConfig(`
[[distribution.behavior]]
path_pattern = "/secure/*"
target_origin_id = "web"
viewer_protocol_policy = "https-only"
`), o.port())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.ServeTLS(ln, nil, nil)
	if r, _ := e.get(t, "/secure/x"); r.StatusCode != 403 {
		t.Errorf("https-only over http: %d, want 403", r.StatusCode)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: e.host}}}
	req, _ := http.NewRequest("GET", "https://"+ln.Addr().String()+"/secure/x", nil)
	req.Host = e.host
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "secure" {
		t.Fatalf("https-only over https: %d %q", resp.StatusCode, b)
	}
	if cert := resp.TLS.PeerCertificates[0]; cert.VerifyHostname(e.host) != nil || cert.VerifyHostname("cdn.example.test") != nil {
		t.Errorf("self-signed certificate names %v, want the domain name and aliases", cert.DNSNames)
	}
	// redirect-to-https points at the TLS listener's port.
	o.static("/r/x", 200, nil, "r")
	e2 := startEdge(t, baseConfig(`
[[distribution.behavior]]
path_pattern = "/r/*"
target_origin_id = "web"
viewer_protocol_policy = "redirect-to-https"
`), o.port())
	ln2 := watchListener(t)
	go e2.srv.ServeTLS(ln2, nil, nil)
	waitFor(t, ln2.accepting, "the TLS listener to accept") // ServeTLS knows its port by then
	r, _ := e2.do(t, "GET", "/r/x?a=1", map[string]string{"Host": "cdn.example.test:8080"})
	port := ln2.Addr().(*net.TCPAddr).Port
	if want := fmt.Sprintf("https://cdn.example.test:%d/r/x?a=1", port); r.StatusCode != 301 || r.Header.Get("Location") != want {
		t.Errorf("redirect: %d %q, want 301 to %q", r.StatusCode, r.Header.Get("Location"), want)
	}
}

// TestVaryTrimmed: the origin's Vary keeps Accept-Encoding, Cookie and forwarded headers only.
func TestVaryTrimmed(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/v", 200, map[string]string{"Vary": "Accept-Encoding, User-Agent, X-Device, Origin, Cookie"}, "v")
	e := startEdge(t, mustReplace(t, baseConfig(""), "[distribution.default_behavior]\ntarget_origin_id = \"web\"\n",
		"[distribution.default_behavior]\ntarget_origin_id = \"web\"\ncache_policy = \"CachingOptimized\"\norigin_request_policy = \"CORS-CustomOrigin\"\n"), o.port())
	r, _ := e.get(t, "/v")
	if got := r.Header.Get("Vary"); got != "Accept-Encoding, Origin, Cookie" {
		t.Errorf("Vary = %q, want the forwarded names only", got)
	}
	// Vary: * with MinTTL 0 (legacy default behavior here): every request goes to the origin.
	o.static("/star", 200, map[string]string{"Vary": "*", "Cache-Control": "max-age=600"}, "s")
	e2 := startEdge(t, baseConfig(""), o.port())
	e2.get(t, "/star")
	if r, _ := e2.get(t, "/star"); xcache(r) == "Hit from cloudfront" || o.count("/star") != 2 {
		t.Errorf("Vary: * with MinTTL 0 was served from cache (origin saw %d)", o.count("/star"))
	}
}
