package origin

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

const secret = "TOP-SECRET-7f3a9c"

// mtime is the modification time every fixture file gets.
var mtime = time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)

// dirFixture builds base/www (served) with base/secret.txt beside it, and symlinks inside
// www pointing outside (relative, as a directory, absolute) and inside.
func dirFixture(t testing.TB) (base, www string) {
	t.Helper()
	base = t.TempDir()
	www = filepath.Join(base, "www")
	files := map[string]string{
		"secret.txt":       secret,
		"www/a/file.txt":   "hello, world\n",
		"www/digits.txt":   "0123456789",
		"www/empty.txt":    "",
		"www/video/x.ism":  "<smil/>",
		"www/a/b/deep.txt": "deep",
		"www/%2e%2e":       "literal percent name",
	}
	for name, body := range files {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"link-out": "../secret.txt",
		"dir-out":  "..",
		"abs-out":  filepath.Join(base, "secret.txt"),
		"abs-in":   filepath.Join(www, "a", "file.txt"),
		"link-in":  "a/file.txt",
		"dir-in":   "a",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(www, name)); err != nil {
			t.Fatal(err)
		}
	}
	return base, www
}

func newTestDir(t *testing.T, originPath string) *Dir {
	t.Helper()
	_, www := dirFixture(t)
	d, err := NewDir(config.Origin{ID: "site", Kind: config.KindDir, Path: www, OriginPath: originPath},
		Options{Now: func() time.Time { return time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestDirTraversal(t *testing.T) {
	d := newTestDir(t, "")
	sub := newTestDir(t, "/a")
	tests := []struct {
		name   string
		dir    *Dir
		path   string
		status int
	}{
		{"dot-dot", d, "/../secret.txt", 400},
		{"encoded dot-dot", d, "/%2e%2e/%2e%2e/etc/passwd", 400},
		{"encoded dot-dot to secret", d, "/%2e%2e/secret.txt", 400},
		{"encoded slash", d, "/..%2fsecret.txt", 400},
		{"encoded slashes and dots", d, "/a/%2e%2e%2f%2e%2e%2fsecret.txt", 400},
		{"upper-case encoded slash", d, "/%2F..%2F..", 400},
		{"encoded backslash", d, "/..%5csecret.txt", 400},
		{"backslash", d, `/..\secret.txt`, 400},
		{"backslash inside", d, `/a\..\..\secret.txt`, 400},
		{"dot-dot after a folder", d, "/a/../../secret.txt", 400},
		{"dot-dot that stays inside", d, "/a/../digits.txt", 400},
		{"NUL", d, "/a/file.txt%00.png", 400},
		{"bad escape", d, "/a/%zz", 400},
		{"no leading slash", d, "secret.txt", 400},
		{"symlink to a file outside", d, "/link-out", 404},
		{"symlink to the parent folder", d, "/dir-out/secret.txt", 404},
		{"absolute symlink outside", d, "/abs-out", 404},
		{"absolute symlink inside (os.Root refuses absolute links)", d, "/abs-in", 404},
		{"the secret is not in the folder", d, "/secret.txt", 404},
		{"origin_path cannot be escaped", sub, "/../../secret.txt", 400},
		{"origin_path with encoded dots", sub, "/%2e%2e/%2e%2e/secret.txt", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetchAll(t, tt.dir, &Request{Method: "GET", Path: tt.path})
			if strings.Contains(string(body), secret) {
				t.Fatalf("%s served the secret file", tt.path)
			}
			if resp.Status != tt.status {
				t.Errorf("got %d, want %d", resp.Status, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/xml" {
				t.Errorf("Content-Type %q, want application/xml", ct)
			}
		})
	}
}

// TestDirServes: what a folder serves beyond the conformance suite (symlinks, origin_path,
// folders and odd names).
func TestDirServes(t *testing.T) {
	d := newTestDir(t, "")
	sub := newTestDir(t, "/a")
	tests := []struct {
		name, path string
		dir        *Dir
		status     int
		body       string
	}{
		{"file", "/a/file.txt", d, 200, "hello, world\n"},
		{"symlink inside the folder", "/link-in", d, 200, "hello, world\n"},
		{"through a symlinked folder inside", "/dir-in/file.txt", d, 200, "hello, world\n"},
		{"percent decoded once only", "/%252e%252e", d, 200, "literal percent name"},
		{"origin_path prefixed", "/file.txt", sub, 200, "hello, world\n"},
		{"origin_path nested", "/b/deep.txt", sub, 200, "deep"},
		{"empty file", "/empty.txt", d, 200, ""},
		{"root is no listing", "/", d, 404, ""},
		{"folder", "/a", d, 404, ""},
		{"folder with slash", "/a/", d, 404, ""},
		{"double slash", "/a//file.txt", d, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetchAll(t, tt.dir, &Request{Method: "GET", Path: tt.path})
			if resp.Status != tt.status {
				t.Fatalf("got %d, want %d", resp.Status, tt.status)
			}
			if tt.status == 200 && string(body) != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if tt.status == 404 {
				if !strings.Contains(string(body), "<Code>NoSuchKey</Code>") {
					t.Errorf("404 body %q, want S3's NoSuchKey", body)
				}
				return
			}
			if resp.ContentLength != int64(len(tt.body)) || resp.Header.Get("Accept-Ranges") != "bytes" {
				t.Errorf("ContentLength %d Accept-Ranges %q, want %d bytes", resp.ContentLength, resp.Header.Get("Accept-Ranges"), len(tt.body))
			}
		})
	}
}

func TestDirHeaders(t *testing.T) {
	d := newTestDir(t, "")
	resp, _ := fetchAll(t, d, &Request{Method: "GET", Path: "/digits.txt"})
	want := http.Header{
		"Date":           {"Sat, 07 Jun 2025 08:09:10 GMT"},
		"Etag":           {`"a-17a668b7375cff15"`},
		"Last-Modified":  {"Tue, 02 Jan 2024 03:04:05 GMT"},
		"Accept-Ranges":  {"bytes"},
		"Content-Type":   {"text/plain; charset=utf-8"},
		"Content-Length": {"10"},
	}
	for k, v := range want {
		if got := resp.Header.Values(k); strings.Join(got, "|") != strings.Join(v, "|") {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
	if len(resp.Header) != len(want) {
		t.Errorf("headers: got %v, want exactly %v", resp.Header, want)
	}
}

func TestDirETagStable(t *testing.T) {
	_, www := dirFixture(t)
	d, err := NewDir(config.Origin{ID: "site", Path: www}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	etag := func() string {
		resp, _ := fetchAll(t, d, &Request{Method: "GET", Path: "/digits.txt"})
		return resp.Header.Get("ETag")
	}
	first := etag()
	if second := etag(); second != first {
		t.Errorf("ETag changed between fetches: %s then %s", first, second)
	}
	if err := os.Chtimes(filepath.Join(www, "digits.txt"), mtime, mtime.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if third := etag(); third == first {
		t.Errorf("ETag %s unchanged after the file's mtime changed", third)
	}
}

// TestDirRange: the range rules dir implements itself, beyond the conformance suite's single,
// suffix and unsatisfiable ranges.
func TestDirRange(t *testing.T) {
	d := newTestDir(t, "")
	const etag = `"a-17a668b7375cff15"`
	lastMod := "Tue, 02 Jan 2024 03:04:05 GMT"
	tests := []struct {
		name         string
		path         string
		header       http.Header
		status       int
		body         string
		contentRange string
	}{
		{"open-ended", "/digits.txt", http.Header{"Range": {"bytes=5-"}}, 206, "56789", "bytes 5-9/10"},
		{"suffix longer than the file", "/digits.txt", http.Header{"Range": {"bytes=-30"}}, 206, "0123456789", "bytes 0-9/10"},
		{"last past the end is clamped", "/digits.txt", http.Header{"Range": {"bytes=8-100"}}, 206, "89", "bytes 8-9/10"},
		{"single byte", "/digits.txt", http.Header{"Range": {"bytes=9-9"}}, 206, "9", "bytes 9-9/10"},
		{"zero suffix", "/digits.txt", http.Header{"Range": {"bytes=-0"}}, 416, "", "bytes */10"},
		{"empty file", "/empty.txt", http.Header{"Range": {"bytes=0-"}}, 416, "", "bytes */0"},
		{"several ranges serve the whole file", "/digits.txt", http.Header{"Range": {"bytes=0-1,3-4"}}, 200, "0123456789", ""},
		{"reversed range is ignored", "/digits.txt", http.Header{"Range": {"bytes=4-2"}}, 200, "0123456789", ""},
		{"other unit is ignored", "/digits.txt", http.Header{"Range": {"items=0-1"}}, 200, "0123456789", ""},
		{"garbage is ignored", "/digits.txt", http.Header{"Range": {"bytes=abc"}}, 200, "0123456789", ""},
		{"If-Range with our etag", "/digits.txt", http.Header{"Range": {"bytes=0-1"}, "If-Range": {etag}}, 206, "01", "bytes 0-1/10"},
		{"If-Range with another etag", "/digits.txt", http.Header{"Range": {"bytes=0-1"}, "If-Range": {`"old"`}}, 200, "0123456789", ""},
		{"If-Range with a weak etag", "/digits.txt", http.Header{"Range": {"bytes=0-1"}, "If-Range": {"W/" + etag}}, 200, "0123456789", ""},
		{"If-Range with our date", "/digits.txt", http.Header{"Range": {"bytes=0-1"}, "If-Range": {lastMod}}, 206, "01", "bytes 0-1/10"},
		{"If-Range with an older date", "/digits.txt", http.Header{"Range": {"bytes=0-1"}, "If-Range": {"Mon, 01 Jan 2024 00:00:00 GMT"}}, 200, "0123456789", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetchAll(t, d, &Request{Method: "GET", Path: tt.path, Header: tt.header})
			if resp.Status != tt.status {
				t.Fatalf("got %d, want %d", resp.Status, tt.status)
			}
			if got := resp.Header.Get("Content-Range"); got != tt.contentRange {
				t.Errorf("Content-Range %q, want %q", got, tt.contentRange)
			}
			if tt.status == 416 {
				if !strings.Contains(string(body), "<Code>InvalidRange</Code>") {
					t.Errorf("416 body %q, want InvalidRange", body)
				}
				return
			}
			if string(body) != tt.body || resp.ContentLength != int64(len(tt.body)) {
				t.Errorf("body %q (ContentLength %d), want %q", body, resp.ContentLength, tt.body)
			}
		})
	}
}

// TestDirConditional: the precondition rules dir implements itself, beyond the conformance
// suite's If-None-Match and If-Modified-Since cases.
func TestDirConditional(t *testing.T) {
	d := newTestDir(t, "")
	const etag = `"a-17a668b7375cff15"`
	lastMod := "Tue, 02 Jan 2024 03:04:05 GMT"
	earlier := "Mon, 01 Jan 2024 00:00:00 GMT"
	tests := []struct {
		name   string
		method string
		header http.Header
		status int
	}{
		{"If-None-Match weak form", "GET", http.Header{"If-None-Match": {"W/" + etag}}, 304},
		{"If-None-Match any", "GET", http.Header{"If-None-Match": {"*"}}, 304},
		{"If-None-Match in a list", "GET", http.Header{"If-None-Match": {`"x", ` + etag}}, 304},
		{"If-None-Match in a second header", "GET", http.Header{"If-None-Match": {`"x"`, etag}}, 304},
		{"If-None-Match wins over If-Modified-Since", "GET", http.Header{"If-None-Match": {`"x"`}, "If-Modified-Since": {lastMod}}, 200},
		{"If-Match our etag", "GET", http.Header{"If-Match": {etag}}, 200},
		{"If-Match any", "GET", http.Header{"If-Match": {"*"}}, 200},
		{"If-Match other", "GET", http.Header{"If-Match": {`"x"`}}, 412},
		{"If-Match weak is a strong mismatch", "GET", http.Header{"If-Match": {"W/" + etag}}, 412},
		{"If-Unmodified-Since earlier", "GET", http.Header{"If-Unmodified-Since": {earlier}}, 412},
		{"If-Unmodified-Since same time", "GET", http.Header{"If-Unmodified-Since": {lastMod}}, 200},
		{"If-Match wins over If-Unmodified-Since", "GET", http.Header{"If-Match": {etag}, "If-Unmodified-Since": {earlier}}, 200},
		{"HEAD If-None-Match", "HEAD", http.Header{"If-None-Match": {etag}}, 304},
		{"bad date is ignored", "GET", http.Header{"If-Modified-Since": {"yesterday"}}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetchAll(t, d, &Request{Method: tt.method, Path: "/digits.txt", Header: tt.header})
			if resp.Status != tt.status {
				t.Fatalf("got %d, want %d", resp.Status, tt.status)
			}
			switch tt.status {
			case 304:
				if len(body) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Content-Length") != "" {
					t.Errorf("304: body %q ETag %q Content-Length %q, want no body, the ETag, no length",
						body, resp.Header.Get("ETag"), resp.Header.Get("Content-Length"))
				}
			case 412:
				if !strings.Contains(string(body), "<Code>PreconditionFailed</Code>") {
					t.Errorf("412 body %q, want PreconditionFailed", body)
				}
			}
		})
	}
}

func TestDirMethodNotAllowed(t *testing.T) {
	d := newTestDir(t, "")
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "PATCH"} {
		resp, body := fetchAll(t, d, &Request{Method: m, Path: "/a/file.txt", Body: []byte("x")})
		if resp.Status != 405 || resp.Header.Get("Allow") != "GET, HEAD" || !strings.Contains(string(body), "MethodNotAllowed") {
			t.Errorf("%s: got %d Allow %q body %q, want 405 \"GET, HEAD\" MethodNotAllowed", m, resp.Status, resp.Header.Get("Allow"), body)
		}
	}
}

func TestDirNotFoundBody(t *testing.T) {
	d := newTestDir(t, "")
	resp, body := fetchAll(t, d, &Request{Method: "GET", Path: "/missing/<x>.txt"})
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>/missing/&lt;x&gt;.txt</Key></Error>`
	if resp.Status != 404 || string(body) != want {
		t.Errorf("got %d %q, want 404 %q", resp.Status, body, want)
	}
	if resp.Header.Get("Content-Type") != "application/xml" || resp.ContentLength != int64(len(want)) {
		t.Errorf("Content-Type %q ContentLength %d, want application/xml %d", resp.Header.Get("Content-Type"), resp.ContentLength, len(want))
	}
}

func TestNewDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  config.Origin
		want string
	}{
		{"no path", config.Origin{ID: "d"}, "path"},
		{"missing folder", config.Origin{ID: "d", Path: filepath.Join(file, "nope")}, "path"},
		{"a file", config.Origin{ID: "d", Path: file}, "path"},
		{"relative origin_path", config.Origin{ID: "d", Path: filepath.Dir(file), OriginPath: "sub"}, "origin_path"},
		{"wrong kind", config.Origin{ID: "d", Kind: "http", Path: filepath.Dir(file)}, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDir(tt.cfg, Options{})
			if err == nil {
				_ = d.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"d"`) {
				t.Errorf("got %v, want an error naming origin \"d\" and %q", err, tt.want)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	tests := []struct{ name, want string }{
		{"x.ism", "text/xml"},
		{"x.ismc", "text/xml"},
		{"x.ismv", "video/mp4"},
		{"x.isma", "audio/mp4"},
		{"a.m3u8", "application/vnd.apple.mpegurl"},
		{"a.mpd", "application/dash+xml"},
		{"seg.m4s", "video/iso.segment"},
		{"a.mp4", "video/mp4"},
		{"A.MP4", "video/mp4"},
		{"a.ts", "video/mp2t"},
		{"a.webm", "video/webm"},
		{"a.json", "application/json"},
		{"a.js", "text/javascript; charset=utf-8"},
		{"a.css", "text/css; charset=utf-8"},
		{"a.svg", "image/svg+xml"},
		{"a.wasm", "application/wasm"},
		{"index.html", "text/html; charset=utf-8"},
		{"noext", "application/octet-stream"},
		{"a.zzzunknown", "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := contentType(tt.name); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
