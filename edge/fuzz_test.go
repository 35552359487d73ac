package edge

import (
	"bufio"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzViewerRequest sends arbitrary requests (as parsed by fasthttp) through the whole viewer
// pipeline in front of a dir origin with a Smooth behavior: no request may make the edge panic
// (which the handler would turn into a 500).
func FuzzViewerRequest(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
		"GET /demo/demo.ism/Manifest HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n",
		"GET /demo/demo.ism/QualityLevels(150000)/Fragments(video=0) HTTP/1.1\r\nHost: cdn.example.test\r\nRange: bytes=0-10,20-30\r\n\r\n",
		"HEAD /demo/demo_180.ismv HTTP/1.1\r\nHost: cdn.example.test\r\nIf-None-Match: *\r\n\r\n",
		"GET /x?a=1&b HTTP/1.0\r\nHost: CDN.example.test:80\r\nCookie: a=1; b\r\nAccept-Encoding: br;q=0, gzip\r\n\r\n",
		"OPTIONS /%2e%2e/etc/passwd HTTP/1.1\r\nHost: cdn.example.test\r\nConnection: x, y\r\n\r\n",
	} {
		f.Add(seed)
	}
	media, _ := filepath.Abs("../testdata/media")
	cfg := strings.Replace(baseConfig(`
[[distribution.behavior]]
path_pattern = "/demo/*"
target_origin_id = "web"
smooth_streaming = true
`), "kind = \"http\"\ndomain_name = \"127.0.0.1\"\nhttp_port = {{ORIGIN_PORT}}", "kind = \"dir\"\npath = \""+media+"\"", 1)
	e := startEdge(f, cfg, 0)
	f.Fuzz(func(t *testing.T, raw string) {
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			return
		}
		ctx := new(fasthttp.RequestCtx)
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
		e.srv.Handle(ctx)
		if st := ctx.Response.StatusCode(); st == fasthttp.StatusInternalServerError {
			t.Fatalf("500 for %q: %s", raw, ctx.Response.Body())
		}
		if len(ctx.Response.Header.Peek("X-Amz-Cf-Id")) != requestIDLen {
			t.Fatalf("no X-Amz-Cf-Id for %q", raw)
		}
	})
}
