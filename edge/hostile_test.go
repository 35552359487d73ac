package edge

// Hostile-input tests of the viewer pipeline: requests and origin answers an attacker (or a
// broken peer) can send, over real sockets on 127.0.0.1.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileConn is a raw keep-alive viewer connection.
type hostileConn struct {
	c  net.Conn
	br *bufio.Reader
}

func (e *testEdge) dialRaw(t testing.TB) *hostileConn {
	t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return &hostileConn{c: c, br: bufio.NewReader(c)}
}

func (h *hostileConn) send(t testing.TB, s string) {
	t.Helper()
	if _, err := io.WriteString(h.c, s); err != nil {
		t.Fatal(err)
	}
}

// read reads one response (for a request of method) and its body; err is set when there is none.
func (h *hostileConn) read(method string) (*http.Response, string, error) {
	r, err := http.ReadResponse(h.br, &http.Request{Method: method})
	for err == nil && r.StatusCode >= 100 && r.StatusCode < 200 { // interim answers
		r, err = http.ReadResponse(h.br, &http.Request{Method: method})
	}
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	return r, string(b), err
}

// TestHostileAbsoluteFormHostPoisonsHostKey: an absolute-form request-target names the host (RFC
// 9112 §3.2.2: the server uses the target's host and ignores Host, and a gateway replaces the
// field with it). admit sets the Host field from the target, so the distribution, the cache key
// (which holds Host here), the origin and the log all see one host: a request for b sent with
// "Host: a" fills b's entry, never a's. (The key once read the Host field, so it stored b's
// answer under a's key.)
func TestHostileAbsoluteFormHostPoisonsHostKey(t *testing.T) {
	o := newTestOrigin(t)
	o.handle("/tenant", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		io.WriteString(w, "host="+r.Host)
	})
	cfg := `
[[cache_policy]]
name = "ByHost"
min_ttl = 0
default_ttl = 60
max_ttl = 600
headers = { behavior = "whitelist", names = ["Host"] }
` + strings.Replace(baseConfig(""), `aliases = ["cdn.example.test"]`, `aliases = ["a.example.test", "b.example.test"]`, 1) +
		"cache_policy = \"ByHost\"\n"
	e := startEdge(t, cfg, o.port())

	// The attacker: target names b, Host names a.
	r, body := e.raw(t, "GET http://b.example.test/tenant HTTP/1.1\r\nHost: a.example.test\r\nConnection: close\r\n\r\n")
	t.Logf("absolute-form: %d %q %s", r.StatusCode, body, xcache(r))

	// The victim: an ordinary request for a's /tenant must get a's content.
	r, body = e.do(t, "GET", "/tenant", map[string]string{"Host": "a.example.test"})
	if body != "host=a.example.test" {
		t.Errorf("GET /tenant Host: a.example.test after the absolute-form request: %d %q %s, want a's own object (host=a.example.test)",
			r.StatusCode, body, xcache(r))
	}
}

// TestHostileOptionsCachedFetchedAsOptions: with OPTIONS among cached_methods, an OPTIONS miss
// reaches the origin as OPTIONS (it is keyed apart from GET precisely because its answer
// differs); the fill never turns it into a GET, and GET and OPTIONS each get their own answer.
func TestHostileOptionsCachedFetchedAsOptions(t *testing.T) {
	o := newTestOrigin(t)
	o.handle("/opt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		if r.Method == "OPTIONS" {
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		}
		io.WriteString(w, "method="+r.Method)
	})
	e := startEdge(t, baseConfig(`
[[distribution.behavior]]
path_pattern = "/opt"
target_origin_id = "web"
allowed_methods = ["GET", "HEAD", "OPTIONS"]
cached_methods = ["GET", "HEAD", "OPTIONS"]
`), o.port())
	r, body := e.do(t, "OPTIONS", "/opt", nil)
	if got := o.last("/opt").Method; got != "OPTIONS" || body != "method=OPTIONS" || r.Header.Get("Allow") == "" {
		t.Errorf("OPTIONS /opt: origin saw %s; viewer got %d %q Allow=%q, want the origin's answer to OPTIONS", got, r.StatusCode, body, r.Header.Get("Allow"))
	}
	// And the GET entry is the GET answer, whatever was cached for OPTIONS.
	if _, body = e.get(t, "/opt"); body != "method=GET" {
		t.Errorf("GET /opt after OPTIONS: %q", body)
	}
	if _, body = e.do(t, "OPTIONS", "/opt", nil); body != "method=OPTIONS" {
		t.Errorf("OPTIONS /opt again: %q", body)
	}
}

// TestHostileHTTP10RefusedBodyNotParsedAsRequest: Expect: 100-continue does not exist in
// HTTP/1.0, so the refusal-before-the-body path (headerReceived) does not apply; a refused
// HTTP/1.0 keep-alive POST whose body is a request still never has that body answered as a
// request (request smuggling, RFC 9112 §6.3, §9.3), whether the body is buffered or streamed.
func TestHostileHTTP10RefusedBodyNotParsedAsRequest(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a", 200, nil, "a")
	e := startEdge(t, baseConfig(""), o.port())
	for _, pad := range []int{0, 20 << 10} { // buffered (<16 KiB) and streamed bodies
		smuggled := "GET /smuggled HTTP/1.1\r\nHost: " + e.host + "\r\nX-Pad: " + strings.Repeat("p", pad) + "\r\n\r\n"
		h := e.dialRaw(t)
		h.send(t, fmt.Sprintf("POST /a HTTP/1.0\r\nHost: %s\r\nConnection: keep-alive\r\nContent-Length: %d\r\n\r\n%s", e.host, len(smuggled), smuggled))
		r, _, err := h.read("POST")
		if err != nil || r.StatusCode != 403 {
			t.Fatalf("pad %d: POST: %v %v", pad, r, err)
		}
		// The next answer, if any, is the probe's, never one to the body.
		h.send(t, "GET /a HTTP/1.1\r\nHost: "+e.host+"\r\nX-Probe: 1\r\nConnection: close\r\n\r\n")
		if r2, b2, err := h.read("GET"); err == nil && b2 != "a" {
			t.Errorf("pad %d: the refused body was answered as a request: %d %q", pad, r2.StatusCode, b2)
		}
	}
	if n := o.count("/smuggled"); n != 0 {
		t.Errorf("the smuggled request reached the origin %d times", n)
	}
}

// TestHostileFragmentInTargetSelectsOtherBehavior: a '#' cannot appear in a request-target
// (RFC 9112 §3.2: origin-form is absolute-path ["?" query]). fasthttp cuts the path at it to
// select the behavior; whatever follows it, raw or escaped as "%23", an unsigned request under
// /public/ never gets the object of the signed behavior on /members/* that
// "#/../../members/secret.txt" would resolve to.
func TestHostileFragmentInTargetSelectsOtherBehavior(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "public"), 0o755)
	os.MkdirAll(filepath.Join(dir, "members"), 0o755)
	os.WriteFile(filepath.Join(dir, "public", "x"), []byte("public"), 0o644)
	os.WriteFile(filepath.Join(dir, "members", "secret.txt"), []byte("SECRET"), 0o644)
	o := newTestOrigin(t)
	o.serveDir(dir)
	e, _ := startSignedEdge(t, o, "/members/*")
	for _, target := range []string{
		"/public/x#/../../members/secret.txt",
		"/public/x%23/../../members/secret.txt",
	} {
		r, body := e.raw(t, "GET "+target+" HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n")
		t.Logf("%s: %d %q origin requests %d", target, r.StatusCode, body, o.requests())
		if strings.Contains(body, "SECRET") {
			t.Errorf("GET %s (unsigned): %d %q: the signed behavior's object was served", target, r.StatusCode, body)
		}
	}
}

// smugglingEdge is an edge with an all-methods, uncached behavior on /api/* in front of an origin
// that echoes what it received, and a plain /a.
func smugglingEdge(t *testing.T) (*testEdge, *testOrigin) {
	o := newTestOrigin(t)
	o.static("/a", 200, nil, "a")
	o.handle("/api/x", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s body=%q err=%v", r.Method, b, err)
	})
	e := startEdge(t, baseConfig(`
[[distribution.behavior]]
path_pattern = "/api/*"
target_origin_id = "web"
allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
cache_policy = "Managed-CachingDisabled"
`), o.port())
	return e, o
}

// TestHostileSmugglingFraming: requests whose framing is ambiguous or broken (RFC 9112 §6.1,
// §6.3, §7.1, §5.2) are refused or framed one way only, and nothing after them on the connection
// is ever taken as a request: the origin never sees the smuggled /smuggled.
func TestHostileSmugglingFraming(t *testing.T) {
	e, o := smugglingEdge(t)
	host := "Host: " + e.host + "\r\n"
	smuggled := "GET /smuggled HTTP/1.1\r\n" + host + "\r\n"
	cases := []framingCase{
		{"CL and TE", "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, []int{200, 400}},
		{"TE and CL", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n" + smuggled, []int{200, 400}},
		{"two CL", "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: 0\r\nContent-Length: " + fmt.Sprint(len(smuggled)) + "\r\n\r\n" + smuggled, []int{400}},
		{"CL list", "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: 0, " + fmt.Sprint(len(smuggled)) + "\r\n\r\n" + smuggled, []int{400}},
		{"CL plus sign", "POST /api/x HTTP/1.1\r\n" + host + "Content-Length: +" + fmt.Sprint(len(smuggled)) + "\r\n\r\n" + smuggled, []int{400}},
		{"TE gzip, chunked", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled, []int{400, 501}},
		{"TE chunked twice", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, []int{400, 501}},
		{"TE with space before colon", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled, []int{400}},
		{"TE obs-fold", "POST /api/x HTTP/1.1\r\n" + host + "X-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled, []int{400}},
		{"TE HTTP/1.0", "POST /api/x HTTP/1.0\r\n" + host + "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, []int{400}},
		{"bare CR in value", "GET /a HTTP/1.1\r\n" + host + "X-A: a\rb\r\n\r\n" + smuggled, []int{400}},
		{"NUL in value", "GET /a HTTP/1.1\r\n" + host + "X-A: a\x00b\r\n\r\n" + smuggled, []int{400}},
		{"GET with CL body", "GET /a HTTP/1.1\r\n" + host + "Content-Length: " + fmt.Sprint(len(smuggled)) + "\r\n\r\n" + smuggled, []int{403}},
		{"GET with chunked body", "GET /a HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(smuggled), smuggled), []int{403}},
		{"HEAD with CL body", "HEAD /a HTTP/1.1\r\n" + host + "Content-Length: " + fmt.Sprint(len(smuggled)) + "\r\n\r\n" + smuggled, []int{200, 400, 403}},
	}
	runFramingCases(t, e, host, cases)
	if n := o.count("/smuggled"); n != 0 {
		t.Errorf("the origin saw /smuggled %d times", n)
	}
}

// framingCase is one raw request, and the statuses its first answer may have (0: none).
type framingCase struct {
	name, req string
	first     []int
}

// runFramingCases sends each case on its own connection, checks the first answer, then sends a
// probe request: the next answer, if any, must be the probe's (never a smuggled request's).
func runFramingCases(t *testing.T, e *testEdge, host string, cases []framingCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := e.dialRaw(t)
			h.send(t, c.req)
			method := c.req[:strings.IndexByte(c.req, ' ')]
			r, body, err := h.read(method)
			status := 0
			if err == nil {
				status = r.StatusCode
			}
			ok := false
			for _, s := range c.first {
				ok = ok || s == status
			}
			if !ok {
				t.Errorf("first answer: %d %q (err %v), want one of %v", status, body, err, c.first)
			}
			// Whatever the first answer, the connection may not answer the smuggled request:
			// the next answer, if any, is the probe's.
			h.c.SetDeadline(time.Now().Add(2 * time.Second))
			io.WriteString(h.c, "GET /a HTTP/1.1\r\n"+host+"Connection: close\r\n\r\n")
			if r2, b2, err := h.read("GET"); err == nil && b2 != "a" {
				t.Errorf("the next answer on the connection is not the probe's: %d %q", r2.StatusCode, b2)
			}
		})
	}
}

// TestHostileMalformedChunkedUploadIs400: a request body whose chunked framing is invalid is the
// viewer's error (RFC 9112 §7.1: the chunk-size is 1*HEXDIG followed by optional extensions and
// CRLF; RFC 9112 §9.3 / RFC 9110 §15.5.1: 400 and close). The edge answers 400 (or just closes),
// never a 502 "We can't connect to the server for this app" that blames the origin (and logs and
// counts an OriginError), and takes nothing after the broken body as a request.
func TestHostileMalformedChunkedUploadIs400(t *testing.T) {
	e, o := smugglingEdge(t)
	host := "Host: " + e.host + "\r\n"
	smuggled := "GET /smuggled HTTP/1.1\r\n" + host + "\r\n"
	cases := []framingCase{
		{"chunk size overflow", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nab\r\n0\r\n\r\n" + smuggled, []int{0, 400}},
		{"chunk size negative", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n0\r\n\r\n" + smuggled, []int{0, 400}},
		{"chunk bare LF", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n2\nab\n0\n\n" + smuggled, []int{0, 400}},
		{"chunk ext with LF", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n2;a=\"x\nab\r\n0\r\n\r\n" + smuggled, []int{0, 400}},
		{"chunk data longer than size", "POST /api/x HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n" + smuggled, []int{0, 400}},
	}
	runFramingCases(t, e, host, cases)
	if n := o.count("/smuggled"); n != 0 {
		t.Errorf("the origin saw /smuggled %d times", n)
	}
}

// TestHostileHeadFirstThenGet: a HEAD miss fills the key with the whole object (a GET to the
// origin), so a GET after it gets the body, never an empty entry; a Range first gets its part and
// the whole object is what is cached.
func TestHostileHeadFirstThenGet(t *testing.T) {
	o := newTestOrigin(t)
	o.handle("/h", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		io.WriteString(w, "0123456789")
	})
	e := startEdge(t, baseConfig(""), o.port())
	r, body := e.do(t, "HEAD", "/h", nil)
	if r.StatusCode != 200 || body != "" || r.ContentLength != 10 {
		t.Fatalf("HEAD: %d %q len %d", r.StatusCode, body, r.ContentLength)
	}
	if m := o.last("/h").Method; m != "GET" {
		t.Errorf("the HEAD miss reached the origin as %s", m)
	}
	r, body = e.get(t, "/h")
	if body != "0123456789" || xcache(r) != "Hit from cloudfront" {
		t.Errorf("GET after HEAD: %d %q %s", r.StatusCode, body, xcache(r))
	}
	r, body = e.do(t, "GET", "/h2", map[string]string{"Range": "bytes=2-3"})
	if r.StatusCode != 404 && (r.StatusCode != 206 || body != "23") {
		t.Errorf("Range first: %d %q", r.StatusCode, body)
	}
	o.handle("/r", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		io.WriteString(w, "abcdefghij")
	})
	if r, body = e.do(t, "GET", "/r", map[string]string{"Range": "bytes=2-3"}); r.StatusCode != 206 || body != "cd" {
		t.Errorf("Range on a miss: %d %q", r.StatusCode, body)
	}
	if h := o.last("/r").Header.Get("Range"); h != "" {
		t.Errorf("the fill carried the viewer's Range %q", h)
	}
	if r, body = e.get(t, "/r"); r.StatusCode != 200 || body != "abcdefghij" || xcache(r) != "Hit from cloudfront" {
		t.Errorf("GET after a ranged miss: %d %q %s", r.StatusCode, body, xcache(r))
	}
}

// TestHostileExpectAndConnectionGames: Expect: 100-continue on a GET without a body, HTTP/1.0
// with and without keep-alive, "Connection: close, keep-alive", and a pipeline whose middle
// request is refused: every request gets exactly its own answer, in order.
func TestHostileExpectAndConnectionGames(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a", 200, map[string]string{"Cache-Control": "max-age=600"}, "a")
	o.static("/b", 200, map[string]string{"Cache-Control": "max-age=600"}, "b")
	e := startEdge(t, baseConfig(""), o.port())
	host := "Host: " + e.host + "\r\n"

	// Expect on a bodiless GET: an interim 100 is allowed, then the answer.
	h := e.dialRaw(t)
	h.send(t, "GET /a HTTP/1.1\r\n"+host+"Expect: 100-continue\r\n\r\n")
	r, body, err := h.read("GET")
	if err != nil || r.StatusCode != 200 || body != "a" {
		t.Errorf("GET with Expect: %v %q %v", r, body, err)
	}

	// HTTP/1.0 without keep-alive: the answer, then the edge closes.
	h = e.dialRaw(t)
	h.send(t, "GET /a HTTP/1.0\r\n"+host+"\r\n")
	if r, body, err = h.read("GET"); err != nil || r.StatusCode != 200 || body != "a" || !r.Close {
		t.Errorf("HTTP/1.0: %v %q %v", r, body, err)
	}
	if _, err := h.br.ReadByte(); err == nil {
		t.Errorf("HTTP/1.0 without keep-alive: the connection stayed open")
	}

	// A pipeline: GET /a, a GET with a bad field name (400, close), GET /b: the third is never
	// answered (the edge closed), and nothing is answered out of order.
	h = e.dialRaw(t)
	h.send(t, "GET /a HTTP/1.1\r\n"+host+"\r\n"+
		"GET /b HTTP/1.1\r\n"+host+"Bad Name: x\r\n\r\n"+
		"GET /b HTTP/1.1\r\n"+host+"\r\n")
	r1, b1, err1 := h.read("GET")
	r2, _, err2 := h.read("GET")
	if err1 != nil || r1.StatusCode != 200 || b1 != "a" || err2 != nil || r2.StatusCode != 400 {
		t.Fatalf("pipeline: %v %q %v / %v %v", r1, b1, err1, r2, err2)
	}
	if r3, b3, err := h.read("GET"); err == nil {
		t.Errorf("pipeline: the request after the refused one was answered: %d %q", r3.StatusCode, b3)
	}

	// A pipeline of three good requests keeps its order.
	h = e.dialRaw(t)
	h.send(t, "GET /a HTTP/1.1\r\n"+host+"\r\nHEAD /b HTTP/1.1\r\n"+host+"\r\nGET /b HTTP/1.1\r\n"+host+"Connection: close, keep-alive\r\n\r\n")
	var got []string
	for _, m := range []string{"GET", "HEAD", "GET"} {
		r, b, err := h.read(m)
		if err != nil {
			t.Fatalf("pipeline of three: %v after %q", err, got)
		}
		got = append(got, fmt.Sprintf("%d:%s", r.StatusCode, b))
	}
	if strings.Join(got, ",") != "200:a,200:,200:b" {
		t.Errorf("pipeline of three: %q", got)
	}
}

// rawOrigin is an origin on 127.0.0.1 that answers each request with the raw bytes registered
// for its path, then closes the connection. It counts the requests per path.
type rawOrigin struct {
	ln    net.Listener
	mu    sync.Mutex
	resp  map[string]string
	count map[string]int
}

func newRawOrigin(t *testing.T, resp map[string]string) *rawOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &rawOrigin{ln: ln, resp: resp, count: map[string]int{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go o.serve(c)
		}
	}()
	return o
}

func (o *rawOrigin) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			break
		}
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	path := f[1]
	o.mu.Lock()
	o.count[path]++
	r, ok := o.resp[path]
	o.mu.Unlock()
	if !ok {
		r = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	}
	io.WriteString(c, r)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	io.Copy(io.Discard, br) // until the edge closes its side
}

func (o *rawOrigin) requests(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count[path]
}

// TestHostileOriginAnswers: malformed or abusive origin answers give the viewer a precise status
// (502 for an answer that isn't valid HTTP, RFC 9112 §6.3 and CloudFront's
// OriginInvalidResponseError / OriginHeaderTooBigError), never a panic, and never a cache
// entry a later viewer gets.
func TestHostileOriginAnswers(t *testing.T) {
	cc := "Cache-Control: max-age=600\r\n"
	flood := strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n", 1000)
	o := newRawOrigin(t, map[string]string{
		"/garbage":   "HELLO WORLD\r\n\r\n",
		"/badstatus": "HTTP/1.1 2x0 OK\r\n" + cc + "Content-Length: 2\r\n\r\nok",
		"/dupcl":     "HTTP/1.1 200 OK\r\n" + cc + "Content-Length: 5\r\nContent-Length: 9\r\n\r\nhelloEVIL",
		"/negcl":     "HTTP/1.1 200 OK\r\n" + cc + "Content-Length: -5\r\n\r\nhello",
		"/bigcl":     "HTTP/1.1 200 OK\r\n" + cc + "Content-Length: 99999999999999999999999\r\n\r\nhello",
		"/longer":    "HTTP/1.1 200 OK\r\n" + cc + "Content-Length: 5\r\n\r\nhelloEXTRA",
		"/te-cl":     "HTTP/1.1 200 OK\r\n" + cc + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"/flood":     flood + "HTTP/1.1 200 OK\r\n" + cc + "Content-Length: 2\r\n\r\nok",
		"/bighead":   "HTTP/1.1 200 OK\r\n" + cc + "X-Big: " + strings.Repeat("h", 64<<10) + "\r\nContent-Length: 2\r\n\r\nok",
		"/folded":    "HTTP/1.1 200 OK\r\n" + cc + "X-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
		"/206":       "HTTP/1.1 206 Partial Content\r\n" + cc + "Content-Range: bytes 0-1/10\r\nContent-Length: 2\r\n\r\nab",
		"/varystar":  "HTTP/1.1 200 OK\r\n" + cc + "Vary: *\r\nContent-Length: 2\r\n\r\nok",
		"/gzip-lie":  "HTTP/1.1 200 OK\r\n" + cc + "Content-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: " + fmt.Sprint(2000) + "\r\n\r\n" + strings.Repeat("x", 2000),
		"/private":   "HTTP/1.1 200 OK\r\nCache-Control: private\r\nSet-Cookie: s=victim\r\nContent-Length: 6\r\n\r\nvictim",
	})
	e := startEdge(t, baseConfig(""), o.ln.Addr().(*net.TCPAddr).Port)
	for _, c := range []struct {
		path   string
		status []int
		body   string // "" : any
		cached bool   // a second request is answered from the cache
		either bool   // cached or not, both are right
	}{
		{"/garbage", []int{502}, "", false, false},
		{"/badstatus", []int{502}, "", false, false},
		{"/dupcl", []int{502}, "", false, false},
		{"/negcl", []int{502}, "", false, false},
		{"/bigcl", []int{502}, "", false, false},
		{"/longer", []int{200}, "hello", true, false},
		// RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; keeping the decoded body is
		// allowed, as is refusing the message.
		{"/te-cl", []int{200, 502}, "", false, true},
		{"/flood", []int{502}, "", false, false},
		{"/bighead", []int{502}, "", false, false},
		// RFC 9112 §5.2: a proxy replaces obs-fold with SP or answers 502.
		{"/folded", []int{200, 502}, "", false, true},
		{"/206", []int{206}, "ab", false, false},
		{"/varystar", []int{200}, "ok", false, false},
		{"/gzip-lie", []int{200}, strings.Repeat("x", 2000), true, false},
		{"/private", []int{200}, "victim", false, false},
	} {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			r, body := e.do(t, "GET", c.path, map[string]string{"Accept-Encoding": "gzip"})
			ok := false
			for _, s := range c.status {
				ok = ok || s == r.StatusCode
			}
			if !ok || c.body != "" && body != c.body {
				t.Errorf("first: %d %q (%s), want %v %q", r.StatusCode, trunc(body), xcache(r), c.status, c.body)
			}
			if r.StatusCode == 200 && r.Header.Get("Set-Cookie") != "" {
				t.Errorf("Set-Cookie replayed on a behavior that forwards no cookies")
			}
			r2, body2 := e.do(t, "GET", c.path, map[string]string{"Accept-Encoding": "gzip"})
			n := o.requests(c.path)
			switch {
			case c.either:
			case c.cached:
				if n != 1 || body2 != body || xcache(r2) != "Hit from cloudfront" {
					t.Errorf("second: %d %q %s, origin asked %d times; want a hit with the same body", r2.StatusCode, trunc(body2), xcache(r2), n)
				}
			case r.StatusCode < 500 && (n < 2 || xcache(r2) == "Hit from cloudfront"):
				t.Errorf("second: %d %q %s, origin asked %d times; the answer must not be cached", r2.StatusCode, trunc(body2), xcache(r2), n)
			}
			if r2.StatusCode == 200 && strings.Contains(body2, "EVIL") {
				t.Errorf("second: %q", body2)
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// TestHostileOriginInvalidStatusIs502: a status code outside 100..599, or an informational code
// as the final answer, is not a valid origin response (RFC 9112 §4: status-code = 3DIGIT; RFC
// 9110 §15: values outside 100..599 are invalid); a gateway answers 502 (RFC 9110 §15.6.3). The
// edge answers 502 for 000, 099, 600 and 999. (It once relayed them: 099 as the status line
// "HTTP/1.1 99 Unknown Status Code", which viewers can't parse, 000 as "200 OK".)
func TestHostileOriginInvalidStatusIs502(t *testing.T) {
	o := newRawOrigin(t, map[string]string{
		"/s000": "HTTP/1.1 000 Weird\r\nContent-Length: 2\r\n\r\nok",
		"/s099": "HTTP/1.1 099 Weird\r\nContent-Length: 2\r\n\r\nok",
		"/s600": "HTTP/1.1 600 Weird\r\nContent-Length: 2\r\n\r\nok",
		"/s999": "HTTP/1.1 999 Weird\r\nContent-Length: 2\r\n\r\nok",
	})
	e := startEdge(t, baseConfig(""), o.ln.Addr().(*net.TCPAddr).Port)
	for _, p := range []string{"/s000", "/s099", "/s600", "/s999"} {
		st, rest, _ := e.rawExchange(t, "GET "+p+" HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n", 3*time.Second)
		if !strings.HasPrefix(st, "HTTP/1.1 502 ") {
			t.Errorf("GET %s: status line %q (body %q), want 502", p, st, trunc(rest[strings.Index(rest, "\r\n\r\n")+4:]))
		}
	}
}

// TestHostileRangeOddities: odd Range headers on a hit get the answers CloudFront gives (200 with
// the whole object for overlapping or unusable ranges) or RFC 9110 §14 gives (416 for a range
// that selects nothing), and a Range with many parts is bounded.
func TestHostileRangeOddities(t *testing.T) {
	o := newTestOrigin(t)
	obj := strings.Repeat("0123456789", 400)
	o.static("/f", 200, map[string]string{"Cache-Control": "max-age=600", "Content-Type": "text/plain", "ETag": `"v1"`}, obj)
	e := startEdge(t, baseConfig(""), o.port())
	e.get(t, "/f")
	many := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return "bytes=" + strings.Join(parts, ",")
	}
	for _, c := range []struct {
		name, rng string
		status    int
	}{
		{"suffix 0", "bytes=-0", 416},
		{"same range repeated", many(500, func(int) string { return "0-0" }), 200},
		{"overlapping", "bytes=0-10,5-20", 200},
		{"huge last-pos", "bytes=0-99999999999999999999", 206}, // saturated, clipped to the end (RFC 9110 §14.1.1)
		{"huge first-pos", "bytes=99999999999999999999-", 416}, // saturated: past the end
		{"first-pos past the end", "bytes=4000-", 416},
		{"unit case", "BYTES=0-1", 206},
		{"other unit", "items=0-1", 200},
		{"no ranges", "bytes=", 200},
		{"only commas", "bytes=,,,", 200},
	} {
		r, body := e.do(t, "GET", "/f", map[string]string{"Range": c.rng})
		if r.StatusCode != c.status {
			t.Errorf("%s: %d (%d bytes), want %d", c.name, r.StatusCode, len(body), c.status)
		}
		if r.StatusCode == 200 && body != obj {
			t.Errorf("%s: 200 with a body of %d bytes", c.name, len(body))
		}
	}
	// 1,000 disjoint one-byte ranges on a 4,000-byte object (a multipart answer ~20 times the
	// object): ignored, the whole object sent; maxRangeParts ranges still get their parts.
	r, body := e.do(t, "GET", "/f", map[string]string{"Range": many(1000, func(i int) string { return fmt.Sprintf("%d-%d", 2*i, 2*i) })})
	if r.StatusCode != 200 || body != obj {
		t.Errorf("1000 ranges: %d, %d bytes; want 200 and the object", r.StatusCode, len(body))
	}
	r, body = e.do(t, "GET", "/f", map[string]string{"Range": many(maxRangeParts, func(i int) string { return fmt.Sprintf("%d-%d", 2*i, 2*i) })})
	if r.StatusCode != 206 || strings.Count(body, "Content-Range: bytes ") != maxRangeParts {
		t.Errorf("%d ranges: %d with %d parts; want 206 with each", maxRangeParts, r.StatusCode, strings.Count(body, "Content-Range: bytes "))
	}
	if o.count("/f") != 1 {
		t.Errorf("origin asked %d times", o.count("/f"))
	}
}

// TestHostileHostTricks: an HTTP/1.1 request with two Host fields, or none, is refused (RFC 9112
// §3.2: 400); an absolute-form target's host selects the distribution, not the Host field (RFC
// 9112 §3.2.2), so a known Host cannot carry a request for an unknown target host (403), and an
// unknown Host does not stop one for a known target host; a target with a userinfo part
// ("u:p@evil.example") is refused (403).
func TestHostileHostTricks(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a", 200, nil, "a")
	e := startEdge(t, baseConfig(""), o.port())
	for _, c := range []struct {
		name, req string
		status    int
	}{
		{"two Host fields", "GET /a HTTP/1.1\r\nHost: " + e.host + "\r\nHost: evil.example\r\n\r\n", 400},
		{"no Host in HTTP/1.1", "GET /a HTTP/1.1\r\nX-A: b\r\n\r\n", 400},
		{"absolute-form unknown host", "GET http://evil.example/a HTTP/1.1\r\nHost: " + e.host + "\r\n\r\n", 403},
		{"absolute-form known host", "GET http://" + e.host + "/a HTTP/1.1\r\nHost: evil.example\r\n\r\n", 200},
		{"userinfo in target", "GET http://u:p@evil.example/a HTTP/1.1\r\nHost: " + e.host + "\r\n\r\n", 403},
	} {
		h := e.dialRaw(t)
		h.send(t, c.req)
		r, body, err := h.read("GET")
		if err != nil || r.StatusCode != c.status {
			st := 0
			if r != nil {
				st = r.StatusCode
			}
			t.Errorf("%s: %d %q %v, want %d", c.name, st, trunc(body), err, c.status)
		}
	}
	if n := o.count("/a"); n != 1 {
		t.Errorf("origin saw /a %d times, want 1", n)
	}
}
