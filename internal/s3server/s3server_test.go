package s3server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestServer(t *testing.T) {
	s := Start(t)
	s.CreateBucket("private")
	s.CreateBucket("public")
	s.MakePublic("public")
	etag := s.Put("private", "dir/a b.txt", []byte("hello"))
	if etag == "" {
		t.Errorf("Put returned no ETag")
	}
	s.Put("public", "p.txt", []byte("public hello"))

	out, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("private"), Key: aws.String("dir/a b.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "hello" || aws.ToString(out.ETag) != etag {
		t.Errorf("GetObject = %q etag %s, want hello etag %s", b, aws.ToString(out.ETag), etag)
	}

	for _, tc := range []struct {
		url    string
		status int
		body   string
	}{
		{s.Endpoint + "/public/p.txt", 200, "public hello"},
		{s.Endpoint + "/private/dir/a%20b.txt", 403, "<Code>AccessDenied</Code>"},
		{s.Endpoint + "/public/missing", 404, "<Code>NoSuchKey</Code>"},
	} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
			t.Errorf("anonymous GET %s = %d %q, want %d with %q", tc.url, resp.StatusCode, b, tc.status, tc.body)
		}
	}

	s.Delete("private", "dir/a b.txt")
	if _, err := s.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("private"), Key: aws.String("dir/a b.txt")}); err == nil {
		t.Errorf("object still there after Delete")
	}
	s.Stop()
	if _, err := http.Get(s.Endpoint + "/"); err == nil {
		t.Errorf("server still answering after Stop")
	}
}
