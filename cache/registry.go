package cache

import (
	"slices"
	"strings"
	"time"
)

// prefixScanMax is the number of wildcard records per distribution up to which a lookup scans
// them newest first; above it, lookups go through a map keyed by prefix, one probe per distinct
// prefix length, so their cost no longer grows with the number of records.
const prefixScanMax = 16

// registry is an immutable snapshot of the invalidation records of every distribution.
// Invalidate builds a new one (copy-on-write) and publishes it through an atomic.Pointer, so
// lookups take no lock. A nil *registry is empty.
type registry struct {
	dists map[string]*distRecords
	// guarded holds, per distribution, records that do not apply to the paths their except
	// function protects (wildcards that must leave Smooth Streaming media cached).
	guarded map[string]*guardedRecords
}

// guardedRecords are a distribution's records with an exclusion: a path for which except returns
// true is never covered by them.
type guardedRecords struct {
	recs   *distRecords
	except func(path string) bool
}

// distRecords holds the records of one distribution. No record is redundant: a record is dropped
// when another one covers all its paths with a time at or after its own (see normalize).
type distRecords struct {
	newest   time.Time            // latest time of any record: entries stored after it are unaffected
	oldest   time.Time            // earliest time of any record: drives pruning
	exact    map[string]time.Time // exact path → latest invalidation time
	prefixes []prefixRecord       // all wildcard records, newest first
	byPrefix map[string]time.Time // prefix → time; only when len(prefixes) > prefixScanMax
	lengths  []prefixLen          // distinct prefix lengths, ascending; only with byPrefix
}

// prefixRecord is a wildcard invalidation: every path starting with prefix, at time at.
type prefixRecord struct {
	prefix string
	at     time.Time
}

// prefixLen is one distinct prefix length and the latest record time among prefixes of it.
type prefixLen struct {
	n      int
	newest time.Time
}

// invalidated reports whether a record of dist covering path has a time at or after stored.
// It allocates nothing.
func (r *registry) invalidated(dist, path string, stored time.Time) bool {
	if r == nil {
		return false
	}
	if d := r.dists[dist]; d != nil && d.covers(path, stored) {
		return true
	}
	if g := r.guarded[dist]; g != nil && g.recs.covers(path, stored) && !g.except(path) {
		return true
	}
	return false
}

func (d *distRecords) covers(path string, stored time.Time) bool {
	if d.newest.Before(stored) {
		return false
	}
	if at, ok := d.exact[path]; ok && !at.Before(stored) {
		return true
	}
	if d.byPrefix == nil {
		for i := range d.prefixes {
			p := &d.prefixes[i]
			if p.at.Before(stored) {
				return false // newest first: every later record is older still
			}
			if strings.HasPrefix(path, p.prefix) {
				return true
			}
		}
		return false
	}
	for i := range d.lengths {
		l := &d.lengths[i]
		if l.n > len(path) {
			break
		}
		if l.newest.Before(stored) {
			continue
		}
		if at, ok := d.byPrefix[path[:l.n]]; ok && !at.Before(stored) {
			return true
		}
	}
	return false
}

// with returns a new registry holding r's records plus one record per path of paths in dist at
// time at, without the records older than cutoff (in every distribution). r is not modified.
// The path strings are copied.
func (r *registry) with(dist string, paths []string, at, cutoff time.Time) *registry {
	return r.withRecords(dist, paths, nil, at, cutoff)
}

// withRecords builds the next registry: plain records when except is nil, guarded ones otherwise.
// Records older than cutoff are pruned everywhere.
func (r *registry) withRecords(dist string, paths []string, except func(string) bool, at, cutoff time.Time) *registry {
	nr := &registry{dists: make(map[string]*distRecords), guarded: make(map[string]*guardedRecords)}
	if r != nil {
		for id, g := range r.guarded {
			if id == dist && except != nil {
				continue // rebuilt below
			}
			recs := g.recs
			if recs.oldest.Before(cutoff) {
				recs = buildDist(recs, nil, time.Time{}, cutoff)
			}
			if recs != nil {
				nr.guarded[id] = &guardedRecords{recs: recs, except: g.except}
			}
		}
	}
	if except != nil {
		var old *distRecords
		if r != nil && r.guarded[dist] != nil {
			old = r.guarded[dist].recs
		}
		if recs := buildDist(old, paths, at, cutoff); recs != nil {
			nr.guarded[strings.Clone(dist)] = &guardedRecords{recs: recs, except: except}
		}
		paths = nil // the plain records of dist are only pruned
	}
	var old *distRecords
	if r != nil {
		old = r.dists[dist]
		for id, d := range r.dists {
			if id == dist {
				continue
			}
			if d.oldest.Before(cutoff) {
				d = buildDist(d, nil, time.Time{}, cutoff)
			}
			if d != nil {
				nr.dists[id] = d
			}
		}
	}
	if d := buildDist(old, paths, at, cutoff); d != nil {
		nr.dists[strings.Clone(dist)] = d
	}
	return nr
}

// buildDist merges old (which may be nil) with paths at time at, drops records before cutoff and
// redundant records, and returns the result, or nil when no record is left.
func buildDist(old *distRecords, paths []string, at, cutoff time.Time) *distRecords {
	exact := make(map[string]time.Time)
	pre := make(map[string]time.Time)
	if old != nil {
		for p, t := range old.exact {
			if !t.Before(cutoff) {
				exact[p] = t
			}
		}
		for _, p := range old.prefixes {
			if !p.at.Before(cutoff) {
				pre[p.prefix] = p.at
			}
		}
	}
	if !at.Before(cutoff) {
		for _, p := range paths {
			if prefix, ok := strings.CutSuffix(p, "*"); ok {
				putLatest(pre, prefix, at)
			} else {
				putLatest(exact, p, at)
			}
		}
	}
	return normalize(exact, pre)
}

// putLatest records t for key in m unless m already holds a later (or equal) time. The key is
// copied so that the registry keeps no reference to the caller's memory.
func putLatest(m map[string]time.Time, key string, t time.Time) {
	if cur, ok := m[key]; ok && !cur.Before(t) {
		return
	}
	m[strings.Clone(key)] = t
}

// normalize builds distRecords from exact and prefix maps, dropping every record that another
// prefix record dominates (covers all its paths with a time at or after its own). Dropping them
// changes no answer: the dominating record answers every lookup the same way and is pruned no
// earlier. Domination is transitive, so testing each record against the full set is enough.
func normalize(exact, pre map[string]time.Time) *distRecords {
	lengths := distinctLengths(pre)
	// covered reports whether a prefix of s of length < maxLen has a time at or after t.
	covered := func(s string, t time.Time, maxLen int) bool {
		for _, n := range lengths {
			if n >= maxLen {
				break
			}
			if at, ok := pre[s[:n]]; ok && !at.Before(t) {
				return true
			}
		}
		return false
	}
	d := &distRecords{exact: make(map[string]time.Time)}
	var kept []prefixRecord
	for p, t := range pre {
		if !covered(p, t, len(p)) {
			kept = append(kept, prefixRecord{prefix: p, at: t})
		}
	}
	first := true
	note := func(t time.Time) { // widen [oldest, newest] to include t
		if first || d.newest.Before(t) {
			d.newest = t
		}
		if first || t.Before(d.oldest) {
			d.oldest = t
		}
		first = false
	}
	for p, t := range exact {
		if !covered(p, t, len(p)+1) {
			d.exact[p] = t
			note(t)
		}
	}
	slices.SortFunc(kept, func(a, b prefixRecord) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(a.prefix, b.prefix)
	})
	d.prefixes = kept
	for _, p := range kept {
		note(p.at)
	}
	if len(kept) > prefixScanMax {
		d.byPrefix = make(map[string]time.Time, len(kept))
		newest := make(map[int]time.Time)
		for _, p := range kept {
			d.byPrefix[p.prefix] = p.at
			if cur, ok := newest[len(p.prefix)]; !ok || cur.Before(p.at) {
				newest[len(p.prefix)] = p.at
			}
		}
		for n, t := range newest {
			d.lengths = append(d.lengths, prefixLen{n: n, newest: t})
		}
		slices.SortFunc(d.lengths, func(a, b prefixLen) int { return a.n - b.n })
	}
	if len(d.exact) == 0 && len(d.prefixes) == 0 {
		return nil
	}
	return d
}

// distinctLengths returns the distinct key lengths of m, ascending.
func distinctLengths(m map[string]time.Time) []int {
	var ns []int
	for p := range m {
		ns = append(ns, len(p))
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}
