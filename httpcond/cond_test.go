package httpcond

import (
	"net/http"
	"testing"
	"time"
)

const (
	lm      = "Mon, 02 Jan 2006 15:04:05 GMT" // the representation's Last-Modified
	lmEarly = "Sun, 01 Jan 2006 15:04:05 GMT"
	lmLate  = "Tue, 03 Jan 2006 15:04:05 GMT"
)

func TestEvaluatePreconditions(t *testing.T) {
	strong := Validators{ETag: []byte(`"e1"`), LastModified: []byte(lm)}
	weak := Validators{ETag: []byte(`W/"e1"`), LastModified: []byte(lm)}
	none := Validators{}
	cases := []struct {
		name string
		c    Conditions
		v    Validators
		want Result
	}{
		{"no conditions", Conditions{}, strong, Proceed},
		// If-None-Match (RFC 9110 §13.1.2): weak comparison, lists, "*".
		{"inm equal", Conditions{IfNoneMatch: []byte(`"e1"`)}, strong, NotModified},
		{"inm weak request tag", Conditions{IfNoneMatch: []byte(`W/"e1"`)}, strong, NotModified},
		{"inm weak representation tag", Conditions{IfNoneMatch: []byte(`"e1"`)}, weak, NotModified},
		{"inm other", Conditions{IfNoneMatch: []byte(`"zz"`)}, strong, Proceed},
		{"inm list", Conditions{IfNoneMatch: []byte(`"a", W/"b" ,"e1"`)}, strong, NotModified},
		{"inm list without it", Conditions{IfNoneMatch: []byte(`"a", "b"`)}, strong, Proceed},
		{"inm star", Conditions{IfNoneMatch: []byte(`*`)}, strong, NotModified},
		{"inm star without an etag", Conditions{IfNoneMatch: []byte(`*`)}, none, NotModified},
		{"inm tag without an etag", Conditions{IfNoneMatch: []byte(`"e1"`)}, none, Proceed},
		{"inm unquoted is no entity-tag", Conditions{IfNoneMatch: []byte(`e1`)}, Validators{ETag: []byte(`e1`)}, Proceed},
		{"inm case-sensitive", Conditions{IfNoneMatch: []byte(`"E1"`)}, strong, Proceed},
		// If-Modified-Since (RFC 9110 §13.1.3): only without If-None-Match.
		{"ims equal", Conditions{IfModifiedSince: []byte(lm)}, strong, NotModified},
		{"ims later", Conditions{IfModifiedSince: []byte(lmLate)}, strong, NotModified},
		{"ims earlier", Conditions{IfModifiedSince: []byte(lmEarly)}, strong, Proceed},
		{"ims rfc850", Conditions{IfModifiedSince: []byte("Monday, 02-Jan-06 15:04:05 GMT")}, strong, NotModified},
		{"ims asctime", Conditions{IfModifiedSince: []byte("Mon Jan  2 15:04:05 2006")}, strong, NotModified},
		{"ims invalid ignored", Conditions{IfModifiedSince: []byte("yesterday")}, strong, Proceed},
		{"ims without last-modified", Conditions{IfModifiedSince: []byte(lm)}, none, Proceed},
		{"ims ignored with inm", Conditions{IfNoneMatch: []byte(`"zz"`), IfModifiedSince: []byte(lm)}, strong, Proceed},
		{"inm wins over ims", Conditions{IfNoneMatch: []byte(`"e1"`), IfModifiedSince: []byte(lmEarly)}, strong, NotModified},
		// If-Match (RFC 9110 §13.1.1): strong comparison.
		{"im equal", Conditions{IfMatch: []byte(`"e1"`)}, strong, Proceed},
		{"im other", Conditions{IfMatch: []byte(`"zz"`)}, strong, PreconditionFailed},
		{"im weak request tag", Conditions{IfMatch: []byte(`W/"e1"`)}, strong, PreconditionFailed},
		{"im weak representation tag", Conditions{IfMatch: []byte(`"e1"`)}, weak, PreconditionFailed},
		{"im list", Conditions{IfMatch: []byte(`"a","e1"`)}, strong, Proceed},
		{"im star", Conditions{IfMatch: []byte(`*`)}, strong, Proceed},
		// If-Unmodified-Since (RFC 9110 §13.1.4): only without If-Match.
		{"ius equal", Conditions{IfUnmodifiedSince: []byte(lm)}, strong, Proceed},
		{"ius earlier", Conditions{IfUnmodifiedSince: []byte(lmEarly)}, strong, PreconditionFailed},
		{"ius invalid ignored", Conditions{IfUnmodifiedSince: []byte("soon")}, strong, Proceed},
		{"ius ignored with im", Conditions{IfMatch: []byte(`"e1"`), IfUnmodifiedSince: []byte(lmEarly)}, strong, Proceed},
		// Order (RFC 9110 §13.2.2): 412 before 304.
		{"412 before 304", Conditions{IfMatch: []byte(`"zz"`), IfNoneMatch: []byte(`"e1"`)}, strong, PreconditionFailed},
		{"im passes then inm", Conditions{IfMatch: []byte(`"e1"`), IfNoneMatch: []byte(`"e1"`)}, strong, NotModified},
		{"ius passes then ims", Conditions{IfUnmodifiedSince: []byte(lm), IfModifiedSince: []byte(lm)}, strong, NotModified},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EvaluatePreconditions(c.c, c.v); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestIfRange(t *testing.T) {
	strong := Validators{ETag: []byte(`"e1"`), LastModified: []byte(lm)}
	weak := Validators{ETag: []byte(`W/"e1"`), LastModified: []byte(lm)}
	cases := []struct {
		name string
		ir   string
		v    Validators
		want bool
	}{
		{"absent", "", strong, true},
		{"strong etag equal", `"e1"`, strong, true},
		{"strong etag other", `"old"`, strong, false},
		{"weak request tag never", `W/"e1"`, strong, false},
		{"weak representation tag never", `"e1"`, weak, false},
		{"weak both never", `W/"e1"`, weak, false},
		{"etag with trailing garbage", `"e1"x`, strong, false},
		{"a list is not an entity-tag", `"e1", "e2"`, strong, false},
		{"etag without representation etag", `"e1"`, Validators{LastModified: []byte(lm)}, false},
		{"date equal", lm, strong, true},
		{"date equal in rfc850 form", "Monday, 02-Jan-06 15:04:05 GMT", strong, true},
		{"date earlier", lmEarly, strong, false},
		{"date later", lmLate, strong, false},
		{"date without last-modified", lm, Validators{ETag: []byte(`"e1"`)}, false},
		{"not a date", "yesterday", strong, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := IfRange([]byte(c.ir), c.v); got != c.want {
				t.Errorf("IfRange(%q) = %v, want %v", c.ir, got, c.want)
			}
		})
	}
}

func TestMatchETagList(t *testing.T) {
	cases := []struct {
		list, etag   string
		strong, weak bool // the answer with strong and with weak comparison
	}{
		// RFC 9110 §8.8.3.2 table.
		{`W/"1"`, `W/"1"`, false, true},
		{`W/"1"`, `W/"2"`, false, false},
		{`W/"1"`, `"1"`, false, true},
		{`"1"`, `"1"`, true, true},
		// Lists and "*" (RFC 9110 §13.1.1, §13.1.2, §5.6.1).
		{`*`, `"1"`, true, true},
		{` * `, ``, true, true},
		{`"a", *`, `"1"`, true, true},
		{`*x`, `"1"`, false, false},
		{`"x", "1"`, `"1"`, true, true},
		{`"x",W/"1"`, `"1"`, false, true},
		{`,,, "1"`, `"1"`, true, true},
		{`"x" ,	"1" ,`, `"1"`, true, true},
		{`"a,b"`, `"a,b"`, true, true}, // a comma is an etagc
		{`"a", "b"`, `"a,b"`, false, false},
		{``, `"1"`, false, false},
		{`"1`, `"1"`, false, false},
		{`W/`, `"1"`, false, false},
		{`1`, `1`, false, false},
		{`"x"y, "1"`, `"1"`, false, false}, // malformed before the match
		{`"1" y`, `"1"`, false, false},
		{`"1"`, `1`, false, false},
		{`"a b"`, `"a b"`, false, false},     // SP is not an etagc
		{"\"\x80\"", "\"\x80\"", true, true}, // obs-text is
		{`""`, `""`, true, true},
	}
	for _, c := range cases {
		if got := MatchETagList([]byte(c.list), []byte(c.etag), true); got != c.strong {
			t.Errorf("MatchETagList(%q, %q, strong) = %v, want %v", c.list, c.etag, got, c.strong)
		}
		if got := MatchETagList([]byte(c.list), []byte(c.etag), false); got != c.weak {
			t.Errorf("MatchETagList(%q, %q, weak) = %v, want %v", c.list, c.etag, got, c.weak)
		}
	}
}

func TestParseHTTPDate(t *testing.T) {
	want := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	cases := []struct {
		v  string
		ok bool
	}{
		// RFC 9110 §5.6.7 examples.
		{"Sun, 06 Nov 1994 08:49:37 GMT", true},
		{"Sunday, 06-Nov-94 08:49:37 GMT", true},
		{"Sun Nov  6 08:49:37 1994", true},
		{"Sun Nov 06 08:49:37 1994", true},
		{" Sun, 06 Nov 1994 08:49:37 GMT ", true},
		{"Sun, 06 Nov 1994 08:49:37 UTC", false},
		{"sun, 06 Nov 1994 08:49:37 GMT", false},
		{"Sun, 06 nov 1994 08:49:37 GMT", false},
		{"Sun, 6 Nov 1994 08:49:37 GMT", false},
		{"Sun, 31 Nov 1994 08:49:37 GMT", false},
		{"Sun, 06 Nov 1994 24:49:37 GMT", false},
		{"Sun, 06 Nov 1994 08:60:37 GMT", false},
		{"Sun, 06 Nov 1994 08:49:60 GMT", false},
		{"Sun, 06 Nov 1994 08-49-37 GMT", false},
		{"Sunday, 06-Nov-94 08:49:37 PST", false},
		{"Sunny, 06-Nov-94 08:49:37 GMT", false},
		{"Sun Nov 6 08:49:37 1994", false},
		{"1994-11-06T08:49:37Z", false},
		{"", false},
	}
	for _, c := range cases {
		got, ok := ParseHTTPDate([]byte(c.v))
		if ok != c.ok || ok && !got.Equal(want) {
			t.Errorf("ParseHTTPDate(%q) = %v %v, want ok=%v", c.v, got, ok, c.ok)
		}
	}
	for _, v := range []string{"Thu, 29 Feb 2024 00:00:00 GMT", "Tue, 29 Feb 2000 23:59:59 GMT", "Thursday, 01-Jan-70 00:00:00 GMT", "Monday, 01-Jan-68 00:00:00 GMT"} {
		got, ok := ParseHTTPDate([]byte(v))
		std, err := http.ParseTime(v)
		if !ok || err != nil || !got.Equal(std) {
			t.Errorf("ParseHTTPDate(%q) = %v %v; net/http says %v %v", v, got, ok, std, err)
		}
	}
	for _, v := range []string{"Thu, 29 Feb 2023 00:00:00 GMT", "Mon, 29 Feb 1900 00:00:00 GMT"} {
		if _, ok := ParseHTTPDate([]byte(v)); ok {
			t.Errorf("ParseHTTPDate(%q): accepted a day that does not exist", v)
		}
	}
}

// TestHotPathAllocatesNothing: what an edge hit answering a conditional or Range request calls
// allocates nothing.
func TestHotPathAllocatesNothing(t *testing.T) {
	v := Validators{ETag: []byte(`"e1"`), LastModified: []byte(lm)}
	c := Conditions{IfNoneMatch: []byte(`"a", W/"e1"`), IfModifiedSince: []byte(lm)}
	ims := Conditions{IfModifiedSince: []byte(lm)}
	ir, rng := []byte(lm), []byte("bytes=0-1,4-5,-2")
	var arr [8]Range
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if EvaluatePreconditions(c, v) != NotModified || EvaluatePreconditions(ims, v) != NotModified {
			t.Fatal("not 304")
		}
		if !IfRange(ir, v) || !IfRange(v.ETag, v) {
			t.Fatal("If-Range refused")
		}
		rs, res := ParseRanges(arr[:0], rng, 10)
		if res != Satisfiable || len(rs) != 3 {
			t.Fatal(rs, res)
		}
		buf = AppendContentRange(buf[:0], rs[0], 10)
		buf = AppendUnsatisfiedContentRange(buf[:0], 10)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per run, want 0", allocs)
	}
}
