package origin

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// dialer opens origin connections: TCP within the connection timeout, then the TLS
// handshake (https), then a deadlineConn that enforces the read timeout.
type dialer struct {
	connect, read time.Duration
	tls           *tls.Config // nil for plain http
}

// dialError marks a failure to open the TCP connection (refused, unreachable, DNS, connect
// timeout).
type dialError struct{ err error }

func (e *dialError) Error() string { return "connect: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// tlsError marks a failed TLS handshake.
type tlsError struct{ err error }

func (e *tlsError) Error() string { return "tls handshake: " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

func (d *dialer) dial(addr string) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.connect, KeepAlive: 30 * time.Second}
	c, err := nd.Dial("tcp", addr)
	if err != nil {
		return nil, &dialError{err: err}
	}
	if d.tls != nil {
		tc := tls.Client(c, d.tls)
		_ = tc.SetDeadline(time.Now().Add(d.connect))
		if err := tc.Handshake(); err != nil {
			_ = c.Close()
			return nil, &tlsError{err: err}
		}
		_ = tc.SetDeadline(time.Time{})
		c = tc
	}
	return &deadlineConn{Conn: c, timeout: d.read}, nil
}

// deadlineConn gives every Read at least 15/16 of the origin read timeout: the timeout bounds
// the wait for the first byte and every gap between reads, never the whole body. Reads on
// one connection are serialised by fasthttp, so the deadline field needs no lock.
type deadlineConn struct {
	net.Conn
	timeout  time.Duration
	deadline time.Time
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	// Refreshing the deadline is a syscall-free runtime call, but skipping it while most of
	// the window is left keeps a fast body read from paying it on every small read.
	if now := time.Now(); c.deadline.Sub(now) < c.timeout-c.timeout/16 {
		c.deadline = now.Add(c.timeout)
		if err := c.Conn.SetReadDeadline(c.deadline); err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(p)
}

// retryStaleConn lets fasthttp retry a GET or HEAD once when a connection broke before the
// response began, which is how a keep-alive connection the origin closed while idle shows.
// Timeouts and dial errors are left to Fetch's own attempts.
func retryStaleConn(req *fasthttp.Request, _ int, err error) (resetTimeout, retry bool) {
	if !req.Header.IsGet() && !req.Header.IsHead() {
		return false, false
	}
	return false, classify(err) == KindComm
}

// classify maps a failed fasthttp call to an ErrorKind.
func classify(err error) ErrorKind {
	var de *dialError
	if errors.As(err, &de) {
		var dns *net.DNSError
		if errors.As(de.err, &dns) {
			return KindDNS
		}
		return KindConnect
	}
	var te *tlsError
	if errors.As(err, &te) {
		return KindTLS
	}
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		return KindHeaderTooBig
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return KindConnect
	case isTimeout(err):
		return KindTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return KindComm
	}
	return KindProtocol
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// truncatedError is what a body Read returns when the body ends early.
type truncatedError struct {
	origin     string
	read, want int64
	err        error
}

func (e *truncatedError) Error() string {
	if e.want >= 0 {
		return fmt.Sprintf("origin %q: body truncated after %d of %d bytes: %v", e.origin, e.read, e.want, e.err)
	}
	return fmt.Sprintf("origin %q: body truncated after %d bytes: %v", e.origin, e.read, e.err)
}

// Unwrap returns ErrTruncated and the cause, so errors.Is finds either.
func (e *truncatedError) Unwrap() []error { return []error{ErrTruncated, e.err} }

// errBodyClosed is returned by Read after Close.
var errBodyClosed = errors.New("origin: read on closed body")

// httpBody streams a fasthttp response body and releases the response exactly once, on
// Close (called by the caller, or by the context ending).
type httpBody struct {
	ctx    context.Context
	origin string
	resp   *fasthttp.Response
	r      io.Reader
	want   int64
	read   int64
	closed atomic.Bool
	stop   func() bool
}

func newHTTPBody(ctx context.Context, origin string, resp *fasthttp.Response, want int64) *httpBody {
	b := &httpBody{ctx: ctx, origin: origin, resp: resp, want: want}
	if s := resp.BodyStream(); s != nil {
		b.r = s
	} else {
		// No stream means no body to wait for (HEAD, 204, 304): copy the few buffered
		// bytes so nothing reads resp after it is released.
		b.r = bytes.NewReader(bytes.Clone(resp.Body()))
	}
	if ctx.Done() != nil {
		b.stop = context.AfterFunc(ctx, func() { _ = b.Close() })
	}
	return b
}

// Read reads the body; an early end is an error wrapping ErrTruncated.
func (b *httpBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		if err := b.ctx.Err(); err != nil {
			return 0, &truncatedError{origin: b.origin, read: b.read, want: b.want, err: err}
		}
		return 0, errBodyClosed
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	if err == nil || err == io.EOF {
		return n, err
	}
	if ctxErr := b.ctx.Err(); ctxErr != nil {
		err = ctxErr
	}
	return n, &truncatedError{origin: b.origin, read: b.read, want: b.want, err: err}
}

// Close releases the connection (back to the pool when the body was read to the end) and
// the response. Later calls do nothing.
func (b *httpBody) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	if b.stop != nil {
		b.stop()
	}
	_ = b.resp.CloseBodyStream()
	fasthttp.ReleaseResponse(b.resp)
	b.resp = nil
	return nil
}
