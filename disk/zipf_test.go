// The hit ratio is meaningless under the race detector: ristretto batches accesses in buffers
// kept in a sync.Pool, which the race detector makes drop items at random, so the admission
// policy sees no frequencies. This file is left out of race builds.

//go:build !race

package disk

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"
)

// zipfTrace draws n object ranks in [0, catalog) with P(k) ∝ 1/(k+1)^s (the idea of
// bench/zipf.go: a CDF table and a binary search).
func zipfTrace(catalog, n int, s float64, seed uint64) []int {
	cdf := make([]float64, catalog)
	sum := 0.0
	for k := range cdf {
		sum += math.Pow(float64(k+1), -s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	r := rand.New(rand.NewPCG(seed, 1))
	trace := make([]int, n)
	for i := range trace {
		trace[i] = min(sort.SearchFloat64s(cdf, r.Float64()), catalog-1)
	}
	return trace
}

// lruSim is a byte-budget LRU: the baseline the admission policy must beat.
type lruSim struct {
	budget, used int64
	order        []int // least recently used first (small catalogs: O(n) moves are fine)
	size         map[int]int64
}

func (l *lruSim) access(id int, size int64) bool {
	if _, ok := l.size[id]; ok {
		i := indexOf(l.order, id)
		l.order = append(append(l.order[:i:i], l.order[i+1:]...), id)
		return true
	}
	if size > l.budget {
		return false
	}
	for l.used+size > l.budget {
		victim := l.order[0]
		l.order = l.order[1:]
		l.used -= l.size[victim]
		delete(l.size, victim)
	}
	l.order = append(l.order, id)
	l.size[id] = size
	l.used += size
	return false
}

func indexOf(s []int, v int) int {
	for i := len(s) - 1; i >= 0; i-- { // hot objects sit at the end
		if s[i] == v {
			return i
		}
	}
	return -1
}

// TestZipfHitRatio replays a Zipf (s = 1.0) trace through the Store (real files; a miss is
// followed by a Put, as the edge does) and through an LRU of the same byte budget (each object
// costing what the Store charges it), and checks that TinyLFU admission with sampled-LFU
// eviction has the better hit ratio. The budget holds 10% of the catalog.
//
//	go test -run TestZipfHitRatio -v ./disk
//
// DISK_ZIPF_LARGE=1 runs a catalog of 20,000 objects and 400,000 requests.
func TestZipfHitRatio(t *testing.T) {
	catalog, requests := 5_000, 100_000
	if testing.Short() {
		catalog, requests = 2_000, 40_000
	}
	if os.Getenv("DISK_ZIPF_LARGE") == "1" {
		catalog, requests = 20_000, 400_000
	}
	tests := []struct {
		name string
		size func(id int) int // body bytes of object id
	}{
		{"equal sizes", func(int) int { return 3000 }},
		// 1 to 16 blocks, independent of popularity.
		{"mixed sizes", func(id int) int { return 1000 + int(hashKey([]byte(fmt.Sprint(id)))%(16*blockSize)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var total int64
			cost := func(id int) int64 {
				m := zipfMeta(id)
				return costOf(int64(headerLen + metaLen(&m) + tt.size(id)))
			}
			for id := range catalog {
				total += cost(id)
			}
			cfg := testConfig(t)
			cfg.MaxBytes = total / 10
			if n, err := strconv.ParseInt(os.Getenv("DISK_ZIPF_COUNTERS"), 10, 64); err == nil {
				cfg.NumCounters = n
			}
			s := openLoaded(t, cfg)
			trace := zipfTrace(catalog, requests, 1.0, 42)
			lru := &lruSim{budget: cfg.MaxBytes, size: make(map[int]int64)}
			var hits, lruHits int
			for _, id := range trace {
				if lru.access(id, cost(id)) {
					lruHits++
				}
				m := zipfMeta(id)
				o, err := s.Get(m.Key)
				if err != nil {
					t.Fatal(err)
				}
				if o != nil {
					hits++
					o.Close()
					continue
				}
				n := tt.size(id)
				if err := s.Put(m, bytes.NewReader(make([]byte, n)), int64(n)); err != nil && !errors.Is(err, ErrNotAdmitted) {
					t.Fatal(err)
				}
			}
			ratio, lruRatio := float64(hits)/float64(requests), float64(lruHits)/float64(requests)
			st := s.Stats()
			t.Logf("catalog %d objects (%d MiB), budget %d KiB, %d requests: hit ratio %.4f (TinyLFU), %.4f (LRU), ×%.3f; %d puts, %d rejected, %d evicted",
				catalog, total>>20, cfg.MaxBytes>>10, requests, ratio, lruRatio, ratio/lruRatio, st.Puts, st.Rejected, st.Evictions)
			if ratio < lruRatio {
				t.Errorf("hit ratio %.4f below LRU's %.4f", ratio, lruRatio)
			}
			checkConsistent(t, s)
		})
	}
}

func zipfMeta(id int) Meta { return metaFor(fmt.Sprint("/zipf/", id), time.Now()) }
