//go:build linux

package disk

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestVanished: files and directories removed by hand while the Store runs. Get returns nil
// and the index forgets them; Put recreates the level directories; with Dir itself gone, Put
// fails (an error, counted) and everything else goes on without panicking.
func TestVanished(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	for _, k := range []string{"file", "level", "other"} {
		mustPut(t, s, k, 5000)
	}
	if err := os.Remove(objectPath(cfg.Dir, "file")); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, s, "file")
	if st := s.Stats(); st.Vanished != 1 || st.Objects != 2 || st.Errors != 0 {
		t.Errorf("after a file removed: %+v; want 1 vanished, 2 objects, no error", st)
	}
	// A whole level-1 directory.
	top := filepath.Dir(filepath.Dir(objectPath(cfg.Dir, "level")))
	if err := os.RemoveAll(top); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, s, "level")
	mustPut(t, s, "level", 10) // recreates a/bc
	mustGet(t, s, "level")
	checkConsistent(t, s)

	// Dir itself: nothing can be written, nothing is found, nothing panics.
	if err := os.RemoveAll(cfg.Dir); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, s, "other")
	errsBefore := s.Stats().Errors
	err := s.Put(metaFor("new", time.Now()), strings.NewReader("x"), 1)
	if err == nil || errors.Is(err, ErrNotAdmitted) || !strings.HasPrefix(err.Error(), "disk: put: ") {
		t.Fatalf("Put into a vanished Dir: %v, want an I/O error", err)
	}
	if s.Stats().Errors <= errsBefore {
		t.Error("the failed Put was not counted in Errors")
	}
	if _, err := os.Stat(cfg.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Put recreated Dir (%v): it must not (it may be an unmounted disk)", err)
	}
	err = s.Put(metaFor("new", time.Now()), strings.NewReader("x"), -1)
	if err == nil {
		t.Fatal("Put of unknown size into a vanished Dir succeeded")
	}
	s.Delete([]byte("level"))
	s.Invalidate("D1", []string{"/x"}, time.Time{})
	mustMiss(t, s, "level")
	if st := s.Stats(); st.Objects != 0 || st.Bytes != 0 {
		t.Errorf("%+v: want an empty index", st)
	}
	if err := s.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
}

// TestNotADirectory: the I/O errors root cannot escape by permission: a path component that
// is a file. Put and Get fail with errors, counted; nothing panics; the rest works.
func TestNotADirectory(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	mustPut(t, s, "ok", 100)
	// tmp replaced by a file: no temporary file can be created.
	tmp := filepath.Join(cfg.Dir, "tmp")
	if err := os.Remove(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Put(metaFor("k", time.Now()), strings.NewReader("x"), 1)
	if !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("Put with tmp a file: %v, want ENOTDIR", err)
	}
	mustMiss(t, s, "k")
	mustGet(t, s, "ok")
	os.Remove(tmp)
	os.Mkdir(tmp, 0o700)
	// The object's level directory replaced by a file: the rename fails, Get fails.
	sub := filepath.Dir(objectPath(cfg.Dir, "ok"))
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sub, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(metaFor("ok", time.Now()), strings.NewReader("x"), 1); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("Put with its directory a file: %v, want ENOTDIR", err)
	}
	o, err := s.Get([]byte("ok"))
	if o != nil || err != nil {
		t.Errorf("Get with its directory a file: %v, %v; want a miss", o, err)
	}
	if st := s.Stats(); st.Errors < 2 {
		t.Errorf("Errors %d, want the failures counted", st.Errors)
	}
	if left := tmpFiles(t, cfg.Dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	os.Remove(sub)
	mustPut(t, s, "ok", 100)
	mustGet(t, s, "ok")
}

// TestPermissions provokes EACCES: an unreadable object file, a read-only tmp directory, a
// read-only level directory, an unreadable Dir. Root is exempt from permission checks, so
// when the tests run as root the scenario runs in a child process that drops
// CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH on its goroutine's thread.
func TestPermissions(t *testing.T) {
	switch {
	case os.Getenv("DISK_PERM_CHILD") != "": // the child: root without its file-permission override
		permissionsChild(t)
	case os.Geteuid() != 0:
		permissionScenario(t)
	default:
		runChild(t, "TestPermissions", "DISK_PERM_CHILD=1")
	}
}

// permissionsChild is TestPermissions run as root in a child process: it drops
// CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so that file modes bind it, and runs the scenario.
func permissionsChild(t *testing.T) {
	runtime.LockOSThread() // never unlocked: the thread ends with the test goroutine
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	data[0].Effective &^= 1<<unix.CAP_DAC_OVERRIDE | 1<<unix.CAP_DAC_READ_SEARCH
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	permissionScenario(t)
}

// permissionScenario runs on the calling goroutine only (no subtests: see permissionsChild).
func permissionScenario(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	mustPut(t, s, "a", 1000)
	mustPut(t, s, "c", 1000)

	// An unreadable object: an error, counted; the object stays indexed (it may be transient).
	pa := objectPath(cfg.Dir, "a")
	if err := os.Chmod(pa, 0); err != nil {
		t.Fatal(err)
	}
	o, err := s.Get([]byte("a"))
	if o != nil || !errors.Is(err, fs.ErrPermission) || !strings.HasPrefix(err.Error(), "disk: get: ") {
		t.Fatalf("Get of an unreadable file: %v, %v; want a permission error", o, err)
	}
	if st := s.Stats(); st.Errors != 1 || st.Objects != 2 {
		t.Errorf("%+v: want 1 error, 2 objects", st)
	}
	os.Chmod(pa, 0o600)
	mustGet(t, s, "a")

	// A read-only tmp: Put fails, Get goes on.
	tmp := filepath.Join(cfg.Dir, "tmp")
	os.Chmod(tmp, 0o500)
	if err := s.Put(metaFor("b", time.Now()), strings.NewReader("x"), 1); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Put with a read-only tmp: %v, want a permission error", err)
	}
	mustGet(t, s, "a")
	os.Chmod(tmp, 0o700)
	mustPut(t, s, "b", 10)

	// A read-only level directory: the rename into place fails; the temporary file goes.
	s.Delete([]byte("c"))
	pc := filepath.Dir(objectPath(cfg.Dir, "c"))
	os.Chmod(pc, 0o500)
	if err := s.Put(metaFor("c", time.Now()), strings.NewReader("x"), 1); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Put into a read-only directory: %v, want a permission error", err)
	}
	if left := tmpFiles(t, cfg.Dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	mustMiss(t, s, "c")
	os.Chmod(pc, 0o700)
	mustPut(t, s, "c", 10)
	checkConsistent(t, s)
	s.Close()

	// An unreadable Dir: Open fails.
	os.Chmod(cfg.Dir, 0)
	defer os.Chmod(cfg.Dir, 0o700)
	if s, err := Open(cfg); err == nil {
		s.Close()
		t.Error("Open of an unreadable Dir succeeded")
	}
}

// TestFullDisk provokes a real write error in the middle of a body: a child process lowers its
// RLIMIT_FSIZE to 64 KiB, so writing past it fails with EFBIG (a small filesystem for ENOSPC
// would need root to mount). Put returns the error, counts it, leaves no temporary file, and
// smaller objects are still stored. A budget smaller than the object (the other "full disk")
// is TestPutRefused's "over MaxBytes".
func TestFullDisk(t *testing.T) {
	if dir := os.Getenv("DISK_FSIZE_DIR"); dir != "" { // the child, under RLIMIT_FSIZE
		fullDiskChild(t, dir)
		return
	}
	dir := t.TempDir()
	runChild(t, "TestFullDisk", "DISK_FSIZE_DIR="+dir)
	s := openLoaded(t, Config{Dir: dir, MaxBytes: 64 << 20})
	mustGet(t, s, "small")
	mustMiss(t, s, "big")
	checkConsistent(t, s)
}

// fullDiskChild is TestFullDisk in its child process: writes past a 64 KiB file-size limit
// fail with EFBIG, and the store goes on.
func fullDiskChild(t *testing.T, dir string) {
	signal.Ignore(syscall.SIGXFSZ) // so that write returns EFBIG instead of the process dying
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 64 << 10, Max: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	s := openLoaded(t, Config{Dir: dir, MaxBytes: 64 << 20})
	for _, size := range []int64{1 << 20, -1} {
		err := s.Put(metaFor("big", time.Now()), bytes.NewReader(bodyFor("big", 1<<20)), size)
		if !errors.Is(err, syscall.EFBIG) || !strings.HasPrefix(err.Error(), "disk: put: ") {
			t.Fatalf("Put past RLIMIT_FSIZE (size %d): %v, want EFBIG", size, err)
		}
	}
	if st := s.Stats(); st.Errors != 2 || st.Objects != 0 || st.Bytes != 0 {
		t.Errorf("%+v: want 2 errors, nothing held", st)
	}
	if left := tmpFiles(t, dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	mustMiss(t, s, "big")
	mustPut(t, s, "small", 1000)
	mustGet(t, s, "small")
	checkConsistent(t, s)
}
