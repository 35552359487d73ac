// Package access checks CloudFront signed URLs and signed cookies
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-cookies.html) against
// the public keys of a behavior's trusted key groups, and answers with CloudFront's refusal
// codes when a request may not pass.
package access

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/cfedge/edge/config"
)

// Config is what New needs to build a Verifier for one behavior.
type Config struct {
	// KeyGroups are the behavior's trusted key groups, already resolved from their ids.
	KeyGroups []config.KeyGroup
	// BaseDir resolves relative PublicKey.Path values (config.Load has usually made them
	// absolute already); empty means the working directory.
	BaseDir string
}

// Verifier checks signed URLs and signed cookies for one behavior's trusted key groups.
// It is immutable after New and safe for concurrent use.
type Verifier struct {
	keys map[string][]*rsa.PublicKey // Key-Pair-Id -> its public keys (one, unless ids repeat)
}

// New parses every public key of cfg's key groups (inline PEM, or the PEM file at Path) and
// returns a Verifier that trusts exactly those keys. It fails when there is no key group,
// a group has no key, or a key is missing, unreadable or not an RSA public key that
// config.ParsePublicKey accepts; the error names the group and key.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.KeyGroups) == 0 {
		return nil, errors.New("access: no trusted key groups")
	}
	v := &Verifier{keys: map[string][]*rsa.PublicKey{}}
	for _, g := range cfg.KeyGroups {
		if len(g.PublicKey) == 0 {
			return nil, fmt.Errorf("access: key group %q: no public keys", g.ID)
		}
		for _, k := range g.PublicKey {
			pub, err := loadKey(k, cfg.BaseDir)
			if err != nil {
				return nil, fmt.Errorf("access: key group %q: public key %q: %w", g.ID, k.ID, err)
			}
			v.keys[k.ID] = append(v.keys[k.ID], pub)
		}
	}
	return v, nil
}

func loadKey(k config.PublicKey, baseDir string) (*rsa.PublicKey, error) {
	switch {
	case k.ID == "":
		return nil, errors.New("no id")
	case k.EncodedKey != "" && k.Path != "":
		return nil, errors.New("both encoded_key and path are set")
	case k.EncodedKey != "":
		return config.ParsePublicKey([]byte(k.EncodedKey))
	case k.Path != "":
		p := k.Path
		if !filepath.IsAbs(p) && baseDir != "" {
			p = filepath.Join(baseDir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		pub, err := config.ParsePublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return pub, nil
	}
	return nil, errors.New("neither encoded_key nor path is set")
}

// Request is what a check needs; byte slices are only read during Check.
type Request struct {
	Scheme   string     // "http" or "https"
	Host     []byte     // the Host the viewer sent (the URL's domain as signed)
	Path     []byte     // raw path as sent (not decoded)
	RawQuery []byte     // raw query as sent
	Cookie   []byte     // raw Cookie header value (several headers joined with "; ")
	ClientIP netip.Addr // the viewer's address, for IpAddress conditions
}

// Denial is a refused request: CloudFront's code and message, as CloudFront's own 403 bodies
// show them (the Developer Guide only says such a request is rejected:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html). The edge
// answers it with 403 and an XML <Error> body.
type Denial struct{ Code, Message string }

// Error returns "Code: Message", so a Denial can be logged or returned as an error.
func (d *Denial) Error() string { return d.Code + ": " + d.Message }

// CloudFront's refusal codes, as observed in its 403 responses (no AWS page lists them); each
// has one fixed message.
const (
	// CodeMissingKey: neither the query nor the cookies carry a Key-Pair-Id.
	CodeMissingKey = "MissingKey"
	// CodeInvalidKey: the Key-Pair-Id is not a key of a trusted key group.
	CodeInvalidKey = "InvalidKey"
	// CodeMalformedSignature: the Signature is missing or not CloudFront base64.
	CodeMalformedSignature = "MalformedSignature"
	// CodeMalformedPolicy: the Policy (or Expires) cannot be decoded or is not a valid policy.
	CodeMalformedPolicy = "MalformedPolicy"
	// CodeAccessDenied: bad signature, expired, not yet valid, wrong IP or wrong resource.
	CodeAccessDenied = "AccessDenied"
)

func deny(code string) *Denial {
	msg := "Access denied"
	switch code {
	case CodeMissingKey:
		msg = "Missing Key-Pair-Id query parameter or cookie value"
	case CodeInvalidKey:
		msg = "Unknown Key"
	case CodeMalformedSignature:
		msg = "Could not unencode Signature"
	case CodeMalformedPolicy:
		msg = "Malformed Policy"
	}
	return &Denial{Code: code, Message: msg}
}

// maxSignature sizes the stack buffer for a decoded signature: 512 bytes is a 4096-bit RSA
// signature (longer ones are decoded on the heap, and fail to verify).
const maxSignature = 512

// Check decides whether r may pass at time now, and returns nil when it may.
//
// The signed-URL parameters in the query (Expires or Policy, Signature, Key-Pair-Id,
// optional Hash-Algorithm=SHA256) are used when any of Expires, Policy, Signature or
// Key-Pair-Id is present; otherwise the CloudFront-* cookies are. The problems are checked
// in this order, and the first one found is returned: no Key-Pair-Id (MissingKey), a key id
// outside the trusted groups (InvalidKey), a missing or undecodable Signature
// (MalformedSignature), a missing or undecodable Expires or Policy (MalformedPolicy), a
// signature that no key with that id verifies, or an unknown Hash-Algorithm (AccessDenied),
// a signed policy that is not valid JSON with exactly one statement and a DateLessThan
// (MalformedPolicy), and last the policy's conditions (AccessDenied).
//
// A canned policy is rebuilt byte for byte from Scheme, Host, Path and the query without
// its signing parameters, as the SDK signs the URL it is given (so the Host must be sent as
// it was signed, port included). Time windows are exclusive, as the condition names say: the request must start strictly
// before DateLessThan (or Expires) and strictly after DateGreaterThan. Check never panics
// and does not keep r or its slices.
func (v *Verifier) Check(r *Request, now time.Time) *Denial {
	if r == nil {
		r = &Request{}
	}
	var s signedParams
	fromCookie := !s.fromQuery(r.RawQuery)
	if fromCookie {
		s = signedParams{scratch: s.scratch[:0]} // Hash-Algorithm comes from the cookies too
		s.fromCookie(r.Cookie)
	}
	if len(s.keyID) == 0 {
		return deny(CodeMissingKey)
	}
	var keys []*rsa.PublicKey
	if v != nil {
		keys = v.keys[string(s.keyID)]
	}
	if len(keys) == 0 {
		return deny(CodeInvalidKey)
	}
	var sigBuf [maxSignature]byte
	sig, ok := decodeB64(sigBuf[:0], s.signature)
	if !ok || len(sig) == 0 {
		return deny(CodeMalformedSignature)
	}

	if s.policy != nil {
		policy, ok := decodeB64(nil, s.policy)
		if !ok || len(policy) == 0 {
			return deny(CodeMalformedPolicy)
		}
		if !verify(keys, s.hashAlg, policy, sig) {
			return deny(CodeAccessDenied)
		}
		st, err := parsePolicy(policy)
		if err != nil {
			return deny(CodeMalformedPolicy)
		}
		if !st.allows(r, now, fromCookie) {
			return deny(CodeAccessDenied)
		}
		return nil
	}
	if s.expires == nil {
		return deny(CodeMalformedPolicy)
	}
	expires, ok := parseEpoch(s.expires)
	if !ok {
		return deny(CodeMalformedPolicy)
	}
	if !utf8.Valid(r.Path) || !utf8.Valid(r.RawQuery) {
		// The canned policy is JSON text, in which every invalid byte becomes U+FFFD: "/a\xff"
		// and "/a\xfe" would share one signature.
		return deny(CodeAccessDenied)
	}
	var buf [1024]byte // kept apart from the custom policy, so it can stay on the stack
	if !verify(keys, s.hashAlg, appendCanned(buf[:0], r, expires), sig) || now.Unix() >= expires {
		return deny(CodeAccessDenied)
	}
	return nil
}

// verify reports whether one of keys signed msg with sig, hashing with SHA-1 or, when
// hashAlg is "SHA256", SHA-256. Any other hashAlg verifies nothing.
func verify(keys []*rsa.PublicKey, hashAlg, msg, sig []byte) bool {
	var hash crypto.Hash
	var digest []byte
	switch string(hashAlg) {
	case "", "SHA1":
		d := sha1.Sum(msg)
		hash, digest = crypto.SHA1, d[:]
	case "SHA256":
		d := sha256.Sum256(msg)
		hash, digest = crypto.SHA256, d[:]
	default:
		return false
	}
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, hash, digest, sig) == nil {
			return true
		}
	}
	return false
}
