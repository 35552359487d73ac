package cache

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// refRecord is one invalidation in the reference model: a plain list, no dedup, no pruning of
// redundant records, linear matching.
type refRecord struct {
	dist, path string
	prefix     bool
	at         time.Time
}

func refInvalidated(recs []refRecord, dist, path string, stored time.Time) bool {
	for _, r := range recs {
		if r.dist != dist || r.at.Before(stored) {
			continue
		}
		if r.prefix && strings.HasPrefix(path, r.path) || !r.prefix && r.path == path {
			return true
		}
	}
	return false
}

// fuzzBytes reads a fuzz input one byte at a time, yielding zeros once it runs out.
type fuzzBytes []byte

func (b *fuzzBytes) next() byte {
	if len(*b) == 0 {
		return 0
	}
	c := (*b)[0]
	*b = (*b)[1:]
	return c
}

// path returns a short path over the alphabet "/ab", with a trailing "*" when star.
func (b *fuzzBytes) path(star bool) string {
	n := int(b.next() % 6)
	var sb strings.Builder
	for range n {
		sb.WriteByte("/ab"[b.next()%3])
	}
	if star {
		sb.WriteByte('*')
	}
	return sb.String()
}

// FuzzRegistry checks the registry (deduplicated, redundancy-pruned, two lookup strategies, two
// maps of exact records, a floor) against the plain list model for any sequence of
// invalidations, clock moves and lookups, and that a published snapshot never changes. With the
// default limits the answers must be equal; with tiny limits, records fold into the floor, so the
// registry may also cover what the model does not, but only entries stored at or before the
// floor. Lookups are checked for entries stored after the pruning cutoff: no older entry is ever
// looked up (Set keeps none that long).
func FuzzRegistry(f *testing.F) {
	f.Add([]byte{0, 1, 3, 1, 2, 1, 3, 5, 0, 9})
	f.Add([]byte("\x00\x80\x04/ab*\x03\x00\x05/a/b/\x02\xff\x04\x80\x02ab"))
	f.Add(slices.Repeat([]byte{0, 200, 5, 1, 2, 0, 1, 4}, 30))
	var many []byte // more distinct prefixes than prefixScanMax, then lookups
	for i := range 3 * prefixScanMax {
		many = append(many, 0, byte(100+i), 1, 5, byte(i/27), byte(i/9), byte(i/3), byte(i), 0)
	}
	f.Add(append(many, 3, 100, 5, 0, 0, 1, 2, 0, 3, 140, 4, 1, 2, 1, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRegistry(t, data, limits{})
		fuzzRegistry(t, data, limits{exact: 2, prefixes: 1, recent: 1})
	})
}

func fuzzRegistry(t *testing.T, data []byte, lim limits) {
	const life = 100 * time.Second
	exact := lim == limits{}
	in := fuzzBytes(data)
	now := t0
	reg := &registry{lim: lim}
	var ref []refRecord
	check := func(r *registry, model []refRecord, dist, path string, stored time.Time) {
		t.Helper()
		if !stored.After(now.Add(-life)) {
			return
		}
		got := r.invalidated(dist, path, stored)
		want := refInvalidated(model, dist, path, stored)
		if got == want {
			return
		}
		if want || exact || !underFloor(r, dist, stored) {
			t.Fatalf("limits %+v: invalidated(%s, %q, %v): got %v, want %v; registry %+v; %d model records", lim, dist, path, stored.Sub(t0), got, want, r.dists[dist], len(model))
		}
	}
	for len(in) > 0 {
		op := in.next()
		dist := []string{"D1", "D2"}[op>>2&1]
		switch op % 4 {
		case 0, 1: // invalidate up to 3 paths
			at := now.Add(time.Duration(int(in.next())-128) * time.Second)
			var paths []string
			for range 1 + int(op>>3)%3 {
				paths = append(paths, in.path(in.next()&1 == 1))
			}
			oldReg, oldRef := reg, slices.Clone(ref)
			cutoff := now.Add(-life)
			reg = reg.with(dist, paths, at, cutoff)
			ref = slices.DeleteFunc(ref, func(r refRecord) bool { return r.at.Before(cutoff) })
			if !at.Before(cutoff) {
				for _, p := range paths {
					q, star := strings.CutSuffix(p, "*")
					ref = append(ref, refRecord{dist, q, star, at})
				}
			}
			// The previous snapshot still answers as before.
			check(oldReg, oldRef, dist, paths[0], at)
			if n := boundedCount(reg); n > 0 {
				t.Fatalf("limits %+v: %s holds %d records over its bounds", lim, dist, n)
			}
		case 2: // advance the clock
			now = now.Add(time.Duration(in.next()) * time.Second)
		case 3: // lookup
			stored := now.Add(time.Duration(int(in.next())-128) * time.Second)
			check(reg, ref, dist, in.path(false), stored)
		}
	}
	// Exhaustive sweep over short paths and a few stored times.
	paths := []string{""}
	for range 3 {
		for _, p := range paths {
			for _, c := range "/ab" {
				if q := p + string(c); !slices.Contains(paths, q) {
					paths = append(paths, q)
				}
			}
		}
	}
	for _, dist := range []string{"D1", "D2", "D3"} {
		for _, p := range paths {
			for _, d := range []time.Duration{-300, -128, -50, -1, 0, 1, 60, 127, 300} {
				check(reg, ref, dist, p, now.Add(d*time.Second))
			}
		}
	}
}

// underFloor reports whether stored is at or before the floor of dist's records.
func underFloor(r *registry, dist string, stored time.Time) bool {
	d := r.dists[dist]
	return d != nil && !d.floor.IsZero() && !d.floor.Before(stored)
}

// boundedCount returns by how many records the registry's largest distribution exceeds its
// limits (base ≤ exact, recent ≤ recent, prefixes ≤ prefixes), or 0.
func boundedCount(r *registry) int {
	lim := r.lim.withDefaults()
	over := 0
	for _, d := range r.dists {
		over = max(over, len(d.base)-lim.exact, len(d.recent)-lim.recent, len(d.prefixes)-lim.prefixes)
	}
	return over
}
