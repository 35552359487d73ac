package behavior

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// req is one viewer request for key tests.
type req struct {
	method, path, query string
	h                   *headers
}

func (r req) key(k *KeyPolicy) []byte {
	m := r.method
	if m == "" {
		m = "GET"
	}
	var h HeaderGetter
	if r.h != nil {
		h = r.h
	}
	return k.AppendKey(nil, []byte(m), []byte(r.path), []byte(r.query), h)
}

func sel(behavior string, names ...string) config.ParamSelector {
	return config.ParamSelector{Behavior: behavior, Names: names}
}

func TestAppendKeySameAndDifferent(t *testing.T) {
	tests := []struct {
		name string
		cp   config.CachePolicy
		a, b req
		same bool
	}{
		{"GET and HEAD share", config.CachePolicy{}, req{path: "/a"}, req{method: "HEAD", path: "/a"}, true},
		{"OPTIONS is keyed apart", config.CachePolicy{}, req{path: "/a"}, req{method: "OPTIONS", path: "/a"}, false},
		{"paths differ", config.CachePolicy{}, req{path: "/a"}, req{path: "/b"}, false},
		{"path case matters", config.CachePolicy{}, req{path: "/a"}, req{path: "/A"}, false},
		{"query ignored by default", config.CachePolicy{}, req{path: "/a", query: "x=1"}, req{path: "/a", query: "x=2"}, true},
		{"headers ignored by default", config.CachePolicy{},
			req{path: "/a", h: hdr("Accept-Language", "en")}, req{path: "/a", h: hdr("Accept-Language", "de")}, true},
		{"cookies ignored by default", config.CachePolicy{},
			req{path: "/a", h: hdr("Cookie", "s=1")}, req{path: "/a", h: hdr("Cookie", "s=2")}, true},
		// Separators inside the path cannot forge another request's key.
		{"path cannot fake a query", config.CachePolicy{QueryStrings: sel("all")},
			req{path: "/a", query: "x=1"}, req{path: "/aQ\x00\x00\x00\x03x=1"}, false},
		{"path cannot fake a method", config.CachePolicy{},
			req{method: "OPTIONS", path: "/a"}, req{path: "M\x00\x00\x00\x07OPTIONSP\x00\x00\x00\x02/a"}, false},
		{"query all keeps order", config.CachePolicy{QueryStrings: sel("all")},
			req{path: "/a", query: "x=1&y=2"}, req{path: "/a", query: "y=2&x=1"}, false},
		{"query all, values case-sensitive", config.CachePolicy{QueryStrings: sel("all")},
			req{path: "/a", query: "x=a"}, req{path: "/a", query: "x=A"}, false},
		{"query all drops signed-URL params", config.CachePolicy{QueryStrings: sel("all")},
			req{path: "/a", query: "x=1&Expires=1&Signature=s&Key-Pair-Id=k&Policy=p&Hash-Algorithm=SHA256"},
			req{path: "/a", query: "x=1"}, true},
		{"query all, no query equals empty query", config.CachePolicy{QueryStrings: sel("all")},
			req{path: "/a", query: ""}, req{path: "/a", query: "&"}, true},
		{"whitelist ignores others", config.CachePolicy{QueryStrings: sel("whitelist", "x", "y")},
			req{path: "/a", query: "x=1&z=9&y=2"}, req{path: "/a", query: "x=1&y=2&w=0"}, true},
		{"whitelist keeps order", config.CachePolicy{QueryStrings: sel("whitelist", "x", "y")},
			req{path: "/a", query: "x=1&y=2"}, req{path: "/a", query: "y=2&x=1"}, false},
		{"whitelist names case-sensitive", config.CachePolicy{QueryStrings: sel("whitelist", "x")},
			req{path: "/a", query: "X=1"}, req{path: "/a"}, true},
		{"whitelist matches decoded names", config.CachePolicy{QueryStrings: sel("whitelist", "a b")},
			req{path: "/a", query: "a%20b=1"}, req{path: "/a"}, false},
		{"allExcept drops listed", config.CachePolicy{QueryStrings: sel("allExcept", "utm")},
			req{path: "/a", query: "utm=1&x=1"}, req{path: "/a", query: "x=1&utm=2"}, true},
		{"allExcept keeps others", config.CachePolicy{QueryStrings: sel("allExcept", "utm")},
			req{path: "/a", query: "x=1"}, req{path: "/a", query: "x=2"}, false},
		{"only & delimits", config.CachePolicy{QueryStrings: sel("whitelist", "x")},
			req{path: "/a", query: "x=1;y=2"}, req{path: "/a", query: "x=1"}, false},
		{"header names case-insensitive", config.CachePolicy{Headers: sel("whitelist", "x-device")},
			req{path: "/a", h: hdr("X-DEVICE", "tv")}, req{path: "/a", h: hdr("x-device", "tv")}, true},
		{"header values case-sensitive", config.CachePolicy{Headers: sel("whitelist", "X-Device")},
			req{path: "/a", h: hdr("X-Device", "tv")}, req{path: "/a", h: hdr("X-Device", "TV")}, false},
		{"header order does not matter", config.CachePolicy{Headers: sel("whitelist", "B", "A")},
			req{path: "/a", h: hdr("A", "1", "B", "2")}, req{path: "/a", h: hdr("B", "2", "A", "1")}, true},
		{"headers not swapped", config.CachePolicy{Headers: sel("whitelist", "A", "B")},
			req{path: "/a", h: hdr("A", "1", "B", "2")}, req{path: "/a", h: hdr("A", "2", "B", "1")}, false},
		{"unlisted header ignored", config.CachePolicy{Headers: sel("whitelist", "A")},
			req{path: "/a", h: hdr("A", "1", "C", "x")}, req{path: "/a", h: hdr("A", "1")}, true},
		{"empty header is absent", config.CachePolicy{Headers: sel("whitelist", "A")},
			req{path: "/a", h: hdr("A", "")}, req{path: "/a"}, true},
		{"cookie whitelist", config.CachePolicy{Cookies: sel("whitelist", "session")},
			req{path: "/a", h: hdr("Cookie", "a=1; session=x")}, req{path: "/a", h: hdr("Cookie", "session=x; b=2")}, true},
		{"cookie value matters", config.CachePolicy{Cookies: sel("whitelist", "session")},
			req{path: "/a", h: hdr("Cookie", "session=x")}, req{path: "/a", h: hdr("Cookie", "session=y")}, false},
		{"cookie names case-sensitive", config.CachePolicy{Cookies: sel("whitelist", "session")},
			req{path: "/a", h: hdr("Cookie", "Session=x")}, req{path: "/a"}, true},
		{"cookies all sorted", config.CachePolicy{Cookies: sel("all")},
			req{path: "/a", h: hdr("Cookie", "b=2; a=1;c=3")}, req{path: "/a", h: hdr("Cookie", "a=1; c=3; b=2")}, true},
		{"cookies all values", config.CachePolicy{Cookies: sel("all")},
			req{path: "/a", h: hdr("Cookie", "a=1; b=2")}, req{path: "/a", h: hdr("Cookie", "a=2; b=1")}, false},
		{"cookies allExcept", config.CachePolicy{Cookies: sel("allExcept", "_ga")},
			req{path: "/a", h: hdr("Cookie", "_ga=1; a=1")}, req{path: "/a", h: hdr("Cookie", "a=1; _ga=2")}, true},
		{"AE br+gzip normalised", config.CachePolicy{EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true},
			req{path: "/a", h: hdr("Accept-Encoding", "gzip, deflate, br")}, req{path: "/a", h: hdr("Accept-Encoding", "br;q=0.9,GZIP")}, true},
		{"AE gzip vs both", config.CachePolicy{EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true},
			req{path: "/a", h: hdr("Accept-Encoding", "gzip")}, req{path: "/a", h: hdr("Accept-Encoding", "gzip, br")}, false},
		{"AE neither equals absent", config.CachePolicy{EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true},
			req{path: "/a", h: hdr("Accept-Encoding", "deflate")}, req{path: "/a"}, true},
		{"AE gzip-only policy folds br", config.CachePolicy{EnableAcceptEncodingGzip: true},
			req{path: "/a", h: hdr("Accept-Encoding", "gzip, br")}, req{path: "/a", h: hdr("Accept-Encoding", "gzip")}, true},
		{"AE off is ignored", config.CachePolicy{},
			req{path: "/a", h: hdr("Accept-Encoding", "gzip")}, req{path: "/a"}, true},
		{"AE listed explicitly is an ordinary header", config.CachePolicy{Headers: sel("whitelist", "Accept-Encoding"),
			EnableAcceptEncodingGzip: true},
			req{path: "/a", h: hdr("Accept-Encoding", "gzip, deflate")}, req{path: "/a", h: hdr("Accept-Encoding", "gzip")}, false},
	}
	for _, tt := range tests {
		tt.cp.Name = "p"
		b := policyBehavior(t, tt.cp, nil)
		ka, kb := tt.a.key(&b.Key), tt.b.key(&b.Key)
		if bytes.Equal(ka, kb) != tt.same {
			t.Errorf("%s: same = %v, want %v\n a: %s b: %s", tt.name, !tt.same, tt.same,
				renderKey(t, ka), renderKey(t, kb))
		}
	}
}

func TestAppendKeyLegacy(t *testing.T) {
	fv := &config.ForwardedValues{
		QueryString: true, QueryStringCacheKeys: []string{"v"},
		Headers: []string{"Origin"},
		Cookies: config.Cookies{Forward: "whitelist", WhitelistedNames: []string{"userid_*", "lang"}},
	}
	b := legacyBehavior(t, fv, true)
	a := req{path: "/x", query: "a=1&v=2", h: hdr("Origin", "https://e.com",
		"Cookie", "userid_9=u; zz=1; lang=en; userid_1=v", "Accept-Encoding", "br, gzip")}
	got := renderKey(t, a.key(&b.Key))
	want := `P "/x"
Q "v=2"
H "origin:https://e.com"
C "lang=en;userid_1=v;userid_9=u"
E "gzip"
`
	if got != want {
		t.Errorf("legacy key:\n%s\nwant:\n%s", got, want)
	}
	// query_string=true with no cache keys keys the whole query.
	b = legacyBehavior(t, &config.ForwardedValues{QueryString: true}, false)
	if got := renderKey(t, (req{path: "/x", query: "b=1&a=2"}).key(&b.Key)); got != "P \"/x\"\nQ \"b=1&a=2\"\n" {
		t.Errorf("legacy all-query key: %s", got)
	}
	// query_string=false keys none, and Compress=false keeps Accept-Encoding out.
	b = legacyBehavior(t, &config.ForwardedValues{}, false)
	if got := renderKey(t, (req{path: "/x", query: "b=1", h: hdr("Accept-Encoding", "gzip")}).key(&b.Key)); got != "P \"/x\"\n" {
		t.Errorf("legacy no-query key: %s", got)
	}
}

// TestAppendKeyGolden pins the key layout: changing it changes every cached key.
func TestAppendKeyGolden(t *testing.T) {
	cp := config.CachePolicy{
		Name: "golden", EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true,
		Headers:      sel("whitelist", "X-Device", "Accept-Language", "host"),
		QueryStrings: sel("whitelist", "lang", "v"),
		Cookies:      sel("whitelist", "session", "theme"),
	}
	b := policyBehavior(t, cp, nil)
	reqs := []req{
		{path: "/"},
		{method: "HEAD", path: "/index.html", query: "v=3&utm=x&lang=de"},
		{method: "OPTIONS", path: "/api/x", h: hdr("Host", "Example.com", "Accept-Language", "de-DE")},
		{path: "/a b/ü.jpg", query: "lang=en&Signature=abc", h: hdr("Cookie", "theme=dark; x=1; session=s1",
			"Accept-Encoding", "gzip, deflate, br", "X-Device", "TV")},
		{path: "/v", h: hdr("Accept-Encoding", "identity", "Cookie", "other=1")},
	}
	var out strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&out, "== %s %s?%s\n%s", r.method, r.path, r.query, renderKey(t, r.key(&b.Key)))
	}
	path := filepath.Join("testdata", "keys.golden")
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update)", err)
	}
	if out.String() != string(want) {
		t.Errorf("keys differ from %s:\n%s", path, out.String())
	}
}

func TestNormalizeAcceptEncoding(t *testing.T) {
	tests := []struct {
		v        string
		gzip, br bool
		want     string
		present  bool
	}{
		{"gzip, deflate, br", true, true, "br,gzip", true},
		{"br, gzip", true, true, "br,gzip", true},
		{"gzip", true, true, "gzip", true},
		{"br", true, true, "br", true},
		{"gzip, br", true, false, "gzip", true},
		{"gzip, br", false, true, "br", true},
		{"br", true, false, "identity", true},
		{"deflate", true, true, "identity", true},
		{"identity", true, true, "identity", true},
		{"*", true, true, "identity", true},
		{"", true, true, "", false},
		{"  ", true, true, "", false},
		{"GZip;q=0.5 , BR;q=1", true, true, "br,gzip", true},
		{"gzip;q=0, br", true, true, "br", true},
		{"gzip; q=0.000", true, true, "identity", true},
		{"gzip;q=0.001", true, true, "gzip", true},
		{"x-gzip", true, true, "gzip", true},
		{"gzipx, abr", true, true, "identity", true},
	}
	for _, tt := range tests {
		got, present := NormalizeAcceptEncoding([]byte(tt.v), tt.gzip, tt.br)
		if got != tt.want || present != tt.present {
			t.Errorf("NormalizeAcceptEncoding(%q, %v, %v) = %q, %v; want %q, %v",
				tt.v, tt.gzip, tt.br, got, present, tt.want, tt.present)
		}
	}
}

func TestCookieSortingManyCookies(t *testing.T) {
	// More cookies than fit the stack array take the scan path; both must agree with a
	// plain sort.
	for _, n := range []int{0, 1, 5, stackCookies, stackCookies + 1, 3 * stackCookies} {
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, fmt.Sprintf("c%03d=%d", (i*7919)%n, i))
		}
		if n > 2 {
			parts = append(parts, "c001=dup", " ", "flag") // duplicate name, empty piece, no '='
		}
		h := []byte(strings.Join(parts, "; "))
		all := newCookieSel(selAll, nil, false)
		got := string(appendCookies([]byte("X"), h, &all, nil, ";"))

		var want []string
		type ck struct {
			name, piece string
			pos         int
		}
		var cks []ck
		for i, p := range strings.Split(string(h), ";") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			name, _, _ := strings.Cut(p, "=")
			cks = append(cks, ck{name, p, i})
		}
		sort.SliceStable(cks, func(i, j int) bool { return cks[i].name < cks[j].name })
		for _, c := range cks {
			want = append(want, c.piece)
		}
		if got != "X"+strings.Join(want, ";") {
			t.Errorf("%d cookies: got %.80q…, want %.80q…", n, got, "X"+strings.Join(want, ";"))
		}
	}
}
