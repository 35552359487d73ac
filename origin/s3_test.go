package origin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/internal/s3server"
)

// s3Config is an s3 origin config for bucket on srv, signed with the server's root keys.
func s3Config(srv *s3server.Server, bucket string) config.Origin {
	return config.Origin{
		ID:                 "bucket",
		Kind:               config.KindS3,
		Bucket:             bucket,
		Region:             srv.Region,
		Endpoint:           srv.Endpoint,
		Access:             "sigv4",
		AccessKeyID:        srv.AccessKey,
		SecretAccessKey:    srv.SecretKey,
		ConnectionAttempts: 1,
		ConnectionTimeout:  config.Duration(2 * time.Second),
		OriginReadTimeout:  config.Duration(5 * time.Second),
	}
}

// newTestS3 builds an S3 origin (with no environment) and closes it with the test.
func newTestS3(t *testing.T, cfg config.Origin) *S3 {
	t.Helper()
	s, err := newS3(cfg, Options{}, func(string) string { return "" })
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// s3Fixture starts a server with a private bucket "priv" and a public bucket "pub", each
// holding the object "obj.txt".
func s3Fixture(t *testing.T) *s3server.Server {
	t.Helper()
	srv := s3server.Start(t)
	srv.CreateBucket("priv")
	srv.CreateBucket("pub")
	srv.MakePublic("pub")
	srv.Put("priv", "obj.txt", []byte("private object"))
	srv.Put("pub", "obj.txt", []byte("public object"))
	return srv
}

func TestS3Access(t *testing.T) {
	t.Parallel()
	srv := s3Fixture(t)
	signed := s3Config(srv, "priv")
	wrongSecret := signed
	wrongSecret.SecretAccessKey = "not-the-secret"
	unknownKey := signed
	unknownKey.AccessKeyID = "AKIAUNKNOWNUNKNOWN00"
	anonPub := s3Config(srv, "pub")
	anonPub.Access, anonPub.AccessKeyID, anonPub.SecretAccessKey = "anonymous", "", ""
	anonPriv := anonPub
	anonPriv.Bucket = "priv"
	signedPub := s3Config(srv, "pub")
	tests := []struct {
		name   string
		cfg    config.Origin
		status int
		body   string // the whole body (200) or a substring (errors)
	}{
		{"signed, private bucket", signed, 200, "private object"},
		{"signed, public bucket", signedPub, 200, "public object"},
		{"wrong secret", wrongSecret, 403, "<Code>SignatureDoesNotMatch</Code>"},
		// AWS answers 403 InvalidAccessKeyId, versitygw 404 XAdminUserNotFound: either way S3's
		// answer is passed on as it is.
		{"unknown access key", unknownKey, 0, "<Error><Code>"},
		{"anonymous, public bucket", anonPub, 200, "public object"},
		{"anonymous, private bucket", anonPriv, 403, "<Code>AccessDenied</Code>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestS3(t, tt.cfg)
			resp, body := fetchAll(t, s, &Request{Method: "GET", Path: "/obj.txt", Header: http.Header{}})
			if resp.Status != tt.status && (tt.status != 0 || resp.Status < 400) {
				t.Fatalf("status %d, want %d; body %s", resp.Status, tt.status, body)
			}
			if tt.status == 200 {
				if string(body) != tt.body {
					t.Errorf("body %q, want %q", body, tt.body)
				}
				return
			}
			// S3's XML error reaches the caller as S3 sent it.
			if !strings.HasPrefix(string(body), "<?xml") || !strings.Contains(string(body), tt.body) ||
				resp.Header.Get("Content-Type") != "application/xml" || resp.ContentLength != int64(len(body)) {
				t.Errorf("error response %d %v\n%s\nwant S3's XML with %s", resp.Status, resp.Header, body, tt.body)
			}
		})
	}
}

// TestS3SpecialKeys: keys that need escaping, unsigned (the conformance suite has them signed)
// and, signed or not, a "%" that is no escape, which only S3 accepts.
func TestS3SpecialKeys(t *testing.T) {
	t.Parallel()
	srv := s3Fixture(t)
	tests := []struct {
		key    string   // the object key
		path   string   // the viewer path naming it
		access []string // the access modes to read it with
	}{
		{"a b.txt", "/a%20b.txt", []string{"anonymous"}},
		{"a+b.txt", "/a+b.txt", []string{"anonymous"}},
		{"a+b.txt", "/a%2Bb.txt", []string{"anonymous"}},
		{"ünï/cødé.txt", "/%C3%BCn%C3%AF/c%C3%B8d%C3%A9.txt", []string{"anonymous"}},
		{"ünï/cødé.txt", "/ünï/cødé.txt", []string{"anonymous"}}, // raw UTF-8 in the request line
		{"100%.txt", "/100%25.txt", []string{"anonymous"}},
		{"100%.txt", "/100%.txt", []string{"sigv4", "anonymous"}}, // not an escape: kept as it is
		{"x/y", "/x%2Fy", []string{"anonymous"}},                  // S3 decodes the path once: %2F is a "/" of the key
		{"x/y", "/x/y", []string{"anonymous"}},
		{"(a)!*'$&,;=@[] ~.txt", "/(a)!*'$&,;=@[]%20~.txt", []string{"anonymous"}},
		{"deep/er/key.bin", "/deep/er/key.bin", []string{"anonymous"}},
	}
	for i, tt := range tests {
		body := fmt.Sprintf("object %d: %s", i, tt.key)
		srv.Put("priv", tt.key, []byte(body))
		srv.Put("pub", tt.key, []byte(body))
		for _, access := range tt.access {
			t.Run(access+" "+tt.path, func(t *testing.T) {
				cfg := s3Config(srv, "priv")
				if access == "anonymous" {
					cfg.Bucket, cfg.Access, cfg.AccessKeyID, cfg.SecretAccessKey = "pub", "anonymous", "", ""
				}
				resp, got := fetchAll(t, newTestS3(t, cfg), &Request{Method: "GET", Path: tt.path})
				if resp.Status != 200 || string(got) != body {
					t.Errorf("GET %s = %d %q, want 200 %q", tt.path, resp.Status, got, body)
				}
			})
		}
	}
}

// TestS3MetadataAndIfMatch: the object's stored metadata comes back as headers, and S3's own
// 412 for If-Match passes through (ranges, If-None-Match, If-Modified-Since and HEAD are in
// the conformance suite).
func TestS3MetadataAndIfMatch(t *testing.T) {
	t.Parallel()
	srv := s3Fixture(t)
	body := []byte(strings.Repeat("0123456789", 100))
	etag := srv.PutObject(&s3.PutObjectInput{
		Bucket: aws.String("priv"), Key: aws.String("dir/data.bin"),
		Body: strings.NewReader(string(body)), ContentType: aws.String("application/x-test"),
		CacheControl: aws.String("max-age=60"),
	})
	s := newTestS3(t, s3Config(srv, "priv"))

	resp, got := fetchAll(t, s, &Request{Method: "GET", Path: "/dir/data.bin"})
	if resp.Status != 200 || string(got) != string(body) || resp.Header.Get("Etag") != etag ||
		resp.Header.Get("Cache-Control") != "max-age=60" || resp.Header.Get("Content-Type") != "application/x-test" {
		t.Fatalf("GET: %d etag %q headers %v", resp.Status, etag, resp.Header)
	}
	resp, got = fetchAll(t, s, &Request{Method: "GET", Path: "/dir/data.bin", Header: http.Header{"If-Match": {`"other"`}}})
	if resp.Status != 412 || !strings.Contains(string(got), "PreconditionFailed") {
		t.Errorf("If-Match other ETag: %d %s", resp.Status, got)
	}
}

// TestS3SignedQueryAndHeaders checks that what the edge adds (proxy headers, custom headers, a
// query) leaves the signature valid, and that the query is really signed and used by S3.
func TestS3SignedQueryAndHeaders(t *testing.T) {
	t.Parallel()
	srv := s3Fixture(t)
	cfg := s3Config(srv, "priv")
	cfg.OriginPath = "/dir"
	cfg.CustomHeaders = []config.CustomHeader{{Name: "X-Origin-Secret", Value: "  two  spaces "}}
	srv.Put("priv", "dir/in dir.txt", []byte("under origin_path"))
	s := newTestS3(t, cfg)
	resp, got := fetchAll(t, s, &Request{
		Method: "GET",
		Path:   "/in%20dir.txt",
		Query:  "response-content-type=text%2Fplain%3B+charset%3Dutf-8&b=2&a=1&X-Amz-Signature=forged",
		Header: http.Header{
			"Via":              {"1.1 abc.cloudfront.net (CloudFront)"},
			"X-Forwarded-For":  {"203.0.113.9,  127.0.0.1"},
			"X-Amz-Cf-Id":      {"abcDEF-_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ=="},
			"X-Amz-Acl":        {"public-read"},
			"User-Agent":       {"Amazon CloudFront"},
			"Accept-Encoding":  {"gzip"},
			"Authorization":    {"Bearer viewer"},
			"Cookie":           {"a=b"},
			"If-None-Match":    {`"x",   "y"`},
			"X-Origin-Secret":  {"viewer value, replaced"},
			"Cache-Control":    {"no-cache"},
			"Content-Length":   {"0"},
			"Connection":       {"keep-alive"},
			"Proxy-Connection": {"x"},
		},
	})
	if resp.Status != 200 || string(got) != "under origin_path" {
		t.Fatalf("GET with edge headers and query: %d %s", resp.Status, got)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("response-content-type in the signed query not applied: Content-Type %q", ct)
	}
}

func TestS3Put(t *testing.T) {
	t.Parallel()
	srv := s3Fixture(t)
	s := newTestS3(t, s3Config(srv, "priv"))
	resp, got := fetchAll(t, s, &Request{Method: "PUT", Path: "/put.txt", Body: []byte("put through the origin"),
		Header: http.Header{"Content-Type": {"text/plain"}}})
	if resp.Status != 200 {
		t.Fatalf("PUT: %d %s", resp.Status, got)
	}
	resp, got = fetchAll(t, s, &Request{Method: "GET", Path: "/put.txt"})
	if resp.Status != 200 || string(got) != "put through the origin" {
		t.Errorf("GET after PUT: %d %q", resp.Status, got)
	}
}

func TestS3ThroughNew(t *testing.T) {
	t.Parallel()
	srv := s3Fixture(t)
	f, err := New(s3Config(srv, "priv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.(io.Closer).Close()
	if s, ok := f.(*S3); !ok || s.ID() != "bucket" {
		t.Fatalf("New(kind s3) = %T", f)
	}
	resp, got := fetchAll(t, f, &Request{Method: "GET", Path: "/obj.txt"})
	if resp.Status != 200 || string(got) != "private object" {
		t.Errorf("GET: %d %q", resp.Status, got)
	}
	srv.Stop()
	_, err = f.Fetch(context.Background(), &Request{Method: "GET", Path: "/obj.txt"})
	if oe, ok := err.(*Error); !ok || oe.Kind != KindConnect || oe.Origin != "bucket" {
		t.Errorf("stopped server: err %v, want an OriginConnectError from origin bucket", err)
	}
}

// TestS3Request checks the request handed to the transport: path, query, Host and the
// headers S3 gets, without a server.
func TestS3Request(t *testing.T) {
	t.Parallel()
	s := newTestS3(t, config.Origin{ID: "o", Kind: "s3", Bucket: "my.bucket", Endpoint: "http://127.0.0.1:9000/base/",
		OriginPath: "/pre fix", Access: "anonymous",
		CustomHeaders: []config.CustomHeader{{Name: "x-custom", Value: "c"}}})
	out, err := s.request(context.Background(), &Request{
		Method: "GET", Path: "/a%20b/ü+%2F%zz", Query: "b=2&a=%20&x-amz-date=1&c", Host: "viewer.example",
		Header: http.Header{"Range": {"bytes=0-1"}, "Cookie": {"c=d"}, "X-Amz-Meta-X": {"m"}, "X-Custom": {"viewer"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/base/my.bucket/pre%20fix/a%20b/%C3%BC%2B/%25zz"; out.Path != want {
		t.Errorf("path %q, want %q", out.Path, want)
	}
	if want := "a=%20&b=2&c="; out.Query != want {
		t.Errorf("query %q, want %q", out.Query, want)
	}
	if out.Host != "127.0.0.1:9000" {
		t.Errorf("Host %q", out.Host)
	}
	want := http.Header{"Range": {"bytes=0-1"}, "X-Custom": {"c"}}
	if fmt.Sprint(out.Header) != fmt.Sprint(want) {
		t.Errorf("headers %v, want %v", out.Header, want)
	}
}

func TestS3Endpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bucket, region, endpoint string
		virtual                  bool
		want                     s3Target
		wantErr                  string
	}{
		{"media", "eu-west-3", "", false,
			s3Target{scheme: "https", dial: "media.s3.eu-west-3.amazonaws.com", port: 443, host: "media.s3.eu-west-3.amazonaws.com"}, ""},
		{"my.media", "us-east-1", "", false,
			s3Target{scheme: "https", dial: "s3.us-east-1.amazonaws.com", port: 443, host: "s3.us-east-1.amazonaws.com", prefix: "/my.media"}, ""},
		{"media", "us-east-1", "http://127.0.0.1:9000", false,
			s3Target{scheme: "http", dial: "127.0.0.1", port: 9000, host: "127.0.0.1:9000", prefix: "/media"}, ""},
		{"media", "us-east-1", "http://minio.local:9000/", true,
			s3Target{scheme: "http", dial: "media.minio.local", port: 9000, host: "media.minio.local:9000"}, ""},
		{"media", "us-east-1", "https://s3.example.com", false,
			s3Target{scheme: "https", dial: "s3.example.com", port: 443, host: "s3.example.com", prefix: "/media"}, ""},
		{"media", "us-east-1", "https://s3.example.com:443/api", false,
			s3Target{scheme: "https", dial: "s3.example.com", port: 443, host: "s3.example.com", prefix: "/api/media"}, ""},
		{"media", "us-east-1", "http://[::1]:9000", false,
			s3Target{scheme: "http", dial: "::1", port: 9000, host: "[::1]:9000", prefix: "/media"}, ""},
		{"media", "us-east-1", "http://[::1]", false,
			s3Target{scheme: "http", dial: "::1", port: 80, host: "[::1]", prefix: "/media"}, ""},
		{"media", "us-east-1", "ftp://x", false, s3Target{}, "want an http"},
		{"media", "us-east-1", "127.0.0.1:9000", false, s3Target{}, ""},
		{"media", "us-east-1", "http://x:99999", false, s3Target{}, "port"},
		{"media", "us-east-1", "http://x?y=1", false, s3Target{}, "want an http"},
		{"media", "us-east-1", "http://u:p@x", false, s3Target{}, "want an http"},
	}
	for _, tt := range tests {
		got, err := s3Endpoint(tt.bucket, tt.region, tt.endpoint, tt.virtual)
		if tt.want == (s3Target{}) {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("s3Endpoint(%q) = %+v, %v; want an error with %q", tt.endpoint, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("s3Endpoint(%q, %q, %q, %v) = %+v, %v; want %+v", tt.bucket, tt.region, tt.endpoint, tt.virtual, got, err, tt.want)
		}
	}
}

func TestS3Query(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"a=1", "a=1"},
		{"b=2&a=1&a=0", "a=0&a=1&b=2"},
		{"q=a+b&r=a%20b&s=a%2Bb", "q=a%20b&r=a%20b&s=a%2Bb"},
		{"acl", "acl="},
		{"&&x=1&", "x=1"},
		{"X-Amz-Signature=1&x-amz-credential=2&keep=1", "keep=1"},
		{"k=%zz&l=%4", "k=%25zz&l=%254"},
		{"ü=é&t=~-._*", "%C3%BC=%C3%A9&t=~-._%2A"}, // byte order of the encoded names, as SigV4 sorts
		{"a=b=c", "a=b%3Dc"},
	}
	for _, tt := range tests {
		if got := s3Query(tt.in); got != tt.want {
			t.Errorf("s3Query(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestS3KeyEscaping(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, key, escaped string }{
		{"/a%20b.txt", "a b.txt", "a%20b.txt"},
		{"/a+b.txt", "a+b.txt", "a%2Bb.txt"},
		{"/100%25.txt", "100%.txt", "100%25.txt"},
		{"/100%.txt", "100%.txt", "100%25.txt"},
		{"/x%2Fy", "x/y", "x/y"},
		{"/%C3%BCn%C3%AF/c%C3%B8d%C3%A9.txt", "ünï/cødé.txt", "%C3%BCn%C3%AF/c%C3%B8d%C3%A9.txt"},
		{"/dir/", "dir/", "dir/"},
		{"/", "", ""},
		{"/~a-b_c.d", "~a-b_c.d", "~a-b_c.d"},
		{"/%00", "\x00", "%00"},
	}
	for _, tt := range tests {
		key := s3Key(tt.path)
		if key != tt.key {
			t.Errorf("s3Key(%q) = %q, want %q", tt.path, key, tt.key)
		}
		if got := s3EscapeKey(key); got != tt.escaped {
			t.Errorf("s3EscapeKey(%q) = %q, want %q", key, got, tt.escaped)
		}
	}
}

func TestS3Credentials(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "envtoken"}
	getenv := func(k string) string { return env[k] }
	noenv := func(string) string { return "" }
	tests := []struct {
		name    string
		cfg     config.Origin
		getenv  func(string) string
		want    *aws.Credentials // nil: anonymous
		wantErr string
	}{
		{"config keys win over the environment", config.Origin{Access: "sigv4", AccessKeyID: "K", SecretAccessKey: "S", SessionToken: "T"}, getenv,
			&aws.Credentials{AccessKeyID: "K", SecretAccessKey: "S", SessionToken: "T", Source: "edge config"}, ""},
		{"keys imply sigv4", config.Origin{AccessKeyID: "K", SecretAccessKey: "S"}, getenv,
			&aws.Credentials{AccessKeyID: "K", SecretAccessKey: "S", Source: "edge config"}, ""},
		{"environment with session token", config.Origin{Access: "sigv4"}, getenv,
			&aws.Credentials{AccessKeyID: "ENVKEY", SecretAccessKey: "envsecret", SessionToken: "envtoken", Source: "environment"}, ""},
		{"anonymous ignores the environment", config.Origin{Access: "anonymous"}, getenv, nil, ""},
		{"no access and no keys is anonymous", config.Origin{}, getenv, nil, ""},
		{"sigv4 without any credentials", config.Origin{Access: "sigv4"}, noenv, nil, "AWS_ACCESS_KEY_ID"},
		{"anonymous with keys", config.Origin{Access: "anonymous", AccessKeyID: "K", SecretAccessKey: "S"}, noenv, nil, "keys are set"},
		{"half a key pair", config.Origin{Access: "sigv4", AccessKeyID: "K"}, noenv, nil, "go together"},
		{"token alone", config.Origin{Access: "sigv4", SessionToken: "T"}, getenv, nil, "session_token"},
		{"unknown access", config.Origin{Access: "oac"}, noenv, nil, `want "anonymous" or "sigv4"`},
	}
	for _, tt := range tests {
		got, err := s3Credentials(tt.cfg, tt.getenv)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: %v, %v; want an error with %q", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestNewS3Errors(t *testing.T) {
	t.Parallel()
	base := config.Origin{ID: "o", Kind: "s3", Bucket: "b", Access: "anonymous"}
	tests := []struct {
		name    string
		mutate  func(*config.Origin)
		wantErr string
	}{
		{"wrong kind", func(o *config.Origin) { o.Kind = "http" }, "NewS3 needs"},
		{"no bucket", func(o *config.Origin) { o.Bucket = "" }, "bucket"},
		{"bucket with a slash", func(o *config.Origin) { o.Bucket = "a/b" }, "bucket"},
		{"bad region", func(o *config.Origin) { o.Region = "us east" }, "region"},
		{"bad endpoint", func(o *config.Origin) { o.Endpoint = "s3.example.com" }, "endpoint"},
		{"bad origin_path", func(o *config.Origin) { o.OriginPath = "x" }, "origin_path"},
		{"signed custom header", func(o *config.Origin) { o.CustomHeaders = []config.CustomHeader{{Name: "range", Value: "x"}} }, "custom_header[0]"},
		{"x-amz custom header", func(o *config.Origin) { o.CustomHeaders = []config.CustomHeader{{Name: "X-Amz-Acl", Value: "x"}} }, "custom_header[0]"},
		{"bad custom header", func(o *config.Origin) { o.CustomHeaders = []config.CustomHeader{{Name: "A B", Value: "x"}} }, "custom_header[0]"},
		{"negative timeout", func(o *config.Origin) { o.OriginReadTimeout = -1 }, "origin_read_timeout"},
	}
	for _, tt := range tests {
		cfg := base
		tt.mutate(&cfg)
		if _, err := newS3(cfg, Options{}, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err %v, want one with %q", tt.name, err, tt.wantErr)
		}
	}
}
