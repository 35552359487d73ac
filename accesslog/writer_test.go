package accesslog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestNewErrors(t *testing.T) {
	missingDir := filepath.Join(t.TempDir(), "no", "such", "dir", "access.log")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no destination", Config{}, "no destination"},
		{"path and writer", Config{Path: "/tmp/x.log", W: &syncBuffer{}}, "both Path"},
		{"negative interval", Config{W: &syncBuffer{}, FlushInterval: -time.Second}, "flush interval -1s is negative"},
		{"negative buffer", Config{W: &syncBuffer{}, BufferSize: -1}, "buffer size -1 is negative"},
		{"negative max pending", Config{W: &syncBuffer{}, MaxPending: -1}, "max pending -1 is negative"},
		{"missing directory", Config{Path: missingDir}, missingDir},
		{"header write fails", Config{W: &failWriter{n: 1}}, "writing header to Config.W: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := New(tt.cfg)
			if err == nil {
				w.Close()
				t.Fatalf("New succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error = %q, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestHeader checks that the two directive lines open every new log, and only new ones.
func TestHeader(t *testing.T) {
	t.Run("writer", func(t *testing.T) {
		var buf syncBuffer
		mustNew(t, Config{W: &buf})
		if got := buf.String(); got != Header {
			t.Errorf("got %q, want the header only", got)
		}
	})
	dir := t.TempDir()
	for _, tt := range []struct {
		name, before, after string
		exists              bool
	}{
		{"new file", "", Header, false},
		{"empty file", "", Header, true},
		{"file with records", "old line\n", "old line\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if tt.exists {
				if err := os.WriteFile(path, []byte(tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w := mustNew(t, Config{Path: path})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tt.after {
				t.Errorf("file holds %q, want %q", got, tt.after)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCloseFlushes checks that records wait in memory until Close, which writes them all,
// and that the writer drops records after Close.
func TestCloseFlushes(t *testing.T) {
	var buf syncBuffer
	w := mustNew(t, Config{W: &buf, FlushInterval: time.Hour})
	var want strings.Builder
	want.WriteString(Header)
	for _, nr := range sampleRecords() {
		w.Write(&nr.r)
		want.Write(AppendRecord(nil, &nr.r, nr.r.Time))
	}
	if got := buf.String(); got != Header {
		t.Fatalf("before Close the destination holds %q, want the header only", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != want.String() {
		t.Errorf("after Close:\n%s\nwant:\n%s", got, want.String())
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	w.Write(&sampleRecords()[0].r)
	if got := w.Dropped(); got != 1 {
		t.Errorf("Dropped after a Write past Close = %d, want 1", got)
	}
	if got := buf.String(); got != want.String() {
		t.Error("a Write after Close reached the destination")
	}
}

// TestNowForZeroTime checks that a record without a time gets Config.Now's.
func TestNowForZeroTime(t *testing.T) {
	var buf syncBuffer
	now := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	w := mustNew(t, Config{W: &buf, Now: func() time.Time { return now }})
	w.Write(&Record{})
	w.Close()
	if got := strings.TrimPrefix(buf.String(), Header); !strings.HasPrefix(got, "2025-06-07\t08:09:10\t") {
		t.Errorf("record starts %q, want Now's time", got[:min(len(got), 20)])
	}
}

// TestFlushInterval checks, on synctest's fake clock, that a record reaches the destination
// one FlushInterval after it was written, without Close.
func TestFlushInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		w, err := New(Config{W: &buf, FlushInterval: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		r := sampleRecords()[0].r
		w.Write(&r)
		time.Sleep(time.Second)
		synctest.Wait()
		if got := buf.String(); got != Header {
			t.Fatalf("after 1s of a 2s interval the destination holds %q, want the header only", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if want := Header + string(AppendRecord(nil, &r, r.Time)); buf.String() != want {
			t.Errorf("after the interval:\n%q\nwant:\n%q", buf.String(), want)
		}
	})
}

// TestFullBufferFlushes checks that a full buffer is written at once, long before the interval.
func TestFullBufferFlushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		w, err := New(Config{W: &buf, FlushInterval: time.Hour, BufferSize: 1024})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		r := sampleRecords()[1].r
		line := AppendRecord(nil, &r, r.Time)
		n := 1024/len(line) + 1 // one more than a buffer holds
		for range n {
			w.Write(&r)
		}
		synctest.Wait()
		if got, want := len(recordLines(t, buf.String()))-2, n-1; got != want {
			t.Errorf("%d records written before the interval, want %d (one full buffer)", got, want)
		}
	})
}

// TestLongRecord checks that a record longer than the buffer is written whole.
func TestLongRecord(t *testing.T) {
	var buf syncBuffer
	w := mustNew(t, Config{W: &buf, BufferSize: 64})
	r := sampleRecords()[0].r
	r.UserAgent = []byte(strings.Repeat("long agent ", 100))
	w.Write(&r)
	w.Write(&r)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	line := string(AppendRecord(nil, &r, r.Time))
	if want := Header + line + line; buf.String() != want {
		t.Errorf("got %d bytes, want %d", len(buf.String()), len(want))
	}
}

// TestReopen rotates the log by rename: records written before Reopen stay in the renamed
// file, later ones go to a new file that starts with the header.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := mustNew(t, Config{Path: path, FlushInterval: time.Hour})
	recs := sampleRecords()
	a, b := &recs[0].r, &recs[1].r
	w.Write(a)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, path+".1"), Header+string(AppendRecord(nil, a, a.Time)); got != want {
		t.Errorf("rotated file:\n%q\nwant:\n%q", got, want)
	}
	if got, want := readFile(t, path), Header+string(AppendRecord(nil, b, b.Time)); got != want {
		t.Errorf("new file:\n%q\nwant:\n%q", got, want)
	}
	if err := w.Reopen(); err == nil {
		t.Error("Reopen after Close succeeded, want an error")
	}
}

func TestReopenKeepsOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "logs")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "access.log")
	w := mustNew(t, Config{Path: path})
	moved := filepath.Join(dir, "moved.log")
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(sub); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Reopen into a removed directory = %v, want an error naming %s", err, path)
	}
	r := &sampleRecords()[0].r
	w.Write(r)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, moved), Header+string(AppendRecord(nil, r, r.Time)); got != want {
		t.Errorf("old file:\n%q\nwant:\n%q", got, want)
	}
}

func TestReopenWriterIsNoop(t *testing.T) {
	var buf syncBuffer
	w := mustNew(t, Config{W: &buf})
	if err := w.Reopen(); err != nil {
		t.Errorf("Reopen on a Config.W writer = %v, want nil", err)
	}
}

// TestConcurrentWrites has many goroutines log through a small buffer into a file (run it with
// -race). Every line must be a complete record that belongs to exactly one Write.
func TestConcurrentWrites(t *testing.T) {
	const goroutines, perG = 16, 300
	path := filepath.Join(t.TempDir(), "access.log")
	w := mustNew(t, Config{Path: path, BufferSize: 4096})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := sampleRecords()[1].r // each goroutine owns its record and buffers
			for i := range perG {
				r.RequestID = fmt.Appendf(r.RequestID[:0], "g%d-i%d", g, i)
				r.UserAgent = fmt.Appendf(r.UserAgent[:0], "agent %s %s", r.RequestID, strings.Repeat("x", i%97))
				w.Write(&r)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := recordLines(t, readFile(t, path))
	if len(lines) < 2 || lines[0]+"\n"+lines[1]+"\n" != Header {
		t.Fatalf("the file does not start with the header")
	}
	seen := make(map[string]bool)
	for _, line := range lines[2:] {
		m, err := ParseLine(line)
		if err != nil {
			t.Fatalf("%v in line %q", err, line)
		}
		id := m["x-edge-request-id"]
		ua, _ := Decode(m["cs(User-Agent)"])
		var g, i int
		if _, err := fmt.Sscanf(id, "g%d-i%d", &g, &i); err != nil {
			t.Fatalf("request id %q: %v", id, err)
		}
		if want := fmt.Sprintf("agent %s %s", id, strings.Repeat("x", i%97)); ua != want {
			t.Fatalf("line for %s has user agent %q, want %q", id, ua, want)
		}
		if seen[id] {
			t.Fatalf("record %s logged twice", id)
		}
		seen[id] = true
	}
	if got := uint64(len(seen)) + w.Dropped(); got != goroutines*perG {
		t.Errorf("%d logged + %d dropped = %d, want %d", len(seen), w.Dropped(), got, goroutines*perG)
	}
	if len(seen) == 0 {
		t.Error("nothing logged")
	}
}

// TestReopenWhileWriting rotates the log three times while goroutines write (run it with
// -race): every record ends up, whole, in exactly one of the files, each of which starts with
// the header.
func TestReopenWhileWriting(t *testing.T) {
	const goroutines, perG, rotations = 4, 500, 3
	path := filepath.Join(t.TempDir(), "access.log")
	w := mustNew(t, Config{Path: path, BufferSize: 2048})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := sampleRecords()[0].r
			for i := range perG {
				r.RequestID = fmt.Appendf(r.RequestID[:0], "g%d-i%d", g, i)
				w.Write(&r)
			}
		})
	}
	for i := range rotations {
		if err := os.Rename(path, fmt.Sprintf("%s.%d", path, i)); err != nil {
			t.Fatal(err)
		}
		if err := w.Reopen(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	for i := range rotations + 1 {
		name := fmt.Sprintf("%s.%d", path, i)
		if i == rotations {
			name = path
		}
		lines := recordLines(t, readFile(t, name))
		if len(lines) < 2 || lines[0]+"\n"+lines[1]+"\n" != Header {
			t.Fatalf("%s does not start with the header", name)
		}
		for _, line := range lines[2:] {
			m, err := ParseLine(line)
			if err != nil {
				t.Fatalf("%s: %v in %q", name, err, line)
			}
			if id := m["x-edge-request-id"]; seen[id] {
				t.Fatalf("record %s logged twice", id)
			} else {
				seen[id] = true
			}
		}
	}
	if got := uint64(len(seen)) + w.Dropped(); got != goroutines*perG {
		t.Errorf("%d logged + %d dropped = %d, want %d", len(seen), w.Dropped(), got, goroutines*perG)
	}
}

// TestSlowDestinationDrops checks that Write never waits for a stuck destination: full
// buffers queue up to MaxPending, later records are dropped and counted, and the queued ones
// are written once the destination moves again.
func TestSlowDestinationDrops(t *testing.T) {
	const n, bufSize, maxBuf = 200, 1024, 8
	g := &gateWriter{open: make(chan struct{})}
	w := mustNew(t, Config{W: g, BufferSize: bufSize, MaxPending: maxBuf * bufSize, FlushInterval: time.Hour})
	r := sampleRecords()[0].r
	perBuf := bufSize / len(AppendRecord(nil, &r, r.Time))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			w.Write(&r)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Write blocked on a stuck destination")
	}
	// Every buffer fills (one stuck in the destination, the others queued or active).
	if got, want := w.Dropped(), uint64(n-maxBuf*perBuf); got != want {
		t.Errorf("Dropped = %d, want %d (%d buffers of %d records kept)", got, want, maxBuf, perBuf)
	}
	close(g.open)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := recordLines(t, g.buf.String())
	if got := len(lines) - 2; got != maxBuf*perBuf {
		t.Errorf("%d records logged, want %d", got, maxBuf*perBuf)
	}
}

// TestWriteError checks that a failing destination loses only the records it refused, counts
// them, and that Close reports the error.
func TestWriteError(t *testing.T) {
	w := mustNew(t, Config{W: &failWriter{}})
	for _, nr := range sampleRecords() {
		w.Write(&nr.r)
	}
	err := w.Close()
	if !errors.Is(err, errDiskFull) {
		t.Errorf("Close = %v, want it to wrap %v", err, errDiskFull)
	}
	if got, want := w.Dropped(), uint64(len(sampleRecords())); got != want {
		t.Errorf("Dropped = %d, want %d", got, want)
	}
}
