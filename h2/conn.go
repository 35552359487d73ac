package h2

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Windows the edge announces for request bodies (RFC 9113 §6.9.2): per stream, and for the
// connection. A body is buffered up to its stream's window while its handler reads it; the
// connection's window bounds all of one connection's.
const (
	streamRecvWindow = 256 << 10
	connRecvWindow   = 1 << 20
	// windowUpdateMin: consumed body bytes are given back in WINDOW_UPDATEs of at least this
	// much (or when the body ends), not one per read.
	windowUpdateMin = 16 << 10
	// maxWindow is the largest flow-control window (RFC 9113 §6.9.1).
	maxWindow = 1<<31 - 1
	// initialWindow is the protocol's initial window (RFC 9113 §6.9.2).
	initialWindow = 65535
	// writeBufSize is the connection's write buffer: the answers to a batch of requests leave in
	// one write of up to this much (a TLS record holds 16 KiB).
	writeBufSize = 16 << 10
	// readBufSize is the connection's read buffer: what one read may bring (a batch of
	// requests); a frame's payload is read into the Framer's own buffer.
	readBufSize = 8 << 10
)

// errDetached tells the loop that its goroutine now finishes a stream: another goroutine reads
// the connection.
var errDetached = errors.New("h2: loop detached")

// errGone: the connection is closed, or the stream reset.
var errGone = errors.New("h2: connection or stream gone")

// conn is one HTTP/2 connection. The loop (one goroutine at a time, see Stream.Detach) reads
// frames and owns the read side; everything writers share is under mu.
type conn struct {
	srv          *Server
	nc           net.Conn
	tlsState     tls.ConnectionState
	hasTLS       bool
	laddr, raddr net.Addr

	// Read side, owned by the loop.
	br          *bufio.Reader
	fr          *http2.Framer
	maxClientID uint32
	readBy      time.Time
	sawSettings bool
	dec         *hpack.Decoder
	block       headerBlock
	payload     []byte // a HEADERS frame's payload (readHeaders)

	mu sync.Mutex
	// Write side.
	bw           *bufio.Writer
	henc         *hpack.Encoder
	hbuf         bytes.Buffer
	dw           deadlineWriter
	recvWindow   int32 // the connection's receive window left
	sendWindow   int32 // the connection's send window
	peerWindow   int32 // SETTINGS_INITIAL_WINDOW_SIZE of the peer
	peerFrame    uint32
	werr         error
	winCh        chan struct{} // made by a writer waiting for a window; closed when one grows or the connection ends
	streams      map[uint32]*Stream
	running      int  // handlers running off the loop
	goingAway    bool // a GOAWAY was sent or received: no new streams
	closed       bool
	connConsumed int32 // body bytes consumed and not yet given back on the connection
	names        map[string]string
	values       map[string]string
	scratch      [20]byte // a DATA frame's header, or a number being written
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:        s,
		nc:         nc,
		laddr:      nc.LocalAddr(),
		raddr:      nc.RemoteAddr(),
		recvWindow: connRecvWindow,
		sendWindow: initialWindow,
		peerWindow: initialWindow,
		peerFrame:  16384,
		streams:    make(map[uint32]*Stream),
		names:      make(map[string]string),
		values:     make(map[string]string),
	}
	if tc, ok := nc.(*tls.Conn); ok {
		c.tlsState, c.hasTLS = tc.ConnectionState(), true
	}
	c.dw = deadlineWriter{c: nc, timeout: s.cfg.WriteTimeout}
	c.bw = bufio.NewWriterSize(&c.dw, writeBufSize)
	c.br = bufio.NewReaderSize(nc, readBufSize)
	c.fr = http2.NewFramer(c.bw, c.br)
	c.fr.SetMaxReadFrameSize(16384)
	c.dec = hpack.NewDecoder(4096, c.emit)
	c.dec.SetMaxStringLength(int(s.cfg.MaxHeaderListSize))
	c.fr.SetReuseFrames()
	c.henc = hpack.NewEncoder(&c.hbuf)
	return c
}

// deadlineWriter writes to the connection with a write deadline WriteTimeout ahead, moved only
// when it has come nearer by its slack (setting a deadline per write costs a timer update).
type deadlineWriter struct {
	c       net.Conn
	timeout time.Duration
	by      time.Time
}

// Write implements io.Writer.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	if now := time.Now(); w.by.Sub(now) < w.timeout-slack(w.timeout) {
		w.by = now.Add(w.timeout)
		_ = w.c.SetWriteDeadline(w.by)
	}
	return w.c.Write(p)
}

// slack is how far a deadline of timeout may come nearer before it is moved again: a second,
// or a quarter of a shorter timeout.
func slack(timeout time.Duration) time.Duration { return min(time.Second, timeout/4) }

// serve runs the connection: the server's preface, then the loop.
func (c *conn) serve() {
	c.mu.Lock()
	_ = c.fr.WriteSettings(
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: c.srv.cfg.MaxConcurrentStreams},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: streamRecvWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: c.srv.cfg.MaxHeaderListSize},
	)
	_ = c.fr.WriteWindowUpdate(0, connRecvWindow-initialWindow)
	c.flushLocked()
	c.mu.Unlock()
	c.armRead()
	var pre [len(http2.ClientPreface)]byte // RFC 9113 §3.4
	if _, err := io.ReadFull(c.br, pre[:]); err != nil || string(pre[:]) != http2.ClientPreface {
		c.fail(http2.ErrCodeProtocol, "bad client preface")
		c.end()
		return
	}
	c.loop()
}

// armRead moves the read deadline IdleTimeout ahead (when it has come nearer by its slack).
func (c *conn) armRead() {
	t := c.srv.cfg.IdleTimeout
	if now := time.Now(); c.readBy.Sub(now) < t-slack(t) {
		c.readBy = now.Add(t)
		_ = c.nc.SetReadDeadline(c.readBy)
	}
}

// loop reads and handles frames until the connection ends, or until a handler it ran detached
// (then the goroutine running it is the stream's, and a new loop reads).
func (c *conn) loop() {
	for {
		if c.br.Buffered() == 0 {
			// Everything read is handled: send the answers, then wait for more.
			c.mu.Lock()
			c.flushLocked()
			c.mu.Unlock()
			if !c.waitReadable() {
				c.end()
				return
			}
		}
		fh, err := c.fr.ReadFrameHeader()
		if err == nil && fh.Type == http2.FrameHeaders && c.sawSettings {
			err = c.readHeaders(fh) // read here: no frame allocated per request
		} else {
			var f http2.Frame
			if err == nil {
				f, err = c.fr.ReadFrameForHeader(fh)
			}
			if err != nil {
				if c.readError(err, fh.Type) {
					continue
				}
				c.end()
				return
			}
			err = c.frame(f)
		}
		switch {
		case err == nil:
		case err == errDetached:
			return
		default:
			if c.frameError(err) {
				continue
			}
			c.end()
			return
		}
	}
}

// waitReadable waits for the next byte, and reports whether there is one. A connection idle
// for IdleTimeout with no stream open gets a GOAWAY and is closed; one with streams open waits
// on (their handlers may take their time).
func (c *conn) waitReadable() bool {
	for {
		c.mu.Lock()
		done := c.doneLocked()
		c.mu.Unlock()
		if done {
			return false // a GOAWAY went, and everything is answered
		}
		c.armRead()
		_, err := c.br.Peek(1)
		if err == nil {
			return true
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return false
		}
		c.mu.Lock()
		busy := len(c.streams) > 0 || c.running > 0
		c.mu.Unlock()
		if !busy {
			c.fail(http2.ErrCodeNo, "idle")
			return false
		}
		c.readBy = time.Time{}
	}
}

// readError handles an error reading a frame of type t: a stream error resets the stream (and
// the loop goes on, true); anything else ends the connection, with a GOAWAY when it is the
// peer's fault. A HEADERS or CONTINUATION frame that could not be read leaves its header block
// undecoded, and HPACK's state with it: that ends the connection (RFC 9113 §4.3).
func (c *conn) readError(err error, t http2.FrameType) bool {
	var se http2.StreamError
	if errors.As(err, &se) && (t == http2.FrameHeaders || t == http2.FrameContinuation) {
		err = http2.ConnectionError(http2.ErrCodeProtocol)
	}
	if errors.Is(err, http2.ErrFrameTooLarge) {
		err = http2.ConnectionError(http2.ErrCodeFrameSize) // RFC 9113 §4.2
	}
	if errors.As(err, &se) {
		if se.StreamID > c.maxClientID && se.StreamID%2 == 1 {
			c.maxClientID = se.StreamID
		}
		c.srv.cfg.Log.Debug("h2: stream error", "peer", c.raddr.String(), "stream", se.StreamID, "code", se.Code.String(), "err", se.Cause)
		c.resetStream(se.StreamID, se.Code)
		return true
	}
	var ce http2.ConnectionError
	if errors.As(err, &ce) {
		detail := ""
		if d := c.fr.ErrorDetail(); d != nil {
			detail = d.Error()
		}
		c.fail(http2.ErrCode(ce), detail)
	}
	return false
}

// frameError handles an error of handling one frame, as readError does.
func (c *conn) frameError(err error) bool {
	var se http2.StreamError
	if errors.As(err, &se) {
		c.srv.cfg.Log.Debug("h2: stream error", "peer", c.raddr.String(), "stream", se.StreamID, "code", se.Code.String(), "err", se.Cause)
		c.resetStream(se.StreamID, se.Code)
		return true
	}
	var ce http2.ConnectionError
	if errors.As(err, &ce) {
		c.fail(http2.ErrCode(ce), err.Error())
	}
	return false
}

// fail sends a GOAWAY with code (RFC 9113 §5.4.1) and shuts the connection for writing.
func (c *conn) fail(code http2.ErrCode, detail string) {
	if code != http2.ErrCodeNo {
		c.srv.cfg.Log.Debug("h2: connection error", "peer", c.raddr.String(), "code", code.String(), "detail", detail)
	}
	c.mu.Lock()
	if !c.closed && c.werr == nil {
		c.goingAway = true
		_ = c.fr.WriteGoAway(c.maxClientID, code, nil)
		c.flushLocked()
	}
	c.mu.Unlock()
}

// goAway starts a graceful close (Server.Shutdown): a GOAWAY naming the last stream taken; the
// connection closes when its streams are answered.
func (c *conn) goAway() {
	c.mu.Lock()
	if c.closed || c.goingAway {
		c.mu.Unlock()
		return
	}
	c.goingAway = true
	_ = c.fr.WriteGoAway(c.maxClientID, http2.ErrCodeNo, nil)
	c.flushLocked()
	c.idleCheckLocked()
	c.mu.Unlock()
}

// end closes the connection: streams still waiting for body bytes or window get an error, and
// handlers still running write nothing more.
func (c *conn) end() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	var bodies []*pipe
	for _, st := range c.streams {
		st.gone = true
		if st.body != nil {
			st.body.gone = true
			bodies = append(bodies, st.body)
		}
	}
	clear(c.streams)
	if c.winCh != nil {
		close(c.winCh)
		c.winCh = nil
	}
	c.mu.Unlock()
	for _, b := range bodies {
		b.fail(errGone)
	}
	// A lingering close: what the viewer sent after the GOAWAY is read (briefly), so that the
	// GOAWAY is not lost to a reset.
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, c.nc, 64<<10)
	c.nc.Close()
	c.srv.forget(c)
}

// flushLocked writes what is buffered; a write error ends writing for good.
func (c *conn) flushLocked() {
	if c.werr != nil || c.bw.Buffered() == 0 {
		return
	}
	if err := c.bw.Flush(); err != nil {
		c.werr = err
		c.nc.Close() // the loop's read fails and it ends the connection
	}
}

// wakeLocked wakes writers waiting for a window.
func (c *conn) wakeLocked() {
	if c.winCh != nil {
		close(c.winCh)
		c.winCh = nil
	}
}

// resetStream sends RST_STREAM for id with code and forgets the stream.
func (c *conn) resetStream(id uint32, code http2.ErrCode) {
	c.mu.Lock()
	if st := c.streams[id]; st != nil {
		c.dropLocked(st)
	}
	if c.werr == nil && !c.closed {
		_ = c.fr.WriteRSTStream(id, code)
	}
	c.mu.Unlock()
}

// dropLocked forgets st: it was reset, or is done. Its handler, if any, writes nothing more,
// and its body, if any, ends (errGone).
func (c *conn) dropLocked(st *Stream) {
	if c.streams[st.id] == st {
		delete(c.streams, st.id)
	}
	st.gone = true
	if p := st.body; p != nil && !p.gone {
		p.gone = true
		// What arrived and was never read is given back to the connection's window, or the
		// connection would lose it for good.
		c.giveBackLocked(nil, p.discard())
	}
	c.wakeLocked()
	c.idleCheckLocked()
}

// frame handles one frame read by the loop.
func (c *conn) frame(f http2.Frame) error {
	if !c.sawSettings {
		// The client's preface ends with a SETTINGS frame (RFC 9113 §3.4).
		if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		c.sawSettings = true
	}
	switch f := f.(type) {
	case *http2.ContinuationFrame:
		return c.fragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.DataFrame:
		return c.data(f)
	case *http2.SettingsFrame:
		return c.settings(f)
	case *http2.WindowUpdateFrame:
		return c.windowUpdate(f)
	case *http2.RSTStreamFrame:
		return c.rstStream(f)
	case *http2.PingFrame:
		if f.IsAck() {
			return nil
		}
		c.mu.Lock()
		_ = c.fr.WritePing(true, f.Data)
		c.mu.Unlock()
		return nil
	case *http2.PriorityFrame:
		if f.StreamDep == f.StreamID {
			// A stream cannot depend on itself (RFC 9113 §5.3.1).
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol}
		}
		return nil
	case *http2.GoAwayFrame:
		c.mu.Lock()
		c.goingAway = true
		c.mu.Unlock()
		return nil
	case *http2.PushPromiseFrame:
		// A client can't push (RFC 9113 §8.4).
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	return nil // an unknown frame type is ignored (RFC 9113 §5.5)
}

// settings applies the peer's SETTINGS and acknowledges them (RFC 9113 §6.5).
func (c *conn) settings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			// A change applies to every open stream's window (RFC 9113 §6.9.2).
			delta := int64(s.Val) - int64(c.peerWindow)
			for _, st := range c.streams {
				w := int64(st.sendWindow) + delta
				if w > maxWindow {
					return http2.ConnectionError(http2.ErrCodeFlowControl)
				}
				st.sendWindow = int32(w)
			}
			c.peerWindow = int32(s.Val)
			c.wakeLocked()
		case http2.SettingMaxFrameSize:
			c.peerFrame = s.Val
		case http2.SettingHeaderTableSize:
			c.henc.SetMaxDynamicTableSize(s.Val)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = c.fr.WriteSettingsAck()
	return nil
}

// windowUpdate grows a send window (RFC 9113 §6.9).
func (c *conn) windowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.StreamID == 0 {
		w := int64(c.sendWindow) + int64(f.Increment)
		if w > maxWindow {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
		c.sendWindow = int32(w)
		c.wakeLocked()
		return nil
	}
	if f.StreamID > c.maxClientID {
		return http2.ConnectionError(http2.ErrCodeProtocol) // an idle stream (RFC 9113 §5.1)
	}
	st := c.streams[f.StreamID]
	if st == nil {
		return nil // closed: allowed, ignored
	}
	w := int64(st.sendWindow) + int64(f.Increment)
	if w > maxWindow {
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
	}
	st.sendWindow = int32(w)
	c.wakeLocked()
	return nil
}

// rstStream ends a stream the peer reset: its handler's answer is dropped.
func (c *conn) rstStream(f *http2.RSTStreamFrame) error {
	if f.StreamID > c.maxClientID {
		return http2.ConnectionError(http2.ErrCodeProtocol) // an idle stream
	}
	c.mu.Lock()
	if st := c.streams[f.StreamID]; st != nil {
		c.dropLocked(st)
	}
	c.mu.Unlock()
	return nil
}

// data takes a DATA frame: flow control (RFC 9113 §6.9), then the bytes to the stream's body.
func (c *conn) data(f *http2.DataFrame) error {
	id := f.StreamID
	n := int32(f.Length) // with the padding, which counts against the windows
	if id > c.maxClientID {
		return http2.ConnectionError(http2.ErrCodeProtocol) // an idle stream
	}
	c.mu.Lock()
	if n > c.recvWindow {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	c.recvWindow -= n
	st := c.streams[id]
	if st == nil || st.bodyDone {
		// Closed, or half-closed (remote): STREAM_CLOSED (RFC 9113 §5.1); the bytes are given
		// back to the connection's window.
		c.giveBackLocked(nil, n)
		c.mu.Unlock()
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeStreamClosed}
	}
	body := st.body
	if n > body.recvWindow {
		c.giveBackLocked(nil, n)
		c.mu.Unlock()
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeFlowControl}
	}
	body.recvWindow -= n
	data := f.Data()
	if pad := n - int32(len(data)); pad > 0 {
		c.giveBackLocked(body, pad)
	}
	st.received += int64(len(data))
	if st.declared >= 0 && st.received > st.declared || f.StreamEnded() && st.declared >= 0 && st.received != st.declared {
		// A body that contradicts its content-length is malformed (RFC 9113 §8.1.1).
		c.giveBackLocked(nil, int32(len(data)))
		c.mu.Unlock()
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	}
	if f.StreamEnded() {
		st.bodyDone, body.ended = true, true
	}
	c.mu.Unlock()
	body.write(data, f.StreamEnded())
	return nil
}

// giveBackLocked returns n received bytes to the peer's windows: the connection's, and p's
// stream's when p is not nil, in WINDOW_UPDATEs.
func (c *conn) giveBackLocked(p *pipe, n int32) {
	if n <= 0 || c.werr != nil || c.closed {
		return
	}
	_ = c.fr.WriteWindowUpdate(0, uint32(n))
	c.recvWindow += n
	if p != nil && !p.gone && !p.ended {
		_ = c.fr.WriteWindowUpdate(p.id, uint32(n))
		p.recvWindow += n
	}
}

// consumed is called as a handler reads n bytes of the body p: they are given back to the
// windows once enough has been read (or the body is done).
func (c *conn) consumed(p *pipe, n int, done bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p.consumed += int32(n)
	c.connConsumed += int32(n)
	if p.consumed >= windowUpdateMin {
		if !p.gone && !p.ended && c.werr == nil && !c.closed {
			_ = c.fr.WriteWindowUpdate(p.id, uint32(p.consumed))
			p.recvWindow += p.consumed
		}
		p.consumed = 0
	}
	if c.connConsumed >= windowUpdateMin || done {
		if c.werr == nil && !c.closed && c.connConsumed > 0 {
			_ = c.fr.WriteWindowUpdate(0, uint32(c.connConsumed))
			c.recvWindow += c.connConsumed
		}
		c.connConsumed = 0
	}
	c.flushLocked()
}
