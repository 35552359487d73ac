package cache

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestInvalidateFold: past its limits, a distribution's oldest records fold into the floor, so
// that everything stored up to the newest folded record stays invalidated (more than was asked,
// never less), and what was stored later is judged by the remaining records.
func TestInvalidateFold(t *testing.T) {
	clk := newFakeClock(t0.Add(time.Hour))
	s := newStore(t, Config{MaxBytes: 1 << 20, Now: clk.Now})
	s.reg.Store(&registry{lim: limits{exact: 4, prefixes: 2, recent: 1}})
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// Exact records at 10, 20, 30 (two paths), 40 (two paths); each batch but the first is
	// merged, and the last merge holds six, two too many: the oldest (/e10 and /e20) fold into
	// the floor, which becomes 20.
	s.Invalidate("D1", []string{"/e10"}, at(10))
	s.Invalidate("D1", []string{"/e20"}, at(20))
	s.Invalidate("D1", []string{"/e30a", "/e30b"}, at(30))
	if d := s.reg.Load().dists["D1"]; !d.floor.IsZero() {
		t.Fatalf("floor at the limit: got %v, want none", d.floor.Sub(t0))
	}
	s.Invalidate("D1", []string{"/e40a", "/e40b"}, at(40))
	d := s.reg.Load().dists["D1"]
	if !d.floor.Equal(at(20)) {
		t.Fatalf("floor after exact fold: got %v, want +20s", d.floor.Sub(t0))
	}
	if n := len(exactRecords(d)); n != 4 {
		t.Errorf("exact records after fold: got %d, want 4", n)
	}
	// Three wildcards, two kept: the oldest (at 50) folds, raising the floor to 50, which also
	// drops the exact records up to then.
	s.Invalidate("D1", []string{"/w50/*"}, at(50))
	s.Invalidate("D1", []string{"/w60/*"}, at(60))
	s.Invalidate("D1", []string{"/w70/*"}, at(70))
	if d := s.reg.Load().dists["D1"]; !d.floor.Equal(at(50)) || len(d.prefixes) != 2 {
		t.Fatalf("after wildcard fold: floor %v, %d wildcards; want +50s and 2", d.floor.Sub(t0), len(d.prefixes))
	}
	tests := []struct {
		path   string
		stored int
		gone   bool
	}{
		{"/e10", 5, true},         // its own record, folded
		{"/unrelated", 5, true},   // the floor covers every path stored by then
		{"/unrelated", 50, true},  // up to and including the floor
		{"/unrelated", 51, false}, // not after it
		{"/w60/x", 55, true},
		{"/w60/x", 61, false},
		{"/w70/x", 70, true},
		{"/w50/x", 55, false}, // its record folded at 50: later entries are not covered
		{"/e40a", 51, false},  // /e40a (at 40) is below the floor: covered only up to 50
	}
	for i, tt := range tests {
		key := fmt.Sprintf("k%d", i)
		if !s.Set(mkEntry(key, "D1", tt.path, at(tt.stored))) {
			t.Fatalf("Set %q: got false", key)
		}
		if gone := s.Get([]byte(key)) == nil; gone != tt.gone {
			t.Errorf("%q stored at +%ds: gone %v, want %v", tt.path, tt.stored, gone, tt.gone)
		}
	}
	// Another distribution is untouched by D1's floor.
	if !s.Set(mkEntry("other", "D2", "/e10", at(5))) || s.Get([]byte("other")) == nil {
		t.Error("D2 entry invalidated by D1's floor")
	}
}

// TestInvalidateGuardedFold: the floor of guarded records keeps their exclusion.
func TestInvalidateGuardedFold(t *testing.T) {
	clk := newFakeClock(t0.Add(time.Hour))
	s := newStore(t, Config{MaxBytes: 1 << 20, Now: clk.Now})
	s.reg.Store(&registry{lim: limits{prefixes: 1}})
	smoothMedia := func(p string) bool { return strings.HasSuffix(p, ".ismv") }
	s.InvalidateExcept("D1", []string{"/a/*"}, smoothMedia, t0.Add(10*time.Second))
	s.InvalidateExcept("D1", []string{"/b/*"}, smoothMedia, t0.Add(20*time.Second))
	if g := s.reg.Load().guarded["D1"]; g == nil || !g.recs.floor.Equal(t0.Add(10*time.Second)) {
		t.Fatal("guarded wildcard did not fold into the guarded floor")
	}
	for key, want := range map[string]bool{"/c/x.jpg": true, "/c/x.ismv": false} {
		if !s.Set(mkEntry(key, "D1", key, t0)) {
			t.Fatalf("Set %q: got false", key)
		}
		if gone := s.Get([]byte(key)) == nil; gone != want {
			t.Errorf("%q under the guarded floor: gone %v, want %v", key, gone, want)
		}
	}
}

// TestInvalidateBoundedHistory replays many full batches with the default limits: the records a
// distribution holds stay within the bounds, the large map is shared between snapshots between
// merges (an Invalidate copies only the recent records), every batch stays invalidated, and
// lookups stay allocation-free.
func TestInvalidateBoundedHistory(t *testing.T) {
	clk := newFakeClock(t0.Add(time.Hour))
	s := newStore(t, Config{MaxBytes: 1 << 20, Now: clk.Now})
	const batches, perBatch = 40, 3000
	shared := 0
	for i := range batches {
		paths := make([]string, perBatch)
		for j := range paths {
			paths[j] = fmt.Sprintf("/b%02d/%04d.js", i, j)
		}
		before := s.reg.Load()
		s.Invalidate("D1", paths, t0.Add(time.Duration(i+1)*time.Second))
		d := s.reg.Load().dists["D1"]
		if n := len(d.base) + len(d.recent); n > defaultMaxExact+defaultMaxRecent {
			t.Fatalf("batch %d: %d exact records, over %d", i, n, defaultMaxExact+defaultMaxRecent)
		}
		if before != nil && before.dists["D1"].base != nil && len(d.base) > 0 &&
			fmt.Sprintf("%p", before.dists["D1"].base) == fmt.Sprintf("%p", d.base) {
			shared++
		}
	}
	if shared < batches/3 {
		t.Errorf("the large map was shared by %d of %d Invalidate calls, want most: every call rebuilds it", shared, batches)
	}
	d := s.reg.Load().dists["D1"]
	if d.floor.IsZero() {
		t.Fatal("no floor after 120,000 exact records")
	}
	for i := range batches {
		key := fmt.Sprintf("k%d", i)
		if !s.Set(mkEntry(key, "D1", fmt.Sprintf("/b%02d/0007.js", i), t0)) {
			t.Fatalf("Set %q: got false", key)
		}
		if s.Get([]byte(key)) != nil {
			t.Errorf("batch %d: its path is served after the invalidation", i)
		}
	}
	later := mkEntry("later", "D1", "/b00/0007.js", t0.Add(time.Minute))
	if !s.Set(later) || s.Get(later.Key) != later {
		t.Error("an entry stored after every batch is not served")
	}
	if a := testing.AllocsPerRun(100, func() { s.Get(later.Key) }); a != 0 {
		t.Errorf("Get: %v allocs, want 0", a)
	}
}

// BenchmarkInvalidateAfterHistory measures one 3,000-path Invalidate, and a lookup, after a
// history of 120 such batches in the same distribution.
//
//	go test -run '^$' -bench InvalidateAfterHistory -benchmem ./cache/
func BenchmarkInvalidateAfterHistory(b *testing.B) {
	clk := newFakeClock(t0.Add(time.Hour))
	s := newStore(b, Config{MaxBytes: 1 << 20, Now: clk.Now})
	batch := func(i int) []string {
		paths := make([]string, 3000)
		for j := range paths {
			paths[j] = fmt.Sprintf("/b%03d/%04d.js", i, j)
		}
		return paths
	}
	for i := range 120 {
		s.Invalidate("D1", batch(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	e := mkEntry("k", "D1", "/b119/0001.js", t0.Add(time.Second))
	if !s.Set(e) {
		b.Fatal("Set: got false")
	}
	next := batch(120)
	b.Run("Invalidate", func(b *testing.B) {
		for b.Loop() {
			s.Invalidate("D1", next, t0.Add(time.Second))
		}
	})
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Get(e.Key)
		}
	})
}
