package disk

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRestart: objects are found again after Close and Open with their Meta intact, both
// before the start-up scan reaches them (Get opens the file directly) and after.
func TestRestart(t *testing.T) {
	for _, when := range []string{"before the scan", "after the scan"} {
		t.Run(when, func(t *testing.T) {
			clock := newFakeClock()
			cfg := testConfig(t)
			cfg.Now = clock.Now
			s := openLoaded(t, cfg)
			metas := make(map[string]Meta)
			for i := range 50 {
				key := fmt.Sprintf("/D1/obj/%d", i)
				m := metaFor(key, clock.Now().Add(-time.Duration(i)*time.Second))
				m.Head = fmt.Appendf(nil, "status=200 etag=%d", i)
				if err := s.Put(m, bytes.NewReader(bodyFor(key, i*997)), int64(i*997)); err != nil {
					t.Fatal(err)
				}
				metas[key] = m
			}
			before := s.Stats()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			clock.Advance(10 * time.Minute)
			gate := make(chan struct{})
			if when == "after the scan" {
				close(gate)
			}
			s = openGated(t, cfg, gate)
			if when == "after the scan" {
				<-s.Loaded()
				if st := s.Stats(); st.Loaded != 50 || st.Objects != 50 || st.Bytes != before.Bytes || st.Loading {
					t.Errorf("after the scan: %+v; want 50 objects of %d bytes", st, before.Bytes)
				}
			}
			for key, m := range metas {
				body, got := mustGet(t, s, key)
				if !bytes.Equal(body, bodyFor(key, len(body))) || len(body) != len(bodyFor(key, len(body))) {
					t.Errorf("%s: body differs", key)
				}
				if !got.Stored.Equal(m.Stored) || !got.Deadline.Equal(m.Deadline) || !bytes.Equal(got.Head, m.Head) ||
					got.Dist != m.Dist || got.Path != m.Path || !bytes.Equal(got.Key, m.Key) {
					t.Errorf("%s: Meta %+v, want %+v", key, got, m)
				}
			}
			close2(gate)
			<-s.Loaded()
			checkConsistent(t, s)
			if st := s.Stats(); st.Objects != 50 || st.Hits != 50 {
				t.Errorf("%+v: want 50 objects, 50 hits", st)
			}
		})
	}
}

func close2(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}

// TestRestartDropsDead: the start-up scan removes objects past their deadline and those an
// invalidation recorded before the restart covers; the rest stay.
func TestRestartDropsDead(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(t)
	cfg.Now = clock.Now
	s := openLoaded(t, cfg)
	now := clock.Now()
	put := func(key string, stored time.Time, keep time.Duration) {
		m := metaFor(key, stored)
		m.Deadline = stored.Add(keep)
		if err := s.Put(m, bytes.NewReader([]byte(key)), int64(len(key))); err != nil {
			t.Fatal(err)
		}
	}
	put("short", now, time.Minute)
	put("long", now, time.Hour)
	put("img/a", now, time.Hour)
	put("img/b", now, time.Hour)
	s.Invalidate("D1", []string{"/img/*"}, now)
	put("img/c", now.Add(time.Second), time.Hour) // stored after the invalidation
	s.Close()
	clock.Advance(2 * time.Minute)
	s = openLoaded(t, cfg)
	st := s.Stats()
	if st.Expired != 1 || st.Invalidated != 2 || st.Objects != 2 {
		t.Errorf("after the scan: %+v; want 1 expired, 2 invalidated, 2 objects", st)
	}
	mustGet(t, s, "long")
	mustGet(t, s, "img/c")
	for _, k := range []string{"short", "img/a", "img/b"} {
		mustMiss(t, s, k)
		if _, err := os.Stat(objectPath(cfg.Dir, k)); !os.IsNotExist(err) {
			t.Errorf("%s: file still there (%v)", k, err)
		}
	}
	checkConsistent(t, s)
}

// TestRestartCleansTmp: Open removes what a crash left in tmp, and leaves files it does not
// know alone.
func TestRestartCleansTmp(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	mustPut(t, s, "k", 10)
	s.Close()
	if err := os.WriteFile(filepath.Join(cfg.Dir, "tmp", "0123456789abcdef.123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "README"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openLoaded(t, cfg)
	if left := tmpFiles(t, cfg.Dir); len(left) != 0 {
		t.Errorf("tmp still holds %v", left)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "README")); err != nil {
		t.Errorf("a foreign file was removed: %v", err)
	}
	mustGet(t, s, "k")
}

// TestRestartOverBudget: when the directory holds more than MaxBytes (the budget was lowered),
// the start-up scan keeps at most MaxBytes and removes the rest.
func TestRestartOverBudget(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	for i := range 100 {
		mustPut(t, s, fmt.Sprint(i), 4000) // one block each
	}
	s.Close()
	cfg.MaxBytes = 40 * blockSize
	s = openLoaded(t, cfg)
	checkConsistent(t, s)
	st := s.Stats()
	if st.Bytes > cfg.MaxBytes || st.Objects == 0 || st.Rejected+st.Evictions != 100-st.Objects {
		t.Errorf("%+v: want at most 40 objects kept, the rest rejected or evicted", st)
	}
	if n := len(objectFiles(t, cfg.Dir)); int64(n) != st.Objects {
		t.Errorf("%d files on disk, %d objects", n, st.Objects)
	}
}
