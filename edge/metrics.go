package edge

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Results counted per distribution, by X-Cache.
const (
	resultHit = iota
	resultRefreshHit
	resultMiss
	resultError
	resultRedirect
	resultFunctionGenerated
	numResults
)

var resultNames = [numResults]string{"Hit", "RefreshHit", "Miss", "Error", "Redirect", "FunctionGeneratedResponse"}

// resultOf maps an X-Cache value to its counter.
func resultOf(xc []byte) int {
	switch {
	case len(xc) < 3:
		return resultError
	case xc[0] == 'H':
		return resultHit
	case xc[0] == 'M':
		return resultMiss
	case xc[0] == 'R' && xc[2] == 'f':
		return resultRefreshHit
	case xc[0] == 'R':
		return resultRedirect
	case len(xc) > 8 && xc[0] == 'F' && xc[8] == 'G': // FunctionGeneratedResponse
		return resultFunctionGenerated
	}
	return resultError
}

// distMetrics are one distribution's counters, resolved once so that counting allocates nothing.
type distMetrics struct {
	results  [numResults]prometheus.Counter
	bytes    prometheus.Counter
	duration prometheus.Observer
}

// metrics are the edge's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, s *Server) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edge_requests_total",
			Help: "Viewer requests answered, by distribution and X-Cache result.",
		}, []string{"distribution", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edge_response_body_bytes_total",
			Help: "Response body bytes sent to viewers from memory (streamed bodies are not counted).",
		}, []string{"distribution"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "edge_request_duration_seconds",
			Help:    "Time from a viewer request's arrival to its response being ready.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"distribution"}),
	}
	collectors := []prometheus.Collector{m.requests, m.bytes, m.duration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_cache_bytes", Help: "Bytes held by the cache."},
			func() float64 { return float64(s.store.Stats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_cache_max_bytes", Help: "The cache's byte budget."},
			func() float64 { return float64(s.store.Stats().MaxBytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edge_cache_evictions_total", Help: "Entries evicted for room or age."},
			func() float64 { return float64(s.store.Stats().Evictions) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edge_cache_rejected_total", Help: "Entries the cache refused to store."},
			func() float64 { return float64(s.store.Stats().Rejected) }),
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// forDist resolves a distribution's counters.
func (m *metrics) forDist(id string) *distMetrics {
	dm := &distMetrics{bytes: m.bytes.WithLabelValues(id), duration: m.duration.WithLabelValues(id)}
	for i, name := range resultNames {
		dm.results[i] = m.requests.WithLabelValues(id, name)
	}
	return dm
}

// count records one answered request.
func (dm *distMetrics) count(xc []byte, bodyBytes int, took time.Duration) {
	dm.results[resultOf(xc)].Inc()
	dm.bytes.Add(float64(bodyBytes))
	dm.duration.Observe(took.Seconds())
}
