package origin_test

// The conformance suite, in the spirit of go-cloud's drivertest: one set of cases that every
// kind of origin (dir, http, s3) must pass, through the Fetcher interface only. Kind-specific
// behaviour (traversal, signing, retries, framing) stays in the per-kind tests.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/internal/s3server"
	"github.com/cfedge/edge/origin"
)

// lastModifiedUnix is the modification time of every object an origin kind serves in the
// suite (2024-01-02T03:04:05Z): whole seconds, so that Last-Modified (second precision) names
// it exactly, and in the past, so that servers honour If-Modified-Since with it.
const lastModifiedUnix = 1704164645

func lastModified() time.Time { return time.Unix(lastModifiedUnix, 0).UTC() }

// originKind is one kind of origin under the suite.
type originKind struct {
	name string
	// serve makes an origin holding objects (key → body, every object last modified at
	// lastModified()) and returns a Fetcher for it.
	serve func(t *testing.T, objects map[string][]byte) origin.Fetcher
	// forbidden returns a Fetcher and a path that its origin refuses with 403.
	forbidden func(t *testing.T) (origin.Fetcher, string)
	// silent returns a Fetcher, with a 1 s read timeout and one connection attempt, for an
	// origin that accepts connections and never answers; nil for kinds without a network.
	silent func(t *testing.T) origin.Fetcher
	// refusesEncodedSlash: the kind answers 400 to a path with %2F (a folder cannot be
	// crossed by an escaped slash) where S3 decodes it to a "/" of the key.
	refusesEncodedSlash bool
}

// silentReadTimeout is the read timeout of the silent origins.
const silentReadTimeout = time.Second

func TestConformance(t *testing.T) {
	kinds := []originKind{
		{
			name: "dir",
			serve: func(t *testing.T, objects map[string][]byte) origin.Fetcher {
				root := t.TempDir()
				for key, body := range objects {
					writeObjectFile(t, filepath.Join(root, filepath.FromSlash(key)), body)
				}
				return newFetcher(t, config.Origin{ID: "site", Kind: config.KindDir, Path: root})
			},
			forbidden: func(t *testing.T) (origin.Fetcher, string) {
				// A write-only sysctl: opening it for reading is refused (EACCES) even to root,
				// as sysctl permissions ignore CAP_DAC_OVERRIDE.
				return newFetcher(t, config.Origin{ID: "sysctl", Kind: config.KindDir, Path: "/proc/sys/vm"}), "/drop_caches"
			},
			refusesEncodedSlash: true,
		},
		{
			name: "http",
			serve: func(t *testing.T, objects map[string][]byte) origin.Fetcher {
				srv := httptest.NewServer(objectHandler(objects))
				t.Cleanup(srv.Close)
				return newFetcher(t, httpOrigin(t, srv.Listener.Addr().String()))
			},
			forbidden: func(t *testing.T) (origin.Fetcher, string) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "Forbidden", http.StatusForbidden)
				}))
				t.Cleanup(srv.Close)
				return newFetcher(t, httpOrigin(t, srv.Listener.Addr().String())), "/digits.txt"
			},
			silent: func(t *testing.T) origin.Fetcher {
				return newFetcher(t, httpOrigin(t, silentServer(t)))
			},
		},
		{
			name: "s3",
			serve: func(t *testing.T, objects map[string][]byte) origin.Fetcher {
				srv := s3server.Start(t)
				srv.CreateBucket("conformance")
				for key, body := range objects {
					srv.Put("conformance", key, body)
					// The posix back end keeps each object as a file, its mtime the object's.
					p := filepath.Join(srv.Dir, "conformance", filepath.FromSlash(key))
					if err := os.Chtimes(p, lastModified(), lastModified()); err != nil {
						t.Fatal(err)
					}
				}
				return newFetcher(t, s3Origin(srv.Endpoint, "conformance", srv))
			},
			forbidden: func(t *testing.T) (origin.Fetcher, string) {
				srv := s3server.Start(t)
				srv.CreateBucket("private")
				srv.Put("private", "digits.txt", []byte("0123456789"))
				// Unsigned requests to a private bucket: S3's 403 AccessDenied.
				return newFetcher(t, s3Origin(srv.Endpoint, "private", nil)), "/digits.txt"
			},
			silent: func(t *testing.T) origin.Fetcher {
				return newFetcher(t, s3Origin("http://"+silentServer(t), "conformance", nil))
			},
		},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { runConformance(t, k) })
	}
}

// httpOrigin is an http origin config for a server at addr, one attempt, 1 s timeouts.
func httpOrigin(t *testing.T, addr string) config.Origin {
	t.Helper()
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return config.Origin{
		ID:                     "web",
		Kind:                   config.KindHTTP,
		DomainName:             tcp.IP.String(),
		HTTPPort:               tcp.Port,
		ConnectionAttempts:     1,
		ConnectionTimeout:      config.Duration(time.Second),
		OriginReadTimeout:      config.Duration(silentReadTimeout),
		OriginKeepaliveTimeout: config.Duration(5 * time.Second),
	}
}

// s3Origin is an s3 origin config for bucket at endpoint, signed with srv's keys (anonymous
// when srv is nil), one attempt, 1 s read timeout.
func s3Origin(endpoint, bucket string, srv *s3server.Server) config.Origin {
	cfg := config.Origin{
		ID:                 "bucket",
		Kind:               config.KindS3,
		Bucket:             bucket,
		Region:             s3server.Region,
		Endpoint:           endpoint,
		Access:             "anonymous",
		ConnectionAttempts: 1,
		ConnectionTimeout:  config.Duration(time.Second),
		OriginReadTimeout:  config.Duration(silentReadTimeout),
	}
	if srv != nil {
		cfg.Access, cfg.AccessKeyID, cfg.SecretAccessKey = "sigv4", srv.AccessKey, srv.SecretKey
	}
	return cfg
}

// newFetcher builds an origin with origin.New and closes it with the test.
func newFetcher(t *testing.T, cfg config.Origin) origin.Fetcher {
	t.Helper()
	f, err := origin.New(cfg, origin.Options{})
	if err != nil {
		t.Fatalf("origin.New(%s): %v", cfg.Kind, err)
	}
	t.Cleanup(func() { _ = f.(io.Closer).Close() })
	return f
}

func writeObjectFile(t *testing.T, name string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, lastModified(), lastModified()); err != nil {
		t.Fatal(err)
	}
}

// objectHandler serves objects as a web server does: the key is the decoded path without
// its leading "/", with validators, ranges and conditional requests (net/http's ServeContent).
func objectHandler(objects map[string][]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/")
		body, ok := objects[key]
		if !ok {
			http.NotFound(w, r)
			return
		}
		sum := sha256.Sum256(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
		http.ServeContent(w, r, path.Base(key), lastModified(), bytes.NewReader(body))
	})
}

// silentServer accepts connections on 127.0.0.1 and never answers; it returns its address.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // read nothing, answer nothing
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}

// fetch sends a request and reads the whole body, failing the test on any error.
func fetch(t *testing.T, f origin.Fetcher, method, p string, header http.Header) (*origin.Response, []byte) {
	t.Helper()
	resp, err := f.Fetch(context.Background(), &origin.Request{Method: method, Path: p, Header: header})
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, p, err)
	}
	return resp, body
}

// bigSize is the size of the large object: streamed, it must not be held in memory.
const bigSize = 64 << 20

// runConformance runs every case against the origin kind k.
func runConformance(t *testing.T, k originKind) {
	big := make([]byte, bigSize)
	_, _ = rand.NewChaCha8([32]byte{'e', 'd', 'g', 'e'}).Read(big)
	objects := map[string][]byte{
		"digits.txt":            []byte("0123456789"),
		"a b.txt":               []byte("a space"),
		"a+b.txt":               []byte("a plus"),
		"ünï/cødé.txt":          []byte("unicode"),
		"100%.txt":              []byte("a percent sign"),
		"x/y":                   []byte("x then y"),
		"(a)!*'$&,;=@[] ~.txt":  []byte("sub-delims"),
		"deep/er/key.bin":       []byte("deep"),
		"big.bin":               big,
		"content/type/page.txt": []byte("plain text"),
	}
	f := k.serve(t, objects)

	t.Run("keys", func(t *testing.T) { conformKeys(t, k, f, objects) })
	t.Run("ranges", func(t *testing.T) { conformRanges(t, f) })
	t.Run("conditionals", func(t *testing.T) { conformConditionals(t, f) })
	t.Run("not found", func(t *testing.T) { conformNotFound(t, f, objects) })
	t.Run("forbidden", func(t *testing.T) {
		ff, p := k.forbidden(t)
		if resp, _ := fetch(t, ff, http.MethodGet, p, nil); resp.Status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", p, resp.Status)
		}
	})
	t.Run("head", func(t *testing.T) { conformHead(t, f) })
	t.Run("large object", func(t *testing.T) { conformLarge(t, f, big) })
	t.Run("timeouts", func(t *testing.T) { conformTimeouts(t, k, f) })
}

// conformKeys: keys with characters that need escaping reach the object they name.
func conformKeys(t *testing.T, k originKind, f origin.Fetcher, objects map[string][]byte) {
	tests := []struct {
		name, path, key string
	}{
		{"space", "/a%20b.txt", "a b.txt"},
		{"plus as sent", "/a+b.txt", "a+b.txt"},
		{"plus escaped", "/a%2Bb.txt", "a+b.txt"},
		{"unicode escaped", "/%C3%BCn%C3%AF/c%C3%B8d%C3%A9.txt", "ünï/cødé.txt"},
		{"unicode raw", "/ünï/cødé.txt", "ünï/cødé.txt"},
		{"percent", "/100%25.txt", "100%.txt"},
		{"sub-delims", "/(a)!*'$&,;=@[]%20~.txt", "(a)!*'$&,;=@[] ~.txt"},
		{"nested", "/deep/er/key.bin", "deep/er/key.bin"},
		{"plain slash", "/x/y", "x/y"},
		{"encoded slash", "/x%2Fy", "x/y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, f, http.MethodGet, tt.path, nil)
			if tt.key == "x/y" && strings.Contains(tt.path, "%2F") && k.refusesEncodedSlash {
				if resp.Status != http.StatusBadRequest {
					t.Errorf("GET %s: %d %q, want 400 (this kind refuses escaped slashes)", tt.path, resp.Status, body)
				}
				return
			}
			want := objects[tt.key]
			if resp.Status != http.StatusOK || !bytes.Equal(body, want) {
				t.Fatalf("GET %s: %d %q, want 200 %q", tt.path, resp.Status, body, want)
			}
			if resp.ContentLength != int64(len(want)) {
				t.Errorf("ContentLength %d, want %d", resp.ContentLength, len(want))
			}
		})
	}
}

// conformRanges: a single range, a suffix range and an unsatisfiable one.
func conformRanges(t *testing.T, f origin.Fetcher) {
	tests := []struct {
		name, rng    string
		status       int
		body         string
		contentRange string
	}{
		{"single", "bytes=2-5", http.StatusPartialContent, "2345", "bytes 2-5/10"},
		{"suffix", "bytes=-3", http.StatusPartialContent, "789", "bytes 7-9/10"},
		{"open-ended", "bytes=8-", http.StatusPartialContent, "89", "bytes 8-9/10"},
		{"unsatisfiable", "bytes=10-", http.StatusRequestedRangeNotSatisfiable, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, f, http.MethodGet, "/digits.txt", http.Header{"Range": {tt.rng}})
			if resp.Status != tt.status {
				t.Fatalf("Range %s: %d %q, want %d", tt.rng, resp.Status, body, tt.status)
			}
			if tt.status != http.StatusPartialContent {
				if bytes.Contains(body, []byte("0123456789")) {
					t.Errorf("Range %s: 416 with the object's body", tt.rng)
				}
				return
			}
			if string(body) != tt.body || resp.ContentLength != int64(len(tt.body)) {
				t.Errorf("Range %s: body %q (ContentLength %d), want %q", tt.rng, body, resp.ContentLength, tt.body)
			}
			if got := resp.Header.Get("Content-Range"); got != tt.contentRange {
				t.Errorf("Range %s: Content-Range %q, want %q", tt.rng, got, tt.contentRange)
			}
		})
	}
}

// conformConditionals: If-None-Match and If-Modified-Since with the object's validators give
// 304 without a body; with other values, the object.
func conformConditionals(t *testing.T, f origin.Fetcher) {
	resp, _ := fetch(t, f, http.MethodGet, "/digits.txt", nil)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm != lastModified().Format(http.TimeFormat) {
		t.Fatalf("validators: ETag %q, Last-Modified %q; want an ETag and %s", etag, lm, lastModified().Format(http.TimeFormat))
	}
	earlier := lastModified().Add(-time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name   string
		header http.Header
		status int
	}{
		{"If-None-Match the ETag", http.Header{"If-None-Match": {etag}}, http.StatusNotModified},
		{"If-None-Match another ETag", http.Header{"If-None-Match": {`"other"`}}, http.StatusOK},
		{"If-Modified-Since Last-Modified", http.Header{"If-Modified-Since": {lm}}, http.StatusNotModified},
		{"If-Modified-Since an hour earlier", http.Header{"If-Modified-Since": {earlier}}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, f, http.MethodGet, "/digits.txt", tt.header)
			if resp.Status != tt.status {
				t.Fatalf("%v: %d, want %d", tt.header, resp.Status, tt.status)
			}
			want := "0123456789"
			if tt.status == http.StatusNotModified {
				want = "" // (versitygw's 304 has no ETag, so none is asked for)
			}
			if string(body) != want {
				t.Errorf("%v: body %q, want %q", tt.header, body, want)
			}
		})
	}
}

// conformNotFound: a missing key is a 404 answer (not an error), for GET and HEAD.
func conformNotFound(t *testing.T, f origin.Fetcher, objects map[string][]byte) {
	resp, body := fetch(t, f, http.MethodGet, "/missing.txt", nil)
	if resp.Status != http.StatusNotFound {
		t.Errorf("GET missing: %d, want 404", resp.Status)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != int64(len(body)) {
		t.Errorf("GET missing: ContentLength %d for a %d-byte body", resp.ContentLength, len(body))
	}
	for key, obj := range objects {
		if len(obj) > 0 && len(obj) < 100 && bytes.Contains(body, obj) {
			t.Errorf("GET missing: the body holds object %q", key)
		}
	}
	resp, body = fetch(t, f, http.MethodHead, "/missing.txt", nil)
	if resp.Status != http.StatusNotFound || len(body) != 0 {
		t.Errorf("HEAD missing: %d with %d body bytes, want 404 and no body", resp.Status, len(body))
	}
}

// conformHead: HEAD answers GET's status and headers without the body.
func conformHead(t *testing.T, f origin.Fetcher) {
	get, _ := fetch(t, f, http.MethodGet, "/content/type/page.txt", nil)
	resp, body := fetch(t, f, http.MethodHead, "/content/type/page.txt", nil)
	if resp.Status != http.StatusOK || len(body) != 0 {
		t.Fatalf("HEAD: %d with %d body bytes, want 200 and no body", resp.Status, len(body))
	}
	if resp.ContentLength != int64(len("plain text")) || resp.Header.Get("Content-Length") != "10" {
		t.Errorf("HEAD: ContentLength %d, Content-Length %q; want the GET's 10", resp.ContentLength, resp.Header.Get("Content-Length"))
	}
	for _, h := range []string{"ETag", "Last-Modified", "Content-Type"} {
		if got, want := resp.Header.Get(h), get.Header.Get(h); got != want || got == "" {
			t.Errorf("HEAD %s %q, want the GET's %q", h, got, want)
		}
	}
}

// conformLarge streams the large object: every byte, in order (SHA-256), without the heap
// growing by more than a quarter of its size.
func conformLarge(t *testing.T, f origin.Fetcher, big []byte) {
	want := sha256.Sum256(big)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	resp, err := f.Fetch(context.Background(), &origin.Request{Method: http.MethodGet, Path: "/big.bin"})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Status != http.StatusOK || resp.ContentLength != bigSize {
		t.Fatalf("GET big: %d, ContentLength %d; want 200, %d", resp.Status, resp.ContentLength, bigSize)
	}
	h := sha256.New()
	var total int64
	var peak uint64
	buf := make([]byte, 64<<10)
	for next := int64(0); ; {
		n, err := resp.Body.Read(buf)
		h.Write(buf[:n])
		total += int64(n)
		if total >= next {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			next += 8 << 20
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read after %d bytes: %v", total, err)
		}
	}
	if total != bigSize || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("read %d bytes, SHA-256 %x; want %d bytes, %x", total, h.Sum(nil), bigSize, want)
	}
	if grow := int64(peak) - int64(base); grow > bigSize/4 {
		t.Errorf("heap in use grew by %d MiB while streaming %d MiB, want < %d MiB", grow>>20, bigSize>>20, bigSize>>22)
	}
}

// conformTimeouts: a Fetch whose context has ended returns the context's error; an origin that
// never answers is an *Error of kind OriginReadError after the read timeout, and a context
// ending first wins over it.
func conformTimeouts(t *testing.T, k originKind, f origin.Fetcher) {
	t.Run("context already ended", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		resp, err := f.Fetch(ctx, &origin.Request{Method: http.MethodGet, Path: "/digits.txt"})
		if resp != nil {
			resp.Body.Close()
		}
		var oe *origin.Error
		if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &oe) {
			t.Errorf("got %v, want context.DeadlineExceeded and no *origin.Error", err)
		}
	})
	if k.silent == nil {
		return // no network: nothing can be silent
	}
	silent := k.silent(t)
	t.Run("silent origin", func(t *testing.T) {
		start := time.Now()
		_, err := silent.Fetch(context.Background(), &origin.Request{Method: http.MethodGet, Path: "/digits.txt"})
		elapsed := time.Since(start)
		var oe *origin.Error
		if !errors.As(err, &oe) || oe.Kind != origin.KindTimeout || oe.Kind.String() != "OriginReadError" || oe.Attempts != 1 {
			t.Fatalf("got %v, want an *origin.Error OriginReadError after 1 attempt", err)
		}
		if elapsed < silentReadTimeout-100*time.Millisecond || elapsed > silentReadTimeout+3*time.Second {
			t.Errorf("took %v, want about the %v read timeout", elapsed, silentReadTimeout)
		}
	})
	t.Run("context ends while the origin is silent", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := silent.Fetch(ctx, &origin.Request{Method: http.MethodGet, Path: "/digits.txt"})
		var oe *origin.Error
		if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &oe) {
			t.Errorf("got %v, want context.DeadlineExceeded and no *origin.Error", err)
		}
		if d := time.Since(start); d > silentReadTimeout/2 {
			t.Errorf("Fetch returned after %v, want soon after the context ended", d)
		}
	})
}
