package config

import "strings"

// S3BucketDomain reads a bucket's REST endpoint domain, BUCKET.s3.REGION.amazonaws.com or the
// legacy global BUCKET.s3.amazonaws.com (us-east-1).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
func S3BucketDomain(domain string) (bucket, region string, ok bool) {
	rest, found := strings.CutSuffix(strings.ToLower(domain), ".amazonaws.com")
	if !found {
		return "", "", false
	}
	if b, ok := strings.CutSuffix(rest, ".s3"); ok && b != "" {
		return b, "us-east-1", true
	}
	i := strings.LastIndex(rest, ".s3.")
	if i <= 0 {
		return "", "", false
	}
	region = rest[i+len(".s3."):]
	if region == "" || strings.Contains(region, ".") {
		return "", "", false
	}
	return rest[:i], region, true
}

// S3Domain is the REST endpoint domain of a bucket (S3BucketDomain reads it back).
func S3Domain(bucket, region string) string {
	if region == "" {
		region = "us-east-1"
	}
	return bucket + ".s3." + region + ".amazonaws.com"
}
