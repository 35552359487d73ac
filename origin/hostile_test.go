package origin

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

// TestHostileS3DotSegmentsStayInBucket: a viewer path whose key has "." or ".." segments
// (literal or escaped, "%2e%2e" decodes to "..") must not name an object of another bucket.
// S3 keys are literal: SigV4 for S3 does not normalize the path ("Normalize URI paths ... except
// for Amazon S3", https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html),
// so "/%2e%2e/other/obj.txt" names the key "../other/obj.txt" of the configured bucket, which
// does not exist. The origin sends the dots as they are ("." is unreserved), and an S3-compatible
// server that resolves dot segments (versitygw here) then reads bucket "other", signed with the
// origin's credentials. Expected: the object of the other bucket never comes back (404 or 400).
func TestHostileS3DotSegmentsStayInBucket(t *testing.T) {
	srv := s3Fixture(t) // "priv" (private) and "pub", each with obj.txt
	srv.CreateBucket("other")
	srv.Put("other", "obj.txt", []byte("OTHER BUCKET SECRET"))
	for _, access := range []string{"sigv4", "anonymous"} {
		cfg := s3Config(srv, "priv")
		if access == "anonymous" {
			cfg.Bucket, cfg.Access, cfg.AccessKeyID, cfg.SecretAccessKey = "pub", "anonymous", "", ""
			srv.MakePublic("other")
		}
		s := newTestS3(t, cfg)
		for _, p := range []string{
			"/%2e%2e/other/obj.txt",
			"/%2E%2E/other/obj.txt",
			"/../other/obj.txt",
			"/a/../../other/obj.txt",
			"/%2e%2e%2fother%2fobj.txt",
		} {
			resp, body := fetchAll(t, s, &Request{Method: http.MethodGet, Path: p, Header: http.Header{}})
			if strings.Contains(string(body), "OTHER BUCKET SECRET") || resp.Status == http.StatusOK {
				t.Errorf("%s GET %s (bucket %s): %d %q: read another bucket's object, want 404/400", access, p, cfg.Bucket, resp.Status, body)
			}
		}
	}
}

// TestHostileS3SignedOddKeys: keys SigV4 must encode exactly, signed; each must reach its
// object (S3 computes the signature over the path as sent, UriEncode'd once for S3,
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
func TestHostileS3SignedOddKeys(t *testing.T) {
	srv := s3Fixture(t)
	s := newTestS3(t, s3Config(srv, "priv"))
	for _, tc := range []struct{ key, path string }{
		{"tilde~star*.txt", "/tilde~star*.txt"},
		{"tilde~star*.txt", "/tilde%7Estar%2A.txt"},
		{"sp ace+plus.txt", "/sp%20ace+plus.txt"},
		{"pct%41.txt", "/pct%2541.txt"},
		{"ctl\x01\x7f.txt", "/ctl%01%7F.txt"},
		{"emoji-😀.txt", "/emoji-%F0%9F%98%80.txt"},
		{"dbl//slash.txt", "/dbl//slash.txt"},
		{"/leading.txt", "//leading.txt"},
		{"dot/./seg.txt", "/dot/./seg.txt"},
		{"semi;colon=eq&amp.txt", "/semi;colon=eq&amp.txt"},
		{"q?mark#hash.txt", "/q%3Fmark%23hash.txt"},
	} {
		srv.Put("priv", tc.key, []byte("body of "+tc.key))
		resp, body := fetchAll(t, s, &Request{Method: http.MethodGet, Path: tc.path, Header: http.Header{}})
		if resp.Status != 200 || string(body) != "body of "+tc.key {
			t.Errorf("GET %s (key %q): %d %q, want 200", tc.path, tc.key, resp.Status, body)
		}
	}
}

// TestHostileS3HostileHeadersSigned: hostile Range / conditional values (signed headers)
// with odd white space and several lines must not break the signature: S3 answers the range
// (or ignores it), never 403 SignatureDoesNotMatch.
func TestHostileS3HostileHeadersSigned(t *testing.T) {
	srv := s3Fixture(t)
	s := newTestS3(t, s3Config(srv, "priv"))
	for _, h := range []http.Header{
		{"Range": {"  bytes=0-3  "}},
		{"Range": {"bytes=0-3\t"}},
		{"If-None-Match": {`"a"`, `"b"`}},
		{"If-Match": {`*`}, "Range": {"bytes=1-2"}},
		{"If-Modified-Since": {"Sat, 01 Jan 2000   00:00:00 GMT"}},
		{"X-Amz-Date": {"20000101T000000Z"}, "X-Amz-Content-Sha256": {"bogus"}, "Authorization": {"AWS4-HMAC-SHA256 bogus"}},
	} {
		resp, body := fetchAll(t, s, &Request{Method: http.MethodGet, Path: "/obj.txt", Header: h})
		if resp.Status == http.StatusForbidden || strings.Contains(string(body), "Signature") {
			t.Errorf("headers %v: %d %q, want the signature to hold", h, resp.Status, body)
		}
	}
}

// TestHostileDirFIFOAndSocket: special files in the folder (a FIFO, a unix socket, a symlink to
// each) answer 404 at once; opening a FIFO must not block the fetch.
func TestHostileDirFIFOAndSocket(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, l := range [][2]string{{"fifo", "link-fifo"}, {"sock", "link-sock"}} {
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	d, err := NewDir(config.Origin{ID: "d", Kind: config.KindDir, Path: dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, p := range []string{"/fifo", "/sock", "/link-fifo", "/link-sock", "/fifo/", "/fifo/x"} {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			done := make(chan *Response, 1)
			go func() {
				resp, err := d.Fetch(ctx, &Request{Method: m, Path: p, Header: http.Header{"Range": {"bytes=0-"}}})
				if err != nil {
					t.Errorf("%s %s: %v", m, p, err)
				}
				done <- resp
			}()
			select {
			case resp := <-done:
				if resp != nil {
					if resp.Status != http.StatusNotFound {
						t.Errorf("%s %s: %d, want 404", m, p, resp.Status)
					}
					resp.Body.Close()
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("%s %s hung", m, p)
			}
			cancel()
		}
	}
}

// TestHostileDirLongAndOddNames: very long names and paths answer 404 or 400, never 5xx or an
// error, and a real long-named file is served.
func TestHostileDirLongAndOddNames(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("n", 255)
	if err := os.WriteFile(filepath.Join(dir, long), []byte("long"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := NewDir(config.Origin{ID: "d", Kind: config.KindDir, Path: dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if resp, body := fetchAll(t, d, &Request{Method: http.MethodGet, Path: "/" + long}); resp.Status != 200 || string(body) != "long" {
		t.Errorf("255-byte name: %d %q", resp.Status, body)
	}
	for _, p := range []string{
		"/" + strings.Repeat("n", 256),
		"/" + strings.Repeat("a/", 3000) + "x",
		"/" + strings.Repeat("%41", 5000),
		"/" + long + "/",
		"/%C0%AE%C0%AE/secret", // overlong UTF-8 dots: not "..", not a file
		"/a\x01b",
		"/%ff%fe",
	} {
		resp, body := fetchAll(t, d, &Request{Method: http.MethodGet, Path: p})
		if resp.Status != 404 && resp.Status != 400 {
			t.Errorf("GET %.40s…: %d %q, want 404 or 400", p, resp.Status, body)
		}
	}
}

// TestHostileDirRangeEdgeCases: hostile Range values on a 10-byte file (RFC 9110 §14.1.2: a
// first-pos at or past the length is unsatisfiable, 416 with "bytes */length"; a last-pos at or
// past the end is replaced by length-1). Positions too large for an int64 are still positions:
// recipients "MUST anticipate potentially large decimal numerals and prevent parse errors due
// to integer conversion overflows" (RFC 7233 §2.1, carried into RFC 9110 §14.1.1), so
// "bytes=5-<huge>" is bytes 5-9 (206) and "bytes=<huge>-" is unsatisfiable (416), not an
// invalid Range ignored with a 200 of the whole file.
func TestHostileDirRangeEdgeCases(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "d.txt"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := NewDir(config.Origin{ID: "d", Kind: config.KindDir, Path: dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, tc := range []struct {
		rng    string
		status int
		body   string
		cr     string
	}{
		{"bytes=5-99999999999999999999999", 206, "56789", "bytes 5-9/10"},
		{"bytes=99999999999999999999999-", 416, "", "bytes */10"},
		{"bytes=10-", 416, "", "bytes */10"},
		{"bytes=9-9", 206, "9", "bytes 9-9/10"},
		{"bytes=-0", 416, "", "bytes */10"},
		{"bytes=3-2", 200, "0123456789", ""},
		{"bytes=0-0,-1", 200, "0123456789", ""},
		{"BYTES=0-1", 206, "01", "bytes 0-1/10"},
	} {
		resp, body := fetchAll(t, d, &Request{Method: http.MethodGet, Path: "/d.txt", Header: http.Header{"Range": {tc.rng}}})
		if resp.Status != tc.status || resp.Header.Get("Content-Range") != tc.cr || (tc.status != 416 && string(body) != tc.body) {
			t.Errorf("Range %q: %d %q Content-Range %q, want %d %q %q", tc.rng, resp.Status, body, resp.Header.Get("Content-Range"), tc.status, tc.body, tc.cr)
		}
	}
}

// TestHostileOriginGroupHostilePrimary: a primary that answers a failover status with a body
// that never ends (or trickles) must not delay failover: the group closes it and the
// secondary's answer comes back at once, well within the primary's read timeout.
func TestHostileOriginGroupHostilePrimary(t *testing.T) {
	primary := startRaw(t, func(c net.Conn, _ []byte) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1000000000\r\n\r\n"+strings.Repeat("x", 4096))
		return hang(c)
	})
	chunked := startRaw(t, func(c net.Conn, _ []byte) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n")
		return hang(c)
	})
	secondary := startRaw(t, func(c net.Conn, _ []byte) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nsecondary")
		return true
	})
	for _, p := range []*rawServer{primary, chunked} {
		pcfg := originConfig(t, p.addr())
		pcfg.ConnectionAttempts = 1
		pcfg.OriginReadTimeout = config.Duration(5 * time.Second)
		g := NewGroup("g", newTestHTTP(t, pcfg), newTestHTTP(t, originConfig(t, secondary.addr())), []int{500, 503}, Options{})
		start := time.Now()
		resp, body := fetchAll(t, g, &Request{Method: http.MethodGet, Path: "/x"})
		if resp.Status != 200 || string(body) != "secondary" {
			t.Errorf("group: %d %q, want the secondary's 200", resp.Status, body)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("failover took %v: the primary's hostile body delayed it", d)
		}
	}
}
