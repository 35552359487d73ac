//go:build !race

// The race detector makes sync.Pool drop items at random, so ristretto's Get allocates under
// -race; allocation counts are only meaningful without it.

package cache

import (
	"runtime"
	"testing"
)

// TestGetAllocs fails if Get allocates, on a hit (with and without invalidation records, also
// past prefixScanMax) and on a miss.
func TestGetAllocs(t *testing.T) {
	tests := []struct {
		name          string
		nExact, nPref int
		key           string
		wantHit       bool
	}{
		{"hit", 0, 0, "k", true},
		{"hit with 10+10 invalidations", 10, 10, "k", true},
		{"hit with 40+40 invalidations", 40, 40, "k", true},
		{"miss", 10, 10, "absent", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hitStore(t, "k", tt.nExact, tt.nPref)
			key := []byte(tt.key)
			if avg := testing.AllocsPerRun(1000, func() {
				if (s.Get(key) != nil) != tt.wantHit {
					t.Fatal("unexpected hit/miss")
				}
			}); avg != 0 {
				t.Errorf("Get: %v allocs per call, want 0", avg)
			}
			// AllocsPerRun rounds down; count exactly. ristretto's Get hands a batch of 64 key
			// hashes to its admission policy in a freshly allocated slice (ring.go), so the
			// only allowance is one allocation per 64 calls.
			const n = 64 * 1000
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range n {
				s.Get(key)
			}
			runtime.ReadMemStats(&after)
			if got := after.Mallocs - before.Mallocs; got > n/64 {
				t.Errorf("%d Gets made %d allocations, want at most %d (ristretto's batches)", n, got, n/64)
			}
		})
	}
}
