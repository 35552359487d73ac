// Package edge is the viewer pipeline: it matches each request to a distribution (by Host) and
// a cache behavior (by path), answers from the cache under CloudFront's rules, fetches from the
// origin on a miss (one fetch per cache key however many viewers wait), and writes the
// CloudFront response headers.
package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cfedge/edge/access"
	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/h2"
	"github.com/cfedge/edge/origin"
	"github.com/cfedge/edge/smooth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go/http3"
	"github.com/valyala/fasthttp"
)

// Config is what New needs.
type Config struct {
	// Config is the loaded, validated configuration.
	Config *config.Config
	// Logger receives process logs; nil means slog.Default().
	Logger *slog.Logger
	// Store is the cache to use; nil means a new one sized from Config.Cache, owned (and closed)
	// by the Server. A caller that shares the cache (with the control API) builds it and
	// closes it after the Server.
	Store *cache.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AccessLog, when set, receives one CloudFront standard-log record per viewer request.
	AccessLog AccessLog
	// Metrics, when set, receives the edge's Prometheus collectors (requests by result, bytes,
	// durations, cache size); nil means none are kept.
	Metrics prometheus.Registerer
}

// Server is an edge node: the viewer handler plus its distributions, cache and origins.
type Server struct {
	log      *slog.Logger
	now      func() time.Time
	store    *cache.Store
	ownStore bool
	flights  cache.Group[*fill]
	// snap is the configuration in service (snapshot.go); reloadMu serialises reloads, and
	// retireAfter is how long an origin a reload dropped stays open for requests in flight.
	snap        atomic.Pointer[snapshot]
	reloadMu    sync.Mutex
	retireAfter time.Duration
	metrics     *metrics // nil without a registry
	clock       httpClock
	proto       headProto
	// viewerCountry is every viewer's CloudFront-Viewer-Country.
	viewerCountry string
	// fnOrigins are the origins functions described with cf.updateRequestOrigin.
	fnOrigins functionOrigins
	maxObj    int64
	// diskMax is the largest body the disk tier keeps; promoting lets one disk object at a
	// time be read into memory in the background (disk.go).
	diskMax   int64
	promoting chan struct{}
	pop       []byte
	popStr    string
	access    AccessLog
	via       []byte
	srv       *fasthttp.Server
	pool      sync.Pool
	// refreshing holds the keys being refreshed in the background (stale-while-revalidate).
	refreshing sync.Map
	// h2 serves the TLS viewer connections that negotiate HTTP/2 (alpn.go, package h2); h3 the
	// HTTP/3 ones (h3.go, h3adapter.go), advertised with altSvc; streams pools the HTTP/3
	// requests' state.
	h2      *h2.Server
	mu3     sync.Mutex
	h3      *http3.Server
	altSvc  atomic.Pointer[[]byte]
	streams sync.Pool
	// certMu guards cert, the certificate ServeTLS and ServeQUIC share (certificate).
	certMu sync.Mutex
	cert   *tls.Certificate
	// tlsPort is the HTTPS listener's port (0 when none), for redirect-to-https Locations.
	tlsPort atomic.Int32
}

// distribution is one compiled distribution.
type distribution struct {
	// originConfs are the origins' settings by id, and groups the origin groups' members, for
	// origins that functions change.
	originConfs map[string]config.Origin
	groups      map[string][2]string
	id          string
	domain      string
	// h2, h3: what the distribution's HttpVersion lets viewers use (alpn.go), decided once.
	h2, h3    bool
	table     *behavior.Table
	origins   map[string]origin.Fetcher
	rootObj   string // "/index.html", or "" when none
	errMinTTL map[int]time.Duration
	// keyPrefixes start the cache keys of each behavior, by behavior.Index+1: the id and a 0
	// byte (keys never collide across distributions), then the behavior's fingerprint (a reload
	// keeps the entries of a behavior whose settings did not change, and only those).
	keyPrefixes [][]byte
	resolvers   map[*behavior.Behavior]*smooth.Resolver
	metrics     *distMetrics                            // nil without a registry
	verifiers   map[*behavior.Behavior]*access.Verifier // behaviors with trusted key groups
	pages       map[int]customPage                      // custom error responses with a page, by error code
}

// New builds a Server from a validated configuration. It opens no sockets.
func New(cfg Config) (*Server, error) {
	if cfg.Config == nil {
		return nil, errors.New("edge: no configuration")
	}
	c := cfg.Config
	s := &Server{
		log:           cfg.Logger,
		now:           cfg.Now,
		store:         cfg.Store,
		maxObj:        int64(c.Cache.MaxObjectSize),
		promoting:     make(chan struct{}, 1),
		pop:           []byte(c.Server.Pop),
		popStr:        c.Server.Pop,
		viewerCountry: c.Server.ViewerCountry,
		access:        cfg.AccessLog,
		via:           []byte(viaValue()),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.retireAfter = retireAfter(c)
	if s.store == nil {
		st, err := cache.New(cache.Config{MaxBytes: int64(c.Cache.Memory), Now: s.now})
		if err != nil {
			return nil, fmt.Errorf("edge: cache: %w", err)
		}
		s.store, s.ownStore = st, true
	}
	s.diskMax = s.store.DiskMaxObjectSize() // the disk tier's own limit (cache.disk_max_object_size)
	if cfg.Metrics != nil {
		m, err := newMetrics(cfg.Metrics, s)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("edge: metrics: %w", err)
		}
		s.metrics = m
	}
	sn, _, err := s.buildSnapshot(c, nil)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.snap.Store(sn)
	s.clock.now = s.now
	s.pool.New = func() any { return new(exchange) }
	s.srv = &fasthttp.Server{
		Handler:               s.Handle,
		ErrorHandler:          s.handleParseError,
		HeaderReceived:        s.headerReceived,
		ExpectHandler:         s.expectBody,
		Name:                  "",
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		// Date is written by the edge: the origin's on answers from it (see writeCloudFrontHeaders).
		NoDefaultDate: true,
		// The request line and headers must fit the read buffer: one byte over CloudFront's
		// 20,480 is ErrSmallBuffer, answered 413 by handleParseError.
		ReadBufferSize:  maxRequestHeaderBytes,
		ReadTimeout:     time.Duration(c.Server.ReadTimeout),
		WriteTimeout:    time.Duration(c.Server.WriteTimeout),
		IdleTimeout:     time.Duration(c.Server.IdleTimeout),
		CloseOnShutdown: true,
		// Bodies are decided on from the headers and streamed to the origin as they arrive:
		// at most this much of one is read ahead of the handler.
		StreamRequestBody:            true,
		MaxRequestBodySize:           maxBufferedBody,
		DisablePreParseMultipartForm: true,
		Logger:                       slogPrintf{s.log},
	}
	s.streams.New = func() any { return new(streamCtx) }
	s.h2 = s.newH2Server(time.Duration(c.Server.ReadTimeout), time.Duration(c.Server.WriteTimeout),
		time.Duration(c.Server.IdleTimeout))
	return s, nil
}

// keyPrefix is the start of the cache keys of b, a behavior of d.
func (d *distribution) keyPrefix(b *behavior.Behavior) []byte { return d.keyPrefixes[b.Index+1] }

// retireAfter is how long an origin a reload dropped stays open: as long as a request that
// started before the reload may still use it.
func retireAfter(c *config.Config) time.Duration {
	d := time.Duration(c.Server.ReadTimeout) + time.Duration(c.Server.WriteTimeout)
	for _, dc := range c.Distributions {
		for _, o := range dc.Origins {
			if t := time.Duration(o.OriginReadTimeout) * time.Duration(max(o.ConnectionAttempts, 1)); t > d {
				d = t
			}
		}
	}
	return max(d, time.Minute)
}

// maxBufferedBody is how much of a request body is read before the handler runs; a longer body
// streams to the origin, and one the edge refuses (a GET, a method the behavior doesn't allow)
// is never read past it.
const maxBufferedBody = 16 << 10

// newDistribution compiles one distribution; old is the one of the same id in service (nil
// when none), whose unchanged origins are reused.
func newDistribution(s *Server, c *config.Config, dc *config.Distribution, old *distribution) (*distribution, error) {
	d := &distribution{
		id:     dc.ID,
		domain: dc.DomainName,
		h2:     h2Allowed(dc.HTTPVersion),
		h3:     h3Allowed(dc.HTTPVersion),
	}
	if dc.DefaultRootObject != "" {
		d.rootObj = "/" + dc.DefaultRootObject
	}
	d.setErrorResponses(dc)
	for _, step := range []func() error{
		func() error {
			return d.buildOrigins(dc, origin.Options{Logger: s.log, OnShieldFallback: s.shieldFallback(d.id)}, old, c.Server.Listen)
		},
		func() error { return d.buildTable(c, dc) },
		func() error { return d.buildVerifiers(c, dc) },
		func() error { return d.buildResolvers(s, int64(c.Cache.MaxObjectSize)) },
	} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("edge: distribution %s: %w", dc.ID, err)
		}
	}
	return d, nil
}

// setErrorResponses records the custom error responses: ErrorCachingMinTTL and pages by code.
func (d *distribution) setErrorResponses(dc *config.Distribution) {
	d.errMinTTL = make(map[int]time.Duration)
	d.pages = make(map[int]customPage)
	for _, e := range dc.CustomErrorResponses {
		if e.ErrorCachingMinTTL != nil {
			d.errMinTTL[e.ErrorCode] = time.Duration(*e.ErrorCachingMinTTL) * time.Second
		}
		if e.ResponsePagePath != "" {
			d.pages[e.ErrorCode] = customPage{path: e.ResponsePagePath, code: e.ResponseCode}
		}
	}
}

// buildOrigins builds the distribution's origins and origin groups (failover pairs), reusing
// old's origins whose settings are unchanged. An origin whose shield is this edge itself (its
// address is listen, the viewer listener) is not shielded: this edge is the shield.
func (d *distribution) buildOrigins(dc *config.Distribution, opts origin.Options, old *distribution, listen string) error {
	d.origins = make(map[string]origin.Fetcher)
	d.originConfs = make(map[string]config.Origin)
	d.groups = make(map[string][2]string)
	for _, oc := range dc.Origins {
		d.originConfs[oc.ID] = oc
		shielded := oc.OriginShield != nil && oc.OriginShield.Enabled
		if shielded && selfAddress(oc.OriginShield.Address, listen) {
			shielded = false
			if opts.Logger != nil {
				opts.Logger.Info("origin_shield.address is this edge's own viewer listener: this edge is the shield and asks the origin itself",
					"distribution", d.id, "origin", oc.ID, "address", oc.OriginShield.Address)
			}
		}
		if f := reuseOrigin(old, oc); f != nil && (!shielded || old.domain == d.domain) {
			d.origins[oc.ID] = f
			continue
		}
		f, err := origin.New(oc, opts)
		if err != nil {
			return fmt.Errorf("origin %s: %w", oc.ID, err)
		}
		if shielded {
			// The shield edge serves the same distribution: it is asked by its domain.
			if f, err = origin.NewShielded(oc, shieldHost(dc), f, opts); err != nil {
				return err
			}
		}
		d.origins[oc.ID] = f
	}
	for _, g := range dc.OriginGroups {
		if len(g.Members) != 2 {
			return fmt.Errorf("origin group %s: need two members", g.ID)
		}
		p, ok1 := d.origins[g.Members[0]]
		q, ok2 := d.origins[g.Members[1]]
		if !ok1 || !ok2 {
			return fmt.Errorf("origin group %s: unknown member", g.ID)
		}
		d.origins[g.ID] = origin.NewGroup(g.ID, p, q, g.FailoverStatusCodes, opts)
		d.groups[g.ID] = [2]string{g.Members[0], g.Members[1]}
	}
	return nil
}

// shieldHost is the Host a distribution's shield edge is asked with: its domain name, else its
// first alias.
func shieldHost(dc *config.Distribution) string {
	if dc.DomainName != "" || len(dc.Aliases) == 0 {
		return dc.DomainName
	}
	return dc.Aliases[0]
}

// buildTable compiles the behavior table (the same way the control API does) and checks that
// every behavior's target origin exists.
func (d *distribution) buildTable(c *config.Config, dc *config.Distribution) error {
	table, err := behavior.Compile(c, dc)
	if err != nil {
		return err
	}
	d.keyPrefixes = make([][]byte, len(dc.Behaviors)+1)
	for _, b := range table.Behaviors() {
		if _, ok := d.origins[b.TargetOriginID]; !ok {
			return fmt.Errorf("target_origin_id %q: no such origin", b.TargetOriginID)
		}
		bc := &dc.DefaultBehavior
		if b.Index >= 0 {
			bc = &dc.Behaviors[b.Index]
		}
		d.keyPrefixes[b.Index+1] = append(append([]byte(dc.ID), 0), behaviorFingerprint(c, dc, bc)...)
	}
	d.table = table
	return nil
}

// buildVerifiers builds the signed URL verifier of each behavior with trusted key groups.
func (d *distribution) buildVerifiers(c *config.Config, dc *config.Distribution) error {
	d.verifiers = make(map[*behavior.Behavior]*access.Verifier)
	for _, b := range d.table.Behaviors() {
		bc := dc.DefaultBehavior
		if b.Index >= 0 {
			bc = dc.Behaviors[b.Index]
		}
		if len(bc.TrustedKeyGroups) == 0 {
			continue
		}
		var groups []config.KeyGroup
		for _, id := range bc.TrustedKeyGroups {
			for _, kg := range c.KeyGroups {
				if kg.ID == id {
					groups = append(groups, kg)
				}
			}
		}
		v, err := access.New(access.Config{KeyGroups: groups})
		if err != nil {
			return fmt.Errorf("trusted key groups: %w", err)
		}
		d.verifiers[b] = v
	}
	return nil
}

// buildResolvers builds a Smooth Streaming resolver for each behavior with Smooth Streaming on.
func (d *distribution) buildResolvers(s *Server, maxObject int64) error {
	d.resolvers = make(map[*behavior.Behavior]*smooth.Resolver)
	for _, b := range d.table.Behaviors() {
		if !b.SmoothStreaming {
			continue
		}
		src := &smoothSource{server: s, dist: d, beh: b, fetcher: d.origins[b.TargetOriginID], maxObject: maxObject}
		r, err := smooth.NewResolver(smooth.ResolverConfig{Source: src, Logger: s.log})
		if err != nil {
			return fmt.Errorf("smooth: %w", err)
		}
		d.resolvers[b] = r
	}
	return nil
}

// Serve accepts viewer connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(guardedListener{ln}) }

// Shutdown stops accepting connections and waits for in-flight requests to finish, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.ShutdownWithContext(ctx)
	if herr := s.h2.Shutdown(ctx); err == nil {
		err = herr
	}
	if herr := s.shutdownH3(ctx); err == nil {
		err = herr
	}
	return err
}

// Close releases origins' idle connections and the cache (if New created it).
func (s *Server) Close() {
	if sn := s.snap.Load(); sn != nil {
		for _, d := range sn.dists {
			fs := make([]origin.Fetcher, 0, len(d.origins))
			for _, f := range d.origins {
				fs = append(fs, f)
			}
			closeFetchers(fs)
		}
	}
	s.fnOrigins.close()
	if s.ownStore && s.store != nil {
		s.store.Close()
	}
}

// slogPrintf adapts slog to fasthttp's Printf logger.
type slogPrintf struct{ l *slog.Logger }

func (p slogPrintf) Printf(format string, args ...any) {
	p.l.Debug("fasthttp: " + fmt.Sprintf(format, args...))
}

// httpClock formats the edge's clock as an HTTP date once per second, for the Date of answers
// that are not replayed from an origin.
type httpClock struct {
	now  func() time.Time
	last atomic.Pointer[clockValue]
}

type clockValue struct {
	sec  int64
	date []byte
}

// httpDate returns the current time as an IMF-fixdate (RFC 9110 §5.6.7). The slice is shared and
// must not be modified.
func (c *httpClock) httpDate() []byte {
	t := c.now()
	sec := t.Unix()
	if v := c.last.Load(); v != nil && v.sec == sec {
		return v.date
	}
	v := &clockValue{sec: sec, date: fasthttp.AppendHTTPDate(nil, t)}
	c.last.Store(v)
	return v.date
}
