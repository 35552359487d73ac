package cache

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cfedge/edge/disk"
)

// The disk tier. A Store configured with a disk.Store (Config.Disk) keeps every entry on disk,
// as nginx's proxy_cache does, and the hot ones in memory too, as ristretto admits them:
//
//   - an entry the memory tier takes is also written to disk, by a background goroutine (a
//     queue bounded in bytes: when the disk falls behind, writes are dropped and counted), so
//     that a restart finds the hot objects as well as the cold ones;
//   - an entry the memory tier refuses (its TinyLFU admission preferred the entries held) is
//     written to disk by Set, before Set returns, so that a fill that ends in Set costs one
//     origin request and one file write and the next viewer finds the object;
//   - an entry the memory tier evicts is written to disk when the disk doesn't hold its key
//     (its write-through was dropped, or the disk refused it then);
//   - a body larger than the memory tier's max_object_size goes straight to disk (PutDisk),
//     from the origin's stream;
//   - on a memory miss the caller asks GetDisk, and offers an entry it found there back to
//     memory with Promote: ristretto's admission, which counted the memory misses of the key,
//     decides whether it is hot enough to hold.
//
// The disk's own admission (TinyLFU too) decides what it keeps when it is full. Invalidations
// go to both tiers (the disk journals them).

// Bounds of the queue of entries waiting for their background disk write: a count, and the
// bytes of the bodies they hold (which the queue keeps alive after memory let them go).
const (
	spillQueue = 1024
	spillBytes = 64 << 20
)

// diskBody is the disk tier's part of an entry read from it: the object's open file, with
// the body at Offset for Size bytes.
type diskBody struct {
	file   *os.File
	offset int64
	size   int64
}

// tier is the Store's disk tier and its counters.
type tier struct {
	d        *disk.Store
	deadline func(*Entry) time.Time // the memory tier's (Store.deadline)
	spill    chan spillJob
	wg       sync.WaitGroup
	once     sync.Once

	queued     atomic.Int64 // body bytes in the queue
	spilled    atomic.Int64 // entries written to disk in the background
	spillDrops atomic.Int64 // evicted entries dropped because the queue was full
	spillFails atomic.Int64 // disk writes that failed (I/O errors; not refusals)
	promoted   atomic.Int64 // disk entries the memory tier admitted
}

func newTier(d *disk.Store, deadline func(*Entry) time.Time) *tier {
	t := &tier{d: d, deadline: deadline, spill: make(chan spillJob, spillQueue)}
	t.wg.Add(1)
	go t.runSpill()
	return t
}

func (t *tier) runSpill() {
	defer t.wg.Done()
	for j := range t.spill {
		if j.flushed != nil {
			close(j.flushed)
			continue
		}
		e := j.e
		if t.put(e, t.deadline(e), bytes.NewReader(e.Body), int64(len(e.Body))) == nil {
			t.spilled.Add(1)
		}
		t.queued.Add(-int64(len(e.Body)))
	}
}

// later queues an entry for its disk write; it never blocks (it also runs on ristretto's
// goroutine, for evictions). Past the queue's bounds the entry is dropped, and counted.
func (t *tier) later(e *Entry) {
	n := int64(len(e.Body))
	if q := t.queued.Add(n); q > spillBytes && q != n {
		t.queued.Add(-n)
		t.spillDrops.Add(1)
		return
	}
	select {
	case t.spill <- spillJob{e: e}:
	default:
		t.queued.Add(-n)
		t.spillDrops.Add(1)
	}
}

// evicted queues an entry ristretto evicted for its disk write when the disk doesn't hold its
// key already (its write-through went there, unless it was dropped or refused).
func (t *tier) evicted(e *Entry) {
	if e == nil || e.disk != nil || t.d.Has(e.Key) {
		return
	}
	t.later(e)
}

// spillJob is an entry to write, or a flush marker.
type spillJob struct {
	e       *Entry
	flushed chan struct{}
}

// Flush waits until the background disk writes queued before it are done (for a graceful
// stop, and tests). Without a disk tier, or after Close, it returns at once.
func (s *Store) Flush() {
	if s == nil || s.tier == nil {
		return
	}
	s.mu.RLock()
	if s.closed.Load() {
		s.mu.RUnlock()
		return
	}
	done := make(chan struct{})
	s.tier.spill <- spillJob{flushed: done} // blocks while the queue is full
	s.mu.RUnlock()
	<-done
}

// stop ends the spill goroutine once the queue is empty.
func (t *tier) stop() {
	t.once.Do(func() {
		close(t.spill)
		t.wg.Wait()
	})
}

// put writes e's metadata and body (size bytes, -1 to EOF) to disk, kept until deadline. A
// refusal (not admitted, too large, closed) is not a failure; other errors are counted.
func (t *tier) put(e *Entry, deadline time.Time, body io.Reader, size int64) error {
	m := disk.Meta{Key: e.Key, Dist: e.Dist, Path: e.Path, Stored: e.Stored, Deadline: deadline, Head: e.AppendMeta(nil)}
	err := t.d.Put(m, body, size)
	if err != nil && !errors.Is(err, disk.ErrNotAdmitted) && !errors.Is(err, disk.ErrTooLarge) &&
		!errors.Is(err, disk.ErrClosed) {
		t.spillFails.Add(1)
	}
	return err
}

// OnDisk reports whether e was read from the disk tier: its body is then in a file (see
// BodyFile), not in Body.
func (e *Entry) OnDisk() bool { return e != nil && e.disk != nil }

// BodyLen is the length of e's body, in Body or in its file.
func (e *Entry) BodyLen() int64 {
	if e.disk != nil {
		return e.disk.size
	}
	return int64(len(e.Body))
}

// BodyFile returns the file holding the body of an entry read from the disk tier and the
// offset of the body's first byte in it (the file is positioned there), or nil. The entry's
// reader owns the file: it hands it to the response (which closes it) or calls Release.
func (e *Entry) BodyFile() (*os.File, int64) {
	if e.disk == nil {
		return nil, 0
	}
	return e.disk.file, e.disk.offset
}

// Release closes the file of an entry read from the disk tier (nothing for other entries). It
// may be called after the file was handed to a response and closed there.
func (e *Entry) Release() {
	if e == nil || e.disk == nil {
		return
	}
	_ = e.disk.file.Close() // a read-only file: nothing to lose; closed already is fine
}

// GetDisk returns the entry stored under key in the disk tier, or nil when there is no disk
// tier, no such object, or it is past its deadline, invalidated, unreadable or corrupt (the
// disk tier drops what it can't trust; an I/O error is a miss). The entry is the reader's own
// (not shared, never stored as it is): its body is in the file BodyFile returns, which the
// reader must close, by handing it to the response or with Release.
func (s *Store) GetDisk(key []byte) *Entry {
	if s == nil || s.tier == nil || s.closed.Load() {
		return nil
	}
	o, err := s.tier.d.Get(key)
	if err != nil || o == nil {
		return nil
	}
	e, err := ParseMeta(o.Meta.Head)
	if err != nil || !bytes.Equal(e.Key, key) || s.reg.Load().invalidated(e.Dist, e.Path, e.Stored) {
		// Metadata the disk checksummed but this version can't read, or a record only the
		// memory tier holds: not an object to serve.
		o.Close()
		if err != nil {
			s.tier.d.Delete(key)
		}
		return nil
	}
	e.disk = &diskBody{file: o.File, offset: o.Offset, size: o.Size}
	return e
}

// LoadBody returns a copy of an entry read from the disk tier with its body read into memory
// (through pread: the file's offset is left alone), and releases the original's file. It is
// for an entry to be kept in memory (Promote) or revalidated. A short or failed read is an
// error, and the disk object is dropped.
func (s *Store) LoadBody(e *Entry) (*Entry, error) {
	if e.disk == nil {
		return e, nil
	}
	defer e.Release()
	body := make([]byte, e.disk.size)
	if _, err := e.disk.file.ReadAt(body, e.disk.offset); err != nil {
		s.tier.d.Delete(e.Key)
		return nil, fmt.Errorf("cache: read disk body of %q: %w", e.Path, err)
	}
	c := *e
	c.disk = nil
	c.Body = body
	return &c, nil
}

// Promote offers an entry (in memory, from LoadBody) to the memory tier, leaving the disk copy
// in place. ristretto's admission decides: it has counted the key's memory misses, so a
// frequently read disk object is admitted and a rarely read one is not. It reports whether
// the memory tier now holds e.
func (s *Store) Promote(e *Entry) bool {
	if s == nil || e == nil || e.disk != nil {
		return false
	}
	if !s.set(e) {
		return false
	}
	if s.tier != nil {
		s.tier.promoted.Add(1)
	}
	s.sets.Add(1)
	return true
}

// PutDisk stores an entry whose body is read from body (size bytes, or to EOF when size is
// negative) in the disk tier only: for bodies larger than the memory tier holds. e.Body is
// ignored. It returns nil when the object is stored; an error wrapping disk.ErrNotAdmitted,
// disk.ErrTooLarge or disk.ErrClosed when it was refused; ErrNoDisk without a disk tier;
// otherwise the read or I/O error.
func (s *Store) PutDisk(e *Entry, body io.Reader, size int64) error {
	if s == nil || s.tier == nil {
		return ErrNoDisk
	}
	if s.closed.Load() {
		return disk.ErrClosed
	}
	return s.putDisk(e, body, size)
}

// putDisk writes e to the disk tier (tier.put) and lists it among the largest objects when the
// disk took it and its size is known.
func (s *Store) putDisk(e *Entry, body io.Reader, size int64) error {
	deadline := s.deadline(e)
	err := s.tier.put(e, deadline, body, size)
	if err == nil && size >= 0 {
		s.top.keepLargest(newTag(e, size, deadline))
	}
	return err
}

// HasDisk reports whether the Store has a disk tier.
func (s *Store) HasDisk() bool { return s != nil && s.tier != nil }

// DiskMaxObjectSize is the largest body the disk tier keeps, 0 without one.
func (s *Store) DiskMaxObjectSize() int64 {
	if !s.HasDisk() {
		return 0
	}
	return s.tier.d.MaxObjectSize()
}

// ErrNoDisk is returned by PutDisk when the Store has no disk tier.
var ErrNoDisk = errors.New("cache: no disk tier")

// DiskStats is the disk tier's counters (zero without one).
type DiskStats struct {
	disk.Stats
	Spilled    int64 // entries written to disk in the background (write-through, evictions)
	SpillDrops int64 // background writes dropped because the disk fell behind
	Promoted   int64 // disk entries the memory tier admitted
}

// DiskStats returns the disk tier's counters.
func (s *Store) DiskStats() DiskStats {
	if s == nil || s.tier == nil {
		return DiskStats{}
	}
	t := s.tier
	return DiskStats{Stats: t.d.Stats(), Spilled: t.spilled.Load(), SpillDrops: t.spillDrops.Load(),
		Promoted: t.promoted.Load()}
}
