package s3server

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// CreateBucket creates a private bucket, failing the test on error.
func (s *Server) CreateBucket(name string) {
	s.t.Helper()
	if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		s.t.Fatalf("s3server: create bucket %q: %v", name, err)
	}
}

// Put uploads body as bucket/key (Content-Type application/octet-stream unless the key's
// extension says otherwise to the server) and returns the object's ETag, failing the test on
// error.
func (s *Server) Put(bucket, key string, body []byte) string {
	s.t.Helper()
	return s.PutObject(&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
}

// PutObject uploads an object with every PutObject setting available (Cache-Control,
// Content-Type, …) and returns its ETag, failing the test on error. in.Body should be
// seekable (a bytes.Reader or an *os.File) so the client can sign it.
func (s *Server) PutObject(in *s3.PutObjectInput) string {
	s.t.Helper()
	out, err := s.Client.PutObject(context.Background(), in)
	if err != nil {
		s.t.Fatalf("s3server: put %s/%s: %v", aws.ToString(in.Bucket), aws.ToString(in.Key), err)
	}
	return aws.ToString(out.ETag)
}

// Delete removes bucket/key, failing the test on error.
func (s *Server) Delete(bucket, key string) {
	s.t.Helper()
	if _, err := s.Client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		s.t.Fatalf("s3server: delete %s/%s: %v", bucket, key, err)
	}
}

// MakePublic gives bucket a policy that lets anyone, unsigned, GetObject any of its objects
// (the "public bucket" of S3's documentation), failing the test on error. Listing stays
// private.
func (s *Server) MakePublic(bucket string) {
	s.t.Helper()
	policy, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "PublicRead",
			"Effect":    "Allow",
			"Principal": "*",
			"Action":    []string{"s3:GetObject"},
			"Resource":  []string{"arn:aws:s3:::" + bucket + "/*"},
		}},
	})
	if err != nil {
		s.t.Fatalf("s3server: %v", err)
	}
	_, err = s.Client.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{
		Bucket: aws.String(bucket),
		Policy: aws.String(string(policy)),
	})
	if err != nil {
		s.t.Fatalf("s3server: make %q public: %v", bucket, err)
	}
}
