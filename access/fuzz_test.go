package access

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// stripIndependent is StripSignature written another way, as the fuzz oracle.
func stripIndependent(q string) string {
	if q == "" {
		return ""
	}
	var kept []string
	for _, seg := range strings.Split(q, "&") {
		name, _, _ := strings.Cut(seg, "=")
		switch name {
		case "Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm":
			continue
		}
		kept = append(kept, seg)
	}
	return strings.Join(kept, "&")
}

// FuzzCheck mutates valid signed URLs and cookies. Check must not panic, must answer with
// one of CloudFront's codes, and may allow a request only where one of the seeds' signed
// policies covers it: the canned URL's exact path and query, the custom URL's /videos/*,
// the SDK cookie's exact page, or the http* cookie's /private/*. The fuzzer cannot forge
// an RSA signature, so anything else allowed is a verifier bug.
func FuzzCheck(f *testing.F) {
	fx := newFixture(f)
	v := verifier(f, fx.players)
	split := func(u string) (path, query string) {
		r := req(u)
		return string(r.Path), string(r.RawQuery)
	}
	canned := signCanned(f, "K1", fx.k1, "https://"+host+"/downloads/file.zip?quality=hd", exp)
	custom := signCustom(f, "K2", fx.k2, "https://"+host+"/videos/a.mp4", policy("https://"+host+"/videos/*", exp, now.Add(-time.Hour), "192.0.2.0/24"))
	for _, u := range []string{canned, custom} {
		p, q := split(u)
		f.Add(p, q, "")
		f.Add(p, q+"&x=1", "")
		f.Add(p+"x", q, "")
	}
	page, err := sign.NewCookieSigner("K1", fx.k1).Sign("https://"+host+"/private/page.html", exp)
	if err != nil {
		f.Fatal(err)
	}
	star, err := sign.NewCookieSigner("K2", fx.k2).SignWithPolicy(policy("http*://"+host+"/private/*", exp, time.Time{}, ""))
	if err != nil {
		f.Fatal(err)
	}
	for _, cs := range [][]*http.Cookie{page, star} {
		h := string(withCookies("https://h/", cs).Cookie)
		f.Add("/private/page.html", "", h)
		f.Add("/private/other", "a=1", strings.ReplaceAll(h, "; ", ";"))
	}
	f.Add("/", "Key-Pair-Id=K1&Signature=AAAA&Policy=e30_", "")
	f.Add("/", "", "CloudFront-Key-Pair-Id=K1; CloudFront-Signature=~~; CloudFront-Expires=1")

	f.Fuzz(func(t *testing.T, path, query, cookie string) {
		r := &Request{Scheme: "https", Host: []byte(host), Path: []byte(path), RawQuery: []byte(query),
			Cookie: []byte(cookie), ClientIP: netip.MustParseAddr("192.0.2.7")}
		d := v.Check(r, now)
		if d != nil {
			switch d.Code {
			case CodeMissingKey, CodeInvalidKey, CodeMalformedSignature, CodeMalformedPolicy, CodeAccessDenied:
			default:
				t.Fatalf("unknown code %q", d.Code)
			}
			if d.Message == "" {
				t.Fatal("empty message")
			}
			return
		}
		stripped := stripIndependent(query)
		switch {
		case path == "/downloads/file.zip" && stripped == "quality=hd":
		case strings.HasPrefix(path, "/videos/"):
		case path == "/private/page.html" && stripped == "":
		case strings.HasPrefix(path, "/private/"):
		default:
			t.Fatalf("allowed a request no seed policy covers: path %q query %q cookie %q", path, query, cookie)
		}
	})
}

// FuzzStripSignature checks StripSignature against a second implementation, and that it
// appends to dst without touching it.
func FuzzStripSignature(f *testing.F) {
	for _, q := range []string{"", "a=1&Expires=1&Signature=s&Key-Pair-Id=K", "&&Policy&x", "Hash-Algorithm=SHA256&b", "a=1&"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := StripSignature([]byte("dst"), []byte(q))
		if want := "dst" + stripIndependent(q); string(got) != want {
			t.Fatalf("StripSignature(%q) = %q, want %q", q, got, want)
		}
	})
}

// FuzzAppendJSONString checks the canned-policy escaping against encoding/json with HTML
// escaping off, which is what the SDK signs.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"https://h/a?b=c", `"\<>&`, "\x00\x1f\t\u2028\xff\xe2\x80", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := `"` + string(appendJSONString(nil, []byte(s))) + `"`; got != want {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// FuzzParsePolicy feeds arbitrary (as if signed) policies through parsing and matching:
// no panic, and a parsed policy always has its required DateLessThan honoured.
func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Statement":[{"Resource":"https://h/*","Condition":{"DateLessThan":{"AWS:EpochTime":1700003600}}}]}`, "/a", "q=1")
	f.Add(`{"Statement":{"Resource":"*://*/\\?*","Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"0.0.0.0/0"},"DateGreaterThan":{"AWS:EpochTime":0}}}}`, "/", "")
	f.Add(`{"Statement":[{"Resource":"http*://h/a?b?c*","Condition":{"DateLessThan":{"AWS:EpochTime":9}}}]}`, "/axb", "c")
	f.Fuzz(func(t *testing.T, policy, path, query string) {
		st, err := parsePolicy([]byte(policy))
		if err != nil {
			return
		}
		r := &Request{Scheme: "https", Host: []byte("h"), Path: []byte(path), RawQuery: []byte(query),
			ClientIP: netip.MustParseAddr("192.0.2.7")}
		at := time.Unix(st.lessThan, 0)
		if st.allows(r, at, true) || st.allows(r, at.Add(time.Second), false) {
			t.Fatalf("policy %q allowed at or after DateLessThan", policy)
		}
		st.allows(r, at.Add(-time.Second), true)
	})
}

// FuzzMatchResource: no panic, "*" matches everything, and a pattern without wildcards
// matches exactly its own URL (host case aside).
func FuzzMatchResource(f *testing.F) {
	f.Add("https://h/a/b.jpg", "/a/b.jpg", "")
	f.Add("https://h/a*b?c", "/aXXb", "c")
	f.Add("*", "/", "x")
	f.Add(`http*://H/\\?*`, "/", "")
	f.Fuzz(func(t *testing.T, pattern, path, query string) {
		got := matchResource(pattern, "https", []byte("h"), []byte(path), []byte(query), true)
		if pattern == "*" && !got {
			t.Fatal(`"*" did not match`)
		}
		if strings.ContainsAny(pattern, "*?\\") || !strings.HasPrefix(pattern, "https://h/") {
			return
		}
		url := "https://h" + path
		if query != "" {
			url += "?" + query
		}
		if want := pattern == url; got != want && !strings.ContainsAny(path, "?") {
			t.Fatalf("matchResource(%q, %q) = %v, want %v", pattern, url, got, want)
		}
	})
}
