package console

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/control"
	"github.com/cfedge/edge/edge"
	"github.com/cfedge/edge/fleet"
)

// Control is what the console reads of the API (*control.Server).
type Control interface {
	// DistributionViews lists the distributions with their origins and behaviors.
	DistributionViews() []control.DistributionView
	// InvalidationViews lists a distribution's invalidations, newest first.
	InvalidationViews(dist string, max, maxPaths int) ([]control.InvalidationView, bool)
}

// Matcher answers "which behavior answers this path?" with the edge's own matcher
// (*edge.Server).
type Matcher interface {
	// MatchBehavior says which behavior of distribution dist answers uri.
	MatchBehavior(dist, uri string) (edge.BehaviorMatch, bool)
	// MatchHost says which distribution answers a Host, and which of its behaviors uri.
	MatchHost(host, uri string) (edge.BehaviorMatch, bool)
}

// Cache is what the console reads of the cache (*cache.Store).
type Cache interface {
	// Stats are the memory tier's counters and bytes.
	Stats() cache.Stats
	// HasDisk says whether there is a disk tier, and DiskStats are its counters and bytes.
	HasDisk() bool
	DiskStats() cache.DiskStats
	// Largest lists the largest objects held; Hot the hottest, with rates that move from one
	// call to the next (the console calls it once a second).
	Largest(n int) []cache.Object
	Hot(n int) []cache.Object
}

// Fleet lists the fleet's nodes (*fleet.Node).
type Fleet interface {
	// Nodes lists the nodes this node has heard of.
	Nodes() []fleet.NodeStatus
}

// Config configures a Console.
type Config struct {
	// API is the configuration's [api]: auth ("sigv4", "" meaning sigv4, or "none") and the
	// keys whose id and secret open the console on a connection that is not loopback.
	API config.API
	// Control, Matcher and Cache are required.
	Control Control
	Matcher Matcher
	Cache   Cache
	// Metrics is the registry the edge counts its traffic in; nil shows no traffic.
	Metrics prometheus.Gatherer
	// Fleet is the fleet this edge is in, nil when none.
	Fleet Fleet
	// Logger receives refused logins and sampling errors; nil discards.
	Logger *slog.Logger
	// Now is the clock shown on the pages; nil means time.Now.
	Now func() time.Time
}

// ErrConfig is wrapped by the errors New returns.
var ErrConfig = errors.New("console: invalid config")

// Console is the web console. Handle serves it; Start begins the sampling of the traffic
// figures, Close ends it. It is safe for concurrent use.
type Console struct {
	ctl     Control
	match   Matcher
	cache   Cache
	fleet   Fleet
	log     *slog.Logger
	now     func() time.Time
	auth    authenticator
	traffic *traffic

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	started  bool
	startMu  sync.Mutex
}

// New returns a Console for cfg, or an error wrapping ErrConfig.
func New(cfg Config) (*Console, error) {
	switch {
	case cfg.Control == nil:
		return nil, fmt.Errorf("%w: Control is nil", ErrConfig)
	case cfg.Matcher == nil:
		return nil, fmt.Errorf("%w: Matcher is nil", ErrConfig)
	case cfg.Cache == nil:
		return nil, fmt.Errorf("%w: Cache is nil", ErrConfig)
	}
	auth, err := newAuthenticator(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c := &Console{ctl: cfg.Control, match: cfg.Matcher, cache: cfg.Cache, fleet: cfg.Fleet, log: cfg.Logger,
		now: cfg.Now, auth: auth, stop: make(chan struct{}), done: make(chan struct{})}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.traffic = newTraffic(cfg.Metrics, cfg.Cache)
	return c, nil
}

// Start samples the traffic figures now and then every second, in a goroutine, until Close.
// A second Start does nothing.
func (c *Console) Start() {
	c.startMu.Lock()
	defer c.startMu.Unlock()
	if c.started {
		return
	}
	c.started = true
	c.Sample()
	go c.run()
}

func (c *Console) run() {
	defer close(c.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.Sample()
		}
	}
}

// Sample gathers the traffic figures now (Start's goroutine does every second): the totals
// and the cache's figures always, and a new point of the graphs when the previous one is half
// a second old or more.
func (c *Console) Sample() {
	if err := c.traffic.sample(time.Now()); err != nil {
		c.log.Warn("console: gathering the metrics", "err", err)
	}
}

// Close stops the sampling and waits for it to end. A nil Console does nothing.
func (c *Console) Close() {
	if c == nil {
		return
	}
	c.stopOnce.Do(func() { close(c.stop) })
	c.startMu.Lock()
	started := c.started
	c.startMu.Unlock()
	if started {
		<-c.done
	}
}

// Security headers of every answer. No inline script or style anywhere: the CSP needs no
// 'unsafe-inline' (https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy).
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func securityHeaders(h *fasthttp.ResponseHeader) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// Handle answers one console request (GET or HEAD; control.Server sends it those outside the
// API's paths).
func (c *Console) Handle(ctx *fasthttp.RequestCtx) {
	securityHeaders(&ctx.Response.Header)
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		c.plain(ctx, fasthttp.StatusMethodNotAllowed, "The console is read-only: GET and HEAD only.")
		return
	}
	if !c.allowed(ctx) {
		return
	}
	path := string(ctx.Path())
	switch {
	case path == "/":
		c.page(ctx, "distributions", c.distributionsPage(ctx))
	case strings.HasPrefix(path, "/distributions/"):
		c.distributionPage(ctx, strings.TrimPrefix(path, "/distributions/"))
	case path == "/traffic":
		c.page(ctx, "traffic", c.trafficPage(ctx))
	case path == "/cache":
		c.page(ctx, "cache", c.cachePage())
	case path == "/invalidations":
		c.page(ctx, "invalidations", c.invalidationsPage(ctx))
	case path == "/fleet":
		c.page(ctx, "fleet", c.fleetPage())
	case path == "/live.json":
		c.live(ctx)
	case strings.HasPrefix(path, "/static/"):
		serveStatic(ctx, strings.TrimPrefix(path, "/static/"))
	default:
		c.notFound(ctx, "There is no console page at this address.")
	}
}

// plain answers with a short text.
func (c *Console) plain(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBodyString(msg + "\n")
}
