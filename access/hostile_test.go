package access

import (
	"crypto"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileSigned builds a custom-policy signed URL (K1, SHA-1) for rawURL over the exact
// policy bytes js.
func hostileSigned(t *testing.T, f *fixture, rawURL, js string) string {
	t.Helper()
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	return rawURL + sep + "Policy=" + cfB64([]byte(js)) + "&Signature=" + rawSign(t, f.k1, js, crypto.SHA1) + "&Key-Pair-Id=K1"
}

func hostilePolicy(resource string, cond string) string {
	return `{"Statement":[{"Resource":"` + resource + `","Condition":{` + cond + `}}]}`
}

func lt(t time.Time) string {
	return `"DateLessThan":{"AWS:EpochTime":` + strconv.FormatInt(t.Unix(), 10) + `}`
}

// TestHostileAccessDateGreaterThanOverflow: a DateGreaterThan so far in the future that
// time.Unix overflows must not turn into "already started". The policy's window
// (DateGreaterThan > DateLessThan) admits no instant at all.
func TestHostileAccessDateGreaterThanOverflow(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	u := "https://" + host + "/videos/a.mp4"
	for _, gt := range []string{"9223372036854775807", "9223372036000000000", "9223371974719179008"} {
		js := hostilePolicy("https://"+host+"/videos/*", lt(exp)+`,"DateGreaterThan":{"AWS:EpochTime":`+gt+`}`)
		d := v.Check(req(hostileSigned(t, f, u, js)), now)
		if d == nil {
			t.Errorf("DateGreaterThan=%s (far future), DateLessThan=now+1h: allowed, want AccessDenied (not yet valid)", gt)
		}
	}
	// Control: a DateGreaterThan one hour ahead is refused.
	js := hostilePolicy("https://"+host+"/videos/*", lt(exp)+`,"DateGreaterThan":{"AWS:EpochTime":`+itoa(now.Add(time.Hour))+`}`)
	if c := code(v.Check(req(hostileSigned(t, f, u, js)), now)); c != CodeAccessDenied {
		t.Errorf("DateGreaterThan in one hour: %q, want AccessDenied", c)
	}
}

// TestHostileAccessResourceKeyCase: a signed policy whose Statement has both "Resource"
// (a folder) and a lower-case "resource":"*" must not grant the whole distribution.
// CloudFront's policy keys are case-sensitive names (Resource, Condition, DateLessThan,
// AWS:EpochTime); "resource" is not the Resource key. encoding/json folds case and lets the
// later key win, so anyone reading the policy sees /videos/* while the verifier applies "*".
func TestHostileAccessResourceKeyCase(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	js := `{"Statement":[{"Resource":"https://` + host + `/videos/*","resource":"*","Condition":{` + lt(exp) + `}}]}`
	signed := hostileSigned(t, f, "https://"+host+"/videos/a.mp4", js)
	if d := v.Check(req(signed), now); d != nil && d.Code != CodeMalformedPolicy {
		t.Fatalf("inside /videos/*: %v", d)
	}
	r := req(signed)
	r.Path = []byte("/admin/secret.txt")
	if d := v.Check(r, now); d == nil {
		t.Errorf(`policy {"Resource":".../videos/*","resource":"*"} allowed /admin/secret.txt; want AccessDenied or MalformedPolicy`)
	}
	// Same with a RESOURCE key in upper case.
	js = `{"Statement":[{"Resource":"https://` + host + `/videos/*","RESOURCE":"https://` + host + `/*","Condition":{` + lt(exp) + `}}]}`
	r = req(hostileSigned(t, f, "https://"+host+"/videos/a.mp4", js))
	r.Path = []byte("/admin/secret.txt")
	if d := v.Check(r, now); d == nil {
		t.Errorf(`policy {"Resource":".../videos/*","RESOURCE":".../*"} allowed /admin/secret.txt; want AccessDenied or MalformedPolicy`)
	}
}

// TestHostileAccessCannedInvalidUTF8Collision: a canned signature for one path must not
// grant another. Invalid UTF-8 bytes in the path all become \ufffd in the rebuilt canned
// policy, so "/a\xff" and "/a\xfe" share one policy and one signature.
func TestHostileAccessCannedInvalidUTF8Collision(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	// What a signer (encoding/json, as the SDK) signs for https://host/secret\xff.
	js := cannedJSON(`https://`+host+`/secret\ufffd`, exp)
	q := "Expires=" + itoa(exp) + "&Signature=" + rawSign(t, f.k1, js, crypto.SHA1) + "&Key-Pair-Id=K1"
	signedFor := &Request{Scheme: "https", Host: []byte(host), Path: []byte("/secret\xff"), RawQuery: []byte(q), ClientIP: netip.MustParseAddr("192.0.2.7")}
	if d := v.Check(signedFor, now); d != nil {
		t.Logf("the signed path itself: %v", d)
	}
	other := &Request{Scheme: "https", Host: []byte(host), Path: []byte("/secret\xfe"), RawQuery: []byte(q), ClientIP: netip.MustParseAddr("192.0.2.7")}
	if d := v.Check(other, now); d == nil {
		t.Errorf("canned signature for /secret\\xff allowed /secret\\xfe: want AccessDenied")
	}
	other.Path = []byte("/secret\xc0")
	if d := v.Check(other, now); d == nil {
		t.Errorf("canned signature for /secret\\xff allowed /secret\\xc0: want AccessDenied")
	}
}

// TestHostileAccessPolicyNumbers pins how DateLessThan/DateGreaterThan numbers are read:
// only integers, unquoted ([DG] custom policy: "Numbers are unquoted"), and the boundaries
// are exclusive.
func TestHostileAccessPolicyNumbers(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	u := "https://" + host + "/videos/a.mp4"
	res := "https://" + host + "/videos/*"
	e := itoa(exp)
	cases := []struct {
		name, cond string
		at         time.Time
		want       string
	}{
		{"float", `"DateLessThan":{"AWS:EpochTime":` + e + `.0}`, now, CodeMalformedPolicy},
		{"exponent", `"DateLessThan":{"AWS:EpochTime":1.7e9}`, now, CodeMalformedPolicy},
		{"string", `"DateLessThan":{"AWS:EpochTime":"` + e + `"}`, now, CodeMalformedPolicy},
		{"beyond int64", `"DateLessThan":{"AWS:EpochTime":99999999999999999999}`, now, CodeMalformedPolicy},
		{"null", `"DateLessThan":{"AWS:EpochTime":null}`, now, CodeMalformedPolicy},
		{"negative", `"DateLessThan":{"AWS:EpochTime":-1}`, now, CodeAccessDenied},
		{"min int64", `"DateLessThan":{"AWS:EpochTime":-9223372036854775808}`, now, CodeAccessDenied},
		{"at the second", `"DateLessThan":{"AWS:EpochTime":` + itoa(now) + `}`, now, CodeAccessDenied},
		{"1 ns before", `"DateLessThan":{"AWS:EpochTime":` + itoa(now) + `}`, now.Add(-time.Nanosecond), ""},
		{"greater than, 1 ns after", lt(exp) + `,"DateGreaterThan":{"AWS:EpochTime":` + itoa(now) + `}`, now.Add(time.Nanosecond), ""},
		{"greater than, at the second", lt(exp) + `,"DateGreaterThan":{"AWS:EpochTime":` + itoa(now) + `}`, now, CodeAccessDenied},
		{"greater than null", lt(exp) + `,"DateGreaterThan":{"AWS:EpochTime":null}`, now, CodeMalformedPolicy},
		{"greater than a string", lt(exp) + `,"DateGreaterThan":{"AWS:EpochTime":"1"}`, now, CodeMalformedPolicy},
		{"window inverted", `"DateLessThan":{"AWS:EpochTime":` + itoa(now.Add(-time.Hour)) + `},"DateGreaterThan":{"AWS:EpochTime":` + e + `}`, now, CodeAccessDenied},
	}
	for _, c := range cases {
		d := v.Check(req(hostileSigned(t, f, u, hostilePolicy(res, c.cond))), c.at)
		if got := code(d); got != c.want {
			t.Errorf("%s (%s): %q, want %q", c.name, c.cond, got, c.want)
		}
	}
}

// TestHostileAccessSourceIP pins IpAddress handling: IPv4 only, one address or CIDR, IPv6
// not supported ([DG] custom policy, IpAddress).
func TestHostileAccessSourceIP(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	u := "https://" + host + "/videos/a.mp4"
	res := "https://" + host + "/videos/*"
	ipc := func(ip string) string { return lt(exp) + `,"IpAddress":{"AWS:SourceIp":"` + ip + `"}` }
	cases := []struct {
		ip, client, want string
	}{
		{"0.0.0.0/0", "203.0.113.9", ""},
		{"192.0.2.7/32", "192.0.2.7", ""},
		{"192.0.2.7/32", "192.0.2.6", CodeAccessDenied},
		{"192.0.2.0/24", "::ffff:192.0.2.9", ""},
		{"192.0.2.0/24", "::ffff:198.51.100.9", CodeAccessDenied},
		{"192.0.2.0/24", "2001:db8::1", CodeAccessDenied},
		{"::ffff:192.0.2.0/120", "192.0.2.9", CodeMalformedPolicy},
		{"::ffff:192.0.2.7", "192.0.2.7", CodeMalformedPolicy},
		{"::/0", "2001:db8::1", CodeMalformedPolicy},
		{"192.0.2.0/33", "192.0.2.7", CodeMalformedPolicy},
		{"192.0.2.0/-1", "192.0.2.7", CodeMalformedPolicy},
		{"192.000.002.007", "192.0.2.7", CodeMalformedPolicy},
		{"192.0.2.7%eth0", "192.0.2.7", CodeMalformedPolicy},
		{" 192.0.2.7", "192.0.2.7", CodeMalformedPolicy},
		{"", "192.0.2.7", CodeMalformedPolicy},
	}
	for _, c := range cases {
		r := req(hostileSigned(t, f, u, hostilePolicy(res, ipc(c.ip))))
		r.ClientIP = netip.MustParseAddr(c.client)
		if got := code(v.Check(r, now)); got != c.want {
			t.Errorf("SourceIp %q, client %s: %q, want %q", c.ip, c.client, got, c.want)
		}
	}
}

// TestHostileAccessResourcePatterns pins wildcard matching that must not cross sections or
// grant too much.
func TestHostileAccessResourcePatterns(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	cases := []struct {
		resource, url, want string
	}{
		{"https://" + host + "/*/public/*", "https://" + host + "/a/public/x", ""},
		{"https://" + host + "/*/public/*", "https://" + host + "/a/secret?x=/public/y", CodeAccessDenied},
		{"https://" + host + "/*.mp4", "https://" + host + "/secret.txt?f=.mp4", CodeAccessDenied},
		{"https://" + host + "/*.mp4", "https://" + host + "/secret.txt?.mp4", CodeAccessDenied},
		{"https://" + host + "/a**b", "https://" + host + "/a/x/y/b", ""},
		{"https://" + host + "/a**b", "https://" + host + "/a/x?b", CodeAccessDenied},
		{"https://*" + host[1:] + "/v/*", "https://evil.example/v/x", CodeAccessDenied},
		{"https://" + host + "/v/*", "http://" + host + "/v/x", CodeAccessDenied},
		{"http://" + host + "/v/*", "https://" + host + "/v/x", CodeAccessDenied},
		{"https://" + host + "/V/*", "https://" + host + "/v/x", CodeAccessDenied},
		{"https://" + host + "/v/x?a=1", "https://" + host + "/v/x?a=1&b=2", CodeAccessDenied},
		{"https://" + host + "/v/x?a=1", "https://" + host + "/v/x?a=1", ""},
		{"https://" + host + "/v/x?a=*", "https://" + host + "/v/xa=1", CodeAccessDenied},
		{"https://" + host + "/v/%2A", "https://" + host + "/v/secret", CodeAccessDenied},
		{"https://" + host + "/v/*", "https://" + host + "/v%2Fx", CodeAccessDenied},
		{"ftp://" + host + "/v/*", "https://" + host + "/v/x", CodeAccessDenied},
		{"HTTPS://" + strings.ToUpper(host) + "/v/*", "https://" + host + "/v/x", ""},
	}
	for _, c := range cases {
		js := hostilePolicy(c.resource, lt(exp))
		r := req(hostileSigned(t, f, c.url, js))
		if got := code(v.Check(r, now)); got != c.want {
			t.Errorf("Resource %q, URL %q: %q, want %q", c.resource, c.url, got, c.want)
		}
	}
}

// TestHostileAccessParams pins repeated, odd-case and mixed signing parameters: the first
// occurrence counts, names are exact, a signed URL wins over cookies
// ([DG] private-content-signed-urls: URL takes precedence).
func TestHostileAccessParams(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players, f.partners)
	page := "https://" + host + "/p/a.html"
	good := signCanned(t, "K1", f.k1, page, exp)
	expired := signCanned(t, "K1", f.k1, page, now.Add(-time.Second))
	cookieOf := func(u string) string {
		return "CloudFront-Expires=" + param(u, "Expires") + "; CloudFront-Signature=" + param(u, "Signature") + "; CloudFront-Key-Pair-Id=" + param(u, "Key-Pair-Id")
	}
	withCookie := func(u, c string) *Request { r := req(u); r.Cookie = []byte(c); return r }
	cases := []struct {
		name string
		r    *Request
		want string
	}{
		{"repeated Key-Pair-Id, first trusted", req(good + "&Key-Pair-Id=K3"), ""},
		{"repeated Key-Pair-Id, first untrusted", req(strings.Replace(good, "?", "?Key-Pair-Id=KX&", 1)), CodeInvalidKey},
		{"repeated Signature, first bogus", req(strings.Replace(good, "?", "?Signature=AAAA&", 1)), CodeAccessDenied},
		{"repeated Expires, later extended", req(good + "&Expires=" + itoa(exp.Add(time.Hour))), ""},
		{"repeated Expires, first extended", req(strings.Replace(good, "?", "?Expires="+itoa(exp.Add(time.Hour))+"&", 1)), CodeAccessDenied},
		{"lower-case names are user parameters", req(strings.NewReplacer("Expires=", "expires=", "Signature=", "signature=", "Key-Pair-Id=", "key-pair-id=").Replace(good)), CodeMissingKey},
		{"percent-encoded name is not a signing parameter", req(strings.Replace(good, "Key-Pair-Id=", "Key%2DPair-Id=", 1)), CodeMissingKey},
		{"Expires with a plus", req(replaceParam(good, "Expires", "+"+itoa(exp))), CodeMalformedPolicy},
		{"Expires with spaces", req(replaceParam(good, "Expires", "%20"+itoa(exp))), CodeMalformedPolicy},
		{"Expires leading zeros (same value)", req(replaceParam(good, "Expires", "000"+itoa(exp))), ""},
		{"expired URL, valid cookies", withCookie(expired, cookieOf(good)), CodeAccessDenied},
		{"valid URL, expired cookies", withCookie(good, cookieOf(expired)), ""},
		{"only Key-Pair-Id in the URL, valid cookies", withCookie(page+"?Key-Pair-Id=K1", cookieOf(good)), CodeMalformedSignature},
		{"cookies: first of a name counts", withCookie(page, "CloudFront-Signature=AAAA; "+cookieOf(good)), CodeAccessDenied},
		{"cookies: odd spacing and quotes", withCookie(page, ` CloudFront-Expires = "`+itoa(exp)+`" ;CloudFront-Signature="`+param(good, "Signature")+`";	CloudFront-Key-Pair-Id=K1 `), ""},
		{"cookies: lower-case names ignored", withCookie(page, strings.ToLower(cookieOf(good))), CodeMissingKey},
		{"cookies: Expires cookie of another page", withCookie("https://"+host+"/p/b.html", cookieOf(good)), CodeAccessDenied},
		{"signature of the right key under another trusted id", req(replaceParam(good, "Key-Pair-Id", "K3")), CodeAccessDenied},
		{"empty Signature", req(replaceParam(good, "Signature", "")), CodeMalformedSignature},
		{"Signature of padding only", req(replaceParam(good, "Signature", "____")), CodeMalformedSignature},
		{"empty Policy next to valid Expires", req(good + "&Policy="), CodeMalformedPolicy},
	}
	for _, c := range cases {
		if got := code(v.Check(c.r, now)); got != c.want {
			t.Errorf("%s (%s?%s cookie %q): %q, want %q", c.name, c.r.Path, c.r.RawQuery, c.r.Cookie, got, c.want)
		}
	}
}

// TestHostileAccessLimits: oversized encoded values are refused before decoding, and
// nothing panics.
func TestHostileAccessLimits(t *testing.T) {
	f := newFixture(t)
	v := verifier(t, f.players)
	page := "https://" + host + "/p/a.html"
	good := signCanned(t, "K1", f.k1, page, exp)
	big := strings.Repeat("A", maxEncoded+4)
	if c := code(v.Check(req(replaceParam(good, "Signature", big)), now)); c != CodeMalformedSignature {
		t.Errorf("huge Signature: %q", c)
	}
	if c := code(v.Check(req(dropParam(good, "Expires")+"&Policy="+big), now)); c != CodeMalformedPolicy {
		t.Errorf("huge Policy: %q", c)
	}
	// A valid-looking but unsigned 12 KiB policy is refused on the signature, not parsed.
	js := hostilePolicy("*", lt(exp)) + strings.Repeat(" ", 12000)
	if c := code(v.Check(req(dropParam(good, "Expires")+"&Policy="+cfB64([]byte(js))), now)); c != CodeAccessDenied {
		t.Errorf("unsigned long policy: %q", c)
	}
	// Deeply nested JSON, properly signed: no panic, malformed.
	nested := `{"Statement":[{"Resource":"*","X":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `,"Condition":{` + lt(exp) + `}}]}`
	if c := code(v.Check(req(hostileSigned(t, f, page, nested)), now)); c != "" {
		t.Logf("nested unknown key: %q", c)
	}
}
