package control

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/valyala/fasthttp"
)

// SigV4 parameters of the CloudFront API: service "cloudfront", signed for us-east-1, the
// region of its one endpoint (https://docs.aws.amazon.com/general/latest/gr/cf_region.html;
// signing: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html).
const (
	SigningService = "cloudfront"
	SigningRegion  = "us-east-1"
	// MaxClockSkew is how far X-Amz-Date may be from the server clock, either way.
	MaxClockSkew = 15 * time.Minute
)

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFmt   = "20060102T150405Z"
)

// sigV4Auth is a parsed "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" header.
type sigV4Auth struct {
	accessKey     string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	signedHeaders string // as sent: lower case, ";"-separated
	signature     string
}

// parseAuthorization parses a SigV4 Authorization header value. It never panics.
func parseAuthorization(h string) (sigV4Auth, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != sigAlgorithm {
		return sigV4Auth{}, fmt.Errorf("the Authorization header must use %s", sigAlgorithm)
	}
	var a sigV4Auth
	var cred string
	var haveCred, haveSigned, haveSig bool
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return sigV4Auth{}, fmt.Errorf("authorization component %q is not key=value", clip(part, 40))
		}
		switch k {
		case "Credential":
			cred, haveCred = v, true
		case "SignedHeaders":
			a.signedHeaders, haveSigned = v, true
		case "Signature":
			a.signature, haveSig = v, true
		default:
			return sigV4Auth{}, fmt.Errorf("authorization component %q is unknown", clip(k, 40))
		}
	}
	if !haveCred || !haveSigned || !haveSig {
		return sigV4Auth{}, fmt.Errorf("the Authorization header needs Credential, SignedHeaders and Signature")
	}
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[0] == "" || f[4] != "aws4_request" {
		return sigV4Auth{}, fmt.Errorf("credential %q is not KEY/DATE/REGION/SERVICE/aws4_request", clip(cred, 80))
	}
	a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
	if a.signedHeaders == "" || a.signature == "" {
		return sigV4Auth{}, fmt.Errorf("SignedHeaders and Signature must not be empty")
	}
	return a, nil
}

func authError(code, format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, code, format, args...)
}

const errMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method."

// authenticate checks the request's SigV4 signature by re-signing it with aws-sdk-go-v2's
// signer and the configured secret of its access key, and comparing signatures. It returns
// nil when the request is authentic and within MaxClockSkew of now, or a 403 error.
func (s *Server) authenticate(ctx *fasthttp.RequestCtx, now time.Time) *apiError {
	a, secret, t, aerr := s.checkHeaders(&ctx.Request.Header, now)
	if aerr != nil {
		return aerr
	}
	return s.checkSignature(ctx, a, secret, t)
}

// checkHeaders makes every check of authenticate that needs no body: an Authorization header
// that parses, names a configured access key and is scoped to CloudFront's region and service,
// and an X-Amz-Date within MaxClockSkew of now. The listener runs it as soon as the headers are
// in, so that a request that can never be authentic is refused before its body is read. It
// returns the parsed header, the key's secret and the signing time.
func (s *Server) checkHeaders(h *fasthttp.RequestHeader, now time.Time) (sigV4Auth, string, time.Time, *apiError) {
	raw := string(h.Peek("Authorization"))
	if raw == "" {
		return sigV4Auth{}, "", time.Time{}, authError(CodeMissingAuthenticationToken, "Missing Authentication Token: sign the request with "+
			"AWS Signature Version 4 (service %s, region %s).", SigningService, SigningRegion)
	}
	a, err := parseAuthorization(raw)
	if err != nil {
		return sigV4Auth{}, "", time.Time{}, authError(CodeIncompleteSignature, "Authorization header: %v.", err)
	}
	secret, ok := s.keys[a.accessKey]
	if !ok {
		return sigV4Auth{}, "", time.Time{}, authError(CodeInvalidClientTokenID, "The security token included in the request is invalid: "+
			"access key %q is not configured.", clip(a.accessKey, 64))
	}
	amzDate := string(h.Peek("X-Amz-Date"))
	t, err := time.Parse(amzDateFmt, amzDate)
	if err != nil {
		return sigV4Auth{}, "", time.Time{}, authError(CodeIncompleteSignature, "The request must carry an X-Amz-Date header (yyyymmddThhmmssZ).")
	}
	if a.date != amzDate[:8] {
		return sigV4Auth{}, "", time.Time{}, authError(CodeSignatureDoesNotMatch, "Credential date %q does not match X-Amz-Date %q.",
			clip(a.date, 16), amzDate)
	}
	// Any region: with --endpoint-url the aws CLI signs for the region it is configured with
	// (CloudFront itself wants us-east-1, the region of its one endpoint).
	if !validRegion(a.region) || a.service != SigningService {
		return sigV4Auth{}, "", time.Time{}, authError(CodeSignatureDoesNotMatch, "Credential should be scoped to a region (such as %q) and service %q, not %q and %q.",
			SigningRegion, SigningService, clip(a.region, 32), clip(a.service, 32))
	}
	if t.Before(now.Add(-MaxClockSkew)) {
		return sigV4Auth{}, "", time.Time{}, authError(CodeSignatureDoesNotMatch, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, now.Add(-MaxClockSkew).UTC().Format(amzDateFmt), now.UTC().Format(amzDateFmt))
	}
	if t.After(now.Add(MaxClockSkew)) {
		return sigV4Auth{}, "", time.Time{}, authError(CodeSignatureDoesNotMatch, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			amzDate, now.Add(MaxClockSkew).UTC().Format(amzDateFmt), now.UTC().Format(amzDateFmt))
	}
	return a, secret, t, nil
}

// validRegion reports whether r looks like an AWS region name (lower-case letters, digits and
// dashes).
func validRegion(r string) bool {
	if r == "" || len(r) > 32 {
		return false
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkSignature re-signs the request (body included) with secret at t and compares the
// signature with the one a carries.
func (s *Server) checkSignature(ctx *fasthttp.RequestCtx, a sigV4Auth, secret string, t time.Time) *apiError {
	req, payloadHash, token, aerr := rebuildRequest(ctx, a.signedHeaders)
	if aerr != nil {
		return aerr
	}
	creds := aws.Credentials{AccessKeyID: a.accessKey, SecretAccessKey: secret, SessionToken: token}
	if err := s.signer.SignHTTP(context.Background(), creds, req, payloadHash, SigningService, a.region, t); err != nil {
		return authError(CodeSignatureDoesNotMatch, "%s (%v)", errMismatch, err)
	}
	ours, err := parseAuthorization(req.Header.Get("Authorization"))
	if err != nil || ours.signedHeaders != a.signedHeaders ||
		subtle.ConstantTimeCompare([]byte(ours.signature), []byte(a.signature)) != 1 {
		return authError(CodeSignatureDoesNotMatch, "%s", errMismatch)
	}
	return nil
}

// rebuildRequest makes the net/http request the client signed: its method, URL and body hash,
// and exactly the headers it lists as signed (host and content-length are carried by Host and
// ContentLength, as the signer expects). It also returns the session token when the client
// signed one.
func rebuildRequest(ctx *fasthttp.RequestCtx, signed string) (*http.Request, string, string, *apiError) {
	h := &ctx.Request.Header
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	u, err := url.ParseRequestURI(string(h.RequestURI()))
	if err != nil {
		return nil, "", "", authError(CodeSignatureDoesNotMatch, "%s (request URI: %v)", errMismatch, err)
	}
	u.Scheme, u.Host = scheme, string(h.Host())
	req := &http.Request{Method: string(h.Method()), URL: u, Host: string(h.Host()), Header: http.Header{}}
	body := ctx.Request.Body()
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	var token string
	for _, name := range strings.Split(signed, ";") {
		switch name {
		case "host", "":
			continue
		case "content-length":
			req.ContentLength = int64(len(body))
			continue
		case "x-amz-security-token":
			token = string(h.Peek("X-Amz-Security-Token"))
		case "x-amz-content-sha256":
			if v := string(h.Peek("X-Amz-Content-Sha256")); v != payloadHash {
				return nil, "", "", authError(CodeSignatureDoesNotMatch,
					"X-Amz-Content-Sha256 %q is not the SHA-256 of the request body.", clip(v, 80))
			}
		}
		key := http.CanonicalHeaderKey(name)
		for _, v := range h.PeekAll(key) {
			req.Header.Add(key, string(v))
		}
	}
	return req, payloadHash, token, nil
}
