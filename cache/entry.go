package cache

import "time"

// entryOverhead is the fixed cost charged per entry on top of its byte slices: the Entry struct,
// ristretto's bookkeeping (store item, policy key/cost, expiry bucket) and map slack, rounded.
const entryOverhead = 200

// fieldOverhead is the cost of one Field value (two slice headers) in Entry.Header.
const fieldOverhead = 48

// Field is one response header replayed on a hit.
type Field struct{ Key, Value []byte }

// Entry is one cached response. Entries are immutable once stored: never modify one (or any
// slice it holds) after Set; build a new Entry to refresh one. Readers may share an Entry
// across goroutines without locking because nobody writes to it.
type Entry struct {
	Key     []byte    // full cache key (compared on Get to rule out hash collisions)
	Dist    string    // distribution id (invalidation scope)
	Path    string    // request path (invalidation matching), e.g. "/images/a.jpg"
	Status  int       // HTTP status to replay
	Header  []Field   // headers to replay (the edge decides which)
	Body    []byte    // body to replay
	Stored  time.Time // when the origin response arrived (Age is measured from here)
	Expires time.Time // end of freshness; stale afterwards but kept for revalidation
	// InitialAge is the response's corrected initial age when it arrived (RFC 9111 §4.2.3):
	// what upstream caches and the trip had already used of its freshness. Age adds it.
	InitialAge time.Duration
	// Date is the Date header to replay: the origin's, or the time the response arrived when
	// the origin sent none (RFC 9110 §6.6.1).
	Date []byte
	// Head is the answer's head prepared by the edge for fast replay (opaque to the cache, nil
	// when none), and HeadSize the bytes it holds, counted in Size. Like the rest of the entry
	// it is never modified once stored.
	Head         any
	HeadSize     int64
	ETag         []byte // validator for revalidation (may be nil)
	LastModified []byte // validator for revalidation (may be nil)
	// StaleWhileRevalidate is how long after Expires the entry may still be served while it is
	// refreshed in the background (RFC 5861); 0 for none.
	StaleWhileRevalidate time.Duration
	// StaleIfError is how long after Expires the entry may be served when the origin fails;
	// meaningful only with HasStaleIfError (without it the edge's own rule applies).
	StaleIfError    time.Duration
	HasStaleIfError bool

	// disk is set on an entry read from the disk tier (Store.GetDisk): its body is in a file.
	disk *diskBody
	// tag describes the entry for Store.Largest and Store.Hot (top.go); set when it is stored.
	tag *objTag
}

// Fresh reports whether e is still fresh at now, that is now is before e.Expires. A nil Entry
// is never fresh.
func (e *Entry) Fresh(now time.Time) bool {
	return e != nil && now.Before(e.Expires)
}

// Age returns the entry's current age in whole seconds at now (the HTTP Age header value):
// its corrected initial age plus the time it has spent here (RFC 9111 §4.2.3). It is never
// negative, and a nil Entry has age 0.
func (e *Entry) Age(now time.Time) int64 {
	if e == nil {
		return 0
	}
	d := max(now.Sub(e.Stored), 0) + max(e.InitialAge, 0)
	return int64(d / time.Second)
}

// Size returns the cost of e in the Store's byte budget: the lengths of the body, the header
// keys and values, the key, path, distribution id and validators, plus a fixed per-entry and
// per-header overhead. It is a pure function of e, so it is the same on every call.
func (e *Entry) Size() int64 {
	if e == nil {
		return 0
	}
	n := int64(entryOverhead)
	n += int64(len(e.Body)+len(e.Key)+len(e.Path)+len(e.Dist)+len(e.ETag)+len(e.LastModified)+len(e.Date)) + e.HeadSize
	for i := range e.Header {
		n += int64(fieldOverhead + len(e.Header[i].Key) + len(e.Header[i].Value))
	}
	return n
}
