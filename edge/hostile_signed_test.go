package edge

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// TestHostileSignedAbsoluteForm: a valid signed URL sent with an absolute-form target
// (RFC 9112 §3.2.2: a server MUST accept it; the edge's admit says it uses it) must pass
// like the same URL in origin-form: the signature is over scheme://host/path?query, not over
// "http://host" + "http://host/path".
func TestHostileSignedAbsoluteForm(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/private/a.txt", 200, nil, "secret content")
	e, priv := startSignedEdge(t, o, "/private/*")
	base := "http://" + e.host + "/private/a.txt"
	signed, err := sign.NewURLSigner("K2JCJMDEHXQW5F", priv).Sign(base, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rel := strings.TrimPrefix(signed, "http://"+e.host)
	if r, body := e.raw(t, "GET "+rel+" HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n"); r.StatusCode != 200 {
		t.Fatalf("origin-form: %d %q", r.StatusCode, body)
	}
	r, body := e.raw(t, "GET "+signed+" HTTP/1.1\r\nHost: "+e.host+"\r\nConnection: close\r\n\r\n")
	if r.StatusCode != 200 || body != "secret content" {
		t.Errorf("absolute-form GET %s: %d %q, want 200 (same URL as origin-form)", signed, r.StatusCode, body)
	}
}

// TestHostileSignedFragmentWildcard: a wildcard Resource ("/private/*.mp4") checked against
// the raw target must not be satisfied by text after a '#', which is not part of the path:
// the behavior, and origins that cut the target at '#', see /private/secret.txt.
func TestHostileSignedFragmentWildcard(t *testing.T) {
	o := newTestOrigin(t)
	var seen []string
	o.handle("/private/secret.txt", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("SECRET")) })
	o.handle("/private/secret.txt#.mp4", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("SECRET")) })
	e, priv := startSignedEdge(t, o, "/private/*")
	cookies, err := sign.NewCookieSigner("K2JCJMDEHXQW5F", priv).SignWithPolicy(
		sign.NewCannedPolicy("http://"+e.host+"/private/*.mp4", time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	var jar []string
	for _, c := range cookies {
		jar = append(jar, c.Name+"="+c.Value)
	}
	cookie := strings.Join(jar, "; ")
	o.handle("/private/v.mp4", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("video")) })
	if r, body := e.do(t, "GET", "/private/v.mp4", map[string]string{"Cookie": cookie}); r.StatusCode != 200 {
		t.Fatalf("inside the policy: %d %q", r.StatusCode, body)
	}
	for _, target := range []string{"/private/secret.txt#.mp4", "/private/secret.txt#x.mp4"} {
		r, body := e.raw(t, "GET "+target+" HTTP/1.1\r\nHost: "+e.host+"\r\nCookie: "+cookie+"\r\nConnection: close\r\n\r\n")
		o.mu.Lock()
		seen = seen[:0]
		for _, q := range o.reqs {
			seen = append(seen, q.URI)
		}
		o.mu.Unlock()
		if r.StatusCode != 403 && r.StatusCode != 400 {
			t.Errorf("GET %s with cookies for /private/*.mp4: %d %q (origin saw %q), want 403 AccessDenied (or 400)", target, r.StatusCode, body, seen)
		}
	}
}

// TestHostileSignedStripped pins that every signing parameter, repeated or trailing, is kept
// from the origin and the cache key, while user parameters are forwarded
// ([DG] QueryStringParameters: Expires, Key-Pair-Id, Policy, Signature are removed).
func TestHostileSignedStripped(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/private/a.txt", 200, map[string]string{"Cache-Control": "max-age=60"}, "secret content")
	e, priv := startSignedEdge(t, o, "/private/*")
	base := "http://" + e.host + "/private/a.txt"
	signed, err := sign.NewURLSigner("K2JCJMDEHXQW5F", priv).Sign(base, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rel := strings.TrimPrefix(signed, "http://"+e.host)
	// First occurrence counts: a repeated trailing Expires/Hash-Algorithm is also stripped.
	r, body := e.get(t, rel+"&Expires=1&Hash-Algorithm=SHA1")
	if r.StatusCode != 200 || body != "secret content" {
		t.Fatalf("signed URL with repeated trailing params: %d %q", r.StatusCode, body)
	}
	if got := o.last("/private/a.txt").URI; got != "/private/a.txt" {
		t.Errorf("origin saw %q, want no signing parameter", got)
	}
	// Unsigned request for the cached object: still refused (the check comes before the cache).
	if r, body := e.get(t, "/private/a.txt"); r.StatusCode != 403 || !strings.Contains(body, "<Code>MissingKey</Code>") ||
		r.Header.Get("Content-Type") != "text/xml" || xcache(r) != "Error from cloudfront" {
		t.Errorf("unsigned after a cached signed fetch: %d %q ct=%q %s", r.StatusCode, body, r.Header.Get("Content-Type"), xcache(r))
	}
	// Signed with a bad signature after a cache fill: refused, not served from cache.
	bad := strings.Replace(rel, "Signature=", "Signature=AAAA", 1)
	if r, body := e.get(t, bad); r.StatusCode != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("bad signature after a cache fill: %d %q", r.StatusCode, body)
	}
	// HEAD is checked too.
	if r, _ := e.do(t, "HEAD", "/private/a.txt", nil); r.StatusCode != 403 {
		t.Errorf("unsigned HEAD: %d", r.StatusCode)
	}
}
