package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// Invalidator is where invalidations go; *cache.Store satisfies it (and SmoothAwareInvalidator
// too). Invalidate must record
// (dist, path or "prefix*", at) so that every cached object of dist whose path matches and that
// was stored at or before at is treated as absent from then on, without walking the cache.
type Invalidator interface {
	Invalidate(dist string, paths []string, at time.Time)
}

// SmoothAwareInvalidator is an Invalidator that can also record wildcards with an exclusion:
// InvalidateExcept records paths like Invalidate, except that an entry whose path makes
// except return true is not affected by these records. except is evaluated lazily (when an
// entry is looked up), must be safe for concurrent use, and allocates nothing. When the
// Invalidator given to New also implements this interface, wildcards that may cover Smooth
// Streaming media go through it so that the Smooth media stay cached; the Server always passes
// the same predicate for a distribution (the SmoothMedia rule), and records wildcards plainly
// (Smooth media included) when the Invalidator lacks the interface.
type SmoothAwareInvalidator interface {
	InvalidateExcept(dist string, paths []string, except func(path string) bool, at time.Time)
}

// Config configures a Server.
type Config struct {
	// Config is the loaded configuration file: distributions, policies, key groups, functions
	// and [api] (auth, key, invalidation_delay, deploy_delay, state_dir). Required. The Server
	// keeps it as the base its API changes are merged onto (see Reload) and never modifies it.
	Config *config.Config
	// Invalidator receives accepted invalidations. Required.
	Invalidator Invalidator
	// Logger receives one line per accepted invalidation and per refused request; nil
	// discards.
	Logger *slog.Logger
	// Now is the clock for create times, statuses and signature skew; nil means time.Now.
	Now func() time.Time
	// Metrics, when set, answers GET /metrics (Prometheus exposition) without authentication,
	// as scrapers expect.
	Metrics fasthttp.RequestHandler
	// Applier, when set, is handed the merged configuration (the file's, plus what the API
	// created) on every change through the API of what the edge serves (distributions,
	// policies, key groups, origin access controls in use, published functions in use), on
	// Reload, and during New when api.state_dir brings some back. A change it refuses is
	// refused. nil: nothing is applied (the API alone, as in unit tests).
	Applier Applier
	// Fleet, when set, is the fleet this edge belongs to: invalidations and changes are
	// published to it, and it calls the Server's fleet.Handler methods (see fleet.go).
	Fleet Fleet
	// Console, when set, answers the GET and HEAD requests outside the API's paths
	// (/2020-05-31/…) and /metrics, before (and without) SigV4: the console authenticates its
	// own requests (package console).
	Console fasthttp.RequestHandler
}

// ErrConfig is wrapped by every error New returns.
var ErrConfig = errors.New("control: invalid config")

// maxBodyBytes bounds a request body. The largest request CloudFront accepts is a
// CreateInvalidation batch of MaxBatchPaths paths of MaxPathLen characters each
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-invalidations):
// 3,000 × (4,000 + len("<Path></Path>")) = 12,039,000 bytes, plus the InvalidationBatch
// envelope and CallerReference. 12 MiB (12,582,912 bytes) leaves over 500 KB for those. A
// larger Content-Length is refused (413) before the body is read. Paths are ASCII
// (CloudFront wants non-ASCII and unsafe characters percent-encoded,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html),
// so only a batch made mostly of XML-escaped '&' or '\” could need more.
const maxBodyBytes = 12 << 20

// Server is the CloudFront-compatible API. It is safe for concurrent use.
type Server struct {
	metrics fasthttp.RequestHandler
	console fasthttp.RequestHandler
	inv     Invalidator
	smooth  SmoothAwareInvalidator // inv, when it supports exclusions; else nil
	log     *slog.Logger
	now     func() time.Time
	auth    bool
	keys    map[string]string // access key id → secret
	signer  *v4.Signer
	delay   time.Duration
	start   time.Time // LastModifiedTime of the configuration file's distributions

	cur         atomic.Pointer[view] // the distributions the API shows; replaced whole under wmu
	wmu         sync.Mutex           // serializes every change: distributions, tags, functions, Reload
	applier     Applier              // nil: changes are not applied to an edge
	fleet       Fleet                // nil: this edge stands alone
	state       *store               // nil without api.state_dir
	deployDelay time.Duration        // api.deploy_delay
	maxDists    int                  // TooManyDistributions beyond this many (MaxDistributions)

	fns *functions // CloudFront Functions: the configuration's, and those created through the API

	resRoutes map[string]resourceOps // policies, public keys, key groups, origin access controls, by path prefix
	heads     bodyHeads              // heads of the requests whose chunked bodies are being read

	mu            sync.Mutex // guards every dist's recs
	keepCompleted int        // Completed invalidations kept per distribution (defaultKeepCompleted)
	keepBytes     int        // and at most this much of their text (defaultKeepBytes)

	srv  *fasthttp.Server
	lnMu sync.Mutex
	lns  []net.Listener // every listener given to Serve
	shut bool           // Shutdown was called
}

// New returns a Server for cfg, or an error wrapping ErrConfig naming what is wrong.
// api.auth must be "sigv4" (also when empty) or "none"; with "sigv4" and no api.key every
// request is refused. With api.state_dir, New reads what the API created before (a state that
// does not load, or an id, alias, function, policy, public key or key group name or id that the
// configuration file and the state both claim, is an error naming both) and, when that brings
// back distributions, policies or key groups, hands the merged configuration to cfg.Applier.
func New(cfg Config) (*Server, error) {
	if cfg.Config == nil {
		return nil, fmt.Errorf("%w: Config is nil", ErrConfig)
	}
	if cfg.Invalidator == nil {
		return nil, fmt.Errorf("%w: Invalidator is nil", ErrConfig)
	}
	s := &Server{
		inv:           cfg.Invalidator,
		metrics:       cfg.Metrics,
		console:       cfg.Console,
		log:           cfg.Logger,
		now:           cfg.Now,
		keys:          map[string]string{},
		signer:        v4.NewSigner(),
		delay:         cfg.Config.API.InvalidationDelay.D(),
		applier:       cfg.Applier,
		fleet:         cfg.Fleet,
		deployDelay:   cfg.Config.API.DeployDelay.D(),
		maxDists:      MaxDistributions,
		keepCompleted: defaultKeepCompleted,
		keepBytes:     defaultKeepBytes,
	}
	s.smooth, _ = cfg.Invalidator.(SmoothAwareInvalidator)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.start = s.now()
	switch cfg.Config.API.Auth {
	case "", "sigv4":
		s.auth = true
	case "none":
		s.log.Warn("control API: authentication is off (api.auth = \"none\"); anyone who reaches the API listener can invalidate")
	default:
		return nil, fmt.Errorf("%w: api.auth %q: want sigv4 or none", ErrConfig, cfg.Config.API.Auth)
	}
	if s.delay < 0 {
		return nil, fmt.Errorf("%w: api.invalidation_delay %v: must not be negative", ErrConfig, s.delay)
	}
	for i, k := range cfg.Config.API.Keys {
		if k.AccessKeyID == "" || k.SecretAccessKey == "" {
			return nil, fmt.Errorf("%w: api.key[%d]: access_key_id and secret_access_key are required", ErrConfig, i)
		}
		s.keys[k.AccessKeyID] = k.SecretAccessKey
	}
	if s.auth && len(s.keys) == 0 {
		s.log.Warn("control API: api.auth is sigv4 but no [[api.key]] is configured; every request will be refused")
	}
	if s.deployDelay < 0 {
		return nil, fmt.Errorf("%w: api.deploy_delay %v: must not be negative", ErrConfig, s.deployDelay)
	}
	fns, err := newFunctions(cfg.Config, s.start)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.fns = fns
	var apis []*dist
	res := &resources{}
	if dir := cfg.Config.API.StateDir; dir != "" {
		st, doc, err := openStore(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		s.state = st
		if doc != nil {
			if apis, res, err = s.restore(doc, fns); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrConfig, err)
			}
		}
	}
	v, err := s.buildView(cfg.Config, nil, apis, res, fns.byName)
	if err != nil {
		return nil, err
	}
	if (len(apis) > 0 || !res.empty()) && s.applier != nil {
		if err := s.applier.Apply(v.merged); err != nil {
			return nil, fmt.Errorf("%w: the edge refused the configuration with the API's state (%s): %w", ErrConfig, s.stateWhere(), err)
		}
	}
	s.cur.Store(v)
	s.exemptSmooth(v)
	s.resRoutes = s.resourceRoutes()
	s.srv = &fasthttp.Server{
		Handler:               s.Handle,
		Name:                  "edge-control",
		NoDefaultServerHeader: true,
		MaxRequestBodySize:    maxBodyBytes,
		HeaderReceived:        s.headerReceived,
		ErrorHandler:          s.handleReadError,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		Logger:                fasthttpLogger{s.log},
	}
	return s, nil
}

// headerReceived runs once a request's headers are in, before its body is read. When the
// request cannot be authentic (checkHeaders fails), it lowers the body limit to one byte: a
// request with a body then ends in handleReadError, which answers 403 without reading it, and
// one without a body reaches Handle, which refuses it the same way. For a chunked body it
// records what handleReadError needs of the head (see bodyHead).
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	n := h.ContentLength()
	var aerr *apiError
	// Without a body (no length, or 0) there is nothing to spare reading: Handle's check is the one.
	if s.auth && (n > 0 || n == -1) {
		_, _, _, aerr = s.checkHeaders(h, s.now())
	}
	if n == -1 {
		s.heads.put(h, bodyHead{aerr: aerr, invalidation: createsInvalidation(h)})
	} else {
		s.heads.take(h) // a pooled header's stale entry (a request that ended unread) must not judge this one
	}
	if aerr != nil {
		return fasthttp.RequestConfig{MaxRequestBodySize: 1}
	}
	return fasthttp.RequestConfig{}
}

// createsInvalidation reports whether h is the head of a CreateInvalidation request: a POST to
// a path ending in "/invalidation".
func createsInvalidation(h *fasthttp.RequestHeader) bool {
	path, _, _ := strings.Cut(string(h.RequestURI()), "?")
	return string(h.Method()) == http.MethodPost && strings.HasSuffix(path, "/invalidation")
}

// bodyHead is what headerReceived learnt of the head of a request with a chunked body. When
// such a body goes over the limit, fasthttp resets the request, head included, before calling
// handleReadError (Request.ReadBody), which so can no longer authenticate the head or tell
// the operation from it.
type bodyHead struct {
	aerr         *apiError // why the head cannot be authentic; nil when it may be
	invalidation bool      // a CreateInvalidation request (createsInvalidation)
}

// maxBodyHeads bounds the heads kept at once: one per request whose chunked body is being
// read, so a handful; past it, heads are not recorded and handleReadError judges the
// (reset) head it is given.
const maxBodyHeads = 1024

// bodyHeads holds a bodyHead per request being read, keyed by its header (fasthttp hands
// headerReceived and handleReadError the same RequestHeader of one RequestCtx). The keys are
// weak so that a request that ends neither in Handle nor in handleReadError (the client went
// away) pins no RequestCtx; such an entry is swept once the map is full.
type bodyHeads struct {
	mu sync.Mutex
	m  map[weak.Pointer[fasthttp.RequestHeader]]bodyHead
}

// put records b for the request whose head is h.
func (bh *bodyHeads) put(h *fasthttp.RequestHeader, b bodyHead) {
	bh.mu.Lock()
	defer bh.mu.Unlock()
	if bh.m == nil {
		bh.m = map[weak.Pointer[fasthttp.RequestHeader]]bodyHead{}
	}
	if len(bh.m) >= maxBodyHeads {
		for k := range bh.m {
			if k.Value() == nil {
				delete(bh.m, k)
			}
		}
		if len(bh.m) >= maxBodyHeads {
			return
		}
	}
	bh.m[weak.Make(h)] = b
}

// take returns and forgets what was recorded for the request whose head is h.
func (bh *bodyHeads) take(h *fasthttp.RequestHeader) (bodyHead, bool) {
	bh.mu.Lock()
	defer bh.mu.Unlock()
	if len(bh.m) == 0 {
		return bodyHead{}, false
	}
	k := weak.Make(h)
	b, ok := bh.m[k]
	delete(bh.m, k)
	return b, ok
}

// handleReadError answers a request that fasthttp could not read, in CloudFront's error format;
// fasthttp then closes the connection. A body over the limit is refused as soon as its
// Content-Length is seen, or, chunked, as soon as it goes over (judged on the head
// headerReceived recorded, fasthttp having reset the request): 403 with the authentication
// error when the headers cannot be authentic (see headerReceived), else 413 — BatchTooLarge for
// CreateInvalidation, CloudFront's code for a batch too large, and RequestEntityTooLarge
// otherwise.
func (s *Server) handleReadError(ctx *fasthttp.RequestCtx, err error) {
	reqID := newRequestID()
	ctx.Response.Header.Set("x-amzn-RequestId", reqID)
	var aerr *apiError
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	head, chunked := s.heads.take(&ctx.Request.Header)
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		if !chunked {
			// Refused on its Content-Length, before the body was read: the head is intact.
			head.invalidation = createsInvalidation(&ctx.Request.Header)
			if s.auth {
				_, _, _, head.aerr = s.checkHeaders(&ctx.Request.Header, s.now())
			}
		}
		aerr = head.aerr
		if aerr == nil {
			code := CodeRequestEntityTooLarge
			if head.invalidation {
				code = CodeBatchTooLarge
			}
			size := fmt.Sprintf("is %d bytes", ctx.Request.Header.ContentLength())
			if chunked {
				size = fmt.Sprintf("is over %d bytes", maxBodyBytes)
			}
			aerr = errorf(http.StatusRequestEntityTooLarge, code,
				"The request body %s; the API accepts at most %d.", size, maxBodyBytes)
		}
	case errors.As(err, &small):
		aerr = errorf(http.StatusRequestHeaderFieldsTooLarge, CodeInvalidArgument, "The request headers are too large.")
	case errors.As(err, &netErr) && netErr.Timeout():
		aerr = errorf(http.StatusRequestTimeout, CodeRequestTimeout, "The request was not received in time.")
	default:
		aerr = invalidArgument("The request could not be read: %v.", err)
	}
	s.log.Warn("control API: request refused before its body was read", "code", aerr.code, "status", aerr.status,
		"method", string(ctx.Method()), "path", clip(string(ctx.Path()), 200), "remote", ctx.RemoteAddr().String(),
		"content_length", ctx.Request.Header.ContentLength(), "reason", aerr.message)
	s.fail(ctx, reqID, aerr)
}

// fasthttpLogger sends fasthttp's own messages (malformed requests and the like) to slog.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Debug("control API: " + fmt.Sprintf(format, args...))
}

// Serve answers API requests on ln until Shutdown, and then returns nil (also when Shutdown
// came first: ln is then closed at once). Other errors are the listener's.
func (s *Server) Serve(ln net.Listener) error {
	s.lnMu.Lock()
	if s.shut {
		s.lnMu.Unlock()
		_ = ln.Close()
		return nil
	}
	s.lns = append(s.lns, ln)
	s.lnMu.Unlock()
	err := s.srv.Serve(ln)
	s.lnMu.Lock()
	shut := s.shut
	s.lnMu.Unlock()
	if shut {
		return nil
	}
	return err
}

// Shutdown closes the listeners and waits for running requests to finish, or for ctx to end
// (then it returns ctx's error).
func (s *Server) Shutdown(ctx context.Context) error {
	s.lnMu.Lock()
	s.shut = true
	lns := s.lns
	s.lnMu.Unlock()
	err := s.srv.ShutdownWithContext(ctx)
	for _, ln := range lns {
		_ = ln.Close() // a Serve that had not yet reached fasthttp stops on its next Accept
	}
	return err
}

// SmoothMedia reports whether path, in distribution dist, names Smooth Streaming media served
// by a behavior with smooth_streaming on, which is what an invalidation must leave alone: the
// first behavior whose pattern matches path (else the default behavior) has Smooth Streaming
// on, and path ends in .ism, .ismc, .ismv or .isma or holds ".ism/" (any case). It allocates
// nothing and is false for an unknown distribution.
func (s *Server) SmoothMedia(dist, path string) bool {
	d := s.cur.Load().byID[dist]
	return d != nil && d.rules.smoothMedia(path)
}

const apiPrefix = "/2020-05-31/distribution"

// Handle answers one API request: authentication first, then the operation. Every answer
// carries x-amzn-RequestId; errors carry CloudFront's ErrorResponse document.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	s.heads.take(&ctx.Request.Header) // its body was read: handleReadError will not need its head
	if s.metrics != nil && ctx.IsGet() && string(ctx.Path()) == "/metrics" {
		s.metrics(ctx)
		return
	}
	if s.console != nil && forConsole(ctx) {
		s.console(ctx)
		return
	}
	reqID := newRequestID()
	ctx.Response.Header.Set("x-amzn-RequestId", reqID)
	now := s.now()
	if s.auth {
		if aerr := s.authenticate(ctx, now); aerr != nil {
			s.log.Warn("control API: request refused", "code", aerr.code, "method", string(ctx.Method()),
				"path", string(ctx.Path()), "remote", ctx.RemoteAddr().String(), "reason", aerr.message)
			s.fail(ctx, reqID, aerr)
			return
		}
	}
	if aerr := s.route(ctx, now); aerr != nil {
		s.log.Debug("control API: error", "code", aerr.code, "status", aerr.status, "method", string(ctx.Method()),
			"path", string(ctx.Path()), "message", aerr.message)
		s.fail(ctx, reqID, aerr)
	}
}

// forConsole reports whether a request is the console's: a GET or HEAD outside the API's
// version prefix and /metrics.
func forConsole(ctx *fasthttp.RequestCtx) bool {
	p := string(ctx.Path())
	return (ctx.IsGet() || ctx.IsHead()) && p != "/metrics" && p != "/2020-05-31" && !strings.HasPrefix(p, "/2020-05-31/")
}

func (s *Server) fail(ctx *fasthttp.RequestCtx, reqID string, e *apiError) {
	ctx.SetStatusCode(e.status)
	ctx.SetContentType("text/xml")
	ctx.SetBody(marshalError(e, reqID))
}

func reply(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/xml")
	ctx.SetBody(body)
}

// rawPath is the request's path as the client sent it: neither percent-decoded nor normalised
// (ctx.Path() is both, so "%2F" in an id would read as a separator and "../" would climb out
// of it). The API routes on it: an id or a name is one URI label, in which the SDKs
// percent-encode "/" (https://smithy.io/2.0/spec/http-bindings.html#httplabel-trait: a
// label's value is percent-encoded, "/" included, unless the label is greedy; CloudFront's
// labels are not).
func rawPath(ctx *fasthttp.RequestCtx) string {
	p := string(ctx.URI().PathOriginal())
	if p == "" {
		return "/"
	}
	return p
}

// splitSegments splits rest, the raw path after an operation's prefix, into its segments: on
// literal "/" first, then each segment percent-decoded, so that a decoded "/" stays inside its
// segment. Leading and trailing "/" are ignored. An invalid percent-encoding is InvalidArgument.
func splitSegments(rest string) ([]string, *apiError) {
	t := strings.Trim(rest, "/")
	if t == "" {
		return nil, nil
	}
	parts := strings.Split(t, "/")
	for i, seg := range parts {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return nil, invalidArgument("The request path segment %q is not validly percent-encoded: %v.", clip(seg, 80), err)
		}
		parts[i] = dec
	}
	return parts, nil
}

// route dispatches on method and path (the raw path, see rawPath).
func (s *Server) route(ctx *fasthttp.RequestCtx, now time.Time) *apiError {
	path := rawPath(ctx)
	if rest, ok := strings.CutPrefix(path, fnPrefix); ok && (rest == "" || rest[0] == '/') {
		return s.routeFunction(ctx, rest, now)
	}
	if path == taggingPath {
		return s.routeTagging(ctx)
	}
	for prefix, ops := range s.resRoutes {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			if parts, ok, aerr := splitPath(rest); ok {
				if aerr != nil {
					return aerr
				}
				return routeResource(ctx, ops, parts, now)
			}
		}
	}
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return unsupported(ctx)
	}
	parts, aerr := splitSegments(rest)
	if aerr != nil {
		return aerr
	}
	get, post, put, del := ctx.IsGet(), ctx.IsPost(), ctx.IsPut(), ctx.IsDelete()
	switch {
	case len(parts) == 0 && get:
		return s.listDistributions(ctx, now)
	case len(parts) == 0 && post:
		return s.createDistribution(ctx, ctx.QueryArgs().Has("WithTags"), now)
	case len(parts) == 1 && get:
		return s.getDistribution(ctx, parts[0], now)
	case len(parts) == 1 && del:
		return s.deleteDistribution(ctx, parts[0], now)
	case len(parts) == 2 && parts[1] == "config" && get:
		return s.getDistributionConfig(ctx, parts[0])
	case len(parts) == 2 && parts[1] == "config" && put:
		return s.updateDistribution(ctx, parts[0], now)
	case len(parts) == 2 && parts[1] == "invalidation" && post:
		return s.createInvalidation(ctx, parts[0], now)
	case len(parts) == 2 && parts[1] == "invalidation" && get:
		return s.listInvalidations(ctx, parts[0], now)
	case len(parts) == 3 && parts[1] == "invalidation" && get:
		return s.getInvalidation(ctx, parts[0], parts[2], now)
	}
	return unsupported(ctx)
}

func unsupported(ctx *fasthttp.RequestCtx) *apiError {
	return errorf(http.StatusBadRequest, CodeInvalidAction,
		"%s %s is not an operation edge implements. Supported: CreateInvalidation, GetInvalidation, "+
			"ListInvalidations, CreateDistribution, CreateDistributionWithTags, GetDistribution, "+
			"GetDistributionConfig, UpdateDistribution, DeleteDistribution, ListDistributions, "+
			"ListTagsForResource, TagResource, UntagResource, CreateFunction, "+
			"DescribeFunction, GetFunction, UpdateFunction, PublishFunction, ListFunctions, DeleteFunction, "+
			"TestFunction, and Create, Get, Get…Config, Update, Delete and List of CachePolicy, "+
			"OriginRequestPolicy, ResponseHeadersPolicy, PublicKey, KeyGroup and OriginAccessControl (API 2020-05-31).",
		ctx.Method(), clip(string(ctx.Path()), 200))
}

func (s *Server) lookup(id string) (*dist, *apiError) {
	d := s.cur.Load().byID[id]
	if d == nil {
		return nil, noSuchDistribution(clip(id, 64))
	}
	return d, nil
}
