package control

import (
	"crypto/rand"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Invalidation statuses.
const (
	StatusInProgress = "InProgress"
	StatusCompleted  = "Completed"
)

// History kept for GetInvalidation and ListInvalidations, per distribution. InProgress
// invalidations are always kept (the in-progress limits bound them); Completed ones are dropped,
// oldest first, beyond defaultKeepCompleted of them or beyond defaultKeepBytes of path text,
// whichever comes first, except the newest, which is always kept. A dropped invalidation is
// NoSuchInvalidation to Get, missing from List, and its CallerReference may be reused.
// (CloudFront's console shows the last 100.)
const (
	defaultKeepCompleted = 1000
	defaultKeepBytes     = 8 << 20
)

// timeLayout is CloudFront's timestamp format (ISO 8601, UTC, milliseconds).
const timeLayout = "2006-01-02T15:04:05.000Z"

// pathSep joins a batch's paths in one string; checkPath refuses control characters in paths.
const pathSep = "\n"

// invalidation is one accepted batch. It is immutable once created. Its paths are held in one
// string, not one string each: a full batch is then one allocation of its text.
type invalidation struct {
	id        string
	callerRef string
	paths     string    // the batch's paths, in request order, joined with pathSep
	count     int       // number of paths
	wildcards int       // paths ending in "*"
	created   time.Time // when it was accepted (and written to the cache)
	done      time.Time // when it reads Completed: created + invalidation_delay

	// In a fleet: set once every live edge applied it or the time limit passed, and then the
	// edges that had not (see Server.invStatus).
	fleetDone atomic.Bool
	missing   atomic.Pointer[[]string]
}

func newInvalidation(id string, b *batch, created, done time.Time) *invalidation {
	return &invalidation{id: id, callerRef: b.callerRef, paths: strings.Join(b.paths, pathSep), count: len(b.paths),
		wildcards: b.wildcards(), created: created, done: done}
}

// pathList returns the batch's paths, in request order.
func (v *invalidation) pathList() []string { return strings.Split(v.paths, pathSep) }

// size is the memory v's text takes, counted against defaultKeepBytes.
func (v *invalidation) size() int { return len(v.paths) + len(v.id) + len(v.callerRef) }

func (v *invalidation) status(now time.Time) string {
	if now.Before(v.done) {
		return StatusInProgress
	}
	return StatusCompleted
}

// records holds one distribution's invalidations, oldest first. The Server's mutex guards it.
type records struct {
	list  []*invalidation
	byID  map[string]*invalidation
	byRef map[string]*invalidation
}

func newRecords() *records {
	return &records{byID: map[string]*invalidation{}, byRef: map[string]*invalidation{}}
}

// inProgress counts the individual and wildcard paths, and the batches, still InProgress.
// Every invalidation waits the same delay, so the in-progress ones are the newest: the walk
// stops at the first Completed one.
func (r *records) inProgress(now time.Time) (exact, wild, batches int) {
	for i := len(r.list) - 1; i >= 0; i-- {
		v := r.list[i]
		if !now.Before(v.done) {
			break
		}
		exact += v.count - v.wildcards
		wild += v.wildcards
		batches++
	}
	return exact, wild, batches
}

// add appends v, then drops the oldest Completed invalidations beyond keep of them or beyond
// keepBytes of text (see defaultKeepCompleted), always keeping the newest Completed one.
func (r *records) add(v *invalidation, now time.Time, keep, keepBytes int) {
	r.list = append(r.list, v)
	r.byID[v.id] = v
	r.byRef[v.callerRef] = v
	// Newest first, count the Completed ones and their bytes; the first over a bound and every
	// older Completed one go.
	completed, bytes, cut := 0, 0, -1
	for i := len(r.list) - 1; i >= 0; i-- {
		x := r.list[i]
		if now.Before(x.done) {
			continue
		}
		completed++
		bytes += x.size()
		if completed > 1 && (completed > keep || bytes > keepBytes) {
			cut = i
			break
		}
	}
	if cut < 0 {
		return
	}
	kept := r.list[:0]
	for i, x := range r.list {
		if i <= cut && !now.Before(x.done) {
			delete(r.byID, x.id)
			if r.byRef[x.callerRef] == x {
				delete(r.byRef, x.callerRef)
			}
			continue
		}
		kept = append(kept, x)
	}
	clear(r.list[len(kept):])
	r.list = kept
}

// page returns up to max invalidations, newest first, starting after the one whose id is
// marker (from the newest when marker is empty), and whether more follow.
func (r *records) page(marker string, max int) ([]*invalidation, bool, *apiError) {
	start := len(r.list) - 1
	if marker != "" {
		i := slices.IndexFunc(r.list, func(v *invalidation) bool { return v.id == marker })
		if i < 0 {
			return nil, false, invalidArgument("Marker %q is not the id of an invalidation of this distribution.", clip(marker, 64))
		}
		start = i - 1
	}
	var out []*invalidation
	for i := start; i >= 0 && len(out) < max; i-- {
		out = append(out, r.list[i])
	}
	return out, start+1 > len(out), nil
}

// newInvalidationID returns an id shaped like CloudFront's: "I" and 13 characters from A–Z and
// 0–9, drawn from crypto/rand, not used by taken.
func newInvalidationID(taken map[string]*invalidation) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for {
		id := make([]byte, 1, 14)
		id[0] = 'I'
		var buf [32]byte
		for len(id) < 14 {
			_, _ = rand.Read(buf[:]) // never fails (Go ≥ 1.24)
			for _, c := range buf {
				if c < 252 && len(id) < 14 { // 252 = 7·36: no modulo bias
					id = append(id, alphabet[int(c)%len(alphabet)])
				}
			}
		}
		if _, dup := taken[string(id)]; !dup {
			return string(id)
		}
	}
}

// xmlInvalidation is CloudFront's Invalidation (CreateInvalidation, GetInvalidation).
type xmlInvalidation struct {
	XMLName    xml.Name `xml:"Invalidation"`
	Xmlns      string   `xml:"xmlns,attr"`
	ID         string   `xml:"Id"`
	Status     string   `xml:"Status"`
	CreateTime string   `xml:"CreateTime"`
	Batch      struct {
		Paths struct {
			Quantity int `xml:"Quantity"`
			Items    struct {
				Path []string `xml:"Path"`
			} `xml:"Items"`
		} `xml:"Paths"`
		CallerReference string `xml:"CallerReference"`
	} `xml:"InvalidationBatch"`
}

func renderInvalidation(v *invalidation, status string) []byte {
	x := xmlInvalidation{Xmlns: Namespace, ID: v.id, Status: status, CreateTime: v.created.UTC().Format(timeLayout)}
	x.Batch.Paths.Quantity = v.count
	x.Batch.Paths.Items.Path = v.pathList()
	x.Batch.CallerReference = v.callerRef
	return marshalDoc(x)
}

// xmlInvalidationList is CloudFront's InvalidationList (ListInvalidations).
type xmlInvalidationList struct {
	XMLName     xml.Name `xml:"InvalidationList"`
	Xmlns       string   `xml:"xmlns,attr"`
	Marker      string   `xml:"Marker"`
	NextMarker  string   `xml:"NextMarker,omitempty"`
	MaxItems    int      `xml:"MaxItems"`
	IsTruncated bool     `xml:"IsTruncated"`
	Quantity    int      `xml:"Quantity"`
	Items       *struct {
		Summary []xmlInvalidationSummary `xml:"InvalidationSummary"`
	} `xml:"Items,omitempty"`
}

type xmlInvalidationSummary struct {
	ID         string `xml:"Id"`
	CreateTime string `xml:"CreateTime"`
	Status     string `xml:"Status"`
}

// parseMaxItems reads a MaxItems query parameter: absent means 100; otherwise an integer from
// 1 to 1000 (larger values are capped at 1000).
func parseMaxItems(raw []byte) (int, *apiError) {
	if len(raw) == 0 {
		return 100, nil
	}
	n := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, invalidArgument("MaxItems %q is not a positive integer.", clip(string(raw), 32))
		}
		if n <= 1000 {
			n = n*10 + int(c-'0')
		}
	}
	if n == 0 {
		return 0, invalidArgument("MaxItems must be at least 1.")
	}
	return min(n, 1000), nil
}

// tooMany reports the in-progress limit that accepting b would exceed, if any.
func tooMany(b *batch, exact, wild int) *apiError {
	newWild := b.wildcards()
	newExact := len(b.paths) - newWild
	switch {
	case wild+newWild > MaxInProgressWildcards:
		return errorf(http.StatusBadRequest, CodeTooManyInvalidationsInProgress,
			"Processing your request will cause you to exceed the maximum number of in-progress wildcard "+
				"invalidations: %d in progress, %d requested, at most %d.", wild, newWild, MaxInProgressWildcards)
	case exact+newExact > MaxInProgressPaths:
		return errorf(http.StatusBadRequest, CodeTooManyInvalidationsInProgress,
			"Processing your request will cause you to exceed the maximum number of in-progress individual "+
				"path invalidations: %d in progress, %d requested, at most %d.", exact, newExact, MaxInProgressPaths)
	}
	return nil
}
