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
		{"empty header is not absent", config.CachePolicy{Headers: sel("whitelist", "A")},
			req{path: "/a", h: hdr("A", "")}, req{path: "/a"}, false},
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
		got := string(appendCookies([]byte("X"), [][]byte{h}, &all, nil, ";"))
		// The same cookies spread over one Cookie line each sort the same way.
		if split := string(appendCookies([]byte("X"), bytes.Split(h, []byte(";")), &all, nil, ";")); split != got {
			t.Errorf("%d cookies, one line each: got %.80q…, want %.80q…", n, split, got)
		}

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

// TestAppendKeyHeaderLines: every line of a key header is keyed, in order, an empty line
// apart from an absent header, exactly as the lines are forwarded.
func TestAppendKeyHeaderLines(t *testing.T) {
	b := policyBehavior(t, config.CachePolicy{Name: "p", Headers: sel("whitelist", "X-Lang", "X-B")}, nil)
	tests := []struct {
		name string
		h    *headers
		want string
	}{
		{"absent", hdr("Other", "1"), `P "/a"` + "\n"},
		{"one", hdr("X-Lang", "en"), `P "/a"` + "\n" + `H "x-lang:en"` + "\n"},
		{"empty", hdr("X-Lang", ""), `P "/a"` + "\n" + `H "x-lang:"` + "\n"},
		{"repeated, in order", hdr("X-Lang", "en", "x-lang", "evil"),
			`P "/a"` + "\n" + `H "x-lang:en"` + "\n" + `H "x-lang:evil"` + "\n"},
		{"repeated, other order", hdr("X-Lang", "evil", "X-Lang", "en"),
			`P "/a"` + "\n" + `H "x-lang:evil"` + "\n" + `H "x-lang:en"` + "\n"},
		{"empty among values", hdr("X-Lang", "en", "X-Lang", ""),
			`P "/a"` + "\n" + `H "x-lang:en"` + "\n" + `H "x-lang:"` + "\n"},
		{"headers sorted, lines kept together", hdr("X-Lang", "1", "X-B", "b", "X-Lang", "2"),
			`P "/a"` + "\n" + `H "x-b:b"` + "\n" + `H "x-lang:1"` + "\n" + `H "x-lang:2"` + "\n"},
	}
	for _, tt := range tests {
		if got := renderKey(t, (req{path: "/a", h: tt.h}).key(&b.Key)); got != tt.want {
			t.Errorf("%s: key\n%swant\n%s", tt.name, got, tt.want)
		}
	}
}

// TestAppendKeyHeaderValuesAllDiffer: no two of these viewers share a key, because the
// origin sees each of them differently.
func TestAppendKeyHeaderValuesAllDiffer(t *testing.T) {
	b := policyBehavior(t, config.CachePolicy{Name: "p", Headers: sel("whitelist", "X-Lang", "X-Lang2")}, nil)
	cases := map[string]*headers{
		`["en","evil"]`:     hdr("X-Lang", "en", "X-Lang", "evil"),
		`["en"]`:            hdr("X-Lang", "en"),
		`["en,evil"]`:       hdr("X-Lang", "en,evil"),
		`["en, evil"]`:      hdr("X-Lang", "en, evil"),
		`["evil","en"]`:     hdr("X-Lang", "evil", "X-Lang", "en"),
		`[""]`:              hdr("X-Lang", ""),
		`["",""]`:           hdr("X-Lang", "", "X-Lang", ""),
		`absent`:            hdr(),
		`spliced name`:      hdr("X-Lang", "2:en"), // cannot pose as x-lang2
		`other header`:      hdr("X-Lang2", "en"),
		`spliced section`:   hdr("X-Lang", "en\x00H\x00\x00\x00\x0bx-lang:evil"),
		`section in value`:  hdr("X-Lang", "enH\x00\x00\x00\x0bx-lang:evil"),
		`["en","evil",""]`:  hdr("X-Lang", "en", "X-Lang", "evil", "X-Lang", ""),
		`["en"] + X-Lang2:`: hdr("X-Lang", "en", "X-Lang2", ""),
	}
	seen := map[string]string{}
	for name, h := range cases {
		k := string((req{path: "/a", h: h}).key(&b.Key))
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share the key %q", name, other, k)
		}
		seen[k] = name
	}
}

// TestKeyAndForwardedCookiesAgree: the cookies keyed are the cookies forwarded, whether the
// viewer sends them on one Cookie line or several.
func TestKeyAndForwardedCookiesAgree(t *testing.T) {
	b := policyBehavior(t, config.CachePolicy{Name: "p", Cookies: sel("whitelist", "session", "theme")},
		&config.OriginRequestPolicy{Name: "o", Cookies: sel("whitelist", "extra")})
	tests := []struct {
		name    string
		lines   []string
		key     string // the C section, "" for none
		forward string
	}{
		{"one line", []string{"theme=dark; session=s; x=1"}, "session=s;theme=dark", "session=s; theme=dark"},
		{"two lines", []string{"theme=dark", "session=s"}, "session=s;theme=dark", "session=s; theme=dark"},
		{"second line only selected", []string{"x=1", "session=evil"}, "session=evil", "session=evil"},
		{"same name on two lines keeps order", []string{"session=a", "session=b"}, "session=a;session=b", "session=a; session=b"},
		{"empty line", []string{"", "session=s"}, "session=s", "session=s"},
		{"origin-only cookie forwarded, not keyed", []string{"extra=1", "theme=t"}, "theme=t", "extra=1; theme=t"},
		{"none", []string{"x=1", "y=2"}, "", ""},
	}
	for _, tt := range tests {
		var kv []string
		for _, l := range tt.lines {
			kv = append(kv, "Cookie", l)
		}
		key := renderKey(t, (req{path: "/a", h: hdr(kv...)}).key(&b.Key))
		want := `P "/a"` + "\n"
		if tt.key != "" {
			want += fmt.Sprintf("C %q\n", tt.key)
		}
		if key != want {
			t.Errorf("%s: key\n%swant\n%s", tt.name, key, want)
		}
		var lines [][]byte
		for _, l := range tt.lines {
			lines = append(lines, []byte(l))
		}
		if got := string(b.Forward.AppendCookieLines(nil, lines)); got != tt.forward {
			t.Errorf("%s: forwarded Cookie %q, want %q", tt.name, got, tt.forward)
		}
	}
}

// TestAppendKeyAcceptEncodingLines: with compression caching on, the key normalises the
// first Accept-Encoding line, which is also what AppendAcceptEncodingLines sends.
func TestAppendKeyAcceptEncodingLines(t *testing.T) {
	b := policyBehavior(t, config.CachePolicy{Name: "p", EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true}, nil)
	tests := []struct {
		lines   []string
		key     string // E section, "" for none
		forward string
		send    bool
	}{
		{[]string{"gzip"}, "gzip", "gzip", true},
		{[]string{"gzip", "br"}, "gzip", "gzip", true},
		{[]string{"deflate", "gzip"}, "", "identity", true},
		{[]string{"", "gzip"}, "", "", false},
		{nil, "", "", false},
	}
	for _, tt := range tests {
		var kv []string
		var lines [][]byte
		for _, l := range tt.lines {
			kv = append(kv, "Accept-Encoding", l)
			lines = append(lines, []byte(l))
		}
		key := renderKey(t, (req{path: "/a", h: hdr(kv...)}).key(&b.Key))
		want := `P "/a"` + "\n"
		if tt.key != "" {
			want += fmt.Sprintf("E %q\n", tt.key)
		}
		if key != want {
			t.Errorf("%q: key\n%swant\n%s", tt.lines, key, want)
		}
		got, send := b.Forward.AppendAcceptEncodingLines(nil, lines)
		if string(got) != tt.forward || send != tt.send {
			t.Errorf("%q: forwarded %q, %v; want %q, %v", tt.lines, got, send, tt.forward, tt.send)
		}
	}
	// With compression off and Accept-Encoding in the key, every line is keyed and sent.
	b = policyBehavior(t, config.CachePolicy{Name: "p", Headers: sel("whitelist", "Accept-Encoding")}, nil)
	key := renderKey(t, (req{path: "/a", h: hdr("Accept-Encoding", "gzip", "Accept-Encoding", "br")}).key(&b.Key))
	if want := "P \"/a\"\nH \"accept-encoding:gzip\"\nH \"accept-encoding:br\"\n"; key != want {
		t.Errorf("listed Accept-Encoding key\n%swant\n%s", key, want)
	}
	if got, send := b.Forward.AppendAcceptEncodingLines(nil, [][]byte{[]byte("gzip"), []byte(" "), []byte("br")}); string(got) != "gzip, br" || !send {
		t.Errorf("listed Accept-Encoding forwarded %q, %v; want \"gzip, br\", true", got, send)
	}
	// Not selected: nothing is sent, whatever the lines.
	b = policyBehavior(t, config.CachePolicy{Name: "p"}, nil)
	if got, send := b.Forward.AppendAcceptEncodingLines([]byte("x"), [][]byte{[]byte("gzip"), []byte("br")}); string(got) != "x" || send {
		t.Errorf("unselected Accept-Encoding forwarded %q, %v; want \"x\", false", got, send)
	}
}

// FuzzAppendKeyHeaderLines: two viewers share a key exactly when they send the same lines
// of the key headers, in the same order; and spreading cookies over several Cookie lines
// keys and forwards them as one line would.
func FuzzAppendKeyHeaderLines(f *testing.F) {
	f.Add("en\nevil", "en,evil", "a=1; b=2")
	f.Add("", "\n", "a=1;;b")
	f.Add("en", "en\n", "")
	b := policyBehavior(f, config.CachePolicy{Name: "p", Headers: sel("whitelist", "X-Lang", "X-Lang2"),
		Cookies: sel("all")}, nil)
	f.Fuzz(func(t *testing.T, a, c, cookies string) {
		lines := func(s string) *headers {
			var kv []string
			if s != "" {
				for _, v := range strings.Split(s, "\n") {
					kv = append(kv, "X-Lang", v)
				}
			}
			return hdr(kv...)
		}
		ka, kc := (req{path: "/", h: lines(a)}).key(&b.Key), (req{path: "/", h: lines(c)}).key(&b.Key)
		if bytes.Equal(ka, kc) != (a == c) {
			t.Fatalf("lines %q and %q: keys equal = %v", a, c, a != c)
		}
		renderKey(t, ka)
		one := hdr("Cookie", cookies)
		var kv []string
		var split [][]byte
		for _, piece := range strings.Split(cookies, ";") {
			kv = append(kv, "Cookie", piece)
			split = append(split, []byte(piece))
		}
		if k1, k2 := (req{path: "/", h: one}).key(&b.Key), (req{path: "/", h: hdr(kv...)}).key(&b.Key); !bytes.Equal(k1, k2) {
			t.Fatalf("cookies %q: one line keys %q, split %q", cookies, k1, k2)
		}
		if f1, f2 := b.Forward.AppendCookies(nil, []byte(cookies)), b.Forward.AppendCookieLines(nil, split); !bytes.Equal(f1, f2) {
			t.Fatalf("cookies %q: one line forwards %q, split %q", cookies, f1, f2)
		}
	})
}
