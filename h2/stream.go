package h2

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
)

// Stream is one request on an HTTP/2 connection. The handler sees it as ctx.Conn() (StreamOf
// finds it there): a net.Conn with the viewer's addresses and, on a TLS connection, its TLS
// state (so that RequestCtx.IsTLS and RemoteAddr answer as on an HTTP/1.1 connection), and the
// ways an answer leaves that only a stream has (Detach, EarlyHints, Cut). Reading or writing it
// as a byte stream is an error.
type Stream struct {
	c  *conn
	id uint32

	// Under c.mu.
	sendWindow int32
	declared   int64 // content-length, or -1
	received   int64
	bodyDone   bool // the request's END_STREAM came
	gone       bool // reset, or answered: the stream is closed

	body     *pipe // the request body, nil when there is none
	onLoop   bool  // the handler runs on the connection's loop
	detached bool
	parseErr error

	ctx  fasthttp.RequestCtx
	tls  tlsStream // the handler's view of the stream on a TLS connection
	head []byte
	rd   bytes.Reader
	hbr  *bufio.Reader
	cut  []byte
	cutS bool
	buf  []byte
}

var errNotByteStream = errors.New("h2: a stream is not a byte stream")

// Read implements net.Conn: an error.
func (st *Stream) Read([]byte) (int, error) { return 0, errNotByteStream }

// Write implements net.Conn: an error.
func (st *Stream) Write([]byte) (int, error) { return 0, errNotByteStream }

// Close implements net.Conn: nothing (the connection is the server's).
func (st *Stream) Close() error { return nil }

// LocalAddr implements net.Conn.
func (st *Stream) LocalAddr() net.Addr { return st.c.laddr }

// RemoteAddr implements net.Conn.
func (st *Stream) RemoteAddr() net.Addr { return st.c.raddr }

// SetDeadline implements net.Conn: nothing.
func (st *Stream) SetDeadline(time.Time) error { return nil }

// SetReadDeadline implements net.Conn: nothing.
func (st *Stream) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline implements net.Conn: nothing.
func (st *Stream) SetWriteDeadline(time.Time) error { return nil }

// tlsStream is a Stream of a TLS connection as the handler sees it: with Handshake and
// ConnectionState, fasthttp's RequestCtx.IsTLS and TLSConnectionState answer as on an HTTP/1.1
// TLS connection (a Stream over plain TCP, h2c, has neither).
type tlsStream struct{ *Stream }

// Handshake is done (the connection's).
func (t *tlsStream) Handshake() error { return nil }

// ConnectionState is the connection's TLS state.
func (t *tlsStream) ConnectionState() tls.ConnectionState { return t.c.tlsState }

// StreamOf returns the Stream behind a RequestCtx's connection (ctx.Conn()) when the request
// came over HTTP/2.
func StreamOf(c net.Conn) (*Stream, bool) {
	switch c := c.(type) {
	case *Stream:
		return c, true
	case *tlsStream:
		return c.Stream, true
	}
	return nil, false
}

// ID is the stream's identifier.
func (st *Stream) ID() uint32 { return st.id }

// Detach is called by a handler about to wait (an origin fetch, a collapsed fill): when the
// handler runs on the connection's loop, a new goroutine takes over reading the connection, so
// that other streams go on while this one waits. It does nothing when the handler already has
// its own goroutine, or when as many handlers as streams allowed wait already: then this one
// waits on the loop, and the connection reads nothing more until it is done (a flood of
// requests reset at once can't pile up handlers, RFC 9113 §10.5 and CVE-2023-44487).
func (st *Stream) Detach() {
	if !st.onLoop {
		return
	}
	c := st.c
	c.mu.Lock()
	if c.closed || c.running >= int(c.srv.cfg.MaxConcurrentStreams) {
		c.mu.Unlock()
		return
	}
	c.running++
	c.mu.Unlock()
	st.onLoop, st.detached = false, true
	go c.loop()
}

// EarlyHints sends a 103 (RFC 8297) with the Link fields given, before the final answer.
func (st *Stream) EarlyHints(links []string) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.gone || c.closed || c.werr != nil {
		return
	}
	c.hbuf.Reset()
	c.field(":status", "103", false)
	for _, l := range links {
		c.field("link", l, false)
	}
	c.writeBlockLocked(st.id, false)
	if !st.onLoop {
		c.flushLocked()
	}
}

// Cut makes the answer end after body: the status and headers, these bytes, then the stream
// is reset (INTERNAL_ERROR), so that the viewer sees a body that stops short, as an HTTP/1.1
// viewer sees the connection close.
func (st *Stream) Cut(body []byte) { st.cut, st.cutS = body, true }

// init readies a pooled stream for id on c.
func (st *Stream) init(c *conn, id uint32) {
	st.c, st.id = c, id
	st.sendWindow = c.peerWindow
	st.declared, st.received = -1, 0
	st.bodyDone, st.gone, st.body = false, false, nil
	st.onLoop, st.detached, st.parseErr = false, false, nil
	st.cut, st.cutS = nil, false
}

// release returns a stream whose handler and answer are done to the pool.
func (st *Stream) release() {
	st.ctx.Request.Reset()
	st.ctx.Response.Reset()    // closes a body stream
	st.body, st.cut = nil, nil // (a body reader that outlives the handler reads errGone: dropLocked)
	st.c.srv.streams.Put(st)
}

// headers takes a HEADERS frame (with its CONTINUATIONs): a new request, or a request's
// trailers.
func (c *conn) headers(f *headerBlock) error {
	id := f.StreamID
	if id%2 == 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol) // streams of clients are odd (RFC 9113 §5.1.1)
	}
	if open, err := c.trailers(f); open {
		return err
	}
	if id <= c.maxClientID {
		// Closed, or lower than a stream opened already (RFC 9113 §5.1.1).
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.maxClientID = id
	if f.selfDep {
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol} // RFC 9113 §5.3.1
	}
	max := int(c.srv.cfg.MaxConcurrentStreams)
	c.mu.Lock()
	if c.goingAway || len(c.streams) >= max || !f.StreamEnded() && c.running >= max {
		// Over SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2), or closing.
		c.mu.Unlock()
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeRefusedStream}
	}
	st := c.srv.streams.Get().(*Stream)
	st.init(c, id)
	c.mu.Unlock()
	if f.Truncated {
		// A header list over MaxHeaderListSize: 431 (RFC 6585 §5), not handed on.
		c.mu.Lock()
		c.streams[id] = st
		st.bodyDone = f.StreamEnded() // a body that follows is refused (RST_STREAM NO_ERROR)
		c.hbuf.Reset()
		c.field(":status", "431", false)
		c.writeBlockLocked(id, true)
		c.finishLocked(st)
		c.mu.Unlock()
		st.release()
		return nil
	}
	if err := st.request(f); err != nil {
		st.release()
		return err
	}
	if f.StreamEnded() {
		st.bodyDone = true
		c.mu.Lock()
		c.streams[id] = st
		c.mu.Unlock()
		return c.serveOnLoop(st)
	}
	c.mu.Lock()
	c.streams[id] = st
	c.running++
	c.mu.Unlock()
	go st.serveAlone()
	return nil
}

// trailers takes a HEADERS frame on a stream that is open (open true): the trailers that end
// a request body (RFC 9113 §8.1). The stream is looked up and used under one hold of mu (its
// handler may release it as soon as mu is let go).
func (c *conn) trailers(f *headerBlock) (open bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.streams[f.StreamID]
	if st == nil {
		return false, nil
	}
	if st.bodyDone {
		return true, http2.StreamError{StreamID: st.id, Code: http2.ErrCodeStreamClosed}
	}
	if !f.StreamEnded() || len(f.PseudoFields()) > 0 || st.declared >= 0 && st.received != st.declared {
		return true, http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol}
	}
	st.bodyDone = true
	if b := st.body; b != nil {
		b.ended = true
		b.write(nil, true)
	}
	return true, nil
}

// serveOnLoop runs the handler of a request without a body on the loop's goroutine and writes
// its answer. When the handler detached, this goroutine is the stream's from then on: it
// finishes the answer, waiting for windows if need be, and the loop it was is over
// (errDetached).
func (c *conn) serveOnLoop(st *Stream) error {
	st.onLoop = true
	c.srv.handle(st)
	st.onLoop = false // before respond: once released, st may be another request's
	if st.detached {
		st.respond(false)
		st.doneOffLoop()
		return errDetached
	}
	if !st.respond(true) {
		st.release()
	}
	return nil
}

// serveAlone runs the handler of a request with a body on its own goroutine (the loop feeds
// the body) and writes its answer.
func (st *Stream) serveAlone() {
	c := st.c
	c.srv.handle(st)
	st.settle()
	st.respond(false)
	st.doneOffLoop()
}

// doneOffLoop ends a handler that ran off the loop, once its answer is written.
func (st *Stream) doneOffLoop() {
	c := st.c
	c.mu.Lock()
	c.running--
	c.idleCheckLocked()
	c.mu.Unlock()
	st.release()
}

// SettleBytes and SettleTime bound how much of a request body the answer did not need is read,
// and for how long, before the answer is sent (settle).
const (
	SettleBytes = 64 << 10
	SettleTime  = 100 * time.Millisecond
)

// settle reads what is left of a request body the answer did not need (the origin answered
// before reading it all, or the edge refused the request), up to 64 KiB or 100 ms, before the
// answer is sent: a body that contradicts its content-length is then found malformed and the
// stream reset with PROTOCOL_ERROR (RFC 9113 §8.1.1) instead of answered. A body still
// arriving after that is refused with RST_STREAM NO_ERROR once the answer is sent.
func (st *Stream) settle() {
	c := st.c
	c.mu.Lock()
	done := st.bodyDone || st.gone
	c.mu.Unlock()
	if done {
		return
	}
	var buf [4096]byte
	until := time.Now().Add(SettleTime)
	for total := 0; total < SettleBytes; {
		wait := time.Until(until)
		if wait <= 0 {
			return
		}
		n, err := st.body.read(buf[:], wait)
		if n > 0 || err == io.EOF {
			c.consumed(st.body, n, err == io.EOF)
		}
		total += n
		if err != nil {
			return
		}
	}
}

// doneLocked reports whether a connection going away has nothing left to answer.
func (c *conn) doneLocked() bool { return c.goingAway && len(c.streams) == 0 && c.running == 0 }

// idleCheckLocked wakes the loop of a connection going away once nothing is left to answer
// (it sees the deadline and ends).
func (c *conn) idleCheckLocked() {
	if c.doneLocked() {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// handle runs the handler on st's request.
func (s *Server) handle(st *Stream) {
	ctx := &st.ctx
	if st.parseErr != nil {
		s.h.ParseError(ctx, st.parseErr)
		return
	}
	s.h.Serve(ctx)
}

// errMalformed is a malformed request (RFC 9113 §8.1.1): the stream is reset.
func errMalformed(id uint32) error {
	return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
}

// request checks the request's fields (RFC 9113 §8.2, §8.3) and gives them to fasthttp as an
// HTTP/1.1 head, which it parses as it parses one from the wire: the same header rules, and the
// same raw block for the handler. A head larger than MaxRequestHead, or one fasthttp refuses,
// goes to Handler.ParseError.
func (st *Stream) request(f *headerBlock) error {
	var method, path, scheme, authority string
	var seen uint8
	for _, hf := range f.PseudoFields() {
		var bit uint8
		switch hf.Name {
		case ":method":
			method, bit = hf.Value, 1
		case ":path":
			path, bit = hf.Value, 2
		case ":scheme":
			scheme, bit = hf.Value, 4
		case ":authority":
			authority, bit = hf.Value, 8
		default: // :status, or :protocol (extended CONNECT is not offered)
			return errMalformed(st.id)
		}
		if seen&bit != 0 {
			return errMalformed(st.id) // a pseudo-header field twice (RFC 9113 §8.3)
		}
		seen |= bit
	}
	connect := method == "CONNECT"
	if method == "" || !connect && (path == "" || scheme == "") || connect && (path != "" || scheme != "" || authority == "") {
		return errMalformed(st.id) // RFC 9113 §8.3.1, §8.5
	}
	// The pseudo-header values become the request line and Host of the head the handler parses:
	// a method is a token (RFC 9110 §9.1), a path is an absolute-path with its query, or "*"
	// for OPTIONS (RFC 9113 §8.3.1), and none of them holds a space or control byte (which
	// HPACK allows in field values, RFC 9113 §8.2.1) that would change how the line splits.
	if !connect && !ValidTarget(method, path, authority) || connect && !visible(authority) {
		return errMalformed(st.id)
	}
	if connect {
		path = authority
	}
	if authority == "" {
		// No :authority: the Host field names the target (RFC 9113 §8.3.1).
		for _, hf := range f.RegularFields() {
			if hf.Name == "host" {
				authority = hf.Value
				break
			}
		}
	}
	b := st.head[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, authority...)
	b = append(b, "\r\n"...)
	cookie, hasCookie, expect := st.buf[:0], false, false
	for _, hf := range f.RegularFields() {
		if connectionSpecific(hf.Name) {
			return errMalformed(st.id)
		}
		switch hf.Name {
		case "te":
			if hf.Value != "trailers" {
				return errMalformed(st.id)
			}
			continue
		case "host":
			if hf.Value != authority {
				return errMalformed(st.id) // RFC 9113 §8.3.1
			}
			continue
		case "content-length":
			n, err := strconv.ParseInt(hf.Value, 10, 64)
			if err != nil || n < 0 || st.declared >= 0 && n != st.declared {
				return errMalformed(st.id)
			}
			st.declared = n
			continue
		case "cookie":
			// Cookie crumbs are joined with "; " for HTTP/1.1 (RFC 9113 §8.2.3).
			if hasCookie {
				cookie = append(cookie, "; "...)
			}
			cookie, hasCookie = append(cookie, hf.Value...), true
			continue
		case "expect":
			expect = strings.EqualFold(hf.Value, "100-continue")
		}
		b = append(b, hf.Name...)
		b = append(b, ": "...)
		b = append(b, hf.Value...)
		b = append(b, "\r\n"...)
	}
	if hasCookie {
		b = append(b, "Cookie: "...)
		b = append(b, cookie...)
		b = append(b, "\r\n"...)
	}
	st.buf = cookie[:0]
	if f.StreamEnded() && st.declared > 0 {
		return errMalformed(st.id) // content-length disagrees with the body (RFC 9113 §8.1.1)
	}
	switch {
	case f.StreamEnded():
	case st.declared > 0:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, st.declared, 10)
		b = append(b, "\r\n"...)
	case st.declared < 0:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	b = append(b, "\r\n"...)
	st.head = b
	if !f.StreamEnded() {
		st.body = newPipe(st.c, st.id, expect)
	}
	ctx := &st.ctx
	ctx.Request.Reset()
	ctx.Response.Reset()
	var conn net.Conn = st
	if st.c.hasTLS {
		st.tls.Stream = st
		conn = &st.tls
	}
	ctx.Init2(conn, st.c.srv.logger, false)
	ctx.Response.Header.SetNoDefaultContentType(true)
	if len(b) > st.c.srv.cfg.MaxRequestHead {
		st.parseErr = &fasthttp.ErrSmallBuffer{}
		return nil
	}
	st.rd.Reset(b)
	if st.hbr == nil {
		st.hbr = bufio.NewReaderSize(&st.rd, st.c.srv.cfg.MaxRequestHead+64)
	} else {
		st.hbr.Reset(&st.rd)
	}
	if err := ctx.Request.Header.Read(st.hbr); err != nil {
		st.parseErr = err
		return nil
	}
	if !f.StreamEnded() && st.declared != 0 {
		ctx.Request.SetBodyStream(st.body, int(st.declared))
	}
	return nil
}

// pipe carries a request body from the loop to the handler, which reads it as the request's
// body stream. It holds at most the stream's receive window. It is not reused: a reader that
// outlives the stream's handler reads an error from it, never another stream's bytes.
type pipe struct {
	c  *conn
	id uint32
	// Under c.mu: the stream's receive window, bytes read and not yet given back, and whether
	// the stream is gone or its body ended.
	recvWindow int32
	consumed   int32
	gone       bool
	ended      bool

	mu     sync.Mutex
	buf    []byte
	off    int
	err    error // io.EOF after the last byte, or why the body ended early
	expect bool  // 100 Continue is still to be sent (RFC 9110 §10.1.1)
	wake   chan struct{}
}

func newPipe(c *conn, id uint32, expect bool) *pipe {
	return &pipe{c: c, id: id, recvWindow: streamRecvWindow, expect: expect, wake: make(chan struct{}, 1)}
}

// Read reads the body as it arrives, giving the bytes read back to the flow-control windows.
// The first read of a request that asked for it sends 100 Continue.
func (p *pipe) Read(b []byte) (int, error) {
	c := p.c
	p.mu.Lock()
	expect := p.expect
	p.expect = false
	p.mu.Unlock()
	if expect {
		c.mu.Lock()
		if !p.gone && !c.closed && c.werr == nil {
			c.hbuf.Reset()
			c.field(":status", "100", false)
			c.writeBlockLocked(p.id, false)
			c.flushLocked()
		}
		c.mu.Unlock()
	}
	n, err := p.read(b, c.srv.cfg.ReadTimeout)
	if n > 0 || err == io.EOF {
		c.consumed(p, n, err == io.EOF)
	}
	return n, err
}

func (p *pipe) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pipe) write(b []byte, end bool) {
	p.mu.Lock()
	if p.err == nil {
		if p.off > 0 && (p.off == len(p.buf) || p.off >= cap(p.buf)/2) {
			// What was read is dropped, so that the buffer stays within the window.
			n := copy(p.buf, p.buf[p.off:])
			p.buf, p.off = p.buf[:n], 0
		}
		p.buf = append(p.buf, b...)
		if end {
			p.err = io.EOF
		}
	}
	p.mu.Unlock()
	p.signal()
}

// discard drops what is buffered and not yet read, and ends the body; it returns how many
// bytes were dropped.
func (p *pipe) discard() int32 {
	p.mu.Lock()
	n := len(p.buf) - p.off
	p.buf, p.off = nil, 0
	if p.err == nil || p.err == io.EOF {
		p.err = errGone
	}
	p.mu.Unlock()
	p.signal()
	return int32(n)
}

func (p *pipe) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.signal()
}

// read reads what has arrived, waiting up to timeout for something to.
func (p *pipe) read(b []byte, timeout time.Duration) (int, error) {
	var t *time.Timer
	for {
		p.mu.Lock()
		if p.off < len(p.buf) {
			n := copy(b, p.buf[p.off:])
			p.off += n
			p.mu.Unlock()
			return n, nil
		}
		err := p.err
		p.mu.Unlock()
		if err != nil {
			return 0, err
		}
		if t == nil {
			t = time.NewTimer(timeout)
			defer t.Stop()
		}
		select {
		case <-p.wake:
		case <-t.C:
			return 0, errReadTimeout
		}
	}
}

var errReadTimeout = errors.New("h2: request body read timed out")

// ValidTarget reports whether a request's method, target (path and query) and authority, from
// HTTP/2 or HTTP/3 pseudo-header fields, may be written as an HTTP/1.1 request line and Host
// field: the method a token (RFC 9110 §9.1), the target an absolute-path and query or "*" for
// OPTIONS (RFC 9113 §8.3.1, RFC 9114 §4.3.1), none of them holding a space or control byte,
// which field values may (RFC 9113 §8.2.1) but which would change how the line splits.
func ValidTarget(method, path, authority string) bool {
	return token(method) && path != "" && (path[0] == '/' || path == "*" && method == "OPTIONS") &&
		visible(path) && visible(authority)
}

// token reports whether s is an RFC 9110 §5.6.2 token.
func token(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// visible reports whether s holds no space, control byte or DEL.
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}
