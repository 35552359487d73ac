package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// startServer serves with serve on 127.0.0.1:0 until the test ends and returns its base URL.
func startServer(t testing.TB, serve func(net.Listener) error, stop func() error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go serve(ln)
	t.Cleanup(func() { stop() })
	return "http://" + ln.Addr().String()
}

func startOrigin(t testing.TB, cfg OriginConfig) (*Origin, string) {
	t.Helper()
	o, err := NewOrigin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o, startServer(t, o.Serve, o.Close)
}

func httpGet(t testing.TB, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestOrigin(t *testing.T) {
	o, base := startOrigin(t, OriginConfig{MaxSize: 1 << 20, ObjSize: 100})
	tests := []struct {
		path   string
		status int
		size   int
	}{
		{"/bytes/1024", 200, 1024},
		{"/bytes/0", 200, 0},
		{"/bytes/1048576", 200, 1 << 20},
		{"/bytes/1048577", 400, -1},
		{"/bytes/x", 400, -1},
		{"/obj/a", 200, 100},
		{"/obj/a?size=5000", 200, 5000},
		{"/obj/b?size=5000&delay=1ms", 200, 5000},
		{"/obj/b?size=-1", 400, -1},
		{"/obj/b?delay=forever", 400, -1},
		{"/obj/", 404, -1},
		{"/other", 404, -1},
	}
	var wantReqs, wantBytes int64
	for _, tc := range tests {
		resp, body := httpGet(t, base+tc.path, nil)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
			continue
		}
		if tc.size < 0 {
			continue
		}
		wantReqs++
		wantBytes += int64(tc.size)
		if len(body) != tc.size {
			t.Errorf("%s: %d bytes, want %d", tc.path, len(body), tc.size)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
			t.Errorf("%s: Cache-Control %q", tc.path, cc)
		}
		if resp.Header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", tc.path)
		}
	}
	if st := o.Stats(); st.Requests != wantReqs || st.Bytes != wantBytes {
		t.Fatalf("stats %+v, want %d requests and %d bytes", st, wantReqs, wantBytes)
	}
	_, sj := httpGet(t, base+"/_stats", nil)
	var st OriginStats
	if err := json.Unmarshal(sj, &st); err != nil || st != o.Stats() {
		t.Fatalf("/_stats %s (%v), want %+v", sj, err, o.Stats())
	}
}

func TestOriginDeterministic(t *testing.T) {
	_, base := startOrigin(t, OriginConfig{MaxSize: 1 << 16})
	_, a1 := httpGet(t, base+"/obj/a?size=4096", nil)
	_, a2 := httpGet(t, base+"/obj/a?size=4096", nil)
	_, b := httpGet(t, base+"/obj/b?size=4096", nil)
	_, short := httpGet(t, base+"/obj/a?size=100", nil)
	if !bytes.Equal(a1, a2) || !bytes.HasPrefix(a1, short) {
		t.Fatal("the same object was answered with different bytes")
	}
	if bytes.Equal(a1, b) {
		t.Fatal("objects a and b have the same bytes")
	}
	if bytes.Count(a1, a1[:1]) > len(a1)/8 {
		t.Fatal("body is not varied")
	}
	// An origin restarted with another configuration answers the same bytes.
	_, base2 := startOrigin(t, OriginConfig{MaxSize: 1 << 20, ObjSize: 7})
	if _, c := httpGet(t, base2+"/obj/a?size=4096", nil); !bytes.Equal(a1, c) {
		t.Fatal("a second origin answers other bytes")
	}
}

func TestOriginConditionalAndDelay(t *testing.T) {
	o, base := startOrigin(t, OriginConfig{Latency: 60 * time.Millisecond})
	start := time.Now()
	resp, _ := httpGet(t, base+"/obj/slow?size=10", nil)
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("answered in %v despite a 60 ms latency", d)
	}
	etag := resp.Header.Get("ETag")
	start = time.Now()
	resp, body := httpGet(t, base+"/obj/slow?size=10&delay=0s", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("conditional GET: %d with %d bytes, want 304", resp.StatusCode, len(body))
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("delay=0s still took %v", d)
	}
	start = time.Now()
	httpGet(t, base+"/bytes/10", nil)
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("/bytes/ is delayed (%v)", d)
	}
	if st := o.Stats(); st.Requests != 3 || st.Bytes != 20 {
		t.Fatalf("stats %+v, want 3 requests, 20 bytes", st)
	}
}

func TestNewOriginRejects(t *testing.T) {
	for _, cfg := range []OriginConfig{{MaxSize: -1}, {MaxSize: 1 << 31}, {MaxSize: 10, ObjSize: 11}, {Latency: -1}} {
		if _, err := NewOrigin(cfg); err == nil {
			t.Errorf("NewOrigin(%+v) accepted", cfg)
		}
	}
}

func TestCeilingMatchesOrigin(t *testing.T) {
	_, obase := startOrigin(t, OriginConfig{})
	c, err := newCeiling(1500)
	if err != nil {
		t.Fatal(err)
	}
	cbase := startServer(t, c.Serve, c.Close)
	oresp, want := httpGet(t, obase+"/bytes/1500", nil)
	for _, p := range []string{"/bytes/1500", "/anything"} {
		cresp, got := httpGet(t, cbase+p, nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("ceiling %s: %d bytes differ from the origin's /bytes/1500", p, len(got))
		}
		for _, h := range []string{"ETag", "Cache-Control", "Content-Type", "Last-Modified"} {
			if cresp.Header.Get(h) != oresp.Header.Get(h) {
				t.Errorf("%s: ceiling %q, origin %q", h, cresp.Header.Get(h), oresp.Header.Get(h))
			}
		}
	}
	if _, err := newCeiling(-1); err == nil {
		t.Fatal("negative size accepted")
	}
}
