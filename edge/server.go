// Package edge is the viewer pipeline: it matches each request to a distribution (by Host) and
// a cache behavior (by path), answers from the cache under CloudFront's rules, fetches from the
// origin on a miss (one fetch per cache key however many viewers wait), and writes the
// CloudFront response headers.
package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cfedge/edge/access"
	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/origin"
	"github.com/cfedge/edge/smooth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// CloudFront's request limits (cloudfront.md §1): request line plus headers, and URL length.
const (
	maxRequestHeaderBytes = 20480
	maxURLBytes           = 8192
)

// Config is what New needs.
type Config struct {
	// Config is the loaded, validated configuration.
	Config *config.Config
	// Logger receives process logs; nil means slog.Default().
	Logger *slog.Logger
	// Store is the cache to use; nil means a new one sized from Config.Cache.
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
	dists    []*distribution
	byHost   map[string]*distribution
	maxObj   int64
	pop      []byte
	popStr   string
	access   AccessLog
	via      []byte
	srv      *fasthttp.Server
	pool     sync.Pool
	// refreshing holds the keys being refreshed in the background (stale-while-revalidate).
	refreshing sync.Map
	// tlsPort is the HTTPS listener's port (0 when none), for redirect-to-https Locations.
	tlsPort atomic.Int32
}

// distribution is one compiled distribution.
type distribution struct {
	id        string
	domain    string
	table     *behavior.Table
	origins   map[string]origin.Fetcher
	rootObj   string // "/index.html", or "" when none
	errMinTTL map[int]time.Duration
	keyPrefix []byte // id + 0 byte: cache keys never collide across distributions
	resolvers map[*behavior.Behavior]*smooth.Resolver
	metrics   *distMetrics                            // nil without a registry
	verifiers map[*behavior.Behavior]*access.Verifier // behaviors with trusted key groups
	pages     map[int]customPage                      // custom error responses with a page, by error code
}

// New builds a Server from a validated configuration. It opens no sockets.
func New(cfg Config) (*Server, error) {
	if cfg.Config == nil {
		return nil, errors.New("edge: no configuration")
	}
	c := cfg.Config
	s := &Server{
		log:    cfg.Logger,
		now:    cfg.Now,
		store:  cfg.Store,
		byHost: make(map[string]*distribution),
		maxObj: int64(c.Cache.MaxObjectSize),
		pop:    []byte(c.Server.Pop),
		popStr: c.Server.Pop,
		access: cfg.AccessLog,
		via:    []byte(viaValue()),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.store == nil {
		st, err := cache.New(cache.Config{MaxBytes: int64(c.Cache.Memory), Now: s.now})
		if err != nil {
			return nil, fmt.Errorf("edge: cache: %w", err)
		}
		s.store, s.ownStore = st, true
	}
	for i := range c.Distributions {
		d, err := newDistribution(s, c, &c.Distributions[i])
		if err != nil {
			s.Close()
			return nil, err
		}
		s.dists = append(s.dists, d)
		for _, h := range append([]string{d.domain}, c.Distributions[i].Aliases...) {
			s.byHost[strings.ToLower(h)] = d
		}
	}
	if cfg.Metrics != nil {
		m, err := newMetrics(cfg.Metrics, s)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("edge: metrics: %w", err)
		}
		for _, d := range s.dists {
			d.metrics = m.forDist(d.id)
		}
	}
	s.pool.New = func() any { return new(exchange) }
	s.srv = &fasthttp.Server{
		Handler:               s.Handle,
		ErrorHandler:          s.handleParseError,
		Name:                  "",
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		ReadBufferSize:        maxRequestHeaderBytes + 1024,
		ReadTimeout:           time.Duration(c.Server.ReadTimeout),
		WriteTimeout:          time.Duration(c.Server.WriteTimeout),
		IdleTimeout:           time.Duration(c.Server.IdleTimeout),
		CloseOnShutdown:       true,
		ReduceMemoryUsage:     false,
		StreamRequestBody:     false,
		MaxRequestBodySize:    64 << 20,
		Logger:                slogPrintf{s.log},
	}
	return s, nil
}

func newDistribution(s *Server, c *config.Config, dc *config.Distribution) (*distribution, error) {
	log := s.log
	d := &distribution{
		id:        dc.ID,
		domain:    dc.DomainName,
		origins:   make(map[string]origin.Fetcher),
		errMinTTL: make(map[int]time.Duration),
		keyPrefix: append([]byte(dc.ID), 0),
	}
	if dc.DefaultRootObject != "" {
		d.rootObj = "/" + dc.DefaultRootObject
	}
	d.pages = make(map[int]customPage)
	for _, e := range dc.CustomErrorResponses {
		if e.ErrorCachingMinTTL != nil {
			d.errMinTTL[e.ErrorCode] = time.Duration(*e.ErrorCachingMinTTL) * time.Second
		}
		if e.ResponsePagePath != "" {
			d.pages[e.ErrorCode] = customPage{path: e.ResponsePagePath, code: e.ResponseCode}
		}
	}
	opts := origin.Options{Logger: log}
	for _, oc := range dc.Origins {
		f, err := origin.New(oc, opts)
		if err != nil {
			return nil, fmt.Errorf("edge: distribution %s: origin %s: %w", dc.ID, oc.ID, err)
		}
		d.origins[oc.ID] = f
	}
	for _, g := range dc.OriginGroups {
		if len(g.Members) != 2 {
			return nil, fmt.Errorf("edge: distribution %s: origin group %s: need two members", dc.ID, g.ID)
		}
		p, ok1 := d.origins[g.Members[0]]
		q, ok2 := d.origins[g.Members[1]]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("edge: distribution %s: origin group %s: unknown member", dc.ID, g.ID)
		}
		d.origins[g.ID] = origin.NewGroup(g.ID, p, q, g.FailoverStatusCodes, opts)
	}
	table, err := behavior.Compile(c, dc)
	if err != nil {
		return nil, fmt.Errorf("edge: distribution %s: %w", dc.ID, err)
	}
	for _, b := range table.Behaviors() {
		if _, ok := d.origins[b.TargetOriginID]; !ok {
			return nil, fmt.Errorf("edge: distribution %s: target_origin_id %q: no such origin", dc.ID, b.TargetOriginID)
		}
	}
	d.table = table
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
			return nil, fmt.Errorf("edge: distribution %s: trusted key groups: %w", dc.ID, err)
		}
		d.verifiers[b] = v
	}
	d.resolvers = make(map[*behavior.Behavior]*smooth.Resolver)
	for _, b := range d.table.Behaviors() {
		if !b.SmoothStreaming {
			continue
		}
		src := &smoothSource{s: s, d: d, b: b, f: d.origins[b.TargetOriginID], maxObj: int64(c.Cache.MaxObjectSize)}
		r, err := smooth.NewResolver(smooth.ResolverConfig{Source: src, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("edge: distribution %s: smooth: %w", dc.ID, err)
		}
		d.resolvers[b] = r
	}
	return d, nil
}

// Store returns the cache, for the control API's invalidations.
func (s *Server) Store() *cache.Store { return s.store }

// Serve accepts viewer connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Shutdown stops accepting connections and waits for in-flight requests to finish, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }

// Close releases origins' idle connections and the cache (if New created it).
func (s *Server) Close() {
	for _, d := range s.dists {
		for _, f := range d.origins {
			if c, ok := f.(interface{ Close() error }); ok {
				_ = c.Close()
			}
		}
	}
	if s.ownStore && s.store != nil {
		s.store.Close()
	}
}

// slogPrintf adapts slog to fasthttp's Printf logger.
type slogPrintf struct{ l *slog.Logger }

func (p slogPrintf) Printf(format string, args ...any) {
	p.l.Debug("fasthttp: " + fmt.Sprintf(format, args...))
}
