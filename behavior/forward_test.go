package behavior

import (
	"testing"

	"github.com/cfedge/edge/config"
)

func TestForwardHeaderLegacy(t *testing.T) {
	plain := legacyBehavior(t, nil, false)
	listed := legacyBehavior(t, &config.ForwardedValues{Headers: []string{"accept-language", "Authorization", "Referer",
		"Host", "User-Agent", "CloudFront-Viewer-Country", "X-Forwarded-Proto"}}, false)
	star := legacyBehavior(t, &config.ForwardedValues{Headers: []string{"*"}}, false)
	tests := []struct {
		name                string
		plain, listed, star bool
	}{
		// Stripped unless listed.
		{"Accept", false, false, true},
		{"Accept-Charset", false, false, true},
		{"Accept-Language", false, true, true},
		{"Referer", false, true, true},
		{"Authorization", false, true, true},
		{"Expect", false, false, false}, // the edge answers it itself: never forwarded
		{"X-HTTP-Method-Override", false, false, true},
		// Passed through.
		{"Cache-Control", true, true, true},
		{"Content-Length", true, true, true},
		{"Content-MD5", true, true, true},
		{"Content-Type", true, true, true},
		{"Date", true, true, true},
		{"From", true, true, true},
		{"If-Match", true, true, true},
		{"If-Modified-Since", true, true, true},
		{"If-None-Match", true, true, true},
		{"If-Range", true, true, true},
		{"If-Unmodified-Since", true, true, true},
		{"Max-Forwards", true, true, true},
		{"Origin", true, true, true},
		{"Pragma", true, true, true},
		{"Range", true, true, true},
		{"Request-Range", true, true, true},
		{"Warning", true, true, true},
		{"X-Custom", true, true, true}, // "other-defined headers"
		// Always removed.
		{"X-Edge-Foo", false, false, false},
		{"x-edge-location", false, false, false},
		{"X-Forwarded-Proto", false, false, false}, // even when listed
		{"X-Real-IP", false, false, false},
		// Hop-by-hop.
		{"Connection", false, false, false},
		{"Keep-Alive", false, false, false},
		{"Proxy-Authorization", false, false, false},
		{"Proxy-Authenticate", false, false, false},
		{"Proxy-Connection", false, false, false},
		{"TE", false, false, false},
		{"Trailer", false, false, false},
		{"Transfer-Encoding", false, false, false},
		{"Upgrade", false, false, false},
		// Built by the edge.
		{"Host", false, false, false},
		{"User-Agent", false, false, false},
		{"Accept-Encoding", false, false, false},
		{"Cookie", false, false, false},
		{"X-Forwarded-For", false, false, false},
		{"Via", false, false, false},
		{"X-Amz-Cf-Id", false, false, false},
		{"CloudFront-Viewer-Country", false, false, false}, // generated, never copied
	}
	for _, tt := range tests {
		for _, c := range []struct {
			b    *Behavior
			mode string
			want bool
		}{{plain, "plain", tt.plain}, {listed, "listed", tt.listed}, {star, "*", tt.star}} {
			if got := c.b.Forward.Header([]byte(tt.name)); got != c.want {
				t.Errorf("legacy %s: Header(%q) = %v, want %v", c.mode, tt.name, got, c.want)
			}
		}
	}
	if plain.Forward.ForwardHost() || plain.Forward.ForwardUserAgent() {
		t.Error("plain legacy forwards Host or User-Agent")
	}
	if !listed.Forward.ForwardHost() || !listed.Forward.ForwardUserAgent() || !star.Forward.ForwardHost() {
		t.Error("listed legacy does not forward Host/User-Agent")
	}
	if !listed.Forward.CloudFrontHeader("cloudfront-viewer-country") || plain.Forward.CloudFrontHeader("CloudFront-Viewer-Country") {
		t.Error("CloudFrontHeader is wrong")
	}
	if !star.NoCache || !star.NoCollapse {
		t.Error(`headers ["*"] must disable caching`)
	}
}

func TestForwardHeaderPolicy(t *testing.T) {
	cp := config.CachePolicy{Name: "cp", Headers: sel("whitelist", "X-Key", "Authorization", "CloudFront-Is-Mobile-Viewer")}
	none := policyBehavior(t, config.CachePolicy{Name: "cp"}, nil)
	keyed := policyBehavior(t, cp, nil)
	cors := policyBehavior(t, cp, &config.OriginRequestPolicy{Name: "cors",
		Headers: sel("whitelist", "Origin", "Access-Control-Request-Method", "CloudFront-Viewer-Country", "host")})
	allViewer := policyBehavior(t, config.CachePolicy{Name: "cp"}, &config.OriginRequestPolicy{Name: "av", Headers: sel("allViewer")})
	allExcept := policyBehavior(t, config.CachePolicy{Name: "cp"}, &config.OriginRequestPolicy{Name: "ae",
		Headers: sel("allExcept", "Referer")})
	tests := []struct {
		name                                   string
		none, keyed, cors, allViewer, allExcpt bool
	}{
		{"X-Key", false, true, true, true, true},
		{"x-key", false, true, true, true, true},
		{"Authorization", false, true, true, true, false}, // only key or allViewer
		{"Origin", false, false, true, true, true},        // not always-passed under policies
		{"Access-Control-Request-Method", false, false, true, true, true},
		{"Referer", false, false, false, true, false},
		{"Accept", false, false, false, true, true},
		{"X-Custom", false, false, false, true, true},
		{"Cache-Control", true, true, true, true, true}, // always passed
		{"If-None-Match", true, true, true, true, true},
		{"Range", true, true, true, true, true},
		{"Content-Type", true, true, true, true, true},
		{"Pragma", true, true, true, true, true},
		{"Host", false, false, false, false, false},
		{"Transfer-Encoding", false, false, false, false, false},
		{"X-Forwarded-Proto", false, false, false, false, false},
		{"X-Edge-Origin-Shield-Skip", false, false, false, false, false},
		{"CloudFront-Is-Mobile-Viewer", false, false, false, false, false},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			b    *Behavior
			mode string
			want bool
		}{{none, "none", tt.none}, {keyed, "keyed", tt.keyed}, {cors, "cors", tt.cors},
			{allViewer, "allViewer", tt.allViewer}, {allExcept, "allExcept", tt.allExcpt}} {
			if got := c.b.Forward.Header([]byte(tt.name)); got != c.want {
				t.Errorf("policy %s: Header(%q) = %v, want %v", c.mode, tt.name, got, c.want)
			}
		}
	}
	for _, c := range []struct {
		b        *Behavior
		host, ua bool
	}{{none, false, false}, {keyed, false, false}, {cors, true, false}, {allViewer, true, true}, {allExcept, true, true}} {
		if c.b.Forward.ForwardHost() != c.host || c.b.Forward.ForwardUserAgent() != c.ua {
			t.Errorf("ForwardHost/UA = %v/%v, want %v/%v", c.b.Forward.ForwardHost(), c.b.Forward.ForwardUserAgent(), c.host, c.ua)
		}
	}
	noHost := policyBehavior(t, config.CachePolicy{Name: "cp"}, &config.OriginRequestPolicy{Name: "x", Headers: sel("allExcept", "Host")})
	if noHost.Forward.ForwardHost() || !noHost.Forward.ForwardUserAgent() {
		t.Error("allExcept Host still forwards Host")
	}
	if got := cors.Forward.CloudFrontHeaders(); len(got) != 2 || got[0] != "cloudfront-is-mobile-viewer" || got[1] != "cloudfront-viewer-country" {
		t.Errorf("CloudFrontHeaders = %q", got)
	}
	cfAll := policyBehavior(t, config.CachePolicy{Name: "cp"}, &config.OriginRequestPolicy{Name: "x",
		Headers: sel("allViewerAndWhitelistCloudFront", "CloudFront-Forwarded-Proto")})
	if !cfAll.Forward.CloudFrontHeader("CloudFront-Forwarded-Proto") || !cfAll.Forward.Header([]byte("Accept")) {
		t.Error("allViewerAndWhitelistCloudFront is wrong")
	}
}

func TestForwardQueryAndCookies(t *testing.T) {
	tests := []struct {
		name              string
		b                 *Behavior
		query, wantQuery  string
		cookie, wantCooki string
	}{
		{"policy none", policyBehavior(t, config.CachePolicy{Name: "p"}, nil),
			"a=1&b=2", "", "b=2; a=1", ""},
		{"key whitelist", policyBehavior(t, config.CachePolicy{Name: "p", QueryStrings: sel("whitelist", "b"),
			Cookies: sel("whitelist", "a")}, nil),
			"a=1&b=2&b=3", "b=2&b=3", "b=2; a=1", "a=1"},
		{"key plus ORP", policyBehavior(t, config.CachePolicy{Name: "p", QueryStrings: sel("whitelist", "b"),
			Cookies: sel("whitelist", "z")}, &config.OriginRequestPolicy{Name: "o",
			QueryStrings: sel("whitelist", "c"), Cookies: sel("allExcept", "x")}),
			"c=0&a=1&b=2&Signature=s", "c=0&b=2", "x=9; z=1;b=2 ; a=1", "a=1; b=2; z=1"},
		{"ORP all", policyBehavior(t, config.CachePolicy{Name: "p"}, &config.OriginRequestPolicy{Name: "o",
			QueryStrings: sel("all"), Cookies: sel("all")}),
			"z=1&&a=2&Key-Pair-Id=k", "z=1&a=2", "b=2; a=1", "a=1; b=2"},
		{"legacy all forwarded, whitelist keyed", legacyBehavior(t, &config.ForwardedValues{QueryString: true,
			QueryStringCacheKeys: []string{"v"}, Cookies: config.Cookies{Forward: "all"}}, false),
			"x=1&v=2&Policy=p&Expires=1", "x=1&v=2", "b=2; a=1", "a=1; b=2"},
		{"legacy no query", legacyBehavior(t, &config.ForwardedValues{}, false),
			"x=1", "", "a=1", ""},
		{"legacy cookie wildcard", legacyBehavior(t, &config.ForwardedValues{Cookies: config.Cookies{Forward: "whitelist",
			WhitelistedNames: []string{"id_?", "s*"}}}, false),
			"", "", "id_1=a; id_12=b; sx=c; s=d; t=e", "id_1=a; s=d; sx=c"},
	}
	for _, tt := range tests {
		if got := string(tt.b.Forward.AppendQuery(nil, []byte(tt.query))); got != tt.wantQuery {
			t.Errorf("%s: AppendQuery(%q) = %q, want %q", tt.name, tt.query, got, tt.wantQuery)
		}
		if got := string(tt.b.Forward.AppendCookies([]byte("pre:"), []byte(tt.cookie))); got != "pre:"+tt.wantCooki {
			t.Errorf("%s: AppendCookies(%q) = %q, want %q", tt.name, tt.cookie, got, "pre:"+tt.wantCooki)
		}
		if tt.b.NoCollapse != tt.b.Forward.ForwardsCookies() {
			t.Errorf("%s: NoCollapse = %v with ForwardsCookies %v", tt.name, tt.b.NoCollapse, tt.b.Forward.ForwardsCookies())
		}
	}
}

func TestForwardAcceptEncoding(t *testing.T) {
	both := policyBehavior(t, config.CachePolicy{Name: "p", EnableAcceptEncodingGzip: true, EnableAcceptEncodingBrotli: true}, nil)
	off := policyBehavior(t, config.CachePolicy{Name: "p"}, nil)
	offORP := policyBehavior(t, config.CachePolicy{Name: "p"}, &config.OriginRequestPolicy{Name: "o", Headers: sel("allViewer")})
	legacyGzip := legacyBehavior(t, nil, true)
	legacyOff := legacyBehavior(t, nil, false)
	tests := []struct {
		name string
		b    *Behavior
		v    string
		want string
		send bool
	}{
		{"both, both", both, "gzip, deflate, br", "br,gzip", true},
		{"both, gzip", both, "gzip", "gzip", true},
		{"both, neither", both, "deflate", "identity", true},
		{"both, absent", both, "", "", false},
		{"off: not forwarded", off, "gzip", "", false},
		{"off, allViewer: verbatim", offORP, "gzip, deflate", "gzip, deflate", true},
		{"legacy compress: gzip only", legacyGzip, "br, gzip", "gzip", true},
		{"legacy compress, br only", legacyGzip, "br", "identity", true},
		{"legacy no compress", legacyOff, "gzip", "", false},
	}
	for _, tt := range tests {
		got, send := tt.b.Forward.AppendAcceptEncoding(nil, []byte(tt.v))
		if string(got) != tt.want || send != tt.send {
			t.Errorf("%s: AppendAcceptEncoding(%q) = %q, %v; want %q, %v", tt.name, tt.v, got, send, tt.want, tt.send)
		}
	}
}
