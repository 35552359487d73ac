package disk

// Hostile-input tests of package disk: files under the tier's folder truncated, replaced,
// forged or swapped for other kinds of files. The machine runs these tests as root:
// permission cases are left to TestPermissions, which drops capabilities in a child.

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangLimit is how long a call may take before the test calls it hung. It is a bound on a
// call that should take microseconds, not a synchronisation.
const hangLimit = time.Second

// TestHostileJournalHugeLengthMidJournal: the journal holds three fsynced records (/a, /b,
// /c invalidated), and the first record's 4-byte frame length is damaged on disk to
// 0xffffff00, over maxRecordLen, which no append ever writes. Intact records follow it, so it
// is damage in the middle, not a record torn by a crash mid-append: readJournal goes on from
// the next intact frame, so /b and /c, whose invalidations had returned (fsynced), stay
// invalidated; and since the bytes the damaged length spans may have held any number of
// records, Open invalidates every object stored until then and counts the damage in
// Stats.Errors (doc.go, "Invalidations": "losing an invalidation would serve what the owner
// asked to remove"). (This was once taken for a torn tail: the records after it were dropped
// uncounted, and /b and /c served again.)
func TestHostileJournalHugeLengthMidJournal(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(t)
	cfg.Now = clock.Now
	s := openLoaded(t, cfg)
	for _, k := range []string{"a", "b", "c"} {
		if err := s.Put(metaFor(k, clock.Now()), strings.NewReader(k), 1); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	for _, p := range []string{"/a", "/b", "/c"} {
		s.Invalidate("D1", []string{p}, clock.Now())
	}
	s.Close()
	jpath := filepath.Join(cfg.Dir, "invalidations")
	j, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(j); got < 3*(8+13) {
		t.Fatalf("journal of %d bytes, want three records", got)
	}
	binary.LittleEndian.PutUint32(j[0:], 0xffffff00) // the first record's frame length
	if err := os.WriteFile(jpath, j, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openLoaded(t, cfg)
	for _, k := range []string{"b", "c"} {
		if o, err := s.Get([]byte(k)); o != nil {
			o.Close()
			t.Errorf("Get %q served an object whose invalidation was journaled after the damaged record (err %v)", k, err)
		}
	}
	if st := s.Stats(); st.Errors == 0 {
		t.Errorf("Errors %d: the invalidations lost behind a damaged frame length are not counted (reported as a torn tail)", st.Errors)
	}
}

// fifoUnblock opens the FIFO at path so that a reader blocked in open(2) (and then in read)
// returns with EOF, and keeps a reader open so that a later writer's open(2) does not block.
// It returns a function closing what it opened.
func fifoUnblock(t *testing.T, path string) func() {
	t.Helper()
	rw, err := syscall.Open(path, syscall.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Logf("unblocking %s: %v", path, err)
		return func() {}
	}
	r, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	syscall.Close(rw) // no writer left: the blocked reader reads EOF
	return func() {
		if err == nil {
			syscall.Close(r)
		}
	}
}

// TestHostileForgedHeaderLengths pins that a header with a valid checksum claiming absurd
// lengths is refused from the file's real length before anything is allocated for it: a
// metadata length over 1 MiB, a metadata length of 1 MiB in a small file, a body length of
// 2^62 or 2^64-1 (the sum must not overflow into a match), and a body length making
// 64+meta+body equal the file length modulo 2^64.
func TestHostileForgedHeaderLengths(t *testing.T) {
	const key = "/D1/forged"
	m := metaFor(key, time.Now())
	good := encodeFile(m, bodyFor(key, 4000))
	forge := func(metaLen uint32, bodyLen uint64) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[24:], metaLen)
		binary.LittleEndian.PutUint64(b[32:], bodyLen)
		binary.LittleEndian.PutUint32(b[60:], crc(b[:60]))
		return b
	}
	ml := uint32(metaLen(&m))
	cases := map[string][]byte{
		"meta over 1 MiB":     forge(maxMetaLen+1, 4000),
		"meta 1 MiB":          forge(maxMetaLen, 4000),
		"meta 2^32-1":         forge(^uint32(0), 4000),
		"meta under fixed":    forge(metaFixed-1, 4000),
		"body 2^62":           forge(ml, 1<<62),
		"body 2^63":           forge(ml, 1<<63),
		"body 2^64-1":         forge(ml, ^uint64(0)),
		"body wraps to match": forge(ml, uint64(len(good))-64-uint64(ml)+1<<63),
		"body one short":      forge(ml, 3999),
	}
	for name, b := range cases {
		for _, when := range []string{"before the scan", "after the scan"} {
			t.Run(name+"/"+when, func(t *testing.T) {
				cfg := testConfig(t)
				writeRaw(t, cfg.Dir, m, nil)
				if err := os.WriteFile(objectPath(cfg.Dir, key), b, 0o600); err != nil {
					t.Fatal(err)
				}
				var s *Store
				if when == "before the scan" {
					s = openGated(t, cfg, make(chan struct{}))
				} else {
					s = openLoaded(t, cfg)
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				o, err := s.Get([]byte(key))
				runtime.ReadMemStats(&after)
				if o != nil {
					o.Close()
					t.Fatal("served")
				}
				if err != nil {
					t.Errorf("Get: %v; want a miss", err)
				}
				if a := after.TotalAlloc - before.TotalAlloc; a > 512<<10 {
					t.Errorf("Get allocated %d KiB for a forged header", a>>10)
				}
				if _, err := os.Stat(objectPath(cfg.Dir, key)); err == nil {
					t.Error("forged file left in place")
				}
			})
		}
	}
}

// TestHostileWrongPlaceAndKind pins files that are ours by name but not by content or
// place: another key's valid file at a key's path (a miss; removed by the scan), a valid
// file in the wrong level directory (removed by the scan, never served), a directory at
// an object's path (a miss, before and after the scan; not a regular file, so not the
// Store's: it is left in place, uncounted, as doc.go says), and a symlink at an object's
// path after the scan (a miss; the scan indexes regular files only and leaves symlinks alone).
func TestHostileWrongPlaceAndKind(t *testing.T) {
	t.Run("another key's file", func(t *testing.T) {
		cfg := testConfig(t)
		other := metaFor("/D1/other", time.Now())
		b := encodeFile(other, []byte("other body"))
		// Forge the header hash to the victim's so only the key tells them apart.
		victim := "/D1/victim"
		binary.LittleEndian.PutUint64(b[16:], hashKey([]byte(victim)))
		binary.LittleEndian.PutUint32(b[60:], crc(b[:60]))
		writeRaw(t, cfg.Dir, metaFor(victim, time.Now()), nil)
		if err := os.WriteFile(objectPath(cfg.Dir, victim), b, 0o600); err != nil {
			t.Fatal(err)
		}
		s := openGated(t, cfg, make(chan struct{}))
		mustMiss(t, s, victim)
		mustMiss(t, s, "/D1/other")
		s.Close()
		s = openLoaded(t, cfg)
		if _, err := os.Stat(objectPath(cfg.Dir, victim)); err == nil {
			t.Error("the scan kept a file whose key does not hash to its name")
		}
		mustMiss(t, s, victim)
	})
	t.Run("misplaced", func(t *testing.T) {
		cfg := testConfig(t)
		key := "/D1/misplaced"
		m := metaFor(key, time.Now())
		right := objectPath(cfg.Dir, key)
		name := filepath.Base(right)
		wrongTop := "0"
		if name[0] == '0' {
			wrongTop = "1"
		}
		wrong := filepath.Join(cfg.Dir, wrongTop, name[1:3], name)
		if err := os.MkdirAll(filepath.Dir(wrong), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(wrong, encodeFile(m, []byte("x")), 0o600); err != nil {
			t.Fatal(err)
		}
		s := openLoaded(t, cfg)
		mustMiss(t, s, key)
		if _, err := os.Stat(wrong); err == nil {
			t.Error("misplaced file kept")
		}
	})
	t.Run("directory", func(t *testing.T) {
		for _, when := range []string{"before the scan", "after the scan"} {
			cfg := testConfig(t)
			key := "/D1/dir"
			p := objectPath(cfg.Dir, key)
			if err := os.MkdirAll(filepath.Join(p, "inner"), 0o700); err != nil {
				t.Fatal(err)
			}
			var s *Store
			if when == "before the scan" {
				s = openGated(t, cfg, make(chan struct{}))
			} else {
				s = openLoaded(t, cfg)
			}
			o, err := s.Get([]byte(key))
			if o != nil {
				o.Close()
				t.Fatalf("%s: a directory was served", when)
			}
			if err != nil {
				t.Errorf("%s: Get: %v; want a miss", when, err)
			}
			s.Close()
		}
	})
	t.Run("symlink after the scan", func(t *testing.T) {
		cfg := testConfig(t)
		key := "/D1/link"
		m := metaFor(key, time.Now())
		outside := filepath.Join(t.TempDir(), "target")
		if err := os.WriteFile(outside, encodeFile(m, []byte("from outside")), 0o600); err != nil {
			t.Fatal(err)
		}
		p := objectPath(cfg.Dir, key)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, p); err != nil {
			t.Fatal(err)
		}
		s := openLoaded(t, cfg)
		mustMiss(t, s, key)
		if st := s.Stats(); st.Loaded != 0 {
			t.Errorf("the scan indexed %d objects through a symlink", st.Loaded)
		}
	})
}

// TestHostileJournalFrames pins journal frames a crash cannot make but damage can, at the
// end of the journal: a length prefix of 2^32-1, a payload whose path count claims more
// paths than bytes, a string length past the payload, a record kind of 0, a distribution
// length of 2^32-1. Open succeeds fast, allocates little and keeps the records before them
// (a damaged last record is dropped as torn).
func TestHostileJournalFrames(t *testing.T) {
	clock := newFakeClock()
	good := appendRecord(nil, record{kind: kindPlain, at: clock.Now(), dist: "D1", paths: []string{"/a"}})
	frame := func(payload []byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
		b = binary.LittleEndian.AppendUint32(b, crc(payload))
		return append(b, payload...)
	}
	payload := func(nPaths uint32, tail []byte) []byte {
		p := []byte{kindPlain}
		p = binary.LittleEndian.AppendUint64(p, uint64(clock.Now().UnixNano()))
		p = binary.LittleEndian.AppendUint32(p, 2)
		p = append(p, "D1"...)
		p = binary.LittleEndian.AppendUint32(p, nPaths)
		return append(p, tail...)
	}
	tails := map[string][]byte{
		"length 2^32-1":    binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, ^uint32(0)), 0),
		"paths 2^32-1":     frame(payload(^uint32(0), make([]byte, 64))),
		"string past end":  frame(payload(1, binary.LittleEndian.AppendUint32(nil, 1<<30))),
		"kind 0":           frame(append([]byte{0}, payload(0, nil)[1:]...)),
		"dist length huge": frame(append(payload(0, nil)[:9], 0xff, 0xff, 0xff, 0xff)),
	}
	for name, tail := range tails {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Now = clock.Now
			s := openLoaded(t, cfg)
			for _, k := range []string{"a", "b"} {
				if err := s.Put(metaFor(k, clock.Now()), strings.NewReader(k), 1); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			if err := os.WriteFile(filepath.Join(cfg.Dir, "invalidations"), append(bytes.Clone(good), tail...), 0o600); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			s2, err := Open(cfg)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s2.Close()
			if d := time.Since(start); d > hangLimit {
				t.Errorf("Open took %v", d)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 {
				t.Errorf("Open allocated %d MiB for a %d-byte journal", a>>20, len(good)+len(tail))
			}
			<-s2.Loaded()
			mustMiss(t, s2, "a")
			mustGet(t, s2, "b")
		})
	}
}
