package behavior

import (
	"testing"
	"time"
)

func TestParseCacheControl(t *testing.T) {
	tests := []struct {
		in   string
		want Directives
	}{
		{"", Directives{}},
		{" , ,", Directives{}},
		{"max-age=60", Directives{MaxAge: time.Minute, HasMaxAge: true, Any: true}},
		{"MAX-AGE=60", Directives{MaxAge: time.Minute, HasMaxAge: true, Any: true}},
		{"Max-Age = 60 ", Directives{MaxAge: time.Minute, HasMaxAge: true, Any: true}},
		{`max-age="60"`, Directives{MaxAge: time.Minute, HasMaxAge: true, Any: true}},
		{"public, max-age=60, s-maxage=120", Directives{MaxAge: time.Minute, HasMaxAge: true,
			SMaxAge: 2 * time.Minute, HasSMaxAge: true, Public: true, Any: true}},
		{"max-age=60, max-age=10", Directives{MaxAge: time.Minute, HasMaxAge: true, Any: true}}, // first wins
		{"max-age=abc", Directives{HasMaxAge: true, Any: true}},                                 // invalid: stale
		{"max-age=-5", Directives{HasMaxAge: true, Any: true}},
		{"max-age", Directives{HasMaxAge: true, Any: true}},
		{"max-age=", Directives{HasMaxAge: true, Any: true}},
		{"max-age=99999999999999999999", Directives{MaxAge: time.Duration(maxSeconds) * time.Second, HasMaxAge: true, Any: true}},
		{"no-cache", Directives{NoCache: true, Any: true}},
		{`no-cache="Set-Cookie, X-Foo", max-age=5`, Directives{NoCache: true, MaxAge: 5 * time.Second, HasMaxAge: true, Any: true}},
		{`no-cache=" set-cookie ", max-age=5`, Directives{NoCacheSetCookie: true, MaxAge: 5 * time.Second, HasMaxAge: true, Any: true}},
		{`no-cache="Set-Cookie", no-cache`, Directives{NoCache: true, Any: true}},
		{`no-cache=""`, Directives{NoCache: true, Any: true}},
		{`private="a,b" , no-store`, Directives{Private: true, NoStore: true, Any: true}},
		{`ext="quoted \" , max-age=1", max-age=7`, Directives{MaxAge: 7 * time.Second, HasMaxAge: true, Any: true}},
		{"max-age=5 junk, no-store", Directives{MaxAge: 5 * time.Second, HasMaxAge: true, NoStore: true, Any: true}},
		{"\tmust-revalidate,proxy-revalidate,no-transform,immutable",
			Directives{MustRevalidate: true, ProxyRevalidate: true, NoTransform: true, Immutable: true, Any: true}},
		{"stale-while-revalidate=30, stale-if-error=600", Directives{StaleWhileRevalidate: 30 * time.Second,
			HasStaleWhileRevalidate: true, StaleIfError: 10 * time.Minute, HasStaleIfError: true, Any: true}},
		{"foo=bar", Directives{Any: true}},
		{`max-age="6`, Directives{HasMaxAge: true, Any: true}}, // unterminated quote: malformed
		{"=5", Directives{}},
	}
	for _, tt := range tests {
		if got := ParseCacheControl([]byte(tt.in)); got != tt.want {
			t.Errorf("ParseCacheControl(%q) =\n %+v, want\n %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseHTTPDate(t *testing.T) {
	want := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	for _, in := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"  Sun, 06 Nov 1994 08:49:37 GMT ",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	} {
		got, ok := ParseHTTPDate([]byte(in))
		if !ok || !got.Equal(want) {
			t.Errorf("ParseHTTPDate(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "tomorrow", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 0x Nov 1994 08:49:37 GMT"} {
		if got, ok := ParseHTTPDate([]byte(in)); ok {
			t.Errorf("ParseHTTPDate(%q) = %v, want invalid", in, got)
		}
	}
}

func FuzzCacheControl(f *testing.F) {
	for _, s := range []string{"max-age=60", `no-cache="a,b", s-maxage=5`, `x="\"`, "max-age=9999999999999999999999",
		",,,", "  MAX-AGE = 3 ", `a="b\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := ParseCacheControl([]byte(v))
		if d.MaxAge < 0 || d.SMaxAge < 0 || d.StaleIfError < 0 || d.StaleWhileRevalidate < 0 {
			t.Fatalf("negative duration from %q: %+v", v, d)
		}
		if d.MaxAge != 0 && !d.HasMaxAge || d.SMaxAge != 0 && !d.HasSMaxAge {
			t.Fatalf("value without flag from %q: %+v", v, d)
		}
		if (d.HasMaxAge || d.NoCache || d.NoStore || d.Private) && !d.Any {
			t.Fatalf("directive without Any from %q: %+v", v, d)
		}
		// Prefixing an empty element and OWS never changes the outcome.
		if e := ParseCacheControl([]byte(" ,\t" + v)); e != d {
			t.Fatalf("%q and its padded form differ: %+v vs %+v", v, d, e)
		}
		p := TTLPolicy{Min: time.Second, Default: time.Hour, Max: 24 * time.Hour}
		ttl, ok := p.ObjectTTL(200, []byte(v), []byte(v), []byte(v), time.Unix(0, 0))
		if ok != (ttl > 0) || ttl < 0 || ttl > p.Max {
			t.Fatalf("ObjectTTL(%q) = %v, %v", v, ttl, ok)
		}
		_, _ = ParseHTTPDate([]byte(v))
	})
}
