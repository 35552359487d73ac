package origin

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
)

// canonicalEscaped reports whether s holds only unreserved bytes, "/" (when slash) and
// %XX escapes with upper-case hex: SigV4's UriEncode output.
func canonicalEscaped(s string, slash bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case s3Unreserved(c, !slash):
		case c == '%' && i+2 < len(s) && strings.IndexByte("0123456789ABCDEF", s[i+1]) >= 0 &&
			strings.IndexByte("0123456789ABCDEF", s[i+2]) >= 0:
			i += 2
		default:
			return false
		}
	}
	return true
}

// FuzzS3Key checks that any viewer path gives a canonically escaped key that decodes back to
// the same key, and that escaping is stable (the escaped key names the same key again).
func FuzzS3Key(f *testing.F) {
	for _, s := range []string{"/a%20b.txt", "/a+b.txt", "/100%.txt", "/100%25.txt", "/x%2Fy", "/ünï/cødé.txt",
		"/%C3%BC", "/%zz", "/%", "/%4", "//a//", "/", "", "/\x00\xff", "/a?b#c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		key := s3Key(p)
		esc := s3EscapeKey(key)
		if !canonicalEscaped(esc, true) {
			t.Fatalf("s3EscapeKey(%q) = %q: not canonical", key, esc)
		}
		if back := s3Key("/" + esc); back != key {
			t.Fatalf("path %q: key %q escapes to %q, which names %q", p, key, esc, back)
		}
	})
}

// FuzzS3Query checks that s3Query's output is canonical (a fixed point), legal, and free of
// X-Amz-* parameters.
func FuzzS3Query(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "b=2&a=1", "q=a+b", "acl", "x-amz-date=1&a=b", "X-Amz-Signature=x",
		"%zz=%", "&&&", "=", "a==b", "ü=é", "k=%7e", "x%2Damz-a=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q := s3Query(raw)
		if again := s3Query(q); again != q {
			t.Fatalf("s3Query(%q) = %q, but s3Query(%q) = %q", raw, q, q, again)
		}
		if q == "" {
			return
		}
		for pair := range strings.SplitSeq(q, "&") {
			k, v, ok := strings.Cut(pair, "=")
			if !ok || !canonicalEscaped(k, false) || !canonicalEscaped(v, false) {
				t.Fatalf("s3Query(%q) = %q: pair %q is not canonical", raw, q, pair)
			}
			if strings.HasPrefix(strings.ToLower(unescapeLenient(k, false)), "x-amz-") {
				t.Fatalf("s3Query(%q) = %q keeps %q", raw, q, k)
			}
		}
	})
}

// BenchmarkS3Request measures building and signing one S3 request, the work an s3 origin
// adds to every miss.
func BenchmarkS3Request(b *testing.B) {
	s, err := newS3(config.Origin{ID: "b", Kind: "s3", Bucket: "media", Endpoint: "http://127.0.0.1:9000",
		AccessKeyID: "AKIDBENCH", SecretAccessKey: "secret"}, Options{}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	req := &Request{Method: "GET", Path: "/video/ünï/seg%20001.ismv", Header: http.Header{
		"X-Amz-Cf-Id": {"abcDEF-_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ=="},
		"Via":         {"1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)"},
		"Range":       {"bytes=0-1023"},
		"User-Agent":  {"Amazon CloudFront"},
	}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.request(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
