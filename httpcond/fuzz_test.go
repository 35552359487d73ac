package httpcond

import (
	"bytes"
	"net/http"
	"testing"
)

// FuzzParseRanges: no Range value makes ParseRanges panic, and a Satisfiable answer is a
// non-empty list of ranges inside the representation, ascending and not overlapping; the other
// answers carry no ranges.
func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=3-", "bytes=0-1,3-4", "bytes=9-1", "bytes=,", "bytes=--1",
		"BYTES= 1 - 2 ", "bytes=99999999999999999999-", "bytes=-99999999999999999999", "items=0-1", "bytes=",
		"bytes=0-1,,4-5", "bytes=4-5,0-1", "bytes=0-5,3-8", "bytes=-0", "bytes=10-"} {
		f.Add(s, int64(10))
	}
	f.Add("bytes=0-", int64(0))
	f.Add("bytes=9223372036854775806-", int64(1<<63-1))
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size < 0 {
			return
		}
		rs, res := ParseRanges(nil, []byte(v), size)
		switch res {
		case Satisfiable:
			if len(rs) == 0 {
				t.Fatalf("%q size %d: Satisfiable without ranges", v, size)
			}
		case Ignore, Unsatisfiable:
			if len(rs) != 0 {
				t.Fatalf("%q size %d: %v with ranges %v", v, size, res, rs)
			}
		default:
			t.Fatalf("%q size %d: unknown result %d", v, size, res)
		}
		prev := int64(-1)
		for _, r := range rs {
			if r.Start <= prev || r.Start > r.End || r.End >= size || r.Length() < 1 {
				t.Fatalf("%q size %d: bad range %+v in %v", v, size, r, rs)
			}
			prev = r.End
		}
	})
}

// FuzzMatchETagList: nothing panics; a strong match is also a weak match; a list never matches
// more after a malformed element is appended; and a well-formed strong tag, alone or added at
// the end of a well-formed list, matches itself both ways.
func FuzzMatchETagList(f *testing.F) {
	for _, s := range []string{`"a"`, `W/"a"`, `*`, `"x", "a"`, `"x",W/"a"`, `"unterminated`, `W/`, `,,, "a"`, `"a,b"`, `*x`, `"x" y`} {
		f.Add(s, `"a"`)
	}
	f.Add(`"1"`, `W/"1"`)
	f.Fuzz(func(t *testing.T, list, etag string) {
		l, e := []byte(list), []byte(etag)
		strong, weak := MatchETagList(l, e, true), MatchETagList(l, e, false)
		if strong && !weak {
			t.Fatalf("%q matches %q strongly but not weakly", list, etag)
		}
		if _, w, ok := opaque(e); ok && !w {
			if !MatchETagList(e, e, true) {
				t.Fatalf("%q does not match itself", etag)
			}
			if wellFormedList(l) {
				joined := []byte(list + ", " + etag)
				if !MatchETagList(joined, e, true) || !MatchETagList(joined, e, false) {
					t.Fatalf("%q does not match %q", joined, etag)
				}
			}
		}
	})
}

// wellFormedList reports whether b is a (possibly empty) comma-separated list of entity-tags,
// checked independently of MatchETagList's scanner.
func wellFormedList(b []byte) bool {
	for _, el := range bytes.Split(b, []byte(",")) {
		el = bytes.Trim(el, " \t")
		if len(el) == 0 {
			continue
		}
		if _, _, ok := opaque(el); !ok || bytes.Contains(el[1:len(el)-1], []byte(`"`)) {
			return false
		}
	}
	return true
}

// FuzzParseHTTPDate: every date ParseHTTPDate accepts, net/http accepts too (once the OWS
// around a field value is trimmed, as field parsing does) and reads as the same instant.
func FuzzParseHTTPDate(f *testing.F) {
	for _, s := range []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Thu, 29 Feb 2024 00:00:00 GMT", "Sun, 31 Nov 1994 08:49:37 GMT", "Monday, 01-Jan-68 00:00:00 GMT", " Sun, 06 Nov 1994 08:49:37 GMT\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := ParseHTTPDate([]byte(v))
		if !ok {
			return
		}
		std, err := http.ParseTime(string(trimOWS([]byte(v))))
		if err != nil || !std.Equal(got) {
			t.Fatalf("ParseHTTPDate(%q) = %v; net/http: %v %v", v, got, std, err)
		}
	})
}
