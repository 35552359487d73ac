package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cfedge/edge/config"
)

// Origin Shield (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html):
// an origin with origin_shield enabled is reached through another edge, the shield, which runs
// the same distribution, caches, and asks the origin itself. This edge sends the shield the
// request as a viewer would (the viewer's path and query, the distribution's domain as Host, the
// headers the behavior forwards, a Range when the Smooth resolver reads part of a media file)
// with ShieldHopHeader, which tells the shield the request comes from a lower tier, so that it
// goes to the origin instead of to a shield of its own. The header's value is the origin's
// origin_shield.secret ("1" when it has none); the shield believes it only when it matches its
// own copy of the secret, or, without a secret, only from a loopback peer (see the edge). The
// shield's answer keeps its Age, so freshness is not extended at each tier (RFC 9111 §4.2.3).
//
// A shield that gives no answer (no connection, no answer in time, a broken answer) is
// skipped: the request goes to the origin, with a log line and OnShieldFallback, as CloudFront
// falls back to the origin when its Origin Shield is unavailable. A shield that dies in the
// middle of a body is skipped too (shieldBody): the rest of the body comes from the origin.

// ShieldHopHeader marks a request an edge sends its shield; its value is the shield secret.
const ShieldHopHeader = "X-Edge-Shield-Hop"

// noSecretHop is the hop header's value when the origin has no shield secret.
const noSecretHop = "1"

// Shielded is an origin reached through a shield edge.
type Shielded struct {
	id       string
	shield   *HTTP
	inner    Fetcher
	host     string
	hop      string // the hop header's value: the secret, or noSecretHop
	log      *slog.Logger
	fallback func(originID string)
	now      func() time.Time
	// whole remembers, for a while, the objects whose ranges the shield answered with the whole
	// object (one too large for it to hold): their ranges go to the origin (see Fetch).
	wholeMu sync.Mutex
	whole   map[string]time.Time
}

// Remembering objects the shield can't serve ranges of: for how long, and how many.
const (
	wholeFor = time.Minute
	maxWhole = 1024
)

// NewShielded returns inner reached through the shield at cfg.OriginShield.Address for
// requests of the distribution whose domain is host. A shield without a secret at an address
// that is not loopback is logged as a warning: such a shield believes the hop header only from
// loopback peers, so it would treat this edge's requests as a viewer's.
func NewShielded(cfg config.Origin, host string, inner Fetcher, opts Options) (*Shielded, error) {
	sh := cfg.OriginShield
	if sh == nil || !sh.Enabled {
		return nil, fmt.Errorf("origin %q: origin_shield is not enabled", cfg.ID)
	}
	h, p, err := net.SplitHostPort(sh.Address)
	if err != nil {
		return nil, fmt.Errorf("origin %q: origin_shield.address %q: %w", cfg.ID, sh.Address, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return nil, fmt.Errorf("origin %q: origin_shield.address %q: bad port", cfg.ID, sh.Address)
	}
	shield, err := NewHTTP(config.Origin{ID: cfg.ID + "(shield)", Kind: config.KindHTTP, DomainName: h, HTTPPort: port,
		OriginProtocolPolicy: "http-only", ConnectionAttempts: 1, ConnectionTimeout: cfg.ConnectionTimeout,
		OriginReadTimeout: cfg.OriginReadTimeout, OriginKeepaliveTimeout: cfg.OriginKeepaliveTimeout}, opts)
	if err != nil {
		return nil, fmt.Errorf("origin %q: origin_shield: %w", cfg.ID, err)
	}
	s := &Shielded{id: cfg.ID, shield: shield, inner: inner, host: host, hop: sh.Secret, log: opts.logger(), fallback: opts.OnShieldFallback,
		now: opts.now(), whole: make(map[string]time.Time)}
	if s.hop == "" {
		s.hop = noSecretHop
		if !loopbackHost(h) {
			s.log.Warn("origin shield without a secret at a non-loopback address: the shield trusts the hop header only from loopback peers, "+
				"so it will treat this edge's requests as a viewer's; set origin_shield.secret on both tiers",
				"origin", cfg.ID, "address", sh.Address)
		}
	}
	return s, nil
}

// loopbackHost reports whether host (a name or an IP address, without port) is this machine's
// loopback: "localhost" or an address in 127.0.0.0/8 or ::1 (RFC 6890).
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Fetch implements Fetcher: GET and HEAD go to the shield unless req.LowerTier (the request
// came from a lower tier: this edge is the shield); other methods, and anything the shield
// can't be asked, go to the origin.
//
// A request with a Range (the Smooth resolver's reads of media files) is answered by the
// shield from the whole object in its cache (206). A shield that answers it with the whole
// object instead (200: the object is larger than it holds, so it streams it through) can't
// serve ranges of it: the range is asked of the origin, and so are that object's ranges for
// the next minute, rather than have the shield start the whole object again for each.
func (s *Shielded) Fetch(ctx context.Context, req *Request) (*Response, error) {
	if req.LowerTier || req.Method != http.MethodGet && req.Method != http.MethodHead {
		return s.inner.Fetch(ctx, req)
	}
	ranged := req.Header.Get("Range") != ""
	if ranged && s.streamsWhole(req) {
		return s.inner.Fetch(ctx, req)
	}
	sreq := *req
	sreq.Header = req.Header.Clone()
	if sreq.Header == nil {
		sreq.Header = http.Header{}
	}
	sreq.Header.Set(ShieldHopHeader, s.hop)
	sreq.Host = s.host
	resp, err := s.shield.Fetch(ctx, &sreq)
	if err == nil && ranged && resp.Status == http.StatusOK && req.Method == http.MethodGet {
		resp.Body.Close()
		s.markWhole(req)
		s.log.Info("origin shield answered a range with the whole object (too large for it to hold): asking the origin for its ranges",
			"origin", s.id, "path", req.Path, "length", resp.ContentLength)
		return s.inner.Fetch(ctx, req)
	}
	if err == nil {
		xc := resp.Header.Get("X-Cache")
		resp.ShieldHit = strings.HasPrefix(xc, "Hit") || strings.HasPrefix(xc, "RefreshHit")
		resp.ShieldMiss = !resp.ShieldHit
		// The shield's own Server-Timing metrics describe its tier, not this one's upstream:
		// this edge writes its own (naming the shield) after what the origin sent.
		stripCDNTiming(resp.Header)
		if req.Method == http.MethodGet {
			oreq := *req
			oreq.OnInformational = nil // the viewer's answer has started: no 1xx may follow
			resp.Body = &shieldBody{s: s, ctx: ctx, req: &oreq, resp: resp, cur: resp.Body}
		}
		return resp, nil
	}
	var oe *Error
	if !errors.As(err, &oe) || ctx.Err() != nil {
		return nil, err // not the shield's failure (the request's own body, or ctx ended)
	}
	s.log.Warn("origin shield gave no answer: asking the origin", "origin", s.id, "path", req.Path, "err", err)
	if s.fallback != nil {
		s.fallback(s.id)
	}
	return s.inner.Fetch(ctx, req)
}

// wholeKey names req's object in s.whole.
func wholeKey(req *Request) string { return req.Path + "?" + req.Query }

// streamsWhole reports whether the shield recently answered a range of req's object with the
// whole object.
func (s *Shielded) streamsWhole(req *Request) bool {
	s.wholeMu.Lock()
	defer s.wholeMu.Unlock()
	until, ok := s.whole[wholeKey(req)]
	return ok && s.now().Before(until)
}

// markWhole remembers that the shield answers ranges of req's object with the whole object.
// The set is bounded: when it is full, expired names go, and then, if need be, all of them.
func (s *Shielded) markWhole(req *Request) {
	s.wholeMu.Lock()
	defer s.wholeMu.Unlock()
	now := s.now()
	if len(s.whole) >= maxWhole {
		for k, until := range s.whole {
			if !now.Before(until) {
				delete(s.whole, k)
			}
		}
		if len(s.whole) >= maxWhole {
			clear(s.whole)
		}
	}
	s.whole[wholeKey(req)] = now.Add(wholeFor)
}

// Close releases the shield's and the origin's connections.
func (s *Shielded) Close() error {
	err := s.shield.Close()
	if c, ok := s.inner.(interface{ Close() error }); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// shieldBody is the body of a shield's answer. When the shield's body ends early (the shield
// died, or its connection was cut, or its own origin cut the body it was relaying), the rest
// comes from the origin: the same request is sent to the origin once, and when its answer is
// provably the same representation (sameRepresentation), its first n bytes (those already
// read from the shield) are skipped and reading goes on from there. The reader of this body
// (the edge filling its cache, or a viewer's stream) sees one whole, byte-exact body, and the
// fallback is logged and counted like a shield that can't be reached.
//
// Why resume rather than answer 502: CloudFront falls back to the origin when its Origin
// Shield fails, and a viewer should not see the shield's failure when the origin can make up
// for it. The edge reads a body whole before it answers whenever the object fits in memory, so
// no viewer byte has gone out then, and a 502 would still be possible; but an object streamed
// through (too large to hold) has its head and first bytes at the viewer already, and a 502
// can no longer be sent. Resuming gives both the whole body, and lets the first be cached.
// When the origin's answer can't be proven the same (no strong validator, another length or
// encoding, or the origin fails as well), the body ends with the shield's error, which wraps
// ErrTruncated: the edge then caches nothing and treats it as any origin body cut short (the
// viewer's answer stops early, visibly, as when a custom origin drops the connection,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#ResponseBehaviorCustomOrigin),
// and the next request asks again.
type shieldBody struct {
	s    *Shielded
	ctx  context.Context
	req  *Request  // the request as it would go to the origin
	resp *Response // the shield's answer, whose tier flags are cleared when the origin takes over
	cur  io.ReadCloser
	n    int64 // bytes read so far
	// resumed is set once the origin was asked: there is no second fallback.
	resumed bool
}

// Read implements io.Reader.
func (b *shieldBody) Read(p []byte) (int, error) {
	k, err := b.cur.Read(p)
	b.n += int64(k)
	if err == nil || err == io.EOF || b.resumed || !errors.Is(err, ErrTruncated) || b.ctx.Err() != nil {
		return k, err
	}
	b.resumed = true
	if rerr := b.resume(err); rerr != nil {
		b.s.log.Warn("origin shield cut its answer short and the origin can't finish it", "origin", b.s.id, "path", b.req.Path,
			"read", b.n, "shield_err", err, "err", rerr)
		return k, err
	}
	if k > 0 {
		return k, nil
	}
	return b.Read(p)
}

// resume switches the body to the origin's answer to the same request, past the b.n bytes
// already read.
func (b *shieldBody) resume(cause error) error {
	b.s.log.Warn("origin shield cut its answer short: asking the origin for the rest", "origin", b.s.id, "path", b.req.Path, "read", b.n, "err", cause)
	if b.s.fallback != nil {
		b.s.fallback(b.s.id)
	}
	resp, err := b.s.inner.Fetch(b.ctx, b.req)
	if err != nil {
		return err
	}
	if why := sameRepresentation(b.resp, resp); why != "" {
		resp.Body.Close()
		return errors.New("the origin's answer differs from the shield's: " + why)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, b.n); err != nil {
		resp.Body.Close()
		return fmt.Errorf("skipping the %d bytes the shield sent: %w", b.n, err)
	}
	b.cur.Close()
	b.cur = resp.Body
	b.resp.ShieldHit, b.resp.ShieldMiss = false, false // the origin answered, in the end
	return nil
}

// Close implements io.Closer.
func (b *shieldBody) Close() error { return b.cur.Close() }

// sameRepresentation says why the origin's answer o can't continue the shield's answer sh
// byte for byte, "" when it can: the same status, Content-Range, Content-Encoding and length,
// and a validator that names one representation: the same strong ETag (RFC 9110 §8.8.3), or,
// when neither has an ETag, the same Last-Modified with a known length (the conditions under
// which RFC 9110 §13.1.5 lets a client combine parts of a representation).
func sameRepresentation(sh, o *Response) string {
	switch {
	case sh.Status != o.Status:
		return fmt.Sprintf("status %d, not %d", o.Status, sh.Status)
	case sh.Header.Get("Content-Range") != o.Header.Get("Content-Range"):
		return "another Content-Range"
	case sh.Header.Get("Content-Encoding") != o.Header.Get("Content-Encoding"):
		return "another Content-Encoding"
	case sh.ContentLength >= 0 && o.ContentLength >= 0 && sh.ContentLength != o.ContentLength:
		return fmt.Sprintf("length %d, not %d", o.ContentLength, sh.ContentLength)
	}
	et, oet := sh.Header.Get("Etag"), o.Header.Get("Etag")
	switch {
	case et != "" || oet != "":
		if et != oet || strings.HasPrefix(et, "W/") {
			return "no strong ETag in common"
		}
	case sh.Header.Get("Last-Modified") == "" || sh.Header.Get("Last-Modified") != o.Header.Get("Last-Modified"):
		return "no validator in common"
	case sh.ContentLength < 0 || o.ContentLength < 0:
		return "no ETag and no length to compare"
	}
	return ""
}

// stripCDNTiming removes from h's Server-Timing the metrics whose names start with "cdn-"
// (those an edge writes, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html#server-timing-header),
// keeping the origin's own; the field goes when nothing is left. Metrics are split at commas
// outside quoted strings (RFC 9110 §5.6.1, §5.6.4).
func stripCDNTiming(h http.Header) {
	vs := h.Values("Server-Timing")
	if len(vs) == 0 {
		return
	}
	var kept []string
	for _, v := range vs {
		for _, m := range splitList(v) {
			name := strings.TrimSpace(m)
			if i := strings.IndexByte(name, ';'); i >= 0 {
				name = strings.TrimSpace(name[:i])
			}
			if name != "" && !hasPrefixFold(name, "cdn-") {
				kept = append(kept, strings.TrimSpace(m))
			}
		}
	}
	if len(kept) == 0 {
		h.Del("Server-Timing")
		return
	}
	h.Set("Server-Timing", strings.Join(kept, ", "))
}

// splitList splits a field value at the commas that are not inside a quoted string.
func splitList(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
