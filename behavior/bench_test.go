package behavior

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

// realisticPatterns are 25 behaviors of a media/web distribution, in precedence order.
var realisticPatterns = [...]string{
	"/api/v?/auth/*", "/api/*", "/static/js/*.js", "/static/css/*.css", "/static/*",
	"/images/thumbs/*.jpg", "/images/*.jpg", "/images/*.png", "/images/*.webp", "*.svg",
	"/video/*.ism/Manifest", "/video/*.ism/QualityLevels(*)/Fragments(*)", "/video/*", "/hls/*.m3u8", "/hls/*.ts",
	"/dash/*.mpd", "/dash/*.m4s", "/downloads/*.zip", "/docs/*.pdf", "*.doc?",
	"/fonts/*.woff2", "/robots.txt", "/favicon.ico", "/.well-known/*", "/legacy/a??/*.html",
}

func table25(tb testing.TB) *Table {
	tb.Helper()
	var ordered []*Behavior
	for i, p := range realisticPatterns {
		// "(" and ")" are not in CloudFront's pattern alphabet: use "?" in their place.
		q := []byte(p)
		for j := range q {
			if q[j] == '(' || q[j] == ')' {
				q[j] = '?'
			}
		}
		ordered = append(ordered, mustNew(tb, i, Spec{Behavior: config.Behavior{PathPattern: string(q), TargetOriginID: "o"}}))
	}
	return NewTable(ordered, mustNew(tb, -1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}}))
}

func BenchmarkMatch25(b *testing.B) {
	tab := table25(b)
	for _, c := range []struct{ name, path string }{
		{"first", "/api/v1/auth/login"},
		{"last", "/legacy/abc/deep/page.html"},
		{"none", "/some/ordinary/page/without/a/behavior/index.html"},
	} {
		path := []byte(c.path)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if tab.Match(path) == nil {
					b.Fatal("no behavior")
				}
			}
		})
	}
}

func keyBenchCases(tb testing.TB) []struct {
	name string
	k    *KeyPolicy
	r    req
} {
	plain := policyBehavior(tb, config.CachePolicy{Name: "CachingOptimized", EnableAcceptEncodingGzip: true,
		EnableAcceptEncodingBrotli: true}, nil)
	rich := policyBehavior(tb, config.CachePolicy{Name: "rich", EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true,
		QueryStrings: sel("whitelist", "v", "lang", "w"), Headers: sel("whitelist", "Origin", "Accept-Language"),
		Cookies: sel("whitelist", "session", "theme")}, nil)
	all := policyBehavior(tb, config.CachePolicy{Name: "all", QueryStrings: sel("all"), Cookies: sel("all")}, nil)
	h := hdr("Host", "d111111abcdef8.cloudfront.net", "User-Agent", "Mozilla/5.0", "Accept-Encoding", "gzip, deflate, br",
		"Accept-Language", "en-GB,en;q=0.9", "Origin", "https://example.com",
		"Cookie", "_ga=GA1.2.3; theme=dark; session=abcdef0123456789; _gid=x; consent=yes")
	r := req{path: "/images/products/2024/large/shoe.jpg", query: "utm_source=x&v=3&lang=en&w=640&Signature=abc", h: h}
	return []struct {
		name string
		k    *KeyPolicy
		r    req
	}{{"path-only", &plain.Key, r}, {"whitelists", &rich.Key, r}, {"all-query-cookies", &all.Key, r}}
}

func BenchmarkAppendKey(b *testing.B) {
	for _, c := range keyBenchCases(b) {
		m, p, q := []byte("GET"), []byte(c.r.path), []byte(c.r.query)
		buf := make([]byte, 0, 1024)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = c.k.AppendKey(buf[:0], m, p, q, c.r.h)
			}
		})
	}
}

func BenchmarkObjectTTL(b *testing.B) {
	p := TTLPolicy{Min: 0, Default: 24 * time.Hour, Max: 365 * 24 * time.Hour}
	cc := []byte("public, max-age=600, stale-while-revalidate=30")
	exp := []byte("Wed, 01 May 2024 13:00:00 GMT")
	date := []byte("Wed, 01 May 2024 12:00:00 GMT")
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		p.ObjectTTL(200, cc, exp, date, now)
	}
}

// TestZeroAllocs fails when a hot-path call allocates at all.
func TestZeroAllocs(t *testing.T) {
	tab := table25(t)
	cases := keyBenchCases(t)
	fwd := policyBehavior(t, config.CachePolicy{Name: "p", QueryStrings: sel("whitelist", "v"), Cookies: sel("whitelist", "session")},
		&config.OriginRequestPolicy{Name: "o", QueryStrings: sel("allExcept", "utm_source"), Cookies: sel("all"),
			Headers: sel("whitelist", "Origin")}).Forward
	legacyFwd := legacyBehavior(t, &config.ForwardedValues{QueryString: true,
		Cookies: config.Cookies{Forward: "whitelist", WhitelistedNames: []string{"s*", "theme"}}}, true).Forward
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	ttl := TTLPolicy{Min: 0, Default: time.Hour, Max: 24 * time.Hour}
	buf := make([]byte, 0, 4096)
	var many []byte
	for i := 0; i < 3*stackCookies; i++ {
		many = fmt.Appendf(many, "c%d=%d; ", (i*31)%97, i)
	}
	allCookies := newCookieSel(selAll, nil, false)
	manyLines := bytes.SplitAfter(many, []byte("; "))
	checks := []struct {
		name string
		f    func()
	}{
		{"Table.Match last", func() { tab.Match([]byte("/legacy/abc/deep/page.html")) }},
		{"Table.Match none", func() { tab.Match([]byte("/some/ordinary/page/index.html")) }},
		{"Pattern.Match wild", func() {
			tab.Behaviors()[11].Pattern.Match([]byte("/video/a/b.ism/QualityLevels(1)/Fragments(video=0)"))
		}},
		{"MethodSet.Has", func() { AllMethods.Has([]byte("DELETE")) }},
		{"ParseCacheControl", func() { ParseCacheControl([]byte(`public, max-age=60, no-cache="Set-Cookie"`)) }},
		{"ObjectTTL Expires", func() {
			ttl.ObjectTTL(200, nil, []byte("Wed, 01 May 2024 13:00:00 GMT"), []byte("Wed, 01 May 2024 11:59:00 GMT"), now)
		}},
		{"ErrorTTL", func() { ttl.ErrorTTL(404, []byte("max-age=60"), nil, nil, 10*time.Second, now) }},
		{"ParseAge", func() { ParseAge([]byte("120, 7")) }},
		{"CorrectedInitialAge", func() {
			CorrectedInitialAge([]byte("30"), []byte("Wed, 01 May 2024 11:59:00 GMT"), now.Add(-time.Second), now)
		}},
		{"NormalizeAcceptEncoding", func() { NormalizeAcceptEncoding([]byte("gzip;q=0.8, br, deflate"), true, true) }},
		{"Forward.Header", func() { fwd.Header([]byte("Access-Control-Request-Headers")); legacyFwd.Header([]byte("Referer")) }},
		{"Forward.AppendQuery", func() { buf = fwd.AppendQuery(buf[:0], []byte("utm_source=1&v=2&x=3&Signature=s")) }},
		{"Forward.AppendCookies", func() { buf = fwd.AppendCookies(buf[:0], []byte("z=1; session=2; a=3")) }},
		{"legacy AppendCookies glob", func() { buf = legacyFwd.AppendCookies(buf[:0], []byte("z=1; session=2; theme=3")) }},
		{"Forward.AppendAcceptEncoding", func() { buf, _ = legacyFwd.AppendAcceptEncoding(buf[:0], []byte("br, gzip")) }},
		{"many cookies (scan path)", func() { buf = appendCookies(buf[:0], [][]byte{many}, &allCookies, nil, ";") }},
		{"many Cookie lines (scan path)", func() { buf = appendCookies(buf[:0], manyLines, &allCookies, nil, ";") }},
		{"Forward.AppendCookieLines", func() { buf = fwd.AppendCookieLines(buf[:0], manyLines[:3]) }},
		{"Forward.AppendAcceptEncodingLines", func() {
			buf, _ = legacyFwd.AppendAcceptEncodingLines(buf[:0], manyLines[:2])
		}},
	}
	for _, c := range cases {
		m, p, q := []byte("GET"), []byte(c.r.path), []byte(c.r.query)
		k, h := c.k, c.r.h
		checks = append(checks, struct {
			name string
			f    func()
		}{"AppendKey " + c.name, func() { buf = k.AppendKey(buf[:0], m, p, q, h) }})
	}
	for _, c := range checks {
		if n := testing.AllocsPerRun(100, c.f); n >= 1 {
			t.Errorf("%s: %v allocs per run, want 0", c.name, n)
		}
	}
}
