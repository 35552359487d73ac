package disk

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestOpenConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no dir", Config{MaxBytes: 1}},
		{"no budget", Config{Dir: dir}},
		{"negative budget", Config{Dir: dir, MaxBytes: -1}},
		{"negative max object", Config{Dir: dir, MaxBytes: 1, MaxObjectSize: -1}},
		{"negative lifetime", Config{Dir: dir, MaxBytes: 1, MaxLifetime: -time.Second}},
		{"negative counters", Config{Dir: dir, MaxBytes: 1, NumCounters: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.cfg)
			if !errors.Is(err, ErrConfig) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open: %v, want ErrConfig", err)
			}
		})
	}
}

// TestOpenCreatesPrivateDir: Dir and what Put creates in it are 0700, files 0600, laid out
// as a/bc/<16 hex digits>.
func TestOpenCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x", "cache")
	s := openLoaded(t, Config{Dir: dir, MaxBytes: 1 << 20})
	mustPut(t, s, "k", 10)
	path := objectPath(dir, "k")
	rel, _ := filepath.Rel(dir, path)
	parts := strings.Split(rel, string(filepath.Separator))
	if len(parts) != 3 || len(parts[0]) != 1 || len(parts[1]) != 2 || len(parts[2]) != 16 ||
		parts[2][:1] != parts[0] || parts[2][1:3] != parts[1] {
		t.Errorf("object at %s, want a/bc/abc… (16 hex digits)", rel)
	}
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{
		{dir, 0o700}, {filepath.Dir(filepath.Dir(path)), 0o700}, {filepath.Dir(path), 0o700},
		{filepath.Join(dir, "tmp"), 0o700}, {path, 0o600}, {filepath.Join(dir, "lock"), 0o600},
		{filepath.Join(dir, "invalidations"), 0o600},
	} {
		fi, err := os.Stat(p.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != p.mode {
			t.Errorf("%s: mode %v, want %v", p.path, got, p.mode)
		}
	}
}

func TestOpenLocked(t *testing.T) {
	cfg := testConfig(t)
	s := openStore(t, cfg)
	if s2, err := Open(cfg); !errors.Is(err, ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, cfg)
	s2.Close()
}

func TestPutGet(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		unknown bool // Put with size -1
	}{
		{"empty", 0, false},
		{"1 byte", 1, false},
		{"one block", 4096 - headerLen - 64, false},
		{"odd", 3*4096 + 7, false},
		{"1 MiB", 1 << 20, false},
		{"1 MiB of unknown size", 1 << 20, true},
		{"empty of unknown size", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openLoaded(t, testConfig(t))
			key := "/D1/k/" + tt.name
			body := bodyFor(key, tt.n)
			m := metaFor(key, time.Now())
			size := int64(tt.n)
			if tt.unknown {
				size = -1
			}
			// iotest.HalfReader: Put must not assume full reads.
			if err := s.Put(m, iotest.HalfReader(bytes.NewReader(body)), size); err != nil {
				t.Fatalf("Put: %v", err)
			}
			o, err := s.Get([]byte(key))
			if err != nil || o == nil {
				t.Fatalf("Get: %v, %v", o, err)
			}
			if o.Offset != int64(headerLen+metaLen(&m)) {
				t.Errorf("Offset %d, want %d", o.Offset, headerLen+metaLen(&m))
			}
			if pos, _ := o.File.Seek(0, io.SeekCurrent); pos != o.Offset {
				t.Errorf("File at %d, want the body's first byte %d", pos, o.Offset)
			}
			if !bytes.Equal(o.Meta.Key, m.Key) || o.Meta.Dist != m.Dist || o.Meta.Path != m.Path ||
				!o.Meta.Stored.Equal(m.Stored) || !o.Meta.Deadline.Equal(m.Deadline) || !bytes.Equal(o.Meta.Head, m.Head) {
				t.Errorf("Meta %+v, want %+v", o.Meta, m)
			}
			viaBody, err := io.ReadAll(o.Body())
			if err != nil || !bytes.Equal(viaBody, body) {
				t.Errorf("Body(): %d bytes, %v; want the %d put", len(viaBody), err, len(body))
			}
			if got := readBody(t, o); !bytes.Equal(got, body) {
				t.Errorf("File: %d bytes, want the %d put", len(got), len(body))
			}
			if err := o.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			st := s.Stats()
			want := costOf(int64(headerLen + metaLen(&m) + tt.n))
			if st.Hits != 1 || st.Puts != 1 || st.Objects != 1 || st.Bytes != want {
				t.Errorf("Stats %+v; want 1 hit, 1 put, 1 object of %d bytes", st, want)
			}
			checkConsistent(t, s)
		})
	}
}

// TestPutReplaces: a second Put of a key replaces the object, and the space of the first is
// given back.
func TestPutReplaces(t *testing.T) {
	s := openLoaded(t, testConfig(t))
	mustPut(t, s, "k", 100_000)
	m := metaFor("k", time.Now())
	m.Head = []byte("v2")
	if err := s.Put(m, strings.NewReader("second"), -1); err != nil {
		t.Fatal(err)
	}
	body, meta := mustGet(t, s, "k")
	if string(body) != "second" || string(meta.Head) != "v2" {
		t.Errorf("got %q, head %q; want the second object", body, meta.Head)
	}
	checkConsistent(t, s)
	if st := s.Stats(); st.Objects != 1 || st.Bytes != blockSize {
		t.Errorf("Stats %+v, want one object of one block", st)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestPutRefused(t *testing.T) {
	clock := newFakeClock()
	now := clock.Now()
	boom := errors.New("origin reset")
	tests := []struct {
		name string
		meta func(m *Meta)
		body io.Reader
		size int64
		want error
	}{
		{"empty key", func(m *Meta) { m.Key = nil }, strings.NewReader("x"), 1, nil},
		{"over MaxObjectSize", nil, strings.NewReader("x"), 70_000, ErrTooLarge},
		{"unknown size over MaxObjectSize", nil, bytes.NewReader(make([]byte, 70_000)), -1, ErrTooLarge},
		{"over MaxBytes with its metadata", nil, bytes.NewReader(make([]byte, 65_536)), 65_536, ErrTooLarge},
		{"huge metadata", func(m *Meta) { m.Head = make([]byte, maxMetaLen) }, strings.NewReader("x"), 1, ErrTooLarge},
		{"short body", nil, strings.NewReader("abc"), 4, ErrBodySize},
		{"long body", nil, strings.NewReader("abcde"), 4, ErrBodySize},
		{"reader error", nil, io.MultiReader(strings.NewReader("ab"), errReader{boom}), 4, boom},
		{"reader error, unknown size", nil, errReader{boom}, -1, boom},
		{"past its deadline", func(m *Meta) { m.Deadline = now }, strings.NewReader("x"), 1, ErrNotAdmitted},
		{"past MaxLifetime", func(m *Meta) { m.Stored = now.Add(-DefaultMaxLifetime) }, strings.NewReader("x"), 1, ErrNotAdmitted},
		{"invalidated", func(m *Meta) { m.Path = "/gone/x" }, strings.NewReader("x"), 1, ErrNotAdmitted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.MaxBytes = 65_536
			cfg.MaxObjectSize = 65_536
			cfg.Now = clock.Now
			s := openLoaded(t, cfg)
			s.Invalidate("D1", []string{"/gone/*"}, now)
			m := metaFor("k", now.Add(-time.Second))
			if tt.meta != nil {
				tt.meta(&m)
			}
			err := s.Put(m, tt.body, tt.size)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Put: %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "disk: ") {
				t.Errorf("error %q does not start with \"disk: \"", err)
			}
			mustMiss(t, s, "k")
			if st := s.Stats(); st.Errors != 0 || st.Puts != 0 {
				t.Errorf("Stats %+v: want no error counted (nothing failed on disk) and no put", st)
			}
			checkConsistent(t, s)
		})
	}
}

func TestGetMisses(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(t)
	cfg.Now = clock.Now
	s := openLoaded(t, cfg)
	mustMiss(t, s, "absent")
	mustMiss(t, s, "")

	mustPut(t, s, "expires", 10)
	mustPut(t, s, "deleted", 10)
	s.Delete([]byte("deleted"))
	mustMiss(t, s, "deleted")
	if _, err := os.Stat(objectPath(s.dir, "deleted")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("deleted object's file: %v", err)
	}
	mustGet(t, s, "expires")
	clock.Advance(time.Hour)
	mustMiss(t, s, "expires")
	if st := s.Stats(); st.Expired != 1 || st.Objects != 0 {
		t.Errorf("Stats %+v: want 1 expired, 0 objects", st)
	}
	checkConsistent(t, s)
}

// TestGetCollision: a file at a key's hashed path that holds another key (a hash collision)
// is a miss for this key, and is not removed as corrupt.
func TestGetCollision(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	mustPut(t, s, "mine", 10)
	other := metaFor("other", time.Now())
	b := encodeFile(other, []byte("other body"))
	// Make the file claim mine's hash, as a real collision would.
	hd, _ := decodeHeader(b)
	hd.hash = hashKey([]byte("mine"))
	hd.encode(b)
	if err := os.WriteFile(objectPath(cfg.Dir, "mine"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, s, "mine")
	if _, err := os.Stat(objectPath(cfg.Dir, "mine")); err != nil {
		t.Errorf("the other key's file was removed: %v", err)
	}
	if st := s.Stats(); st.Corrupt != 0 {
		t.Errorf("Corrupt %d, want 0", st.Corrupt)
	}
}

func TestClose(t *testing.T) {
	s := openLoaded(t, testConfig(t))
	mustPut(t, s, "k", 100)
	o, err := s.Get([]byte("k"))
	if err != nil || o == nil {
		t.Fatal(o, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := readBody(t, o); !bytes.Equal(got, bodyFor("k", 100)) {
		t.Error("an Object open at Close no longer reads its body")
	}
	if o, err := s.Get([]byte("k")); o != nil || !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v, %v", o, err)
	}
	if err := s.Put(metaFor("k2", time.Now()), strings.NewReader("x"), 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
	s.Delete([]byte("k"))
	s.Invalidate("D1", []string{"/*"}, time.Time{})
	if len(objectFiles(t, s.dir)) != 1 {
		t.Error("Close removed or Delete after Close removed files")
	}
}
