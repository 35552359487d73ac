//go:build unix

package disk

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

// getResult is what a Get returned.
type getResult struct {
	o   *Object
	err error
}

// startGet runs s.Get(key) on its own goroutine: a test can then tell a Get that returns from
// one that waits (on a FIFO's open, say).
func startGet(s *Store, key string) <-chan getResult {
	done := make(chan getResult, 1)
	go func() {
		o, err := s.Get([]byte(key))
		done <- getResult{o, err}
	}()
	return done
}

// TestOpenRead: a regular file comes back readable and seekable, in blocking mode (as
// sendfile wants); anything else is refused at once with errNotRegular, a FIFO included
// (no writer is waited for), and a missing file is fs.ErrNotExist.
func TestOpenRead(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		make    func(path string) error
		wantErr error
	}{
		{"regular", func(p string) error { return os.WriteFile(p, []byte("0123456789"), 0o600) }, nil},
		{"fifo", mkfifo, errNotRegular},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }, errNotRegular},
		{"symlink to a fifo", func(p string) error {
			if err := mkfifo(p + ".target"); err != nil {
				return err
			}
			return os.Symlink(p+".target", p)
		}, errNotRegular},
		{"missing", func(string) error { return nil }, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := tt.make(path); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			f, size, _, err := openRead(path)
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
			if tt.wantErr != nil {
				if f != nil || !errors.Is(err, tt.wantErr) {
					t.Fatalf("file %v, err %v; want %v", f, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
			if err != nil {
				t.Fatal(err)
			}
			if flags&unix.O_NONBLOCK != 0 {
				t.Error("the file is left in non-blocking mode")
			}
			if _, err := f.Seek(4, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(f)
			if err != nil || string(b) != "456789" || size != 10 {
				t.Errorf("read %q (size %d), %v; want \"456789\" (10)", b, size, err)
			}
		})
	}
}

// TestReadJournalNotReadable: a journal that is not a regular file, or longer than
// maxJournalLen, is not read (a FIFO is not waited on) and is reported lost.
func TestReadJournalNotReadable(t *testing.T) {
	tests := []struct {
		name string
		make func(path string) error
	}{
		{"fifo", func(p string) error { return mkfifo(p) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
		{"over maxJournalLen", func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(maxJournalLen + 1) // sparse: nothing is written or read
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "invalidations")
			if err := tt.make(path); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			st, err := readJournal(path, newRegistry(), time.Time{})
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
			if err != nil || st.lost == nil || st.records != 0 {
				t.Errorf("%+v, %v; want lost, nothing read, no error", st, err)
			}
		})
	}
}

// TestGetNotRegular: something other than a regular file at an object's path (a FIFO, a
// directory), before the scan, after it, or in place of an indexed object, is a miss at
// once (no open(2) waits on a FIFO), and is left where it is, as the scan leaves it.
func TestGetNotRegular(t *testing.T) {
	tests := []struct {
		name string
		make func(path string) error
	}{
		{"fifo", mkfifo},
		{"directory", func(p string) error { return os.MkdirAll(filepath.Join(p, "inner"), 0o700) }},
	}
	for _, tt := range tests {
		for _, when := range []string{"before the scan", "after the scan", "replacing an indexed object"} {
			t.Run(tt.name+"/"+when, func(t *testing.T) {
				const key = "/D1/odd"
				cfg := testConfig(t)
				path := objectPath(cfg.Dir, key)
				var s *Store
				switch when {
				case "replacing an indexed object":
					s = openLoaded(t, cfg)
					mustPut(t, s, key, 10)
					if err := os.Remove(path); err != nil {
						t.Fatal(err)
					}
				default:
					if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
						t.Fatal(err)
					}
				}
				if err := tt.make(path); err != nil {
					t.Fatal(err)
				}
				switch when {
				case "before the scan":
					s = openGated(t, cfg, make(chan struct{}))
				case "after the scan":
					s = openLoaded(t, cfg)
				}
				done := startGet(s, key)
				select {
				case r := <-done:
					if r.o != nil || r.err != nil {
						r.o.Close()
						t.Fatalf("Get: object %v, err %v; want a miss", r.o != nil, r.err)
					}
				case <-time.After(hangLimit):
					t.Fatalf("Get did not return within %v", hangLimit)
				}
				if _, err := os.Lstat(path); err != nil {
					t.Errorf("%v: want it left in place", err)
				}
				st := s.Stats()
				if st.Corrupt != 0 || st.Errors != 0 || st.Objects != 0 {
					t.Errorf("%+v; want nothing corrupt, no error, no object indexed", st)
				}
			})
		}
	}
}
