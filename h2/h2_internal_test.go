package h2

import (
	"testing"
	"time"
)

// TestPipeBufferStaysBounded proves what the pipe's comment promises ("It holds at most the
// stream's receive window"): a body read as it arrives, never more than 16 KiB + 1 byte of it
// waiting at any time, must not make the pipe's buffer grow with the body's size. Here 4 MiB
// flow through in 16 KiB writes, each followed by a read that leaves one byte behind (as a
// handler reading in pieces smaller than the client's frames does): the buffer must stay
// within the stream's window.
func TestPipeBufferStaysBounded(t *testing.T) {
	p := newPipe(nil, 1, false)
	chunk := make([]byte, 16<<10)
	out := make([]byte, 16<<10)
	const total = 4 << 20
	waiting := 0
	for sent := 0; sent < total; sent += len(chunk) {
		p.write(chunk, false)
		waiting += len(chunk)
		n, err := p.read(out[:waiting-1], time.Second)
		if err != nil || n != waiting-1 {
			t.Fatalf("read %d, %v; want %d", n, err, waiting-1)
		}
		waiting -= n
	}
	p.mu.Lock()
	size := cap(p.buf)
	p.mu.Unlock()
	if size > 2*streamRecvWindow {
		t.Fatalf("the pipe's buffer grew to %d bytes for a body never more than %d bytes ahead of its reader (stream window %d)", size, len(chunk)+1, streamRecvWindow)
	}
}

func TestValidTarget(t *testing.T) {
	for _, tc := range []struct {
		method, path, authority string
		ok                      bool
	}{
		{"GET", "/a?b=c", "example.test", true},
		{"OPTIONS", "*", "example.test", true},
		{"GET", "*", "example.test", false},
		{"GET", "a", "example.test", false},
		{"GET", "", "example.test", false},
		{"GET", "/a b", "example.test", false},
		{"GET", "/a\tb", "example.test", false},
		{"GET", "/a\x7f", "example.test", false},
		{"GET /x", "/a", "example.test", false},
		{"G(T", "/a", "example.test", false},
		{"", "/a", "example.test", false},
		{"GET", "/a", "example.test x", false},
		{"GET", "/a", "", true}, // no authority: the handler decides (a Host may be required there)
		{"PURGE", "/a", "example.test", true},
	} {
		if got := ValidTarget(tc.method, tc.path, tc.authority); got != tc.ok {
			t.Errorf("ValidTarget(%q, %q, %q) = %v, want %v", tc.method, tc.path, tc.authority, got, tc.ok)
		}
	}
}
