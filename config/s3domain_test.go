package config

import (
	"strings"
	"testing"
)

// TestS3BucketDomain: bucket REST endpoint domains, read and written back.
func TestS3BucketDomain(t *testing.T) {
	for _, c := range []struct {
		domain, bucket, region string
		ok                     bool
	}{
		{"media.s3.eu-west-3.amazonaws.com", "media", "eu-west-3", true},
		{"Media.S3.amazonaws.com", "media", "us-east-1", true},
		{"my.dotted.bucket.s3.us-west-2.amazonaws.com", "my.dotted.bucket", "us-west-2", true},
		{"s3.amazonaws.com", "", "", false},
		{"example.com", "", "", false},
		{"media.s3.eu-west-3.amazonaws.com.evil.test", "", "", false},
		{"media.s3-website.eu-west-3.amazonaws.com", "", "", false},
	} {
		b, r, ok := S3BucketDomain(c.domain)
		if b != c.bucket || r != c.region || ok != c.ok {
			t.Errorf("%s: %q %q %v", c.domain, b, r, ok)
		}
		if ok && S3Domain(b, r) != strings.ToLower(c.domain) && r != "us-east-1" {
			t.Errorf("%s: s3Domain gives %s", c.domain, S3Domain(b, r))
		}
	}
}
