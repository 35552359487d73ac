package access

import (
	"crypto"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/cfedge/edge/config"
)

type checkCase struct {
	name string
	r    *Request
	at   time.Time // zero: now
	want string    // Denial code, "" for allowed
}

func runCheckCases(t *testing.T, v *Verifier, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.at
			if at.IsZero() {
				at = now
			}
			d := v.Check(tc.r, at)
			if got := code(d); got != tc.want {
				t.Fatalf("Check(%s?%s, cookie %q) = %v, want %q", tc.r.Path, tc.r.RawQuery, tc.r.Cookie, d, tc.want)
			}
		})
	}
}

func TestCheckCannedURLs(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	base := "https://" + host + "/videos/intro.mp4"
	k1 := signCanned(t, "K1", f.k1, base, exp)
	withQuery := signCanned(t, "K1", f.k1, base+"?quality=hd&lang=&lang=fr", exp)
	sha256URL := base + "?Expires=" + itoa(exp) + "&Signature=" + rawSign(t, f.k1, cannedJSON(base, exp), crypto.SHA256) +
		"&Key-Pair-Id=K1&Hash-Algorithm=SHA256"
	sha1URL := base + "?Expires=" + itoa(exp) + "&Signature=" + rawSign(t, f.k1, cannedJSON(base, exp), crypto.SHA1) + "&Key-Pair-Id=K1"
	runCheckCases(t, v, []checkCase{
		{"canned K1", req(k1), time.Time{}, ""},
		{"canned K2, the group's second key (rotation)", req(signCanned(t, "K2", f.k2, base, exp)), time.Time{}, ""},
		{"own query parameters kept in the resource", req(withQuery), time.Time{}, ""},
		{"own parameter after Key-Pair-Id", req(strings.Replace(withQuery, "?quality=hd&", "?", 1) + "&quality=hd"), time.Time{}, CodeAccessDenied},
		{"http with a port", req(signCanned(t, "K1", f.k1, "http://127.0.0.1:8080/a/b.txt", exp)), time.Time{}, ""},
		{"one second before expiry", req(k1), exp.Add(-time.Second), ""},
		{"half a second before expiry", req(k1), exp.Add(-time.Second / 2), ""},
		{"at expiry", req(k1), exp, CodeAccessDenied},
		{"expired by 1 s", req(signCanned(t, "K1", f.k1, base, now.Add(-time.Second))), time.Time{}, CodeAccessDenied},
		{"SHA-256 with Hash-Algorithm", req(sha256URL), time.Time{}, ""},
		{"SHA-256 signature without Hash-Algorithm", req(dropParam(sha256URL, "Hash-Algorithm")), time.Time{}, CodeAccessDenied},
		{"SHA-1 signature claiming SHA256", req(sha1URL + "&Hash-Algorithm=SHA256"), time.Time{}, CodeAccessDenied},
		{"explicit SHA1", req(sha1URL + "&Hash-Algorithm=SHA1"), time.Time{}, ""},
		{"unknown Hash-Algorithm", req(sha1URL + "&Hash-Algorithm=MD5"), time.Time{}, CodeAccessDenied},
		{"percent-encoded signature", req(replaceParam(k1, "Signature", strings.NewReplacer("~", "%7E", "-", "%2d").Replace(param(k1, "Signature")))), time.Time{}, ""},
		{"unpadded signature", req(replaceParam(k1, "Signature", strings.TrimRight(param(k1, "Signature"), "_"))), time.Time{}, ""},
		// tampering
		{"tampered path", req(strings.Replace(k1, "intro.mp4", "intro.mp3", 1)), time.Time{}, CodeAccessDenied},
		{"tampered host", req(strings.Replace(k1, host, "d222222abcdef8.cloudfront.net", 1)), time.Time{}, CodeAccessDenied},
		{"tampered scheme", req(strings.Replace(k1, "https://", "http://", 1)), time.Time{}, CodeAccessDenied},
		{"query parameter added", req(k1 + "&extra=1"), time.Time{}, CodeAccessDenied},
		{"query value changed", req(strings.Replace(withQuery, "quality=hd", "quality=4k", 1)), time.Time{}, CodeAccessDenied},
		{"query parameter dropped", req(strings.Replace(withQuery, "lang=&", "", 1)), time.Time{}, CodeAccessDenied},
		{"Expires extended", req(replaceParam(k1, "Expires", itoa(exp.Add(time.Hour)))), time.Time{}, CodeAccessDenied},
		{"signature of another key in the group", req(replaceParam(k1, "Key-Pair-Id", "K2")), time.Time{}, CodeAccessDenied},
		{"stranger's key under a trusted id", req(signCanned(t, "K1", f.stranger, base, exp)), time.Time{}, CodeAccessDenied},
		// refusal codes
		{"no signature at all", req(base), time.Time{}, CodeMissingKey},
		{"no Key-Pair-Id", req(dropParam(k1, "Key-Pair-Id")), time.Time{}, CodeMissingKey},
		{"empty Key-Pair-Id", req(replaceParam(k1, "Key-Pair-Id", "")), time.Time{}, CodeMissingKey},
		{"another key group's key", req(signCanned(t, "K3", f.k3, base, exp)), time.Time{}, CodeInvalidKey},
		{"unknown key id", req(replaceParam(k1, "Key-Pair-Id", "APKAEXAMPLE")), time.Time{}, CodeInvalidKey},
		{"key id in the wrong case", req(replaceParam(k1, "Key-Pair-Id", "k1")), time.Time{}, CodeInvalidKey},
		{"no Signature", req(dropParam(k1, "Signature")), time.Time{}, CodeMalformedSignature},
		{"Signature not base64", req(replaceParam(k1, "Signature", "not*base64!")), time.Time{}, CodeMalformedSignature},
		{"Signature truncated mid-quantum", req(replaceParam(k1, "Signature", param(k1, "Signature")[:9])), time.Time{}, CodeMalformedSignature},
		{"Signature too long", req(replaceParam(k1, "Signature", strings.Repeat("A", 20000))), time.Time{}, CodeMalformedSignature},
		{"Expires not a number", req(replaceParam(k1, "Expires", "tomorrow")), time.Time{}, CodeMalformedPolicy},
		{"Expires negative", req(replaceParam(k1, "Expires", "-1")), time.Time{}, CodeMalformedPolicy},
		{"neither Expires nor Policy", req(dropParam(k1, "Expires")), time.Time{}, CodeMalformedPolicy},
		{"Policy not base64", req(dropParam(k1, "Expires") + "&Policy=%%%"), time.Time{}, CodeMalformedPolicy},
	})
}

// param returns the value of query parameter name in a signed URL.
func param(u, name string) string {
	i := strings.Index(u, name+"=")
	if i < 0 {
		return ""
	}
	v := u[i+len(name)+1:]
	if j := strings.IndexByte(v, '&'); j >= 0 {
		v = v[:j]
	}
	return v
}

func itoa(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestCheckCustomURLs(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players, f.partners)
	videos := "https://" + host + "/videos/*"
	u := func(path string) string { return "https://" + host + path }
	custom := func(resource string, lt, gt time.Time, ip string) string {
		return signCustom(t, "K1", f.k1, u("/videos/intro.mp4"), policy(resource, lt, gt, ip))
	}
	onPath := func(signed, path string) *Request {
		r := req(signed)
		r.Path = []byte(path)
		return r
	}
	fromIP := func(signed, ip string) *Request {
		r := req(signed)
		r.ClientIP = netip.Addr{}
		if ip != "" {
			r.ClientIP = netip.MustParseAddr(ip)
		}
		return r
	}
	wild := custom(videos, exp, time.Time{}, "")
	handJSON := "{\"Statement\": {\n \"Resource\": \"" + videos + "\",\n \"Condition\": {\"DateLessThan\": {\"AWS:EpochTime\": " +
		itoa(exp) + "}}\n}}\n"
	hand := u("/videos/a.mp4") + "?Policy=" + cfB64([]byte(handJSON)) + "&Signature=" + rawSign(t, f.k3, handJSON, crypto.SHA1) + "&Key-Pair-Id=K3"
	sha256JSON := `{"Statement":[{"Resource":"` + videos + `","Condition":{"DateLessThan":{"AWS:EpochTime":` + itoa(exp) + `}}}]}`
	sha256URL := u("/videos/a.mp4") + "?Policy=" + cfB64([]byte(sha256JSON)) + "&Signature=" +
		rawSign(t, f.k2, sha256JSON, crypto.SHA256) + "&Key-Pair-Id=K2&Hash-Algorithm=SHA256"
	signedJSON := func(js string) string {
		return u("/x") + "?Policy=" + cfB64([]byte(js)) + "&Signature=" + rawSign(t, f.k1, js, crypto.SHA1) + "&Key-Pair-Id=K1"
	}
	twoStatements := &sign.Policy{Statements: []sign.Statement{
		policy(videos, exp, time.Time{}, "").Statements[0], policy(videos, exp, time.Time{}, "").Statements[0]}}

	runCheckCases(t, v, []checkCase{
		{"wildcard resource, the signed path", req(wild), time.Time{}, ""},
		{"wildcard resource, a deeper path", onPath(wild, "/videos/2024/a.ism/Manifest"), time.Time{}, ""},
		{"wildcard resource, own query", req(wild + "&start=10"), time.Time{}, ""},
		{"wildcard resource, another folder", onPath(wild, "/images/a.jpg"), time.Time{}, CodeAccessDenied},
		{"wildcard resource, another host", func() *Request { r := req(wild); r.Host = []byte("evil.example"); return r }(), time.Time{}, CodeAccessDenied},
		{"wildcard resource, http instead of https", func() *Request { r := req(wild); r.Scheme = "http"; return r }(), time.Time{}, CodeAccessDenied},
		{"any protocol", func() *Request {
			r := req(custom("*://"+host+"/videos/*", exp, time.Time{}, ""))
			r.Scheme = "http"
			return r
		}(), time.Time{}, ""},
		{"http* is for cookies only", req(custom("http*://"+host+"/videos/*", exp, time.Time{}, "")), time.Time{}, CodeAccessDenied},
		{"resource * alone", onPath(custom("*", exp, time.Time{}, ""), "/anything"), time.Time{}, ""},
		{"no resource", onPath(signedJSON(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":`+itoa(exp)+`}}}]}`), "/b"), time.Time{}, ""},
		{"exact resource with query", req(signCustom(t, "K1", f.k1, u("/f.zip?license=yes"), policy(u("/f.zip?license=yes"), exp, time.Time{}, ""))), time.Time{}, ""},
		{"? wildcard in the path", onPath(custom(u("/videos/intro.mp?"), exp, time.Time{}, ""), "/videos/intro.mp3"), time.Time{}, ""},
		{"? wildcard is one character", onPath(custom(u("/videos/intro.mp?"), exp, time.Time{}, ""), "/videos/intro.mp44"), time.Time{}, CodeAccessDenied},
		{"before expiry", req(wild), exp.Add(-time.Second), ""},
		{"at expiry", req(wild), exp, CodeAccessDenied},
		{"expired by 1 s", req(custom(videos, now.Add(-time.Second), time.Time{}, "")), time.Time{}, CodeAccessDenied},
		{"DateGreaterThan passed", req(custom(videos, exp, now.Add(-time.Second), "")), time.Time{}, ""},
		{"DateGreaterThan now (exclusive)", req(custom(videos, exp, now, "")), time.Time{}, CodeAccessDenied},
		{"DateGreaterThan in the future", req(custom(videos, exp, now.Add(time.Minute), "")), time.Time{}, CodeAccessDenied},
		{"IP in CIDR", req(custom(videos, exp, time.Time{}, "192.0.2.0/24")), time.Time{}, ""},
		{"IP in CIDR, IPv4-mapped IPv6 client", fromIP(custom(videos, exp, time.Time{}, "192.0.2.0/24"), "::ffff:192.0.2.200"), time.Time{}, ""},
		{"IP outside CIDR", fromIP(custom(videos, exp, time.Time{}, "192.0.2.0/24"), "198.51.100.7"), time.Time{}, CodeAccessDenied},
		{"IPv6 client", fromIP(custom(videos, exp, time.Time{}, "192.0.2.0/24"), "2001:db8::7"), time.Time{}, CodeAccessDenied},
		{"no client address", fromIP(custom(videos, exp, time.Time{}, "192.0.2.0/24"), ""), time.Time{}, CodeAccessDenied},
		{"single IP", req(custom(videos, exp, time.Time{}, "192.0.2.7")), time.Time{}, ""},
		{"single IP, another client", fromIP(custom(videos, exp, time.Time{}, "192.0.2.7"), "192.0.2.8"), time.Time{}, CodeAccessDenied},
		{"hand-written policy, Statement as an object, white space", req(hand), time.Time{}, ""},
		{"SHA-256 custom policy", req(sha256URL), time.Time{}, ""},
		{"policy tampered", req(replaceParam(wild, "Policy", cfB64([]byte(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":9999999999}}}]}`)))), time.Time{}, CodeAccessDenied},
		{"Policy wins over Expires", req(wild + "&Expires=1"), time.Time{}, ""},
		// malformed policies that were properly signed
		{"no DateLessThan", req(custom(videos, time.Time{}, now.Add(-time.Minute), "")), time.Time{}, CodeMalformedPolicy},
		{"two statements", req(signCustom(t, "K1", f.k1, u("/videos/a"), twoStatements)), time.Time{}, CodeMalformedPolicy},
		{"IPv6 SourceIp", req(custom(videos, exp, time.Time{}, "2001:db8::/32")), time.Time{}, CodeMalformedPolicy},
		{"SourceIp not an address", req(custom(videos, exp, time.Time{}, "localhost")), time.Time{}, CodeMalformedPolicy},
		{"not JSON", req(signedJSON("Statement: *")), time.Time{}, CodeMalformedPolicy},
		{"quoted epoch", req(signedJSON(`{"Statement":[{"Resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":"1800000000"}}}]}`)), time.Time{}, CodeMalformedPolicy},
		{"empty statement list", req(signedJSON(`{"Statement":[]}`)), time.Time{}, CodeMalformedPolicy},
		{"Statement a string", req(signedJSON(`{"Statement":"*"}`)), time.Time{}, CodeMalformedPolicy},
		{"DateLessThan without AWS:EpochTime", req(signedJSON(`{"Statement":[{"Condition":{"DateLessThan":{}}}]}`)), time.Time{}, CodeMalformedPolicy},
		{"Resource a number", req(signedJSON(`{"Statement":[{"Resource":1,"Condition":{"DateLessThan":{"AWS:EpochTime":1800000000}}}]}`)), time.Time{}, CodeMalformedPolicy},
	})
}

func TestCheckCookies(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	page := "https://" + host + "/private/page.html"
	canned, err := sign.NewCookieSigner("K2", f.k2).Sign(page, exp)
	if err != nil {
		t.Fatal(err)
	}
	httpStar, err := sign.NewCookieSigner("K1", f.k1).SignWithPolicy(policy("http*://"+host+"/private/*", exp, time.Time{}, "192.0.2.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	partner, err := sign.NewCookieSigner("K3", f.k3).Sign(page, exp)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := sign.NewCookieSigner("K1", f.k1).Sign(page, now.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	expiresCookie := "CloudFront-Expires=" + itoa(exp) + "; CloudFront-Signature=" +
		rawSign(t, f.k1, cannedJSON(page, exp), crypto.SHA1) + "; CloudFront-Key-Pair-Id=K1"
	sha256Cookie := "CloudFront-Expires=" + itoa(exp) + "; CloudFront-Signature=" +
		rawSign(t, f.k1, cannedJSON(page, exp), crypto.SHA256) + "; CloudFront-Key-Pair-Id=K1; CloudFront-Hash-Algorithm=SHA256"
	raw := func(u, cookie string) *Request { r := req(u); r.Cookie = []byte(cookie); return r }
	scheme := func(r *Request, s string) *Request { r.Scheme = s; return r }
	signedURL := signCanned(t, "K1", f.k1, page, exp)

	runCheckCases(t, v, []checkCase{
		{"SDK canned-style cookies", withCookies(page, canned), time.Time{}, ""},
		{"SDK cookies, another page", withCookies("https://"+host+"/private/other.html", canned), time.Time{}, CodeAccessDenied},
		{"SDK cookies, extra query", withCookies(page+"?x=1", canned), time.Time{}, CodeAccessDenied},
		{"http* resource over https", withCookies("https://"+host+"/private/a/b.css", httpStar), time.Time{}, ""},
		{"http* resource over http", scheme(withCookies("https://"+host+"/private/a/b.css", httpStar), "http"), time.Time{}, ""},
		{"http* resource, outside the folder", withCookies("https://"+host+"/public/a.css", httpStar), time.Time{}, CodeAccessDenied},
		{"CloudFront-Expires canned cookie", raw(page, expiresCookie), time.Time{}, ""},
		{"CloudFront-Expires cookie, other page", raw("https://"+host+"/private/x", expiresCookie), time.Time{}, CodeAccessDenied},
		{"CloudFront-Expires cookie, at expiry", raw(page, expiresCookie), exp, CodeAccessDenied},
		{"SHA-256 cookie", raw(page, sha256Cookie), time.Time{}, ""},
		{"SHA-256 cookie without the algorithm cookie", raw(page, strings.TrimSuffix(sha256Cookie, "; CloudFront-Hash-Algorithm=SHA256")), time.Time{}, CodeAccessDenied},
		{"cookies among others, quoted, spaced", raw(page, `session=abc;  CloudFront-Expires="`+itoa(exp)+`" ;CloudFront-Signature=`+
			param(strings.ReplaceAll(expiresCookie, "; ", "&"), "CloudFront-Signature")+"; theme=dark; CloudFront-Key-Pair-Id=K1"), time.Time{}, ""},
		{"first cookie of a name wins", raw(page, "CloudFront-Key-Pair-Id=K9; "+expiresCookie), time.Time{}, CodeInvalidKey},
		{"expired cookies", withCookies(page, expired), time.Time{}, CodeAccessDenied},
		{"another key group's key", withCookies(page, partner), time.Time{}, CodeInvalidKey},
		{"no Key-Pair-Id cookie", raw(page, strings.Replace(expiresCookie, "; CloudFront-Key-Pair-Id=K1", "", 1)), time.Time{}, CodeMissingKey},
		{"no cookies", raw(page, ""), time.Time{}, CodeMissingKey},
		{"unrelated cookies", raw(page, "CloudFront-Key-Pair=K1; a=b"), time.Time{}, CodeMissingKey},
		{"cookie signature garbage", raw(page, "CloudFront-Key-Pair-Id=K1; CloudFront-Signature=%%%; CloudFront-Expires=1"), time.Time{}, CodeMalformedSignature},
		{"cookie policy garbage", raw(page, "CloudFront-Key-Pair-Id=K1; CloudFront-Signature=AAAA; CloudFront-Policy=@@"), time.Time{}, CodeMalformedPolicy},
		{"signed URL wins over valid cookies", withCookies(replaceParam(signedURL, "Signature", "AAAA"), canned), time.Time{}, CodeAccessDenied},
		{"a lone Hash-Algorithm parameter does not make a signed URL", withCookies(page+"?Hash-Algorithm=SHA256", canned), time.Time{}, ""},
		{"valid signed URL, cookies ignored", raw(signedURL, "CloudFront-Key-Pair-Id=K9"), time.Time{}, ""},
	})
}

func TestNew(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k3.pem"), []byte(f.partners.PublicKey[0].EncodedKey), 0o600); err != nil {
		t.Fatal(err)
	}
	byPath := func(p string) []config.KeyGroup {
		return []config.KeyGroup{{ID: "partners", PublicKey: []config.PublicKey{{ID: "K3", Path: p}}}}
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"inline keys", Config{KeyGroups: []config.KeyGroup{f.players, f.partners}}, ""},
		{"relative path under BaseDir", Config{KeyGroups: byPath("k3.pem"), BaseDir: dir}, ""},
		{"absolute path", Config{KeyGroups: byPath(filepath.Join(dir, "k3.pem")), BaseDir: "/nonexistent"}, ""},
		{"no key groups", Config{}, "access: no trusted key groups"},
		{"group without keys", Config{KeyGroups: []config.KeyGroup{{ID: "empty"}}}, `access: key group "empty": no public keys`},
		{"missing file", Config{KeyGroups: byPath("nope.pem"), BaseDir: dir}, `access: key group "partners": public key "K3": open `},
		{"bad PEM", Config{KeyGroups: []config.KeyGroup{{ID: "g", PublicKey: []config.PublicKey{{ID: "K", EncodedKey: "xyz"}}}}},
			`access: key group "g": public key "K": is not a PEM block`},
		{"neither key nor path", Config{KeyGroups: []config.KeyGroup{{ID: "g", PublicKey: []config.PublicKey{{ID: "K"}}}}}, "neither encoded_key nor path"},
		{"both key and path", Config{KeyGroups: []config.KeyGroup{{ID: "g", PublicKey: []config.PublicKey{
			{ID: "K", EncodedKey: f.players.PublicKey[0].EncodedKey, Path: "k.pem"}}}}}, "both encoded_key and path"},
		{"no key id", Config{KeyGroups: []config.KeyGroup{{ID: "g", PublicKey: []config.PublicKey{
			{EncodedKey: f.players.PublicKey[0].EncodedKey}}}}}, "no id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			// The keys really are the ones configured: K3's signature verifies.
			if d := v.Check(req(signCanned(t, "K3", f.k3, "https://"+host+"/a", exp)), now); d != nil && tc.cfg.KeyGroups[0].ID == "partners" {
				t.Errorf("K3 loaded from %s does not verify: %v", tc.name, d)
			}
		})
	}
}

func TestCheckNilAndMessages(t *testing.T) {
	var v *Verifier
	if d := v.Check(nil, now); code(d) != CodeMissingKey {
		t.Errorf("nil verifier, nil request: %v", d)
	}
	if d := v.Check(req("https://h/a?Key-Pair-Id=K1&Signature=AAAA&Expires=1"), now); code(d) != CodeInvalidKey {
		t.Errorf("nil verifier: %v", d)
	}
	want := map[string]string{
		CodeMissingKey:         "Missing Key-Pair-Id query parameter or cookie value",
		CodeInvalidKey:         "Unknown Key",
		CodeMalformedSignature: "Could not unencode Signature",
		CodeMalformedPolicy:    "Malformed Policy",
		CodeAccessDenied:       "Access denied",
	}
	for c, msg := range want {
		if d := deny(c); d.Code != c || d.Message != msg || d.Error() != c+": "+msg {
			t.Errorf("deny(%s) = %+v", c, d)
		}
	}
}
