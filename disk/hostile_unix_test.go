//go:build unix

package disk

// The hostile-input tests that need named pipes (syscall.Mkfifo).

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestHostileFIFOAtObjectPath: a FIFO (named pipe) placed at an object's hashed path. Before
// the start-up scan reaches it, Get opens the path directly with open(2) O_RDONLY and no
// O_NONBLOCK (openRead), which blocks until a writer appears: the Get, and every viewer
// collapsed on that key, hang forever instead of getting a miss (openObject would refuse the
// non-regular file after fstat, but never gets there). The scan itself skips non-regular
// entries, so after it the key is a plain miss and the FIFO stays. Expected: a miss within
// microseconds (open with O_NONBLOCK, or lstat first, and drop the non-regular file).
func TestHostileFIFOAtObjectPath(t *testing.T) {
	const key = "/D1/fifo"
	cfg := testConfig(t)
	path := objectPath(cfg.Dir, key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openGated(t, cfg, make(chan struct{})) // the scan has not reached it
	type result struct {
		o   *Object
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := s.Get([]byte(key))
		done <- result{o, err}
	}()
	select {
	case r := <-done:
		if r.o != nil {
			r.o.Close()
			t.Errorf("Get served a FIFO")
		}
	case <-time.After(hangLimit):
		t.Errorf("Get of a key whose path is a FIFO did not return within %v (blocked in open(2))", hangLimit)
		release := fifoUnblock(t, path)
		defer release()
		<-done
	}
}

// TestHostileFIFOJournal: a FIFO placed at Dir/invalidations. Open reads the journal with
// os.ReadFile, whose open(2) blocks until a writer appears (and would then read until the
// writer closes): Open never returns, so the edge never starts. Expected: Open fails with an
// error naming the journal (or treats it as damaged) at once.
func TestHostileFIFOJournal(t *testing.T) {
	cfg := testConfig(t)
	jpath := filepath.Join(cfg.Dir, "invalidations")
	if err := syscall.Mkfifo(jpath, 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		s   *Store
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Open(cfg)
		done <- result{s, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(hangLimit):
		t.Errorf("Open with a FIFO as its journal did not return within %v (blocked reading it)", hangLimit)
		release := fifoUnblock(t, jpath)
		defer release()
		r = <-done
	}
	if r.s != nil {
		r.s.Close()
	}
}
