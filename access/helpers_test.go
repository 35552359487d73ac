package access

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/cfedge/edge/config"
)

// now is the fixed clock of the tests; exp is one hour later.
var (
	now = time.Unix(1_700_000_000, 0)
	exp = now.Add(time.Hour)
)

const host = "d111111abcdef8.cloudfront.net"

// fixture holds keys generated for one test: K1 and K2 in group "players" (a rotation),
// K3 in group "partners", and a stranger key that no group holds. No private key is
// ever written to disk or committed.
type fixture struct {
	k1, k2, k3, stranger *rsa.PrivateKey
	players, partners    config.KeyGroup
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{k1: genKey(t), k2: genKey(t), k3: genKey(t), stranger: genKey(t)}
	f.players = config.KeyGroup{ID: "players", PublicKey: []config.PublicKey{
		{ID: "K1", EncodedKey: pemOf(t, &f.k1.PublicKey)},
		{ID: "K2", EncodedKey: pemOf(t, &f.k2.PublicKey)},
	}}
	f.partners = config.KeyGroup{ID: "partners", PublicKey: []config.PublicKey{
		{ID: "K3", EncodedKey: pemOf(t, &f.k3.PublicKey)},
	}}
	return f
}

func genKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemOf(t testing.TB, pub *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// verifier trusts the given groups.
func verifier(t testing.TB, groups ...config.KeyGroup) *Verifier {
	t.Helper()
	v, err := New(Config{KeyGroups: groups})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signCanned signs u with a canned policy using the SDK's URL signer.
func signCanned(t testing.TB, id string, k *rsa.PrivateKey, u string, expires time.Time) string {
	t.Helper()
	s, err := sign.NewURLSigner(id, k).Sign(u, expires)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signCustom signs u with policy p using the SDK's URL signer.
func signCustom(t testing.TB, id string, k *rsa.PrivateKey, u string, p *sign.Policy) string {
	t.Helper()
	s, err := sign.NewURLSigner(id, k).SignWithPolicy(u, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// policy is a one-statement SDK policy; zero times and an empty ip are left out.
func policy(resource string, lessThan, greaterThan time.Time, ip string) *sign.Policy {
	st := sign.Statement{Resource: resource}
	if !lessThan.IsZero() {
		st.Condition.DateLessThan = sign.NewAWSEpochTime(lessThan)
	}
	if !greaterThan.IsZero() {
		st.Condition.DateGreaterThan = sign.NewAWSEpochTime(greaterThan)
	}
	if ip != "" {
		st.Condition.IPAddress = &sign.IPAddress{SourceIP: ip}
	}
	return &sign.Policy{Statements: []sign.Statement{st}}
}

// cfB64 is CloudFront's base64: standard, padded, then '+' '=' '/' -> '-' '_' '~'.
func cfB64(b []byte) string {
	return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(b))
}

// rawSign signs msg with PKCS #1 v1.5 over h, in CloudFront base64 (for what the SDK
// cannot make: SHA-256, hand-written policies, CloudFront-Expires cookies).
func rawSign(t testing.TB, k *rsa.PrivateKey, msg string, h crypto.Hash) string {
	t.Helper()
	var digest []byte
	if h == crypto.SHA256 {
		d := sha256.Sum256([]byte(msg))
		digest = d[:]
	} else {
		d := sha1.Sum([]byte(msg))
		digest = d[:]
	}
	sig, err := rsa.SignPKCS1v15(nil, k, h, digest)
	if err != nil {
		t.Fatal(err)
	}
	return cfB64(sig)
}

// cannedJSON is the canned policy text for resource.
func cannedJSON(resource string, expires time.Time) string {
	return `{"Statement":[{"Resource":"` + resource + `","Condition":{"DateLessThan":{"AWS:EpochTime":` +
		strconv.FormatInt(expires.Unix(), 10) + `}}}]}`
}

// req splits a URL into a Request from client 192.0.2.7, keeping the raw path and query.
func req(rawURL string) *Request {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	h, pq := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		h, pq = rest[:i], rest[i:]
	}
	path, query, _ := strings.Cut(pq, "?")
	return &Request{Scheme: scheme, Host: []byte(h), Path: []byte(path), RawQuery: []byte(query),
		ClientIP: netip.MustParseAddr("192.0.2.7")}
}

// withCookies is req(rawURL) with a Cookie header made from cookies.
func withCookies(rawURL string, cookies []*http.Cookie) *Request {
	r := req(rawURL)
	parts := make([]string, len(cookies))
	for i, c := range cookies {
		parts[i] = c.Name + "=" + c.Value
	}
	r.Cookie = []byte(strings.Join(parts, "; "))
	return r
}

// replaceParam replaces the value of query parameter name in a signed URL.
func replaceParam(u, name, value string) string {
	i := strings.Index(u, name+"=")
	if i < 0 {
		return u
	}
	j := strings.IndexByte(u[i:], '&')
	if j < 0 {
		return u[:i] + name + "=" + value
	}
	return u[:i] + name + "=" + value + u[i+j:]
}

// dropParam removes query parameter name (and its '&') from a signed URL.
func dropParam(u, name string) string {
	for _, sep := range []string{"&", "?"} {
		i := strings.Index(u, sep+name+"=")
		if i < 0 {
			continue
		}
		j := strings.IndexByte(u[i+1:], '&')
		if j < 0 {
			return u[:i]
		}
		if sep == "?" {
			return u[:i+1] + u[i+j+2:]
		}
		return u[:i] + u[i+1+j:]
	}
	return u
}

// code is the Denial's code, or "" when allowed.
func code(d *Denial) string {
	if d == nil {
		return ""
	}
	return d.Code
}
