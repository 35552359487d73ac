package edge

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/cfedge/edge/accesslog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// syncBuffer is a bytes.Buffer safe for the access log's writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAccessLogAndMetrics: each viewer request is one CloudFront-format log line whose
// x-edge-request-id is the X-Amz-Cf-Id the viewer saw, and is counted by result.
func TestAccessLogAndMetrics(t *testing.T) {
	o := newTestOrigin(t)
	o.static("/a.txt", 200, map[string]string{"Content-Type": "text/plain"}, "hello")
	var out syncBuffer
	alog, err := accesslog.New(accesslog.Config{W: &out})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := startEdgeWith(t, baseConfig(""), o.port(), func(c *Config) { c.AccessLog, c.Metrics = alog, reg })
	r1, _ := e.do(t, "GET", "/a.txt?x=1", map[string]string{"User-Agent": "test agent/1.0", "Referer": "http://ref.example/"})
	r2, _ := e.get(t, "/a.txt")
	r3, _ := e.do(t, "POST", "/a.txt", nil)
	if err := alog.Close(); err != nil {
		t.Fatal(err)
	}
	var lines []map[string]string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		f, err := accesslog.ParseLine(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		lines = append(lines, f)
	}
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 3:\n%s", len(lines), out.String())
	}
	want := []struct {
		resp                   string
		result, detail, status string
		stem, query            string
	}{
		{r1.Header.Get("X-Amz-Cf-Id"), "Miss", "Miss", "200", "/a.txt", "x=1"},
		{r2.Header.Get("X-Amz-Cf-Id"), "Hit", "Hit", "200", "/a.txt", "-"},
		{r3.Header.Get("X-Amz-Cf-Id"), "Error", "InvalidRequestMethod", "403", "/a.txt", "-"},
	}
	for i, w := range want {
		l := lines[i]
		got := []string{l["x-edge-request-id"], l["x-edge-result-type"], l["x-edge-detailed-result-type"], l["sc-status"], l["cs-uri-stem"], l["cs-uri-query"]}
		exp := []string{w.resp, w.result, w.detail, w.status, w.stem, w.query}
		for j := range got {
			if got[j] != exp[j] {
				t.Errorf("line %d field %d: %q, want %q", i, j, got[j], exp[j])
			}
		}
		if l["c-ip"] != "127.0.0.1" || l["cs(Host)"] != "dtest0000000001.cloudfront.net" || l["x-edge-location"] != "TST1-C1" {
			t.Errorf("line %d: c-ip %q host %q location %q", i, l["c-ip"], l["cs(Host)"], l["x-edge-location"])
		}
	}
	if ua, _ := accesslog.Decode(lines[0]["cs(User-Agent)"]); ua != "test agent/1.0" {
		t.Errorf("User-Agent logged as %q", lines[0]["cs(User-Agent)"])
	}
	for result, n := range map[string]float64{"Miss": 1, "Hit": 1, "Error": 1, "RefreshHit": 0} {
		got := testutil.ToFloat64(e.srv.snap.Load().dists[0].metrics.results[protoH1][resultIndex(result)])
		if got != n {
			t.Errorf("edge_requests_total{result=%q} = %v, want %v", result, got, n)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "edge_requests_total", "edge_cache_bytes", "edge_request_duration_seconds"); err != nil || n < 3 {
		t.Errorf("gathered %d series, err %v", n, err)
	}
}

func resultIndex(name string) int {
	for i, n := range resultNames {
		if n == name {
			return i
		}
	}
	return -1
}
