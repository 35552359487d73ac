package edge

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/cache"
	"github.com/valyala/fasthttp"
)

func TestScanHeaders(t *testing.T) {
	cases := []struct {
		headers string
		want    headerFacts
	}{
		{"Host: a\r\nAccept: */*\r\n", headerFacts{}},
		{"Host: a\r\nReferer: http://x/\r\nUser-Agent: y\r\n", headerFacts{}},
		{"Host: a\r\nIf-None-Match: \"x\"\r\n", headerFacts{conditional: true}},
		{"Host: a\r\nif-modified-since: Mon, 02 Jan 2006 15:04:05 GMT\r\n", headerFacts{conditional: true}},
		{"Host: a\r\nRANGE: bytes=0-1\r\n", headerFacts{conditional: true}},
		{"Host: a\r\nIf-Range: \"x\"\r\nRange: bytes=0-1\r\n", headerFacts{conditional: true}},
		{"Host: a\r\nX-If-Thing: 1\r\nRanger: 2\r\nIf: 3\r\n", headerFacts{}},
		{"Host: a\r\nconnection: keep-alive, X-A\r\n", headerFacts{connection: true}},
		{"Host: a\r\nConnections: 1\r\n", headerFacts{}},
		{"Host: a\r\nTransfer-Encoding x: chunked\r\n", headerFacts{badName: true}},
		{"Host: a\r\nX-A\tB: 1\r\n", headerFacts{badName: true}},
	}
	for _, c := range cases {
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\n" + c.headers + "\r\n"))); err != nil {
			// fasthttp refuses it itself: nothing for the edge to catch.
			if !c.want.badName {
				t.Fatalf("%q: %v", c.headers, err)
			}
			continue
		}
		if got := scanHeaders(req.Header.RawHeaders()); got.flags() != c.want.flags() {
			t.Errorf("%q: %+v, want %+v", c.headers, got, c.want)
		}
	}
	var built fasthttp.Request
	built.Header.Set("If-None-Match", `"x"`)
	if f := scanHeaders(built.Header.RawHeaders()); !f.conditional || !f.connection {
		t.Error("a request built in code (no raw headers) must be checked the slow way")
	}
}

// TestWriteEntry answers conditional and Range requests from a cache entry the way CloudFront
// does (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RangeGETs.html): the
// rules themselves are httpcond's and tested there; this checks the edge applies them.
func TestWriteEntry(t *testing.T) {
	const body = "0123456789abcdefghij"
	const lm = "Mon, 02 Jan 2006 15:04:05 GMT"
	e := &cache.Entry{
		Status: 200,
		Header: []cache.Field{{Key: []byte("Content-Type"), Value: []byte("text/plain")}},
		Body:   []byte(body), ETag: []byte(`"e1"`), LastModified: []byte(lm),
	}
	cases := []struct {
		name     string
		method   string
		hdr      string // raw request header lines
		status   int
		body, cr string
	}{
		{"plain", "GET", "", 200, body, ""},
		{"if-none-match", "GET", "If-None-Match: \"e1\"\r\n", 304, "", ""},
		{"if-none-match on a second line", "GET", "If-None-Match: \"a\"\r\nIf-None-Match: \"b\", W/\"e1\"\r\n", 304, "", ""},
		{"if-none-match star", "HEAD", "If-None-Match: *\r\n", 304, "", ""},
		{"if-none-match other, ims ignored", "GET", "If-None-Match: \"zz\"\r\nIf-Modified-Since: " + lm + "\r\n", 200, body, ""},
		{"if-modified-since", "GET", "If-Modified-Since: " + lm + "\r\n", 304, "", ""},
		{"if-match is the origin's business", "GET", "If-Match: \"zz\"\r\n", 200, body, ""},
		{"not for POST", "POST", "If-None-Match: \"e1\"\r\n", 200, body, ""},
		{"single range", "GET", "Range: bytes=2-5\r\n", 206, "2345", "bytes 2-5/20"},
		{"unsatisfiable", "GET", "Range: bytes=50-60\r\n", 416, "", "bytes */20"},
		{"unsorted: whole", "GET", "Range: bytes=10-12,0-2\r\n", 200, body, ""},
		{"if-range date", "GET", "Range: bytes=0-1\r\nIf-Range: " + lm + "\r\n", 206, "01", "bytes 0-1/20"},
		{"if-range weak: whole", "GET", "Range: bytes=0-1\r\nIf-Range: W/\"e1\"\r\n", 200, body, ""},
		{"304 before range", "GET", "Range: bytes=0-1\r\nIf-None-Match: \"e1\"\r\n", 304, "", ""},
	}
	s := &Server{clock: httpClock{now: time.Now}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := requestCtx(t, c.method+" /f HTTP/1.1\r\nHost: a\r\n"+c.hdr+"\r\n")
			x := &exchange{ctx: ctx, rangeStart: -1, rangeEnd: -1, facts: scanHeaders(ctx.Request.Header.RawHeaders())}
			s.writeEntry(ctx, x, e, time.Now(), false)
			r := &ctx.Response
			if got := string(r.Body()); r.StatusCode() != c.status || (!r.SkipBody && got != c.body) ||
				string(r.Header.Peek("Content-Range")) != c.cr {
				t.Fatalf("got %d %q Content-Range %q; want %d %q %q", r.StatusCode(), got, r.Header.Peek("Content-Range"), c.status, c.body, c.cr)
			}
			if c.status == 304 && !r.SkipBody {
				t.Error("304 with a body")
			}
			if c.cr != "" && c.status == 206 && (x.rangeStart < 0 || x.rangeEnd < x.rangeStart) {
				t.Errorf("access-log range %d-%d not set", x.rangeStart, x.rangeEnd)
			}
		})
	}
	t.Run("multipart", func(t *testing.T) {
		ctx := requestCtx(t, "GET /f HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1,5-6\r\n\r\n")
		x := &exchange{ctx: ctx, facts: scanHeaders(ctx.Request.Header.RawHeaders())}
		copy(x.id[:], "0123456789ABCDEFGHIJ")
		s.writeEntry(ctx, x, e, time.Now(), false)
		r := &ctx.Response
		want := "\r\n--0123456789ABCDEFGHIJ\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/20\r\n\r\n01" +
			"\r\n--0123456789ABCDEFGHIJ\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/20\r\n\r\n56" +
			"\r\n--0123456789ABCDEFGHIJ--\r\n"
		if r.StatusCode() != 206 || string(r.Header.ContentType()) != "multipart/byteranges; boundary=0123456789ABCDEFGHIJ" ||
			string(r.Body()) != want {
			t.Fatalf("%d %q\n%q", r.StatusCode(), r.Header.ContentType(), r.Body())
		}
	})
}

// TestConditionalHitAllocatesNothing: a hit answered with 304 or a single range allocates
// nothing once the response buffers are warm.
func TestConditionalHitAllocatesNothing(t *testing.T) {
	e := &cache.Entry{Status: 200, Body: []byte("0123456789"), ETag: []byte(`"e1"`), LastModified: []byte("Mon, 02 Jan 2006 15:04:05 GMT")}
	s := &Server{clock: httpClock{now: time.Now}}
	for _, c := range []struct {
		hdr    string
		status int
	}{
		{"If-None-Match: \"x\", W/\"e1\"\r\n", 304},
		{"If-Modified-Since: Mon, 02 Jan 2006 15:04:05 GMT\r\n", 304},
		{"Range: bytes=2-5\r\nIf-Range: \"e1\"\r\n", 206},
		{"Range: bytes=20-\r\n", 416},
	} {
		ctx := requestCtx(t, "GET /f HTTP/1.1\r\nHost: a\r\n"+c.hdr+"\r\n")
		x := &exchange{ctx: ctx, buf: make([]byte, 0, 64), facts: scanHeaders(ctx.Request.Header.RawHeaders())}
		run := func() {
			ctx.Response.Reset()
			s.writeEntry(ctx, x, e, time.Time{}, false)
		}
		run()
		if allocs := testing.AllocsPerRun(100, run); allocs != 0 || ctx.Response.StatusCode() != c.status {
			t.Errorf("%q: %d with %.1f allocations, want %d with 0", c.hdr, ctx.Response.StatusCode(), allocs, c.status)
		}
	}
}

func requestCtx(t *testing.T, raw string) *fasthttp.RequestCtx {
	t.Helper()
	ctx := new(fasthttp.RequestCtx)
	if err := ctx.Request.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	return ctx
}
