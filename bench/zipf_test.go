package bench

import (
	"math"
	"slices"
	"testing"
)

func draw(z *zipf, seed uint64, conn, n int) []int {
	r := newConnRand(seed, conn)
	out := make([]int, n)
	for i := range out {
		out[i] = z.next(r)
	}
	return out
}

func TestZipfDeterministic(t *testing.T) {
	z, err := newZipf(1000, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	a, b := draw(z, 42, 3, 500), draw(z, 42, 3, 500)
	if !slices.Equal(a, b) {
		t.Fatal("same seed and connection gave different sequences")
	}
	if slices.Equal(a, draw(z, 42, 4, 500)) {
		t.Fatal("connections 3 and 4 drew the same sequence")
	}
	if slices.Equal(a, draw(z, 43, 3, 500)) {
		t.Fatal("seeds 42 and 43 drew the same sequence")
	}
	// A second distribution built from the same parameters draws the same ranks.
	z2, _ := newZipf(1000, 0.9)
	if !slices.Equal(a, draw(z2, 42, 3, 500)) {
		t.Fatal("rebuilt distribution differs")
	}
}

func TestZipfShape(t *testing.T) {
	tests := []struct {
		n int
		s float64
	}{{10, 0}, {10, 1}, {100, 0.8}, {5, 2.5}, {1, 1}}
	for _, tc := range tests {
		z, err := newZipf(tc.n, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		const draws = 200_000
		counts := make([]int, tc.n)
		for _, k := range draw(z, 7, 0, draws) {
			if k < 0 || k >= tc.n {
				t.Fatalf("n=%d: rank %d out of range", tc.n, k)
			}
			counts[k]++
		}
		// Compare the frequency of each of the first ranks with 1/(k+1)^s normalised.
		norm := 0.0
		for k := 0; k < tc.n; k++ {
			norm += math.Pow(float64(k+1), -tc.s)
		}
		for k := 0; k < min(tc.n, 5); k++ {
			want := math.Pow(float64(k+1), -tc.s) / norm
			got := float64(counts[k]) / draws
			if math.Abs(got-want) > 0.01 {
				t.Errorf("n=%d s=%v: P(rank %d) = %.4f, want %.4f", tc.n, tc.s, k, got, want)
			}
		}
	}
}

func TestZipfRejects(t *testing.T) {
	for _, tc := range []struct {
		n int
		s float64
	}{{0, 1}, {-1, 1}, {maxCatalog + 1, 1}, {10, -0.1}, {10, math.NaN()}, {10, 11}} {
		if _, err := newZipf(tc.n, tc.s); err == nil {
			t.Errorf("newZipf(%d, %v) accepted", tc.n, tc.s)
		}
	}
}

func TestLRUSim(t *testing.T) {
	type acc struct {
		id   uint32
		size int64
		hit  bool
	}
	tests := []struct {
		name   string
		budget int64
		trace  []acc
	}{
		{"repeat hits", 10, []acc{{1, 5, false}, {1, 5, true}, {1, 5, true}}},
		{"two fit", 10, []acc{{1, 5, false}, {2, 5, false}, {1, 5, true}, {2, 5, true}}},
		{"third evicts least recent", 10, []acc{
			{1, 5, false}, {2, 5, false}, {1, 5, true}, // 2 is now least recent
			{3, 5, false},               // evicts 2
			{1, 5, true}, {2, 5, false}, // 2 back, evicts 3
			{3, 5, false},
		}},
		{"big object evicts several", 10, []acc{
			{1, 3, false}, {2, 3, false}, {3, 3, false}, {4, 8, false}, // evicts 1, 2, 3
			{3, 3, false}, {4, 8, false},
		}},
		{"larger than the budget is never held", 10, []acc{{1, 11, false}, {1, 11, false}, {2, 10, false}, {2, 10, true}}},
		{"zero budget", 0, []acc{{1, 1, false}, {1, 1, false}}},
		{"cyclic scan larger than the cache never hits", 3, []acc{
			{1, 1, false}, {2, 1, false}, {3, 1, false}, {4, 1, false},
			{1, 1, false}, {2, 1, false}, {3, 1, false}, {4, 1, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLRUSim(tc.budget)
			for i, a := range tc.trace {
				if got := l.access(a.id, a.size); got != a.hit {
					t.Fatalf("access %d (id %d): hit %v, want %v", i, a.id, got, a.hit)
				}
				if l.used > tc.budget {
					t.Fatalf("access %d: %d bytes held, budget %d", i, l.used, tc.budget)
				}
			}
		})
	}
}

func TestLRUHitRatio(t *testing.T) {
	trace := []uint32{1, 2, 1, 3, 1, 2, 4, 1}
	// Budget of two objects: 1 (hit), 3 evicts 2, 1 (hit), 2 evicts 3, 4 evicts 1, 1 misses.
	if got := lruHitRatio(trace, 100, 200); got != 2.0/8 {
		t.Fatalf("hit ratio %v, want 0.25", got)
	}
	if got := lruHitRatio(trace, 100, 1000); got != 4.0/8 {
		t.Fatalf("unbounded hit ratio %v, want 0.5", got)
	}
	if got := lruHitRatio(nil, 100, 1000); got != 0 {
		t.Fatalf("empty trace: %v", got)
	}
}

func BenchmarkZipfNext(b *testing.B) {
	z, err := newZipf(100_000, 0.9)
	if err != nil {
		b.Fatal(err)
	}
	r := newConnRand(1, 0)
	b.ReportAllocs()
	for b.Loop() {
		z.next(r)
	}
}
