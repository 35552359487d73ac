package origin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cfedge/edge/config"
)

// Access modes of an s3 origin (config.Origin.Access).
const (
	accessAnonymous = "anonymous"
	accessSigV4     = "sigv4"
)

// emptyPayloadHash is the hex SHA-256 of an empty body, the payload hash of GET and HEAD.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// unsignedPayload is the x-amz-content-sha256 of a body sent without its hash, as a
// streamed body must be: "Unsigned payload option" of
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
const unsignedPayload = "UNSIGNED-PAYLOAD"

// S3 is an Amazon S3 (or S3-compatible) bucket origin. Requests go out through the http
// kind's transport (keep-alive pool, timeouts, connection attempts, streaming bodies), either
// anonymously (a public bucket) or signed with SigV4 like CloudFront's Origin Access Control.
//
// The viewer path names the object key: it is percent-decoded once ("%2F" is a "/" of the
// key, "+" stays a plus) and re-encoded the way S3 canonicalises it. S3's answers, XML
// errors included, are returned as they are. Safe for concurrent use.
type S3 struct {
	id     string
	region string
	// host is the Host header, sent and signed; scheme "http" or "https".
	host, scheme string
	// prefix is the escaped path before the key: the endpoint's own path, then "/bucket" in
	// path style.
	prefix string
	// keyPrefix is origin_path without its leading "/" and with a trailing one ("" for
	// none), prefixed to every key as is.
	keyPrefix string
	creds     *aws.Credentials // nil for anonymous access
	signer    *v4.Signer
	custom    []config.CustomHeader // canonical names
	customSet map[string]bool
	inner     *HTTP
}

var _ Fetcher = (*S3)(nil)

// NewS3 builds an s3 origin from cfg. An empty endpoint means AWS
// (https://BUCKET.s3.REGION.amazonaws.com, virtual-hosted style; path style on
// s3.REGION.amazonaws.com for bucket names with dots, which no wildcard certificate covers);
// a custom endpoint is addressed in path style (ENDPOINT/BUCKET/KEY) unless virtual_host is
// set (BUCKET.HOST). Access "sigv4" signs with cfg's keys, or else with AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN as they are when NewS3 runs; "anonymous" signs
// nothing; an empty access is sigv4 when keys are set and anonymous otherwise. Timeouts and
// attempts are the http kind's. It opens no connection.
func NewS3(cfg config.Origin, opts Options) (*S3, error) {
	return newS3(cfg, opts, os.Getenv)
}

// newS3 is NewS3 with the environment lookup as a parameter.
func newS3(cfg config.Origin, opts Options, getenv func(string) string) (*S3, error) {
	if cfg.Kind != "" && cfg.Kind != config.KindS3 {
		return nil, fmt.Errorf("origin %q: kind %q: NewS3 needs %q", cfg.ID, cfg.Kind, config.KindS3)
	}
	bucket := strings.TrimSpace(cfg.Bucket)
	if bucket == "" || strings.ContainsAny(bucket, "/ \t\r\n?#%") {
		return nil, fmt.Errorf("origin %q: bucket %q: want a bucket name", cfg.ID, cfg.Bucket)
	}
	region := cfg.Region
	if region == "" {
		region = config.DefaultS3Region
	}
	if strings.ContainsAny(region, "/ \t\r\n") {
		return nil, fmt.Errorf("origin %q: region %q: want a region name like %q", cfg.ID, region, config.DefaultS3Region)
	}
	originPath := strings.TrimSuffix(cfg.OriginPath, "/")
	if originPath != "" && !strings.HasPrefix(originPath, "/") {
		return nil, fmt.Errorf("origin %q: origin_path %q: must start with \"/\"", cfg.ID, cfg.OriginPath)
	}
	ep, err := s3Endpoint(bucket, region, cfg.Endpoint, cfg.VirtualHost)
	if err != nil {
		return nil, fmt.Errorf("origin %q: endpoint %q: %w", cfg.ID, cfg.Endpoint, err)
	}
	creds, err := s3Credentials(cfg, getenv)
	if err != nil {
		return nil, fmt.Errorf("origin %q: %w", cfg.ID, err)
	}
	s := &S3{
		id:        cfg.ID,
		region:    region,
		host:      ep.host,
		scheme:    ep.scheme,
		prefix:    ep.prefix,
		keyPrefix: strings.TrimPrefix(originPath+"/", "/"),
		creds:     creds,
		customSet: make(map[string]bool, len(cfg.CustomHeaders)),
	}
	if creds != nil {
		s.signer = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	}
	for i, ch := range cfg.CustomHeaders {
		name := http.CanonicalHeaderKey(strings.TrimSpace(ch.Name))
		if name == "Authorization" || strings.HasPrefix(name, "X-Amz-") || s3SignedHeader(name) {
			return nil, fmt.Errorf("origin %q: custom_header[%d] %q: not allowed on an s3 origin (it is part of the request S3 checks)",
				cfg.ID, i, ch.Name)
		}
		s.custom = append(s.custom, config.CustomHeader{Name: name, Value: ch.Value})
		s.customSet[name] = true
	}
	// The transport is an http origin for the endpoint's host. Custom headers are checked by
	// it (names, values) but sent by S3, which builds the final header set before signing.
	hc := cfg
	hc.Kind = config.KindHTTP
	hc.DomainName = ep.dial
	hc.OriginPath = ""
	hc.OriginProtocolPolicy = policyHTTPOnly
	hc.HTTPPort = ep.port
	if ep.scheme == "https" {
		hc.OriginProtocolPolicy = policyHTTPSOnly
		hc.HTTPSPort = ep.port
	}
	inner, err := NewHTTP(hc, opts)
	if err != nil {
		return nil, err
	}
	inner.custom, inner.customSet = nil, nil
	s.inner = inner
	return s, nil
}

// s3Target is where an s3 origin's requests go.
type s3Target struct {
	scheme string
	dial   string // host name or IP to connect to, without port
	port   int
	host   string // Host header: dial, with ":port" when not the scheme's default
	prefix string // escaped path before the key, no trailing "/"
}

// s3Endpoint resolves the bucket's address from the endpoint setting.
func s3Endpoint(bucket, region, endpoint string, virtual bool) (s3Target, error) {
	if endpoint == "" {
		t := s3Target{scheme: "https", port: 443, dial: bucket + ".s3." + region + ".amazonaws.com"}
		if strings.Contains(bucket, ".") {
			t.dial = "s3." + region + ".amazonaws.com"
			t.prefix = "/" + bucket
		}
		t.host = t.dial
		return t, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return s3Target{}, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return s3Target{}, fmt.Errorf("want an http:// or https:// URL like \"http://127.0.0.1:9000\"")
	}
	t := s3Target{scheme: u.Scheme, dial: u.Hostname(), port: 80}
	if u.Scheme == "https" {
		t.port = 443
	}
	def := t.port
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return s3Target{}, fmt.Errorf("port %q: want 1-65535", p)
		}
		t.port = n
	}
	t.prefix = strings.TrimSuffix(u.EscapedPath(), "/")
	if virtual {
		t.dial = bucket + "." + t.dial
	} else {
		t.prefix += "/" + s3EscapeKey(bucket)
	}
	t.host = t.dial
	if strings.Contains(t.dial, ":") {
		t.host = "[" + t.dial + "]"
	}
	if t.port != def {
		t.host = net.JoinHostPort(t.dial, strconv.Itoa(t.port))
	}
	return t, nil
}

// s3Credentials returns the signing credentials, nil for anonymous access.
func s3Credentials(cfg config.Origin, getenv func(string) string) (*aws.Credentials, error) {
	hasKeys := cfg.AccessKeyID != "" || cfg.SecretAccessKey != ""
	access := cfg.Access
	if access == "" {
		access = accessAnonymous
		if hasKeys {
			access = accessSigV4
		}
	}
	switch access {
	case accessAnonymous:
		if hasKeys {
			return nil, fmt.Errorf("access %q: access keys are set (use %q, or remove the keys)", access, accessSigV4)
		}
		return nil, nil
	case accessSigV4:
	default:
		return nil, fmt.Errorf("access %q: want %q or %q", access, accessAnonymous, accessSigV4)
	}
	if hasKeys {
		if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
			return nil, fmt.Errorf("access %q: access_key_id and secret_access_key go together", access)
		}
		return &aws.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey,
			SessionToken: cfg.SessionToken, Source: "edge config"}, nil
	}
	if cfg.SessionToken != "" {
		return nil, fmt.Errorf("session_token: needs access_key_id and secret_access_key")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, fmt.Errorf("access %q: no credentials: set access_key_id and secret_access_key, "+
			"or the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", access)
	}
	return &aws.Credentials{AccessKeyID: id, SecretAccessKey: secret,
		SessionToken: getenv("AWS_SESSION_TOKEN"), Source: "environment"}, nil
}

// ID returns the origin's id.
func (s *S3) ID() string { return s.id }

// Close releases idle connections. The S3 stays usable.
func (s *S3) Close() error { return s.inner.Close() }

// Fetch sends req to the bucket and returns S3's answer, 403 and 404 XML errors included,
// with its body streaming. The path names the key (see [S3]); the query goes out in S3's
// canonical form without X-Amz-* parameters; req.Host is ignored (S3 needs its own Host).
// A req.Body is signed with its SHA-256; a req.BodyStream is streamed and signed as
// UNSIGNED-PAYLOAD (its hash is unknown until it has been sent), with req.ContentLength as
// Content-Length (S3 refuses a PUT of unknown length). Retries, timeouts, errors, body
// streams and informational responses are the http kind's.
func (s *S3) Fetch(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, fmt.Errorf("origin %q: nil request", s.id)
	}
	if !strings.HasPrefix(req.Path, "/") {
		return nil, fmt.Errorf("origin %q: path %q: must start with \"/\"", s.id, req.Path)
	}
	if err := checkBody(s.id, req); err != nil {
		return nil, err
	}
	out, err := s.request(ctx, req)
	if err != nil {
		return nil, err
	}
	return s.inner.Fetch(ctx, out)
}

// request builds the request the transport sends: S3's path and query, the headers S3 may
// see, custom headers, and the signature over all of it.
func (s *S3) request(ctx context.Context, req *Request) (*Request, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	out := &Request{
		Method:          method,
		Path:            s.prefix + "/" + s3EscapeKey(s.keyPrefix+s3Key(req.Path)),
		Query:           s3Query(req.Query),
		Header:          s3Headers(req.Header, s.customSet),
		Host:            s.host,
		ViewerHTTPS:     req.ViewerHTTPS,
		OnInformational: req.OnInformational,
	}
	if sendsBody(method) {
		out.Body = req.Body
		if req.BodyStream != nil {
			out.BodyStream, out.ContentLength = req.BodyStream, req.ContentLength
			if out.ContentLength < 0 {
				out.ContentLength = -1
			}
		}
	}
	for _, ch := range s.custom {
		out.Header.Set(ch.Name, ch.Value)
	}
	if s.creds == nil {
		return out, nil
	}
	if err := s.sign(ctx, out); err != nil {
		return nil, fmt.Errorf("origin %q: signing %s %s: %w", s.id, method, out.Path, err)
	}
	return out, nil
}

// sign adds SigV4 headers to out, whose header set must be final. The signature covers Host,
// the X-Amz-* headers, Range and the conditional headers; the others go unsigned, as SigV4
// allows, so that no proxy-added header can break it.
func (s *S3) sign(ctx context.Context, out *Request) error {
	// Opaque makes the signer take the path exactly as it is sent.
	u := &url.URL{Scheme: s.scheme, Host: s.host, Opaque: "//" + s.host + out.Path, RawQuery: out.Query}
	hreq := &http.Request{Method: out.Method, URL: u, Host: s.host, Header: make(http.Header),
		ContentLength: int64(len(out.Body))}
	if out.BodyStream != nil {
		hreq.ContentLength = out.ContentLength
	}
	for k, vs := range out.Header {
		if s3SignedHeader(k) || strings.HasPrefix(k, "X-Amz-") {
			hreq.Header[k] = vs
		}
	}
	hash := emptyPayloadHash
	switch {
	case out.BodyStream != nil:
		hash = unsignedPayload
	case len(out.Body) > 0:
		sum := sha256.Sum256(out.Body)
		hash = hex.EncodeToString(sum[:])
	}
	hreq.Header.Set("X-Amz-Content-Sha256", hash)
	// The wall clock, not Options.Now: S3 refuses a signature more than 15 minutes off.
	if err := s.signer.SignHTTP(ctx, *s.creds, hreq, hash, "s3", s.region, time.Now()); err != nil {
		return err
	}
	for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token"} {
		if v := hreq.Header.Values(k); len(v) > 0 {
			out.Header[k] = v
		}
	}
	if hreq.Host != "" {
		out.Host = hreq.Host // the signer drops a default port; send what was signed
	}
	out.Query = hreq.URL.RawQuery
	return nil
}

// s3SignedHeader reports whether a viewer header (canonical key) is signed when present.
func s3SignedHeader(k string) bool {
	switch k {
	case "Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since":
		return true
	}
	return false
}

// s3Headers returns the headers an S3 request carries from the edge's set: everything but
// Host, framing, hop-by-hop headers, credentials (Authorization, Cookie), Expect, custom
// header names, and X-Amz-* headers other than X-Amz-Cf-Id (a viewer must not steer S3 with
// x-amz-* headers). A signed header's values are joined into one line, white space
// collapsed, so that what is sent is exactly what is signed.
func s3Headers(in http.Header, custom map[string]bool) http.Header {
	out := make(http.Header, len(in)+6)
	for k, vs := range in {
		k = http.CanonicalHeaderKey(k)
		switch {
		case k == "Host", k == "Content-Length", k == "Authorization", k == "Cookie", k == "Expect",
			hopByHop(k), custom[k]:
			continue
		case strings.HasPrefix(k, "X-Amz-") && k != "X-Amz-Cf-Id":
			continue
		case s3SignedHeader(k) || k == "X-Amz-Cf-Id":
			out[k] = []string{collapseSpaces(strings.Join(vs, ","))}
		default:
			out[k] = append(out[k], vs...)
		}
	}
	return out
}

// collapseSpaces trims s and turns each run of white space into one space (SigV4's
// canonical header value).
func collapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// s3Fetcher turns NewS3's result into New's, keeping a failed build a nil Fetcher.
func s3Fetcher(s *S3, err error) (Fetcher, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
