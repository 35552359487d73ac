package edge

import (
	"time"

	"github.com/cfedge/edge/cache"
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

// protoNames are the metrics' protocol label values, by viewerProto.
var protoNames = [...]string{protoH1: "HTTP/1.1", protoH2: "HTTP/2.0", protoH3: "HTTP/3.0"}

// distMetrics are one distribution's counters, resolved once so that counting allocates nothing.
type distMetrics struct {
	results  [len(protoNames)][numResults]prometheus.Counter
	bytes    prometheus.Counter
	duration prometheus.Observer
}

// metrics are the edge's Prometheus collectors.
type metrics struct {
	// shieldFallbacks counts requests that went to the origin because its shield could not be
	// reached.
	shieldFallbacks *prometheus.CounterVec
	requests        *prometheus.CounterVec
	bytes           *prometheus.CounterVec
	duration        *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, s *Server) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edge_requests_total",
			Help: "Viewer requests answered, by distribution, X-Cache result and protocol (HTTP/1.1, HTTP/2.0, HTTP/3.0).",
		}, []string{"distribution", "result", "protocol"}),
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
	m.shieldFallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "edge_origin_shield_fallbacks_total",
		Help: "Requests sent to the origin because its shield edge could not be reached.",
	}, []string{"distribution", "origin"})
	collectors := []prometheus.Collector{m.requests, m.bytes, m.duration, m.shieldFallbacks,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_cache_bytes", Help: "Bytes held by the cache."},
			func() float64 { return float64(s.store.Stats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edge_cache_max_bytes", Help: "The cache's byte budget."},
			func() float64 { return float64(s.store.Stats().MaxBytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edge_cache_evictions_total", Help: "Entries evicted for room or age."},
			func() float64 { return float64(s.store.Stats().Evictions) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "edge_cache_rejected_total", Help: "Entries the cache refused to store."},
			func() float64 { return float64(s.store.Stats().Rejected) }),
	}
	if s.store.HasDisk() {
		collectors = append(collectors, diskCollectors(s.store)...)
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
	for p, proto := range protoNames {
		for i, name := range resultNames {
			dm.results[p][i] = m.requests.WithLabelValues(id, name, proto)
		}
	}
	return dm
}

// count records one answered request.
func (dm *distMetrics) count(p viewerProto, xc []byte, bodyBytes int, took time.Duration) {
	dm.results[p][resultOf(xc)].Inc()
	dm.bytes.Add(float64(bodyBytes))
	dm.duration.Observe(took.Seconds())
}

// diskCollectors are the disk tier's metrics (https://prometheus.io/docs/practices/naming/).
func diskCollectors(st *cache.Store) []prometheus.Collector {
	gauge := func(name, help string, v func(cache.DiskStats) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(v(st.DiskStats())) })
	}
	counter := func(name, help string, v func(cache.DiskStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(st.DiskStats())) })
	}
	return []prometheus.Collector{
		gauge("edge_cache_disk_bytes", "Bytes the disk tier's objects take (4 KiB blocks).", func(d cache.DiskStats) int64 { return d.Bytes }),
		gauge("edge_cache_disk_max_bytes", "The disk tier's byte budget (cache.disk_size).", func(d cache.DiskStats) int64 { return d.MaxBytes }),
		gauge("edge_cache_disk_objects", "Objects the disk tier holds.", func(d cache.DiskStats) int64 { return d.Objects }),
		gauge("edge_cache_disk_loading", "1 while the disk tier's start-up scan runs.", func(d cache.DiskStats) int64 {
			if d.Loading {
				return 1
			}
			return 0
		}),
		counter("edge_cache_disk_hits_total", "Disk tier lookups that found a usable object.", func(d cache.DiskStats) int64 { return d.Hits }),
		counter("edge_cache_disk_misses_total", "Disk tier lookups that found nothing usable.", func(d cache.DiskStats) int64 { return d.Misses }),
		counter("edge_cache_disk_writes_total", "Objects written to the disk tier.", func(d cache.DiskStats) int64 { return d.Puts }),
		counter("edge_cache_disk_rejected_total", "Objects the disk tier's admission policy refused.", func(d cache.DiskStats) int64 { return d.Rejected }),
		counter("edge_cache_disk_evictions_total", "Objects the disk tier removed to make room.", func(d cache.DiskStats) int64 { return d.Evictions }),
		counter("edge_cache_disk_expired_total", "Objects the disk tier removed past their deadline.", func(d cache.DiskStats) int64 { return d.Expired }),
		counter("edge_cache_disk_invalidated_total", "Objects the disk tier removed because an invalidation covers them.", func(d cache.DiskStats) int64 { return d.Invalidated }),
		counter("edge_cache_disk_corrupt_total", "Disk files found corrupt or truncated, and removed.", func(d cache.DiskStats) int64 { return d.Corrupt }),
		counter("edge_cache_disk_vanished_total", "Indexed disk files found removed by hand.", func(d cache.DiskStats) int64 { return d.Vanished }),
		counter("edge_cache_disk_errors_total", "Disk tier I/O errors (each degrades to memory only for its object).", func(d cache.DiskStats) int64 { return d.Errors }),
		counter("edge_cache_disk_spilled_total", "Entries evicted from memory and written to disk.", func(d cache.DiskStats) int64 { return d.Spilled }),
		counter("edge_cache_disk_spill_dropped_total", "Entries evicted from memory not written to disk because it fell behind.", func(d cache.DiskStats) int64 { return d.SpillDrops }),
		counter("edge_cache_disk_promoted_total", "Disk objects the memory tier admitted.", func(d cache.DiskStats) int64 { return d.Promoted }),
	}
}

// shieldFallback returns the callback counting distribution dist's shield fallbacks.
func (s *Server) shieldFallback(dist string) func(originID string) {
	return func(originID string) {
		if s.metrics != nil {
			s.metrics.shieldFallbacks.WithLabelValues(dist, originID).Inc()
		}
	}
}
