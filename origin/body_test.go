package origin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/internal/s3server"
)

// Request body streaming (Request.BodyStream) over real sockets. The helpers are this file's
// own (prefixed "body") so that it does not depend on the other test files.

// bodyOriginConfig is an http origin config for a server at addr with short timeouts.
func bodyOriginConfig(t *testing.T, addr string, attempts int) config.Origin {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return config.Origin{
		ID:                 "up",
		Kind:               config.KindHTTP,
		DomainName:         host,
		HTTPPort:           n,
		ConnectionAttempts: attempts,
		ConnectionTimeout:  config.Duration(2 * time.Second),
		OriginReadTimeout:  config.Duration(10 * time.Second),
	}
}

// bodyHTTP builds an http origin, closed with the test.
func bodyHTTP(t *testing.T, cfg config.Origin) *HTTP {
	t.Helper()
	h, err := NewHTTP(cfg, Options{})
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// bodyEcho is a test origin that hashes the request body as it arrives and answers with
// "sha256 length framing", framing being "chunked" or "length".
func bodyEcho(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		framing := "length"
		if len(r.TransferEncoding) > 0 {
			framing = strings.Join(r.TransferEncoding, ",")
		}
		if r.ContentLength >= 0 && r.ContentLength != n {
			framing = "bad-length"
		}
		fmt.Fprintf(w, "%s %d %s", hex.EncodeToString(h.Sum(nil)), n, framing)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// patternReader yields n deterministic pseudo-random bytes without holding them, calling
// every (if set) after each MiB.
type patternReader struct {
	left  int64
	state uint64
	done  int64
	every func()
	reads atomic.Int32
}

func newPatternReader(n int64) *patternReader {
	return &patternReader{left: n, state: 0x9e3779b97f4a7c15}
}

func (r *patternReader) Read(p []byte) (int, error) {
	r.reads.Add(1)
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	for i := range p {
		r.state ^= r.state << 13
		r.state ^= r.state >> 7
		r.state ^= r.state << 17
		p[i] = byte(r.state)
	}
	before := r.done >> 20
	r.left -= int64(len(p))
	r.done += int64(len(p))
	if r.every != nil && r.done>>20 != before {
		r.every()
	}
	return len(p), nil
}

// onlyReader hides every method of a reader but Read (so fasthttp cannot use WriteTo).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// sha256Of returns the hex SHA-256 and length of what r yields.
func sha256Of(t *testing.T, r io.Reader) (string, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

// TestBodyStreamLarge streams 64 MiB through the http kind to a 127.0.0.1 server: it arrives
// whole (same SHA-256, Content-Length framing) while the heap never grows by more than
// 16 MiB. Not parallel: the heap is measured.
func TestBodyStreamLarge(t *testing.T) {
	const size = 64 << 20
	const maxGrowth = 16 << 20
	want, _ := sha256Of(t, newPatternReader(size))
	srv := bodyEcho(t)
	h := bodyHTTP(t, bodyOriginConfig(t, srv.Listener.Addr().String(), 1))

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	src := newPatternReader(size)
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	src.every = sample
	resp, got := bodyFetch(t, h, &Request{Method: "PUT", Path: "/big", BodyStream: src, ContentLength: size})
	sample()
	growth := int64(peak) - int64(base)
	t.Logf("64 MiB upload: heap %d KiB before, peak %d KiB, growth %d KiB", base>>10, peak>>10, growth>>10)
	if resp.Status != 200 || got != fmt.Sprintf("%s %d length", want, size) {
		t.Fatalf("origin received %d %q, want 200 %q", resp.Status, got, fmt.Sprintf("%s %d length", want, size))
	}
	if growth > maxGrowth {
		t.Errorf("heap grew by %d KiB during a 64 MiB upload, want < %d KiB: the body was buffered", growth>>10, maxGrowth>>10)
	}
}

// bodyFetch fetches and reads the whole body as a string.
func bodyFetch(t *testing.T, f Fetcher, req *Request) (*Response, string) {
	t.Helper()
	resp, err := f.Fetch(context.Background(), req)
	if err != nil {
		t.Fatalf("Fetch %s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// TestBodyStreamFraming checks the framing of streamed bodies: unknown length goes chunked,
// a known length (0 included) with Content-Length, a stream longer than ContentLength is cut
// at it, and GET sends no body; the connection is reused after each.
func TestBodyStreamFraming(t *testing.T) {
	t.Parallel()
	srv := bodyEcho(t)
	h := bodyHTTP(t, bodyOriginConfig(t, srv.Listener.Addr().String(), 1))
	data := bytes.Repeat([]byte("0123456789abcdef"), 70_001) // 1,120,016 bytes, not a chunk multiple
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	tests := []struct {
		name   string
		method string
		body   io.Reader
		length int64
		want   string
	}{
		{"unknown length", "POST", onlyReader{bytes.NewReader(data)}, -1, fmt.Sprintf("%s %d chunked", sum(data), len(data))},
		{"known length", "POST", onlyReader{bytes.NewReader(data)}, int64(len(data)), fmt.Sprintf("%s %d length", sum(data), len(data))},
		{"longer stream cut at ContentLength", "PUT", onlyReader{bytes.NewReader(data)}, 10, fmt.Sprintf("%s 10 length", sum(data[:10]))},
		{"empty known length", "POST", onlyReader{strings.NewReader("never read")}, 0, fmt.Sprintf("%s 0 length", sum(nil))},
		{"empty unknown length", "POST", onlyReader{strings.NewReader("")}, -1, fmt.Sprintf("%s 0 chunked", sum(nil))},
		{"GET sends no body", "GET", onlyReader{strings.NewReader("not sent")}, -1, fmt.Sprintf("%s 0 length", sum(nil))},
	}
	for _, tt := range tests {
		resp, got := bodyFetch(t, h, &Request{Method: tt.method, Path: "/echo", BodyStream: tt.body, ContentLength: tt.length})
		if resp.Status != 200 || got != tt.want {
			t.Errorf("%s: origin received %d %q, want %q", tt.name, resp.Status, got, tt.want)
		}
	}
	if n := h.plain.client.ConnsCount(); n != 1 {
		t.Errorf("%d connections open after %d sequential requests, want 1 (kept alive)", n, len(tests))
	}
}

// failingReader yields some bytes, then fails with err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestBodyStreamFailure checks that a body stream that fails or ends before ContentLength
// fails the Fetch with ErrRequestBody (not an origin *Error), on one attempt.
func TestBodyStreamFailure(t *testing.T) {
	t.Parallel()
	srv := bodyEcho(t)
	h := bodyHTTP(t, bodyOriginConfig(t, srv.Listener.Addr().String(), 3))
	viewerGone := errors.New("viewer went away")
	tests := []struct {
		name   string
		body   io.Reader
		length int64
		want   error
	}{
		{"stream error, unknown length", &failingReader{data: make([]byte, 100_000), err: viewerGone}, -1, viewerGone},
		{"stream error, known length", &failingReader{data: make([]byte, 100_000), err: viewerGone}, 200_000, viewerGone},
		{"short stream", strings.NewReader("only 18 bytes ...."), 1000, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		_, err := h.Fetch(context.Background(), &Request{Method: "POST", Path: "/echo", BodyStream: tt.body, ContentLength: tt.length})
		var oe *Error
		if !errors.Is(err, ErrRequestBody) || !errors.Is(err, tt.want) || errors.As(err, &oe) {
			t.Errorf("%s: err %v, want one wrapping ErrRequestBody and %v, not an *Error", tt.name, err, tt.want)
		}
	}
	_, err := h.Fetch(context.Background(), &Request{Method: "POST", Path: "/", Body: []byte("x"), BodyStream: strings.NewReader("y")})
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("Body and BodyStream: err %v, want a refusal", err)
	}
}

// TestBodyStreamConnectRetry checks that connect failures are retried with a body stream that
// was never read, and that a group fails over with it to a secondary that gets it whole.
func TestBodyStreamConnectRetry(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	_ = ln.Close()

	src := newPatternReader(1 << 20)
	_, err = bodyHTTP(t, bodyOriginConfig(t, dead, 3)).Fetch(context.Background(),
		&Request{Method: "POST", Path: "/", BodyStream: src, ContentLength: -1})
	var oe *Error
	if !errors.As(err, &oe) || oe.Kind != KindConnect || oe.Attempts != 3 {
		t.Fatalf("refused origin: err %v, want an OriginConnectError after 3 attempts", err)
	}
	if n := src.reads.Load(); n != 0 {
		t.Errorf("body stream read %d times by attempts that never connected, want 0", n)
	}

	srv := bodyEcho(t)
	g := NewGroup("g", bodyHTTP(t, bodyOriginConfig(t, dead, 1)),
		bodyHTTP(t, bodyOriginConfig(t, srv.Listener.Addr().String(), 1)), []int{503}, Options{})
	want, _ := sha256Of(t, newPatternReader(1<<20))
	resp, got := bodyFetch(t, g, &Request{Method: "OPTIONS", Path: "/", BodyStream: newPatternReader(1 << 20), ContentLength: 1 << 20})
	if resp.Status != 200 || got != fmt.Sprintf("%s %d length", want, 1<<20) {
		t.Errorf("failover after a connect failure: %d %q, want the whole body at the secondary", resp.Status, got)
	}
}

// TestBodyStreamNoFailoverOnceRead checks that a group does not fail over (which would send
// a consumed stream again) once the primary has read the body: the primary's 503 is final.
func TestBodyStreamNoFailoverOnceRead(t *testing.T) {
	t.Parallel()
	var primaryGot atomic.Int64
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		primaryGot.Store(n)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	t.Cleanup(primary.Close)
	var secondaryHits atomic.Int32
	secondary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secondaryHits.Add(1)
	}))
	t.Cleanup(secondary.Close)
	g := NewGroup("g", bodyHTTP(t, bodyOriginConfig(t, primary.Listener.Addr().String(), 1)),
		bodyHTTP(t, bodyOriginConfig(t, secondary.Listener.Addr().String(), 1)), []int{503}, Options{})

	resp, got := bodyFetch(t, g, &Request{Method: "OPTIONS", Path: "/", BodyStream: strings.NewReader("payload"), ContentLength: 7})
	if resp.Status != 503 || !strings.Contains(got, "busy") {
		t.Errorf("OPTIONS with a consumed body stream: %d %q, want the primary's 503", resp.Status, got)
	}
	if primaryGot.Load() != 7 || secondaryHits.Load() != 0 {
		t.Errorf("primary got %d body bytes, secondary %d requests; want 7 and 0", primaryGot.Load(), secondaryHits.Load())
	}
	// Without a body stream the same request fails over.
	resp, _ = bodyFetch(t, g, &Request{Method: "OPTIONS", Path: "/"})
	if resp.Status != 200 || secondaryHits.Load() != 1 {
		t.Errorf("OPTIONS without body: %d, secondary %d requests; want 200 from the secondary", resp.Status, secondaryHits.Load())
	}
}

// TestUploadDetach checks that a detached upload never reads its stream again.
func TestUploadDetach(t *testing.T) {
	t.Parallel()
	src := newPatternReader(100)
	u := newUpload(src, -1)
	if n, err := u.Read(make([]byte, 10)); n != 10 || err != nil || !u.touched() {
		t.Fatalf("Read = %d, %v (touched %v), want 10 bytes", n, err, u.touched())
	}
	u.detach()
	if _, err := u.Read(make([]byte, 10)); !errors.Is(err, errUploadDetached) {
		t.Errorf("Read after detach: %v, want errUploadDetached", err)
	}
	if n := src.reads.Load(); n != 1 {
		t.Errorf("stream read %d times, want 1 (none after detach)", n)
	}
}

// TestS3PutStream PUTs a streamed body through the s3 kind to a real S3 server (versitygw),
// signed UNSIGNED-PAYLOAD, and reads it back whole.
func TestS3PutStream(t *testing.T) {
	t.Parallel()
	srv := s3server.Start(t)
	srv.CreateBucket("uploads")
	cfg := config.Origin{
		ID: "bucket", Kind: config.KindS3, Bucket: "uploads", Region: srv.Region, Endpoint: srv.Endpoint,
		Access: "sigv4", AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ConnectionAttempts: 1,
		ConnectionTimeout: config.Duration(2 * time.Second), OriginReadTimeout: config.Duration(10 * time.Second),
	}
	s, err := newS3(cfg, Options{}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	out, err := s.request(context.Background(), &Request{Method: "PUT", Path: "/k", BodyStream: strings.NewReader("x"), ContentLength: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h := out.Header.Get("X-Amz-Content-Sha256"); h != "UNSIGNED-PAYLOAD" || out.BodyStream == nil || out.ContentLength != 1 {
		t.Errorf("streamed PUT request: x-amz-content-sha256 %q, stream %v, length %d; want UNSIGNED-PAYLOAD, the stream, 1",
			h, out.BodyStream != nil, out.ContentLength)
	}

	const size = 5<<20 + 123
	want, _ := sha256Of(t, newPatternReader(size))
	resp, got := bodyFetch(t, s, &Request{Method: "PUT", Path: "/dir/streamed.bin", BodyStream: onlyReader{newPatternReader(size)},
		ContentLength: size, Header: http.Header{"Content-Type": {"application/octet-stream"}}})
	if resp.Status != 200 {
		t.Fatalf("streamed PUT: %d %s", resp.Status, got)
	}
	resp, err = s.Fetch(context.Background(), &Request{Method: "GET", Path: "/dir/streamed.bin"})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	gotSum, n := sha256Of(t, resp.Body)
	if resp.Status != 200 || n != size || gotSum != want {
		t.Errorf("GET after streamed PUT: %d, %d bytes, sha256 %s; want 200, %d bytes, %s", resp.Status, n, gotSum, size, want)
	}
	resp, got = bodyFetch(t, s, &Request{Method: "PUT", Path: "/chunked.bin", BodyStream: onlyReader{strings.NewReader("abc")}, ContentLength: -1})
	// S3 needs a length (as AWS documents for PutObject): S3's own answer comes back.
	if resp.Status != http.StatusLengthRequired || !strings.Contains(got, "MissingContentLength") {
		t.Errorf("PUT of unknown length: %d %q, want S3's 411 MissingContentLength", resp.Status, got)
	}
}
