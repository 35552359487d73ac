package disk

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestServeWithFasthttp serves objects the way the edge will: Object.File handed to
// fasthttp's SetBodyStream (which sends an *os.File with sendfile and closes it), whole and as
// a range (File sought to Offset+start). The bytes that arrive are the body, exactly.
//
// To see the sendfile calls: strace -f -e trace=sendfile ./disk.test -test.run TestServeWithFasthttp
func TestServeWithFasthttp(t *testing.T) {
	s := openLoaded(t, testConfig(t))
	const key, n = "/D1/video.mp4", 3<<20 + 17
	mustPut(t, s, key, n)
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		o, err := s.Get([]byte(key))
		if err != nil || o == nil {
			ctx.SetStatusCode(fasthttp.StatusBadGateway)
			return
		}
		ctx.Response.Header.SetBytesV("X-Head", o.Meta.Head)
		start, err := strconv.ParseInt(string(ctx.QueryArgs().Peek("start")), 10, 64)
		if err != nil {
			ctx.Response.SetBodyStream(o.File, int(o.Size)) // fasthttp closes File
			return
		}
		end, _ := strconv.ParseInt(string(ctx.QueryArgs().Peek("end")), 10, 64)
		if _, err := o.File.Seek(o.Offset+start, io.SeekStart); err != nil {
			o.Close()
			ctx.SetStatusCode(fasthttp.StatusInternalServerError)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusPartialContent)
		ctx.Response.SetBodyStream(o.File, int(end-start))
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	want := bodyFor(key, n)
	for _, r := range []struct {
		query    string
		from, to int
	}{
		{"", 0, n},
		{"?start=0&end=1", 0, 1},
		{"?start=1000000&end=2500000", 1_000_000, 2_500_000},
		{"?start=" + strconv.Itoa(n-5) + "&end=" + strconv.Itoa(n), n - 5, n},
	} {
		resp, err := http.Get("http://" + ln.Addr().String() + "/" + r.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[r.from:r.to]) || resp.Header.Get("X-Head") != "head of "+key {
			t.Errorf("%q: %d bytes (status %d), want bytes %d–%d of the body", r.query, len(got), resp.StatusCode, r.from, r.to)
		}
	}
}
