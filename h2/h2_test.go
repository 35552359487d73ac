package h2_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/h2"
	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// guard bounds every wait of the tests: reaching it is a failure, never the way a test moves on.
const guard = 10 * time.Second

// handler is the tests' h2.Handler: each path has its own behaviour, set before the server
// starts (the map is only read afterwards). An unknown path is answered 404.
type handler struct {
	routes     map[string]func(ctx *fasthttp.RequestCtx)
	parseError func(ctx *fasthttp.RequestCtx, err error)
}

func (h *handler) Serve(ctx *fasthttp.RequestCtx) {
	if f := h.routes[string(ctx.Path())]; f != nil {
		f(ctx)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusNotFound)
	ctx.SetBodyString("no route")
}

func (h *handler) ParseError(ctx *fasthttp.RequestCtx, err error) {
	if h.parseError != nil {
		h.parseError(ctx, err)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusBadRequest)
}

// fast answers "ok" at once.
func fast(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }

// stream is the request's *h2.Stream (h2.StreamOf: on a TLS connection ctx.Conn() is a view
// of the stream that adds the TLS state).
func stream(ctx *fasthttp.RequestCtx) *h2.Stream {
	st, ok := h2.StreamOf(ctx.Conn())
	if !ok {
		panic(fmt.Sprintf("ctx.Conn() is a %T, not an HTTP/2 stream", ctx.Conn()))
	}
	return st
}

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// pattern is n bytes that are not all alike, so that a misplaced byte shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// recv waits for one value from ch, failing the test after guard.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// testServer is an h2.Server serving every connection accepted on 127.0.0.1.
type testServer struct {
	srv  *h2.Server
	addr string
}

// startServer serves plain TCP connections (prior-knowledge h2c); wrap, when not nil, turns an
// accepted connection into the one served (a TLS handshake), or refuses it (nil).
func startServer(t *testing.T, cfg h2.Config, h h2.Handler) *testServer {
	return startServerWrap(t, cfg, h, nil)
}

func startServerWrap(t *testing.T, cfg h2.Config, h h2.Handler, wrap func(net.Conn) net.Conn) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := h2.NewServer(cfg, h)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if wrap != nil {
					if c = wrap(c); c == nil {
						return
					}
				}
				srv.ServeConn(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown at the end of the test: %v", err)
		}
		wg.Wait()
	})
	return &testServer{srv: srv, addr: ln.Addr().String()}
}

// h2cClient is an x/net HTTP/2 client speaking prior-knowledge h2c.
func h2cClient(t *testing.T) *http.Client {
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: guard}
}

// event is one frame the raw client read (copied out of the framer's buffers), or the error
// that ended reading.
type event struct {
	typ      http2.FrameType
	stream   uint32
	flags    http2.Flags
	fields   []hpack.HeaderField
	data     []byte
	length   uint32
	code     http2.ErrCode
	last     uint32
	incr     uint32
	settings []http2.Setting
	err      error // a stream error reading a frame (stream set), or the end of the connection
}

// rawStream is what the raw client saw of one stream.
type rawStream struct {
	heads [][]hpack.HeaderField // every header block, in order (1xx, final)
	body  bytes.Buffer
	ended bool // END_STREAM came
	reset bool // RST_STREAM came
	code  http2.ErrCode
	wu    int64    // WINDOW_UPDATE increments for the stream
	order []string // the frames, in order: "headers:103", "headers:200", "data", "rst:INTERNAL_ERROR"
}

func (s *rawStream) done() bool { return s.ended || s.reset }

// final is the last header block that has a :status of 200 or more.
func (s *rawStream) final() []hpack.HeaderField {
	for i := len(s.heads) - 1; i >= 0; i-- {
		if st := get(s.heads[i], ":status"); len(st) == 3 && st[0] != '1' {
			return s.heads[i]
		}
	}
	return nil
}

func (s *rawStream) status() string { return get(s.final(), ":status") }

// get is the value of the first field name in fs.
func get(fs []hpack.HeaderField, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// count is the number of fields name in fs.
func count(fs []hpack.HeaderField, name string) int {
	n := 0
	for _, f := range fs {
		if f.Name == name {
			n++
		}
	}
	return n
}

// rawConn is an HTTP/2 client written with the framer: frames are read by a goroutine and
// handed to the test goroutine, which alone writes and keeps the state.
type rawConn struct {
	t        *testing.T
	c        net.Conn
	fr       *http2.Framer
	enc      *hpack.Encoder
	encBuf   bytes.Buffer
	events   chan event
	readDone chan struct{}

	streams      map[uint32]*rawStream
	goAway       *event
	closed       bool
	closeErr     error
	pingAcks     int
	settingsSeen bool
	connWU       int64 // WINDOW_UPDATE increments on stream 0
	dataTotal    int64 // DATA payload (with padding) on every stream
	autoWindow   bool  // give every DATA byte back at once (stream and connection)
	afterEvent   func(event)
}

// dialRaw connects, sends the client preface and SETTINGS, and waits for the server's preface
// (its SETTINGS and connection WINDOW_UPDATE); connWU counts from zero afterwards.
func dialRaw(t *testing.T, addr string, settings ...http2.Setting) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, guard)
	if err != nil {
		t.Fatal(err)
	}
	rc := newRawConn(t, c)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := rc.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	rc.until("the server's preface", func() bool { return rc.settingsSeen && rc.connWU >= 1<<20-65535 })
	rc.connWU -= 1<<20 - 65535
	return rc
}

func newRawConn(t *testing.T, c net.Conn) *rawConn {
	rc := &rawConn{
		t:        t,
		c:        c,
		fr:       http2.NewFramer(c, c),
		events:   make(chan event, 1024),
		readDone: make(chan struct{}),
		streams:  make(map[uint32]*rawStream),
	}
	rc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	rc.fr.MaxHeaderListSize = 1 << 20
	rc.enc = hpack.NewEncoder(&rc.encBuf)
	go rc.read()
	t.Cleanup(func() {
		c.Close()
		<-rc.readDone
	})
	return rc
}

func (rc *rawConn) read() {
	defer close(rc.readDone)
	defer close(rc.events)
	for {
		f, err := rc.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if asStreamError(err, &se) {
				rc.events <- event{typ: 0xff, stream: se.StreamID, err: err}
				continue
			}
			rc.events <- event{typ: 0xfe, err: err}
			return
		}
		h := f.Header()
		ev := event{typ: h.Type, stream: h.StreamID, flags: h.Flags, length: h.Length}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			ev.typ = http2.FrameHeaders
			ev.fields = append([]hpack.HeaderField(nil), f.Fields...)
		case *http2.DataFrame:
			ev.data = append([]byte(nil), f.Data()...)
		case *http2.RSTStreamFrame:
			ev.code = f.ErrCode
		case *http2.GoAwayFrame:
			ev.code, ev.last = f.ErrCode, f.LastStreamID
		case *http2.WindowUpdateFrame:
			ev.incr = f.Increment
		case *http2.SettingsFrame:
			_ = f.ForeachSetting(func(s http2.Setting) error {
				ev.settings = append(ev.settings, s)
				return nil
			})
		}
		rc.events <- ev
	}
}

func asStreamError(err error, se *http2.StreamError) bool {
	if e, ok := err.(http2.StreamError); ok {
		*se = e
		return true
	}
	return false
}

// stream is the state of stream id.
func (rc *rawConn) stream(id uint32) *rawStream {
	s := rc.streams[id]
	if s == nil {
		s = new(rawStream)
		rc.streams[id] = s
	}
	return s
}

// handle applies one event to the state.
func (rc *rawConn) handle(ev event) {
	t := rc.t
	t.Helper()
	switch ev.typ {
	case 0xfe:
		rc.closed, rc.closeErr = true, ev.err
	case 0xff:
		t.Fatalf("the server sent an invalid frame on stream %d: %v", ev.stream, ev.err)
	case http2.FrameHeaders:
		s := rc.stream(ev.stream)
		s.heads = append(s.heads, ev.fields)
		s.order = append(s.order, "headers:"+get(ev.fields, ":status"))
		if ev.flags.Has(http2.FlagHeadersEndStream) {
			s.ended = true
		}
	case http2.FrameData:
		s := rc.stream(ev.stream)
		s.body.Write(ev.data)
		s.order = append(s.order, "data")
		rc.dataTotal += int64(ev.length)
		if ev.flags.Has(http2.FlagDataEndStream) {
			s.ended = true
		}
		if rc.autoWindow && ev.length > 0 {
			rc.windowUpdate(0, ev.length)
			rc.windowUpdate(ev.stream, ev.length)
		}
	case http2.FrameRSTStream:
		s := rc.stream(ev.stream)
		s.reset, s.code = true, ev.code
		s.order = append(s.order, "rst:"+ev.code.String())
	case http2.FrameGoAway:
		e := ev
		rc.goAway = &e
	case http2.FrameWindowUpdate:
		if ev.stream == 0 {
			rc.connWU += int64(ev.incr)
		} else {
			rc.stream(ev.stream).wu += int64(ev.incr)
		}
	case http2.FramePing:
		if ev.flags.Has(http2.FlagPingAck) {
			rc.pingAcks++
		}
	case http2.FrameSettings:
		if !ev.flags.Has(http2.FlagSettingsAck) {
			rc.settingsSeen = true
			if err := rc.fr.WriteSettingsAck(); err != nil && !rc.closed {
				t.Fatal(err)
			}
		}
	}
	if rc.afterEvent != nil {
		rc.afterEvent(ev)
	}
}

// until handles frames until cond holds, failing the test after guard or when the connection
// ends first.
func (rc *rawConn) until(what string, cond func() bool) {
	rc.t.Helper()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for !cond() {
		if rc.closed {
			rc.t.Fatalf("the connection ended (%v) before %s", rc.closeErr, what)
		}
		select {
		case ev, ok := <-rc.events:
			if !ok {
				rc.closed = true
				continue
			}
			rc.handle(ev)
		case <-timer.C:
			rc.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// quiet handles the frames that come within d and fails the test if bad becomes true. It is
// how a test shows that something does not happen: a correct server passes whatever d is.
func (rc *rawConn) quiet(d time.Duration, what string, bad func() bool) {
	rc.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if bad() {
			rc.t.Fatalf("%s", what)
		}
		select {
		case ev, ok := <-rc.events:
			if !ok {
				rc.closed = true
				rc.t.Fatalf("the connection ended while checking that %s does not happen", what)
			}
			rc.handle(ev)
		case <-timer.C:
			return
		}
	}
}

// block HPACK-encodes kv (name, value pairs) with the connection's encoder.
func (rc *rawConn) block(kv ...string) []byte {
	rc.encBuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := rc.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]}); err != nil {
			rc.t.Fatal(err)
		}
	}
	return append([]byte(nil), rc.encBuf.Bytes()...)
}

// headers sends one HEADERS frame (END_HEADERS) for id.
func (rc *rawConn) headers(id uint32, end bool, kv ...string) {
	rc.t.Helper()
	if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: rc.block(kv...), EndStream: end, EndHeaders: true}); err != nil {
		rc.t.Fatal(err)
	}
}

// req is the pseudo-header fields of a request for path, then extra.
func req(method, path string, extra ...string) []string {
	return append([]string{":method", method, ":scheme", "https", ":authority", "example.test", ":path", path}, extra...)
}

// get sends a GET for path on id (END_STREAM).
func (rc *rawConn) get(id uint32, path string, extra ...string) {
	rc.t.Helper()
	rc.headers(id, true, req("GET", path, extra...)...)
}

func (rc *rawConn) data(id uint32, p []byte, end bool) {
	rc.t.Helper()
	if err := rc.fr.WriteData(id, end, p); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) windowUpdate(id, n uint32) {
	rc.t.Helper()
	if err := rc.fr.WriteWindowUpdate(id, n); err != nil && !rc.closed {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) rst(id uint32, code http2.ErrCode) {
	rc.t.Helper()
	if err := rc.fr.WriteRSTStream(id, code); err != nil {
		rc.t.Fatal(err)
	}
}

// ping sends a PING and waits for its ACK: the server's loop has handled every frame sent
// before it.
func (rc *rawConn) ping() {
	rc.t.Helper()
	want := rc.pingAcks + 1
	if err := rc.fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8}); err != nil {
		rc.t.Fatal(err)
	}
	rc.until("a PING ACK", func() bool { return rc.pingAcks >= want })
}

// waitDone waits until every stream in ids has ended or been reset.
func (rc *rawConn) waitDone(ids ...uint32) {
	rc.t.Helper()
	for _, id := range ids {
		s := rc.stream(id)
		rc.until(fmt.Sprintf("stream %d to end", id), s.done)
	}
}

// wantAnswer checks that stream id was answered status with body, END_STREAM and no reset.
func (rc *rawConn) wantAnswer(id uint32, status, body string) {
	rc.t.Helper()
	rc.waitDone(id)
	s := rc.stream(id)
	if s.reset || s.status() != status || s.body.String() != body {
		rc.t.Fatalf("stream %d: status %q body %q frames %v; want %s %q", id, s.status(), trim(s.body.String()), s.order, status, trim(body))
	}
}

func trim(s string) string {
	if len(s) > 64 {
		return s[:64] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

// lowerNames reports the first field name with an upper-case letter, or "".
func lowerNames(fs []hpack.HeaderField) string {
	for _, f := range fs {
		if f.Name != strings.ToLower(f.Name) {
			return f.Name
		}
	}
	return ""
}

// ---- 1. Answers --------------------------------------------------------------------------

// hitRoutes answers /hit with a body and fields that include HTTP/1.1 connection-specific ones,
// and /status?code=N with status N and a body (which must not be sent for 204 and 304).
func hitRoutes() map[string]func(*fasthttp.RequestCtx) {
	return map[string]func(*fasthttp.RequestCtx){
		"/hit": func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("text/plain")
			ctx.Response.Header.Set("X-Custom-Header", "v1")
			ctx.Response.Header.Set("Cache-Control", "max-age=60")
			ctx.Response.Header.Set("Connection", "close")
			ctx.Response.Header.Set("Keep-Alive", "timeout=5")
			ctx.Response.Header.Set("Upgrade", "h2c")
			ctx.Response.Header.Set("Transfer-Encoding", "chunked")
			ctx.SetBodyString("hello, world")
		},
		"/status": func(ctx *fasthttp.RequestCtx) {
			ctx.SetStatusCode(ctx.QueryArgs().GetUintOrZero("code"))
			ctx.Response.Header.Set("X-Status", "set")
			ctx.SetBodyString("must not be sent")
		},
		"/fast": fast,
	}
}

// TestAnswers proves that an answer's status, fields and body arrive as HTTP/2 wants them: field
// names in lower case, no connection-specific field (Connection, Keep-Alive, Upgrade,
// Transfer-Encoding) even when the handler set one, one content-length equal to the body's
// length; HEAD gets the fields and no DATA; 204 and 304 get neither DATA nor content-length.
func TestAnswers(t *testing.T) {
	ts := startServer(t, h2.Config{}, &handler{routes: hitRoutes()})
	tests := []struct {
		name, method, path string
		status             string
		body               string
		contentLength      string // "" for none
		field, value       string
	}{
		{"GET hit", "GET", "/hit", "200", "hello, world", "12", "x-custom-header", "v1"},
		{"HEAD", "HEAD", "/hit", "200", "", "12", "cache-control", "max-age=60"},
		{"204", "GET", "/status?code=204", "204", "", "", "x-status", "set"},
		{"304", "GET", "/status?code=304", "304", "", "", "x-status", "set"},
		{"404 with body", "GET", "/status?code=404", "404", "must not be sent", "16", "x-status", "set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.headers(1, true, req(tt.method, tt.path)...)
			rc.waitDone(1)
			s := rc.stream(1)
			if s.reset || !s.ended {
				t.Fatalf("stream not ended cleanly: %v", s.order)
			}
			if len(s.heads) != 1 {
				t.Fatalf("%d header blocks, want 1: %v", len(s.heads), s.order)
			}
			fs := s.heads[0]
			if got := s.status(); got != tt.status {
				t.Errorf(":status %q, want %q", got, tt.status)
			}
			if n := lowerNames(fs); n != "" {
				t.Errorf("field name %q is not lower case", n)
			}
			for _, n := range []string{"connection", "keep-alive", "upgrade", "transfer-encoding", "proxy-connection"} {
				if count(fs, n) != 0 {
					t.Errorf("connection-specific field %q sent: %v", n, fs)
				}
			}
			if c := count(fs, "content-length"); tt.contentLength == "" && c != 0 || tt.contentLength != "" && c != 1 {
				t.Errorf("%d content-length fields: %v", c, fs)
			}
			if got := get(fs, "content-length"); got != tt.contentLength {
				t.Errorf("content-length %q, want %q", got, tt.contentLength)
			}
			if got := get(fs, tt.field); got != tt.value {
				t.Errorf("%s %q, want %q", tt.field, got, tt.value)
			}
			if got := s.body.String(); got != tt.body {
				t.Errorf("body %q, want %q", got, tt.body)
			}
			if tt.body == "" && strings.Contains(strings.Join(s.order, " "), "data") {
				t.Errorf("DATA sent for an answer without a body: %v", s.order)
			}
		})
	}

	// The same through golang.org/x/net/http2's client.
	t.Run("x/net client", func(t *testing.T) {
		cl := h2cClient(t)
		for _, method := range []string{"GET", "HEAD"} {
			r, _ := http.NewRequest(method, "http://"+ts.addr+"/hit", nil)
			resp, err := cl.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := "hello, world"
			if method == "HEAD" {
				want = ""
			}
			if resp.StatusCode != 200 || resp.ProtoMajor != 2 || string(b) != want || resp.ContentLength != 12 ||
				resp.Header.Get("X-Custom-Header") != "v1" || resp.Header.Get("Connection") != "" || len(resp.TransferEncoding) != 0 {
				t.Errorf("%s: %s proto %d body %q length %d header %v te %v", method, resp.Status, resp.ProtoMajor, b, resp.ContentLength, resp.Header, resp.TransferEncoding)
			}
		}
	})
}

// ---- 2. Request conversion ---------------------------------------------------------------

// TestRequestConversion proves what the handler sees of an HTTP/2 request: the method, the path
// with its query, Host from :authority (or from the host field when :authority is absent), the
// cookie fields joined into one "Cookie: a=1; b=2", and the other fields as they were sent.
func TestRequestConversion(t *testing.T) {
	h := &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/echo": func(ctx *fasthttp.RequestCtx) {
			fmt.Fprintf(ctx, "method=%s\nuri=%s\nhost=%s\ncookie=%s\ncookies=%d\na=%s\nb=%s\nx-foo=%s\nua=%s\nq=%s\n",
				ctx.Method(), ctx.RequestURI(), ctx.Host(), ctx.Request.Header.Peek("Cookie"),
				len(ctx.Request.Header.PeekAll("Cookie")), ctx.Request.Header.Cookie("a"), ctx.Request.Header.Cookie("b"),
				ctx.Request.Header.Peek("X-Foo"), ctx.UserAgent(), ctx.QueryArgs().Peek("q"))
		},
	}}
	ts := startServer(t, h2.Config{}, h)
	tests := []struct {
		name   string
		fields []string
		want   []string
	}{
		{
			name: "authority, query, cookies",
			fields: []string{":method", "GET", ":scheme", "https", ":authority", "a.example:8443", ":path", "/echo?q=1&r=two",
				"cookie", "a=1", "x-foo", "bar", "cookie", "b=2", "user-agent", "raw/1"},
			want: []string{"method=GET", "uri=/echo?q=1&r=two", "host=a.example:8443", "cookie=a=1; b=2", "cookies=1",
				"a=1", "b=2", "x-foo=bar", "ua=raw/1", "q=1"},
		},
		{
			name:   "host field without :authority",
			fields: []string{":method", "GET", ":scheme", "http", ":path", "/echo", "host", "h.example", "x-foo", "baz"},
			want:   []string{"method=GET", "uri=/echo", "host=h.example", "cookie=", "x-foo=baz"},
		},
		{
			name:   "host field equal to :authority",
			fields: []string{":method", "DELETE", ":scheme", "https", ":authority", "same.example", ":path", "/echo?q=", "host", "same.example"},
			want:   []string{"method=DELETE", "uri=/echo?q=", "host=same.example"},
		},
		{
			name:   "te trailers is allowed",
			fields: []string{":method", "OPTIONS", ":scheme", "https", ":authority", "t.example", ":path", "/echo", "te", "trailers", "cookie", "only=1"},
			want:   []string{"method=OPTIONS", "host=t.example", "cookie=only=1", "cookies=1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.headers(1, true, tt.fields...)
			rc.waitDone(1)
			s := rc.stream(1)
			if s.status() != "200" {
				t.Fatalf("status %q, frames %v", s.status(), s.order)
			}
			lines := strings.Split(s.body.String(), "\n")
			for _, w := range tt.want {
				if !contains(lines, w) {
					t.Errorf("handler saw %q; want a line %q", s.body.String(), w)
				}
			}
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// ---- 3. Malformed requests ---------------------------------------------------------------

// sinkRoutes: /sink reads the whole request body and answers its length; /fast answers "ok".
func sinkRoutes() map[string]func(*fasthttp.RequestCtx) {
	return map[string]func(*fasthttp.RequestCtx){
		"/sink": func(ctx *fasthttp.RequestCtx) {
			n, err := io.Copy(io.Discard, ctx.RequestBodyStream())
			if err != nil {
				ctx.SetStatusCode(fasthttp.StatusBadRequest)
			}
			fmt.Fprintf(ctx, "%d", n)
		},
		"/fast": fast,
	}
}

// TestMalformedRequestsAreReset proves that malformed requests (RFC 9113 §8.1.1, §8.2, §8.3) are
// reset with PROTOCOL_ERROR and never answered, and that the connection goes on: a good request
// on the next stream is answered.
func TestMalformedRequestsAreReset(t *testing.T) {
	ts := startServer(t, h2.Config{}, &handler{routes: sinkRoutes()})
	tests := []struct {
		name   string
		fields []string
		end    bool     // END_STREAM on HEADERS
		data   []string // DATA frames, the last with END_STREAM
	}{
		{"missing :path", []string{":method", "GET", ":scheme", "https", ":authority", "a.example"}, true, nil},
		{"missing :method", []string{":scheme", "https", ":authority", "a.example", ":path", "/fast"}, true, nil},
		{"missing :scheme", []string{":method", "GET", ":authority", "a.example", ":path", "/fast"}, true, nil},
		{"connection: close", req("GET", "/fast", "connection", "close"), true, nil},
		{"keep-alive", req("GET", "/fast", "keep-alive", "timeout=5"), true, nil},
		{"transfer-encoding", req("POST", "/sink", "transfer-encoding", "chunked"), false, []string{"x"}},
		{"upgrade", req("GET", "/fast", "upgrade", "websocket"), true, nil},
		{"te: gzip", req("GET", "/fast", "te", "gzip"), true, nil},
		{":authority and host disagree", req("GET", "/fast", "host", "other.example"), true, nil},
		{":status in a request", req("GET", "/fast", ":status", "200"), true, nil},
		{"upper-case field name", req("GET", "/fast", "X-Upper", "1"), true, nil},
		{"content-length 5 with END_STREAM on HEADERS", req("POST", "/sink", "content-length", "5"), true, nil},
		{"bad content-length", req("POST", "/sink", "content-length", "five"), false, []string{"five!"}},
		{"two content-lengths", req("POST", "/sink", "content-length", "5", "content-length", "6"), false, []string{"hello"}},
		{"content-length above the DATA", req("POST", "/sink", "content-length", "5"), false, []string{"abc"}},
		{"content-length below the DATA", req("POST", "/sink", "content-length", "2"), false, []string{"abc"}},
		{"content-length below the DATA, split", req("POST", "/sink", "content-length", "4"), false, []string{"abc", "de"}},
		// Pseudo-header values are spliced into the request line and Host of the head the
		// handler parses: a space would change how it splits.
		{"space in :path", req("GET", "/fast HTTP/1.0"), true, nil},
		{"tab in :path", req("GET", "/fa\tst"), true, nil},
		{":path not absolute", req("GET", "fast"), true, nil},
		{"space in :method", req("GET /fast", "/fast"), true, nil},
		{"empty :method token", req("G(T", "/fast"), true, nil},
		{"space in :authority", []string{":method", "GET", ":scheme", "https", ":authority", "a.example x", ":path", "/fast"}, true, nil},
		{"* for GET", req("GET", "*"), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.headers(1, tt.end, tt.fields...)
			for i, d := range tt.data {
				rc.data(1, []byte(d), i == len(tt.data)-1)
			}
			rc.get(3, "/fast")
			rc.waitDone(1, 3)
			s := rc.stream(1)
			// DATA the client sent after the reset may be answered RST_STREAM STREAM_CLOSED
			// too; the first frame must be the PROTOCOL_ERROR reset, and no answer.
			if !s.reset || len(s.order) == 0 || s.order[0] != "rst:PROTOCOL_ERROR" || len(s.heads) != 0 || s.body.Len() != 0 {
				t.Errorf("malformed stream: frames %v; want RST_STREAM PROTOCOL_ERROR and no answer", s.order)
			}
			rc.wantAnswer(3, "200", "ok")
			if rc.goAway != nil {
				t.Errorf("GOAWAY %v for a stream error", rc.goAway.code)
			}
		})
	}
}

// ---- 4. Request bodies ---------------------------------------------------------------------

// shaRoute reads the request body from RequestBodyStream and answers its length, SHA-256 and
// the Content-Length the handler saw.
func shaRoute(ctx *fasthttp.RequestCtx) {
	h := sha256.New()
	n, err := io.Copy(h, ctx.RequestBodyStream())
	if err != nil {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		fmt.Fprintf(ctx, "read %d: %v", n, err)
		return
	}
	fmt.Fprintf(ctx, "%d %x %d", n, h.Sum(nil), ctx.Request.Header.ContentLength())
}

// onlyReader hides every method but Read (so that the client does not know the length).
type onlyReader struct{ io.Reader }

// TestRequestBody proves that a 3 MiB request body, larger than both the stream's (256 KiB) and
// the connection's (1 MiB) receive windows, reaches the handler intact through the flow-control
// windows, with a declared length and without one.
func TestRequestBody(t *testing.T) {
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){"/sha": shaRoute}})
	body := pattern(3 << 20)
	sum := sha256.Sum256(body)
	tests := []struct {
		name   string
		body   io.Reader
		length int64
		wantCL int
	}{
		{"content-length", bytes.NewReader(body), int64(len(body)), len(body)},
		{"unknown length", onlyReader{bytes.NewReader(body)}, -1, -1},
	}
	cl := h2cClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "http://"+ts.addr+"/sha", tt.body)
			r.ContentLength = tt.length
			resp, err := cl.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := fmt.Sprintf("%d %x %d", len(body), sum, tt.wantCL)
			if resp.StatusCode != 200 || string(b) != want {
				t.Fatalf("%s %q, want %q", resp.Status, b, want)
			}
		})
	}
}

// TestExpectContinue proves that a request with "expect: 100-continue" gets a 100 (a HEADERS
// without END_STREAM) when the handler starts reading, before the client sent any body byte,
// and then its final answer.
func TestExpectContinue(t *testing.T) {
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){"/sha": shaRoute}})
	rc := dialRaw(t, ts.addr)
	rc.headers(1, false, req("POST", "/sha", "content-length", "5", "expect", "100-continue")...)
	s := rc.stream(1)
	rc.until("the 100", func() bool { return len(s.heads) > 0 || s.done() })
	if got := get(s.heads[0], ":status"); got != "100" || s.ended || s.reset {
		t.Fatalf("first answer %q, frames %v; want a 100", got, s.order)
	}
	rc.data(1, []byte("hello"), true)
	sum := sha256.Sum256([]byte("hello"))
	rc.wantAnswer(1, "200", fmt.Sprintf("5 %x 5", sum))
	if len(s.heads) != 2 {
		t.Errorf("header blocks %v, want the 100 and the 200", s.order)
	}
}

// ---- 5. Flow control of answers ----------------------------------------------------------

// TestFlowControlOfAnswers proves that an answer larger than the client's windows (stream window
// 1 byte from SETTINGS_INITIAL_WINDOW_SIZE, connection window 65,535) is sent only as the client
// opens the windows: at no point does the client hold more DATA than it allowed, on the stream
// or on the connection. While that answer waits, another request of the same connection is
// answered (the loop is not blocked), and in the end the whole body arrives byte-exact.
func TestFlowControlOfAnswers(t *testing.T) {
	big := pattern(100 << 10)
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/big":  func(ctx *fasthttp.RequestCtx) { ctx.SetBody(big) },
		"/fast": fast,
	}})
	rc := dialRaw(t, ts.addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1})
	streamGrant, connGrant := int64(1), int64(65535)
	s1 := rc.stream(1)
	rc.afterEvent = func(ev event) {
		if ev.typ != http2.FrameData {
			return
		}
		if int64(s1.body.Len()) > streamGrant {
			t.Fatalf("stream 1 got %d bytes with a window of %d", s1.body.Len(), streamGrant)
		}
		if rc.dataTotal > connGrant+3 { // +3: the /fast answer below was given its own 100 bytes of stream window
			t.Fatalf("connection got %d bytes with a window of %d", rc.dataTotal, connGrant)
		}
	}
	rc.get(1, "/big")
	rc.until("the first byte of /big", func() bool { return s1.body.Len() >= 1 || s1.done() })
	if s1.status() != "200" || get(s1.final(), "content-length") != "102400" || s1.done() {
		t.Fatalf("/big: status %q fields %v frames %v", s1.status(), s1.final(), s1.order)
	}

	// The answer is stalled; the connection still serves.
	rc.get(3, "/fast")
	rc.windowUpdate(3, 100)
	rc.wantAnswer(3, "200", "ok")
	if s1.body.Len() != 1 || s1.done() {
		t.Fatalf("/big moved without window: %d bytes, %v", s1.body.Len(), s1.order)
	}
	connGrant -= 2 // the /fast answer's 2 bytes used the connection's window

	const chunk = 7000
	for s1.body.Len() < len(big) {
		rc.windowUpdate(1, chunk)
		rc.windowUpdate(0, chunk)
		streamGrant += chunk
		connGrant += chunk
		want := min(int64(len(big)), streamGrant)
		rc.until(fmt.Sprintf("/big to reach %d bytes", want), func() bool { return int64(s1.body.Len()) >= want || s1.reset })
	}
	rc.until("/big to end", s1.done)
	if s1.reset || !bytes.Equal(s1.body.Bytes(), big) {
		t.Fatalf("/big: %d bytes, equal %v, frames end %v", s1.body.Len(), bytes.Equal(s1.body.Bytes(), big), s1.order[len(s1.order)-1])
	}
}

// ---- 6. Detach ----------------------------------------------------------------------------

// TestDetachLetsOtherStreamsGoOn proves that a handler that calls Detach and then blocks does
// not hold up the connection: requests sent after it on the same connection are answered while
// it blocks, and it completes with its own answer once released.
func TestDetachLetsOtherStreamsGoOn(t *testing.T) {
	gate := make(chan struct{})
	started := make(chan uint32, 8)
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/slow": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			started <- stream(ctx).ID()
			<-gate
			ctx.SetBodyString("slow")
		},
		"/fast": fast,
	}})
	defer close(gate)
	rc := dialRaw(t, ts.addr)
	rc.get(1, "/slow")
	if id := recv(t, started, "/slow to start"); id != 1 {
		t.Fatalf("stream %d started, want 1", id)
	}
	for id := uint32(3); id <= 9; id += 2 {
		rc.get(id, "/fast")
		rc.wantAnswer(id, "200", "ok")
	}
	if rc.stream(1).done() || len(rc.stream(1).heads) != 0 {
		t.Fatalf("/slow answered before it was released: %v", rc.stream(1).order)
	}
	gate <- struct{}{} // release it
	rc.wantAnswer(1, "200", "slow")
}

// TestDetachRefusedAtLimit proves that Detach is a no-op once MaxConcurrentStreams handlers
// run off the loop: with 4 /slow handlers detached and blocked (their streams reset by the
// client, so that they no longer count as open streams and a 5th stream is not refused), a 5th
// /slow runs on the loop, so a /fast (and a PING) sent after it are not handled until the slow
// ones are released. The /fast handler records whether the gate was already open when it ran;
// a server whose Detach started a fifth loop would run it (and answer it) while the gate is
// shut.
func TestDetachRefusedAtLimit(t *testing.T) {
	gate := make(chan struct{})
	started := make(chan uint32, 8)
	var fastRan, fastSawOpenGate atomic.Bool
	ts := startServer(t, h2.Config{MaxConcurrentStreams: 4}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/slow": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			started <- stream(ctx).ID()
			<-gate
			ctx.SetBodyString("slow")
		},
		"/fast": func(ctx *fasthttp.RequestCtx) {
			fastSawOpenGate.Store(isClosed(gate))
			fastRan.Store(true)
			fast(ctx)
		},
	}})
	released := false
	defer func() {
		if !released {
			close(gate)
		}
	}()
	rc := dialRaw(t, ts.addr)
	for id := uint32(1); id <= 9; id += 2 {
		rc.get(id, "/slow")
		recv(t, started, fmt.Sprintf("/slow on stream %d to start", id))
		if id < 9 {
			rc.rst(id, http2.ErrCodeCancel)
		}
	}
	// 5 handlers are blocked now, the 5th (stream 9, not reset) on the loop.
	rc.get(11, "/fast")
	acks := rc.pingAcks
	if err := rc.fr.WritePing(false, [8]byte{9}); err != nil {
		t.Fatal(err)
	}
	rc.quiet(200*time.Millisecond, "a request sent after the 5th /slow was handled while the 5th blocked the loop",
		func() bool { return fastRan.Load() || rc.stream(11).done() || rc.pingAcks > acks })
	close(gate)
	released = true
	rc.wantAnswer(9, "200", "slow")
	rc.wantAnswer(11, "200", "ok")
	for id := uint32(1); id < 9; id += 2 {
		if s := rc.stream(id); len(s.heads) != 0 {
			t.Errorf("stream %d was reset by the client but answered: %v", id, s.order)
		}
	}
	rc.until("the PING ACK", func() bool { return rc.pingAcks > acks })
	if !fastSawOpenGate.Load() {
		t.Fatal("/fast ran before the slow handlers were released")
	}
}

// ---- 7. Concurrency limit ------------------------------------------------------------------

// TestConcurrencyLimitRefusesStreams proves that streams beyond MaxConcurrentStreams are refused
// with REFUSED_STREAM while the open ones wait for their bodies, that the open ones are then
// answered, and that a stream opened after they closed is served.
func TestConcurrencyLimitRefusesStreams(t *testing.T) {
	ts := startServer(t, h2.Config{MaxConcurrentStreams: 4}, &handler{routes: sinkRoutes()})
	rc := dialRaw(t, ts.addr)
	if s, ok := settingOf(t, ts.addr, http2.SettingMaxConcurrentStreams); !ok || s != 4 {
		t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS %d (%v), want 4", s, ok)
	}
	for id := uint32(1); id <= 7; id += 2 {
		rc.headers(id, false, req("POST", "/sink")...)
	}
	for id := uint32(9); id <= 13; id += 2 {
		rc.headers(id, false, req("POST", "/sink")...)
		rc.until(fmt.Sprintf("stream %d to be refused", id), rc.stream(id).done)
		if s := rc.stream(id); !s.reset || s.code != http2.ErrCodeRefusedStream {
			t.Fatalf("stream %d over the limit: %v; want RST_STREAM REFUSED_STREAM", id, s.order)
		}
	}
	for id := uint32(1); id <= 7; id += 2 {
		if rc.stream(id).done() {
			t.Fatalf("stream %d ended before its body: %v", id, rc.stream(id).order)
		}
		rc.data(id, []byte("abc"), true)
	}
	for id := uint32(1); id <= 7; id += 2 {
		rc.wantAnswer(id, "200", "3")
	}
	rc.headers(15, false, req("POST", "/sink")...)
	rc.data(15, []byte("hello"), true)
	rc.wantAnswer(15, "200", "5")
}

// settingOf opens a connection and returns the value of the server's SETTINGS id.
func settingOf(t *testing.T, addr string, id http2.SettingID) (uint32, bool) {
	c, err := net.DialTimeout("tcp", addr, guard)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(guard))
	fr := http2.NewFramer(nil, c)
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	return sf.Value(id)
}

// ---- 8. Rapid reset -------------------------------------------------------------------------

// TestRapidReset proves that 2,000 streams each opened (to a handler that detaches and blocks)
// and reset at once cannot pile up handlers (RFC 9113 §10.5, CVE-2023-44487): at most
// MaxConcurrentStreams handlers run detached plus the one that then blocks the loop (so
// MaxConcurrentStreams+1 at once, as Detach's contract says), the connection stops reading
// meanwhile, everything drains once they are released, the connection still answers, and the
// server's count of running handlers came back down (4 handlers can detach again).
func TestRapidReset(t *testing.T) {
	const max = 4
	var active, maxActive, entered atomic.Int64
	gate, gate2 := make(chan struct{}), make(chan struct{})
	started := make(chan struct{}, 4096)
	exited := make(chan struct{}, 4096)
	started2 := make(chan struct{}, 16)
	ts := startServer(t, h2.Config{MaxConcurrentStreams: max}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/slow": func(ctx *fasthttp.RequestCtx) {
			n := active.Add(1)
			entered.Add(1)
			for m := maxActive.Load(); n > m && !maxActive.CompareAndSwap(m, n); m = maxActive.Load() {
			}
			stream(ctx).Detach()
			started <- struct{}{}
			<-gate
			active.Add(-1)
			exited <- struct{}{}
			ctx.SetBodyString("slow")
		},
		"/hold": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			started2 <- struct{}{}
			<-gate2
			ctx.SetBodyString("held")
		},
		"/fast": fast,
	}})
	var closeOnce, closeOnce2 sync.Once
	release := func() { closeOnce.Do(func() { close(gate) }) }
	release2 := func() { closeOnce2.Do(func() { close(gate2) }) }
	defer release()
	defer release2()

	rc := dialRaw(t, ts.addr)
	var flood bytes.Buffer
	ff := http2.NewFramer(&flood, nil)
	const n = 2000
	for i := 0; i < n; i++ {
		id := uint32(2*i + 1)
		_ = ff.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: rc.block(req("GET", "/slow")...), EndStream: true, EndHeaders: true})
		_ = ff.WriteRSTStream(id, http2.ErrCodeCancel)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := rc.c.Write(flood.Bytes())
		wrote <- err
	}()
	for i := 0; i < max+1; i++ {
		recv(t, started, "the first handlers to start")
	}
	// All max+1 are blocked now: max detached, one on the loop.
	if a := active.Load(); a != max+1 {
		t.Fatalf("%d handlers running, want %d", a, max+1)
	}
	release()
	if err := recv(t, wrote, "the flood to be written"); err != nil {
		t.Fatal(err)
	}
	rc.get(2*n+1, "/fast")
	rc.wantAnswer(2*n+1, "200", "ok")
	// The loop handled every HEADERS before /fast: entered is final. Wait for them all to end.
	total := entered.Load()
	for i := int64(0); i < total; i++ {
		recv(t, exited, "the handlers to end")
	}
	if m := maxActive.Load(); m > max+1 {
		t.Fatalf("%d handlers ran at once, want at most MaxConcurrentStreams+1 = %d", m, max+1)
	}
	if total <= max+1 {
		t.Fatalf("only %d handlers ran: the flood was not served", total)
	}
	if a := active.Load(); a != 0 {
		t.Fatalf("%d handlers still running", a)
	}
	t.Logf("%d of %d reset streams reached the handler; at most %d at once", total, n, maxActive.Load())

	// The server's own count drained: max handlers can detach again (their streams reset, so
	// that they do not count as open) and /fast goes past them; had the count leaked, the last
	// /hold would block the loop and /fast would never be answered.
	id := uint32(2*n + 3)
	for i := 0; i < max; i++ {
		rc.get(id, "/hold")
		recv(t, started2, "/hold to start")
		rc.rst(id, http2.ErrCodeCancel)
		id += 2
	}
	rc.get(id, "/fast")
	rc.wantAnswer(id, "200", "ok")
	release2()
}

// ---- 9. Shutdown ----------------------------------------------------------------------------

// TestShutdown proves that Shutdown sends a GOAWAY (NO_ERROR, naming the last stream taken),
// that streams opened after it are refused, that a detached request in flight is still answered
// in full, that Shutdown returns nil only after that (and the connection is closed), and that a
// connection handed to ServeConn after Shutdown is closed without a byte.
func TestShutdown(t *testing.T) {
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	body := pattern(200 << 10) // larger than the default windows: finished off the loop
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/slow": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			started <- struct{}{}
			<-gate
			ctx.SetBody(body)
		},
		"/fast": fast,
	}})
	released := false
	defer func() {
		if !released {
			close(gate)
		}
	}()
	rc := dialRaw(t, ts.addr)
	rc.autoWindow = true
	rc.get(1, "/slow")
	recv(t, started, "/slow to start")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	rc.until("the GOAWAY", func() bool { return rc.goAway != nil })
	if g := rc.goAway; g.code != http2.ErrCodeNo || g.last != 1 {
		t.Fatalf("GOAWAY %v last stream %d, want NO_ERROR and 1", g.code, g.last)
	}
	rc.get(3, "/fast")
	rc.until("stream 3 to be refused", rc.stream(3).done)
	if s := rc.stream(3); !s.reset || s.code != http2.ErrCodeRefusedStream {
		t.Fatalf("stream opened after the GOAWAY: %v, want RST_STREAM REFUSED_STREAM", s.order)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(gate)
	released = true
	rc.waitDone(1)
	if s := rc.stream(1); s.reset || s.status() != "200" || !bytes.Equal(s.body.Bytes(), body) {
		t.Fatalf("in-flight answer: status %q, %d bytes, frames %d", s.status(), s.body.Len(), len(s.order))
	}
	if err := recv(t, done, "Shutdown to return"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	rc.until("the connection to close", func() bool { return rc.closed })

	c, err := net.DialTimeout("tcp", ts.addr, guard)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, http2.ClientPreface)
	_ = c.SetReadDeadline(time.Now().Add(guard))
	n, err := c.Read(make([]byte, 64))
	if n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection after Shutdown read %d bytes, %v; want it closed at once", n, err)
	}
}

// ---- 10. Header size limits -------------------------------------------------------------

// incompressible is n bytes that HPACK's Huffman code does not shorten (every one of these
// characters has a code of 11 bits or more), so that the header block is as large as the list.
func incompressible(n, seed int) string {
	const chars = "<>{}^`~\\|"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[(i*7+seed)%len(chars)]
	}
	return string(b)
}

// TestHeaderListTooLarge proves that a header list over MaxHeaderListSize (4,096 here; 10 KiB
// of fields sent in one HEADERS frame, the fields Huffman-compressible or not) is answered 431
// without reaching the handler, with or without END_STREAM, and that the connection goes on
// (Config.MaxHeaderListSize: "a larger one is answered 431 without being held"; x/net's Framer
// accepts a fragment of up to twice both its budgets, 16 KiB here, before giving up on the
// connection).
func TestHeaderListTooLarge(t *testing.T) {
	var served atomic.Int32
	ts := startServer(t, h2.Config{MaxHeaderListSize: 4096}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/big":  func(ctx *fasthttp.RequestCtx) { served.Add(1); fast(ctx) },
		"/fast": fast,
	}})
	if v, ok := settingOf(t, ts.addr, http2.SettingMaxHeaderListSize); !ok || v != 4096 {
		t.Fatalf("SETTINGS_MAX_HEADER_LIST_SIZE %d (%v), want 4096", v, ok)
	}
	tests := []struct {
		name  string
		end   bool
		value func(i int) string
		split int // when not 0, the block is sent as a HEADERS of this many bytes and a CONTINUATION
	}{
		{"compressible, END_STREAM", true, func(i int) string { return strings.Repeat(string(rune('a'+i)), 1024) }, 0},
		{"compressible, body follows", false, func(i int) string { return strings.Repeat(string(rune('a'+i)), 1024) }, 0},
		{"incompressible, END_STREAM", true, func(i int) string { return incompressible(1024, i) }, 0},
		{"incompressible, body follows", false, func(i int) string { return incompressible(1024, i) }, 0},
		// 3.5 KiB of fields in the HEADERS leave about 500 bytes of the list's budget; the
		// CONTINUATION then brings the rest (about 6.8 KiB, the block's end). x/net's Framer
		// takes it (under twice both of its budgets) and answers 431.
		{"incompressible, in HEADERS and CONTINUATION", true, func(i int) string { return incompressible(1024, i) }, 3500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			fields := req("GET", "/big")
			for i := 0; i < 10; i++ {
				fields = append(fields, fmt.Sprintf("x-big-%d", i), tt.value(i))
			}
			if tt.split == 0 {
				rc.headers(1, tt.end, fields...)
			} else {
				b := rc.block(fields...)
				if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:tt.split], EndStream: tt.end}); err != nil {
					t.Fatal(err)
				}
				if err := rc.fr.WriteContinuation(1, true, b[tt.split:]); err != nil {
					t.Fatal(err)
				}
			}
			rc.until("an answer to stream 1", func() bool { return rc.stream(1).done() || rc.closed })
			if rc.closed {
				code := "none"
				if rc.goAway != nil {
					code = rc.goAway.code.String()
				}
				t.Fatalf("the connection was closed (GOAWAY %s) instead of a 431", code)
			}
			if s := rc.stream(1); s.status() != "431" || !s.ended {
				t.Fatalf("frames %v status %q, want a 431", s.order, s.status())
			}
			rc.get(3, "/fast")
			rc.wantAnswer(3, "200", "ok")
			if served.Load() != 0 {
				t.Fatal("the handler saw a header list over the limit")
			}
		})
	}
}

// TestHeadOverMaxRequestHead proves that a head larger than MaxRequestHead but within
// MaxHeaderListSize goes to Handler.ParseError with a *fasthttp.ErrSmallBuffer (on the loop for
// a request without a body, on its own goroutine for one with a body), whose answer is sent.
func TestHeadOverMaxRequestHead(t *testing.T) {
	errs := make(chan error, 4)
	var served atomic.Int32
	h := &handler{
		routes: map[string]func(*fasthttp.RequestCtx){
			"/x": func(ctx *fasthttp.RequestCtx) { served.Add(1); fast(ctx) },
		},
		parseError: func(ctx *fasthttp.RequestCtx, err error) {
			errs <- err
			ctx.SetStatusCode(fasthttp.StatusRequestHeaderFieldsTooLarge)
			ctx.SetBodyString("head too large")
		},
	}
	ts := startServer(t, h2.Config{MaxRequestHead: 1024}, h)
	for _, end := range []bool{true, false} {
		t.Run(fmt.Sprintf("END_STREAM=%v", end), func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.headers(1, end, req("POST", "/x", "x-big", strings.Repeat("b", 3000))...)
			if !end {
				rc.data(1, []byte("body"), true)
			}
			rc.wantAnswer(1, "431", "head too large")
			err := recv(t, errs, "ParseError")
			var sb *fasthttp.ErrSmallBuffer
			if !errors.As(err, &sb) {
				t.Fatalf("ParseError got %T %v, want *fasthttp.ErrSmallBuffer", err, err)
			}
			// Within MaxRequestHead, the same request is served.
			rc.headers(3, true, req("POST", "/x", "x-big", strings.Repeat("b", 500))...)
			rc.wantAnswer(3, "200", "ok")
			if served.Load() == 0 {
				t.Fatal("the request within MaxRequestHead was not served")
			}
			served.Store(0)
		})
	}
}

// ---- 11. Early hints and Cut ----------------------------------------------------------------

// TestEarlyHints proves that Stream.EarlyHints sends a 103 with the Link fields before the final
// answer, from a handler on the loop and from a detached one; the detached one's 103 leaves at
// once (the client has it while the handler still waits).
func TestEarlyHints(t *testing.T) {
	links := []string{"</a.css>; rel=preload; as=style", "</b.js>; rel=preload; as=script"}
	gate := make(chan struct{})
	var release sync.Once
	defer release.Do(func() { close(gate) })
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/hints": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).EarlyHints(links)
			ctx.SetBodyString("page")
		},
		"/hints-detached": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			stream(ctx).EarlyHints(links)
			<-gate
			ctx.SetBodyString("page")
		},
	}})
	for _, path := range []string{"/hints", "/hints-detached"} {
		t.Run(path, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.get(1, path)
			s := rc.stream(1)
			rc.until("the 103", func() bool { return len(s.heads) > 0 || s.done() })
			if path == "/hints-detached" {
				if s.done() || len(s.heads) != 1 {
					t.Fatalf("frames %v before the handler was released, want only the 103", s.order)
				}
				release.Do(func() { close(gate) })
			}
			rc.wantAnswer(1, "200", "page")
			if len(s.heads) != 2 || s.order[0] != "headers:103" || s.order[1] != "headers:200" {
				t.Fatalf("frames %v, want a 103 then the 200", s.order)
			}
			var got []string
			for _, f := range s.heads[0] {
				if f.Name == "link" {
					got = append(got, f.Value)
				}
			}
			if strings.Join(got, "|") != strings.Join(links, "|") {
				t.Fatalf("103 links %q, want %q", got, links)
			}
		})
	}
}

// TestCut proves that Stream.Cut makes the answer stop short: the status and fields, the partial
// bytes, then RST_STREAM INTERNAL_ERROR (no END_STREAM), whether the handler set the body or (as
// the edge does) SkipBody with the full Content-Length, on the loop or detached. A content-length
// sent with it must not claim less than the bytes that follow it.
func TestCut(t *testing.T) {
	full := pattern(1000)
	partial := full[:300]
	route := func(detach, skip bool) func(*fasthttp.RequestCtx) {
		return func(ctx *fasthttp.RequestCtx) {
			if detach {
				stream(ctx).Detach()
			}
			if skip {
				ctx.Response.Header.SetContentLength(len(full))
				ctx.Response.SkipBody = true
			} else {
				ctx.SetBody(full)
			}
			ctx.Response.Header.Set("X-Cut", "yes")
			stream(ctx).Cut(partial)
		}
	}
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/cut-body":            route(false, false),
		"/cut-body-detached":   route(true, false),
		"/cut-length":          route(false, true),
		"/cut-length-detached": route(true, true),
		"/fast":                fast,
	}})
	for _, path := range []string{"/cut-body", "/cut-body-detached", "/cut-length", "/cut-length-detached"} {
		t.Run(path, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.get(1, path)
			rc.waitDone(1)
			s := rc.stream(1)
			if s.status() != "200" || get(s.final(), "x-cut") != "yes" {
				t.Fatalf("head %v, frames %v", s.final(), s.order)
			}
			if !bytes.Equal(s.body.Bytes(), partial) {
				t.Fatalf("body %d bytes, want the %d partial ones", s.body.Len(), len(partial))
			}
			if s.ended || !s.reset || s.code != http2.ErrCodeInternal {
				t.Fatalf("frames %v, want the body then RST_STREAM INTERNAL_ERROR without END_STREAM", s.order)
			}
			if cl := get(s.final(), "content-length"); cl != "" && cl != strconv.Itoa(len(full)) {
				t.Errorf("content-length %q with %d bytes of DATA following (want none, or %d)", cl, len(partial), len(full))
			}
			rc.get(3, "/fast")
			rc.wantAnswer(3, "200", "ok")
		})
	}
}

// ---- 12. Body stream answers --------------------------------------------------------------

// chunkReader yields data in pieces of odd sizes, then err (io.EOF when nil).
type chunkReader struct {
	data  []byte
	piece int
	err   error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := min(len(p), r.piece, len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// TestBodyStreamAnswers proves that an answer read from a body stream (SetBodyStream) arrives
// whole, with an unknown length (no content-length) and a known one, on the loop and detached;
// and that a body stream that fails midway, or ends before its declared length, makes the stream
// end with RST_STREAM INTERNAL_ERROR after a prefix of the body (never END_STREAM).
func TestBodyStreamAnswers(t *testing.T) {
	body := pattern(200 << 10)
	tests := []struct {
		name     string
		size     int   // SetBodyStream's size
		give     int   // bytes the reader gives
		err      error // after them
		detach   bool
		wantCL   string
		complete bool
	}{
		{"unknown length", -1, len(body), nil, false, "", true},
		{"unknown length, detached", -1, len(body), nil, true, "", true},
		{"known length", len(body), len(body), nil, false, strconv.Itoa(len(body)), true},
		{"known length, detached", len(body), len(body), nil, true, strconv.Itoa(len(body)), true},
		{"reader fails midway", -1, 50 << 10, errors.New("origin went away"), false, "", false},
		{"reader fails midway, known length", len(body), 50 << 10, errors.New("origin went away"), true, strconv.Itoa(len(body)), false},
		{"reader shorter than declared", len(body), 50 << 10, nil, false, strconv.Itoa(len(body)), false},
	}
	routes := map[string]func(*fasthttp.RequestCtx){}
	for i, tt := range tests {
		routes[fmt.Sprintf("/s%d", i)] = func(ctx *fasthttp.RequestCtx) {
			if tt.detach {
				stream(ctx).Detach()
			}
			ctx.SetBodyStream(&chunkReader{data: body[:tt.give], piece: 777, err: tt.err}, tt.size)
		}
	}
	ts := startServer(t, h2.Config{}, &handler{routes: routes})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.autoWindow = true
			rc.get(1, fmt.Sprintf("/s%d", i))
			rc.waitDone(1)
			s := rc.stream(1)
			if s.status() != "200" || get(s.final(), "content-length") != tt.wantCL || count(s.final(), "transfer-encoding") != 0 {
				t.Fatalf("head %v", s.final())
			}
			if tt.complete {
				if !s.ended || s.reset || !bytes.Equal(s.body.Bytes(), body) {
					t.Fatalf("%d bytes (equal %v), frames end %v; want the whole body and END_STREAM", s.body.Len(), bytes.Equal(s.body.Bytes(), body), s.order[len(s.order)-1])
				}
				return
			}
			if s.ended || !s.reset || s.code != http2.ErrCodeInternal {
				t.Fatalf("frames end %v; want RST_STREAM INTERNAL_ERROR and no END_STREAM", s.order[max(0, len(s.order)-3):])
			}
			if s.body.Len() > tt.give || !bytes.Equal(s.body.Bytes(), body[:s.body.Len()]) {
				t.Fatalf("%d bytes, not a prefix of the %d given", s.body.Len(), tt.give)
			}
		})
	}
}

// ---- TLS ------------------------------------------------------------------------------------

// selfSigned is a certificate for 127.0.0.1, and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "h2 test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestIsTLS proves that ctx.IsTLS() tells the truth: true (with the negotiated protocol "h2" in
// TLSConnectionState) on a TLS connection that negotiated h2 by ALPN, false on a prior-knowledge
// h2c connection, as it is for HTTP/1.1 over TLS and over plain TCP; and that on both the
// handler finds its stream with h2.StreamOf and can Detach.
func TestIsTLS(t *testing.T) {
	route := map[string]func(*fasthttp.RequestCtx){
		"/tls": func(ctx *fasthttp.RequestCtx) {
			st, ok := h2.StreamOf(ctx.Conn())
			if !ok {
				ctx.SetStatusCode(fasthttp.StatusInternalServerError)
				fmt.Fprintf(ctx, "ctx.Conn() is a %T", ctx.Conn())
				return
			}
			st.Detach()
			proto := ""
			if cs := ctx.TLSConnectionState(); cs != nil {
				proto = cs.NegotiatedProtocol
			}
			fmt.Fprintf(ctx, "%v %q", ctx.IsTLS(), proto)
		},
	}
	cert, pool := selfSigned(t)
	srvTLS := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	tlsServer := startServerWrap(t, h2.Config{}, &handler{routes: route}, func(c net.Conn) net.Conn {
		tc := tls.Server(c, srvTLS)
		_ = tc.SetDeadline(time.Now().Add(guard))
		if err := tc.Handshake(); err != nil || tc.ConnectionState().NegotiatedProtocol != "h2" {
			c.Close()
			return nil
		}
		_ = tc.SetDeadline(time.Time{})
		return tc
	})
	plainServer := startServer(t, h2.Config{}, &handler{routes: route})
	tlsTr := &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}}}
	t.Cleanup(tlsTr.CloseIdleConnections)
	tests := []struct {
		name   string
		client *http.Client
		url    string
		want   string
	}{
		{"TLS, ALPN h2", &http.Client{Transport: tlsTr, Timeout: guard}, "https://" + tlsServer.addr + "/tls", `true "h2"`},
		{"h2c prior knowledge", h2cClient(t), "http://" + plainServer.addr + "/tls", `false ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.ProtoMajor != 2 || string(b) != tt.want {
				t.Fatalf("%s proto %d: IsTLS, protocol = %s; want %s", resp.Status, resp.ProtoMajor, b, tt.want)
			}
		})
	}
}

// ---- Flow control of request bodies -----------------------------------------------------

// TestUnreadBodyRefundsConnectionWindow proves that body bytes the server received and nobody
// read are given back to the connection's window when their stream closes (as x/net's server
// does, golang.org/issue/16481): otherwise each request answered without reading its body
// shrinks the connection's window for good, and after about 1 MiB of them no request body can
// be sent on the connection any more. Here a handler answers without reading a 256 KiB body
// that arrived whole (PING-synchronised); every byte must come back to the connection's window
// by the time the stream is closed and a later PING is answered.
func TestUnreadBodyRefundsConnectionWindow(t *testing.T) {
	gate := make(chan struct{})
	var release sync.Once
	defer release.Do(func() { close(gate) })
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/ignore": func(ctx *fasthttp.RequestCtx) {
			<-gate
			ctx.SetStatusCode(fasthttp.StatusForbidden)
			ctx.SetBodyString("no")
		},
	}})
	rc := dialRaw(t, ts.addr)
	rc.headers(1, false, req("POST", "/ignore")...)
	chunk := pattern(16 << 10)
	const sent = 256 << 10 // the stream's whole window
	for i := 0; i < sent/len(chunk); i++ {
		rc.data(1, chunk, false)
	}
	rc.ping() // the loop has put every byte in the stream's body
	release.Do(func() { close(gate) })
	rc.wantAnswer(1, "403", "no")
	rc.until("the RST_STREAM that refuses the rest of the body", func() bool { return rc.stream(1).reset })
	rc.ping()
	if rc.connWU != sent {
		t.Fatalf("the connection's window got %d of the %d body bytes back; %d are lost to it for good", rc.connWU, sent, sent-rc.connWU)
	}
}

// ---- Many connections -----------------------------------------------------------------------

// TestManyConnections proves that several connections served at once (their streams come from
// one pool) answer every request right, on the loop and through the off-loop writer, detached or
// not; under -race it also checks that a stream is not touched after it went back to the pool.
func TestManyConnections(t *testing.T) {
	big := pattern(100 << 10) // over the client's initial window: finished off the loop
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/fast": fast,
		"/big":  func(ctx *fasthttp.RequestCtx) { ctx.SetBody(big) },
		"/detach": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			fast(ctx)
		},
	}})
	const conns, workers, each = 6, 4, 60
	var wg sync.WaitGroup
	errs := make(chan error, conns*workers)
	for c := 0; c < conns; c++ {
		cl := h2cClient(t) // its own transport: its own connection
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					path, want := "/fast", []byte("ok")
					switch i % 3 {
					case 1:
						path, want = "/big", big
					case 2:
						path = "/detach"
					}
					resp, err := cl.Get("http://" + ts.addr + path)
					if err != nil {
						errs <- err
						return
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 || !bytes.Equal(b, want) {
						errs <- fmt.Errorf("%s: %s %d bytes %v", path, resp.Status, len(b), err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// ---- Timeouts -------------------------------------------------------------------------------

// TestSubSecondWriteTimeout proves that a WriteTimeout under a second still means "a write that
// takes longer": a connection that was quiet for a little more than WriteTimeout is answered,
// its answer written with a fresh deadline. (The wait is the quiet time under test, not a
// synchronisation.)
func TestSubSecondWriteTimeout(t *testing.T) {
	const wt = 200 * time.Millisecond
	ts := startServer(t, h2.Config{WriteTimeout: wt}, &handler{routes: map[string]func(*fasthttp.RequestCtx){"/fast": fast}})
	rc := dialRaw(t, ts.addr)
	rc.get(1, "/fast")
	rc.wantAnswer(1, "200", "ok")
	<-time.After(wt + 100*time.Millisecond) // quiet for longer than WriteTimeout, writing nothing
	rc.get(3, "/fast")
	rc.until("the second answer", func() bool { return rc.stream(3).done() || rc.closed })
	if rc.closed {
		t.Fatalf("the connection was closed (%v) instead of answering after %v of quiet", rc.closeErr, wt+100*time.Millisecond)
	}
	rc.wantAnswer(3, "200", "ok")
}

// ---- Write failures -------------------------------------------------------------------------

// TestWriteFailureEndsStreamsCleanly proves that when a connection's writes fail (the client
// stopped reading, WriteTimeout ran out) while two answers wait for window, both streams are
// forgotten by the connection before they go back to the pool: the one whose writer saw the
// failure first and the one that finds the connection already failed. A stream left in the
// connection's map after it was pooled is marked gone and has its body read by the connection's
// end (under -race, a data race with Stream.release), and another connection may by then be
// using it. Then the server goes on serving other connections.
func TestWriteFailureEndsStreamsCleanly(t *testing.T) {
	huge := pattern(16 << 20)
	ts := startServer(t, h2.Config{WriteTimeout: time.Second}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/huge": func(ctx *fasthttp.RequestCtx) { ctx.SetBody(huge) },
		"/fast": fast,
	}})
	c, err := net.DialTimeout("tcp", ts.addr, guard)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(64 << 10) // a small, fixed buffer: the server's writes block soon
	_ = c.SetDeadline(time.Now().Add(guard))
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	_, _ = io.WriteString(c, http2.ClientPreface)
	_ = fr.WriteSettings()
	for _, id := range []uint32{1, 3} {
		hb.Reset()
		for _, kv := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "a.example"}, {":path", "/huge"}} {
			_ = enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1]})
		}
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	// Read until both answers have started and the connection's 65,535-byte window is used up:
	// both then wait for window on their own goroutines.
	heads, data := 0, 0
	for heads < 2 || data < 65535 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading the answers' start: %v", err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			heads++
		case *http2.DataFrame:
			data += len(f.Data())
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		}
	}
	// Open every window wide, then read nothing more.
	_ = fr.WriteWindowUpdate(0, 1<<30)
	_ = fr.WriteWindowUpdate(1, 1<<30)
	_ = fr.WriteWindowUpdate(3, 1<<30)

	// The server's writes now block and fail within WriteTimeout (1 s) of the deadline it last
	// set (reading anything before would unblock them): wait twice that out. (The wait is the
	// timeout under test, not a synchronisation: had the writes not failed, the server would
	// not close the connection, and the drain below fails the test.)
	<-time.After(2 * time.Second)
	// The server closed the connection: what it had sent, then EOF or a reset.
	_ = c.SetReadDeadline(time.Now().Add(guard))
	if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server did not close a connection whose writes failed")
	}
	rc := dialRaw(t, ts.addr)
	for id := uint32(1); id <= 21; id += 2 {
		rc.get(id, "/fast")
		rc.wantAnswer(id, "200", "ok")
	}
}

// ---- Protocol errors --------------------------------------------------------------------

// TestProtocolErrors proves the server's answer to a client breaking the protocol: a connection
// error is a GOAWAY with the right code and the end of the connection; a stream error is an
// RST_STREAM with the right code, and the connection goes on (a later request is answered).
func TestProtocolErrors(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/fast": fast,
		"/wait": func(ctx *fasthttp.RequestCtx) { <-gate; fast(ctx) },
	}})
	big := make([]byte, 16<<10)
	tests := []struct {
		name   string
		send   func(rc *rawConn)
		conn   http2.ErrCode // GOAWAY code, for a connection error
		stream uint32        // else the stream reset
		code   http2.ErrCode // with this code
	}{
		{"HEADERS on an even stream", func(rc *rawConn) { rc.get(2, "/fast") }, http2.ErrCodeProtocol, 0, 0},
		{"stream ids going down", func(rc *rawConn) { rc.get(5, "/fast"); rc.get(3, "/fast") }, http2.ErrCodeProtocol, 0, 0},
		{"DATA on an idle stream", func(rc *rawConn) { rc.data(7, []byte("x"), true) }, http2.ErrCodeProtocol, 0, 0},
		{"WINDOW_UPDATE on an idle stream", func(rc *rawConn) { rc.windowUpdate(9, 1) }, http2.ErrCodeProtocol, 0, 0},
		{"RST_STREAM on an idle stream", func(rc *rawConn) { rc.rst(9, http2.ErrCodeCancel) }, http2.ErrCodeProtocol, 0, 0},
		{"connection window over 2^31-1", func(rc *rawConn) { rc.windowUpdate(0, 1<<31-1) }, http2.ErrCodeFlowControl, 0, 0},
		{"PUSH_PROMISE from a client", func(rc *rawConn) {
			_ = rc.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: rc.block(req("GET", "/")...), EndHeaders: true})
		}, http2.ErrCodeProtocol, 0, 0},
		{"INITIAL_WINDOW_SIZE over 2^31-1", func(rc *rawConn) {
			_ = rc.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})
		}, http2.ErrCodeFlowControl, 0, 0},
		{"undecodable header block", func(rc *rawConn) {
			_ = rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff}, EndStream: true, EndHeaders: true})
		}, http2.ErrCodeCompression, 0, 0},
		{"HEADERS whose padding is longer than the frame (its block can't be decoded)", func(rc *rawConn) {
			// Pad length 200 in a frame of 4 bytes: a stream error for the Framer, but HPACK's
			// state is lost with the block, so the connection ends (RFC 9113 §4.3).
			_ = rc.fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersPadded|http2.FlagHeadersEndHeaders|http2.FlagHeadersEndStream, 1, []byte{200, 0x82, 0x84, 0x86})
		}, http2.ErrCodeProtocol, 0, 0},
		{"a frame over SETTINGS_MAX_FRAME_SIZE", func(rc *rawConn) {
			_ = rc.fr.WriteRawFrame(http2.FrameData, 0, 1, make([]byte, 16<<10+1))
		}, http2.ErrCodeFrameSize, 0, 0},
		{"stream window over 2^31-1", func(rc *rawConn) {
			rc.headers(1, false, req("POST", "/wait")...)
			rc.windowUpdate(1, 1<<31-1)
		}, 0, 1, http2.ErrCodeFlowControl},
		{"DATA over the stream's window", func(rc *rawConn) {
			rc.headers(1, false, req("POST", "/wait")...)
			for i := 0; i < 16; i++ {
				rc.data(1, big, false)
			}
			rc.data(1, []byte("!"), false)
		}, 0, 1, http2.ErrCodeFlowControl},
		{"stream depends on itself", func(rc *rawConn) {
			_ = rc.fr.WritePriority(1, http2.PriorityParam{StreamDep: 1})
		}, 0, 1, http2.ErrCodeProtocol},
		{"HEADERS after the request ended", func(rc *rawConn) {
			rc.headers(1, false, req("POST", "/wait")...)
			rc.data(1, []byte("x"), true)
			rc.headers(1, true, "x-trailer", "late")
		}, 0, 1, http2.ErrCodeStreamClosed},
		{"trailers with a pseudo-field", func(rc *rawConn) {
			rc.headers(1, false, req("POST", "/wait")...)
			rc.headers(1, true, ":path", "/other")
		}, 0, 1, http2.ErrCodeProtocol},
		{"trailers without END_STREAM", func(rc *rawConn) {
			rc.headers(1, false, req("POST", "/wait")...)
			rc.headers(1, false, "x-trailer", "t")
		}, 0, 1, http2.ErrCodeProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			tt.send(rc)
			if tt.conn != 0 {
				rc.until("the GOAWAY", func() bool { return rc.goAway != nil })
				if rc.goAway.code != tt.conn {
					t.Fatalf("GOAWAY %v, want %v", rc.goAway.code, tt.conn)
				}
				rc.until("the connection to close", func() bool { return rc.closed })
				return
			}
			s := rc.stream(tt.stream)
			rc.until("the reset", func() bool { return s.reset })
			if s.code != tt.code {
				t.Fatalf("stream %d: %v, want RST_STREAM %v", tt.stream, s.order, tt.code)
			}
			rc.get(101, "/fast")
			rc.wantAnswer(101, "200", "ok")
			if rc.goAway != nil {
				t.Fatalf("GOAWAY %v after a stream error", rc.goAway.code)
			}
		})
	}
}

// TestBadPreface proves that a connection that does not start with the client preface, or
// whose first frame is not SETTINGS, gets a GOAWAY PROTOCOL_ERROR and is closed.
func TestBadPreface(t *testing.T) {
	ts := startServer(t, h2.Config{}, &handler{routes: hitRoutes()})
	var ping bytes.Buffer
	_ = http2.NewFramer(&ping, nil).WritePing(false, [8]byte{})
	tests := []struct {
		name  string
		bytes string
	}{
		{"HTTP/1.1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{"PING before SETTINGS", http2.ClientPreface + ping.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", ts.addr, guard)
			if err != nil {
				t.Fatal(err)
			}
			rc := newRawConn(t, c)
			if _, err := io.WriteString(c, tt.bytes); err != nil {
				t.Fatal(err)
			}
			rc.until("the GOAWAY", func() bool { return rc.goAway != nil })
			if rc.goAway.code != http2.ErrCodeProtocol {
				t.Fatalf("GOAWAY %v, want PROTOCOL_ERROR", rc.goAway.code)
			}
			rc.until("the connection to close", func() bool { return rc.closed })
		})
	}
}

// TestRequestTrailers proves that a request body ended by trailers (a HEADERS with END_STREAM)
// reaches the handler whole, with and without a declared length, and that trailers arriving
// before the declared length was sent are malformed.
func TestRequestTrailers(t *testing.T) {
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){"/sha": shaRoute}})
	sum := sha256.Sum256([]byte("hello"))
	tests := []struct {
		name  string
		extra []string
		data  string
		want  string // the answer's body, or "" for RST_STREAM PROTOCOL_ERROR
	}{
		{"no length", nil, "hello", fmt.Sprintf("5 %x -1", sum)},
		{"content-length", []string{"content-length", "5"}, "hello", fmt.Sprintf("5 %x 5", sum)},
		{"short of content-length", []string{"content-length", "6"}, "hello", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, ts.addr)
			rc.headers(1, false, req("POST", "/sha", tt.extra...)...)
			rc.data(1, []byte(tt.data), false)
			rc.headers(1, true, "x-checksum", "abc")
			if tt.want == "" {
				s := rc.stream(1)
				rc.until("the reset", s.done)
				if !s.reset || s.code != http2.ErrCodeProtocol || len(s.heads) != 0 {
					t.Fatalf("frames %v, want RST_STREAM PROTOCOL_ERROR", s.order)
				}
				return
			}
			rc.wantAnswer(1, "200", tt.want)
		})
	}
}

// ---- Idle timeout ---------------------------------------------------------------------------

// TestIdleTimeout proves that a connection with no stream open for IdleTimeout gets a GOAWAY
// NO_ERROR and is closed, while one whose only stream waits on its (detached) handler for
// longer than IdleTimeout is not, and is closed for idleness only after that stream is
// answered.
func TestIdleTimeout(t *testing.T) {
	const idle = 200 * time.Millisecond
	gate := make(chan struct{})
	var release sync.Once
	defer release.Do(func() { close(gate) })
	ts := startServer(t, h2.Config{IdleTimeout: idle}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/fast": fast,
		"/slow": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			<-gate
			ctx.SetBodyString("slow")
		},
	}})
	t.Run("idle", func(t *testing.T) {
		rc := dialRaw(t, ts.addr)
		rc.get(1, "/fast")
		rc.wantAnswer(1, "200", "ok")
		start := time.Now()
		rc.until("the GOAWAY", func() bool { return rc.goAway != nil })
		if rc.goAway.code != http2.ErrCodeNo || rc.goAway.last != 1 {
			t.Fatalf("GOAWAY %v last %d, want NO_ERROR, 1", rc.goAway.code, rc.goAway.last)
		}
		if d := time.Since(start); d < idle/2 {
			t.Fatalf("closed for idleness after %v, IdleTimeout is %v", d, idle)
		}
		rc.until("the connection to close", func() bool { return rc.closed })
	})
	t.Run("busy", func(t *testing.T) {
		rc := dialRaw(t, ts.addr)
		rc.get(1, "/slow")
		rc.quiet(3*idle, "the connection was closed for idleness while a stream was open", func() bool { return rc.goAway != nil })
		release.Do(func() { close(gate) })
		rc.wantAnswer(1, "200", "slow")
		rc.until("the GOAWAY once idle", func() bool { return rc.goAway != nil })
		rc.until("the connection to close", func() bool { return rc.closed })
	})
}

// ---- Sharing the connection -------------------------------------------------------------------

// TestBigAnswerSharesTheConnection proves that a large answer written from memory does not hold
// up the small ones requested after it on the same connection (RFC 9113 §5.3: streams share
// it): with the windows wide open, /small, asked right after a 4 MiB /big, ends before /big
// does, and both arrive whole.
func TestBigAnswerSharesTheConnection(t *testing.T) {
	big := pattern(4 << 20)
	ts := startServer(t, h2.Config{}, &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/big":   func(ctx *fasthttp.RequestCtx) { ctx.Response.SetBodyRaw(big) },
		"/small": fast,
	}})
	rc := dialRaw(t, ts.addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	rc.windowUpdate(0, 1<<30)
	s1, s3 := rc.stream(1), rc.stream(3)
	bigAtSmallEnd := -1
	rc.afterEvent = func(ev event) {
		if ev.stream == 3 && s3.ended && bigAtSmallEnd < 0 {
			bigAtSmallEnd = s1.body.Len()
		}
	}
	// Both requests in one write: the server reads them in one go.
	var batch bytes.Buffer
	fr := http2.NewFramer(&batch, nil)
	for _, r := range []struct {
		id   uint32
		path string
	}{{1, "/big"}, {3, "/small"}} {
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: r.id, BlockFragment: rc.block(req("GET", r.path)...), EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rc.c.Write(batch.Bytes()); err != nil {
		t.Fatal(err)
	}
	rc.until("both answers", func() bool { return s1.done() && s3.done() })
	if s1.reset || !bytes.Equal(s1.body.Bytes(), big) {
		t.Fatalf("/big: %d bytes, equal %v", s1.body.Len(), bytes.Equal(s1.body.Bytes(), big))
	}
	rc.wantAnswer(3, "200", "ok")
	if bigAtSmallEnd < 0 || bigAtSmallEnd >= len(big) {
		t.Fatalf("/small ended after %d of /big's %d bytes: the big answer held the connection", bigAtSmallEnd, len(big))
	}
	t.Logf("/small ended after %d KiB of /big's %d KiB", bigAtSmallEnd>>10, len(big)>>10)
}
