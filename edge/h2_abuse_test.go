//go:build !race

// The abuse tests time a normal request against a 50 ms bound and read the process's RSS: the
// race detector's slowdown and memory would make both meaningless.

package edge

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// rawH2 is a hand-driven HTTP/2 client connection (the attacker's).
type rawH2 struct {
	// acked receives the server's PING acknowledgements; gone is closed when it hangs up;
	// settings receives the server's first SETTINGS frame.
	acked    chan struct{}
	settings chan map[http2.SettingID]uint32
	gone     chan struct{}
	c        *tls.Conn
	fr       *http2.Framer
	enc      *hpack.Encoder
	buf      bytes.Buffer
	bw       *bufio.Writer
}

func dialRawH2(t *testing.T, addr, host string) *rawH2 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: host, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN %q", p)
	}
	r := &rawH2{c: c, bw: bufio.NewWriterSize(c, 64<<10), acked: make(chan struct{}, 16), gone: make(chan struct{}),
		settings: make(chan map[http2.SettingID]uint32, 1)}
	r.fr = http2.NewFramer(r.bw, c)
	r.enc = hpack.NewEncoder(&r.buf)
	if _, err := r.bw.WriteString(http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := r.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	r.bw.Flush()
	// Drain what the server sends, so that its writes never block on us.
	go func() {
		defer close(r.gone)
		for {
			f, err := r.fr.ReadFrame()
			if err != nil {
				return
			}
			if p, ok := f.(*http2.PingFrame); ok && p.IsAck() {
				r.acked <- struct{}{}
			}
			if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
				m := map[http2.SettingID]uint32{}
				sf.ForeachSetting(func(s http2.Setting) error { m[s.ID] = s.Val; return nil })
				select {
				case r.settings <- m:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return r
}

// settle waits until the server has processed every frame sent so far (a PING sent after them
// is acknowledged) or has hung up.
func (r *rawH2) settle(t *testing.T) {
	t.Helper()
	if r.fr.WritePing(false, [8]byte{1}) != nil || r.bw.Flush() != nil {
		return
	}
	select {
	case <-r.acked:
	case <-r.gone:
	case <-time.After(30 * time.Second):
		t.Errorf("the edge neither acknowledged a PING nor hung up")
	}
}

// headerBlock encodes a GET of path for host.
func (r *rawH2) headerBlock(host, path string, extra ...hpack.HeaderField) []byte {
	r.buf.Reset()
	for _, f := range append([]hpack.HeaderField{
		{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: host}, {Name: ":path", Value: path},
	}, extra...) {
		r.enc.WriteField(f)
	}
	return bytes.Clone(r.buf.Bytes())
}

// rssBytes is the process's resident set size.
func rssBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// abuseCheck runs attack while a normal HTTP/2 viewer on its own connection fetches a hit
// every few milliseconds: its requests must be answered within 50 ms (95 in 100 of them: the
// test shares two cores with the rest of the test run, whose scheduling noise alone reaches
// tens of milliseconds; none may take 250 ms), and the process must not grow by more than
// 64 MiB.
func abuseCheck(t *testing.T, name string, attack func(addr, host string)) {
	t.Run(name, func(t *testing.T) {
		o := newTestOrigin(t)
		o.static("/a.txt", 200, map[string]string{"Cache-Control": "max-age=600"}, "normal")
		e := startEdge(t, baseConfig(""), o.port())
		c, addr := tlsEdge(t, e)
		if _, b, err := h2do(t, c, addr, e.host, "GET", "/a.txt", nil, nil); err != nil || b != "normal" {
			t.Fatalf("warm-up: %q %v", b, err)
		}
		rss0 := rssBytes(t)
		done := make(chan struct{})
		var wg sync.WaitGroup
		var lat []time.Duration
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				start := time.Now()
				r, b, err := h2do(t, c, addr, e.host, "GET", "/a.txt", nil, nil)
				took := time.Since(start)
				if err != nil || r.StatusCode != 200 || b != "normal" {
					t.Errorf("normal request during the attack: %v %q", err, b)
					return
				}
				lat = append(lat, took)
				time.Sleep(2 * time.Millisecond) // pacing the probe, not synchronisation
			}
		})
		attack(addr, e.host)
		close(done)
		wg.Wait()
		if len(lat) == 0 {
			t.Fatal("no normal request was answered during the attack")
		}
		slices.Sort(lat)
		p95, worst := lat[len(lat)*95/100], lat[len(lat)-1]
		if p95 > 50*time.Millisecond || worst > 250*time.Millisecond {
			t.Errorf("%d normal requests during the attack: p95 %v (want ≤ 50 ms), slowest %v (want < 250 ms)", len(lat), p95, worst)
		}
		if grew := rssBytes(t) - rss0; grew > 64<<20 {
			t.Errorf("RSS grew by %d MiB during the attack", grew>>20)
		}
		t.Logf("%d normal requests, p95 %v, slowest %v", len(lat), p95, worst)
	})
}

// TestHTTP2Settings: the edge announces CloudFront's 128 concurrent streams and the protocol's
// 16 KiB frames.
func TestHTTP2Settings(t *testing.T) {
	e := startEdge(t, baseConfig(""), newTestOrigin(t).port())
	_, addr := tlsEdge(t, e)
	r := dialRawH2(t, addr, e.host)
	var sf map[http2.SettingID]uint32
	select {
	case sf = <-r.settings:
	case <-time.After(10 * time.Second):
		t.Fatal("no SETTINGS from the edge")
	}
	if v, ok := sf[http2.SettingMaxConcurrentStreams]; !ok || v != 128 {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d (%v), want 128", v, ok)
	}
	if v, ok := sf[http2.SettingMaxFrameSize]; ok && v != 16384 {
		t.Errorf("SETTINGS_MAX_FRAME_SIZE %d, want 16384", v)
	}
}

// TestHTTP2Abuse: a rapid-reset flood of 10,000 streams (CVE-2023-44487), a CONTINUATION flood
// (CVE-2023-45288), a dynamic table size update over the limit and an HPACK bomb (one large
// indexed field referenced again and again) leave the edge's memory bounded and its other
// viewers answered promptly.
func TestHTTP2Abuse(t *testing.T) {
	abuseCheck(t, "rapid reset", func(addr, host string) {
		r := dialRawH2(t, addr, host)
		block := r.headerBlock(host, "/a.txt")
		sent := 0
		for i := range 10000 {
			id := uint32(2*i + 1)
			if r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}) != nil ||
				r.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil || (i%100 == 99 && r.bw.Flush() != nil) {
				break // the edge hung up on the flood
			}
			sent++
		}
		r.bw.Flush()
		r.settle(t)
		t.Logf("rapid reset: %d streams opened and cancelled before the edge hung up (or all)", sent)
	})
	abuseCheck(t, "continuation flood", func(addr, host string) {
		r := dialRawH2(t, addr, host)
		block := r.headerBlock(host, "/a.txt")
		if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndStream: true}); err != nil {
			t.Fatal(err)
		}
		junk := bytes.Repeat([]byte{0x40, 0x01, 'x', 0x7f, 0x7f}, 3000) // literal fields, 15 KB a frame
		closed := false
		for range 10000 { // 150 MB if it were all taken
			if r.fr.WriteContinuation(1, false, junk) != nil || r.bw.Flush() != nil {
				closed = true
				break
			}
		}
		if !closed {
			t.Errorf("the edge took 150 MB of CONTINUATION frames without hanging up")
		}
	})
	abuseCheck(t, "hpack table size update over the limit", func(addr, host string) {
		r := dialRawH2(t, addr, host)
		r.buf.Reset()
		r.enc.SetMaxDynamicTableSizeLimit(1 << 30)
		r.enc.SetMaxDynamicTableSize(1 << 30) // announces 1 GiB in the next block
		block := r.headerBlock(host, "/a.txt")
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndStream: true, EndHeaders: true})
		r.bw.Flush()
		// The edge must hang up (COMPRESSION_ERROR): reading ends before the deadline.
		r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var err error
		for err == nil {
			_, err = r.c.Read(make([]byte, 4096))
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Errorf("the edge kept a connection that announced a 1 GiB HPACK table")
		}
	})
	abuseCheck(t, "hpack bomb", func(addr, host string) {
		r := dialRawH2(t, addr, host)
		big := hpack.HeaderField{Name: "x-bomb", Value: strings.Repeat("b", 4000)}
		for i := range 200 {
			id := uint32(2*i + 1)
			// The first block indexes the large field; every later one refers to it 2,000
			// times in 2 KB of block, 8 MB once decoded.
			r.buf.Reset()
			for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"},
				{Name: ":authority", Value: host}, {Name: ":path", Value: "/a.txt"}} {
				r.enc.WriteField(f)
			}
			for range 2000 {
				r.enc.WriteField(big)
			}
			if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: r.buf.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
				return
			}
			if r.bw.Flush() != nil {
				return
			}
		}
	})
}
