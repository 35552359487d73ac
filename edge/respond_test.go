package edge

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestMayBeConditional(t *testing.T) {
	cases := []struct {
		headers string
		want    bool
	}{
		{"Host: a\r\nAccept: */*\r\n", false},
		{"Host: a\r\nReferer: http://x/\r\nUser-Agent: y\r\n", false},
		{"Host: a\r\nIf-None-Match: \"x\"\r\n", true},
		{"Host: a\r\nif-modified-since: Mon, 02 Jan 2006 15:04:05 GMT\r\n", true},
		{"Host: a\r\nRANGE: bytes=0-1\r\n", true},
		{"Host: a\r\nIf-Range: \"x\"\r\nRange: bytes=0-1\r\n", true},
		{"Host: a\r\nX-If-Thing: 1\r\nRanger: 2\r\n", false},
	}
	for _, c := range cases {
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\n" + c.headers + "\r\n"))); err != nil {
			t.Fatal(err)
		}
		if got := mayBeConditional(&req.Header); got != c.want {
			t.Errorf("%q: %v, want %v", c.headers, got, c.want)
		}
	}
	var built fasthttp.Request
	built.Header.Set("If-None-Match", `"x"`)
	if !mayBeConditional(&built.Header) {
		t.Error("a request built in code (no raw headers) must be checked the slow way")
	}
}

func TestParseRanges(t *testing.T) {
	cases := []struct {
		v         string
		size      int64
		want      []byteRange
		ok, unsat bool
	}{
		{"bytes=0-0", 10, []byteRange{{0, 0}}, true, false},
		{"bytes=-20", 10, []byteRange{{0, 9}}, true, false},
		{"bytes=5-", 10, []byteRange{{5, 9}}, true, false},
		{"bytes=0-1,4-5", 10, []byteRange{{0, 1}, {4, 5}}, true, false},
		{"bytes=10-", 10, nil, true, true},
		{"bytes=-0", 10, nil, true, true},
		{"bytes=5-3", 10, nil, false, false},
		{"items=0-1", 10, nil, false, false},
		{"bytes=4-5,0-1", 10, nil, false, false},
		{"bytes=0-5,5-6", 10, nil, false, false},
		{"bytes=0-1,", 10, []byteRange{{0, 1}}, true, false}, // empty list elements are allowed (RFC 9110 §5.6.1)
		{"bytes=99999999999999999999-", 10, nil, false, false},
	}
	for _, c := range cases {
		rs, ok, unsat := parseRanges(nil, []byte(c.v), c.size)
		if ok != c.ok || unsat != c.unsat || (ok && !unsat && !equalRanges(rs, c.want)) {
			t.Errorf("%q: %v ok=%v unsat=%v; want %v %v %v", c.v, rs, ok, unsat, c.want, c.ok, c.unsat)
		}
	}
}

func equalRanges(a, b []byteRange) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzParseRanges: no Range header makes parseRanges panic or return a range outside the object.
func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=3-", "bytes=0-1,3-4", "bytes=9-1", "bytes=,", "bytes=--1"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size < 0 || size > 1<<40 {
			return
		}
		rs, ok, unsat := parseRanges(nil, []byte(v), size)
		if !ok || unsat {
			return
		}
		prev := int64(-1)
		for _, r := range rs {
			if r.start < 0 || r.end >= size || r.start > r.end || r.start <= prev {
				t.Fatalf("%q size %d: bad range %+v in %v", v, size, r, rs)
			}
			prev = r.end
		}
	})
}
