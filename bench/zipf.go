package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// maxCatalog bounds the zipf catalog (its CDF table is 8 bytes an object).
const maxCatalog = 1 << 22

// zipf draws object ranks 0..n-1 with P(k) ∝ 1/(k+1)^s. Unlike math/rand's Zipf it accepts any
// s ≥ 0 (web and video popularity is usually measured at s ≈ 0.6–1.0). It is read-only after
// construction, so connections share one and each brings its own *rand.Rand.
type zipf struct {
	cdf []float64 // cdf[k] = P(rank ≤ k), cdf[n-1] = 1
}

// newZipf builds the distribution for n objects and exponent s.
func newZipf(n int, s float64) (*zipf, error) {
	if n < 1 || n > maxCatalog {
		return nil, fmt.Errorf("zipf: catalog %d: want 1 to %d objects", n, maxCatalog)
	}
	if s < 0 || s > 10 || math.IsNaN(s) {
		return nil, fmt.Errorf("zipf: exponent %v: want 0 to 10", s)
	}
	cdf := make([]float64, n)
	sum := 0.0
	for k := range cdf {
		sum += math.Pow(float64(k+1), -s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	cdf[n-1] = 1
	return &zipf{cdf: cdf}, nil
}

// next draws a rank with r.
func (z *zipf) next(r *rand.Rand) int {
	u := r.Float64()
	k := sort.SearchFloat64s(z.cdf, u)
	// SearchFloat64s finds the first cdf ≥ u; u == cdf[k] exactly belongs to k too.
	return min(k, len(z.cdf)-1)
}

// newConnRand returns connection conn's generator for a run seeded with seed: the same
// (seed, conn) always yields the same sequence.
func newConnRand(seed uint64, conn int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(conn)*0x9E3779B97F4A7C15+1))
}

// lruSim is a byte-budget LRU cache simulator: it holds ids with sizes, evicts the least
// recently used until the held bytes fit the budget, and never admits an object larger than
// the budget.
type lruSim struct {
	budget int64
	used   int64
	index  map[uint32]int32
	nodes  []lruNode
	head   int32 // most recently used, -1 when empty
	tail   int32 // least recently used
	free   []int32
}

type lruNode struct {
	id         uint32
	size       int64
	prev, next int32
}

func newLRUSim(budget int64) *lruSim {
	return &lruSim{budget: budget, index: make(map[uint32]int32), head: -1, tail: -1}
}

// access looks id up, reports whether it was held (a hit), and on a miss admits it.
func (l *lruSim) access(id uint32, size int64) bool {
	if i, ok := l.index[id]; ok {
		l.unlink(i)
		l.pushFront(i)
		return true
	}
	if size > l.budget {
		return false
	}
	for l.used+size > l.budget && l.tail >= 0 {
		t := l.tail
		l.unlink(t)
		l.used -= l.nodes[t].size
		delete(l.index, l.nodes[t].id)
		l.free = append(l.free, t)
	}
	var i int32
	if n := len(l.free); n > 0 {
		i, l.free = l.free[n-1], l.free[:n-1]
	} else {
		l.nodes = append(l.nodes, lruNode{})
		i = int32(len(l.nodes) - 1)
	}
	l.nodes[i] = lruNode{id: id, size: size, prev: -1, next: -1}
	l.index[id] = i
	l.used += size
	l.pushFront(i)
	return false
}

func (l *lruSim) unlink(i int32) {
	n := &l.nodes[i]
	if n.prev >= 0 {
		l.nodes[n.prev].next = n.next
	} else {
		l.head = n.next
	}
	if n.next >= 0 {
		l.nodes[n.next].prev = n.prev
	} else {
		l.tail = n.prev
	}
	n.prev, n.next = -1, -1
}

func (l *lruSim) pushFront(i int32) {
	n := &l.nodes[i]
	n.prev, n.next = -1, l.head
	if l.head >= 0 {
		l.nodes[l.head].prev = i
	}
	l.head = i
	if l.tail < 0 {
		l.tail = i
	}
}

// lruHitRatio replays trace (object ids, each objSize bytes) through an LRU of budget bytes
// that starts empty, and returns its hit ratio (0 for an empty trace).
func lruHitRatio(trace []uint32, objSize, budget int64) float64 {
	if len(trace) == 0 {
		return 0
	}
	l := newLRUSim(budget)
	hits := 0
	for _, id := range trace {
		if l.access(id, objSize) {
			hits++
		}
	}
	return float64(hits) / float64(len(trace))
}
