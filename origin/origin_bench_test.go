package origin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
)

// benchBody is the object the HTTP benchmarks fetch.
var benchBody = strings.Repeat("x", 16<<10)

func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "16384")
		_, _ = io.WriteString(w, benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHTTPFetch is one origin miss: fetch a 16 KiB object over a kept-alive
// connection and read it. Compare with BenchmarkHTTPFetchNetHTTP (same server, net/http).
func BenchmarkHTTPFetch(b *testing.B) {
	srv := benchServer(b)
	h, err := NewHTTP(originConfig(b, srv.Listener.Addr().String()), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	req := &Request{Method: "GET", Path: "/obj", Header: http.Header{"User-Agent": {"Amazon CloudFront"}}}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		resp, err := h.Fetch(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
	}
}

// BenchmarkHTTPFetchNetHTTP is the reference for BenchmarkHTTPFetch: net/http's client.
func BenchmarkHTTPFetchNetHTTP(b *testing.B) {
	srv := benchServer(b)
	client := srv.Client()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		req, _ := http.NewRequest("GET", srv.URL+"/obj", nil)
		req.Header.Set("User-Agent", "Amazon CloudFront")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
	}
}

// BenchmarkDirFetch serves a small file from a dir origin and reads it.
func BenchmarkDirFetch(b *testing.B) {
	_, www := dirFixture(b)
	d, err := NewDir(config.Origin{ID: "bench", Path: www}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	req := &Request{Method: "GET", Path: "/a/file.txt"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := d.Fetch(ctx, req)
		if err != nil || resp.Status != 200 {
			b.Fatal(resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

// BenchmarkParseRange parses the Range of a Smooth fragment read.
func BenchmarkParseRange(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, res := parseRange("bytes=1048576-2097151", 1<<30); res != rangeOK {
			b.Fatal(res)
		}
	}
}
