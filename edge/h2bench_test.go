package edge

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// scriptedConn is a client connection for the HTTP/2 benchmark: Read hands the server the
// client preface and SETTINGS, then batches of GET requests (10 HEADERS frames per Read, as
// h2load -m 10 sends them), each stream a new odd id, with a WINDOW_UPDATE now and then to keep
// the connection's window open; Write counts what the server answers. After n requests it reads
// EOF.
type scriptedConn struct {
	n, sent  int
	first    []byte // the HPACK block of the first request (literals indexed)
	block    []byte // the HPACK block of the others (the fields indexed, as h2load sends them)
	buf      bytes.Buffer
	written  int64
	prefaced bool
}

func (c *scriptedConn) Read(p []byte) (int, error) {
	if c.buf.Len() == 0 {
		if !c.prefaced {
			c.prefaced = true
			c.buf.WriteString(http2.ClientPreface)
			fr := http2.NewFramer(&c.buf, nil)
			_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
			_ = fr.WriteWindowUpdate(0, 1<<30)
		}
		for i := 0; i < 10 && c.sent < c.n; i++ {
			id := uint32(2*c.sent + 1)
			block := c.block
			if c.sent == 0 {
				block = c.first
			}
			var h [9]byte
			h[0], h[1], h[2] = byte(len(block)>>16), byte(len(block)>>8), byte(len(block))
			h[3] = byte(http2.FrameHeaders)
			h[4] = byte(http2.FlagHeadersEndHeaders | http2.FlagHeadersEndStream)
			binary.BigEndian.PutUint32(h[5:], id)
			c.buf.Write(h[:])
			c.buf.Write(block)
			c.sent++
			if c.sent%1000 == 0 {
				fr := http2.NewFramer(&c.buf, nil)
				_ = fr.WriteWindowUpdate(0, 1000*(1<<10+512))
			}
		}
		if c.buf.Len() == 0 {
			return 0, io.EOF
		}
	}
	return c.buf.Read(p)
}

func (c *scriptedConn) Write(p []byte) (int, error) { c.written += int64(len(p)); return len(p), nil }
func (c *scriptedConn) Close() error                { return nil }
func (c *scriptedConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443}
}
func (c *scriptedConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
}
func (c *scriptedConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }

// BenchmarkH2Hit is a 1 KiB hit over HTTP/2 through the whole connection loop of package h2 —
// frames read, HPACK decoded, the request given to fasthttp, Server.Handle, the answer HPACK
// encoded and framed — over an in-memory connection, ten requests per read. Beside
// BenchmarkHit/1KiB (the pipeline alone) it is what HTTP/2 costs per request.
func BenchmarkH2Hit(b *testing.B) {
	o := newTestOrigin(b)
	o.static("/obj", 200, map[string]string{"Content-Type": "application/octet-stream", "Cache-Control": "max-age=3600", "ETag": `"x"`}, strings.Repeat("x", 1<<10))
	e := startEdge(b, baseConfig(""), o.port())
	e.do(b, "GET", "/obj", nil) // the miss
	run := h2Requests(b, e, "/obj")
	if c := run(1); c.written < 1<<10 {
		b.Fatalf("a hit wrote %d bytes", c.written)
	}
	b.ReportAllocs()
	b.SetBytes(1 << 10)
	b.ResetTimer()
	c := run(b.N)
	b.StopTimer()
	if min := int64(b.N) * (1 << 10); c.written < min {
		b.Fatalf("%d hits wrote %d bytes, want at least %d", b.N, c.written, min)
	}
}

// h2Requests returns a function that serves n GET requests for path over one HTTP/2 connection
// (a scriptedConn, ten requests per read, the fields HPACK-indexed as h2load sends them) and
// returns the connection.
func h2Requests(tb testing.TB, e *testEdge, path string) func(n int) *scriptedConn {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	encode := func() []byte {
		buf.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", e.host}, {":path", path},
			{"user-agent", "bench/1.0"}, {"accept", "*/*"}} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		return bytes.Clone(buf.Bytes())
	}
	first := encode()
	block := encode() // the same encoder again: every field indexed
	return func(n int) *scriptedConn {
		c := &scriptedConn{n: n, first: first, block: block}
		e.srv.h2.ServeConn(c)
		return c
	}
}
