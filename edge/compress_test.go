package edge

import (
	"fmt"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestCompression checks CloudFront's compression rules
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html):
// what is compressed, with which coding, and what is not.
func TestCompression(t *testing.T) {
	html := strings.Repeat("<p>edge compresses this text</p>\n", 100) // 3,400 bytes
	o := newTestOrigin(t)
	n := fmt.Sprint(len(html)) // a valid Content-Length is one of CloudFront's conditions
	o.static("/page.html", 200, map[string]string{"Content-Type": "text/html; charset=utf-8", "ETag": `"p1"`, "Content-Length": n}, html)
	o.static("/chunked.html", 200, map[string]string{"Content-Type": "text/html"}, html)
	o.static("/small.txt", 200, map[string]string{"Content-Type": "text/plain"}, strings.Repeat("s", 900))
	o.static("/img.png", 200, map[string]string{"Content-Type": "image/png", "Content-Length": n}, html)
	o.static("/pre.js", 200, map[string]string{"Content-Type": "application/javascript", "Content-Encoding": "gzip", "Content-Length": n}, html)
	o.static("/missing.html", 404, map[string]string{"Content-Type": "text/html", "Content-Length": n}, html)
	o.static("/plain.html", 200, map[string]string{"Content-Type": "text/html", "Content-Length": n}, html)
	cfg := strings.Replace(baseConfig(`
[[distribution.behavior]]
path_pattern = "/plain.html"
target_origin_id = "web"
cache_policy = "CachingOptimized"
`), "[distribution.default_behavior]\ntarget_origin_id = \"web\"\n",
		"[distribution.default_behavior]\ntarget_origin_id = \"web\"\ncompress = true\ncache_policy = \"CachingOptimized\"\n", 1)
	e := startEdge(t, cfg, o.port())
	cases := []struct {
		path, ae, want string
	}{
		{"/page.html", "gzip, deflate, br", "br"},
		{"/page.html", "gzip", "gzip"},
		{"/page.html", "deflate", ""},
		{"/page.html", "", ""},
		{"/small.txt", "gzip, br", ""},
		{"/img.png", "gzip, br", ""},
		{"/pre.js", "br", "gzip"}, // the origin's own encoding passes through
		{"/missing.html", "gzip", "gzip"},
		{"/plain.html", "gzip, br", ""},   // compress off on that behavior
		{"/chunked.html", "gzip, br", ""}, // no valid Content-Length
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.ae != "" {
			hdr["Accept-Encoding"] = c.ae
		}
		for i := 0; i < 2; i++ { // a miss, then a hit of the same variant
			r, body := e.do(t, "GET", c.path, hdr)
			if got := r.Header.Get("Content-Encoding"); got != c.want {
				t.Fatalf("%s with %q (%d): Content-Encoding %q, want %q", c.path, c.ae, i, got, c.want)
			}
			if c.path == "/pre.js" {
				continue
			}
			if got := decode(t, c.want, body); got != html && !strings.HasPrefix(got, "sss") {
				t.Fatalf("%s with %q: body does not decode to the original", c.path, c.ae)
			}
			if c.want != "" && c.path == "/page.html" {
				if r.Header.Get("Etag") != `W/"p1"` || !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
					t.Errorf("compressed: ETag %q Vary %q", r.Header.Get("Etag"), r.Header.Get("Vary"))
				}
			}
		}
	}
	if got := o.last("/page.html").Header.Get("Accept-Encoding"); got != "gzip" && got != "br,gzip" && got != "identity" {
		t.Errorf("origin Accept-Encoding %q is not normalised", got)
	}
	// An HTTP/1.0 viewer's Accept-Encoding is dropped: never compressed.
	r, _ := e.raw(t, "GET /page.html HTTP/1.0\r\nHost: "+e.host+"\r\nAccept-Encoding: gzip\r\n\r\n")
	if r.Header.Get("Content-Encoding") != "" {
		t.Errorf("HTTP/1.0 viewer got %q", r.Header.Get("Content-Encoding"))
	}
}

func decode(t *testing.T, coding, body string) string {
	t.Helper()
	var out []byte
	var err error
	switch coding {
	case "gzip":
		out, err = fasthttp.AppendGunzipBytes(nil, []byte(body))
	case "br":
		out, err = fasthttp.AppendUnbrotliBytes(nil, []byte(body))
	default:
		return body
	}
	if err != nil {
		t.Fatalf("decoding %s: %v", coding, err)
	}
	return string(out)
}
