package behavior

import (
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// fakeHeaders is a HeaderSetter over ordered fields, looked up case-insensitively.
type fakeHeaders struct{ names, values []string }

func fakeHdr(kv ...string) *fakeHeaders {
	h := &fakeHeaders{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.names = append(h.names, kv[i])
		h.values = append(h.values, kv[i+1])
	}
	return h
}

func (h *fakeHeaders) find(key string) int {
	for i, n := range h.names {
		if strings.EqualFold(n, key) {
			return i
		}
	}
	return -1
}

func (h *fakeHeaders) Peek(key string) []byte {
	if i := h.find(key); i >= 0 {
		return []byte(h.values[i])
	}
	return nil
}

func (h *fakeHeaders) SetCanonical(key, value []byte) {
	if i := h.find(string(key)); i >= 0 {
		h.names[i], h.values[i] = string(key), string(value)
		return
	}
	h.names = append(h.names, string(key))
	h.values = append(h.values, string(value))
}

func (h *fakeHeaders) AddBytesKV(key, value []byte) {
	h.names = append(h.names, string(key))
	h.values = append(h.values, string(value))
}

func (h *fakeHeaders) Del(key string) {
	if i := h.find(key); i >= 0 {
		h.names = append(h.names[:i], h.names[i+1:]...)
		h.values = append(h.values[:i], h.values[i+1:]...)
	}
}

// fields renders the header as "Name: value" lines with lower-cased names, in order.
func (h *fakeHeaders) fields() []string {
	out := make([]string, len(h.names))
	for i := range h.names {
		out[i] = strings.ToLower(h.names[i]) + ": " + h.values[i]
	}
	return out
}

func managedRHP(t testing.TB, name string) *ResponseHeadersPolicy {
	t.Helper()
	cp, ok := (*config.Config)(nil).ResponseHeadersPolicyByName(name)
	if !ok {
		t.Fatalf("no managed response headers policy %q", name)
	}
	p, err := NewResponseHeadersPolicy(cp)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRHP(t testing.TB, cp config.ResponseHeadersPolicy) *ResponseHeadersPolicy {
	t.Helper()
	p, err := NewResponseHeadersPolicy(cp)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The managed policies' headers, as "Use managed response headers policies" lists them
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html),
// on an origin response with none of them.
var (
	securityFields = []string{
		"x-xss-protection: 1; mode=block",
		"x-frame-options: SAMEORIGIN",
		"referrer-policy: strict-origin-when-cross-origin",
		"x-content-type-options: nosniff",
		"strict-transport-security: max-age=31536000",
	}
	preflightFields = []string{
		"access-control-allow-origin: *",
		"access-control-expose-headers: *",
		"access-control-allow-methods: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
		"access-control-allow-headers: *", // not in the guide's table; see config.ManagedResponseHeadersPolicies
	}
)

func TestManagedResponseHeadersPolicies(t *testing.T) {
	cat := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	tests := []struct {
		policy    string
		origin    string
		preflight bool
		want      []string
	}{
		{"SimpleCORS", "https://a.example", false, []string{"access-control-allow-origin: *"}},
		{"SimpleCORS", "https://a.example", true, []string{"access-control-allow-origin: *"}},
		{"SimpleCORS", "", false, nil},
		{"60669652-455b-4ae9-85a4-c4c02393f86c", "https://a.example", false, []string{"access-control-allow-origin: *"}},
		{"CORS-With-Preflight", "https://a.example", false,
			[]string{"access-control-allow-origin: *", "access-control-expose-headers: *"}},
		{"Managed-CORS-With-Preflight", "https://a.example", true, preflightFields},
		{"CORS-With-Preflight", "", true, nil},
		{"SecurityHeadersPolicy", "https://a.example", false, securityFields},
		{"67f7725c-6f97-4210-82d7-5512b31e9d03", "", false, securityFields},
		{"CORS-and-SecurityHeadersPolicy", "https://a.example", true,
			cat(securityFields, []string{"access-control-allow-origin: *"})},
		{"e61eb60c-9c35-4d20-a928-2b84e02af89c", "", false, securityFields},
		{"CORS-with-preflight-and-SecurityHeadersPolicy", "https://a.example", true, cat(securityFields, preflightFields)},
		{"eaab4381-ed33-4a86-88ca-d9558dc6cd63", "", false, securityFields},
	}
	for _, tt := range tests {
		t.Run(tt.policy+"/"+tt.origin, func(t *testing.T) {
			p := managedRHP(t, tt.policy)
			h := fakeHdr()
			var origin []byte
			if tt.origin != "" {
				origin = []byte(tt.origin)
			}
			p.Apply(h, origin, tt.preflight)
			if got := h.fields(); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("fields\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestManagedOverride: SecurityHeadersPolicy replaces only X-Content-Type-Options; the CORS
// policies keep the origin's CORS headers.
func TestManagedOverride(t *testing.T) {
	h := fakeHdr("X-Frame-Options", "DENY", "X-Content-Type-Options", "sniff-please",
		"Strict-Transport-Security", "max-age=5", "Referrer-Policy", "no-referrer", "X-XSS-Protection", "0")
	managedRHP(t, "SecurityHeadersPolicy").Apply(h, nil, false)
	want := []string{"x-frame-options: DENY", "x-content-type-options: nosniff",
		"strict-transport-security: max-age=5", "referrer-policy: no-referrer", "x-xss-protection: 0"}
	if got := h.fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}

	h = fakeHdr("Access-Control-Allow-Origin", "https://mine.example", "Access-Control-Allow-Methods", "GET")
	managedRHP(t, "CORS-With-Preflight").Apply(h, []byte("https://a.example"), true)
	want = []string{"access-control-allow-origin: https://mine.example", "access-control-allow-methods: GET",
		"access-control-expose-headers: *", "access-control-allow-headers: *"}
	if got := h.fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCustomPolicyOverrideAndRemove(t *testing.T) {
	p := mustRHP(t, config.ResponseHeadersPolicy{
		Name: "P",
		SecurityHeadersConfig: &config.SecurityHeadersConfig{
			XSSProtection:           &config.XSSProtection{Protection: true, ReportURI: "https://r.example/x", Override: true},
			ContentSecurityPolicy:   &config.ContentSecurityPolicy{ContentSecurityPolicy: "default-src 'self'", Override: false},
			StrictTransportSecurity: &config.StrictTransportSecurity{AccessControlMaxAgeSec: i64(63072000), IncludeSubdomains: true, Preload: true, Override: true},
		},
		CustomHeadersConfig: []config.ResponseCustomHeader{
			{Header: "x-powered-by", Value: "edge", Override: false},
			{Header: "Server", Value: "mine", Override: false},
			{Header: "X-Empty", Value: ""},
			{Header: "Cache-Control", Value: "no-store", Override: true},
		},
		RemoveHeadersConfig: []config.ResponseRemoveHeader{{Header: "server"}, {Header: "X-Debug"}},
	})
	h := fakeHdr("Server", "nginx", "X-Debug", "1", "X-XSS-Protection", "0", "Content-Security-Policy", "origin's",
		"Cache-Control", "max-age=60", "X-Powered-By", "php")
	p.Apply(h, nil, false)
	want := []string{
		"x-xss-protection: 1; report=https://r.example/x", // override on: replaced
		"content-security-policy: origin's",               // override off: kept
		"cache-control: no-store",
		"x-powered-by: php", // override off: kept
		"strict-transport-security: max-age=63072000; includeSubDomains; preload",
		"server: mine", // removed, then added: the policy's value
		"x-empty: ",
	}
	if got := h.fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestXSSValues(t *testing.T) {
	for _, tt := range []struct {
		x    config.XSSProtection
		want string
	}{
		{config.XSSProtection{}, "0"},
		{config.XSSProtection{Protection: true}, "1"},
		{config.XSSProtection{Protection: true, ModeBlock: true}, "1; mode=block"},
		{config.XSSProtection{Protection: true, ReportURI: "/r"}, "1; report=/r"},
	} {
		x := tt.x
		p := mustRHP(t, config.ResponseHeadersPolicy{SecurityHeadersConfig: &config.SecurityHeadersConfig{XSSProtection: &x}})
		h := fakeHdr()
		p.Apply(h, nil, false)
		if got := string(h.Peek("X-XSS-Protection")); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.x, got, tt.want)
		}
	}
}

func corsPolicyOf(t testing.TB, origins []string, credentials bool) *ResponseHeadersPolicy {
	return mustRHP(t, config.ResponseHeadersPolicy{Name: "C", CorsConfig: &config.CorsConfig{
		AccessControlAllowOrigins:     origins,
		AccessControlAllowHeaders:     []string{"Content-Type", "X-Token"},
		AccessControlAllowMethods:     []string{"GET", "POST"},
		AccessControlExposeHeaders:    []string{"ETag"},
		AccessControlAllowCredentials: credentials,
		AccessControlMaxAgeSec:        i64(600),
		OriginOverride:                true,
	}})
}

func TestCORSMatching(t *testing.T) {
	p := corsPolicyOf(t, []string{"https://www.example.com", "https://*.example.org", "http://localhost:3000", "app.example.net"}, false)
	tests := []struct {
		origin string
		ok     bool
	}{
		{"https://www.example.com", true},
		{"HTTPS://WWW.Example.COM", true},
		{"http://www.example.com", false},
		{"https://www.example.com:8443", false},
		{"https://example.com", false},
		{"https://a.example.org", true},
		{"https://a.b.example.org", true},
		{"https://example.org", false},
		{"https://.example.org", false},
		{"https://a..example.org", false},
		{"https://evilexample.org", false},
		{"https://a.example.org:444", false},
		{"http://a.example.org", false},
		{"http://localhost:3000", true},
		{"http://localhost", false},
		{"http://app.example.net", true},
		{"https://app.example.net", true},
		{"null", false},
		{"", false},
		{"https://", false},
	}
	for _, tt := range tests {
		h := fakeHdr()
		p.Apply(h, []byte(tt.origin), false)
		got := h.Peek("Access-Control-Allow-Origin")
		if (got != nil) != tt.ok {
			t.Errorf("%q: Allow-Origin %q, want match %v", tt.origin, got, tt.ok)
			continue
		}
		if tt.ok {
			want := []string{"access-control-allow-origin: " + tt.origin, "vary: Origin", "access-control-expose-headers: ETag"}
			if f := h.fields(); !reflect.DeepEqual(f, want) {
				t.Errorf("%q: %q, want %q", tt.origin, f, want)
			}
		} else if len(h.names) != 0 {
			t.Errorf("%q: no match but fields %q", tt.origin, h.fields())
		}
		if p.Preflight([]byte(tt.origin), []byte("GET")) != tt.ok {
			t.Errorf("%q: Preflight(GET) = %v", tt.origin, !tt.ok)
		}
	}
}

func TestCORSPreflightAndCredentials(t *testing.T) {
	p := corsPolicyOf(t, []string{"https://www.example.com"}, true)
	o := []byte("https://www.example.com")
	h := fakeHdr("Vary", "Accept-Encoding")
	p.Apply(h, o, true)
	want := []string{
		"vary: Accept-Encoding",
		"access-control-allow-origin: https://www.example.com",
		"vary: Origin",
		"access-control-allow-credentials: true",
		"access-control-expose-headers: ETag",
		"access-control-allow-methods: GET, POST",
		"access-control-allow-headers: Content-Type, X-Token",
		"access-control-max-age: 600",
	}
	if got := h.fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	h = fakeHdr("Vary", "origin")
	p.Apply(h, o, false)
	if v := string(h.Peek("Vary")); v != "origin" {
		t.Errorf("Vary %q, want it left alone", v)
	}
	for _, tt := range []struct {
		method string
		ok     bool
	}{{"GET", true}, {"POST", true}, {"PUT", false}, {"get", false}, {"", false}} {
		if got := p.Preflight(o, []byte(tt.method)); got != tt.ok {
			t.Errorf("Preflight(%q) = %v, want %v", tt.method, got, tt.ok)
		}
	}
	all := mustRHP(t, config.ResponseHeadersPolicy{CorsConfig: &config.CorsConfig{
		AccessControlAllowOrigins: []string{"*"}, AccessControlAllowHeaders: []string{"*"},
		AccessControlAllowMethods: []string{"ALL"}}})
	if !all.Preflight([]byte("https://x.example"), []byte("PATCH")) {
		t.Error("ALL: PATCH not allowed")
	}
	h = fakeHdr()
	all.Apply(h, []byte("https://x.example"), true)
	if v := string(h.Peek("Access-Control-Allow-Methods")); v != "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT" {
		t.Errorf("ALL: Allow-Methods %q", v)
	}
	if managedRHP(t, "SimpleCORS").Preflight([]byte("https://x.example"), []byte("GET")) {
		t.Error("SimpleCORS answers preflights")
	}
	if managedRHP(t, "SecurityHeadersPolicy").Preflight([]byte("https://x.example"), []byte("GET")) {
		t.Error("SecurityHeadersPolicy answers preflights")
	}
}

func TestServerTimingAndCompile(t *testing.T) {
	p := mustRHP(t, config.ResponseHeadersPolicy{ServerTimingHeadersConfig: &config.ServerTimingHeadersConfig{Enabled: true, SamplingRate: 12.5}})
	if on, rate := p.ServerTiming(); !on || rate != 12.5 {
		t.Errorf("ServerTiming() = %v, %v", on, rate)
	}
	c := &config.Config{ResponseHeadersPolicies: []config.ResponseHeadersPolicy{{Name: "Mine",
		CustomHeadersConfig: []config.ResponseCustomHeader{{Header: "X-A", Value: "1"}}}}}
	d := &config.Distribution{
		Behaviors:       []config.Behavior{{PathPattern: "/a/*", TargetOriginID: "o", ResponseHeadersPolicy: "Mine"}},
		DefaultBehavior: config.Behavior{TargetOriginID: "o", ResponseHeadersPolicy: "Managed-SimpleCORS"},
	}
	tbl, err := Compile(c, d)
	if err != nil {
		t.Fatal(err)
	}
	if b := tbl.Match([]byte("/a/x")); b.ResponseHeaders == nil || b.ResponseHeaders.Name != "Mine" {
		t.Errorf("/a/x: %+v", b.ResponseHeaders)
	}
	if b := tbl.Match([]byte("/b")); b.ResponseHeaders == nil || b.ResponseHeaders.Name != "Managed-SimpleCORS" {
		t.Errorf("/b: %+v", b.ResponseHeaders)
	}
	d.Behaviors[0].ResponseHeadersPolicy = ""
	if tbl, _ = Compile(c, d); tbl.Match([]byte("/a/x")).ResponseHeaders != nil {
		t.Error("no policy configured, but ResponseHeaders is set")
	}
	d.DefaultBehavior.ResponseHeadersPolicy = "Nope"
	if _, err := Compile(c, d); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("unknown policy: %v", err)
	}
}

// TestApplyAllocs runs Apply on a real fasthttp.ResponseHeader: after warm-up, nothing allocates,
// whether it sets, keeps, removes or extends Vary.
func TestApplyAllocs(t *testing.T) {
	p := mustRHP(t, config.ResponseHeadersPolicy{
		Name: "All",
		CorsConfig: &config.CorsConfig{
			AccessControlAllowOrigins: []string{"https://*.example.org"}, AccessControlAllowHeaders: []string{"X-A"},
			AccessControlAllowMethods: []string{"GET", "PUT"}, AccessControlExposeHeaders: []string{"ETag"},
			AccessControlAllowCredentials: true, AccessControlMaxAgeSec: i64(60),
		},
		SecurityHeadersConfig: managedSecurity(t),
		CustomHeadersConfig:   []config.ResponseCustomHeader{{Header: "X-Custom", Value: "v", Override: true}},
		RemoveHeadersConfig:   []config.ResponseRemoveHeader{{Header: "X-Powered-By"}},
	})
	var h fasthttp.ResponseHeader
	origin := []byte("https://app.example.org")
	method := []byte("PUT")
	fill := func() {
		h.Reset()
		h.Set("Content-Type", "text/html")
		h.Set("X-Powered-By", "php")
		h.Set("Vary", "Accept-Encoding")
		h.Set("X-Frame-Options", "DENY")
	}
	allocs := testing.AllocsPerRun(200, func() {
		fill()
		if !p.Preflight(origin, method) {
			t.Fatal("preflight refused")
		}
		p.Apply(&h, origin, true)
	})
	if allocs != 0 {
		t.Errorf("Apply allocates %.1f times a call", allocs)
	}
	fill()
	p.Apply(&h, origin, true)
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.org",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Max-Age":           "60",
		"X-Frame-Options":                  "DENY",
		"X-XSS-Protection":                 "1; mode=block",
		"X-Content-Type-Options":           "nosniff",
		"X-Custom":                         "v",
		"X-Powered-By":                     "",
	} {
		if got := string(h.Peek(k)); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func managedSecurity(t testing.TB) *config.SecurityHeadersConfig {
	p, _ := (*config.Config)(nil).ResponseHeadersPolicyByName("SecurityHeadersPolicy")
	return p.SecurityHeadersConfig
}

func BenchmarkApply(b *testing.B) {
	p := managedRHP(b, "CORS-with-preflight-and-SecurityHeadersPolicy")
	var h fasthttp.ResponseHeader
	origin := []byte("https://app.example.org")
	b.ReportAllocs()
	for b.Loop() {
		h.Reset()
		h.Set("Content-Type", "text/html")
		p.Apply(&h, origin, false)
	}
}

// referenceMatch is a slow, obvious statement of edge's origin matching, for the fuzz target.
func referenceMatch(pattern, origin string) bool {
	if pattern == "*" {
		return true
	}
	oScheme, oHostPort, ok := strings.Cut(origin, "://")
	if !ok || oScheme == "" || oHostPort == "" || strings.ContainsAny(oHostPort, "/?#") {
		return false
	}
	pScheme, rest, hasScheme := strings.Cut(pattern, "://")
	if !hasScheme {
		rest, pScheme = pattern, ""
	}
	if pScheme != "" && !strings.EqualFold(pScheme, oScheme) {
		return false
	}
	pHost, pPort := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		pHost, pPort = rest[:i], rest[i+1:]
	}
	oHost, oPort := oHostPort, ""
	if i := strings.LastIndexByte(oHostPort, ':'); i >= 0 {
		oHost, oPort = oHostPort[:i], oHostPort[i+1:]
	}
	if oHost == "" || pPort != oPort {
		return false
	}
	if suffix, ok := strings.CutPrefix(pHost, "*."); ok {
		labels := strings.ToLower(oHost)
		if !strings.HasSuffix(labels, "."+strings.ToLower(suffix)) {
			return false
		}
		below := labels[:len(labels)-len(suffix)-1]
		for _, l := range strings.Split(below, ".") {
			if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				return false
			}
		}
		return true
	}
	return strings.EqualFold(pHost, oHost)
}

// FuzzOriginMatch checks the allocation-free matcher against referenceMatch, for origins without
// IPv6 literals (whose colons the reference does not parse) and for every pattern the config
// accepts.
func FuzzOriginMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"https://*.example.org", "https://a.example.org"},
		{"https://*.example.org", "https://a..example.org"},
		{"https://*.example.org", "https://example.org"},
		{"https://www.example.com", "HTTPS://WWW.EXAMPLE.COM"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"example.net", "http://example.net"},
		{"*.example.net:8080", "ws://a.b.example.net:8080"},
		{"*", "null"},
		{"https://a.example", "https://a.example/path"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, origin string) {
		// Outside the reference's domain the matcher only has to answer (no panic).
		inDomain := !strings.ContainsAny(pattern+origin, "[]@%\\ \t\r\n")
		p, err := NewResponseHeadersPolicy(config.ResponseHeadersPolicy{CorsConfig: &config.CorsConfig{
			AccessControlAllowOrigins: []string{pattern}, AccessControlAllowHeaders: []string{"*"},
			AccessControlAllowMethods: []string{"GET"}}})
		if err != nil {
			return
		}
		cfg := config.Config{ResponseHeadersPolicies: []config.ResponseHeadersPolicy{{Name: "F",
			CorsConfig: &config.CorsConfig{AccessControlAllowOrigins: []string{pattern},
				AccessControlAllowHeaders: []string{"*"}, AccessControlAllowMethods: []string{"GET"}}}}}
		if verr := cfg.Validate(); verr != nil && strings.Contains(verr.Error(), "access_control_allow_origins") {
			return // the config refuses the pattern; only accepted ones must match like the reference
		}
		got := p.cors.match([]byte(origin))
		if !inDomain {
			return
		}
		if want := referenceMatch(pattern, origin); got != want {
			t.Fatalf("pattern %q origin %q: match %v, reference %v", pattern, origin, got, want)
		}
	})
}
