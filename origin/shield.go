package origin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/cfedge/edge/config"
)

// Origin Shield (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html):
// an origin with origin_shield enabled is reached through another edge, the shield, which runs
// the same distribution, caches, and asks the origin itself. This edge sends the shield the
// request as a viewer would (the viewer's path and query, the distribution's domain as Host, the
// headers the behavior forwards) with ShieldHopHeader, which tells the shield the request comes
// from a lower tier, so that it goes to the origin instead of to a shield of its own. The
// shield's answer keeps its Age, so freshness is not extended at each tier (RFC 9111 §4.2.3).
// A shield that can't be reached (no connection, no answer in time) is skipped: the request
// goes to the origin, with a log line and OnShieldFallback, as CloudFront falls back.

// ShieldHopHeader marks a request an edge sends its shield.
const ShieldHopHeader = "X-Edge-Shield-Hop"

// Shielded is an origin reached through a shield edge.
type Shielded struct {
	id       string
	shield   *HTTP
	inner    Fetcher
	host     string
	log      *slog.Logger
	fallback func(originID string)
}

// NewShielded returns inner reached through the shield at cfg.OriginShield.Address for
// requests of the distribution whose domain is host.
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
	return &Shielded{id: cfg.ID, shield: shield, inner: inner, host: host, log: opts.logger(), fallback: opts.OnShieldFallback}, nil
}

// Fetch implements Fetcher: GET and HEAD go to the shield unless req.LowerTier (the request
// came from a lower tier: this edge is the shield); other methods, and anything the shield
// can't be asked, go to the origin.
func (s *Shielded) Fetch(ctx context.Context, req *Request) (*Response, error) {
	if req.LowerTier || req.Method != http.MethodGet && req.Method != http.MethodHead {
		return s.inner.Fetch(ctx, req)
	}
	sreq := *req
	sreq.Header = req.Header.Clone()
	if sreq.Header == nil {
		sreq.Header = http.Header{}
	}
	sreq.Header.Set(ShieldHopHeader, "1")
	sreq.Host = s.host
	resp, err := s.shield.Fetch(ctx, &sreq)
	if err == nil {
		xc := resp.Header.Get("X-Cache")
		resp.ShieldHit = strings.HasPrefix(xc, "Hit") || strings.HasPrefix(xc, "RefreshHit")
		resp.ShieldMiss = !resp.ShieldHit
		return resp, nil
	}
	var oe *Error
	if !errors.As(err, &oe) || oe.Kind != KindConnect && oe.Kind != KindTimeout {
		return nil, err
	}
	s.log.Warn("origin shield unreachable: asking the origin", "origin", s.id, "err", err)
	if s.fallback != nil {
		s.fallback(s.id)
	}
	return s.inner.Fetch(ctx, req)
}

// Close releases the shield's and the origin's connections.
func (s *Shielded) Close() error {
	err := s.shield.Close()
	if c, ok := s.inner.(interface{ Close() error }); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}
