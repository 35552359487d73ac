package edge

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// TestSignedURLsAndCookies: a behavior with trusted key groups serves only requests signed by
// aws-sdk-go-v2's CloudFront signer (URLs or cookies), with CloudFront's 403 XML otherwise; the
// signing parameters reach neither the cache key nor the origin.
func TestSignedURLsAndCookies(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/private/a.txt", 200, map[string]string{"Cache-Control": "max-age=60"}, "secret content")
	o.static("/public.txt", 200, nil, "open")
	e, priv := startSignedEdge(t, o, "/private/*")
	base := "http://" + e.host + "/private/a.txt"
	rel := func(u string) string { return strings.TrimPrefix(u, "http://"+e.host) }

	r, body := e.get(t, "/private/a.txt")
	if r.StatusCode != 403 || !strings.Contains(body, "<Code>MissingKey</Code>") || xcache(r) != "Error from cloudfront" {
		t.Fatalf("unsigned: %d %q %s", r.StatusCode, body, xcache(r))
	}
	signed, err := sign.NewURLSigner("K2JCJMDEHXQW5F", priv).Sign(base, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r, body = e.get(t, rel(signed)); r.StatusCode != 200 || body != "secret content" {
		t.Fatalf("signed URL: %d %q", r.StatusCode, body)
	}
	if got := o.last("/private/a.txt").URI; got != "/private/a.txt" {
		t.Errorf("origin saw %q: signing parameters must not be forwarded", got)
	}
	// Another signature of the same object shares the cache entry.
	signed2, _ := sign.NewURLSigner("K2JCJMDEHXQW5F", priv).Sign(base, time.Now().Add(2*time.Hour))
	if r, _ = e.get(t, rel(signed2)); xcache(r) != "Hit from cloudfront" {
		t.Errorf("second signed URL: %s, want a Hit (signing parameters are not in the key)", xcache(r))
	}
	expired, _ := sign.NewURLSigner("K2JCJMDEHXQW5F", priv).Sign(base, time.Now().Add(-time.Minute))
	if r, body = e.get(t, rel(expired)); r.StatusCode != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("expired URL: %d %q", r.StatusCode, body)
	}
	if r, body = e.get(t, strings.Replace(rel(signed), "Key-Pair-Id=K2JCJMDEHXQW5F", "Key-Pair-Id=KUNKNOWN", 1)); r.StatusCode != 403 || !strings.Contains(body, "InvalidKey") {
		t.Errorf("unknown key: %d %q", r.StatusCode, body)
	}
	cookies, err := sign.NewCookieSigner("K2JCJMDEHXQW5F", priv).Sign(base, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var jar []string
	for _, c := range cookies {
		jar = append(jar, c.Name+"="+c.Value)
	}
	if r, body = e.do(t, http.MethodGet, "/private/a.txt", map[string]string{"Cookie": strings.Join(jar, "; ")}); r.StatusCode != 200 || body != "secret content" {
		t.Errorf("signed cookies: %d %q", r.StatusCode, body)
	}
	if r, _ = e.get(t, "/public.txt"); r.StatusCode != 200 {
		t.Errorf("a behavior without key groups needs no signature: %d", r.StatusCode)
	}
}

// startSignedEdge starts an edge in front of o whose behavior for pattern trusts a key group with
// one fresh RSA key (key pair id K2JCJMDEHXQW5F), and returns the edge and the private key.
func startSignedEdge(t *testing.T, o *testOrigin, pattern string) (*testEdge, *rsa.PrivateKey) {
	t.Helper()
	cfg, priv := signedConfig(t, pattern)
	return startEdge(t, cfg, o.port()), priv
}

// signedConfig is baseConfig with a behavior for pattern that trusts a key group with one fresh
// RSA key (key pair id K2JCJMDEHXQW5F), and the private key.
func signedConfig(t *testing.T, pattern string) (string, *rsa.PrivateKey) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return `
[[key_group]]
id = "kg1"
[[key_group.public_key]]
id = "K2JCJMDEHXQW5F"
encoded_key = """` + pemKey + `"""
` + baseConfig(`
[[distribution.behavior]]
path_pattern = "`+pattern+`"
target_origin_id = "web"
trusted_key_groups = ["kg1"]
`), priv
}
