package edge

import (
	"bufio"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzKeyDeterminesOriginRequest pairs what the cache key holds with what the origin receives:
// two requests with the same key must make the same origin request (path, query, forwarded
// headers and cookies), or one viewer could fill an entry that another reads. Every request the
// fuzzer makes is remembered by key for the rest of the run, so variants of one request (a header
// repeated, emptied, named in Connection, a path re-encoded) meet under one key whenever the
// edge keys them alike.
func FuzzKeyDeterminesOriginRequest(f *testing.F) {
	for _, seed := range []string{
		"GET /lang?v=1 HTTP/1.1\r\nHost: cdn.example.test\r\nX-Lang: en\r\n\r\n",
		"GET /lang?v=1 HTTP/1.1\r\nHost: cdn.example.test\r\nX-Lang: en\r\nX-Lang: evil\r\n\r\n",
		"GET /lang?v=1 HTTP/1.1\r\nHost: cdn.example.test\r\nX-Lang:\r\n\r\n",
		"GET /lang?v=1 HTTP/1.1\r\nHost: cdn.example.test\r\nX-Lang: en\r\nConnection: keep-alive, X-Lang\r\n\r\n",
		"HEAD /lang?x=2&v=1 HTTP/1.1\r\nHost: cdn.example.test\r\nCookie: a=1; b=2\r\nCookie: a=3\r\n\r\n",
		"GET //c2.txt HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
		"GET /c2.txt HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
		"GET /app/a%2Fb HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
		"GET /app/a/b HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
		"GET /app/./a/../a/b HTTP/1.1\r\nHost: cdn.example.test\r\nAccept-Encoding: gzip\r\nAccept-Encoding: br\r\n\r\n",
		"GET http://cdn.example.test/app/a/b HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
	} {
		f.Add(seed)
	}
	cfg := `
[[cache_policy]]
name = "ByLang"
default_ttl = 60
headers = { behavior = "whitelist", names = ["X-Lang"] }
cookies = { behavior = "whitelist", names = ["a"] }
query_strings = { behavior = "whitelist", names = ["v"] }
enable_accept_encoding_gzip = true
enable_accept_encoding_brotli = true
` + baseConfig(`
[[distribution.behavior]]
path_pattern = "/lang"
target_origin_id = "web"
cache_policy = "ByLang"
`)
	e := startEdge(f, cfg, 1024) // nothing is fetched
	s := e.srv
	var mu sync.Mutex
	seen := map[string]string{}
	f.Fuzz(func(t *testing.T, raw string) {
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			return
		}
		ctx := new(fasthttp.RequestCtx)
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
		x := &exchange{}
		x.reset(ctx, s.now(), s.snap.Load())
		if !s.admit(x) || !cacheable(ctx, x.beh) || s.smoothURL(x) {
			return
		}
		dropConnectionHeaders(&ctx.Request.Header, x.facts)
		if !ctx.Request.Header.IsHTTP11() {
			ctx.Request.Header.Del(fasthttp.HeaderAcceptEncoding)
		}
		x.setKey()
		fp := fingerprint(s.newFetchJob(x, nil))
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := seen[string(x.key)]; ok && prev != fp {
			t.Fatalf("one key, two origin requests:\n%s\n%s\nkey %q, request %q", prev, fp, x.key, raw)
		}
		seen[string(x.key)] = fp
	})
}

// fingerprint is what the cache key stands for in an origin request: the method, path, query
// and Host, the forwarded cookies and Accept-Encoding, and every value of the headers in the
// key. Headers forwarded but left out of the key (CloudFront forwards viewer headers it does
// not key on in legacy mode, and an origin request policy may add more) are the origin's
// promise not to vary on them, so they are not part of it.
func fingerprint(j *fetchJob) string {
	r := j.req
	lines := []string{r.Method + " " + r.Path + "?" + r.Query, "Host: " + r.Host}
	for k, vs := range r.Header {
		if k != "Cookie" && k != "Accept-Encoding" && !j.beh.Key.HasHeader(k) {
			continue
		}
		for _, v := range vs {
			lines = append(lines, k+": "+v)
		}
	}
	slices.Sort(lines[2:])
	return strings.Join(lines, "\n")
}
