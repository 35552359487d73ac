package origin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cfedge/edge/config"
)

// recordingS3 is a stand-in S3 endpoint that records the last request as received.
func recordingS3(t *testing.T) (*httptest.Server, func() *http.Request) {
	t.Helper()
	var mu sync.Mutex
	var last *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.Clone(context.Background())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(200)
	}))
	t.Cleanup(srv.Close)
	return srv, func() *http.Request {
		mu.Lock()
		defer mu.Unlock()
		if last == nil {
			t.Fatal("the endpoint saw no request")
		}
		return last
	}
}

// resign signs, with creds, a copy of a received request holding only the headers its
// Authorization names, at the time its X-Amz-Date gives, and returns the Authorization the
// signer computes: equal to the received one only if the request arrived exactly as signed.
func resign(t *testing.T, r *http.Request, creds aws.Credentials, region string) string {
	t.Helper()
	auth := r.Header.Get("Authorization")
	_, signed, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		t.Fatalf("Authorization %q names no signed headers", auth)
	}
	signed, _, _ = strings.Cut(signed, ",")
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("X-Amz-Date: %v", err)
	}
	u := mustParseURL(t, "http://"+r.Host+r.RequestURI)
	u.Opaque = "//" + r.Host + strings.SplitN(r.RequestURI, "?", 2)[0]
	c := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}, ContentLength: r.ContentLength}
	for name := range strings.SplitSeq(signed, ";") {
		if name == "host" {
			continue
		}
		c.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
	}
	hash := r.Header.Get("X-Amz-Content-Sha256")
	err = v4.NewSigner().SignHTTP(context.Background(), creds, c, hash, "s3", region, when,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
	return c.Header.Get("Authorization")
}

func TestS3SessionTokenFromEnvironment(t *testing.T) {
	t.Parallel()
	srv, last := recordingS3(t)
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":     "ASIAENVKEY0000000001",
		"AWS_SECRET_ACCESS_KEY": "envSecret/with+chars",
		"AWS_SESSION_TOKEN":     "FwoGZXIvYXdzEXAMPLETOKEN//+==",
	}
	cfg := config.Origin{ID: "env", Kind: "s3", Bucket: "media", Region: "eu-west-3", Endpoint: srv.URL, Access: "sigv4",
		ConnectionAttempts: 1, ConnectionTimeout: config.Duration(time.Second), OriginReadTimeout: config.Duration(2 * time.Second),
		CustomHeaders: []config.CustomHeader{{Name: "X-Origin-Secret", Value: "s"}}}
	s, err := newS3(cfg, Options{}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, _ := fetchAll(t, s, &Request{Method: "GET", Path: "/v%201/a+b.mp4", Query: "z=1&a=%7E",
		Header: http.Header{
			"Range":           {"bytes=0-99"},
			"If-None-Match":   {`"abc"`},
			"X-Amz-Cf-Id":     {"cf-id-value=="},
			"Via":             {"1.1 x.cloudfront.net (CloudFront)"},
			"X-Forwarded-For": {"203.0.113.1"},
			"User-Agent":      {"Amazon CloudFront"},
		}})
	if resp.Status != 200 {
		t.Fatalf("status %d", resp.Status)
	}
	r := last()
	if got := r.Header.Get("X-Amz-Security-Token"); got != env["AWS_SESSION_TOKEN"] {
		t.Errorf("X-Amz-Security-Token = %q, want the environment's token", got)
	}
	if r.RequestURI != "/media/v%201/a%2Bb.mp4?a=~&z=1" {
		t.Errorf("request URI %q", r.RequestURI)
	}
	auth := r.Header.Get("Authorization")
	wantPrefix := "AWS4-HMAC-SHA256 Credential=ASIAENVKEY0000000001/" + r.Header.Get("X-Amz-Date")[:8] + "/eu-west-3/s3/aws4_request, " +
		"SignedHeaders=host;if-none-match;range;x-amz-cf-id;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="
	if !strings.HasPrefix(auth, wantPrefix) {
		t.Errorf("Authorization = %q\nwant prefix    %q", auth, wantPrefix)
	}
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != emptyPayloadHash {
		t.Errorf("X-Amz-Content-Sha256 = %q", got)
	}
	for k, v := range map[string]string{"Via": "1.1 x.cloudfront.net (CloudFront)", "X-Forwarded-For": "203.0.113.1",
		"X-Origin-Secret": "s", "User-Agent": "Amazon CloudFront"} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q (sent unsigned)", k, got, v)
		}
	}
	creds := aws.Credentials{AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], SessionToken: env["AWS_SESSION_TOKEN"]}
	if got := resign(t, r, creds, "eu-west-3"); got != auth {
		t.Errorf("the request as received does not match its signature:\nreceived %s\nresigned %s", auth, got)
	}
}

func TestS3AnonymousSendsNoCredentials(t *testing.T) {
	t.Parallel()
	srv, last := recordingS3(t)
	cfg := config.Origin{ID: "anon", Kind: "s3", Bucket: "media", Endpoint: srv.URL, Access: "anonymous"}
	s, err := newS3(cfg, Options{}, func(string) string { return "ignored" })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fetchAll(t, s, &Request{Method: "GET", Path: "/x", Header: http.Header{"Authorization": {"Bearer viewer"}, "X-Amz-Security-Token": {"viewer"}}})
	r := last()
	for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"} {
		if v := r.Header.Get(k); v != "" {
			t.Errorf("anonymous request carries %s: %q", k, v)
		}
	}
}

func TestS3SignedBody(t *testing.T) {
	t.Parallel()
	srv, last := recordingS3(t)
	cfg := config.Origin{ID: "put", Kind: "s3", Bucket: "media", Endpoint: srv.URL, AccessKeyID: "AKIDPUT", SecretAccessKey: "secret"}
	s := newTestS3(t, cfg)
	fetchAll(t, s, &Request{Method: "PUT", Path: "/up.txt", Body: []byte("hello")})
	r := last()
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Errorf("payload hash %q, want SHA-256 of the body", got)
	}
	if !strings.Contains(r.Header.Get("Authorization"), "SignedHeaders=content-length;host;") {
		t.Errorf("Content-Length not signed: %q", r.Header.Get("Authorization"))
	}
	if got := resign(t, r, aws.Credentials{AccessKeyID: "AKIDPUT", SecretAccessKey: "secret"}, config.DefaultS3Region); got != r.Header.Get("Authorization") {
		t.Errorf("PUT does not match its signature:\nreceived %s\nresigned %s", r.Header.Get("Authorization"), got)
	}
}

// mustParseURL parses a URL, failing the test on error.
func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
