package cache

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// What the cache holds, for people looking at it (the console): the largest objects and the
// ones requested most. ristretto can't be listed cheaply (its IterValues visits every entry
// under its shard locks), so both come from small bounded structures fed as entries come and go:
//
//   - the largest: the topLargest biggest objects stored since start (memory Set and Promote,
//     disk writes), kept in a list under a mutex by the store path, which is the miss path (Set
//     waits for ristretto anyway); Largest drops those no tier holds any more.
//   - the hottest: Get samples one hit in HotSampling at random (math/rand/v2's per-thread
//     generator: no counter shared between cores on the hit path), adds it to the entry's tag (a
//     small record Set makes, holding no body) and drops the tag in one of hotSlots slots, at
//     random. Hot reads the slots for candidates, keeps at most hotCandidates of them and turns
//     their counters into rates. A sample costs two atomic operations and allocates nothing;
//     the other hits cost one random number.

// HotSampling is one over the share of memory hits that Get samples for Store.Hot.
const HotSampling = 64

const (
	hotSlots      = 256 // power of two
	hotCandidates = 512
	topLargest    = 64
	// hotTau is the time constant of Hot's moving average of each object's rate.
	hotTau = 10 * time.Second
)

// objTag describes one stored entry for the listings. It is made when the entry is stored and
// holds no body (the key, path and distribution share the entry's memory).
type objTag struct {
	key        []byte
	dist, path string
	size       int64     // body bytes
	stored     time.Time // Entry.Stored (for the invalidation registry)
	deadline   time.Time // when the Store stops keeping it
	born       time.Time // wall clock when the tag was made (the start of its first rate)
	hits       atomic.Int64
}

func newTag(e *Entry, size int64, deadline time.Time) *objTag {
	return &objTag{key: e.Key, dist: e.Dist, path: e.Path, size: size, stored: e.Stored, deadline: deadline, born: time.Now()}
}

// topObjects is a Store's largest-objects list and hit sampler.
type topObjects struct {
	slots [hotSlots]atomic.Pointer[objTag]

	mu      sync.Mutex // guards largest and byKey
	largest []*objTag
	byKey   map[string]int // index in largest

	hotMu   sync.Mutex // guards hot and hotLast
	hot     map[*objTag]*hotState
	hotLast time.Time // when Hot last ran
}

// hotState is Hot's memory of one candidate: its sampled hits when last read, and its rate.
type hotState struct {
	last int64
	rate float64 // estimated hits per second
}

// record adds a sampled hit to tag and offers it as a candidate: Get calls it for one hit in
// HotSampling, with the random number r that chose it. It allocates nothing.
func (t *topObjects) record(tag *objTag, r uint32) {
	if tag == nil {
		return
	}
	tag.hits.Add(1)
	t.slots[(r>>16)&(hotSlots-1)].Store(tag)
}

// keepLargest offers a stored object to the largest list: it replaces the record of the same
// key, or enters when the list has room or it is larger than the smallest there.
func (t *topObjects) keepLargest(tag *objTag) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byKey == nil {
		t.byKey = make(map[string]int, topLargest)
	}
	if i, ok := t.byKey[string(tag.key)]; ok {
		t.largest[i] = tag
		return
	}
	if len(t.largest) < topLargest {
		t.byKey[string(tag.key)] = len(t.largest)
		t.largest = append(t.largest, tag)
		return
	}
	i := t.smallest()
	if tag.size <= t.largest[i].size {
		return
	}
	delete(t.byKey, string(t.largest[i].key))
	t.largest[i] = tag
	t.byKey[string(tag.key)] = i
}

// smallest returns the index of the smallest object in the list (not empty).
func (t *topObjects) smallest() int {
	m := 0
	for i, o := range t.largest {
		if o.size < t.largest[m].size {
			m = i
		}
	}
	return m
}

// forget drops key from the largest list (Delete).
func (t *topObjects) forget(key []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.byKey[string(key)]
	if !ok {
		return
	}
	t.removeAt(i)
}

func (t *topObjects) removeAt(i int) {
	delete(t.byKey, string(t.largest[i].key))
	last := len(t.largest) - 1
	if i != last {
		t.largest[i] = t.largest[last]
		t.byKey[string(t.largest[i].key)] = i
	}
	t.largest[last] = nil
	t.largest = t.largest[:last]
}

// Object is one cached object as Store.Largest and Store.Hot list it.
type Object struct {
	Dist string // distribution id
	Path string // request path, without query string
	// Size is the body's length in bytes.
	Size int64
	// Stored is when the response arrived from the origin.
	Stored time.Time
	// Memory and Disk say which tiers hold it (Largest only).
	Memory, Disk bool
	// Rate is its estimated hits per second, averaged over about 10 s, and Hits its estimated
	// hits since it was stored (Hot only: both are sampled counts × HotSampling; every variant
	// of the path is summed).
	Rate float64
	Hits int64
}

// Largest returns up to n of the largest objects the Store holds, largest first. It knows the
// 64 largest objects stored since New that are still held (in memory or on disk, not expired
// or invalidated), so it may miss an object that was pushed out of that list by larger ones
// that have gone since. Variants of one path (other query strings, encodings) are separate
// objects.
func (s *Store) Largest(n int) []Object {
	if s == nil || n <= 0 {
		return nil
	}
	now := s.now()
	t := &s.top
	t.mu.Lock()
	tags := slices.Clone(t.largest)
	t.mu.Unlock()
	var out []Object
	var gone []*objTag
	for _, tag := range tags {
		mem, disk := s.holds(tag, now)
		if !mem && !disk {
			gone = append(gone, tag)
			continue
		}
		out = append(out, Object{Dist: tag.dist, Path: tag.path, Size: tag.size, Stored: tag.stored, Memory: mem, Disk: disk})
	}
	if len(gone) > 0 {
		t.mu.Lock()
		for _, g := range gone {
			if i, ok := t.byKey[string(g.key)]; ok && t.largest[i] == g {
				t.removeAt(i)
			}
		}
		t.mu.Unlock()
	}
	slices.SortStableFunc(out, func(a, b Object) int { return cmp.Compare(b.Size, a.Size) })
	return out[:min(n, len(out))]
}

// holds reports which tiers hold tag's object at now: none once it is past its deadline or
// invalidated.
func (s *Store) holds(tag *objTag, now time.Time) (mem, disk bool) {
	if s.closed.Load() || !now.Before(tag.deadline) || s.reg.Load().invalidated(tag.dist, tag.path, tag.stored) {
		return false, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return false, false
	}
	_, mem = s.c.GetTTL(tag.key) // leaves ristretto's hit counts and admission alone
	disk = s.tier != nil && s.tier.d.Has(tag.key)
	return mem, disk
}

// Hot returns up to n of the objects hit most in memory lately, hottest first, with their
// estimated rates: the rates move from one call to the next, so call it regularly (the console
// does, every second). Objects are listed by distribution and path, their variants summed.
func (s *Store) Hot(n int) []Object {
	if s == nil || n <= 0 {
		return nil
	}
	return s.top.hotAt(n, time.Now())
}

// hotAt is Hot at the wall-clock time now.
func (t *topObjects) hotAt(n int, now time.Time) []Object {
	t.hotMu.Lock()
	defer t.hotMu.Unlock()
	if t.hot == nil {
		t.hot = make(map[*objTag]*hotState)
	}
	seen := make(map[*objTag]bool, hotSlots)
	for i := range t.slots {
		if tag := t.slots[i].Load(); tag != nil {
			seen[tag] = true
			if t.hot[tag] == nil {
				t.hot[tag] = &hotState{rate: -1}
			}
		}
	}
	dt := now.Sub(t.hotLast)
	for tag, st := range t.hot {
		hits := tag.hits.Load()
		if st.rate < 0 { // new: its rate since it was stored
			st.rate = float64(hits*HotSampling) / max(now.Sub(tag.born).Seconds(), 1)
		} else if dt > 0 {
			inst := float64((hits-st.last)*HotSampling) / dt.Seconds()
			a := 1 - math.Exp(-dt.Seconds()/hotTau.Seconds())
			st.rate += a * (inst - st.rate)
		}
		st.last = hits
		if st.rate < 0.01 && !seen[tag] {
			delete(t.hot, tag)
		}
	}
	t.hotLast = now
	if len(t.hot) > hotCandidates {
		t.trimHot()
	}
	return t.hottest(n)
}

// trimHot keeps the hotCandidates candidates with the highest rates.
func (t *topObjects) trimHot() {
	tags := make([]*objTag, 0, len(t.hot))
	for tag := range t.hot {
		tags = append(tags, tag)
	}
	slices.SortFunc(tags, func(a, b *objTag) int { return cmp.Compare(t.hot[b].rate, t.hot[a].rate) })
	for _, tag := range tags[hotCandidates:] {
		delete(t.hot, tag)
	}
}

// hottest sums the candidates by distribution and path and returns the n with the highest
// rates.
func (t *topObjects) hottest(n int) []Object {
	type id struct{ dist, path string }
	by := map[id]*Object{}
	for tag, st := range t.hot {
		k := id{tag.dist, tag.path}
		o := by[k]
		if o == nil {
			o = &Object{Dist: tag.dist, Path: tag.path}
			by[k] = o
		}
		o.Rate += st.rate
		o.Hits += tag.hits.Load() * HotSampling
		o.Size = max(o.Size, tag.size)
		if tag.stored.After(o.Stored) {
			o.Stored = tag.stored
		}
	}
	out := make([]Object, 0, len(by))
	for _, o := range by {
		if o.Hits > 0 {
			out = append(out, *o)
		}
	}
	slices.SortFunc(out, func(a, b Object) int {
		if c := cmp.Compare(b.Rate, a.Rate); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Hits, a.Hits); c != 0 {
			return c
		}
		return cmp.Compare(a.Dist+a.Path, b.Dist+b.Path)
	})
	return out[:min(n, len(out))]
}
