package edge

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/net/http2"
)

// tlsEdge serves e over TLS (a self-signed certificate) and returns an HTTP/2 client for it
// and the listener's address.
func tlsEdge(t *testing.T, e *testEdge) (*http.Client, string) {
	t.Helper()
	ln := watchListener(t)
	go e.srv.ServeTLS(ln, nil, nil)
	waitFor(t, ln.accepting, "the TLS listener to accept")
	tr := &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: e.host}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, ln.Addr().String()
}

// h2do sends one request over HTTP/2 with the distribution's Host.
func h2do(t *testing.T, c *http.Client, addr, host, method, uri string, hdr map[string]string, body io.Reader) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, "https://"+addr+uri, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// TestHTTP2SamePipeline: over HTTP/2 a viewer gets what it gets over HTTP/1.1 — a miss then a
// hit with Age, ranges, 304s, HEAD, a body passed to the origin, the 413 for a head over
// 20,480 bytes, a disk hit from a file — and the access log says HTTP/2.0.
func TestHTTP2SamePipeline(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a.txt", 200, map[string]string{"Cache-Control": "max-age=600", "ETag": `"a1"`, "Content-Type": "text/plain"}, "hello over h2")
	o.handle("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %d %s", r.Method, len(b), b[:min(len(b), 5)])
	})
	big := bigBody(300 << 10)
	o.static("/big", 200, map[string]string{"Cache-Control": "max-age=600"}, string(big))
	var out syncBuffer
	alog, err := accesslog.New(accesslog.Config{W: &out})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := mustReplace(t, diskConfig(dir), "[distribution.default_behavior]\ntarget_origin_id = \"web\"\n",
		"[distribution.default_behavior]\ntarget_origin_id = \"web\"\nallowed_methods = [\"GET\", \"HEAD\", \"OPTIONS\", \"PUT\", \"POST\", \"PATCH\", \"DELETE\"]\n")
	reg := prometheus.NewRegistry()
	e := startDiskEdge(t, cfg, dir, o.port(), func(c *Config) { c.AccessLog, c.Metrics = alog, reg })
	c, addr := tlsEdge(t, e.testEdge)
	get := func(uri string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		r, b, err := h2do(t, c, addr, e.host, "GET", uri, hdr, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", uri, err)
		}
		if r.Proto != "HTTP/2.0" {
			t.Fatalf("GET %s over %s, want HTTP/2.0", uri, r.Proto)
		}
		return r, b
	}
	r, b := get("/a.txt", nil)
	if r.StatusCode != 200 || b != "hello over h2" || xcache(r) != "Miss from cloudfront" || r.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("miss: %d %q %q %v", r.StatusCode, b, xcache(r), r.Header)
	}
	e.clock.Advance(5e9)
	r, b = get("/a.txt", nil)
	if xcache(r) != "Hit from cloudfront" || b != "hello over h2" || r.Header.Get("Age") != "5" || r.Header.Get("Via") == "" || len(r.Header.Get("X-Amz-Cf-Id")) != 56 {
		t.Fatalf("hit: %q %q Age %q %v", xcache(r), b, r.Header.Get("Age"), r.Header)
	}
	if r, b = get("/a.txt", map[string]string{"Range": "bytes=6-7"}); r.StatusCode != 206 || b != "ov" {
		t.Fatalf("range: %d %q", r.StatusCode, b)
	}
	if r, _ = get("/a.txt", map[string]string{"If-None-Match": `"a1"`}); r.StatusCode != 304 {
		t.Fatalf("conditional: %d", r.StatusCode)
	}
	r, b, err = h2do(t, c, addr, e.host, "HEAD", "/a.txt", nil, nil)
	if err != nil || r.StatusCode != 200 || b != "" || r.ContentLength != int64(len("hello over h2")) {
		t.Fatalf("HEAD: %v %d %q %d", err, r.StatusCode, b, r.ContentLength)
	}
	r, b, err = h2do(t, c, addr, e.host, "POST", "/echo", nil, strings.NewReader(strings.Repeat("x", 100000)))
	if err != nil || r.StatusCode != 200 || b != "POST 100000 xxxxx" {
		t.Fatalf("POST: %v %q", err, b)
	}
	if r, b = get("/big", nil); xcache(r) != "Miss from cloudfront" || b != string(big) {
		t.Fatalf("large miss: %q, %d bytes", xcache(r), len(b))
	}
	if r, b = get("/big", nil); xcache(r) != "Hit from cloudfront" || b != string(big) {
		t.Fatalf("disk hit: %q, %d bytes", xcache(r), len(b))
	}
	r, _, err = h2do(t, c, addr, e.host, "GET", "/a.txt", map[string]string{"X-Big": strings.Repeat("b", 21000)}, nil)
	if err != nil || r.StatusCode != 413 || xcache(r) != "Error from cloudfront" {
		t.Fatalf("a head over 20,480 bytes: %v, want 413 Error", err)
	}
	alog.Close()
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		f, err := accesslog.ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		if f["cs-protocol-version"] != "HTTP/2.0" || f["cs-protocol"] != "https" {
			t.Errorf("log line %q: protocol %s/%s, want https/HTTP/2.0", f["cs-uri-stem"], f["cs-protocol"], f["cs-protocol-version"])
		}
		n++
	}
	if n != 8 { // every request but the 413, which (as over HTTP/1.1) is not a request
		t.Fatalf("%d access log lines, want 8", n)
	}
	dm := e.srv.snap.Load().dists[0].metrics
	if h2, h1 := testutil.ToFloat64(dm.results[protoH2][resultHit]), testutil.ToFloat64(dm.results[protoH1][resultHit]); h2 < 3 || h1 != 0 {
		t.Fatalf("edge_requests_total{result=Hit}: %v over HTTP/2.0, %v over HTTP/1.1; want them under protocol HTTP/2.0", h2, h1)
	}
}

// TestHTTP2ALPN: distributions get HTTP/2 unless their http_version is http1.1 (then ALPN
// offers http/1.1 only), and curl --http2 speaks HTTP/2 to the edge.
func TestHTTP2ALPN(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/x", 200, map[string]string{"Cache-Control": "max-age=60"}, "x")
	e := startEdge(t, baseConfig(""), o.port())
	ln := watchListener(t)
	go e.srv.ServeTLS(ln, nil, nil)
	waitFor(t, ln.accepting, "the TLS listener to accept")
	proto := func(server string) string {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, ServerName: server, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().NegotiatedProtocol
	}
	if p := proto(e.host); p != "h2" {
		t.Fatalf("ALPN for a default distribution: %q, want h2", p)
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	out, err := exec.Command(curl, "-sk", "--http2", "--resolve", e.host+":"+port+":127.0.0.1",
		"-o", "/dev/null", "-w", "%{http_version} %{http_code}", "https://"+e.host+":"+port+"/x").CombinedOutput()
	if err != nil || string(out) != "2 200" {
		t.Fatalf("curl --http2: %q, %v", out, err)
	}

	e2 := startEdge(t, mustReplace(t, baseConfig(""), `aliases = ["cdn.example.test"]`, "aliases = [\"cdn.example.test\"]\nhttp_version = \"http1.1\""), o.port())
	ln2 := watchListener(t)
	go e2.srv.ServeTLS(ln2, nil, nil)
	waitFor(t, ln2.accepting, "the TLS listener to accept")
	c, err := tls.Dial("tcp", ln2.Addr().String(), &tls.Config{InsecureSkipVerify: true, ServerName: "cdn.example.test", NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Fatalf("ALPN for an http1.1 distribution: %q", p)
	}
}

// TestHTTP2Curl: Debian's curl over HTTP/2 gets a miss, a hit, a range and Smooth fragments
// byte for byte from the TLS listener.
func TestHTTP2Curl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	media, _ := filepath.Abs("../testdata/media")
	demo := filepath.Join(media, "demo")
	o := newTestOrigin(t)
	o.serveDir(media)
	e := startEdge(t, smoothConfig, o.port())
	_, addr := tlsEdge(t, e)
	_, port, _ := net.SplitHostPort(addr)
	get := func(path string, extra ...string) (string, []byte) {
		t.Helper()
		f := filepath.Join(t.TempDir(), "body")
		args := append([]string{"-sk", "--http2", "-o", f, "-D", "-", "-w", "%{http_version}",
			"--resolve", "127.0.0.1:" + port + ":127.0.0.1"}, extra...)
		out, err := exec.Command(curl, append(args, "https://127.0.0.1:"+port+path)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", path, err, out)
		}
		if !strings.HasSuffix(string(out), "\n2") {
			t.Fatalf("curl %s: not over HTTP/2:\n%s", path, out)
		}
		b, _ := os.ReadFile(f)
		return string(out), b
	}
	ism, _ := os.ReadFile(filepath.Join(demo, "demo.ism"))
	if h, b := get("/demo/demo.ism"); !strings.Contains(h, "x-cache: Miss from cloudfront") || string(b) != string(ism) {
		t.Fatalf("miss:\n%s", h)
	}
	if h, b := get("/demo/demo.ism"); !strings.Contains(h, "x-cache: Hit from cloudfront") || string(b) != string(ism) {
		t.Fatalf("hit:\n%s", h)
	}
	if h, b := get("/demo/demo.ism", "-r", "10-19"); !strings.HasPrefix(h, "HTTP/2 206") || string(b) != string(ism[10:20]) {
		t.Fatalf("range:\n%s", h)
	}
	data, err := os.ReadFile(filepath.Join(demo, "demo_180.ismv"))
	if err != nil {
		t.Fatal(err)
	}
	want := fragmentRanges(t, data)
	for i, ts := range chunkTimes(t, filepath.Join(demo, "demo.ismc"), "video")[:3] {
		h, b := get(fmt.Sprintf("/demo/demo.ism/QualityLevels(150000)/Fragments(video=%d)", ts))
		if !strings.HasPrefix(h, "HTTP/2 200") || string(b) != string(want[i]) {
			t.Fatalf("fragment %d: %d bytes, want %d\n%s", i, len(b), len(want[i]), h)
		}
	}
}

// TestHTTP2WaitDoesNotHoldTheConnection: over one HTTP/2 connection, a request that waits — a
// miss whose origin is slow, or a cached 404 whose custom error page must be fetched from a slow
// origin — does not hold up the hits asked after it (the request detaches from the connection's
// loop before it waits, exchange.mayWait); each completes once its origin answers.
func TestHTTP2WaitDoesNotHoldTheConnection(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/hit", 200, map[string]string{"Cache-Control": "max-age=600"}, "hit")
	o.static("/gone", 404, map[string]string{"Cache-Control": "max-age=600"}, "origin 404")
	arrived := make(chan string, 4)
	gate := make(chan struct{}) // one token lets one slow request answer
	slow := func(cc string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			arrived <- r.URL.Path
			<-gate
			w.Header().Set("Cache-Control", cc)
			_, _ = io.WriteString(w, "slow "+r.URL.Path)
		}
	}
	o.handle("/slow", slow("max-age=600"))
	o.handle("/page.html", slow("no-store")) // never cached: every 404 fetches it again
	e := startEdge(t, baseConfig(`
[[distribution.custom_error_response]]
error_code = 404
response_page_path = "/page.html"
response_code = 404
`), o.port())
	c, addr := tlsEdge(t, e)
	c.Timeout = 10 * time.Second
	get := func(path string) (string, error) {
		r, body, err := h2do(t, c, addr, e.host, "GET", path, nil, nil)
		if err == nil && r.ProtoMajor != 2 {
			t.Fatalf("%s over %s", path, r.Proto)
		}
		return body, err
	}
	if _, err := get("/hit"); err != nil {
		t.Fatal(err)
	}
	go func() { <-arrived; gate <- struct{}{} }() // /gone's first page
	if body, err := get("/gone"); err != nil || body != "slow /page.html" {
		t.Fatalf("/gone: %q %v", body, err)
	}
	for _, waiter := range []string{"/slow", "/gone"} { // a miss; a hit whose page is fetched
		done := make(chan string, 1)
		go func() {
			body, err := get(waiter)
			if err != nil {
				body = err.Error()
			}
			done <- body
		}()
		<-arrived // it waits at the origin now
		for i := 0; i < 5; i++ {
			if body, err := get("/hit"); err != nil || body != "hit" {
				t.Fatalf("while %s waits: hit %d: %q %v", waiter, i, body, err)
			}
		}
		select {
		case body := <-done:
			t.Fatalf("%s answered (%q) before its origin did", waiter, body)
		default:
		}
		gate <- struct{}{}
		if body := <-done; !strings.HasPrefix(body, "slow /") {
			t.Fatalf("%s: %q", waiter, body)
		}
	}
}
