package edge

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// hitCtx primes the edge with one cached object, fetched through its listener as a viewer would
// (so that the entry gets its prepared head), and returns a request context asking for it. The
// context is built as the server builds one, from the request's bytes.
func hitCtx(b *testing.B, e *testEdge, uri string, hdr map[string]string) *fasthttp.RequestCtx {
	newCtx := func() *fasthttp.RequestCtx {
		raw := "GET " + uri + " HTTP/1.1\r\nHost: " + e.host + "\r\n"
		for k, v := range hdr {
			raw += k + ": " + v + "\r\n"
		}
		req := new(fasthttp.Request)
		if err := req.Read(bufio.NewReader(strings.NewReader(raw + "\r\n"))); err != nil {
			b.Fatal(err)
		}
		ctx := new(fasthttp.RequestCtx)
		ctx.Init(req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
		return ctx
	}
	e.do(b, "GET", uri, hdr) // fill
	ctx := newCtx()
	e.srv.Handle(ctx)
	if got := string(ctx.Response.Header.Peek("X-Cache")); got != "Hit from cloudfront" {
		b.Fatalf("priming: X-Cache %q", got)
	}
	return ctx
}

func benchHit(b *testing.B, size int, uri string, hdr map[string]string, extra string) {
	o := newTestOrigin(b)
	body := make([]byte, size)
	o.static("/obj", 200, map[string]string{"Content-Type": "application/octet-stream", "Cache-Control": "max-age=3600", "ETag": `"x"`}, string(body))
	cfg := baseConfig(extra)
	withP99 := strings.Contains(extra, "function_association") // the function budget is also on p99
	if strings.Contains(extra, `function = "rewrite"`) {
		cfg = "[[function]]\nname = \"rewrite\"\ncode = \"\"\"\nfunction handler(event) {\n  var r = event.request;\n  if (r.uri === '/obj') { r.uri = '/obj'; }\n  return r;\n}\n\"\"\"\n" + cfg
	}
	e := startEdge(b, cfg, o.port())
	ctx := hitCtx(b, e, uri, hdr)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	var lat []time.Duration
	if withP99 {
		lat = make([]time.Duration, 0, min(b.N, 1<<20))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx.Response.Reset()
		if !withP99 {
			e.srv.Handle(ctx)
			continue
		}
		t0 := time.Now()
		e.srv.Handle(ctx)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	if withP99 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
	if ctx.Response.StatusCode() != 200 || len(ctx.Response.Body()) != size {
		b.Fatalf("hit answered %d with %d bytes", ctx.Response.StatusCode(), len(ctx.Response.Body()))
	}
}

// BenchmarkHit is a cache hit through the whole viewer handler: it must allocate nothing.
func BenchmarkHit(b *testing.B) {
	b.Run("1KiB", func(b *testing.B) { benchHit(b, 1<<10, "/obj", nil, "") })
	b.Run("1MiB", func(b *testing.B) { benchHit(b, 1<<20, "/obj", nil, "") })
	// The same request and behavior without a policy: what the policy's budget is measured against.
	b.Run("1KiB-Origin-no-policy", func(b *testing.B) {
		benchHit(b, 1<<10, "/obj", map[string]string{"Origin": "https://app.example.test"}, `
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
`)
	})
	b.Run("1KiB-CORS-and-SecurityHeadersPolicy", func(b *testing.B) {
		benchHit(b, 1<<10, "/obj", map[string]string{"Origin": "https://app.example.test"}, `
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
response_headers_policy = "CORS-and-SecurityHeadersPolicy"
`)
	})
	// A trivial viewer-request function (an uri rewrite) on every hit.
	b.Run("1KiB-viewer-request-function", func(b *testing.B) {
		benchHit(b, 1<<10, "/obj", nil, `
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "rewrite"
`)
	})
	b.Run("1KiB-query-cookie-key", func(b *testing.B) {
		benchHit(b, 1<<10, "/obj?v=1&x=2", map[string]string{"Cookie": "b=2; a=1; session=zz", "Accept-Encoding": "gzip, br"}, `
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
[distribution.behavior.forwarded_values]
query_string = true
query_string_cache_keys = ["v"]
[distribution.behavior.forwarded_values.cookies]
forward = "whitelist"
whitelisted_names = ["a", "b"]
`)
	})
}

// BenchmarkHitSockets is a 1 KiB hit over real sockets on 127.0.0.1 (fasthttp clients on 32
// keep-alive connections, the edge's own listener), plain and through a trivial viewer-request
// function: the throughput the function budget is about (at least 0.5× the plain hit's).
// go test -run '^$' -bench BenchmarkHitSockets -benchmem ./edge/
func BenchmarkHitSockets(b *testing.B) {
	fn := "[[function]]\nname = \"rewrite\"\ncode = \"\"\"\nfunction handler(event) {\n  var r = event.request;\n  if (r.uri === '/obj') { r.uri = '/obj'; }\n  return r;\n}\n\"\"\"\n"
	for _, c := range []struct{ name, cfg string }{
		{"plain", baseConfig(`
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
`)},
		{"viewer-request-function", fn + baseConfig(`
[[distribution.behavior]]
path_pattern = "/obj"
target_origin_id = "web"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "rewrite"
`)},
	} {
		b.Run(c.name, func(b *testing.B) {
			o := newTestOrigin(b)
			o.static("/obj", 200, map[string]string{"Cache-Control": "max-age=3600"}, strings.Repeat("x", 1<<10))
			e := startEdge(b, c.cfg, o.port())
			e.get(b, "/obj") // fill
			client := &fasthttp.HostClient{Addr: e.addr, MaxConns: 32}
			b.SetBytes(1 << 10)
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				req.SetRequestURI("http://" + e.host + "/obj")
				for pb.Next() {
					if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 || len(resp.Body()) != 1<<10 {
						b.Errorf("GET /obj: %v %d", err, resp.StatusCode())
						return
					}
				}
			})
		})
	}
}

// discardWriter is an http.ResponseWriter that keeps nothing but its header map, as the HTTP/2
// server's is reused per stream.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkStreamAdapterHit is a 1 KiB hit through the HTTP/3 adapter
// (streamHandler: the request given to fasthttp as a parsed head, the answer copied into an
// http.ResponseWriter), without the protocol servers: beside BenchmarkHit/1KiB it is what the
// adaptation costs per request.
func BenchmarkStreamAdapterHit(b *testing.B) {
	o := newTestOrigin(b)
	o.static("/obj", 200, map[string]string{"Content-Type": "application/octet-stream", "Cache-Control": "max-age=3600", "ETag": `"x"`}, strings.Repeat("x", 1<<10))
	e := startEdge(b, baseConfig(""), o.port())
	h := streamHandler{s: e.srv}
	req := httptest.NewRequest("GET", "https://"+e.host+"/obj", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("Accept", "*/*")
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req) // the miss
	b.ReportAllocs()
	b.SetBytes(1 << 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, req)
	}
	b.StopTimer()
	if w.status != 200 || w.n != 1<<10 {
		b.Fatalf("hit answered %d with %d bytes", w.status, w.n)
	}
}
