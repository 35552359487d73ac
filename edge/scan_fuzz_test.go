package edge

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzScanHeaders checks the one pass over a raw header block against fasthttp's own parse of the
// same request: a name with a space or tab (or a folded line), an If-* or Range field and a
// Connection field are found exactly when the parsed fields have them.
func FuzzScanHeaders(f *testing.F) {
	for _, seed := range []string{
		"Host: a\r\nIf-None-Match: \"x\"\r\n",
		"Host: a\r\nRange: bytes=0-1\r\nConnection: close, X\r\n",
		"Host: a\r\nTransfer-Encoding x: chunked\r\n",
		"Host: a\r\nIf: 1\r\nConnections: 2\r\nRanges: 3\r\n",
		"host: a\r\nif-range: x\r\nCONNECTION: keep-alive\r\n",
		"Host: a\r\norigin:  https://x.test \r\nOrigin: https://y.test\r\nPragma: no-cache\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, headers string) {
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\n" + headers + "\r\n"))); err != nil {
			return
		}
		var want headerFacts
		for k := range req.Header.All() {
			name := strings.ToLower(string(k))
			want.badName = want.badName || strings.ContainsAny(name, " \t")
			want.conditional = want.conditional || strings.HasPrefix(name, "if-") || name == "range"
			want.connection = want.connection || name == "connection"
			want.origin = want.origin || name == "origin"
			want.pragma = want.pragma || name == "pragma"
			want.cloudfront = want.cloudfront || len(name) > 11 && strings.HasPrefix(name, "cloudfront-")
			want.hop = want.hop || name == "x-edge-shield-hop"
		}
		// A folded line (obs-fold) is refused too (RFC 9112 §5.2 lets a server answer 400).
		raw := string(req.Header.RawHeaders())
		if strings.HasPrefix(raw, " ") || strings.HasPrefix(raw, "\t") || strings.Contains(raw, "\n ") || strings.Contains(raw, "\n\t") {
			want.badName = true
		}
		// fasthttp keeps Connection: close as a flag, not a field.
		if req.Header.ConnectionClose() && strings.Contains(strings.ToLower(headers), "connection:") {
			want.connection = true
		}
		got := scanHeaders(req.Header.RawHeaders())
		if got.origin && !got.badName && string(got.originValue) != string(req.Header.Peek("Origin")) {
			t.Fatalf("%q: Origin %q, fasthttp's %q", headers, got.originValue, req.Header.Peek("Origin"))
		}
		if got.badName != want.badName || !got.badName && got.flags() != want.flags() {
			t.Fatalf("%q: %+v, fasthttp's fields say %+v", headers, got, want)
		}
	})
}
