package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is the outcome of one load run; "edge bench -json" prints it. Latencies are in
// milliseconds, rates per second of the run's wall-clock time.
type Report struct {
	// Label is the -label flag, for scripts that collect several runs ("1KiB/edge").
	Label       string  `json:"label,omitempty"`
	Scenario    string  `json:"scenario"`
	URL         string  `json:"url"`
	Host        string  `json:"host"`
	Connections int     `json:"connections"`
	Elapsed     float64 `json:"elapsed_s"`
	// Requests counts completed requests, successful or not.
	Requests int64 `json:"requests"`
	// Errors counts transport errors, non-2xx answers, bodies of the wrong length and
	// unparsable manifests.
	Errors int64 `json:"errors"`
	// Status counts answers by class: "2xx", "3xx", "4xx", "5xx", "other".
	Status     map[string]int64 `json:"status"`
	Transport  int64            `json:"transport_errors"`
	BadSize    int64            `json:"bad_size"`
	FirstError string           `json:"first_error,omitempty"`
	// Bytes counts response body bytes received.
	Bytes       int64   `json:"bytes"`
	RPS         float64 `json:"requests_per_s"`
	MiBps       float64 `json:"mib_per_s"`
	Latency     Latency `json:"latency_ms"`
	XCacheHits  int64   `json:"xcache_hits"`
	XCacheMiss  int64   `json:"xcache_misses"`
	HitRatio    float64 `json:"hit_ratio"`
	HitRatioSrc string  `json:"hit_ratio_from"` // "origin", "x-cache" or "none"
	// Origin holds the origin's counters over the run, when they could be read.
	Origin *OriginStats  `json:"origin,omitempty"`
	Zipf   *ZipfReport   `json:"zipf,omitempty"`
	Smooth *SmoothReport `json:"smooth,omitempty"`
	Herd   *HerdReport   `json:"herd,omitempty"`
	RSS    *RSSReport    `json:"rss,omitempty"`
}

// Latency summarises a latency histogram, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// ZipfReport describes a zipf run and compares its hit ratio with an LRU's.
type ZipfReport struct {
	Catalog  int     `json:"catalog"`
	Exponent float64 `json:"s"`
	ObjSize  int     `json:"obj_size"`
	Seed     uint64  `json:"seed"`
	// CacheBytes is the byte budget of the simulated LRU (0: no simulation).
	CacheBytes int64 `json:"cache_bytes"`
	// Trace counts the requests replayed through the LRU.
	Trace       int     `json:"trace"`
	LRUHitRatio float64 `json:"lru_hit_ratio"`
}

// SmoothReport counts what the simulated players did.
type SmoothReport struct {
	Viewers      int   `json:"viewers"`
	Realtime     bool  `json:"realtime"`
	Manifests    int64 `json:"manifests"`
	BadManifests int64 `json:"bad_manifests"`
	Fragments    int64 `json:"fragments"`
	Switches     int64 `json:"switches"`
	// Late counts fragments that arrived after their playback time (realtime only).
	Late int64 `json:"late"`
}

// HerdReport counts origin requests per herd.
type HerdReport struct {
	Size   int `json:"size"`
	Rounds int `json:"rounds"`
	// OriginRequests counts origin requests per round (empty when origin counters are unknown).
	OriginRequests []int64 `json:"origin_requests_per_round,omitempty"`
}

// RSSReport is the resident set size of a watched process during the run.
type RSSReport struct {
	PID     int   `json:"pid"`
	MaxRSS  int64 `json:"max_bytes"`
	LastRSS int64 `json:"last_bytes"`
	Samples int   `json:"samples"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// collect sums the connections of r into rep.
func (r *run) collect(rep *Report, elapsed time.Duration) {
	var h Histogram
	classes := [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}
	rep.Status = map[string]int64{}
	for _, c := range r.conns {
		h.Merge(&c.hist)
		s := &c.stats
		rep.Requests += s.requests.Load()
		rep.Errors += s.errors.Load()
		rep.Bytes += s.bytes.Load()
		rep.XCacheHits += s.hits.Load()
		rep.XCacheMiss += s.misses.Load()
		rep.Transport += s.transport.Load()
		rep.BadSize += s.badSize.Load()
		for i := range s.status {
			if n := s.status[i].Load(); n > 0 {
				rep.Status[classes[i]] += n
			}
		}
		if rep.FirstError == "" {
			rep.FirstError = c.firstErr
		}
	}
	rep.Elapsed = elapsed.Seconds()
	if rep.Elapsed > 0 {
		rep.RPS = float64(rep.Requests) / rep.Elapsed
		rep.MiBps = float64(rep.Bytes) / rep.Elapsed / (1 << 20)
	}
	rep.Latency = Latency{
		P50: ms(h.Percentile(0.50)), P90: ms(h.Percentile(0.90)), P99: ms(h.Percentile(0.99)),
		Max: ms(h.Max()), Mean: ms(h.Mean()),
	}
	rep.HitRatioSrc = "none"
	switch {
	case rep.Origin != nil && rep.Requests > 0:
		rep.HitRatio = max(0, 1-float64(rep.Origin.Requests)/float64(rep.Requests))
		rep.HitRatioSrc = "origin"
	case rep.XCacheHits+rep.XCacheMiss > 0:
		rep.HitRatio = float64(rep.XCacheHits) / float64(rep.XCacheHits+rep.XCacheMiss)
		rep.HitRatioSrc = "x-cache"
	}
}

// writeJSON prints rep as one indented JSON document.
func (rep *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeText prints rep for a person.
func (rep *Report) writeText(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s against %s (Host: %s), %d connections, %.2f s\n",
		rep.Scenario, rep.URL, rep.Host, rep.Connections, rep.Elapsed)
	fmt.Fprintf(&b, "  requests   %s (%s/s), %.1f MiB/s\n", group(rep.Requests), group(int64(rep.RPS)), rep.MiBps)
	fmt.Fprintf(&b, "  latency    p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  (mean %.3f ms)\n",
		rep.Latency.P50, rep.Latency.P90, rep.Latency.P99, rep.Latency.Max, rep.Latency.Mean)
	fmt.Fprintf(&b, "  errors     %s", group(rep.Errors))
	if rep.Errors > 0 {
		fmt.Fprintf(&b, " (transport %d, wrong size %d, status %v)\n  first      %s", rep.Transport, rep.BadSize, rep.Status, rep.FirstError)
	}
	b.WriteString("\n")
	if rep.XCacheHits+rep.XCacheMiss > 0 {
		fmt.Fprintf(&b, "  x-cache    %s hits, %s misses\n", group(rep.XCacheHits), group(rep.XCacheMiss))
	}
	if rep.HitRatioSrc != "none" {
		fmt.Fprintf(&b, "  hit ratio  %.4f (from %s)\n", rep.HitRatio, rep.HitRatioSrc)
	}
	if o := rep.Origin; o != nil {
		fmt.Fprintf(&b, "  origin     %s requests, %.1f MiB\n", group(o.Requests), float64(o.Bytes)/(1<<20))
	}
	if z := rep.Zipf; z != nil {
		fmt.Fprintf(&b, "  zipf       %d objects of %d B, s=%.2f, seed %d\n", z.Catalog, z.ObjSize, z.Exponent, z.Seed)
		if z.CacheBytes > 0 {
			fmt.Fprintf(&b, "  lru        %.4f hit ratio for %d B over the same %d requests\n", z.LRUHitRatio, z.CacheBytes, z.Trace)
		}
	}
	if s := rep.Smooth; s != nil {
		fmt.Fprintf(&b, "  smooth     %d viewers (realtime %v): %d manifests (%d bad), %d fragments, %d switches, %d late\n",
			s.Viewers, s.Realtime, s.Manifests, s.BadManifests, s.Fragments, s.Switches, s.Late)
	}
	if h := rep.Herd; h != nil {
		fmt.Fprintf(&b, "  herd       %d requests a round, %d rounds, origin requests per round %v\n", h.Size, h.Rounds, h.OriginRequests)
	}
	if r := rep.RSS; r != nil {
		fmt.Fprintf(&b, "  rss        pid %d: max %.1f MiB, last %.1f MiB (%d samples)\n", r.PID, float64(r.MaxRSS)/(1<<20), float64(r.LastRSS)/(1<<20), r.Samples)
	}
	io.WriteString(w, b.String())
}
