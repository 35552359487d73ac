package origin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
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

// deadlineConn gives every Read and every Write at least 15/16 of the origin read timeout:
// the timeout bounds the wait for the first byte and every stall of either direction, never
// the whole body (a large upload streamed from a slow viewer takes as long as it takes).
// Reads on one connection are serialised, and so are writes, so the deadline fields need no
// lock.
type deadlineConn struct {
	net.Conn
	timeout   time.Duration
	deadline  time.Time // read deadline
	wdeadline time.Time // write deadline
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

func (c *deadlineConn) Write(p []byte) (int, error) {
	if now := time.Now(); c.wdeadline.Sub(now) < c.timeout-c.timeout/16 {
		c.wdeadline = now.Add(c.timeout)
		if err := c.Conn.SetWriteDeadline(c.wdeadline); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// exchangeKey is the fasthttp.Request user-value key of the request's *exchange.
type exchangeKey struct{}

// exchange is what one attempt shares with the transport: the 1xx callback going in, the
// streaming body coming out.
type exchange struct {
	onInfo func(status int, h http.Header)
	// informed counts the 1xx responses read; only the transport's goroutine uses it.
	informed int
	// body is set by the transport when the final response has a body to stream; it owns
	// the connection until closed.
	body *connStream

	mu       sync.Mutex // serialises onInfo calls with detach
	detached bool
}

// inform calls onInfo unless the attempt was abandoned.
func (ex *exchange) inform(status int, h http.Header) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if !ex.detached {
		ex.onInfo(status, h)
	}
}

// detach stops every later onInfo call, waiting for one in progress.
func (ex *exchange) detach() {
	ex.mu.Lock()
	ex.detached = true
	ex.mu.Unlock()
}

// errTooManyInformational is the error of an origin that sends more than MaxInformational
// 1xx responses.
var errTooManyInformational = fmt.Errorf("origin sent more than %d informational (1xx) responses before the final response",
	MaxInformational)

// transport is the fasthttp.RoundTripper of every origin client. It is fasthttp's own round
// trip (write the request, body streamed from its BodyStream; read the response; stream its
// body), with two differences: informational responses are read here, bounded by
// MaxInformational and reported to the request's exchange, where fasthttp would drop up to
// 100 of them silently; and the streaming body is handed to the exchange as a connStream,
// which returns the connection to the pool when closed. Deadlines are deadlineConn's.
// The client must have StreamResponseBody set.
type transport struct{}

// RoundTrip makes one request on one pooled connection. retry tells HostClient.Do whether
// the request may be tried again (it never retries one with a body stream, and ours refuses
// once a 1xx was reported).
func (transport) RoundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (bool, error) {
	ex, _ := req.UserValue(exchangeKey{}).(*exchange)
	if ex == nil {
		return false, errors.New("origin: request without an exchange")
	}
	if !resp.StreamBody {
		return false, errors.New("origin: transport needs a streaming client")
	}
	cc, err := hc.AcquireConn(0, req.ConnectionClose())
	if err != nil {
		return false, err
	}
	conn := cc.Conn()
	resp.ParseNetConn(conn)

	bw := hc.AcquireWriter(conn)
	err = req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	hc.ReleaseWriter(bw)
	if err != nil {
		hc.CloseConn(cc)
		return true, err
	}

	if req.Header.IsHead() {
		resp.SkipBody = true
	}
	br := hc.AcquireReader(conn)
	if err := readResponse(resp, br, ex); err != nil {
		hc.ReleaseReader(br)
		hc.CloseConn(cc)
		// Once a 1xx was read the caller may have acted on it: no second attempt.
		return ex.informed == 0, err
	}
	// A body delimited by the connection's end (-2), or a switch to another protocol, leaves
	// nothing to reuse.
	closeConn := req.ConnectionClose() || resp.ConnectionClose() || resp.Header.ContentLength() == -2 ||
		resp.StatusCode() == fasthttp.StatusSwitchingProtocols
	release := func(discard bool) {
		hc.ReleaseReader(br)
		if discard || closeConn {
			hc.CloseConn(cc)
		} else {
			hc.ReleaseConn(cc)
		}
	}
	if s := resp.BodyStream(); s != nil {
		ex.body = &connStream{
			r:         s,
			fullyRead: resp.Header.ContentLength() == 0,
			interrupt: func() { _ = conn.Close() },
			release:   release,
		}
		return false, nil
	}
	release(false)
	return false, nil
}

// readResponse reads the response head into resp, after the informational responses before
// it, then sets up the streaming body (none for HEAD, 1xx, 204, 304). It is fasthttp's
// Response.ReadLimitBody for a streaming response, with our handling of 1xx.
func readResponse(resp *fasthttp.Response, br *bufio.Reader, ex *exchange) error {
	for {
		if err := checkStatusCode(br); err != nil {
			return err
		}
		if err := resp.Header.Read(br); err != nil {
			return err
		}
		status := resp.Header.StatusCode()
		if status < 100 || status > 199 || status == fasthttp.StatusSwitchingProtocols {
			break
		}
		if ex.informed++; ex.informed > MaxInformational {
			return errTooManyInformational
		}
		if status == fasthttp.StatusContinue || ex.onInfo == nil {
			continue
		}
		h := make(http.Header, resp.Header.Len())
		for k, v := range resp.Header.All() {
			h.Add(string(k), string(v))
		}
		removeHopByHop(h)
		ex.inform(status, h)
	}
	status := resp.Header.StatusCode()
	if resp.SkipBody || status < 200 || status == fasthttp.StatusNoContent || status == fasthttp.StatusNotModified {
		return nil
	}
	return resp.ReadBody(br, 0)
}

// errBadStatus is the error of a response whose status code is not three digits from 100 to
// 599: "Values outside the range 100..599 are invalid" (RFC 9110 §15), and fasthttp would read
// "000" as 200.
var errBadStatus = errors.New("origin: invalid status code")

// checkStatusCode looks at the status line about to be read (without reading it) and refuses a
// status code outside 100..599. A line that is not "HTTP/x.y NNN" is left to fasthttp's parser.
func checkStatusCode(br *bufio.Reader) error {
	b, _ := br.Peek(len("HTTP/1.1 200"))
	if len(b) < len("HTTP/1.1 200") || !bytes.HasPrefix(b, []byte("HTTP/")) || b[8] != ' ' {
		return nil
	}
	c := b[9:12]
	for _, d := range c {
		if d < '0' || d > '9' {
			return fmt.Errorf("%w %q", errBadStatus, c)
		}
	}
	if c[0] < '1' || c[0] > '5' {
		return fmt.Errorf("%w %q", errBadStatus, c)
	}
	return nil
}

// connStream is a streaming response body that owns its pooled connection: Close returns the
// connection to the pool when the body was read to the end, and closes it otherwise (also
// interrupting a Read in progress on another goroutine). It is fasthttp's own client stream
// body, which the transport cannot reach.
type connStream struct {
	r         io.Reader
	interrupt func()
	release   func(discard bool)

	mu        sync.Mutex // held by Read; Close takes it to know no Read is in progress
	fullyRead bool
	closed    atomic.Bool
	once      sync.Once
}

func (s *connStream) Read(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, errBodyClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return 0, errBodyClosed
	}
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.fullyRead = true
	}
	return n, err
}

// Close releases the connection; later calls do nothing.
func (s *connStream) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		locked := s.mu.TryLock()
		discard := !locked || !s.fullyRead
		if discard {
			s.interrupt()
		}
		if !locked {
			s.mu.Lock() // the interrupt ends the Read in progress
		}
		defer s.mu.Unlock()
		s.release(discard)
	})
	return nil
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
	stream *connStream // nil when there is no body to wait for
	r      io.Reader
	want   int64
	read   int64
	closed atomic.Bool
	stop   func() bool
}

// newHTTPBody wraps resp's body: stream, the transport's body stream, when there is one.
func newHTTPBody(ctx context.Context, origin string, resp *fasthttp.Response, stream *connStream, want int64) *httpBody {
	b := &httpBody{ctx: ctx, origin: origin, resp: resp, stream: stream, want: want}
	if stream != nil {
		b.r = stream
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
	if b.stream != nil {
		_ = b.stream.Close()
	}
	_ = b.resp.CloseBodyStream()
	fasthttp.ReleaseResponse(b.resp)
	b.resp = nil
	return nil
}
