package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Bounds of the invalidation records, per distribution (and again for its guarded records),
// as in package cache: past them the oldest records fold into a floor ("everything of the
// distribution stored at or before T is invalidated"), which invalidates more than was asked,
// never less. They bound both the memory and the journal.
const (
	maxExact    = 16384 // five full CloudFront batches of 3,000 paths
	maxPrefixes = 256   // CloudFront allows 15 wildcards in progress at once
	// journalMinCompact is the journal size under which it is never rewritten; above it, it is
	// rewritten from the records held when it reaches four times its last rewritten size.
	journalMinCompact = 1 << 20
	// maxRecordLen bounds one journal record (a batch of 3,000 paths of 4,000 bytes is 12 MB).
	maxRecordLen = 64 << 20
)

// Journal record kinds.
const (
	kindPlain        = 1 // paths invalidated at a time
	kindGuarded      = 2 // paths invalidated at a time, except what the distribution's predicate exempts
	kindFloor        = 3 // everything of the distribution stored at or before the time
	kindGuardedFloor = 4 // the same, for guarded records
)

// registry holds the invalidation records: lookups are lazy (Get checks an object's
// distribution, path and Stored time against them), so an invalidation never walks the disk.
type registry struct {
	mu      sync.RWMutex
	plain   map[string]*records
	guarded map[string]*records
	except  map[string]func(path string) bool // latest predicate per distribution, this process
}

// records are one distribution's records of one kind (plain or guarded).
type records struct {
	floor    time.Time            // zero: none
	newest   time.Time            // latest time of any record: objects stored after it are unaffected
	exact    map[string]time.Time // path → latest invalidation time
	prefixes []prefixRecord       // wildcards, newest first
}

type prefixRecord struct {
	prefix string
	at     time.Time
}

func newRegistry() *registry {
	return &registry{
		plain:   make(map[string]*records),
		guarded: make(map[string]*records),
		except:  make(map[string]func(string) bool),
	}
}

// verdict is what the records say of an object.
type verdict uint8

const (
	live    verdict = iota // no record covers it
	covered                // a record covers it
	// pending: only guarded records whose predicate this process has not been given yet (after
	// a restart) cover it: it may be exempt. It is not served, and not removed, until it is.
	pending
)

// judge says whether a record covers an object of dist at path stored at stored.
func (r *registry) judge(dist, path string, stored time.Time) verdict {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if d := r.plain[dist]; d != nil && d.covers(path, stored) {
		return covered
	}
	if d := r.guarded[dist]; d != nil && d.covers(path, stored) {
		switch ex := r.except[dist]; {
		case ex == nil:
			return pending
		case !ex(path):
			return covered
		}
	}
	return live
}

// invalidated reports whether a record covers, or may cover, an object of dist at path stored
// at stored.
func (r *registry) invalidated(dist, path string, stored time.Time) bool {
	return r.judge(dist, path, stored) != live
}

func (d *records) covers(path string, stored time.Time) bool {
	if d.newest.Before(stored) {
		return false
	}
	if !d.floor.IsZero() && !d.floor.Before(stored) {
		return true
	}
	if at, ok := d.exact[path]; ok && !at.Before(stored) {
		return true
	}
	for i := range d.prefixes {
		p := &d.prefixes[i]
		if p.at.Before(stored) {
			return false // newest first
		}
		if strings.HasPrefix(path, p.prefix) {
			return true
		}
	}
	return false
}

// add records paths (exact, or "prefix*") of dist at time at; floor records a floor instead.
// Records older than cutoff are ignored.
func (r *registry) add(kind byte, dist string, paths []string, except func(string) bool, at, cutoff time.Time) {
	if at.Before(cutoff) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.plain
	if kind == kindGuarded || kind == kindGuardedFloor {
		m = r.guarded
		if except != nil {
			r.except[dist] = except
		}
	}
	if kind != kindFloor && kind != kindGuardedFloor && len(paths) == 0 {
		return
	}
	d := m[dist]
	if d == nil {
		d = &records{exact: make(map[string]time.Time)}
		m[strings.Clone(dist)] = d
	}
	if kind == kindFloor || kind == kindGuardedFloor {
		d.raiseFloor(at)
		return
	}
	if !d.floor.IsZero() && !d.floor.Before(at) {
		return
	}
	prefixesChanged := false
	for _, p := range paths {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			d.addPrefix(prefix, at)
			prefixesChanged = true
		} else if cur, ok := d.exact[p]; !ok || cur.Before(at) {
			d.exact[strings.Clone(p)] = at
		}
	}
	if d.newest.Before(at) {
		d.newest = at
	}
	if prefixesChanged {
		slices.SortFunc(d.prefixes, func(a, b prefixRecord) int { return b.at.Compare(a.at) })
		if len(d.prefixes) > maxPrefixes {
			d.raiseFloor(d.prefixes[maxPrefixes*3/4].at)
		}
	}
	if len(d.exact) > maxExact {
		times := make([]time.Time, 0, len(d.exact))
		for _, t := range d.exact {
			times = append(times, t)
		}
		slices.SortFunc(times, time.Time.Compare)
		d.raiseFloor(times[len(times)-maxExact*3/4-1])
	}
}

func (d *records) addPrefix(prefix string, at time.Time) {
	for i := range d.prefixes {
		if d.prefixes[i].prefix == prefix {
			if d.prefixes[i].at.Before(at) {
				d.prefixes[i].at = at
			}
			return
		}
	}
	d.prefixes = append(d.prefixes, prefixRecord{prefix: strings.Clone(prefix), at: at})
}

// raiseFloor moves the floor up to t and drops the records it makes redundant.
func (d *records) raiseFloor(t time.Time) {
	if d.floor.IsZero() || d.floor.Before(t) {
		d.floor = t
	}
	if d.newest.Before(t) {
		d.newest = t
	}
	for p, at := range d.exact {
		if !d.floor.Before(at) {
			delete(d.exact, p)
		}
	}
	d.prefixes = slices.DeleteFunc(d.prefixes, func(p prefixRecord) bool { return !d.floor.Before(p.at) })
}

// prune drops the records older than cutoff, and the distributions left with none.
func (r *registry) prune(cutoff time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range [...]map[string]*records{r.plain, r.guarded} {
		for dist, d := range m {
			if d.floor.Before(cutoff) {
				d.floor = time.Time{}
			}
			for p, at := range d.exact {
				if at.Before(cutoff) {
					delete(d.exact, p)
				}
			}
			d.prefixes = slices.DeleteFunc(d.prefixes, func(p prefixRecord) bool { return p.at.Before(cutoff) })
			if d.floor.IsZero() && len(d.exact) == 0 && len(d.prefixes) == 0 {
				delete(m, dist)
			}
		}
	}
}

// record is one journal record.
type record struct {
	kind  byte
	at    time.Time
	dist  string
	paths []string
}

// appendRecord appends rec's frame (length, CRC-32C, payload) to b.
func appendRecord(b []byte, rec record) []byte {
	start := len(b)
	b = append(b, make([]byte, 8)...)
	b = append(b, rec.kind)
	b = binary.LittleEndian.AppendUint64(b, uint64(rec.at.UnixNano()))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rec.dist)))
	b = append(b, rec.dist...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rec.paths)))
	for _, p := range rec.paths {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	payload := b[start+8:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[start+4:], crc(payload))
	return b
}

// decodeRecord parses one record payload.
func decodeRecord(p []byte) (record, error) {
	var rec record
	bad := fmt.Errorf("%w: journal record", errCorrupt)
	if len(p) < 1+8+4 {
		return rec, bad
	}
	rec.kind = p[0]
	if rec.kind < kindPlain || rec.kind > kindGuardedFloor {
		return rec, bad
	}
	rec.at = time.Unix(0, int64(binary.LittleEndian.Uint64(p[1:])))
	p = p[9:]
	str := func() (string, bool) {
		if len(p) < 4 {
			return "", false
		}
		n := binary.LittleEndian.Uint32(p)
		if uint64(n) > uint64(len(p)-4) {
			return "", false
		}
		s := string(p[4 : 4+n])
		p = p[4+n:]
		return s, true
	}
	var ok bool
	if rec.dist, ok = str(); !ok || len(p) < 4 {
		return rec, bad
	}
	n := binary.LittleEndian.Uint32(p)
	p = p[4:]
	if uint64(n) > uint64(len(p)/4) {
		return rec, bad
	}
	rec.paths = make([]string, 0, n)
	for range n {
		s, ok := str()
		if !ok {
			return rec, bad
		}
		rec.paths = append(rec.paths, s)
	}
	if len(p) != 0 {
		return rec, bad
	}
	return rec, nil
}

// journal is the append-only file of invalidation records, so that they outlive a restart.
type journal struct {
	mu        sync.Mutex // serializes appends and rewrites
	path      string
	tmpDir    string
	f         *os.File // nil after close
	size      int64
	compacted int64 // size after the last rewrite
}

// journalState is what readJournal found.
type journalState struct {
	records int  // records applied
	skipped int  // damaged records skipped in the middle (each a lost invalidation)
	torn    bool // the journal ended with a partial or damaged record (a crash mid-append)
}

// readJournal applies every intact record of the journal at path to r. A damaged record
// followed by more records (damage on disk, not a crash) is skipped, its frame length telling
// where the next one starts; a partial or damaged last record (a crash mid-append) ends it;
// a frame length beyond what is left ends it too.
func readJournal(path string, r *registry, cutoff time.Time) (st journalState, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	for len(b) > 0 {
		if len(b) < 8 {
			st.torn = true
			return st, nil
		}
		size := uint64(binary.LittleEndian.Uint32(b))
		sum := binary.LittleEndian.Uint32(b[4:])
		if size > maxRecordLen || size > uint64(len(b)-8) {
			st.torn = true
			return st, nil
		}
		payload := b[8 : 8+size]
		b = b[8+size:]
		rec, derr := decodeRecord(payload)
		if crc(payload) != sum {
			derr = errCorrupt
		}
		if derr != nil {
			if len(b) == 0 {
				st.torn = true
			} else {
				st.skipped++
			}
			continue
		}
		r.add(rec.kind, rec.dist, rec.paths, nil, rec.at, cutoff)
		st.records++
	}
	return st, nil
}

// openJournal opens the journal at path for appending. When it ended with a damaged record,
// or has grown past journalMinCompact, it is first rewritten from r's records (dropping what
// is torn, pruned or redundant); otherwise it is kept as it is (a rewrite costs two fsyncs).
func openJournal(path, tmpDir string, r *registry, damaged bool) (*journal, error) {
	j := &journal{path: path, tmpDir: tmpDir}
	fi, err := os.Stat(path)
	if damaged || (err == nil && fi.Size() > journalMinCompact) {
		if err := j.rewrite(r); err != nil {
			return nil, err
		}
		return j, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return nil, err
	}
	j.f, j.size, j.compacted = f, fi.Size(), fi.Size()
	return j, nil
}

// snapshot returns r's records as journal records.
func (r *registry) snapshot() []record {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []record
	for _, g := range [...]struct {
		m           map[string]*records
		kind, floor byte
	}{{r.plain, kindPlain, kindFloor}, {r.guarded, kindGuarded, kindGuardedFloor}} {
		for dist, d := range g.m {
			if !d.floor.IsZero() {
				out = append(out, record{kind: g.floor, at: d.floor, dist: dist})
			}
			byTime := make(map[int64][]string)
			for p, at := range d.exact {
				byTime[at.UnixNano()] = append(byTime[at.UnixNano()], p)
			}
			for _, p := range d.prefixes {
				byTime[p.at.UnixNano()] = append(byTime[p.at.UnixNano()], p.prefix+"*")
			}
			for at, paths := range byTime {
				out = append(out, record{kind: g.kind, at: time.Unix(0, at), dist: dist, paths: paths})
			}
		}
	}
	return out
}

// rewrite replaces the journal with r's records: a new file, synced, renamed over the old one,
// then the directory synced, so that a crash leaves either journal whole.
func (j *journal) rewrite(r *registry) error {
	var buf []byte
	for _, rec := range r.snapshot() {
		buf = appendRecord(buf, rec)
	}
	tmp, err := os.CreateTemp(j.tmpDir, "invalidations.*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), j.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	syncDir(j.path)
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f, j.size, j.compacted = f, int64(len(buf)), int64(len(buf))
	return nil
}

// append writes rec and syncs it: an invalidation that returned must not be lost by a power
// failure while the objects it covers survive. When the journal has grown to four times its
// last rewritten size (and past journalMinCompact), it is rewritten from r.
func (j *journal) append(rec record, r *registry, cutoff time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return os.ErrClosed
	}
	buf := appendRecord(nil, rec)
	n, err := j.f.Write(buf)
	j.size += int64(n)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		return err
	}
	if j.size > journalMinCompact && j.size > 4*j.compacted {
		r.prune(cutoff)
		return j.rewrite(r)
	}
	return nil
}

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// syncDir syncs the directory holding path (best effort: it makes a rename durable).
func syncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
