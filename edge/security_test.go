package edge

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// rawExchange writes a raw request on a new connection and returns the status line and the whole
// answer read until the edge closes or deadline passes.
func (e *testEdge) rawExchange(t testing.TB, request string, deadline time.Duration) (string, string, time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.SetDeadline(start.Add(deadline))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	status, _ := br.ReadString('\n')
	took := time.Since(start)
	rest, _ := io.ReadAll(br)
	return strings.TrimSpace(status), string(rest), took
}

// keyHeaderConfig has a behavior whose cache key holds the X-Lang header (a custom cache policy).
func keyHeaderConfig() string {
	return `
[[cache_policy]]
name = "ByLang"
min_ttl = 0
default_ttl = 60
max_ttl = 600
headers = { behavior = "whitelist", names = ["X-Lang"] }
` + baseConfig(`
[[distribution.behavior]]
path_pattern = "/lang"
target_origin_id = "web"
cache_policy = "ByLang"
`)
}

// echoLang registers /lang answering with the X-Lang values the origin received.
func echoLang(o *testOrigin) {
	o.handle("/lang", func(w http.ResponseWriter, r *http.Request) {
		v, ok := r.Header["X-Lang"]
		fmt.Fprintf(w, "present=%v values=%q", ok, v)
	})
}

// TestKeyHoldsTheOriginPath (issue item A.1): the cache key holds exactly the path the origin
// receives, so a request can never fill an entry that another path reads.
func TestKeyHoldsTheOriginPath(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/c2.txt", 200, map[string]string{"Cache-Control": "max-age=60"}, "c2")
	o.handle("/app/a/b", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "uri="+r.RequestURI)
	})
	e := startEdge(t, baseConfig(""), o.port())

	// "//c2.txt" reaches the origin as sent (which has no such object) and is cached under it.
	st, _, _ := e.rawExchange(t, "GET //c2.txt HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n", 10*time.Second)
	if !strings.Contains(st, " 404") {
		t.Fatalf("//c2.txt: %s", st)
	}
	if got := o.last("//c2.txt").URI; got != "//c2.txt" {
		t.Errorf("origin got %q", got)
	}
	r, body := e.get(t, "/c2.txt")
	if r.StatusCode != 200 || body != "c2" || xcache(r) != "Miss from cloudfront" {
		t.Errorf("/c2.txt after //c2.txt: %d %q %s (answered from the other path's entry)", r.StatusCode, body, xcache(r))
	}

	// An encoded slash is another path for the origin, so another key.
	if _, body = e.get(t, "/app/a%2Fb"); body != "uri=/app/a%2Fb" {
		t.Fatalf("/app/a%%2Fb: %q", body)
	}
	r, body = e.get(t, "/app/a/b")
	if body != "uri=/app/a/b" || xcache(r) != "Miss from cloudfront" {
		t.Errorf("/app/a/b after /app/a%%2Fb: %q %s", body, xcache(r))
	}
	// And each is a hit on its own key.
	if r, body = e.get(t, "/app/a%2Fb"); body != "uri=/app/a%2Fb" || xcache(r) != "Hit from cloudfront" {
		t.Errorf("/app/a%%2Fb again: %q %s", body, xcache(r))
	}
	// Dot-segments: the behavior is chosen on the normalised path, the origin gets the path as sent
	// (and this origin has nothing there).
	st, _, _ = e.rawExchange(t, "GET /x/../app/a/b HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n", 10*time.Second)
	if !strings.Contains(st, " 404") || o.count("/x/../app/a/b") != 1 {
		t.Errorf("/x/../app/a/b: %s, origin saw it %d times", st, o.count("/x/../app/a/b"))
	}
	if r, body = e.get(t, "/app/a/b"); body != "uri=/app/a/b" || xcache(r) != "Hit from cloudfront" {
		t.Errorf("/app/a/b after /x/../app/a/b: %q %s", body, xcache(r))
	}
}

// TestKeyHoldsEveryForwardedValue (A.2): a repeated key header is keyed on all its values, in
// order, and an empty one is keyed apart from an absent one, as each is forwarded.
func TestKeyHoldsEveryForwardedValue(t *testing.T) {
	o := newTestOrigin(t)
	echoLang(o)
	e := startEdge(t, keyHeaderConfig(), o.port())
	send := func(hdr string) (string, string) {
		st, rest, _ := e.rawExchange(t, "GET /lang HTTP/1.1\r\nHost: "+e.host+"\r\n"+hdr+"Connection: close\r\n\r\n", 10*time.Second)
		if !strings.Contains(st, " 200") {
			t.Fatalf("%q: %s", hdr, st)
		}
		xc := ""
		if i := strings.Index(rest, "X-Cache: "); i >= 0 {
			xc = rest[i+9 : i+9+strings.IndexByte(rest[i+9:], '\r')]
		}
		return xc, rest[strings.Index(rest, "\r\n\r\n")+4:]
	}
	cases := []struct{ hdr, body string }{
		{"X-Lang: en\r\nX-Lang: evil\r\n", `present=true values=["en" "evil"]`},
		{"X-Lang: en\r\n", `present=true values=["en"]`},
		{"X-Lang: evil\r\nX-Lang: en\r\n", `present=true values=["evil" "en"]`},
		{"X-Lang: en,evil\r\n", `present=true values=["en,evil"]`},
		{"X-Lang:\r\n", `present=true values=[""]`},
		{"", `present=false values=[]`},
	}
	for _, c := range cases {
		xc, body := send(c.hdr)
		if xc != "Miss from cloudfront" || body != c.body {
			t.Errorf("%q: %s %q, want a Miss with %q", c.hdr, xc, body, c.body)
		}
	}
	for _, c := range cases {
		if xc, body := send(c.hdr); xc != "Hit from cloudfront" || body != c.body {
			t.Errorf("%q again: %s %q, want a Hit with %q", c.hdr, xc, body, c.body)
		}
	}
}

// TestConnectionNamedHeaders (A.3): a header the viewer names in Connection is hop-by-hop: it is
// neither forwarded nor keyed.
func TestConnectionNamedHeaders(t *testing.T) {
	o := newTestOrigin(t)
	echoLang(o)
	e := startEdge(t, keyHeaderConfig(), o.port())
	st, rest, _ := e.rawExchange(t, "GET /lang HTTP/1.1\r\nHost: "+e.host+"\r\nX-Lang: en\r\nConnection: keep-alive, X-Lang\r\n\r\n", 10*time.Second)
	if !strings.Contains(st, " 200") || !strings.Contains(rest, "present=false") {
		t.Fatalf("Connection: X-Lang: %s %q (X-Lang must not be forwarded)", st, rest)
	}
	// The answer was made without X-Lang: it must not answer a viewer that sends X-Lang: en ...
	r, body := e.do(t, "GET", "/lang", map[string]string{"X-Lang": "en"})
	if xcache(r) != "Miss from cloudfront" || body != `present=true values=["en"]` {
		t.Errorf("X-Lang: en after the hop-by-hop one: %s %q", xcache(r), body)
	}
	// ... but it is the answer for a viewer without X-Lang.
	if r, body = e.get(t, "/lang"); xcache(r) != "Hit from cloudfront" || body != "present=false values=[]" {
		t.Errorf("no X-Lang: %s %q", xcache(r), body)
	}
}

// TestRequestSyntaxLimits (A.6, A.7): a field name that is not a token gets 400; CloudFront's
// 20,480-byte limit on the request line and headers is exact; a bare-LF request is answered at
// once; HTTP versions other than 1.0 and 1.1 get 505.
func TestRequestSyntaxLimits(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a", 200, nil, "a")
	e := startEdge(t, baseConfig(""), o.port())
	host := "Host: " + e.host + "\r\n"

	if st, _, _ := e.rawExchange(t, "GET /a HTTP/1.1\r\n"+host+"Transfer-Encoding x: chunked\r\n\r\n", 10*time.Second); !strings.Contains(st, " 400") {
		t.Errorf("space in a field name: %s", st)
	}
	if n := o.count("/a"); n != 0 {
		t.Errorf("the bad request reached the origin %d times", n)
	}
	sized := func(n int) string {
		head := "GET /a HTTP/1.1\r\n" + host + "X-Pad: "
		return head + strings.Repeat("p", n-len(head)-4) + "\r\n\r\n"
	}
	for _, c := range []struct {
		size int
		want string
	}{{20479, " 200"}, {20480, " 200"}, {20481, " 413"}, {21504, " 413"}} {
		if st, _, _ := e.rawExchange(t, sized(c.size), 10*time.Second); !strings.Contains(st, c.want) {
			t.Errorf("request of %d bytes: %s, want%s", c.size, st, c.want)
		}
	}
	st, _, took := e.rawExchange(t, "GET /a HTTP/1.1\n"+strings.TrimSuffix(host, "\r\n")+"\n\n", 10*time.Second)
	if !strings.Contains(st, " 400") || took > 5*time.Second {
		t.Errorf("bare LF: %q after %v, want 400 at once", st, took)
	}
	// A second request on the same connection is watched too.
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /a HTTP/1.1\r\n"+host+"\r\n")
	if r, err := http.ReadResponse(br, nil); err != nil || r.StatusCode != 200 {
		t.Fatalf("first request: %v %v", r, err)
	} else {
		io.Copy(io.Discard, r.Body)
	}
	io.WriteString(c, "GET /a HTTP/1.1\nHost: x\n\n")
	if r, err := http.ReadResponse(br, nil); err != nil || r.StatusCode != 400 {
		t.Errorf("bare LF on a kept-alive connection: %v %v", r, err)
	}
	for _, v := range []string{"HTTP/2.0", "HTTP/1.2", "HTTP/9.9"} {
		if st, _, _ := e.rawExchange(t, "GET /a "+v+"\r\n"+host+"\r\n", 10*time.Second); !strings.Contains(st, " 505") {
			t.Errorf("%s: %s, want 505", v, st)
		}
	}
	if st, _, _ := e.rawExchange(t, "GET /a HTTP/1.0\r\n"+host+"\r\n", 10*time.Second); !strings.Contains(st, " 200") {
		t.Errorf("HTTP/1.0: %s", st)
	}
}

// TestWildcardAliases (A.9): "*.example.test" answers for one label below example.test; an exact
// alias wins over it.
func TestWildcardAliases(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/who", 200, nil, "first")
	o2 := newTestOrigin(t)
	o2.static("/who", 200, nil, "second")
	cfg := strings.Replace(baseConfig(""), `aliases = ["cdn.example.test"]`, `aliases = ["*.example.test"]`, 1)
	if !strings.Contains(cfg, `"*.example.test"`) {
		t.Fatal("fixture drifted")
	}
	cfg += fmt.Sprintf(`
[[distribution]]
id = "ESECONDDIST"
domain_name = "dsecond00000001.cloudfront.net"
aliases = ["exact.example.test"]
[[distribution.origin]]
id = "web2"
kind = "http"
domain_name = "127.0.0.1"
http_port = %d
[distribution.default_behavior]
target_origin_id = "web2"
`, o2.port())
	e := startEdge(t, cfg, o.port())
	for _, c := range []struct {
		host   string
		status int
		body   string
	}{
		{"a.example.test", 200, "first"},
		{"A.Example.Test:8080", 200, "first"},
		{"exact.example.test", 200, "second"},
		{"a.b.example.test", 403, ""},
		{"example.test", 403, ""},
		{".example.test", 403, ""},
		{"*.example.test", 200, "first"},
	} {
		r, body := e.do(t, "GET", "/who", map[string]string{"Host": c.host})
		if r.StatusCode != c.status || c.body != "" && body != c.body {
			t.Errorf("Host %s: %d %q, want %d %q", c.host, r.StatusCode, body, c.status, c.body)
		}
	}
}

// TestSignedWildcardEscape (A.4): a signed policy for /members/public/* admits no path that an
// origin would resolve outside it.
func TestSignedWildcardEscape(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/members/secret.txt", 200, nil, "secret")
	o.static("/members/public/a.txt", 200, nil, "public")
	e, priv := startSignedEdge(t, o, "/members/*")
	policy := sign.NewCannedPolicy("http://"+e.host+"/members/public/*", time.Now().Add(time.Hour))
	u, err := sign.NewURLSigner("K2JCJMDEHXQW5F", priv).SignWithPolicy("http://"+e.host+"/any", policy)
	if err != nil {
		t.Fatal(err)
	}
	q := u[strings.IndexByte(u, '?')+1:]
	if r, body := e.get(t, "/members/public/a.txt?"+q); r.StatusCode != 200 || body != "public" {
		t.Fatalf("inside the policy: %d %q", r.StatusCode, body)
	}
	for _, p := range []string{
		"/members/public/../secret.txt",
		"/members/public/%2e%2e/secret.txt",
		"/members/public/%2E./secret.txt",
		"/members/public/..%2fsecret.txt",
		"/members/public/..%5Csecret.txt",
		"/members/public/.%2e/secret.txt",
		"/members/public/./../secret.txt",
	} {
		st, rest, _ := e.rawExchange(t, "GET "+p+"?"+q+" HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n", 10*time.Second)
		if !strings.Contains(st, " 403") || !strings.Contains(rest, "<Code>AccessDenied</Code>") {
			t.Errorf("%s: %s %q", p, st, rest)
		}
	}
	if n := o.count("/members/secret.txt"); n != 0 {
		t.Errorf("the origin was asked for the secret %d times", n)
	}
}

// TestAgeAndDate (B.11, B.12, B.13): the origin's Age is part of the entry's age, Expires counts
// from the origin's Date, the origin's Date is replayed (or the receive time when it sent none),
// and Age is sent on every answer from the cache, misses included.
func TestAgeAndDate(t *testing.T) {
	o := newTestOrigin(t)
	e := startEdge(t, baseConfig(""), o.port())
	now := e.clock.Now
	httpDate := func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
	var originDate string
	o.handle("/aged", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		w.Header().Set("Age", "100")
		originDate = httpDate(now())
		w.Header().Set("Date", originDate)
		io.WriteString(w, "aged")
	})
	r, _ := e.get(t, "/aged")
	if xcache(r) != "Miss from cloudfront" || r.Header.Get("Age") != "100" || r.Header.Get("Date") != originDate {
		t.Errorf("miss: %s Age=%q Date=%q (origin %q)", xcache(r), r.Header.Get("Age"), r.Header.Get("Date"), originDate)
	}
	e.clock.Advance(150 * time.Second)
	if r, _ = e.get(t, "/aged"); xcache(r) != "Hit from cloudfront" || r.Header.Get("Age") != "250" || r.Header.Get("Date") != originDate {
		t.Errorf("hit: %s Age=%q Date=%q", xcache(r), r.Header.Get("Age"), r.Header.Get("Date"))
	}
	e.clock.Advance(51 * time.Second) // age 301 > 300: stale
	if r, _ = e.get(t, "/aged"); xcache(r) == "Hit from cloudfront" {
		t.Errorf("age 301 of max-age 300: still a Hit")
	}

	for _, c := range []struct {
		name, age string
		hit       bool
	}{{"invalid", "abc", true}, {"negative", "-5", true}, {"huge", "2147483648", false}, {"overflow", "99999999999999999999", false}} {
		path := "/age-" + c.name
		age := c.age
		o.handle(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=300")
			w.Header().Set("Age", age)
			w.Header().Set("Date", httpDate(now()))
		})
		e.get(t, path)
		if r, _ := e.get(t, path); (xcache(r) == "Hit from cloudfront") != c.hit {
			t.Errorf("Age %q: second request %s, want hit=%v", c.age, xcache(r), c.hit)
		}
	}

	// An origin whose clock is an hour ahead: Expires − Date is 60 s of freshness, not an hour.
	o.handle("/skewed", func(w http.ResponseWriter, r *http.Request) {
		d := now().Add(time.Hour)
		w.Header().Set("Date", httpDate(d))
		w.Header().Set("Expires", httpDate(d.Add(60*time.Second)))
	})
	e.get(t, "/skewed")
	e.clock.Advance(30 * time.Second)
	if r, _ = e.get(t, "/skewed"); xcache(r) != "Hit from cloudfront" {
		t.Errorf("skewed origin at 30 s: %s", xcache(r))
	}
	e.clock.Advance(40 * time.Second)
	if r, _ = e.get(t, "/skewed"); xcache(r) == "Hit from cloudfront" {
		t.Errorf("skewed origin at 70 s of 60: still a Hit (Expires counted from the edge's clock)")
	}

	// No Date from the origin: the receive time is stored and replayed.
	o.handle("/undated", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // net/http adds one unless told not to
		w.Header().Set("Cache-Control", "max-age=60")
	})
	r, _ = e.get(t, "/undated")
	received := r.Header.Get("Date")
	if received != httpDate(now()) || r.Header.Get("Age") != "0" {
		t.Errorf("undated miss: Date=%q Age=%q, want %q and 0", received, r.Header.Get("Age"), httpDate(now()))
	}
	e.clock.Advance(5 * time.Second)
	if r, _ = e.get(t, "/undated"); r.Header.Get("Date") != received || r.Header.Get("Age") != "5" {
		t.Errorf("undated hit: Date=%q Age=%q", r.Header.Get("Date"), r.Header.Get("Age"))
	}
}

// TestRevalidationUpdatesHeaders (B.14): a 304 replaces every stored field it carries.
func TestRevalidationUpdatesHeaders(t *testing.T) {
	o := newTestOrigin(t)
	e := startEdge(t, baseConfig(""), o.port())
	version := "v1"
	o.handle("/r", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10")
		w.Header().Set("X-Version", version)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("ETag", `"e1"`)
		if r.Header.Get("If-None-Match") == `"e1"` {
			w.Header().Set("Content-Length", "999") // must not replace the stored length
			w.WriteHeader(304)
			return
		}
		io.WriteString(w, "body")
	})
	e.get(t, "/r")
	version = "v2"
	e.clock.Advance(11 * time.Second)
	r, body := e.get(t, "/r")
	if xcache(r) != "RefreshHit from cloudfront" || r.Header.Get("X-Version") != "v2" || body != "body" {
		t.Errorf("after the 304: %s X-Version=%q body=%q", xcache(r), r.Header.Get("X-Version"), body)
	}
	if r, body = e.get(t, "/r"); xcache(r) != "Hit from cloudfront" || r.Header.Get("X-Version") != "v2" || len(body) != 4 {
		t.Errorf("hit after the 304: %s X-Version=%q body=%q", xcache(r), r.Header.Get("X-Version"), body)
	}
}

// TestEarlyHintsRelayed (B.15): an origin's 103 reaches an HTTP/1.1 viewer before the final
// response, and is never cached.
func TestEarlyHintsRelayed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n")
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCache-Control: max-age=60\r\n\r\nhello")
				}
			}()
		}
	}()
	e := startEdge(t, baseConfig(""), ln.Addr().(*net.TCPAddr).Port)
	req := "GET /page HTTP/1.1\r\nHost: " + e.host + "\r\nConnection: close\r\n\r\n"
	st, rest, _ := e.rawExchange(t, req, 10*time.Second)
	if st != "HTTP/1.1 103 Early Hints" || !strings.Contains(rest, "Link: </style.css>; rel=preload; as=style") || !strings.Contains(rest, "HTTP/1.1 200 OK") || !strings.HasSuffix(rest, "hello") {
		t.Fatalf("miss: %q %q", st, rest)
	}
	st, rest, _ = e.rawExchange(t, req, 10*time.Second)
	if st != "HTTP/1.1 200 OK" || !strings.Contains(rest, "Hit from cloudfront") || strings.Contains(rest, "Link:") {
		t.Errorf("hit: %q %q (the 103 is not part of the entry)", st, rest)
	}
}

// TestErrorsShowNoInternals (A.9): a Smooth object that can't be served answers with CloudFront's
// error page, which names neither the origin nor the files behind it.
func TestErrorsShowNoInternals(t *testing.T) {
	o := newTestOrigin(t)
	e := startEdge(t, baseConfig(`
[[distribution.behavior]]
path_pattern = "/demo/*"
target_origin_id = "web"
smooth_streaming = true
`), o.port())
	r, body := e.get(t, "/demo/x.ism/Manifest")
	if r.StatusCode < 400 || xcache(r) != "Error from cloudfront" {
		t.Fatalf("missing presentation: %d %s", r.StatusCode, xcache(r))
	}
	for _, leak := range []string{"smooth", "origin answered", "web", "127.0.0.1", fmt.Sprint(o.port()), "x.ism"} {
		if strings.Contains(body, leak) {
			t.Errorf("error body names %q: %q", leak, body)
		}
	}
	if !strings.Contains(body, "The request could not be satisfied") {
		t.Errorf("not CloudFront's error page: %q", body)
	}
	if st, rest, _ := e.rawExchange(t, "GET /demo/x.ism/QualityLevels(abc)/Fragments(video=0) HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n", 10*time.Second); !strings.Contains(st, " 400") || strings.Contains(rest, "QualityLevels") {
		t.Errorf("malformed Smooth URL: %s %q", st, rest)
	}
}
