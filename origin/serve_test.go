package origin

import (
	"net/http"
	"testing"
	"time"
)

// TestParseRangeSinglePart: the dir origin sends one part, so it honours a Range only when it
// leaves exactly one satisfiable range (the parsing rules are httpcond's).
func TestParseRangeSinglePart(t *testing.T) {
	cases := []struct {
		v             string
		start, length int64
		res           rangeResult
	}{
		{"bytes=2-5", 2, 4, rangeOK},
		{"BYTES=2-5", 2, 4, rangeOK},
		{"bytes=-3", 7, 3, rangeOK},
		{"bytes=0-1,", 0, 2, rangeOK},
		{"bytes=0-1,50-60", 0, 2, rangeOK},
		{"bytes=0-1,3-4", 0, 0, rangeNone},
		{"bytes=3-4,0-1", 0, 0, rangeNone},
		{"bytes=50-60,70-", 0, 0, rangeUnsatisfiable},
		{"bytes=10-", 0, 0, rangeUnsatisfiable},
		{"bytes=1 - 2", 0, 0, rangeNone},
		{"bytes=", 0, 0, rangeNone},
		{"bytes=99999999999999999999-", 0, 0, rangeUnsatisfiable}, // saturated (RFC 9110 §14.1.1)
		{"bytes=5-99999999999999999999", 5, 5, rangeOK},
	}
	for _, c := range cases {
		start, length, res := parseRange(c.v, 10)
		if start != c.start || length != c.length || res != c.res {
			t.Errorf("parseRange(%q, 10) = %d, %d, %d; want %d, %d, %d", c.v, start, length, res, c.start, c.length, c.res)
		}
	}
}

func TestContentRange(t *testing.T) {
	if got := contentRange(2, 4, 10); got != "bytes 2-5/10" {
		t.Errorf("contentRange(2, 4, 10) = %q", got)
	}
}

// TestPreconditionsAdapter checks what the adapter adds to httpcond: several field lines of a
// list, and a modification time with sub-second precision compared in whole seconds (as the
// Last-Modified a client saw).
func TestPreconditionsAdapter(t *testing.T) {
	const etag = `"a-1"`
	mod := time.Date(2024, 3, 1, 12, 0, 0, 700_000_000, time.UTC)
	same := mod.Truncate(time.Second).Format(http.TimeFormat)
	earlier := mod.Add(-time.Second).Format(http.TimeFormat)
	cases := []struct {
		name string
		h    http.Header
		want int
	}{
		{"none", http.Header{}, 0},
		{"If-None-Match on a second line", http.Header{"If-None-Match": {`"x"`, `W/"a-1"`}}, http.StatusNotModified},
		{"If-Match on a second line", http.Header{"If-Match": {`"x"`, etag}}, 0},
		{"If-Match on no line", http.Header{"If-Match": {`"x"`, `"y"`}}, http.StatusPreconditionFailed},
		{"If-Modified-Since the same second", http.Header{"If-Modified-Since": {same}}, http.StatusNotModified},
		{"If-Modified-Since a second earlier", http.Header{"If-Modified-Since": {earlier}}, 0},
		{"If-Unmodified-Since the same second", http.Header{"If-Unmodified-Since": {same}}, 0},
		{"If-Unmodified-Since a second earlier", http.Header{"If-Unmodified-Since": {earlier}}, http.StatusPreconditionFailed},
	}
	for _, c := range cases {
		if got := preconditions(c.h, etag, mod); got != c.want {
			t.Errorf("%s: preconditions = %d, want %d", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		ir   string
		want bool
	}{{"", true}, {etag, true}, {"W/" + etag, false}, {same, true}, {earlier, false}} {
		if got := ifRangeAllows(http.Header{"If-Range": {c.ir}}, etag, mod); got != c.want {
			t.Errorf("ifRangeAllows(%q) = %v, want %v", c.ir, got, c.want)
		}
	}
}
