package edge

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
	"github.com/valyala/fasthttp"
)

// FuzzFunctionThroughEdge runs random function code on random requests through the whole viewer
// pipeline (a dir origin, so nothing leaves the process): whatever the code does, the edge never
// panics, every request is answered within the compute budget's bounds with CloudFront's
// headers, and a function's failure is answered as one (5xx, FunctionExecutionError or
// FunctionValidationError), never as something else.
func FuzzFunctionThroughEdge(f *testing.F) {
	for _, seed := range []struct{ code, req string }{
		{"function handler(e){ return e.request }", "GET /a.txt HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n"},
		{"function handler(e){ e.request.uri = '/b.txt'; return e.request }", "GET /a.txt?x=1 HTTP/1.1\r\nHost: cdn.example.test\r\nCookie: a=1\r\n\r\n"},
		{"function handler(e){ return {statusCode: 302, headers: {location: {value: '/x'}}} }", "GET / HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n"},
		{"function handler(e){ while(true){} }", "GET /a.txt HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n"},
		{"function handler(e){ e.request.headers.host = {value:'x'}; return e.request }", "HEAD /a.txt HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n"},
		{"async function handler(e){ throw new Error('x') }", "GET /a.txt HTTP/1.1\r\nHost: cdn.example.test\r\nX-A: 1\r\nX-A: 2\r\n\r\n"},
		{"function handler(e){ return 42 }", "GET /a.txt HTTP/1.1\r\nHost: cdn.example.test\r\n\r\n"},
	} {
		f.Add(seed.code, seed.req)
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b"), 0o644); err != nil {
		f.Fatal(err)
	}
	base := strings.Replace(baseConfig(""), "kind = \"http\"\ndomain_name = \"127.0.0.1\"\nhttp_port = {{ORIGIN_PORT}}", "kind = \"dir\"\npath = \""+dir+"\"", 1) +
		"[[distribution.default_behavior.function_association]]\nevent_type = \"viewer-request\"\nfunction = \"fuzz\"\n"
	if !strings.Contains(base, `kind = "dir"`) {
		f.Fatal("fixture drifted")
	}
	f.Fuzz(func(t *testing.T, code, raw string) {
		if len(code) > 2000 || strings.Contains(code, `"""`) || strings.Contains(code, `\`) {
			return // keeps the TOML literal well-formed; the function package fuzzes any source
		}
		toml := "[[function]]\nname = \"fuzz\"\ncode = \"\"\"\n" + code + "\n\"\"\"\n" + base
		cfg, err := config.Parse([]byte(toml), "fuzz.toml")
		if err != nil {
			if code == "function handler(e){ return e.request }" {
				t.Fatalf("the seed config does not parse: %v", err)
			}
			return
		}
		srv, err := New(Config{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return // a function that does not compile is refused at start
		}
		defer srv.Close()
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			return
		}
		ctx := new(fasthttp.RequestCtx)
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, nil)
		start := time.Now()
		srv.Handle(ctx)
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("request took %v", took)
		}
		h := &ctx.Response.Header
		st, xc := ctx.Response.StatusCode(), string(h.Peek("X-Cache"))
		if st == fasthttp.StatusInternalServerError && xc == string(xError) && len(h.Peek("X-Amz-Cf-Id")) == requestIDLen {
			t.Fatalf("500 (a panic) for %q on %q: %s", code, raw, ctx.Response.Body())
		}
		if len(h.Peek("X-Amz-Cf-Id")) != requestIDLen {
			t.Fatalf("no X-Amz-Cf-Id for %q on %q", code, raw)
		}
		if strings.HasPrefix(xc, "Function") && xc != string(xFunctionGenerated) && st != 502 && st != 503 {
			t.Fatalf("function failure answered %d %s", st, xc)
		}
		if code == "function handler(e){ while(true){} }" && (st != 503 || xc != string(xFunctionExecution)) {
			t.Fatalf("endless loop answered %d %s", st, xc)
		}
	})
}
