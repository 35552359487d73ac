package console

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cfedge/edge/cache"
)

// The metrics the console reads (edge/metrics.go).
const (
	metricRequests = "edge_requests_total"
	metricBytes    = "edge_response_body_bytes_total"
	metricDuration = "edge_request_duration_seconds"
)

// results are edge_requests_total's result label values (the X-Cache results), in the order
// the console shows them.
var results = [...]string{"Hit", "RefreshHit", "Miss", "Error", "Redirect", "FunctionGeneratedResponse"}

const (
	numResults = len(results)
	// ringSize is how many points a distribution's graphs keep: 5 minutes of seconds.
	ringSize = 300
	// maxDists bounds the distributions the console keeps figures for.
	maxDists = 1000
	// hotShown is how many of the hottest objects the console keeps.
	hotShown = 10
)

// counters are one distribution's cumulative counters at one instant.
type counters struct {
	requests [numResults]float64 // by result, every protocol summed
	bytes    float64
	bounds   []float64 // the duration histogram's bucket upper bounds (seconds), +Inf left out
	buckets  []float64 // cumulative counts per bound
	count    float64   // observations, +Inf bucket included
}

// point is one second (or so) of a distribution's traffic: rates over the interval that ended
// at T. Ratios and latencies are NaN when the interval had nothing to measure.
type point struct {
	seq      uint64
	t        time.Time
	rps      [numResults]float64
	bytes    float64 // body bytes per second
	hitRatio float64 // hitRatio of the interval's requests
	p50, p99 float64 // seconds
}

// ring holds the last ringSize points, oldest first from head.
type ring struct {
	pts  [ringSize]point
	head int // index of the oldest point
	n    int
}

func (r *ring) push(p point) {
	if r.n < ringSize {
		r.pts[(r.head+r.n)%ringSize] = p
		r.n++
		return
	}
	r.pts[r.head] = p
	r.head = (r.head + 1) % ringSize
}

// since returns the points with seq > after, oldest first.
func (r *ring) since(after uint64) []point {
	out := make([]point, 0, r.n)
	for i := range r.n {
		if p := r.pts[(r.head+i)%ringSize]; p.seq > after {
			out = append(out, p)
		}
	}
	return out
}

// last returns the newest point, and false when there is none.
func (r *ring) last() (point, bool) {
	if r.n == 0 {
		return point{}, false
	}
	return r.pts[(r.head+r.n-1)%ringSize], true
}

// distTraffic is one distribution's figures.
type distTraffic struct {
	ring ring
	base counters // the counters at the last point (what the next point's deltas start from)
	cur  counters // the counters at the last sample
}

// traffic samples the registry into each distribution's ring, and the cache's figures.
type traffic struct {
	g     prometheus.Gatherer // nil: no traffic figures
	cache Cache

	mu      sync.RWMutex
	dists   map[string]*distTraffic
	seq     uint64    // the newest point's
	baseAt  time.Time // when the base counters were taken
	sampled time.Time // the last sample
	stats   cache.Stats
	disk    *cache.DiskStats // nil without a disk tier
	hot     []cache.Object
}

func newTraffic(g prometheus.Gatherer, c Cache) *traffic {
	return &traffic{g: g, cache: c, dists: map[string]*distTraffic{}}
}

// minStep is the shortest interval a point covers: a sample sooner than this after the last
// point updates the totals only.
const minStep = 500 * time.Millisecond

// sample reads the registry and the cache at now (the wall clock).
func (t *traffic) sample(now time.Time) error {
	var read map[string]*counters
	var err error
	if t.g != nil {
		read, err = gather(t.g)
	}
	stats := t.cache.Stats()
	var disk *cache.DiskStats
	if t.cache.HasDisk() {
		d := t.cache.DiskStats()
		disk = &d
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats, t.disk, t.sampled = stats, disk, now
	step := !t.baseAt.IsZero() && now.Sub(t.baseAt) >= minStep
	if t.baseAt.IsZero() || step {
		t.hot = t.cache.Hot(hotShown)
	}
	if step {
		t.seq++
	}
	for id, c := range read {
		d := t.dists[id]
		if d == nil {
			if len(t.dists) >= maxDists {
				continue
			}
			// Seen for the first time: at the first sample, what it counted so far is the
			// baseline; later, it appeared since the last sample, from zero.
			d = &distTraffic{}
			if t.baseAt.IsZero() {
				d.base = *c
			}
			t.dists[id] = d
		}
		d.cur = *c
		if step {
			d.ring.push(delta(&d.base, c, now.Sub(t.baseAt), t.seq, now))
			d.base = *c
		}
	}
	if t.baseAt.IsZero() || step {
		t.baseAt = now
	}
	return err
}

// gather reads the edge's counters by distribution.
func gather(g prometheus.Gatherer) (map[string]*counters, error) {
	fams, err := g.Gather()
	out := map[string]*counters{}
	get := func(id string) *counters {
		c := out[id]
		if c == nil {
			c = &counters{}
			out[id] = c
		}
		return c
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			var dist, result string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "distribution":
					dist = l.GetValue()
				case "result":
					result = l.GetValue()
				}
			}
			if dist == "" {
				continue
			}
			switch f.GetName() {
			case metricRequests:
				for i, r := range results {
					if r == result {
						get(dist).requests[i] += m.GetCounter().GetValue()
					}
				}
			case metricBytes:
				get(dist).bytes += m.GetCounter().GetValue()
			case metricDuration:
				c, h := get(dist), m.GetHistogram()
				c.count = float64(h.GetSampleCount())
				c.bounds, c.buckets = c.bounds[:0], c.buckets[:0]
				for _, b := range h.GetBucket() {
					if !math.IsInf(b.GetUpperBound(), 1) {
						c.bounds = append(c.bounds, b.GetUpperBound())
						c.buckets = append(c.buckets, float64(b.GetCumulativeCount()))
					}
				}
			}
		}
	}
	if err != nil {
		return out, fmt.Errorf("gather: %w", err)
	}
	return out, nil
}

// delta is the point for the interval dt from counters a to b. A counter that went down (it
// was reset) counts from zero.
func delta(a, b *counters, dt time.Duration, seq uint64, at time.Time) point {
	secs := dt.Seconds()
	p := point{seq: seq, t: at, hitRatio: math.NaN(), p50: math.NaN(), p99: math.NaN()}
	for i := range results {
		p.rps[i] = grew(a.requests[i], b.requests[i]) / secs
	}
	p.bytes = grew(a.bytes, b.bytes) / secs
	p.hitRatio = hitRatio(p.rps)
	if len(a.bounds) == len(b.bounds) {
		n := grew(a.count, b.count)
		d := make([]float64, len(b.buckets))
		for i := range d {
			d[i] = grew(a.buckets[i], b.buckets[i])
		}
		p.p50, p.p99 = quantile(0.5, b.bounds, d, n), quantile(0.99, b.bounds, d, n)
	} else if len(a.bounds) == 0 {
		p.p50, p.p99 = quantile(0.5, b.bounds, b.buckets, b.count), quantile(0.99, b.bounds, b.buckets, b.count)
	}
	return p
}

// hitRatio is CloudFront's cache hit rate of requests by result: the share of cacheable
// requests answered from the cache, (Hit + RefreshHit) / (Hit + RefreshHit + Miss); errors,
// redirects and generated responses are not cacheable requests
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/viewing-cloudfront-metrics.html).
// It is NaN without cacheable requests.
func hitRatio(byResult [numResults]float64) float64 {
	hits := byResult[0] + byResult[1]
	if cacheable := hits + byResult[2]; cacheable > 0 {
		return hits / cacheable
	}
	return math.NaN()
}

func grew(a, b float64) float64 {
	if b < a {
		return b
	}
	return b - a
}

// quantile estimates the q-quantile of n observations whose cumulative counts per bucket
// upper bound are cum, interpolating linearly within the bucket, as Prometheus's
// histogram_quantile does
// (https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile): the
// lowest bucket starts at 0, and a quantile in the +Inf bucket is the highest finite bound. It
// is NaN without observations.
func quantile(q float64, bounds, cum []float64, n float64) float64 {
	if n <= 0 || len(bounds) == 0 {
		return math.NaN()
	}
	rank := q * n
	lower, below := 0.0, 0.0
	for i, ub := range bounds {
		if cum[i] >= rank {
			if cum[i] == below {
				return ub
			}
			return lower + (ub-lower)*(rank-below)/(cum[i]-below)
		}
		lower, below = ub, cum[i]
	}
	return bounds[len(bounds)-1]
}

// distFigures is one distribution's figures as the pages and the JSON show them.
type distFigures struct {
	id     string
	totals counters
	now    point // the newest point (zero rates and NaN when none)
	points []point
	has    bool // the metrics know the distribution
}

// figures returns distribution id's figures, with the points newer than after.
func (t *traffic) figures(id string, after uint64) distFigures {
	t.mu.RLock()
	defer t.mu.RUnlock()
	f := distFigures{id: id, now: point{hitRatio: math.NaN(), p50: math.NaN(), p99: math.NaN()}}
	d := t.dists[id]
	if d == nil {
		return f
	}
	f.has, f.totals = true, d.cur
	if p, ok := d.ring.last(); ok {
		f.now = p
	}
	f.points = d.ring.since(after)
	return f
}

// cacheFigures returns the cache's figures at the last sample.
func (t *traffic) cacheFigures() (stats cache.Stats, disk *cache.DiskStats, hot []cache.Object, seq uint64, at time.Time) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.stats, t.disk, t.hot, t.seq, t.sampled
}
