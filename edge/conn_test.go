package edge

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// readFromConn records what its ReadFrom is handed (net.TCPConn's ReadFrom is where sendfile
// happens).
type readFromConn struct {
	net.Conn
	got io.Reader
}

func (c *readFromConn) ReadFrom(r io.Reader) (int64, error) {
	c.got = r
	return io.Copy(io.Discard, r)
}

// TestHeadGuardHandsFilesToReadFrom: a file body written through the guard's buffered writer (as
// fasthttp writes a disk hit) reaches the connection's ReadFrom still as the file, so a TCP
// connection sends it with sendfile instead of copying it through Go buffers.
func TestHeadGuardHandsFilesToReadFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(path, make([]byte, 100<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &readFromConn{}
	w := bufio.NewWriter(&headGuard{Conn: c})
	n, err := w.ReadFrom(&io.LimitedReader{R: f, N: 100 << 10})
	if err != nil || n != 100<<10 {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	lr, ok := c.got.(*io.LimitedReader)
	if !ok {
		t.Fatalf("the connection's ReadFrom got %T, want the *io.LimitedReader of the file", c.got)
	}
	if _, ok := lr.R.(*os.File); !ok {
		t.Fatalf("the connection's ReadFrom got a reader of %T, want *os.File", lr.R)
	}
}
