package h2

import (
	"encoding/binary"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Most distinct field names and values a connection keeps as strings for HPACK's dynamic table
// (the encoder keeps the strings it indexes); past them, fields are sent without indexing.
const (
	maxNames  = 256
	maxValues = 512
)

// volatile names fields whose values change from answer to answer: they are sent as literals
// never indexed, straight from the answer's bytes, instead of filling the dynamic table.
func volatile(name string) bool {
	switch name {
	case "date", "age", "x-amz-cf-id", "content-length", "etag", "last-modified", "content-range",
		"set-cookie", "expires", "server-timing":
		return true
	}
	return false
}

// unsafeString views b as a string, for the encoder to copy from without keeping it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// field HPACK-encodes one field into the header block being built. Callers hold mu.
func (c *conn) field(name, value string, never bool) {
	_ = c.henc.WriteField(hpack.HeaderField{Name: name, Value: value, Sensitive: never})
}

// fieldName is the HTTP/2 name (lower case) of an answer's field name k, or "" for the fields
// HTTP/2 does not carry (connection-specific ones, RFC 9113 §8.2.2) and content-length, which is
// written from the body.
func (c *conn) fieldName(k []byte) string {
	if s, ok := c.names[string(k)]; ok {
		return s
	}
	lower := strings.ToLower(string(k))
	if connectionSpecific(lower) || lower == "content-length" {
		lower = ""
	}
	if len(c.names) < maxNames {
		c.names[string(k)] = lower
	}
	return lower
}

// connectionSpecific reports whether a (lower-case) field name is one HTTP/2 does not carry
// (RFC 9113 §8.2.2): a request with one is malformed, an answer's is dropped.
func connectionSpecific(name string) bool {
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// valueFor returns v as a string the encoder may keep, and whether it has one; past maxValues
// distinct values the field goes without indexing.
func (c *conn) valueFor(v []byte) (string, bool) {
	if s, ok := c.values[string(v)]; ok {
		return s, true
	}
	if len(c.values) >= maxValues {
		return "", false
	}
	s := string(v)
	c.values[s] = s
	return s, true
}

// statusText is :status's value.
func statusText(code int) string {
	switch code {
	case 200:
		return "200"
	case 204:
		return "204"
	case 206:
		return "206"
	case 304:
		return "304"
	case 400:
		return "400"
	case 403:
		return "403"
	case 404:
		return "404"
	case 500:
		return "500"
	case 502:
		return "502"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}

// writeBlockLocked writes the header block built in hbuf as a HEADERS frame (and CONTINUATIONs
// when it is larger than the peer's frame size).
func (c *conn) writeBlockLocked(id uint32, end bool) {
	block := c.hbuf.Bytes()
	max := int(c.peerFrame)
	first := block
	if len(first) > max {
		first = block[:max]
	}
	_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndStream: end, EndHeaders: len(first) == len(block)})
	for rest := block[len(first):]; len(rest) > 0; {
		n := min(len(rest), max)
		_ = c.fr.WriteContinuation(id, n == len(rest), rest[:n])
		rest = rest[n:]
	}
}

// writeHeadLocked writes the answer's status and fields; n is the body's length, -1 when
// unknown or there is none.
func (c *conn) writeHeadLocked(st *Stream, status int, h *fasthttp.ResponseHeader, n int64, end bool) {
	c.hbuf.Reset()
	c.field(":status", statusText(status), false)
	for k, v := range h.All() {
		name := c.fieldName(k)
		if name == "" {
			continue
		}
		if volatile(name) {
			c.field(name, unsafeString(v), true)
			continue
		}
		if s, ok := c.valueFor(v); ok {
			c.field(name, s, false)
		} else {
			c.field(name, unsafeString(v), true)
		}
	}
	if n >= 0 {
		c.field("content-length", unsafeString(strconv.AppendInt(c.scratch[:0], n, 10)), true)
	}
	c.writeBlockLocked(st.id, end)
}

// turnBytes is the most of one answer's body written in one turn: a larger answer is written
// a turn at a time, off the loop, so that the streams of a connection share it (a big object
// does not hold up the small ones requested after it, RFC 9113 §5.3).
const turnBytes = 64 << 10

// writeDataLocked writes as much of p as the windows let, up to limit bytes, in DATA frames of
// at most the peer's frame size, the last with END_STREAM when end and all of p went. It
// returns how much went.
func (c *conn) writeDataLocked(st *Stream, p []byte, end bool, limit int) int {
	sent := 0
	for {
		n := min(len(p)-sent, limit-sent, int(c.peerFrame), int(c.sendWindow), int(st.sendWindow))
		if n < 0 {
			n = 0
		}
		last := end && sent+n == len(p)
		if n == 0 && !last {
			return sent
		}
		h := c.scratch[:9]
		h[0], h[1], h[2] = byte(n>>16), byte(n>>8), byte(n)
		h[3], h[4] = byte(http2.FrameData), 0
		if last {
			h[4] = byte(http2.FlagDataEndStream)
		}
		binary.BigEndian.PutUint32(h[5:], st.id)
		_, _ = c.bw.Write(h)
		_, _ = c.bw.Write(p[sent : sent+n])
		c.sendWindow -= int32(n)
		st.sendWindow -= int32(n)
		sent += n
		if last {
			return sent
		}
	}
}

// finishLocked closes st after its END_STREAM went: a request body still arriving is refused
// with RST_STREAM NO_ERROR (RFC 9113 §8.1), and the stream is forgotten.
func (c *conn) finishLocked(st *Stream) {
	if !st.bodyDone && !st.gone && c.werr == nil && !c.closed {
		_ = c.fr.WriteRSTStream(st.id, http2.ErrCodeNo)
	}
	c.dropLocked(st)
}

// resetLocked resets st (RST_STREAM with code) unless nothing can be written for it any more,
// and forgets it either way.
func (c *conn) resetLocked(st *Stream, code http2.ErrCode) {
	if !c.deadLocked(st) {
		_ = c.fr.WriteRSTStream(st.id, code)
		c.flushLocked()
	}
	c.dropLocked(st)
}

// deadLocked reports whether nothing more can be written for st.
func (c *conn) deadLocked(st *Stream) bool { return st.gone || c.closed || c.werr != nil }

// respond writes the answer the handler left in st.ctx. On the loop (onLoop) it never waits:
// what the windows don't let go now, or a body to be read from a stream, is handed to a new
// goroutine, and respond returns true (that goroutine releases st). Off the loop it writes all,
// waiting for windows, and flushes.
func (st *Stream) respond(onLoop bool) bool {
	c := st.c
	ctx := &st.ctx
	resp := &ctx.Response
	status := resp.StatusCode()
	b := BodyOf(resp, st.cutS)
	noBody, body, stream, n := b.None, b.Bytes, b.Stream, b.Length
	head := ctx.IsHead()
	if head {
		stream, body = nil, nil
	}
	endNow := noBody || head || stream == nil && !st.cutS && len(body) == 0
	c.mu.Lock()
	if c.deadLocked(st) {
		c.dropLocked(st)
		c.mu.Unlock()
		return false
	}
	c.writeHeadLocked(st, status, &resp.Header, n, endNow)
	if endNow {
		c.finishLocked(st)
		c.afterWriteLocked(onLoop)
		c.mu.Unlock()
		return false
	}
	if stream == nil && !st.cutS {
		sent := c.writeDataLocked(st, body, true, turnBytes)
		if sent == len(body) {
			c.finishLocked(st)
			c.afterWriteLocked(onLoop)
			c.mu.Unlock()
			return false
		}
		body = body[sent:]
	}
	if onLoop {
		c.mu.Unlock()
		go st.writeRest(body, stream)
		return true
	}
	c.mu.Unlock()
	st.writeBody(body, stream)
	return false
}

// Body is what an answer fasthttp holds sends as its body, in HTTP/2 or HTTP/3 (which frame
// it, and so carry no Transfer-Encoding).
type Body struct {
	None   bool      // the status has no body (1xx, 204, 304: RFC 9110 §6.4.1)
	Bytes  []byte    // the body, in memory (nil when none, or a stream)
	Stream io.Reader // the body, to be read (a file, an origin's body)
	Length int64     // the content-length to send; -1 for none
}

// BodyOf returns what resp sends. cut: the answer ends early (Stream.Cut), its length the one
// it declared, else the whole body's, else none.
func BodyOf(resp *fasthttp.Response, cut bool) Body {
	status := resp.StatusCode()
	if status < 200 || status == fasthttp.StatusNoContent || status == fasthttp.StatusNotModified {
		return Body{None: true, Length: -1}
	}
	switch {
	case resp.IsBodyStream():
		return Body{Stream: resp.BodyStream(), Length: int64(resp.Header.ContentLength())}
	case cut:
		n := int64(resp.Header.ContentLength())
		if n <= 0 {
			n = -1
			if b := resp.Body(); len(b) > 0 && !resp.SkipBody {
				n = int64(len(b))
			}
		}
		return Body{Length: n}
	case resp.SkipBody:
		return Body{Length: max(int64(resp.Header.ContentLength()), 0)}
	}
	b := resp.Body()
	return Body{Bytes: b, Length: int64(len(b))}
}

// afterWriteLocked flushes an answer written off the loop; the loop flushes its own before it
// next waits to read.
func (c *conn) afterWriteLocked(onLoop bool) {
	if !onLoop {
		c.flushLocked()
	}
}

// writeRest finishes an answer the loop started, on its own goroutine, and releases st.
func (st *Stream) writeRest(body []byte, stream io.Reader) {
	st.writeBody(body, stream)
	st.release()
}

// writeBody writes the rest of an answer whose head went: body (from memory), then stream, or
// a cut body, waiting for windows.
func (st *Stream) writeBody(body []byte, stream io.Reader) {
	c := st.c
	switch {
	case st.cutS:
		if st.send(st.cut, false) {
			c.mu.Lock()
			c.resetLocked(st, http2.ErrCodeInternal)
			c.mu.Unlock()
		}
		return
	case stream == nil:
		st.send(body, true)
		return
	}
	if st.buf == nil || cap(st.buf) < 32<<10 {
		st.buf = make([]byte, 32<<10)
	}
	buf := st.buf[:32<<10]
	left := int64(st.ctx.Response.Header.ContentLength())
	for {
		m, err := stream.Read(buf)
		if left >= 0 && int64(m) > left {
			m = int(left)
		}
		if m > 0 {
			end := left >= 0 && int64(m) == left
			if !st.send(buf[:m], end) {
				return
			}
			if end {
				return
			}
			if left >= 0 {
				left -= int64(m)
			}
		}
		if err == io.EOF && left <= 0 {
			st.send(nil, true)
			return
		}
		if err != nil {
			// The body ended short (or failed): the stream is reset, so that the viewer sees
			// it end short.
			c.mu.Lock()
			c.resetLocked(st, http2.ErrCodeInternal)
			c.mu.Unlock()
			return
		}
	}
}

// send writes p (with END_STREAM when end), waiting for the windows to open, up to
// WriteTimeout each time; a stream whose window stays shut is reset. It reports whether p went.
func (st *Stream) send(p []byte, end bool) bool {
	c := st.c
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.deadLocked(st) {
			c.dropLocked(st) // it must not stay in the streams once released
			c.mu.Unlock()
			return false
		}
		sent := c.writeDataLocked(st, p, end, turnBytes)
		p = p[sent:]
		if len(p) == 0 {
			if end {
				c.finishLocked(st)
			}
			c.flushLocked()
			c.mu.Unlock()
			return true
		}
		if sent == turnBytes {
			// A turn went: the other streams (and the loop) get theirs before the next.
			c.mu.Unlock()
			runtime.Gosched()
			continue
		}
		if c.winCh == nil {
			c.winCh = make(chan struct{})
		}
		ch := c.winCh
		c.flushLocked()
		c.mu.Unlock()
		if t == nil {
			t = time.NewTimer(c.srv.cfg.WriteTimeout)
		} else {
			t.Reset(c.srv.cfg.WriteTimeout)
		}
		select {
		case <-ch:
		case <-t.C:
			c.srv.cfg.Log.Debug("h2: flow-control window shut too long", "peer", c.raddr.String(), "stream", st.id)
			c.resetStream(st.id, http2.ErrCodeFlowControl)
			return false
		}
	}
}
