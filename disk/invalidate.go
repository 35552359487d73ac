package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
	// minRecordLen is the shortest record payload: kind, time, distribution length, path count.
	minRecordLen = 1 + 8 + 4 + 4
	// maxJournalLen bounds the journal Open reads. One distribution holding all it may (16,384
	// exact paths and 256 wildcards, plain and guarded, of 4,000 bytes each) takes about
	// 133 MB after a rewrite, and the journal grows to four times that before the next one:
	// 532 MB. A longer journal is handled as damage (see readJournal).
	maxJournalLen = 1 << 30
)

// Journal record kinds.
const (
	kindPlain        = 1 // paths invalidated at a time
	kindGuarded      = 2 // paths invalidated at a time, except what the distribution's predicate exempts
	kindFloor        = 3 // everything of the distribution stored at or before the time
	kindGuardedFloor = 4 // the same, for guarded records
	// kindFloorAll: everything of every distribution stored at or before the time. Open
	// records it when the journal was damaged so that records may be missing (readJournal).
	kindFloorAll = 5
)

// registry holds the invalidation records: lookups are lazy (Get checks an object's
// distribution, path and Stored time against them), so an invalidation never walks the disk.
type registry struct {
	mu      sync.RWMutex
	all     time.Time // kindFloorAll: every object stored at or before it is covered (zero: none)
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
	if !r.all.IsZero() && !r.all.Before(stored) {
		return covered
	}
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
	if kind == kindFloorAll {
		if r.all.Before(at) {
			r.all = at
		}
		return
	}
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
	if r.all.Before(cutoff) {
		r.all = time.Time{}
	}
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
	if rec.kind < kindPlain || rec.kind > kindFloorAll {
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
	// lost, when not nil, says why records may be missing beyond the ones skipped: damage
	// hid where they are (a frame length that cannot be right, with intact records after
	// it), or the journal could not be read (not a regular file, or over maxJournalLen).
	lost error
}

// readJournal applies every intact record of the journal at path to r. A frame is intact when
// its length fits in what is left, its CRC-32C holds and its payload decodes. At a frame that
// is not, it looks for the next intact frame:
//
//   - none follows: a crash mid-append (or, after a power failure, a tail of zeros or stale
//     blocks) left it; it ends the journal (torn);
//   - the next starts where its length says: its payload is damaged, its length is not; it
//     is skipped (one lost record);
//   - the next starts elsewhere (within what its length claims, or after a length over
//     maxRecordLen or past the end): its length is damaged, and the bytes it spans may have
//     held any number of records. Reading goes on from the next intact frame, and lost says
//     why records may be missing.
//
// A journal that is not a regular file (a FIFO is opened without waiting for a writer) or is
// longer than maxJournalLen is not read: lost says why.
func readJournal(path string, r *registry, cutoff time.Time) (st journalState, err error) {
	f, size, _, err := openRead(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return st, nil
	case errors.Is(err, errNotRegular):
		st.lost = err
		return st, nil
	case err != nil:
		return st, err
	case size > maxJournalLen:
		f.Close()
		st.lost = fmt.Errorf("%s: %d bytes, over the %d bytes a journal may hold", path, size, maxJournalLen)
		return st, nil
	}
	b := make([]byte, size)
	n, err := io.ReadFull(f, b)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF {
		return st, err
	}
	b = b[:n] // shorter than fstat said (cut by hand since): its tail looks torn
	// budget bounds the bytes checksummed while looking for intact frames (each candidate
	// costs its length), so that crafted bytes cannot make it quadratic; when it runs out,
	// what is left is counted as lost.
	budget := 2*int64(len(b)) + maxRecordLen
	searched, next := -1, -1 // the first intact frame after searched is at next (-1: none)
	for off := 0; off < len(b); {
		if rec, n, ok := frameAt(b[off:]); ok {
			r.add(rec.kind, rec.dist, rec.paths, nil, rec.at, cutoff)
			st.records++
			off += n
			continue
		}
		if searched < 0 || searched > off || (next >= 0 && next < off) {
			searched, next = off, nextFrame(b, off+1, &budget)
			if budget < 0 {
				st.lost = fmt.Errorf("%s: damaged at byte %d, and no intact record found after it within the work bound", path, off)
				return st, nil
			}
		}
		end := -1 // where the frame at off says the next one starts
		if len(b)-off >= 8 {
			if size := int(binary.LittleEndian.Uint32(b[off:])); size <= maxRecordLen && size <= len(b)-off-8 {
				end = off + 8 + size
			}
		}
		switch {
		case next >= 0 && (end < 0 || next < end):
			if st.lost == nil {
				st.lost = fmt.Errorf("%s: the frame length at byte %d is damaged (an intact record follows at byte %d)", path, off, next)
			}
			off = next
		case end < 0 || end == len(b):
			st.torn = true
			return st, nil
		default:
			st.skipped++
			off = end
		}
	}
	return st, nil
}

// frameAt decodes the frame at the start of b: its record and length, and whether it is
// intact (its length fits in b, its checksum holds and its payload decodes).
func frameAt(b []byte) (rec record, n int, ok bool) {
	if len(b) < 8 {
		return rec, 0, false
	}
	size := uint64(binary.LittleEndian.Uint32(b))
	if size > maxRecordLen || size > uint64(len(b)-8) {
		return rec, 0, false
	}
	payload := b[8 : 8+size]
	if crc(payload) != binary.LittleEndian.Uint32(b[4:]) {
		return rec, 0, false
	}
	rec, err := decodeRecord(payload)
	return rec, 8 + int(size), err == nil
}

// nextFrame returns the offset of the first intact frame of b at or after from, or -1. The
// bytes it checksums are taken from *budget; when that goes negative it gives up (and
// returns -1).
func nextFrame(b []byte, from int, budget *int64) int {
	for off := from; off+8+minRecordLen <= len(b); off++ {
		size := int(binary.LittleEndian.Uint32(b[off:]))
		if size < minRecordLen || size > maxRecordLen || size > len(b)-off-8 {
			continue
		}
		if k := b[off+8]; k < kindPlain || k > kindFloorAll {
			continue
		}
		if *budget -= int64(size); *budget < 0 {
			return -1
		}
		if _, _, ok := frameAt(b[off:]); ok {
			return off
		}
	}
	return -1
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
	if !r.all.IsZero() {
		out = append(out, record{kind: kindFloorAll, at: r.all})
	}
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
