package disk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_750_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testConfig returns a Config on a new temporary directory with a 64 MiB budget.
func testConfig(t testing.TB) Config {
	return Config{Dir: t.TempDir(), MaxBytes: 64 << 20}
}

// openStore opens cfg and closes the Store at the end of the test.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	return openGated(t, cfg, nil)
}

// openGated opens cfg with the start-up scan held until gate is closed (nil: not held).
func openGated(t testing.TB, cfg Config, gate <-chan struct{}) *Store {
	t.Helper()
	s, err := open(cfg, gate)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openLoaded opens cfg and waits for the start-up scan.
func openLoaded(t testing.TB, cfg Config) *Store {
	t.Helper()
	s := openStore(t, cfg)
	<-s.Loaded()
	return s
}

// bodyFor returns n bytes derived from key alone, so that a reader can check them without
// knowing what the writer wrote.
func bodyFor(key string, n int) []byte {
	sum := sha256.Sum256([]byte(key))
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:]), binary.LittleEndian.Uint64(sum[8:])))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// metaFor returns a Meta for key in dist D1 at path "/"+key, stored at now, kept an hour.
func metaFor(key string, now time.Time) Meta {
	return Meta{
		Key:      []byte(key),
		Dist:     "D1",
		Path:     "/" + key,
		Stored:   now,
		Deadline: now.Add(time.Hour),
		Head:     []byte("head of " + key),
	}
}

// mustPut stores bodyFor(key, n) under key.
func mustPut(t testing.TB, s *Store, key string, n int) Meta {
	t.Helper()
	m := metaFor(key, s.now())
	if err := s.Put(m, bytes.NewReader(bodyFor(key, n)), int64(n)); err != nil {
		t.Fatalf("Put %q: %v", key, err)
	}
	return m
}

// readBody reads o's body from File (as a sendfile would, from its offset) and closes o.
func readBody(t testing.TB, o *Object) []byte {
	t.Helper()
	defer o.Close()
	b, err := io.ReadAll(io.LimitReader(o.File, o.Size+1))
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	if int64(len(b)) != o.Size {
		t.Fatalf("body: %d bytes readable from File, Size says %d", len(b), o.Size)
	}
	return b
}

// mustGet returns the body stored under key, failing the test on a miss or error.
func mustGet(t testing.TB, s *Store, key string) ([]byte, Meta) {
	t.Helper()
	o, err := s.Get([]byte(key))
	if err != nil || o == nil {
		t.Fatalf("Get %q: object %v, err %v; want a hit", key, o, err)
	}
	m := o.Meta
	return readBody(t, o), m
}

// mustMiss fails unless Get(key) returns nil, nil.
func mustMiss(t testing.TB, s *Store, key string) {
	t.Helper()
	o, err := s.Get([]byte(key))
	if o != nil || err != nil {
		if o != nil {
			o.Close()
		}
		t.Fatalf("Get %q: object %v, err %v; want nil, nil", key, o != nil, err)
	}
}

// objectPath is the file of key in dir.
func objectPath(dir, key string) string {
	return filepath.Join(dir, relPath(hashKey([]byte(key))))
}

// objectFiles lists the object files under dir (not the lock, journal or tmp).
func objectFiles(t testing.TB, dir string) map[uint64]int64 {
	t.Helper()
	files := make(map[uint64]int64)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "tmp" {
			return filepath.SkipDir
		}
		if h, ok := parseName(d.Name()); ok && d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			files[h] = fi.Size()
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

// tmpFiles lists what is left in dir/tmp.
func tmpFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// checkConsistent waits for the Store to settle, then checks that the index, the files on
// disk, the byte counters and ristretto's cost agree, and that no temporary file is left.
func checkConsistent(t testing.TB, s *Store) {
	t.Helper()
	s.settle()
	files := objectFiles(t, s.dir)
	var bytes, objects int64
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for h, it := range sh.m {
			objects++
			bytes += it.cost
			if !it.ready.Load() {
				t.Errorf("%016x: not ready at rest", h)
				continue
			}
			size, ok := files[h]
			if !ok {
				t.Errorf("%016x: indexed, no file", h)
				continue
			}
			if costOf(size) != it.cost {
				t.Errorf("%016x: file of %d bytes, cost %d", h, size, it.cost)
			}
			delete(files, h)
		}
		sh.mu.RUnlock()
	}
	for h := range files {
		t.Errorf("%016x: file not indexed", h)
	}
	if st := s.Stats(); st.Bytes != bytes || st.Objects != objects {
		t.Errorf("Stats: Bytes %d, Objects %d; index holds %d bytes in %d objects", st.Bytes, st.Objects, bytes, objects)
	}
	if used := s.c.MaxCost() - s.c.RemainingCost(); used != bytes {
		t.Errorf("ristretto holds a cost of %d, index %d", used, bytes)
	}
	if bytes > s.maxBytes {
		t.Errorf("index holds %d bytes, MaxBytes %d", bytes, s.maxBytes)
	}
	if left := tmpFiles(t, s.dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// writeRaw writes an object file for m and body at its hashed path in dir, as Put would,
// without a Store (tests that build many objects quickly, or corrupt them).
func writeRaw(t testing.TB, dir string, m Meta, body []byte) string {
	t.Helper()
	path := filepath.Join(dir, relPath(hashKey(m.Key)))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, encodeFile(m, body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// encodeFile returns the bytes of the object file for m and body.
func encodeFile(m Meta, body []byte) []byte {
	rec := make([]byte, headerLen, headerLen+metaLen(&m)+len(body))
	rec = encodeMeta(rec, &m, m.Stored, m.Deadline)
	hd := header{gen: 42, hash: hashKey(m.Key), metaLen: uint32(metaLen(&m)), metaCRC: crc(rec[headerLen:]),
		bodyLen: int64(len(body)), bodyCRC: crc(body)}
	hd.encode(rec)
	return append(rec, body...)
}

// hasPrefixAny reports whether s starts with one of prefixes.
func hasPrefixAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// runChild runs the test named name in a child process (this test binary) with env added,
// and returns its combined output; it fails the test when the child fails.
func runChild(t *testing.T, name string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	return string(out)
}
