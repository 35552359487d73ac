package edge

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/cfedge/edge/h2"
	"github.com/valyala/fasthttp"
)

// HTTP/3 viewers' requests, and the protocols' names. quic-go's http3 server (h3.go) hands
// each request to an http.Handler, streamHandler, which turns it into a fasthttp.RequestCtx, runs
// the same Server.Handle as an HTTP/1.1 request, and writes the answer back as an HTTP/3
// response (HTTP/2 has its own server, package h2, which gives Handle a RequestCtx directly).
// There is no second copy of the pipeline: behaviors, the cache, collapsing, functions,
// policies, signed URLs, Smooth, logs and metrics see an HTTP/1.1 request whose exchange knows
// the protocol it came over (for the access log's cs-protocol-version and the metrics' label).
//
// The request is given to fasthttp as an HTTP/1.1 head that fasthttp parses, as it parses a
// head from the wire: the same header rules, the same raw block for the pipeline's one pass
// over it (scanHeaders), and CloudFront's 20,480-byte limit on the head applied to it (413).

// viewerProto is the protocol a viewer request came over.
type viewerProto uint8

const (
	protoH1 viewerProto = iota
	protoH2
	protoH3
)

// logName is the access log's cs-protocol-version of p.
func (p viewerProto) logName() []byte {
	switch p {
	case protoH2:
		return strHTTP20
	case protoH3:
		return strHTTP30
	}
	return nil
}

var (
	strHTTP20 = []byte("HTTP/2.0")
	strHTTP30 = []byte("HTTP/3.0")
)

// streamConn is the connection a fasthttp.RequestCtx sees for one HTTP/3 request:
// the viewer's addresses and TLS state (so that RequestCtx.IsTLS and RemoteAddr answer as on
// an HTTP/1.1 connection), and the ways an answer leaves that only a stream has (a 103, a body
// cut short). Reading or writing it as a byte stream is an error.
type streamConn struct {
	laddr, raddr net.Addr
	state        tls.ConnectionState
	w            http.ResponseWriter
	// cut is the body of an answer whose origin body ended early (writeCut): it is sent, then
	// the stream is reset, as the HTTP/1.1 connection is closed.
	cut    []byte
	hasCut bool
}

var errStreamConn = errors.New("edge: an HTTP/3 stream is not a byte stream")

func (c *streamConn) Read([]byte) (int, error)         { return 0, errStreamConn }
func (c *streamConn) Write([]byte) (int, error)        { return 0, errStreamConn }
func (c *streamConn) Close() error                     { return nil }
func (c *streamConn) LocalAddr() net.Addr              { return c.laddr }
func (c *streamConn) RemoteAddr() net.Addr             { return c.raddr }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// Handshake and ConnectionState make fasthttp see a TLS connection.
func (c *streamConn) Handshake() error                     { return nil }
func (c *streamConn) ConnectionState() tls.ConnectionState { return c.state }

// EarlyHints sends a 103 with the Link fields before the final answer (RFC 8297).
func (c *streamConn) EarlyHints(links []string) {
	h := c.w.Header()
	for _, l := range links {
		h.Add("Link", l)
	}
	c.w.WriteHeader(http.StatusEarlyHints)
	h.Del("Link")
}

// Cut makes the answer end after body, then the stream is reset (see writeCut).
func (c *streamConn) Cut(body []byte) { c.cut, c.hasCut = body, true }

// streamCtx is the pooled state of one stream's request.
type streamCtx struct {
	ctx  fasthttp.RequestCtx
	conn streamConn
	head []byte
	br   *bufio.Reader
	rd   bytes.Reader
}

// streamHandler serves HTTP/3 requests through Server.Handle.
type streamHandler struct {
	s *Server // its streams pool holds the *streamCtx
}

// ServeHTTP implements http.Handler.
func (h streamHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc := h.s.streams.Get().(*streamCtx)
	defer h.s.streams.Put(sc)
	c := &sc.conn
	*c = streamConn{w: w, raddr: addrOf(r.RemoteAddr)}
	if r.TLS != nil {
		c.state = *r.TLS
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		c.laddr = a
	}
	ctx := &sc.ctx
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Init2(c, slogPrintf{h.s.log}, false)
	ctx.Response.Header.SetNoDefaultContentType(true)
	defer func() {
		ctx.Request.Reset()
		ctx.Response.Reset() // closes a body stream
	}()
	if err := h.readRequest(sc, r); err != nil {
		// What fasthttp answers for a head it can't take on HTTP/1.1: CloudFront's 413 (too
		// large) or 400 page, not logged as a request.
		h.s.handleParseError(ctx, err)
	} else {
		h.s.Handle(ctx)
		if ctx.Request.IsBodyStream() {
			settleBody(w, r)
		}
	}
	h.writeResponse(w, r, ctx, c)
}

// addrOf parses a RemoteAddr string ("ip:port").
func addrOf(s string) net.Addr {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return zeroAddr
	}
	return net.TCPAddrFromAddrPort(ap)
}

var zeroAddr = &net.TCPAddr{IP: net.IPv4zero}

// errBadTarget is readRequest's error for a method, path or authority that can't be an HTTP/1.1
// request line (h2.ValidTarget): answered 400, as fasthttp answers such a line over HTTP/1.1.
var errBadTarget = errors.New("edge: HTTP/3 request line not valid")

// readRequest gives r to fasthttp as an HTTP/1.1 head (and r's body as the body stream). It
// returns *fasthttp.ErrSmallBuffer when the head is over CloudFront's limit, or fasthttp's
// parse error.
func (h streamHandler) readRequest(sc *streamCtx, r *http.Request) error {
	if !h2.ValidTarget(r.Method, r.RequestURI, r.Host) {
		return errBadTarget
	}
	b := sc.head[:0]
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.RequestURI...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, r.Host...)
	b = append(b, "\r\n"...)
	for k, vs := range r.Header {
		if k == "Host" || k == "Content-Length" || k == "Transfer-Encoding" {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	hasBody := r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
	if r.ContentLength < 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// HTTP/3 can't say "no body" before the stream's end: a GET or HEAD of unknown length
		// is taken as bodiless (a viewer that sends one a body anyway is not read).
		hasBody = false
	}
	switch {
	case hasBody && r.ContentLength > 0:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, r.ContentLength, 10)
		b = append(b, "\r\n"...)
	case hasBody:
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	b = append(b, "\r\n"...)
	sc.head = b
	if len(b) > maxRequestHeaderBytes+2 {
		return &fasthttp.ErrSmallBuffer{}
	}
	sc.rd.Reset(b)
	if sc.br == nil {
		sc.br = bufio.NewReaderSize(&sc.rd, maxRequestHeaderBytes+64)
	} else {
		sc.br.Reset(&sc.rd)
	}
	if err := sc.ctx.Request.Header.Read(sc.br); err != nil {
		return err
	}
	if hasBody {
		sc.ctx.Request.SetBodyStream(r.Body, int(r.ContentLength))
	}
	return nil
}

// settleBody reads what is left of a request body the answer did not need (the origin answered
// before reading it all, or the edge refused the request), up to 64 KiB or 100 ms, before the
// answer is sent: a body that contradicts its Content-Length is then found malformed and the
// stream reset with PROTOCOL_ERROR (RFC 9113 §8.1.1) instead of being answered. A body still
// arriving after that is left to the HTTP/3 server, which discards it.
func settleBody(w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(h2.SettleTime))
	_, err := io.CopyN(io.Discard, r.Body, h2.SettleBytes)
	if err != nil && err != io.EOF && !errors.Is(err, os.ErrDeadlineExceeded) {
		panic(http.ErrAbortHandler) // malformed, or the viewer went away: nothing to answer
	}
}

// writeResponse writes the answer fasthttp holds as r's response.
func (h streamHandler) writeResponse(w http.ResponseWriter, r *http.Request, ctx *fasthttp.RequestCtx, c *streamConn) {
	resp := &ctx.Response
	hdr := w.Header()
	for k, v := range resp.Header.All() {
		switch string(k) {
		case "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding", "Proxy-Connection", "Upgrade":
			continue
		}
		key := string(k)
		hdr[key] = append(hdr[key], string(v))
	}
	status := resp.StatusCode()
	b := h2.BodyOf(resp, c.hasCut)
	if b.Length >= 0 {
		hdr["Content-Length"] = []string{strconv.FormatInt(b.Length, 10)}
	}
	w.WriteHeader(status)
	if b.None || r.Method == http.MethodHead {
		return
	}
	switch {
	case c.hasCut:
		w.Write(c.cut)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // resets the stream: the viewer sees the body stop short
	case b.Stream != nil:
		if _, err := io.Copy(w, b.Stream); err != nil {
			panic(http.ErrAbortHandler)
		}
	default:
		w.Write(b.Bytes)
	}
}
