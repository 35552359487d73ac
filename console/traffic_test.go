package console

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// edgeMetrics are the edge's traffic collectors as edge/metrics.go declares them (names,
// labels, buckets), on a registry of the test's: the fake gatherer.
type edgeMetrics struct {
	requests *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newEdgeMetrics(reg *prometheus.Registry) *edgeMetrics {
	m := &edgeMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_requests_total", Help: "h"},
			[]string{"distribution", "result", "protocol"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_response_body_bytes_total", Help: "h"},
			[]string{"distribution"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "edge_request_duration_seconds", Help: "h",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"distribution"}),
	}
	reg.MustRegister(m.requests, m.bytes, m.duration,
		prometheus.NewCounter(prometheus.CounterOpts{Name: "edge_other_total", Help: "not the console's"}))
	return m
}

// TestRingSampling: one point per sample a second apart, rates from the counters' deltas
// (protocols summed), p50 and p99 from the histogram's bucket deltas, the ring capped at 300,
// quick samples updating the totals only, and a reset counter counting from zero.
func TestRingSampling(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newEdgeMetrics(reg)
	tr := newTraffic(reg, &fakeCache{})
	t0 := time.Unix(1_700_000_000, 0)
	if err := tr.sample(t0); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 310; i++ {
		m.requests.WithLabelValues("E1", "Hit", "HTTP/1.1").Add(3)
		m.requests.WithLabelValues("E1", "Hit", "HTTP/2.0").Add(1)
		m.requests.WithLabelValues("E1", "Miss", "HTTP/1.1").Add(1)
		m.requests.WithLabelValues("E1", "Error", "HTTP/1.1").Add(float64(i % 2))
		m.bytes.WithLabelValues("E1").Add(1000)
		for range 98 {
			m.duration.WithLabelValues("E1").Observe(0.0002) // in (0.0001, 0.00025]
		}
		m.duration.WithLabelValues("E1").Observe(0.02) // in (0.01, 0.025]
		m.duration.WithLabelValues("E1").Observe(40)   // past the last bound
		if err := tr.sample(t0.Add(time.Duration(i) * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	f := tr.figures("E1", 0)
	if !f.has || len(f.points) != ringSize {
		t.Fatalf("%d points, want %d", len(f.points), ringSize)
	}
	if f.points[0].seq != 11 || f.points[ringSize-1].seq != 310 || !f.points[ringSize-1].t.Equal(t0.Add(310*time.Second)) {
		t.Errorf("points %d..%d, want 11..310 (the oldest dropped)", f.points[0].seq, f.points[ringSize-1].seq)
	}
	last := f.points[ringSize-1] // i = 310: no Error this second
	if last.rps[0] != 4 || last.rps[2] != 1 || last.rps[3] != 0 || f.points[ringSize-2].rps[3] != 1 || last.bytes != 1000 {
		t.Errorf("rates: %v bytes %v", last.rps, last.bytes)
	}
	if last.hitRatio != 0.8 {
		t.Errorf("hit ratio %v, want 0.8 (errors are not cacheable requests)", last.hitRatio)
	}
	// p50: rank 50 of 100, all of the first 98 in (0.0001, 0.00025]: 0.0001 + 0.00015×50/98.
	if want := 0.0001 + 0.00015*50/98; math.Abs(last.p50-want) > 1e-12 {
		t.Errorf("p50 %v, want %v", last.p50, want)
	}
	// p99: rank 99, the one in (0.01, 0.025].
	if want := 0.01 + 0.015*(99-98); math.Abs(last.p99-want) > 1e-12 {
		t.Errorf("p99 %v, want %v", last.p99, want)
	}
	if f.totals.requests[0] != 4*310 || f.totals.bytes != 310*1000 {
		t.Errorf("totals: %v requests, %v bytes", f.totals.requests, f.totals.bytes)
	}
	if got := tr.figures("E1", 305).points; len(got) != 5 || got[0].seq != 306 {
		t.Errorf("since 305: %d points", len(got))
	}

	// A sample 100 ms after the last point: totals move, no point.
	m.requests.WithLabelValues("E1", "Hit", "HTTP/1.1").Add(10)
	tr.sample(t0.Add(310*time.Second + 100*time.Millisecond))
	if f := tr.figures("E1", 0); len(f.points) != ringSize || f.points[ringSize-1].seq != 310 || f.totals.requests[0] != 4*310+10 {
		t.Errorf("quick sample: last point %d, Hit total %v", f.points[ringSize-1].seq, f.totals.requests[0])
	}
	// The next point spans from the last one: 10 hits over 1 s.
	tr.sample(t0.Add(311 * time.Second))
	if p, _ := tr.dists["E1"].ring.last(); p.rps[0] != 10 || p.hitRatio != 1 {
		t.Errorf("after the quick sample: %v", p.rps)
	}

	// A counter that went down (a new registry behind the same console) counts from zero, and
	// a second without requests has no ratio nor latency.
	reg2 := prometheus.NewRegistry()
	m2 := newEdgeMetrics(reg2)
	m2.requests.WithLabelValues("E1", "Hit", "HTTP/1.1").Add(2)
	m2.duration.WithLabelValues("E1")
	tr.g = reg2
	tr.sample(t0.Add(312 * time.Second))
	p, _ := tr.dists["E1"].ring.last()
	if p.rps[0] != 2 {
		t.Errorf("after a reset: %v Hit/s, want 2", p.rps[0])
	}
	tr.sample(t0.Add(313 * time.Second))
	if p, _ := tr.dists["E1"].ring.last(); p.rps[0] != 0 || !math.IsNaN(p.hitRatio) || !math.IsNaN(p.p50) || !math.IsNaN(p.p99) {
		t.Errorf("an idle second: %+v", p)
	}
	if f := tr.figures("ENONE", 0); f.has || len(f.points) != 0 || !math.IsNaN(f.now.hitRatio) {
		t.Errorf("an unknown distribution: %+v", f)
	}
}

// TestNoMetrics: without a registry the console samples the cache only.
func TestNoMetrics(t *testing.T) {
	tr := newTraffic(nil, &fakeCache{hot: nil})
	if err := tr.sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(tr.dists) != 0 {
		t.Errorf("figures without a registry: %v", tr.dists)
	}
}

// TestQuantile: histogram_quantile's interpolation.
func TestQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4}
	for _, tt := range []struct {
		q    float64
		cum  []float64
		n    float64
		want float64
	}{
		{0.5, []float64{0, 10, 10}, 10, 1.5},  // all in (1, 2]
		{0.5, []float64{10, 10, 10}, 10, 0.5}, // all in (0, 1]
		{0.99, []float64{5, 5, 5}, 10, 4},     // in +Inf: the highest bound
		{0.25, []float64{0, 0, 4}, 4, 2.5},
		{0.5, []float64{0, 0, 0}, 0, math.NaN()},
	} {
		got := quantile(tt.q, bounds, tt.cum, tt.n)
		if !(got == tt.want || math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("quantile(%v, %v, %v) = %v, want %v", tt.q, tt.cum, tt.n, got, tt.want)
		}
	}
}
