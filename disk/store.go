package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Errors returned by the Store. I/O errors are returned wrapped, with the operation named
// ("disk: put: …"); errors.Is sees through to the os and syscall errors.
var (
	// ErrConfig is wrapped by every error Open returns for an invalid Config.
	ErrConfig = errors.New("disk: invalid config")
	// ErrLocked is returned by Open when another Store (in this process or another) has the
	// directory open.
	ErrLocked = errors.New("disk: directory in use by another store")
	// ErrClosed is returned by Get and Put after Close.
	ErrClosed = errors.New("disk: store closed")
	// ErrTooLarge is returned by Put for a body over MaxObjectSize, or an object whose file
	// would exceed MaxBytes, or metadata over 1 MiB. Nothing is stored.
	ErrTooLarge = errors.New("disk: object too large")
	// ErrNotAdmitted is returned by Put when the object was not kept, without any failure: the
	// admission policy preferred the objects already held, the object is already past its
	// deadline or covered by an invalidation, or a concurrent Put, Delete or eviction of the
	// same key superseded it while it was written. Callers should not log it as an error.
	ErrNotAdmitted = errors.New("disk: object not admitted")
	// ErrBodySize is returned by Put when the body holds more or fewer bytes than size.
	ErrBodySize = errors.New("disk: body length differs from size")
)

// Defaults and internal bounds.
const (
	// DefaultMaxLifetime is used when Config.MaxLifetime is zero: CloudFront's default MaxTTL
	// (one year) plus package cache's default stale window (24 hours).
	DefaultMaxLifetime = 366 * 24 * time.Hour

	nShards     = 256
	minCounters = 100_000
	maxCounters = 10_000_000
	// bytesPerCounter sizes the admission sketch: ten counters per expected 64 KiB object
	// (ristretto's advice is ten counters per item held).
	bytesPerCounter = (64 << 10) / 10
	copyBufSize     = 256 << 10
	setRetries      = 8
	scanWorkers     = 8
	// warnEvery rate-limits warnings (a full disk fails every Put).
	warnEvery = time.Second
)

// Config configures a Store. A zero optional field selects the default its comment names.
type Config struct {
	// Dir holds the objects. It is created (0700) if missing; files are created 0600. Required.
	Dir string
	// MaxBytes bounds the space the object files take, each counted as its length rounded up
	// to 4 KiB (the journal, the lock file and directories are not counted). Required.
	MaxBytes int64
	// MaxObjectSize is the largest body Put accepts. If zero, MaxBytes.
	MaxObjectSize int64
	// MaxLifetime bounds how long an object is kept after its Stored time (Put caps Deadline
	// at Stored + MaxLifetime), and so how long an invalidation record matters. Use the same
	// value as the memory tier's cache.Config.MaxEntryLifetime. If zero, DefaultMaxLifetime.
	MaxLifetime time.Duration
	// NumCounters is the number of counters of the admission policy (TinyLFU): at least ten
	// times the number of objects held when full, better 50 times (it is also the number of
	// accesses after which the counts are halved, so it sets how long a history the policy
	// weighs; TestZipfHitRatio). Each costs about 3.2 bytes of memory. If zero,
	// MaxBytes/64KiB×10 within [100,000, 10,000,000] (0.3 to 32 MB).
	NumCounters int64
	// Logger receives the start-up summary, corrupt files found and (at most one a second)
	// I/O errors. nil discards.
	Logger *slog.Logger
	// Now is the clock for deadlines and invalidations. If nil, time.Now.
	Now func() time.Time
}

// Meta is what is stored beside a body.
type Meta struct {
	// Key identifies the object (the memory tier's cache key). Get compares it in full, so a
	// hash collision never serves another object. Required.
	Key []byte
	// Dist and Path are the distribution id and request path that invalidations match.
	Dist, Path string
	// Stored is when the response arrived (Age and invalidations are measured from it). If
	// zero, Put uses now.
	Stored time.Time
	// Deadline is when the object stops being kept (the memory tier's Expires + StaleFor).
	// Put caps it at Stored + MaxLifetime, which is also what a zero Deadline means.
	Deadline time.Time
	// Head is opaque to the Store (the caller encodes status, header fields, validators and
	// TTL facts) and comes back from Get byte for byte.
	Head []byte
}

// Object is an open object returned by Get. File is positioned at the body's first byte, so
// it can be handed as it is to fasthttp's Response.SetBodyStream(o.File, o.Size), which sends
// an *os.File body larger than 8 KiB with sendfile(2) (and closes it when done). For a range,
// seek File to Offset+start, or read through Body.
type Object struct {
	Meta   Meta
	Size   int64    // body length in bytes
	Offset int64    // offset of the body's first byte in File
	File   *os.File // the object file, opened read-only; it stays readable after the object is replaced or removed
}

// Body returns a reader of the whole body that uses pread and ignores File's offset (to read
// the body while File is also being sent, or to promote the object to memory).
func (o *Object) Body() *io.SectionReader { return io.NewSectionReader(o.File, o.Offset, o.Size) }

// Close closes File. It may be called after fasthttp has closed File (it then does nothing).
func (o *Object) Close() error {
	if o == nil || o.File == nil {
		return nil
	}
	if err := o.File.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

// Stats is a snapshot of a Store's counters since Open. Each counter is read atomically; the
// set is not one atomic snapshot.
type Stats struct {
	Bytes       int64 // space the indexed objects take (lengths rounded up to 4 KiB)
	Objects     int64 // objects indexed (including those being written)
	MaxBytes    int64 // Config.MaxBytes
	Hits        int64 // Get calls that returned an object
	Misses      int64 // Get calls that returned nil, nil
	Puts        int64 // Put calls that stored their object
	Rejected    int64 // objects the admission policy refused (Put, or the start-up scan when over budget)
	Evictions   int64 // objects removed to make room
	Expired     int64 // objects removed past their deadline
	Invalidated int64 // objects removed because an invalidation covers them
	Vanished    int64 // indexed objects whose file was gone (removed by hand)
	Corrupt     int64 // files found corrupt or truncated, and removed
	Errors      int64 // I/O errors (each also returned, or logged where there is no caller)
	Loading     bool  // the start-up scan is still running
	Loaded      int64 // objects the start-up scan indexed
}

// item is one indexed object. h, gen, cost and deadline never change; ready is set once the
// file is in place (an item inserted before its body is written is not ready), verified once
// the body checksum has been checked against the file (or the file was written here).
type item struct {
	h        uint64
	gen      uint64
	cost     int64
	deadline int64 // unix nanoseconds
	ready    atomic.Bool
	verified atomic.Bool
}

// shard is one stripe of the index. Its lock also serializes every change of the files of
// its hashes (rename into place, unlink), so that for each hash h, while the lock is held,
// the index entry and path(h) describe the same file.
type shard struct {
	mu sync.RWMutex
	m  map[uint64]*item
}

// Store is a disk cache of objects, one file each (see the package documentation). It is
// safe for concurrent use. Close it when done.
type Store struct {
	// Consistency rules (all under the hash's shard lock):
	//   - an indexed item's file, when ready, is the file at its path;
	//   - every index change is paired with the same change in ristretto, issued while the
	//     lock is held (insert → Set, remove → Del, replace → Del then Set), and a new key's
	//     Set is waited for before the lock is released, so ristretto never sees two
	//     additions of one key in flight;
	//   - ristretto's evictions and rejections name the item (pointer) they drop: the
	//     deleter removes it only if the index still holds that very item.

	dir, tmpDir string
	maxBytes    int64
	maxObject   int64
	maxLife     time.Duration
	log         *slog.Logger
	now         func() time.Time

	c        *ristretto.Cache[uint64, *item]
	mu       sync.RWMutex // read-held around ristretto calls (enter/leave); write-held by Close
	closed   atomic.Bool
	shutdown atomic.Bool // set before ristretto's Close: its callbacks then mean nothing

	shards [nShards]shard
	reg    *registry
	jnl    *journal
	lock   *os.File

	bufs sync.Pool // *[]byte of copyBufSize

	loaded   chan struct{} // closed when the start-up scan ends
	stopScan chan struct{}

	dq deleter

	bytes, objects                          atomic.Int64
	hits, misses, puts, rejected, evictions atomic.Int64
	expired, invalidated, vanished, corrupt atomic.Int64
	// pending counts lookups refused because only guarded records with no predicate yet cover
	// the object (see dead); such objects are kept.
	pending              atomic.Int64
	errs, loadedN        atomic.Int64
	lastWarn, suppressed atomic.Int64
}

// deleter removes, on its own goroutine, the items ristretto evicts or rejects: ristretto calls
// back from the goroutine that a Put waits for, so the callbacks must not take shard locks.
type deleter struct {
	mu    sync.Mutex
	queue []job
	wake  chan struct{} // capacity 1
	stop  chan struct{}
	done  chan struct{}
}

type job struct {
	it       *item
	rejected bool
	flushed  chan struct{} // non-nil: a marker closed when every earlier job is done
}

// Open opens (creating if needed) the store in cfg.Dir and returns at once: the index is
// rebuilt by a background scan that reads each file's header and metadata (Loaded tells when
// it is done). Until then Get opens the object's file directly, so objects on disk are hits
// from the start. Open removes the temporary files left by a crash and loads the invalidation
// journal before it returns. It fails with ErrLocked when another Store holds the directory.
func Open(cfg Config) (*Store, error) { return open(cfg, nil) }

// open is Open; when gate is not nil the start-up scan waits until it is closed (tests use it
// to exercise Get before the index is loaded).
func open(cfg Config, gate <-chan struct{}) (*Store, error) {
	switch {
	case cfg.Dir == "":
		return nil, fmt.Errorf("%w: Dir is required", ErrConfig)
	case cfg.MaxBytes <= 0:
		return nil, fmt.Errorf("%w: MaxBytes must be positive, got %d", ErrConfig, cfg.MaxBytes)
	case cfg.MaxObjectSize < 0:
		return nil, fmt.Errorf("%w: MaxObjectSize must not be negative, got %d", ErrConfig, cfg.MaxObjectSize)
	case cfg.MaxLifetime < 0:
		return nil, fmt.Errorf("%w: MaxLifetime must not be negative, got %v", ErrConfig, cfg.MaxLifetime)
	case cfg.NumCounters < 0:
		return nil, fmt.Errorf("%w: NumCounters must not be negative, got %d", ErrConfig, cfg.NumCounters)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	s := &Store{
		dir:       dir,
		tmpDir:    filepath.Join(dir, "tmp"),
		maxBytes:  cfg.MaxBytes,
		maxObject: cfg.MaxObjectSize,
		maxLife:   cfg.MaxLifetime,
		log:       cfg.Logger,
		now:       cfg.Now,
		reg:       newRegistry(),
		loaded:    make(chan struct{}),
		stopScan:  make(chan struct{}),
	}
	if s.maxObject == 0 || s.maxObject > s.maxBytes {
		s.maxObject = s.maxBytes
	}
	if s.maxLife == 0 {
		s.maxLife = DefaultMaxLifetime
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i := range s.shards {
		s.shards[i].m = make(map[uint64]*item)
	}
	s.bufs.New = func() any { b := make([]byte, copyBufSize); return &b }

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	if s.lock, err = lockDir(filepath.Join(dir, "lock")); err != nil {
		return nil, err
	}
	fail := func(err error) (*Store, error) {
		s.lock.Close()
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	// A crash leaves temporary files (objects and journal rewrites) only here.
	if err := os.RemoveAll(s.tmpDir); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(s.tmpDir, 0o700); err != nil {
		return fail(err)
	}
	now := s.now()
	cutoff := now.Add(-s.maxLife)
	jpath := filepath.Join(dir, "invalidations")
	js, err := readJournal(jpath, s.reg, cutoff)
	if err != nil {
		return fail(fmt.Errorf("reading the invalidation journal: %w", err))
	}
	if js.torn {
		s.log.Warn("disk: the invalidation journal ends with a partial record (a crash while it was written); it is dropped",
			"path", jpath, "records", js.records)
	}
	if js.skipped > 0 && js.lost == nil {
		// A skipped record is a lost invalidation whose distribution and paths are unknown:
		// the same rule as for any other loss.
		js.lost = fmt.Errorf("%s: %d damaged records skipped", jpath, js.skipped)
	}
	if js.lost != nil {
		// Which invalidations are missing is unknown, and any of them may cover any object
		// stored until now: none of those is served (the scan removes them), and this is
		// journaled with the records that were read.
		s.reg.add(kindFloorAll, "", nil, nil, now, cutoff)
		s.errs.Add(1)
		s.log.Error("disk: the invalidation journal is damaged and invalidations may be lost: every object stored until now is dropped",
			"path", jpath, "err", js.lost, "records", js.records)
	}
	s.reg.prune(cutoff)
	if s.jnl, err = openJournal(jpath, s.tmpDir, s.reg, js.torn || js.skipped > 0 || js.lost != nil); err != nil {
		return fail(fmt.Errorf("rewriting the invalidation journal: %w", err))
	}

	counters := cfg.NumCounters
	if counters == 0 {
		counters = min(max(cfg.MaxBytes/bytesPerCounter, minCounters), maxCounters)
	}
	s.c, err = ristretto.NewCache(&ristretto.Config[uint64, *item]{
		NumCounters:        counters,
		MaxCost:            cfg.MaxBytes,
		BufferItems:        64,
		IgnoreInternalCost: true,
		OnEvict:            func(i *ristretto.Item[*item]) { s.enqueue(i.Value, false) },
		OnReject:           func(i *ristretto.Item[*item]) { s.enqueue(i.Value, true) },
	})
	if err != nil {
		s.jnl.close()
		return fail(fmt.Errorf("%w: ristretto: %w", ErrConfig, err))
	}
	s.dq = deleter{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.runDeleter()
	go s.scan(gate)
	return s, nil
}

// Loaded returns a channel closed when the start-up scan has indexed every object on disk
// (or Close stopped it).
func (s *Store) Loaded() <-chan struct{} { return s.loaded }

func (s *Store) isLoaded() bool {
	select {
	case <-s.loaded:
		return true
	default:
		return false
	}
}

func (s *Store) shard(h uint64) *shard { return &s.shards[h%nShards] }

func (s *Store) path(h uint64) string { return filepath.Join(s.dir, relPath(h)) }

// enter read-locks s.mu for a ristretto call and reports whether the Store is open; when it
// returns true, the caller must call leave.
func (s *Store) enter() bool {
	s.mu.RLock()
	if s.closed.Load() {
		s.mu.RUnlock()
		return false
	}
	return true
}

func (s *Store) leave() { s.mu.RUnlock() }

// Get returns the object stored under key, or nil, nil when there is none: absent, past its
// deadline, covered by an invalidation, its file removed, or found corrupt (then the file is
// removed and counted in Corrupt). Every open checks the header and metadata checksums, the
// key and the file's length (one open, one fstat, one pread of 4 KiB); the first open of an
// object after Open also reads the whole body to check its checksum. An I/O error is returned
// (and counted) with a nil Object; the caller treats it as a miss. The caller must Close the
// Object (or hand File to something that closes it).
//
// Collapsing concurrent misses of one key into one fetch and one Put is the caller's job
// (cache.Group): the Store writes what it is given.
func (s *Store) Get(key []byte) (*Object, error) {
	if len(key) == 0 {
		return nil, nil
	}
	if !s.enter() {
		return nil, ErrClosed
	}
	h := hashKey(key)
	s.c.Get(h) // feeds the admission policy's frequency sketch; the index below decides
	s.leave()
	sh := s.shard(h)
	sh.mu.RLock()
	it := sh.m[h]
	sh.mu.RUnlock()
	if it == nil {
		if s.isLoaded() {
			return s.miss()
		}
		return s.getUnindexed(key, h)
	}
	if !it.ready.Load() {
		return s.miss() // being written
	}
	now := s.now()
	if now.UnixNano() >= it.deadline {
		s.drop(it, &s.expired)
		return s.miss()
	}
	f, hd, m, fi, err := s.openObject(h, key)
	if err != nil {
		switch {
		case gone(err):
			s.drop(it, &s.vanished)
		case errors.Is(err, errNotRegular):
			// Our file was replaced by something else (a directory, a FIFO): forget the file,
			// and leave what is there, as the start-up scan does.
			s.forget(it, &s.vanished)
		case errors.Is(err, errCorrupt):
			s.corruptFound(h, err)
			s.drop(it, &s.corrupt)
		case errors.Is(err, errOtherKey):
		default:
			return nil, s.ioError("get", err)
		}
		return s.miss()
	}
	if hd.gen != it.gen {
		// The file was replaced after the index was read: use the item describing it.
		sh.mu.RLock()
		cur := sh.m[h]
		sh.mu.RUnlock()
		if cur == nil || cur.gen != hd.gen || !cur.ready.Load() {
			// Not a file this Store wrote (or it changed again): treat it as new to us.
			return s.adopt(f, h, &hd, m, fi, cur)
		}
		it = cur
	}
	if c := s.dead(&m, now); c != nil {
		f.Close()
		if c == &s.pending {
			c.Add(1)
		} else {
			s.drop(it, c)
		}
		return s.miss()
	}
	if !it.verified.Load() {
		if err := s.verifyBody(f, &hd); err != nil {
			f.Close()
			if errors.Is(err, errCorrupt) {
				s.corruptFound(h, err)
				s.drop(it, &s.corrupt)
				return s.miss()
			}
			return nil, s.ioError("get", err)
		}
		it.verified.Store(true)
	}
	return s.hit(f, &hd, m)
}

// getUnindexed serves a key the start-up scan has not reached yet, straight from its file,
// and indexes it.
func (s *Store) getUnindexed(key []byte, h uint64) (*Object, error) {
	f, hd, m, fi, err := s.openObject(h, key)
	if err != nil {
		switch {
		case gone(err), errors.Is(err, errOtherKey), errors.Is(err, errNotRegular):
			// errNotRegular: not ours (a directory, a FIFO); the start-up scan leaves it too.
		case errors.Is(err, errCorrupt):
			s.corruptFound(h, err)
			s.removeUnindexed(h, fi, &s.corrupt)
		default:
			return nil, s.ioError("get", err)
		}
		return s.miss()
	}
	if c := s.dead(&m, s.now()); c != nil {
		f.Close()
		if c == &s.pending {
			c.Add(1)
		} else {
			s.removeUnindexed(h, fi, c)
		}
		return s.miss()
	}
	if err := s.verifyBody(f, &hd); err != nil {
		f.Close()
		if errors.Is(err, errCorrupt) {
			s.corruptFound(h, err)
			s.removeUnindexed(h, fi, &s.corrupt)
			return s.miss()
		}
		return nil, s.ioError("get", err)
	}
	s.index(h, &hd, &m, fi, true)
	return s.hit(f, &hd, m)
}

// adopt serves a file the index does not describe (written by another process, or replaced
// again since Get looked): its body is verified first, then it replaces cur (the item the
// index held, possibly nil) if the file at the path is still the one read.
func (s *Store) adopt(f *os.File, h uint64, hd *header, m Meta, fi fileID, cur *item) (*Object, error) {
	dropFile := func(c *atomic.Int64) {
		sh := s.shard(h)
		sh.mu.Lock()
		defer sh.mu.Unlock()
		if sh.m[h] != cur || !s.sameFile(h, fi) || !s.enter() {
			return
		}
		defer s.leave()
		if cur != nil {
			s.removeLocked(sh, cur, true, true)
		} else {
			s.unlink(h)
		}
		c.Add(1)
	}
	if c := s.dead(&m, s.now()); c != nil {
		f.Close()
		if c == &s.pending {
			c.Add(1)
		} else {
			dropFile(c)
		}
		return s.miss()
	}
	if err := s.verifyBody(f, hd); err != nil {
		f.Close()
		if errors.Is(err, errCorrupt) {
			s.corruptFound(h, err)
			dropFile(&s.corrupt)
			return s.miss()
		}
		return nil, s.ioError("get", err)
	}
	sh := s.shard(h)
	sh.mu.Lock()
	if sh.m[h] == cur && s.sameFile(h, fi) && s.enter() {
		if cur != nil {
			s.removeLocked(sh, cur, false, true)
		}
		it := &item{h: h, gen: hd.gen, cost: costOf(hd.fileLen()), deadline: s.deadline(m.Stored, m.Deadline).UnixNano()}
		it.ready.Store(true)
		it.verified.Store(true)
		s.insertLocked(sh, it)
		s.leave()
	}
	sh.mu.Unlock()
	return s.hit(f, hd, m)
}

func (s *Store) miss() (*Object, error) {
	s.misses.Add(1)
	return nil, nil
}

func (s *Store) hit(f *os.File, hd *header, m Meta) (*Object, error) {
	if _, err := f.Seek(hd.bodyOff(), io.SeekStart); err != nil {
		f.Close()
		return nil, s.ioError("get", err)
	}
	s.hits.Add(1)
	return &Object{Meta: m, Size: hd.bodyLen, Offset: hd.bodyOff(), File: f}, nil
}

// dead returns the counter of the reason m must not be served at now (past its deadline, or
// invalidated), or nil when it may be. It returns &s.pending, a reason to not serve m but to
// keep it, when only guarded records whose predicate is not known yet cover it.
func (s *Store) dead(m *Meta, now time.Time) *atomic.Int64 {
	if !now.Before(s.deadline(m.Stored, m.Deadline)) {
		return &s.expired
	}
	switch s.reg.judge(m.Dist, m.Path, m.Stored) {
	case covered:
		return &s.invalidated
	case pending:
		return &s.pending
	}
	return nil
}

// deadline caps d at stored + MaxLifetime (a zero d means that cap).
func (s *Store) deadline(stored, d time.Time) time.Time {
	if limit := stored.Add(s.maxLife); d.IsZero() || d.After(limit) {
		return limit
	}
	return d
}

// gone reports whether err means there is no file at the path (a component may have been
// replaced by a file, ENOTDIR).
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// errOtherKey means the file at the key's hashed path holds another key (a hash collision).
var errOtherKey = errors.New("file holds another key")

// errNotRegular means a path names something other than a regular file (a directory, a FIFO,
// a device): nothing this package wrote. openRead closes it unread.
var errNotRegular = errors.New("not a regular file")

// openObject opens the file of hash h and checks it: header and metadata checksums, length,
// hash and, when key is not nil, the key (errOtherKey); with a nil key, that the key hashes
// to h. On success the file is open (offset 0); on error it is closed, and fi is returned when
// the file could be stat'ed (its id, for removeUnindexed). A path that is not a regular file
// (errNotRegular) is never read: open(2) does not wait on a FIFO (see openRead).
func (s *Store) openObject(h uint64, key []byte) (f *os.File, hd header, m Meta, id fileID, err error) {
	f, size, id, err := openRead(s.path(h))
	if err != nil {
		return nil, hd, m, id, err
	}
	defer func() {
		if err != nil {
			f.Close()
			f = nil
		}
	}()
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	// Never ask past the end: os.File.ReadAt would make a second pread to hear EOF.
	buf := (*bp)[:min(readAhead, max(size, 0))]
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF {
		err = nil // the file shrank since fstat: the length check below fails
	}
	if err != nil {
		return
	}
	if hd, err = decodeHeader(buf[:n]); err != nil {
		return
	}
	if hd.fileLen() != size {
		err = fmt.Errorf("%w: file of %d bytes, header says %d", errCorrupt, size, hd.fileLen())
		return
	}
	if hd.hash != h {
		err = fmt.Errorf("%w: key hash %016x in file %016x", errCorrupt, hd.hash, h)
		return
	}
	metaB := buf[headerLen:n]
	if int(hd.metaLen) <= len(metaB) {
		metaB = metaB[:hd.metaLen]
	} else {
		metaB = make([]byte, hd.metaLen)
		if _, err = f.ReadAt(metaB, headerLen); err != nil {
			if err == io.EOF {
				err = fmt.Errorf("%w: short metadata", errCorrupt)
			}
			return
		}
	}
	if crc(metaB) != hd.metaCRC {
		err = fmt.Errorf("%w: metadata checksum", errCorrupt)
		return
	}
	if m, err = decodeMeta(metaB); err != nil {
		return
	}
	if key != nil {
		if !bytes.Equal(m.Key, key) {
			err = errOtherKey
		}
	} else if hashKey(m.Key) != h {
		err = fmt.Errorf("%w: key does not hash to the file name", errCorrupt)
	}
	return
}

// verifyBody reads the body of f and checks its length and checksum against hd.
func (s *Store) verifyBody(f *os.File, hd *header) error {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	var c uint32
	off, end := hd.bodyOff(), hd.bodyOff()+hd.bodyLen
	for off < end {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
		c = crcUpdate(c, buf[:n])
		off += int64(n)
		if err == io.EOF && off < end {
			return fmt.Errorf("%w: body cut short at %d bytes", errCorrupt, off-hd.bodyOff())
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	if c != hd.bodyCRC {
		return fmt.Errorf("%w: body checksum", errCorrupt)
	}
	return nil
}

// index adds the object just read from its file (fi) to the index, unless the index already
// holds its hash or the file at its path is no longer fi (both mean a Put, Delete or Get got
// there first). It reports whether it did.
func (s *Store) index(h uint64, hd *header, m *Meta, fi fileID, verified bool) bool {
	sh := s.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[h] != nil || !s.sameFile(h, fi) || !s.enter() {
		return false
	}
	defer s.leave()
	it := &item{h: h, gen: hd.gen, cost: costOf(hd.fileLen()), deadline: s.deadline(m.Stored, m.Deadline).UnixNano()}
	it.ready.Store(true)
	it.verified.Store(verified)
	return s.insertLocked(sh, it)
}

// sameFile reports whether the file at h's path is fi.
func (s *Store) sameFile(h uint64, fi fileID) bool {
	cur, err := statID(s.path(h))
	return err == nil && cur.same(fi)
}

// removeUnindexed removes the file at h's path if it is still fi and not indexed, counting it
// in c.
func (s *Store) removeUnindexed(h uint64, fi fileID, c *atomic.Int64) {
	sh := s.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if s.closed.Load() || sh.m[h] != nil || !s.sameFile(h, fi) {
		return
	}
	s.unlink(h)
	c.Add(1)
}

// insertLocked indexes it and adds it to ristretto; if ristretto's buffer stays full, it
// removes it again (and its file) and returns false. The caller holds it's shard lock and
// enter.
func (s *Store) insertLocked(sh *shard, it *item) bool {
	sh.m[it.h] = it
	s.bytes.Add(it.cost)
	s.objects.Add(1)
	ttl := time.Duration(it.deadline - s.now().UnixNano())
	if ttl > 0 {
		for range setRetries {
			if s.c.SetWithTTL(it.h, it, it.cost, ttl) {
				return true
			}
			s.c.Wait() // buffer full: let ristretto drain it
		}
	}
	s.removeLocked(sh, it, true, false)
	return false
}

// admittedLocked waits for ristretto to apply what was set and reports whether h is held.
// The caller holds enter.
func (s *Store) admittedLocked(h uint64) bool {
	s.c.Wait()
	_, ok := s.c.GetTTL(h)
	return ok
}

// removeLocked forgets it (the caller holds its shard lock and checked that the index holds
// it), unlinks its path when unlink, and deletes it from ristretto when policy (the caller
// then holds enter).
func (s *Store) removeLocked(sh *shard, it *item, unlink, policy bool) {
	delete(sh.m, it.h)
	s.bytes.Add(-it.cost)
	s.objects.Add(-1)
	if unlink {
		s.unlink(it.h)
	}
	if policy {
		s.c.Del(it.h)
	}
}

// drop removes it, if the index still holds it, with its file, and counts it in c.
func (s *Store) drop(it *item, c *atomic.Int64) { s.dropItem(it, c, true) }

// forget removes it from the index, if the index still holds it, leaving whatever is at its
// path, and counts it in c.
func (s *Store) forget(it *item, c *atomic.Int64) { s.dropItem(it, c, false) }

func (s *Store) dropItem(it *item, c *atomic.Int64, unlink bool) {
	sh := s.shard(it.h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[it.h] != it || !s.enter() {
		return
	}
	defer s.leave()
	s.removeLocked(sh, it, unlink, true)
	if c != nil {
		c.Add(1)
	}
}

func (s *Store) unlink(h uint64) {
	if err := os.Remove(s.path(h)); err != nil && !gone(err) {
		s.ioError("remove", err)
	}
}

// Put stores body (exactly size bytes; a negative size means "until EOF", up to MaxObjectSize)
// under m.Key, replacing the object held there.
//
// The file is written under a temporary name in Dir/tmp, with the header written last (the
// lengths and the body's checksum), and renamed into place only once complete; a reader of the
// old object (an open Object) keeps reading the old file, whole. With a known size, the
// admission policy is asked before anything is written, so a refused object costs no I/O.
// Nothing is synced (see the package documentation).
//
// Put never panics. It returns nil when the object is stored; ErrNotAdmitted when it was not
// kept but nothing failed; ErrTooLarge, ErrBodySize or ErrClosed; a wrapped error of body when
// reading it failed; otherwise a wrapped I/O error (a full disk, a permission, a vanished
// directory), counted in Errors and logged: the caller goes on with memory only.
func (s *Store) Put(m Meta, body io.Reader, size int64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(m.Key) == 0 {
		return errors.New("disk: put: empty key")
	}
	now := s.now()
	stored := m.Stored
	if stored.IsZero() {
		stored = now
	}
	deadline := s.deadline(stored, m.Deadline)
	if !deadline.After(now) {
		return fmt.Errorf("%w: already past its deadline", ErrNotAdmitted)
	}
	if s.reg.invalidated(m.Dist, m.Path, stored) {
		return fmt.Errorf("%w: covered by an invalidation", ErrNotAdmitted)
	}
	ml := metaLen(&m)
	if ml > maxMetaLen {
		return fmt.Errorf("%w: metadata of %d bytes", ErrTooLarge, ml)
	}
	if size > s.maxObject {
		return fmt.Errorf("%w: body of %d bytes, MaxObjectSize is %d", ErrTooLarge, size, s.maxObject)
	}
	h := hashKey(m.Key)
	hd := header{gen: rand.Uint64() | 1, hash: h, metaLen: uint32(ml)}
	rec := make([]byte, headerLen, headerLen+ml)
	rec = encodeMeta(rec, &m, stored, deadline)
	hd.metaCRC = crc(rec[headerLen:])
	sh := s.shard(h)

	// A new key of known size: reserve its place (and ask the policy) before writing.
	var pend *item
	if size >= 0 {
		cost := costOf(headerLen + int64(ml) + size)
		if cost > s.maxBytes {
			return fmt.Errorf("%w: %d bytes, MaxBytes is %d", ErrTooLarge, cost, s.maxBytes)
		}
		if err := s.reserve(sh, h, &pend, &item{h: h, gen: hd.gen, cost: cost, deadline: deadline.UnixNano()}); err != nil {
			return err
		}
	}
	tmp, n, err := s.writeTemp(&hd, rec, body, size)
	if err != nil {
		if pend != nil {
			s.unreserve(pend)
		}
		return err
	}
	cost := costOf(headerLen + int64(ml) + n)
	if cost > s.maxBytes {
		os.Remove(tmp)
		return fmt.Errorf("%w: %d bytes, MaxBytes is %d", ErrTooLarge, cost, s.maxBytes)
	}

	sh.mu.Lock()
	defer sh.mu.Unlock()
	cur := sh.m[h]
	if pend != nil && cur != pend {
		os.Remove(tmp) // evicted, deleted or replaced while we wrote
		return fmt.Errorf("%w: superseded while written", ErrNotAdmitted)
	}
	if !s.enter() {
		os.Remove(tmp)
		if pend != nil {
			s.removeLocked(sh, pend, false, false)
		}
		return ErrClosed
	}
	defer s.leave()
	if err := s.install(tmp, h); err != nil {
		os.Remove(tmp)
		if pend != nil {
			s.removeLocked(sh, pend, true, true)
		}
		return s.ioError("put", err)
	}
	if pend != nil {
		pend.verified.Store(true)
		pend.ready.Store(true)
		s.puts.Add(1)
		return nil
	}
	it := &item{h: h, gen: hd.gen, cost: cost, deadline: deadline.UnixNano()}
	it.ready.Store(true)
	it.verified.Store(true)
	if cur != nil {
		s.removeLocked(sh, cur, false, true) // its file is gone: the rename replaced it
	}
	if !s.insertLocked(sh, it) || !s.admittedLocked(h) {
		if sh.m[h] == it {
			s.removeLocked(sh, it, true, true)
		}
		s.rejected.Add(1)
		return ErrNotAdmitted
	}
	s.puts.Add(1)
	return nil
}

// reserve indexes pend (not ready) for a new key h and asks the admission policy; *out is set
// to pend if it was kept. When h is already indexed, nothing is reserved (the Put replaces
// the object once written, and the old one is served meanwhile).
func (s *Store) reserve(sh *shard, h uint64, out **item, pend *item) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[h] != nil {
		return nil
	}
	if !s.enter() {
		return ErrClosed
	}
	defer s.leave()
	if !s.insertLocked(sh, pend) || !s.admittedLocked(h) {
		if sh.m[h] == pend {
			// Nothing was written; a file can only be at the path before the start-up scan
			// is done (one not indexed yet, which this Put was to replace).
			s.removeLocked(sh, pend, !s.isLoaded(), true)
		}
		s.rejected.Add(1)
		return ErrNotAdmitted
	}
	*out = pend
	return nil
}

// unreserve drops a reservation whose write failed.
func (s *Store) unreserve(pend *item) { s.drop(pend, nil) }

// install renames tmp to h's path, creating its directories (never Dir itself) if they are
// missing. The caller holds h's shard lock.
func (s *Store) install(tmp string, h uint64) error {
	dst := s.path(h)
	err := os.Rename(tmp, dst)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if _, serr := os.Stat(tmp); serr != nil {
		return err // the temporary file itself is gone
	}
	sub := filepath.Dir(dst)
	if err := mkdirIn(s.dir, filepath.Dir(sub)); err != nil {
		return err
	}
	if err := mkdirIn(s.dir, sub); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// mkdirIn creates dir (0700) if missing; it never creates root, which must exist (a missing
// root may be an unmounted disk: filling the disk below it would be wrong).
func mkdirIn(root, dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		if _, rerr := os.Stat(root); rerr != nil {
			return fmt.Errorf("cache directory: %w", rerr)
		}
		return err
	}
	return nil
}

// writeTemp writes the object to a new temporary file and returns its name and the body
// length; on error nothing is left behind.
func (s *Store) writeTemp(hd *header, rec []byte, body io.Reader, size int64) (name string, n int64, err error) {
	f, err := os.CreateTemp(s.tmpDir, fmt.Sprintf("%016x.*", hd.hash))
	if errors.Is(err, os.ErrNotExist) {
		if err = mkdirIn(s.dir, s.tmpDir); err == nil {
			f, err = os.CreateTemp(s.tmpDir, fmt.Sprintf("%016x.*", hd.hash))
		}
	}
	if err != nil {
		return "", 0, s.ioError("put", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(rec); err != nil {
		return "", 0, s.ioError("put", err)
	}
	limit := size
	if limit < 0 {
		limit = s.maxObject
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	var c uint32
	for {
		// Read at most one byte past the limit, to tell a body that is too long.
		k, rerr := body.Read(buf[:min(int64(len(buf)), limit+1-n)])
		if n+int64(k) > limit {
			if size >= 0 {
				return "", 0, fmt.Errorf("disk: put: %w: more than %d bytes", ErrBodySize, size)
			}
			return "", 0, fmt.Errorf("disk: put: %w: body over MaxObjectSize (%d bytes)", ErrTooLarge, limit)
		}
		if k > 0 {
			c = crcUpdate(c, buf[:k])
			if _, err = f.Write(buf[:k]); err != nil {
				return "", 0, s.ioError("put", err)
			}
			n += int64(k)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = fmt.Errorf("disk: put: reading the body: %w", rerr)
			return "", 0, err
		}
	}
	if size >= 0 && n != size {
		return "", 0, fmt.Errorf("disk: put: %w: %d bytes, want %d", ErrBodySize, n, size)
	}
	hd.bodyLen, hd.bodyCRC = n, c
	hd.encode(rec[:headerLen])
	if _, err = f.WriteAt(rec[:headerLen], 0); err != nil {
		return "", 0, s.ioError("put", err)
	}
	if err = f.Close(); err != nil {
		os.Remove(f.Name())
		err = s.ioError("put", err)
		return "", 0, err
	}
	return f.Name(), n, nil
}

// MaxObjectSize is the largest body Put accepts (Config.MaxObjectSize).
func (s *Store) MaxObjectSize() int64 { return s.maxObject }

// Has reports whether the index holds an object under key (written or being written; it may
// be past its deadline). It does no I/O.
func (s *Store) Has(key []byte) bool {
	h := hashKey(key)
	sh := s.shard(h)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[h] != nil
}

// Delete removes the object stored under key, if any. A Get that starts after Delete
// returns does not find it; Objects already open stay readable.
func (s *Store) Delete(key []byte) {
	if len(key) == 0 {
		return
	}
	h := hashKey(key)
	sh := s.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !s.enter() {
		return
	}
	defer s.leave()
	if it := sh.m[h]; it != nil {
		s.removeLocked(sh, it, true, true)
	} else if !s.isLoaded() {
		s.unlink(h) // not indexed yet by the start-up scan (once it is done, the index is complete)
	}
}

// Invalidate records an invalidation of paths in distribution dist at time at (if zero,
// now), as cache.Store.Invalidate does: a path is exact or, ending in "*", a prefix; from the
// moment Invalidate returns, Get treats every object of dist whose Path matches and whose
// Stored is at or before at as absent (and removes its file when it meets it). It never walks
// the disk. The record is appended to the journal and synced before Invalidate returns, so it
// still applies after a restart (or a power failure); if that fails, the record applies in
// this process only, and the error is logged and counted in Errors. Records older than
// MaxLifetime are dropped, and each distribution keeps at most 16,384 exact paths and 256
// wildcards, older ones folding into "everything stored before T" (more than was asked, never
// less).
func (s *Store) Invalidate(dist string, paths []string, at time.Time) {
	s.invalidate(kindPlain, dist, paths, nil, at)
}

// InvalidateExcept records paths like Invalidate, except that an object whose path makes
// except return true is not covered by them (control.SmoothAwareInvalidator: wildcards that
// leave Smooth Streaming media cached). except is called on lookups, must be safe for
// concurrent use, and the latest given applies to all the distribution's guarded records. A
// function cannot be journaled: after a restart, an object that guarded records cover is not
// served, nor removed, until InvalidateExcept is called for the distribution again (a call
// with no paths only sets the predicate); then the predicate decides. A nil except is
// Invalidate.
func (s *Store) InvalidateExcept(dist string, paths []string, except func(path string) bool, at time.Time) {
	if except == nil {
		s.Invalidate(dist, paths, at)
		return
	}
	s.invalidate(kindGuarded, dist, paths, except, at)
}

func (s *Store) invalidate(kind byte, dist string, paths []string, except func(string) bool, at time.Time) {
	if s.closed.Load() {
		return
	}
	now := s.now()
	if at.IsZero() {
		at = now
	}
	cutoff := now.Add(-s.maxLife)
	s.reg.add(kind, dist, paths, except, at, cutoff)
	if len(paths) == 0 || at.Before(cutoff) {
		return
	}
	if err := s.jnl.append(record{kind: kind, at: at, dist: dist, paths: paths}, s.reg, cutoff); err != nil {
		s.errs.Add(1)
		s.log.Error("disk: an invalidation could not be journaled: it applies until the next restart only",
			"distribution", dist, "paths", len(paths), "err", err)
	}
}

// Stats returns the Store's counters.
func (s *Store) Stats() Stats {
	return Stats{
		Bytes:       s.bytes.Load(),
		Objects:     s.objects.Load(),
		MaxBytes:    s.maxBytes,
		Hits:        s.hits.Load(),
		Misses:      s.misses.Load(),
		Puts:        s.puts.Load(),
		Rejected:    s.rejected.Load(),
		Evictions:   s.evictions.Load(),
		Expired:     s.expired.Load(),
		Invalidated: s.invalidated.Load(),
		Vanished:    s.vanished.Load(),
		Corrupt:     s.corrupt.Load(),
		Errors:      s.errs.Load(),
		Loading:     !s.isLoaded(),
		Loaded:      s.loadedN.Load(),
	}
}

// Close stops the start-up scan and the background work, and releases the directory. The
// files stay: the next Open finds them. Objects already returned stay readable. Puts still
// writing their body fail with ErrClosed and remove their temporary file. Close is
// idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closed.Store(true)
	s.mu.Unlock()
	close(s.stopScan)
	<-s.loaded
	s.shutdown.Store(true) // ristretto's Close calls OnEvict for everything it holds
	s.c.Close()
	close(s.dq.stop)
	<-s.dq.done
	err := s.jnl.close()
	if lerr := s.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("disk: close: %w", err)
	}
	return nil
}

// enqueue hands an item ristretto evicted or rejected to the deleter. It runs on ristretto's
// goroutine and never blocks.
func (s *Store) enqueue(it *item, rejected bool) {
	if it == nil || s.shutdown.Load() {
		return
	}
	s.dq.push(job{it: it, rejected: rejected})
}

func (d *deleter) push(j job) {
	d.mu.Lock()
	d.queue = append(d.queue, j)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (s *Store) runDeleter() {
	defer close(s.dq.done)
	for {
		stopping := false
		select {
		case <-s.dq.wake:
		case <-s.dq.stop:
			stopping = true
		}
		for {
			s.dq.mu.Lock()
			jobs := s.dq.queue
			s.dq.queue = nil
			s.dq.mu.Unlock()
			if len(jobs) == 0 {
				break
			}
			for _, j := range jobs {
				s.runJob(j)
			}
		}
		if stopping {
			return
		}
	}
}

func (s *Store) runJob(j job) {
	if j.flushed != nil {
		close(j.flushed)
		return
	}
	it := j.it
	sh := s.shard(it.h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[it.h] != it {
		return // already replaced, deleted or dropped
	}
	s.removeLocked(sh, it, true, false) // ristretto no longer holds it
	switch {
	case j.rejected:
		s.rejected.Add(1)
	case it.deadline <= s.now().UnixNano():
		s.expired.Add(1)
	default:
		s.evictions.Add(1)
	}
}

// settle waits until ristretto has applied every Set and Del issued so far and the deleter has
// removed what it evicted or rejected meanwhile (for tests and benchmarks).
func (s *Store) settle() {
	if s.enter() {
		s.c.Wait()
		s.leave()
	}
	done := make(chan struct{})
	s.dq.push(job{flushed: done})
	select {
	case <-done:
	case <-s.dq.done:
	}
}

// ioError counts err, logs it (at most one line a second, with the count of those
// suppressed) and returns it wrapped with op.
func (s *Store) ioError(op string, err error) error {
	s.errs.Add(1)
	s.warn("disk: "+op+" failed", "err", err)
	return fmt.Errorf("disk: %s: %w", op, err)
}

func (s *Store) corruptFound(h uint64, err error) {
	s.warn("disk: corrupt object file removed", "path", s.path(h), "err", err)
}

func (s *Store) warn(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := s.lastWarn.Load()
	if now-last < int64(warnEvery) || !s.lastWarn.CompareAndSwap(last, now) {
		s.suppressed.Add(1)
		return
	}
	if n := s.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed", n)
	}
	s.log.Warn(msg, args...)
}
