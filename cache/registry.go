package cache

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Bounds of the invalidation registry, per distribution (and again for its guarded records).
// They keep both the memory a distribution's records hold and the work of one Invalidate
// bounded, however many invalidations came before.
const (
	// defaultMaxExact is the most exact-path records kept. Past it, the oldest records fold into
	// the distribution's floor ("everything stored at or before T is invalidated"), which may
	// invalidate more than was asked, never less. It is five full CloudFront batches (3,000
	// paths each, the most that may be in progress at once).
	defaultMaxExact = 16384
	// defaultMaxPrefixes is the most wildcard records kept; past it the oldest fold likewise.
	// CloudFront allows 15 wildcards in progress at once, so this is a long history of them.
	defaultMaxPrefixes = 256
	// defaultMaxRecent is the size up to which the newest exact records live in a small map
	// that each Invalidate copies; past it they are merged into the large map, which is then
	// rebuilt (every defaultMaxRecent records or so) and otherwise shared between snapshots.
	defaultMaxRecent = 4096
)

// prefixScanMax is the number of wildcard records per distribution up to which a lookup scans
// them newest first; above it, lookups go through a map keyed by prefix, one probe per distinct
// prefix length, so their cost no longer grows with the number of records.
const prefixScanMax = 16

// limits are the registry's bounds; a zero field takes its default.
type limits struct {
	exact, prefixes, recent int
}

func (l limits) withDefaults() limits {
	if l.exact <= 0 {
		l.exact = defaultMaxExact
	}
	if l.prefixes <= 0 {
		l.prefixes = defaultMaxPrefixes
	}
	if l.recent <= 0 {
		l.recent = defaultMaxRecent
	}
	return l
}

// registry is an immutable snapshot of the invalidation records of every distribution.
// Invalidate builds the next one and publishes it through an atomic.Pointer, so lookups take no
// lock. Building it copies only what changes: the distribution maps (one pointer per
// distribution) and the updated distribution's small parts; the large map of exact records is
// shared until a merge replaces it. A nil *registry is empty and has the default limits.
type registry struct {
	lim   limits
	dists map[string]*distRecords
	// guarded holds, per distribution, records that do not apply to the paths their except
	// function protects (wildcards that must leave Smooth Streaming media cached).
	guarded map[string]*guardedRecords
}

// guardedRecords are a distribution's records with an exclusion: a path for which except returns
// true is never covered by them (their floor included).
type guardedRecords struct {
	recs   *distRecords
	except func(path string) bool
}

// distRecords holds the records of one distribution. It is never modified once published.
//
// Every path stored at or before floor is covered, whatever the path: the records folded into it
// are gone. The exact records are split in two maps, both consulted by a lookup: base, rebuilt
// only by a merge and otherwise shared between snapshots, and recent, the records added since the
// last merge, copied on each Invalidate while it stays small. A merge drops the records that the
// floor, a wildcard record or the pruning cutoff make redundant.
//
// The floor of plain records covers Smooth Streaming media too (refetching them is harmless,
// their bytes do not change); the floor of guarded records keeps their exclusion.
type distRecords struct {
	floor    time.Time            // zero: no floor
	newest   time.Time            // latest time of any record or the floor: later entries are unaffected
	oldest   time.Time            // earliest time of any record or the floor: drives pruning
	base     map[string]time.Time // exact path → latest invalidation time (shared)
	recent   map[string]time.Time // exact path → latest time, since the last merge (at most lim.recent)
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
// Its cost does not depend on how many invalidations were recorded (two map probes, the floor,
// and at most prefixScanMax wildcards or one probe per distinct wildcard length), and it
// allocates nothing.
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
	if !d.floor.IsZero() && !d.floor.Before(stored) {
		return true
	}
	if at, ok := d.recent[path]; ok && !at.Before(stored) {
		return true
	}
	if at, ok := d.base[path]; ok && !at.Before(stored) {
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
// time at. Records older than cutoff matter to no entry (Set keeps none that long) and are
// dropped as the registry goes. r is not modified. The path strings are copied.
func (r *registry) with(dist string, paths []string, at, cutoff time.Time) *registry {
	return r.withRecords(dist, paths, nil, at, cutoff)
}

// withRecords builds the next registry: plain records when except is nil, guarded ones otherwise.
// Only dist's records are rebuilt; other distributions are carried over, except those whose
// every record is older than cutoff, which are dropped.
func (r *registry) withRecords(dist string, paths []string, except func(string) bool, at, cutoff time.Time) *registry {
	nr := &registry{dists: make(map[string]*distRecords), guarded: make(map[string]*guardedRecords)}
	if r != nil {
		nr.lim = r.lim
		for id, d := range r.dists {
			if !d.newest.Before(cutoff) {
				nr.dists[id] = d
			}
		}
		for id, g := range r.guarded {
			if !g.recs.newest.Before(cutoff) {
				nr.guarded[id] = g
			}
		}
	}
	lim := nr.lim.withDefaults()
	if except != nil {
		var old *distRecords
		if g := nr.guarded[dist]; g != nil {
			old = g.recs
		}
		if recs := old.add(paths, at, cutoff, lim); recs != nil {
			nr.guarded[strings.Clone(dist)] = &guardedRecords{recs: recs, except: except}
		} else {
			delete(nr.guarded, dist)
		}
		return nr
	}
	if d := nr.dists[dist].add(paths, at, cutoff, lim); d != nil {
		nr.dists[strings.Clone(dist)] = d
	} else {
		delete(nr.dists, dist)
	}
	return nr
}

// add returns old (which may be nil) plus paths at time at, or nil when no record is left. It
// copies old's recent map and wildcard records, and merges the exact records into a new base
// when recent outgrows its bound or when old's oldest record is well past cutoff.
func (old *distRecords) add(paths []string, at, cutoff time.Time, lim limits) *distRecords {
	d := &distRecords{}
	pre := make(map[string]time.Time)
	if old != nil {
		*d = *old
		d.recent = make(map[string]time.Time, len(old.recent)+len(paths))
		for p, t := range old.recent {
			d.recent[p] = t
		}
		for _, p := range old.prefixes {
			pre[p.prefix] = p.at
		}
	}
	if !at.Before(cutoff) && !d.floored(at) && len(paths) > 0 {
		if d.recent == nil {
			d.recent = make(map[string]time.Time, len(paths))
		}
		for _, p := range paths {
			if prefix, ok := strings.CutSuffix(p, "*"); ok {
				putLatest(pre, prefix, at)
			} else {
				putLatest(d.recent, p, at)
			}
		}
		d.widen(at, old == nil)
	}
	if !d.floor.IsZero() && d.floor.Before(cutoff) {
		d.floor = time.Time{}
	}
	d.setPrefixes(pre, cutoff, lim)
	// Pruning rebuilds everything, so it waits until the oldest record is older than cutoff by
	// an eighth of the records' lifetime (at - cutoff): at most eight such merges per lifetime.
	stale := old != nil && old.oldest.Before(cutoff.Add(-at.Sub(cutoff)/8))
	if len(d.recent) > lim.recent || stale {
		d.merge(cutoff, lim)
		d.span()
	}
	if d.floor.IsZero() && len(d.base) == 0 && len(d.recent) == 0 && len(d.prefixes) == 0 {
		return nil
	}
	return d
}

// putLatest records t for key in m unless m already holds a later (or equal) time. The key is
// copied so that the registry keeps no reference to the caller's memory.
func putLatest(m map[string]time.Time, key string, t time.Time) {
	if cur, ok := m[key]; ok && !cur.Before(t) {
		return
	}
	m[strings.Clone(key)] = t
}

// setPrefixes installs the wildcard records of pre: without those older than cutoff, at or
// before the floor, or dominated by another prefix (one that covers all their paths with a time
// at or after theirs); then, past lim.prefixes, the oldest are folded into the floor.
func (d *distRecords) setPrefixes(pre map[string]time.Time, cutoff time.Time, lim limits) {
	lengths := distinctLengths(pre)
	var kept []prefixRecord
	for p, t := range pre {
		if t.Before(cutoff) || d.floored(t) || dominated(pre, lengths, p, t, len(p)) {
			continue
		}
		kept = append(kept, prefixRecord{prefix: p, at: t})
	}
	slices.SortFunc(kept, func(a, b prefixRecord) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(a.prefix, b.prefix)
	})
	if len(kept) > lim.prefixes {
		d.raiseFloor(kept[lim.prefixes].at) // newest first: the first one folded is the newest folded
		kept = slices.DeleteFunc(kept, func(p prefixRecord) bool { return d.floored(p.at) })
	}
	d.prefixes, d.byPrefix, d.lengths = kept, nil, nil
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
}

// merge rebuilds base from base and recent, dropping the records that are older than cutoff, at
// or before the floor, or dominated by a wildcard record; past lim.exact, the oldest fold into
// the floor. recent is emptied.
func (d *distRecords) merge(cutoff time.Time, lim limits) {
	pre := prefixMap(d.prefixes)
	lengths := distinctLengths(pre)
	all := make(map[string]time.Time, len(d.base)+len(d.recent))
	for _, m := range [...]map[string]time.Time{d.base, d.recent} {
		for p, t := range m {
			if t.Before(cutoff) || d.floored(t) || dominated(pre, lengths, p, t, len(p)+1) {
				continue
			}
			if cur, ok := all[p]; !ok || cur.Before(t) {
				all[p] = t // the keys are the registry's own copies already
			}
		}
	}
	if len(all) > lim.exact {
		times := make([]time.Time, 0, len(all))
		for _, t := range all {
			times = append(times, t)
		}
		slices.SortFunc(times, time.Time.Compare)
		d.raiseFloor(times[len(all)-lim.exact-1]) // the newest of the oldest len(all)-lim.exact
		maps.DeleteFunc(all, func(_ string, t time.Time) bool { return d.floored(t) })
		d.setPrefixes(prefixMap(d.prefixes), cutoff, lim)
	}
	d.base, d.recent = all, nil
}

// prefixMap returns the wildcard records ps as a map from prefix to time.
func prefixMap(ps []prefixRecord) map[string]time.Time {
	m := make(map[string]time.Time, len(ps))
	for _, p := range ps {
		m[p.prefix] = p.at
	}
	return m
}

// floored reports whether the floor makes a record at time t redundant.
func (d *distRecords) floored(t time.Time) bool {
	return !d.floor.IsZero() && !d.floor.Before(t)
}

// raiseFloor moves the floor up to t (never down).
func (d *distRecords) raiseFloor(t time.Time) {
	if d.floor.IsZero() || d.floor.Before(t) {
		d.floor = t
	}
}

// widen extends [oldest, newest] to include t; when first, it starts the span at t.
func (d *distRecords) widen(t time.Time, first bool) {
	if first || d.newest.Before(t) {
		d.newest = t
	}
	if first || t.Before(d.oldest) {
		d.oldest = t
	}
}

// span sets newest and oldest from the floor and every record. Between merges they are only
// widened: a newest too late or an oldest too early costs a little work, never an answer.
func (d *distRecords) span() {
	first := true
	note := func(t time.Time) {
		d.widen(t, first)
		first = false
	}
	if !d.floor.IsZero() {
		note(d.floor)
	}
	for _, m := range [...]map[string]time.Time{d.base, d.recent} {
		for _, t := range m {
			note(t)
		}
	}
	for _, p := range d.prefixes {
		note(p.at)
	}
}

// dominated reports whether a prefix in pre shorter than maxLen, with a time at or after t, is a
// prefix of s. lengths are pre's distinct key lengths, ascending.
func dominated(pre map[string]time.Time, lengths []int, s string, t time.Time, maxLen int) bool {
	for _, n := range lengths {
		if n >= maxLen || n > len(s) {
			break
		}
		if at, ok := pre[s[:n]]; ok && !at.Before(t) {
			return true
		}
	}
	return false
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
