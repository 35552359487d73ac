package origin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfedge/edge/config"
)

// memOrigin is an origin in memory: every Fetch answers status with header and body, and is
// counted.
type memOrigin struct {
	status int
	header http.Header
	body   []byte
	calls  atomic.Int32
	last   atomic.Pointer[Request]
}

func (m *memOrigin) Fetch(_ context.Context, req *Request) (*Response, error) {
	m.calls.Add(1)
	m.last.Store(req)
	return &Response{Status: m.status, Header: m.header.Clone(), ContentLength: int64(len(m.body)), Body: io.NopCloser(bytes.NewReader(m.body))}, nil
}

// shieldAt returns a Shielded reaching inner through the shield at addr, with secret.
func shieldAt(t *testing.T, addr, secret string, inner Fetcher, opts Options) *Shielded {
	t.Helper()
	cfg := originConfig(t, "127.0.0.1:9") // the origin's own address is inner's business
	cfg.OriginShield = &config.OriginShield{Enabled: true, Address: addr, Secret: secret}
	s, err := NewShielded(cfg, "d111111abcdef8.cloudfront.net", inner, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.shield.Close() })
	return s
}

// cutShield is a stand-in for a shield edge that answers every request with the head of
// body's representation (its full Content-Length, header) and then only the first cut bytes of
// body, and drops the connection: a shield that died in the middle of a body.
func cutShield(t *testing.T, header string, body []byte, cut int) *rawServer {
	return startRaw(t, func(c net.Conn, _ []byte) bool {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Cache: Miss from cloudfront\r\n%s\r\n", len(body), header)
		_, _ = c.Write(body[:cut])
		return false
	})
}

func randomBody(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestShieldedHopHeader: the shield is asked with the distribution's domain as Host and the
// hop header carrying the origin's shield secret ("1" without one); a lower-tier request goes
// to the origin, never to the shield.
func TestShieldedHopHeader(t *testing.T) {
	for _, secret := range []string{"tier-Secret_42", ""} {
		var hop, host atomic.Value
		sh := startRaw(t, func(c net.Conn, head []byte) bool {
			for _, line := range strings.Split(string(head), "\r\n") {
				if k, v, ok := strings.Cut(line, ":"); ok {
					switch strings.ToLower(k) {
					case "x-edge-shield-hop":
						hop.Store(strings.TrimSpace(v))
					case "host":
						host.Store(strings.TrimSpace(v))
					}
				}
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Cache: Hit from cloudfront\r\n\r\nok")
			return true
		})
		inner := &memOrigin{status: 200, header: http.Header{}, body: []byte("origin")}
		s := shieldAt(t, sh.addr(), secret, inner, Options{})
		resp, body := fetchAll(t, s, &Request{Method: http.MethodGet, Path: "/a", Header: http.Header{"X-Forwarded-For": {"192.0.2.1"}}})
		want := secret
		if want == "" {
			want = "1"
		}
		if string(body) != "ok" || !resp.ShieldHit || resp.ShieldMiss || hop.Load() != want || host.Load() != "d111111abcdef8.cloudfront.net" {
			t.Fatalf("secret %q: body %q hit %v miss %v, hop %v, Host %v", secret, body, resp.ShieldHit, resp.ShieldMiss, hop.Load(), host.Load())
		}
		if _, body := fetchAll(t, s, &Request{Method: http.MethodGet, Path: "/a", LowerTier: true}); string(body) != "origin" || sh.requests.Load() != 1 {
			t.Fatalf("lower-tier request: %q, shield asked %d times (want 1)", body, sh.requests.Load())
		}
		if h := inner.last.Load().Header; h.Get(ShieldHopHeader) != "" {
			t.Fatalf("the origin was sent %s: %q", ShieldHopHeader, h.Get(ShieldHopHeader))
		}
	}
}

// TestShieldedWarnsWithoutSecret: a shield enabled without a secret at an address that is not
// loopback is logged at construction; a loopback address, or a secret, is not.
func TestShieldedWarnsWithoutSecret(t *testing.T) {
	for _, tc := range []struct {
		addr, secret string
		warn         bool
	}{
		{"10.0.0.5:8080", "", true},
		{"shield.example.com:8080", "", true},
		{"10.0.0.5:8080", "s3cret", false},
		{"127.0.0.1:8080", "", false},
		{"[::1]:8080", "", false},
		{"localhost:8080", "", false},
	} {
		var lb logBuffer
		cfg := originConfig(t, "127.0.0.1:9")
		cfg.OriginShield = &config.OriginShield{Enabled: true, Address: tc.addr, Secret: tc.secret}
		s, err := NewShielded(cfg, "d.example", &memOrigin{}, Options{Logger: lb.logger()})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if got := strings.Contains(lb.String(), "without a secret"); got != tc.warn {
			t.Errorf("%s secret %q: warned %v, want %v (log %q)", tc.addr, tc.secret, got, tc.warn, lb.String())
		}
	}
}

// TestShieldedResumesCutBody: a shield that dies in the middle of a body; the rest comes from
// the origin, byte-exact, once, counted as a fallback; the answer is no longer the shield's.
func TestShieldedResumesCutBody(t *testing.T) {
	body := randomBody(200 << 10)
	for _, cut := range []int{0, 1, 70 << 10} {
		sh := cutShield(t, "Etag: \"v1\"\r\n", body, cut)
		inner := &memOrigin{status: 200, header: http.Header{"Etag": {`"v1"`}}, body: body}
		var fallbacks atomic.Int32
		var lb logBuffer
		s := shieldAt(t, sh.addr(), "k", inner, Options{Logger: lb.logger(), OnShieldFallback: func(string) { fallbacks.Add(1) }})
		resp, got := fetchAll(t, s, &Request{Method: http.MethodGet, Path: "/big"})
		if !bytes.Equal(got, body) {
			t.Fatalf("cut at %d: read %d bytes, not the %d-byte body", cut, len(got), len(body))
		}
		if inner.calls.Load() != 1 || fallbacks.Load() != 1 || resp.ShieldHit || resp.ShieldMiss {
			t.Fatalf("cut at %d: origin asked %d times, %d fallbacks, hit %v miss %v; want 1, 1, false, false", cut, inner.calls.Load(), fallbacks.Load(), resp.ShieldHit, resp.ShieldMiss)
		}
		if !strings.Contains(lb.String(), "cut its answer short") {
			t.Fatalf("cut at %d: no log line: %q", cut, lb.String())
		}
	}
}

// TestShieldedCutBodyNotResumable: when the origin's answer can't be proven to be the
// representation the shield was sending, the body ends with an error wrapping ErrTruncated
// (so that nothing is cached), after the origin was asked once.
func TestShieldedCutBodyNotResumable(t *testing.T) {
	body := randomBody(64 << 10)
	for _, tc := range []struct {
		name, shieldHdr string
		origin          http.Header
		originBody      []byte
	}{
		{"another ETag", "Etag: \"v1\"\r\n", http.Header{"Etag": {`"v2"`}}, body},
		{"weak ETag", "Etag: W/\"v1\"\r\n", http.Header{"Etag": {`W/"v1"`}}, body},
		{"no validator", "", http.Header{}, body},
		{"another length", "Etag: \"v1\"\r\n", http.Header{"Etag": {`"v1"`}}, body[:len(body)-1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := cutShield(t, tc.shieldHdr, body, 1000)
			inner := &memOrigin{status: 200, header: tc.origin, body: tc.originBody}
			s := shieldAt(t, sh.addr(), "k", inner, Options{})
			resp, err := s.Fetch(context.Background(), &Request{Method: http.MethodGet, Path: "/x"})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if !errors.Is(err, ErrTruncated) || len(got) != 1000 || inner.calls.Load() != 1 {
				t.Fatalf("read %d bytes, err %v, origin asked %d times; want 1000, ErrTruncated, 1", len(got), err, inner.calls.Load())
			}
		})
	}
}

// TestShieldedFallsBackWithoutAnswer: a shield that takes the request and closes the
// connection without answering is skipped like one that can't be reached.
func TestShieldedFallsBackWithoutAnswer(t *testing.T) {
	sh := startRaw(t, func(net.Conn, []byte) bool { return false })
	inner := &memOrigin{status: 200, header: http.Header{}, body: []byte("from the origin")}
	var fallbacks atomic.Int32
	s := shieldAt(t, sh.addr(), "", inner, Options{OnShieldFallback: func(string) { fallbacks.Add(1) }})
	resp, body := fetchAll(t, s, &Request{Method: http.MethodGet, Path: "/x"})
	if string(body) != "from the origin" || fallbacks.Load() != 1 || resp.ShieldHit || resp.ShieldMiss || sh.requests.Load() == 0 {
		t.Fatalf("%q, %d fallbacks, hit %v miss %v, shield asked %d times", body, fallbacks.Load(), resp.ShieldHit, resp.ShieldMiss, sh.requests.Load())
	}
}

func TestSameRepresentation(t *testing.T) {
	r := func(status int, n int64, kv ...string) *Response {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &Response{Status: status, ContentLength: n, Header: h}
	}
	lm := "Wed, 21 Oct 2015 07:28:00 GMT"
	for _, tc := range []struct {
		name  string
		sh, o *Response
		same  bool
	}{
		{"strong ETag", r(200, 10, "Etag", `"a"`), r(200, 10, "Etag", `"a"`), true},
		{"strong ETag, origin chunked", r(200, 10, "Etag", `"a"`), r(200, -1, "Etag", `"a"`), true},
		{"Last-Modified and length", r(200, 10, "Last-Modified", lm), r(200, 10, "Last-Modified", lm), true},
		{"range", r(206, 5, "Etag", `"a"`, "Content-Range", "bytes 0-4/10"), r(206, 5, "Etag", `"a"`, "Content-Range", "bytes 0-4/10"), true},
		{"another range", r(206, 5, "Etag", `"a"`, "Content-Range", "bytes 0-4/10"), r(200, 10, "Etag", `"a"`), false},
		{"weak ETag", r(200, 10, "Etag", `W/"a"`), r(200, 10, "Etag", `W/"a"`), false},
		{"ETag on one side", r(200, 10, "Etag", `"a"`), r(200, 10), false},
		{"another encoding", r(200, 10, "Etag", `"a"`, "Content-Encoding", "gzip"), r(200, 10, "Etag", `"a"`), false},
		{"no validator", r(200, 10), r(200, 10), false},
		{"Last-Modified, no length", r(200, -1, "Last-Modified", lm), r(200, -1, "Last-Modified", lm), false},
		{"another status", r(200, 10, "Etag", `"a"`), r(404, 10, "Etag", `"a"`), false},
	} {
		if why := sameRepresentation(tc.sh, tc.o); (why == "") != tc.same {
			t.Errorf("%s: %q, want same = %v", tc.name, why, tc.same)
		}
	}
}

func TestStripCDNTiming(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`db;dur=53, cdn-cache-miss,cdn-pop;desc="SEA19-C1",cdn-rid;desc="x==",cdn-upstream-fbl;dur=3`, "db;dur=53"},
		{`cdn-cache-hit,CDN-Pop;desc="A"`, ""},
		{`app;desc="a, cdn-x",cdn-cache-miss, total;dur=7`, `app;desc="a, cdn-x", total;dur=7`},
		{`app;desc="q\"uote, x",cdn-rid;desc="r"`, `app;desc="q\"uote, x"`},
	} {
		h := http.Header{"Server-Timing": {tc.in}}
		stripCDNTiming(h)
		if got := h.Get("Server-Timing"); got != tc.want || tc.want == "" && len(h["Server-Timing"]) != 0 {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestShieldedRangeAnsweredWhole: a shield that answers a Range with the whole object (one
// too large for it to hold) is not asked for that object's ranges again for a while: they go
// to the origin, Range and all; other objects still go to the shield.
func TestShieldedRangeAnsweredWhole(t *testing.T) {
	sh := startRaw(t, func(c net.Conn, _ []byte) bool {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Cache: Miss from cloudfront\r\n\r\n0123456789")
		return true
	})
	inner := &memOrigin{status: 206, header: http.Header{"Content-Range": {"bytes 2-3/10"}}, body: []byte("23")}
	now := time.Unix(1e9, 0)
	s := shieldAt(t, sh.addr(), "k", inner, Options{Now: func() time.Time { return now }})
	ranged := func(path string) *Request {
		return &Request{Method: http.MethodGet, Path: path, Header: http.Header{"Range": {"bytes=2-3"}}}
	}
	for i, want := range []struct{ shield, origin int32 }{{1, 1}, {1, 2}} {
		resp, body := fetchAll(t, s, ranged("/big.ismv"))
		if resp.Status != 206 || string(body) != "23" || sh.requests.Load() != want.shield || inner.calls.Load() != want.origin {
			t.Fatalf("read %d: %d %q; shield asked %d times, origin %d; want 206 \"23\", %d, %d", i+1, resp.Status, body, sh.requests.Load(), inner.calls.Load(), want.shield, want.origin)
		}
		if inner.last.Load().Header.Get("Range") != "bytes=2-3" {
			t.Fatalf("read %d: the origin was not asked for the range", i+1)
		}
	}
	if _, body := fetchAll(t, s, ranged("/other.ismv")); sh.requests.Load() != 2 || string(body) != "23" {
		t.Fatalf("another object: shield asked %d times, want 2", sh.requests.Load())
	}
	now = now.Add(wholeFor)
	if fetchAll(t, s, ranged("/big.ismv")); sh.requests.Load() != 3 {
		t.Fatalf("a minute later: shield asked %d times, want 3 (asked again)", sh.requests.Load())
	}
}
