package edge

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// errBareLF is the read error a viewer connection returns when a request head ends its lines with
// a bare LF. fasthttp waits for the CRLF CRLF that ends a head, so without this such a request
// would hang until the read timeout; with it the viewer gets 400 at once (RFC 9112 §2.2 lets a
// server refuse a bare LF).
var errBareLF = errors.New("edge: request head line ended by a bare LF")

// headGuard watches the bytes of each request head on a viewer connection and fails the read
// that brings a bare LF, so the parser answers 400 at once. It watches from the connection's start
// and again from the end of each request the handler served (rearm) until the head's CRLF CRLF;
// a head already buffered by then (a pipelined request) is not watched, and the body is never
// scanned. Reads and rearm happen on the connection's one serving goroutine.
type headGuard struct {
	net.Conn
	inHead bool
	// last holds the last three bytes seen in the head so far, most recent last, for matches
	// that span reads.
	last [3]byte
	seen int
	// linger is set when the edge refused a request whose body it never read (see lingerClose).
	linger bool
}

// Close implements net.Conn.
func (g *headGuard) Close() error {
	if g.linger {
		lingerClose(g.Conn)
	}
	return g.Conn.Close()
}

// How long, and how much at most, a connection closed after a refused upload is drained: the
// bytes are discarded as they come (a 32 KiB buffer), so memory does not grow with them.
const (
	lingerTime  = time.Second
	lingerBytes = 64 << 20
)

// lingerClose ends the sending side first and discards what the viewer is still sending, for at
// most lingerTime and lingerBytes, before the connection is closed: closing a socket with unread
// data resets it, and the reset can destroy the refusal before the viewer has read it (nginx's
// lingering_close does the same).
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, c, lingerBytes)
}

// Read implements net.Conn.
func (g *headGuard) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	if g.inHead && n > 0 {
		if k := g.scan(p[:n]); k >= 0 {
			return k, errBareLF
		}
	}
	return n, err
}

// ReadFrom implements io.ReaderFrom so that a body sent from a file (the disk tier) goes to a
// TCP connection with sendfile(2), as it would without the guard: fasthttp's buffered writer
// hands the file to its connection's ReadFrom once its buffer is flushed, and copies it through
// its 4 KiB buffer when the connection has none (measured: 1 MiB disk hits at 880 req/s
// against 3,200 with sendfile). Other connections (TLS) are copied to as before.
func (g *headGuard) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := g.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{g.Conn}, r)
}

// writerOnly hides every method of a writer but Write (so that io.Copy does not come back to
// ReadFrom).
type writerOnly struct{ io.Writer }

// rearm starts watching for the next request head.
func (g *headGuard) rearm() {
	g.inHead, g.seen = true, 0
}

// scan follows the head through b. It returns the offset of a bare LF, or -1. The head ends at
// its first CRLF CRLF, after which nothing more is scanned.
func (g *headGuard) scan(b []byte) int {
	at := func(i int) byte { // byte i of the stream relative to b (i may be -1..-3)
		if i >= 0 {
			return b[i]
		}
		if g.seen+i < 0 {
			return 0
		}
		return g.last[3+i]
	}
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		k := i + j
		if at(k-1) != '\r' {
			return k
		}
		if at(k-2) == '\n' && at(k-3) == '\r' {
			g.inHead = false
			return -1
		}
		i = k + 1
	}
	for _, c := range b[max(len(b)-3, 0):] {
		g.last[0], g.last[1], g.last[2] = g.last[1], g.last[2], c
	}
	g.seen += len(b)
	return -1
}

// tlsHeadGuard is a headGuard over a TLS connection; it keeps the TLS methods visible so that
// fasthttp still sees the request as HTTPS.
type tlsHeadGuard struct {
	*headGuard
	tc *tls.Conn
}

// Handshake runs the TLS handshake.
func (g tlsHeadGuard) Handshake() error { return g.tc.Handshake() }

// ConnectionState returns the TLS connection state.
func (g tlsHeadGuard) ConnectionState() tls.ConnectionState { return g.tc.ConnectionState() }

// guardedListener wraps each accepted viewer connection in a headGuard.
type guardedListener struct{ net.Listener }

// Accept implements net.Listener.
func (l guardedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	g := &headGuard{Conn: c, inHead: true}
	if tc, ok := c.(*tls.Conn); ok {
		return tlsHeadGuard{g, tc}, nil
	}
	return g, nil
}

// lingerOnClose marks the request's connection to be drained briefly when it is closed.
func lingerOnClose(ctx *fasthttp.RequestCtx) {
	switch g := ctx.Conn().(type) {
	case *headGuard:
		g.linger = true
	case tlsHeadGuard:
		g.linger = true
	}
}

// rearmHeadGuard tells the connection's guard that the next bytes start a new request head.
func rearmHeadGuard(ctx *fasthttp.RequestCtx) {
	switch g := ctx.Conn().(type) {
	case *headGuard:
		g.rearm()
	case tlsHeadGuard:
		g.rearm()
	}
}
