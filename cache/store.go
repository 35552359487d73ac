package cache

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cfedge/edge/disk"
	"github.com/dgraph-io/ristretto/v2"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultStaleFor is how long an entry is kept after it expires, for revalidation.
	DefaultStaleFor = 24 * time.Hour
	// defaultLongestTTL is CloudFront's default MaxTTL (one year); DefaultMaxEntryLifetime adds
	// StaleFor to it.
	defaultLongestTTL = 365 * 24 * time.Hour

	minCounters = 10_000
	maxCounters = 10_000_000
	// bytesPerCounter sizes the admission sketch: one tenth of a counter per this many bytes of
	// budget, i.e. 10 counters per expected 4 KiB entry (ristretto's advice: 10× the item count).
	bytesPerCounter = 4 << 10
)

// ErrConfig is wrapped by every error New returns for an invalid Config.
var ErrConfig = errors.New("cache: invalid config")

// Config configures a Store. A zero optional field selects the default named in its comment.
type Config struct {
	// MaxBytes is the byte budget: the sum of Entry.Size over the entries held stays at or
	// below it, ristretto evicting the least frequently used entries to make room. Required.
	MaxBytes int64
	// StaleFor is how long an entry is kept after its Expires, so that it can be revalidated
	// (If-None-Match / If-Modified-Since) or served while the origin fails. If zero, 24 hours.
	StaleFor time.Duration
	// MaxEntryLifetime bounds how long any entry is kept after its Stored time, so it is also
	// how long an invalidation record matters: records older than this are dropped. Set
	// keeps an entry at most until Stored + MaxEntryLifetime, whatever its Expires. If zero,
	// one year (CloudFront's default MaxTTL) plus StaleFor.
	MaxEntryLifetime time.Duration
	// Now is the clock used for TTLs, staleness on Get and record pruning. If nil, time.Now.
	// (ristretto's own expiry always uses the real clock.)
	Now func() time.Time
	// NumCounters is the number of access counters of ristretto's admission policy, ideally
	// 10× the number of entries held when full. If zero, MaxBytes/4KiB×10 within [1e4, 1e7].
	NumCounters int64
	// Disk is the disk tier under the memory tier (see tier.go), or nil for memory only. Give
	// it a MaxLifetime equal to MaxEntryLifetime. The Store does not close it: close it after
	// the Store.
	Disk *disk.Store
}

// Store is a byte-budgeted cache of immutable entries with a lazy invalidation registry.
// It is safe for concurrent use. Close it when done to stop its goroutines.
//
// Visibility: ristretto buffers Set and applies it on its own goroutine. Set therefore calls
// ristretto's Wait before it returns, then checks that the entry was admitted. This costs one
// channel round trip to ristretto's goroutine, a few microseconds (BenchmarkSet against
// BenchmarkSetNoWait), which is small next to the origin fetch that precedes every Set. In
// return Set's result is exact (false when the admission policy rejected the entry, which a
// "pending" map could not tell), and Get needs no second lookup structure on its miss path.
type Store struct {
	c        *ristretto.Cache[[]byte, *Entry]
	now      func() time.Time
	staleFor time.Duration
	maxLife  time.Duration
	maxBytes int64

	tier *tier // the disk tier, or nil

	reg   atomic.Pointer[registry] // immutable snapshot; replaced whole by Invalidate
	regMu sync.Mutex               // serializes Invalidate's read-copy-publish of reg

	mu     sync.RWMutex // read-held by Set and Delete while they use c; write-held by Close
	closed atomic.Bool

	sets      atomic.Int64 // Set calls that returned true
	rejected  atomic.Int64 // Set calls that returned false
	discarded atomic.Int64 // ristretto hits that Get turned into misses
	evictions atomic.Int64 // entries ristretto evicted (room or TTL)

	// ristretto resets its metrics on Close; these keep the final counts.
	finalHits, finalMisses atomic.Int64

	// top is the largest objects and the hit sampler (top.go); last, so that the fields Get
	// reads keep their places.
	top topObjects
}

// Stats is a snapshot of a Store's counters since New.
type Stats struct {
	Hits      int64 // Get calls that returned an entry
	Misses    int64 // Get calls that returned nil (absent, other key, expired or invalidated)
	Sets      int64 // Set calls that returned true
	Rejected  int64 // Set calls that returned false (too big, already dead, dropped or not admitted)
	Evictions int64 // entries ristretto removed to make room or because their TTL ran out
	Bytes     int64 // sum of Entry.Size over the entries held
	MaxBytes  int64 // the budget (Config.MaxBytes)
}

// New returns a Store configured by cfg, or an error wrapping ErrConfig that names the invalid
// field. cfg is not modified.
func New(cfg Config) (*Store, error) {
	if cfg.MaxBytes <= 0 {
		return nil, fmt.Errorf("%w: MaxBytes must be positive, got %d", ErrConfig, cfg.MaxBytes)
	}
	if cfg.StaleFor < 0 {
		return nil, fmt.Errorf("%w: StaleFor must not be negative, got %v", ErrConfig, cfg.StaleFor)
	}
	if cfg.MaxEntryLifetime < 0 {
		return nil, fmt.Errorf("%w: MaxEntryLifetime must not be negative, got %v", ErrConfig, cfg.MaxEntryLifetime)
	}
	if cfg.NumCounters < 0 {
		return nil, fmt.Errorf("%w: NumCounters must not be negative, got %d", ErrConfig, cfg.NumCounters)
	}
	s := &Store{
		now:      cfg.Now,
		staleFor: cfg.StaleFor,
		maxLife:  cfg.MaxEntryLifetime,
		maxBytes: cfg.MaxBytes,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.staleFor == 0 {
		s.staleFor = DefaultStaleFor
	}
	if s.maxLife == 0 {
		s.maxLife = defaultLongestTTL + s.staleFor
	}
	counters := cfg.NumCounters
	if counters == 0 {
		counters = min(max(cfg.MaxBytes/bytesPerCounter*10, minCounters), maxCounters)
	}
	c, err := ristretto.NewCache(&ristretto.Config[[]byte, *Entry]{
		NumCounters:        counters,
		MaxCost:            cfg.MaxBytes,
		BufferItems:        64,
		Metrics:            true,
		IgnoreInternalCost: true,
		OnEvict: func(it *ristretto.Item[*Entry]) {
			if !s.closed.Load() { // Close clears the cache: not evictions
				s.evictions.Add(1)
				if s.tier != nil {
					s.tier.evicted(it.Value)
				}
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: ristretto: %w", ErrConfig, err)
	}
	s.c = c
	if cfg.Disk != nil {
		s.tier = newTier(cfg.Disk, s.deadline)
	}
	return s, nil
}

// Get returns the entry stored under key, fresh or stale, or nil when there is none, when the
// entry held under key's hash has another Key, when it is past its keep deadline (see Set), or
// when an invalidation covering (e.Dist, e.Path) was recorded at or after e.Stored.
// Get allocates nothing (ristretto's Get, which it calls, hands a batch of 64 key hashes to its
// admission policy in a new slice once per 64 calls or so: 0 allocs/op, amortized).
// After Close it returns nil.
func (s *Store) Get(key []byte) *Entry {
	if s == nil || s.closed.Load() {
		return nil
	}
	e, ok := s.c.Get(key)
	if !ok || e == nil {
		return nil
	}
	if !bytes.Equal(e.Key, key) ||
		!s.now().Before(s.deadline(e)) ||
		s.reg.Load().invalidated(e.Dist, e.Path, e.Stored) {
		s.discarded.Add(1)
		return nil
	}
	if r := rand.Uint32(); r&(HotSampling-1) == 0 { // one hit in 64 for Store.Hot (top.go)
		s.top.record(e.tag, r)
	}
	return e
}

// deadline is the moment e stops being kept: Expires + StaleFor, but no later than
// Stored + MaxEntryLifetime (which is what makes dropping old invalidation records safe).
func (s *Store) deadline(e *Entry) time.Time {
	d := e.Expires.Add(s.staleFor)
	if limit := e.Stored.Add(s.maxLife); limit.Before(d) {
		return limit
	}
	return d
}

// Set stores e under e.Key, replacing any entry held there, with cost e.Size() and a ristretto
// TTL of (Expires - now) + StaleFor, capped at Stored + MaxEntryLifetime.
//
// Once Set returns true, Get(e.Key) from any goroutine returns e (or an entry stored later)
// until it is evicted, expires, is replaced, deleted or invalidated. Set returns false, and
// stores nothing, when e is nil or has an empty Key, when its Size exceeds MaxBytes, when its
// deadline is not after now, when ristretto's write buffer is full, when the admission policy
// rejects it, or after Close. e must not be modified afterwards.
//
// With a disk tier, an entry the memory tier refuses is written to disk before Set returns,
// and Set reports whether either tier holds it; an entry the memory tier takes is written to
// disk in the background (tier.go).
func (s *Store) Set(e *Entry) bool {
	if s == nil || e == nil || e.disk != nil {
		return false
	}
	if !s.set(e) {
		s.rejected.Add(1)
		if s.tier != nil && len(e.Key) > 0 && !s.closed.Load() {
			return s.putDisk(e, bytes.NewReader(e.Body), int64(len(e.Body))) == nil
		}
		return false
	}
	s.sets.Add(1)
	if s.tier != nil {
		s.tier.later(e) // write-through, so that a restart finds it
	}
	return true
}

func (s *Store) set(e *Entry) bool {
	if e == nil || len(e.Key) == 0 {
		return false
	}
	ttl := s.deadline(e).Sub(s.now())
	cost := e.Size()
	if ttl <= 0 || cost > s.maxBytes {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return false
	}
	if t := e.tag; t == nil || !t.stored.Equal(e.Stored) || !t.deadline.Equal(s.deadline(e)) {
		// A new entry, or a copy of a stored one (refreshed): described before ristretto
		// publishes it. An entry stored again unchanged keeps its tag (and is not written to).
		e.tag = newTag(e, int64(len(e.Body)), s.deadline(e))
	}
	if !s.c.SetWithTTL(e.Key, e, cost, ttl) {
		return false
	}
	// ristretto applies new keys on its own goroutine; without this a Get right after Set
	// can miss, and the admission policy may still reject the entry. Wait until applied,
	// then look (GetTTL leaves hit metrics and admission counters alone).
	s.c.Wait()
	_, ok := s.c.GetTTL(e.Key)
	if ok {
		s.top.keepLargest(e.tag)
	}
	return ok
}

// Delete removes the entry stored under key, if any; a Get that starts after Delete returns
// does not see it.
func (s *Store) Delete(key []byte) {
	if s == nil {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return
	}
	s.c.Del(key)
	if s.tier != nil {
		s.tier.d.Delete(key)
	}
	s.top.forget(key)
}

// Invalidate records an invalidation of paths in distribution dist at time at (if at is zero,
// now). A path is exact ("/a/b.jpg") or, when it ends in "*", a prefix ("/images/*", "/*")
// that matches any characters after it, "/" included. Matching is case-sensitive. It never
// walks the cache: from the moment Invalidate returns, Get treats every entry of dist whose Path
// matches and whose Stored is at or before at as absent, whatever the rest of its key. Records
// older than MaxEntryLifetime (including this one, if at is that old) are dropped. The strings
// are copied.
//
// The records a distribution holds are bounded (16,384 exact paths, 256 wildcards): past that,
// the oldest fold into a distribution-wide floor, under which every entry stored at or before
// the newest folded record is treated as invalidated (more than was asked, never less). So
// neither the memory held, nor the cost of a lookup or of one Invalidate (proportional to the
// batch and the bounds), grows with the number of past invalidations.
func (s *Store) Invalidate(dist string, paths []string, at time.Time) {
	s.InvalidateExcept(dist, paths, nil, at)
}

// InvalidateExcept records an invalidation like Invalidate, except that the records never cover
// an entry whose path makes except return true (used for wildcards that must leave Smooth
// Streaming media cached, which CloudFront does not invalidate). except is called lazily on
// lookups, so it must be safe for concurrent use and allocate nothing. A distribution has one
// except function: the latest given applies to all its guarded records. A nil except is Invalidate.
func (s *Store) InvalidateExcept(dist string, paths []string, except func(path string) bool, at time.Time) {
	if s == nil {
		return
	}
	now := s.now()
	if at.IsZero() {
		at = now
	}
	if s.tier != nil {
		// The disk journals the records; a call with no paths gives it the predicate again
		// (after a restart, what its guarded records cover waits for it, unserved).
		s.tier.d.InvalidateExcept(dist, paths, except, at)
	}
	if len(paths) == 0 {
		return
	}
	cutoff := now.Add(-s.maxLife)
	s.regMu.Lock()
	defer s.regMu.Unlock()
	s.reg.Store(s.reg.Load().withRecords(dist, paths, except, at, cutoff))
}

// Stats returns the Store's counters. Each counter is read atomically; the set of them is not
// one atomic snapshot.
func (s *Store) Stats() Stats {
	if s == nil {
		return Stats{}
	}
	discarded := s.discarded.Load() // before the hits that include it: Hits never goes negative
	hits, misses := s.rawHits()
	st := Stats{
		Hits:      hits - discarded,
		Misses:    misses + discarded,
		Sets:      s.sets.Load(),
		Rejected:  s.rejected.Load(),
		Evictions: s.evictions.Load(),
		MaxBytes:  s.maxBytes,
	}
	if !s.closed.Load() {
		st.Bytes = s.c.MaxCost() - s.c.RemainingCost()
	}
	return st
}

// rawHits returns ristretto's hit and miss counts (kept across Close).
func (s *Store) rawHits() (hits, misses int64) {
	if s.closed.Load() {
		return s.finalHits.Load(), s.finalMisses.Load()
	}
	return int64(s.c.Metrics.Hits()), int64(s.c.Metrics.Misses())
}

// Close releases the Store: it waits for running Set and Delete calls, then empties the cache
// and stops ristretto's goroutines. Afterwards Get returns nil and Set returns false. Close is
// idempotent; it must not run concurrently with Get (ristretto's Get is not safe against a
// concurrent Close), which in practice means closing after the server has stopped.
func (s *Store) Close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return
	}
	s.finalHits.Store(int64(s.c.Metrics.Hits()))
	s.finalMisses.Store(int64(s.c.Metrics.Misses()))
	s.closed.Store(true)
	s.c.Close()
	if s.tier != nil {
		s.tier.stop() // after ristretto's goroutine, which feeds it, has stopped
	}
}
