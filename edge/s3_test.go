package edge

import (
	"bufio"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cfedge/edge/internal/s3server"
)

// s3EdgeConfig is a distribution whose default behavior reads the private bucket "media" with
// the server's keys; "/wrong/*" reads it with a wrong secret and "/public/*" reads the public
// bucket "open" anonymously. extra is appended TOML (cache settings, behaviors).
func s3EdgeConfig(srv *s3server.Server, cache, extra string) string {
	return strings.NewReplacer(
		"{{ENDPOINT}}", srv.Endpoint,
		"{{KEY}}", srv.AccessKey,
		"{{SECRET}}", srv.SecretKey,
		"{{CACHE}}", cache,
	).Replace(`
[server]
pop = "TST1-C1"
[cache]
{{CACHE}}
[api]
auth = "none"
[[distribution]]
id = "ES3DIST"
domain_name = "ds3test00000001.cloudfront.net"
[[distribution.origin]]
id = "media"
kind = "s3"
bucket = "media"
endpoint = "{{ENDPOINT}}"
region = "us-east-1"
access = "sigv4"
access_key_id = "{{KEY}}"
secret_access_key = "{{SECRET}}"
connection_attempts = 1
connection_timeout = "2s"
origin_read_timeout = "10s"
[[distribution.origin]]
id = "wrong"
kind = "s3"
bucket = "media"
endpoint = "{{ENDPOINT}}"
access_key_id = "{{KEY}}"
secret_access_key = "not-the-secret"
connection_attempts = 1
[[distribution.origin]]
id = "open"
kind = "s3"
bucket = "open"
endpoint = "{{ENDPOINT}}"
access = "anonymous"
connection_attempts = 1
[[distribution.behavior]]
path_pattern = "/wrong/*"
target_origin_id = "wrong"
[[distribution.behavior]]
path_pattern = "/public/*"
target_origin_id = "open"
` + extra + `
[distribution.default_behavior]
target_origin_id = "media"
default_ttl = 60
`)
}

// startS3Edge starts an S3 server with the buckets "media" (private) and "open" (public) and
// an edge in front of it.
func startS3Edge(t *testing.T, cache string) (*s3server.Server, *testEdge) {
	t.Helper()
	srv := s3server.Start(t)
	srv.CreateBucket("media")
	srv.CreateBucket("open")
	srv.MakePublic("open")
	if cache == "" {
		cache = "memory = \"64MiB\"\nmax_object_size = \"8MiB\""
	}
	cfg := s3EdgeConfig(srv, cache, "")
	undated := strings.ReplaceAll(cfg, srv.Endpoint, undatedProxy(t, srv.Endpoint))
	if undated == cfg {
		t.Fatal("s3EdgeConfig no longer names the endpoint")
	}
	return srv, startEdge(t, undated, 0)
}

// undatedProxy is a reverse proxy on 127.0.0.1 in front of target that drops the Date of its
// answers. The edges under test run on a fake clock: a real origin's Date would count as the
// response's age (RFC 9111 §4.2.3) once the test moves the clock. Host passes through unchanged,
// so SigV4 signatures still verify.
func undatedProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(r *http.Response) error {
		r.Header.Del("Date")
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	undated := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // or net/http adds its own
		p.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: undated, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestS3OriginThroughEdge(t *testing.T) {
	srv, e := startS3Edge(t, "")
	srv.PutObject(&s3.PutObjectInput{Bucket: aws.String("media"), Key: aws.String("docs/readme.txt"),
		Body: strings.NewReader("0123456789abcdef"), ContentType: aws.String("text/plain")})
	srv.Put("media", "wrong/obj.txt", []byte("never served"))
	srv.Put("open", "public/obj.txt", []byte("public object"))
	srv.Put("media", "a b+c/ünï 100%.txt", []byte("special key"))

	r, body := e.get(t, "/docs/readme.txt")
	if r.StatusCode != 200 || body != "0123456789abcdef" || xcache(r) != "Miss from cloudfront" ||
		r.Header.Get("Content-Type") != "text/plain" || r.Header.Get("Etag") == "" {
		t.Fatalf("signed GET: %d %q %q %v", r.StatusCode, body, xcache(r), r.Header)
	}
	r, body = e.get(t, "/docs/readme.txt")
	if r.StatusCode != 200 || body != "0123456789abcdef" || xcache(r) != "Hit from cloudfront" {
		t.Errorf("second GET: %d %q %q", r.StatusCode, body, xcache(r))
	}
	r, body = e.do(t, "GET", "/docs/readme.txt", map[string]string{"Range": "bytes=4-7"})
	if r.StatusCode != 206 || body != "4567" || r.Header.Get("Content-Range") != "bytes 4-7/16" {
		t.Errorf("Range: %d %q %q", r.StatusCode, body, r.Header.Get("Content-Range"))
	}
	r, body = e.do(t, "HEAD", "/docs/readme.txt", nil)
	if r.StatusCode != 200 || body != "" || r.ContentLength != 16 {
		t.Errorf("HEAD: %d %q %d", r.StatusCode, body, r.ContentLength)
	}

	r, body = e.get(t, "/a%20b+c/%C3%BCn%C3%AF%20100%25.txt")
	if r.StatusCode != 200 || body != "special key" {
		t.Errorf("special key: %d %q", r.StatusCode, body)
	}

	r, body = e.get(t, "/public/obj.txt")
	if r.StatusCode != 200 || body != "public object" {
		t.Errorf("anonymous public bucket: %d %q", r.StatusCode, body)
	}

	// Wrong credentials: S3's 403 reaches the viewer as CloudFront passes it, and (no
	// max-age) is not cached.
	for i := 0; i < 2; i++ {
		r, body = e.get(t, "/wrong/obj.txt")
		if r.StatusCode != 403 || xcache(r) != "Error from cloudfront" || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") ||
			r.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("wrong secret #%d: %d %q %q\n%s", i, r.StatusCode, xcache(r), r.Header.Get("Content-Type"), body)
		}
	}
}

func TestS3NoSuchKeyCachedTenSeconds(t *testing.T) {
	srv, e := startS3Edge(t, "")
	r, body := e.get(t, "/later.txt")
	if r.StatusCode != 404 || xcache(r) != "Error from cloudfront" || !strings.Contains(body, "<Code>NoSuchKey</Code>") {
		t.Fatalf("missing key: %d %q\n%s", r.StatusCode, xcache(r), body)
	}
	srv.Put("media", "later.txt", []byte("arrived"))
	e.clock.Advance(9 * time.Second)
	r, body = e.get(t, "/later.txt")
	if r.StatusCode != 404 || xcache(r) != "Error from cloudfront" || !strings.Contains(body, "NoSuchKey") {
		t.Errorf("within the 10 s error caching: %d %q (the cached 404 should be served)", r.StatusCode, xcache(r))
	}
	e.clock.Advance(2 * time.Second)
	r, body = e.get(t, "/later.txt")
	if r.StatusCode != 200 || body != "arrived" || xcache(r) != "Miss from cloudfront" {
		t.Errorf("after the 10 s error caching: %d %q %q", r.StatusCode, body, xcache(r))
	}
}

func TestS3ReplacedObjectFreshAfterTTL(t *testing.T) {
	srv, e := startS3Edge(t, "")
	put := func(body string) {
		srv.PutObject(&s3.PutObjectInput{Bucket: aws.String("media"), Key: aws.String("page.html"),
			Body: strings.NewReader(body), CacheControl: aws.String("max-age=30")})
	}
	put("version 1")
	if r, body := e.get(t, "/page.html"); body != "version 1" || xcache(r) != "Miss from cloudfront" {
		t.Fatalf("first GET: %q %q", body, xcache(r))
	}
	// Expired but unchanged: the edge revalidates with a signed conditional GET; S3's 304 makes
	// it a RefreshHit.
	e.clock.Advance(31 * time.Second)
	if r, body := e.get(t, "/page.html"); body != "version 1" || xcache(r) != "RefreshHit from cloudfront" {
		t.Errorf("expired, unchanged: %q %q", body, xcache(r))
	}
	time.Sleep(1100 * time.Millisecond) // a new Last-Modified second for version 2
	put("version 2")
	e.clock.Advance(29 * time.Second)
	if r, body := e.get(t, "/page.html"); body != "version 1" || xcache(r) != "Hit from cloudfront" {
		t.Errorf("replaced, within the TTL: %q %q, want the cached version 1", body, xcache(r))
	}
	e.clock.Advance(2 * time.Second)
	if r, body := e.get(t, "/page.html"); body != "version 2" || xcache(r) != "Miss from cloudfront" {
		t.Errorf("replaced, after the TTL: %q %q, want version 2", body, xcache(r))
	}
	if r, body := e.get(t, "/page.html"); body != "version 2" || xcache(r) != "Hit from cloudfront" {
		t.Errorf("version 2 again: %q %q", body, xcache(r))
	}
}

// pattern fills p with the bytes of a 100 MiB test object starting at offset off.
func pattern(p []byte, off int64) {
	for i := range p {
		n := off + int64(i)
		p[i] = byte(n*7 + n>>13)
	}
}

func TestS3LargeObjectStreams(t *testing.T) {
	const size = 100 << 20
	srv, e := startS3Edge(t, "memory = \"64MiB\"\nmax_object_size = \"1MiB\"")
	// Write the object to a file (hashing it on the way) and upload from there, so the test
	// itself never holds it.
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, want), 1<<20)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		pattern(buf, off)
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	srv.PutObject(&s3.PutObjectInput{Bucket: aws.String("media"), Key: aws.String("video/big.bin"), Body: f,
		ContentLength: aws.Int64(size)})
	f.Close()

	peak := heapPeak(func() {
		for i := 0; i < 2; i++ {
			req, _ := http.NewRequest("GET", "http://"+e.addr+"/video/big.bin", nil)
			req.Host = e.host
			resp, err := viewer.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got := sha256.New()
			n, err := io.Copy(got, resp.Body)
			resp.Body.Close()
			if err != nil || n != size || resp.ContentLength != size || string(got.Sum(nil)) != string(want.Sum(nil)) {
				t.Fatalf("GET #%d: %d, %d bytes of %d (Content-Length %d), err %v, same bytes %v",
					i, resp.StatusCode, n, size, resp.ContentLength, err, string(got.Sum(nil)) == string(want.Sum(nil)))
			}
			if xcache(resp) != "Miss from cloudfront" {
				t.Errorf("GET #%d: X-Cache %q; an object over max_object_size streams through uncached", i, xcache(resp))
			}
		}
	})
	if peak > 64<<20 {
		t.Errorf("heap peaked at %d MiB while streaming 100 MiB twice, want < 64 MiB", peak>>20)
	}
	t.Logf("heap peak %.1f MiB", float64(peak)/(1<<20))
}

// TestFunctionUpdatesS3Origin: cf.updateRequestOrigin with another bucket's domain sends a
// viewer-request function's request to that bucket (on the origin's endpoint, with its keys);
// a domain that is not a bucket's, or a field for custom origins only, is a function error.
func TestFunctionUpdatesS3Origin(t *testing.T) {
	srv := s3server.Start(t)
	srv.CreateBucket("media")
	srv.CreateBucket("media-v2")
	srv.Put("media", "o.txt", []byte("from media"))
	srv.Put("media-v2", "o.txt", []byte("from media-v2"))
	fn := "[[function]]\nname = \"pick\"\ncode = \"\"\"\nimport cf from 'cloudfront';\nfunction handler(event) {\n" +
		"  var q = event.request.querystring;\n" +
		"  if (q.b && q.b.value === 'v2') { cf.updateRequestOrigin({domainName: 'media-v2.s3.us-east-1.amazonaws.com'}); }\n" +
		"  if (q.b && q.b.value === 'bad') { cf.updateRequestOrigin({domainName: 'example.com'}); }\n" +
		"  if (q.b && q.b.value === 'sni') { cf.updateRequestOrigin({sni: 'x.example.com'}); }\n" +
		"  return event.request;\n}\n\"\"\"\n"
	cfg := fn + s3EdgeConfig(srv, `memory = "64MiB"`, `
[[distribution.behavior]]
path_pattern = "/o.txt"
target_origin_id = "media"
cache_policy = "CachingDisabled"
[[distribution.behavior.function_association]]
event_type = "viewer-request"
function = "pick"
`)
	e := startEdge(t, cfg, 0)
	e.host = "ds3test00000001.cloudfront.net"
	if r, b := e.get(t, "/o.txt"); r.StatusCode != 200 || b != "from media" {
		t.Fatalf("the behavior's bucket: %d %q", r.StatusCode, b)
	}
	if r, b := e.get(t, "/o.txt?b=v2"); r.StatusCode != 200 || b != "from media-v2" {
		t.Fatalf("updated to media-v2: %d %q", r.StatusCode, b)
	}
	for _, q := range []string{"bad", "sni"} {
		if r, _ := e.get(t, "/o.txt?b="+q); r.StatusCode != 503 || xcache(r) != "FunctionExecutionError from cloudfront" {
			t.Errorf("?b=%s: %d %q, want 503 FunctionExecutionError", q, r.StatusCode, xcache(r))
		}
	}
}
