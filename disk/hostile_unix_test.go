//go:build unix

package disk

// The hostile-input tests that need named pipes (syscall.Mkfifo).

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestHostileFIFOAtObjectPath: a FIFO (named pipe) placed at an object's hashed path, which
// Get opens directly until the start-up scan reaches it. Get returns a miss within
// microseconds: openRead opens with O_NONBLOCK, so open(2) does not wait for a writer, and
// closes the file unread once fstat shows it is not regular (doc.go, "Failures and
// concurrency"). The scan skips non-regular entries too, so after it the key is a plain miss
// and the FIFO stays. (Get once blocked in open(2) here, with every viewer collapsed on the key.)
func TestHostileFIFOAtObjectPath(t *testing.T) {
	const key = "/D1/fifo"
	cfg := testConfig(t)
	path := objectPath(cfg.Dir, key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(path); err != nil {
		t.Fatal(err)
	}
	s := openGated(t, cfg, make(chan struct{})) // the scan has not reached it
	done := startGet(s, key)
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

// TestHostileFIFOJournal: a FIFO placed at Dir/invalidations. Open returns at once: it opens
// the journal with O_NONBLOCK, so open(2) does not wait for a writer, and does not read a
// journal that is not a regular file but handles it as damaged (doc.go, "Invalidations").
// (Open once blocked reading it, so the edge never started.)
func TestHostileFIFOJournal(t *testing.T) {
	cfg := testConfig(t)
	jpath := filepath.Join(cfg.Dir, "invalidations")
	if err := mkfifo(jpath); err != nil {
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
