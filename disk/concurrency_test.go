package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

// versionedBody is the body of version v of key: its bytes depend on both, so a reader can
// tell a whole version from a mix of two.
func versionedBody(key string, v, n int) []byte { return bodyFor(key+"#"+strconv.Itoa(v), n) }

// checkVersioned reads o whole and checks that it is exactly the version its Head names.
func checkVersioned(t testing.TB, key string, o *Object) {
	t.Helper()
	v, err := strconv.Atoi(string(o.Meta.Head))
	if err != nil {
		t.Errorf("%s: Head %q", key, o.Meta.Head)
		o.Close()
		return
	}
	got := readBody(t, o)
	if want := versionedBody(key, v, len(got)); !bytes.Equal(got, want) || string(o.Meta.Key) != key {
		t.Errorf("%s: body of %d bytes is not version %d whole", key, len(got), v)
	}
}

// TestConcurrentOps: goroutines Get, Put (known and unknown sizes) and Delete the same and
// different keys under a budget small enough for evictions to run all along. Every hit is one
// whole version; at rest, the index, the files and ristretto agree.
func TestConcurrentOps(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxBytes = 40 * blockSize // room for about half the 64 keys (objects of 1 to 4 blocks)
	s := openLoaded(t, cfg)
	const goroutines, keys = 16, 64
	ops := 600
	if testing.Short() || raceEnabled {
		ops = 200
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range ops {
				key := fmt.Sprint("/k/", r.IntN(keys))
				switch p := r.IntN(100); {
				case p < 55:
					o, err := s.Get([]byte(key))
					if err != nil {
						t.Errorf("Get: %v", err)
					} else if o != nil {
						checkVersioned(t, key, o)
					}
				case p < 92:
					v := g*ops + i
					n := r.IntN(3 * 4000)
					m := metaFor(key, time.Now())
					m.Head = []byte(strconv.Itoa(v))
					size := int64(n)
					if p%3 == 0 {
						size = -1
					}
					err := s.Put(m, bytes.NewReader(versionedBody(key, v, n)), size)
					if err != nil && !isNotAdmitted(err) {
						t.Errorf("Put: %v", err)
					}
				default:
					s.Delete([]byte(key))
				}
			}
		})
	}
	wg.Wait()
	checkConsistent(t, s)
	st := s.Stats()
	t.Logf("%+v", st)
	if st.Errors != 0 || st.Corrupt != 0 {
		t.Errorf("%d errors, %d corrupt", st.Errors, st.Corrupt)
	}
	if st.Evictions == 0 && st.Rejected == 0 {
		t.Error("the budget never came into play")
	}
	// And again after a restart.
	s.Close()
	s = openLoaded(t, cfg)
	checkConsistent(t, s)
	for k := range keys {
		key := fmt.Sprint("/k/", k)
		if o, err := s.Get([]byte(key)); err != nil {
			t.Fatal(err)
		} else if o != nil {
			checkVersioned(t, key, o)
		}
	}
	if st := s.Stats(); st.Corrupt != 0 {
		t.Errorf("%d corrupt after the restart", st.Corrupt)
	}
}

// TestReplaceWhileReading: a writer replaces one large object over and over while readers
// stream it from the File Get returned: each reader sees the old or the new version, whole,
// even when the replacement lands in the middle of its read.
func TestReplaceWhileReading(t *testing.T) {
	s := openLoaded(t, testConfig(t))
	const key, n = "/big", 256 << 10
	versions := 200
	if testing.Short() || raceEnabled {
		versions = 40
	}
	put := func(v int) {
		m := metaFor(key, time.Now())
		m.Head = []byte(strconv.Itoa(v))
		if err := s.Put(m, bytes.NewReader(versionedBody(key, v, n)), n); err != nil {
			t.Errorf("Put v%d: %v", v, err)
		}
	}
	put(0)
	done := make(chan struct{})
	var wg sync.WaitGroup
	seen := make([]map[int]bool, 8)
	for r := range seen {
		seen[r] = make(map[int]bool)
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				o, err := s.Get([]byte(key))
				if err != nil || o == nil {
					t.Errorf("Get: %v, %v; want a hit (some version is always there)", o, err)
					return
				}
				v, _ := strconv.Atoi(string(o.Meta.Head))
				seen[r][v] = true
				// Read slowly, in small pieces, so that replacements land mid-read.
				var got []byte
				buf := make([]byte, 16<<10)
				for {
					k, err := o.File.Read(buf)
					got = append(got, buf[:k]...)
					if err == io.EOF || int64(len(got)) >= o.Size {
						break
					}
					if err != nil {
						t.Error(err)
						break
					}
				}
				o.Close()
				if !bytes.Equal(got[:min(len(got), n)], versionedBody(key, v, n)) || len(got) != n {
					t.Errorf("read %d bytes not all of version %d", len(got), v)
					return
				}
			}
		})
	}
	for v := 1; v <= versions; v++ {
		put(v)
	}
	close(done)
	wg.Wait()
	distinct := make(map[int]bool)
	for _, m := range seen {
		for v := range m {
			distinct[v] = true
		}
	}
	t.Logf("readers saw %d distinct versions of %d", len(distinct), versions+1)
	checkConsistent(t, s)
}

// TestConcurrentRestartGets: Gets of many keys race the start-up scan (direct opens, scan
// inserts and Puts of the same keys all at once).
func TestConcurrentRestartGets(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	const keys = 300
	for i := range keys {
		mustPut(t, s, fmt.Sprint(i), 100+i)
	}
	s.Close()
	s = openStore(t, cfg)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range keys {
				k := fmt.Sprint((i + g*37) % keys)
				if g%4 == 0 && i%10 == 0 {
					m := metaFor(k, time.Now())
					if err := s.Put(m, bytes.NewReader(bodyFor(k, 100+(i+g*37)%keys)), -1); err != nil && !isNotAdmitted(err) {
						t.Error(err)
					}
					continue
				}
				o, err := s.Get([]byte(k))
				if err != nil || o == nil {
					t.Errorf("Get %s: %v, %v", k, o, err)
					continue
				}
				if got := readBody(t, o); !bytes.Equal(got, bodyFor(k, len(got))) {
					t.Errorf("%s: wrong body", k)
				}
			}
		})
	}
	wg.Wait()
	<-s.Loaded()
	checkConsistent(t, s)
	if st := s.Stats(); st.Objects != keys {
		t.Errorf("%d objects, want %d", st.Objects, keys)
	}
}

func isNotAdmitted(err error) bool { return errors.Is(err, ErrNotAdmitted) }
