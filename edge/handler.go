package edge

import (
	"bytes"
	"runtime/debug"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/h2"
	"github.com/cfedge/edge/origin"
	"github.com/cfedge/edge/smooth"
	"github.com/valyala/fasthttp"
)

// Header names and values written on every response; kept as []byte so writing them allocates nothing.
var (
	hVia        = []byte("Via")
	hCfID       = []byte("X-Amz-Cf-Id")
	hCfPop      = []byte("X-Amz-Cf-Pop")
	hXCache     = []byte("X-Cache")
	hAge        = []byte("Age")
	hDate       = []byte("Date")
	hServer     = []byte("Server")
	vCloudFront = []byte("CloudFront")
	vTextHTML   = []byte("text/html")

	xHit        = []byte("Hit from cloudfront")
	xRefreshHit = []byte("RefreshHit from cloudfront")
	xMiss       = []byte("Miss from cloudfront")
	xError      = []byte("Error from cloudfront")
	xRedirect   = []byte("Redirect from cloudfront")
)

// exchange is one viewer request on its way through the pipeline: the request, what it matched,
// and the scratch the answer is built in. It is pooled, so the hit path allocates nothing.
type exchange struct {
	ctx *fasthttp.RequestCtx
	// now is when the edge started on the request; every decision for it uses this instant.
	now time.Time
	// dist and beh are the distribution (by Host) and the cache behavior (by path) that answer;
	// nil until known.
	dist *distribution
	beh  *behavior.Behavior
	// path is the normalised path (percent-decoded, dot-segments resolved) that selects the
	// behavior. originPath is the path as the viewer sent it (still escaped), or the default
	// root object: it is what the origin receives, and so it is what the cache key holds.
	path, originPath []byte
	// facts is what the request's raw header block says (scanHeaders).
	facts headerFacts

	// snap is the configuration the request is served on, loaded once when it starts.
	snap *snapshot
	// hostRaw and hostDist are the last Host this exchange looked up and its distribution, in
	// hostSnap.
	hostRaw  []byte
	hostDist *distribution
	hostSnap *snapshot

	id     requestID
	key    []byte
	buf    []byte // scratch for header values
	pbuf   []byte // the path, when rewritten
	xcache []byte
	// dated is set once the answer's Date is written (see dateFirst).
	dated bool
	// preflight is set when the edge answered a CORS preflight itself (corsPreflight);
	// upstreamFBL is the origin's first-byte latency when this viewer's request went to it.
	preflight   bool
	upstreamFBL time.Duration
	// prepared is set when the answer started from an entry's prepared head (see head.go),
	// which holds Via, X-Amz-Cf-Pop and the fixed part of the behavior's policy already.
	prepared bool
	// corsDone is set when the prepared head held the request's CORS fields already.
	corsDone bool
	// origin, originID and originHost are the origin a viewer-request function chose for this
	// request, its id and the Host to send it (nil, "" and "": the behavior's).
	origin     origin.Fetcher
	originID   string
	originHost string
	// xffbuf is scratch for the access log's joined X-Forwarded-For lines.
	xffbuf []byte
	// lowerTier: the request is a lower-tier edge's fill (hopTrust); fromShieldClient: proven
	// by the origin shield's secret, so the viewer-side steps, which ran on that edge, are not
	// repeated here.
	lowerTier, fromShieldClient bool
	// cut is a short origin body to replay on the raw connection (see writeTruncated).
	cut        []byte
	hasCut     bool
	cutChunked bool
	// For the access log: the detailed result type when it differs from the result, the
	// Content-Range of a single-range answer (-1 when none), the record and its scratch.
	detail               string
	rangeStart, rangeEnd int64
	// proto is the protocol the viewer's request came over (h3adapter.go).
	proto viewerProto
	// diskEntry is an entry answered from a disk file, which the exchange closes unless it
	// was handed to the response (diskHanded).
	diskEntry  *cache.Entry
	diskHanded bool
	rec        accesslog.Record
	ipbuf      []byte
}

// reset readies a pooled exchange for a new request.
func (x *exchange) reset(ctx *fasthttp.RequestCtx, now time.Time, sn *snapshot) {
	x.ctx, x.now, x.snap = ctx, now, sn
	x.dist, x.beh, x.path, x.originPath = nil, nil, nil, nil
	x.xcache, x.detail, x.rangeStart, x.rangeEnd = xMiss, "", -1, -1
	x.dated, x.preflight, x.upstreamFBL, x.prepared, x.corsDone = false, false, 0, false, false
	x.origin, x.originID, x.originHost, x.lowerTier, x.fromShieldClient = nil, "", "", false, false
	x.facts = scanHeaders(ctx.Request.Header.RawHeaders())
	x.proto = protoH1
	switch c := ctx.Conn().(type) {
	case *headGuard, tlsHeadGuard: // HTTP/1.1 (guardedListener)
	case *streamConn:
		x.proto = protoH3
	default:
		if _, ok := h2.StreamOf(c); ok {
			x.proto = protoH2
		}
	}
	x.newRequestID()
	// Every header name the edge writes is already canonical: skip fasthttp's normalising copy.
	ctx.Response.Header.DisableNormalizing()
}

// Handle is the fasthttp handler for viewer requests.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	x := s.pool.Get().(*exchange)
	defer s.recoverPanic(ctx, x)
	s.proto.capture(&ctx.Response.Header)
	x.reset(ctx, s.now(), s.snap.Load())
	if s.admit(x) {
		s.serve(x)
	}
	s.finish(x)
	s.pool.Put(x)
}

// expectBody decides on a request with a body before the body is read (fasthttp's
// ExpectHandler: the viewer sent "Expect: 100-continue", or headerReceived asked for the
// decision): 100 Continue when the edge will take the body, else the refusal, written whole,
// and its status.
func (s *Server) expectBody(ctx *fasthttp.RequestCtx) int {
	x := s.pool.Get().(*exchange)
	defer s.recoverPanic(ctx, x)
	x.reset(ctx, s.now(), s.snap.Load())
	status := fasthttp.StatusContinue
	if !s.admit(x) {
		s.finish(x)
		status = ctx.Response.StatusCode()
		lingerOnClose(ctx) // fasthttp closes the connection: the body is still on its way
	}
	x.ctx = nil
	s.pool.Put(x)
	return status
}

// headerReceived runs when a request's headers are in, before any of its body is read. A body
// the edge would refuse (a method the behavior doesn't allow, a GET with a body, a behavior that
// needs a signature) is marked as awaiting 100 Continue, so that expectBody answers the refusal
// and the body is never read.
func (s *Server) headerReceived(rh *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if !hasBody(rh) || len(rh.Peek(fasthttp.HeaderExpect)) > 0 {
		return fasthttp.RequestConfig{}
	}
	x := s.pool.Get().(*exchange)
	x.snap = s.snap.Load()
	d := s.lookupHost(rh.Host(), x)
	x.snap = nil
	s.pool.Put(x)
	if d == nil {
		rh.Set(fasthttp.HeaderExpect, "100-continue")
		return fasthttp.RequestConfig{}
	}
	// The path as sent is enough for a hint: expectBody decides on the normalised one, and a
	// wrong hint costs at most maxBufferedBody bytes read before the handler refuses.
	b := d.table.Match(rawPath(rh.RequestURI()))
	if !b.Allowed.Has(rh.Method()) || rh.IsGet() || len(d.verifiers) > 0 {
		rh.Set(fasthttp.HeaderExpect, "100-continue")
	}
	return fasthttp.RequestConfig{}
}

// finish completes the answer: CloudFront's headers, a cut body's replay, the metrics and the
// access log.
func (s *Server) finish(x *exchange) {
	ctx := x.ctx
	s.decorate(x)
	if !x.fromShieldClient {
		s.viewerResponseFunction(x)
	}
	s.writeCloudFrontHeaders(&ctx.Response.Header, x.xcache, x.id[:], x.dated, x.prepared)
	if d := x.dist; d != nil && d.h3 && x.proto != protoH3 && ctx.IsTLS() {
		if v := s.altSvc.Load(); v != nil {
			ctx.Response.Header.SetCanonical(hAltSvc, *v)
		}
	}
	if x.hasCut {
		writeCut(ctx, x.cut, x.cutChunked)
		x.cut, x.hasCut = nil, false
	}
	if d := x.dist; d != nil && d.metrics != nil {
		d.metrics.count(x.proto, x.xcache, int(bodyLen(&ctx.Response)), time.Since(ctx.Time()))
	}
	// A request over CloudFront's URL limit is not logged ("requests ... whose URL exceeds
	// 8,192 bytes", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html).
	if s.access != nil && len(ctx.Request.Header.RequestURI()) <= maxURLBytes {
		s.logRecord(ctx, x, s.now())
	}
	x.releaseDisk()
	rearmHeadGuard(ctx)
	x.ctx = nil
}

// bodyLen is the length of the body an answer sends: its Content-Length for a streamed body (a
// file or an origin's stream; 0 when the stream's length is unknown), which must not be read
// here (Response.Body would read the whole stream into memory).
func bodyLen(resp *fasthttp.Response) int64 {
	if resp.IsBodyStream() {
		return int64(max(resp.Header.ContentLength(), 0))
	}
	return int64(len(resp.Body()))
}

// writeCloudFrontHeaders adds the headers CloudFront puts on every response: X-Cache, Via,
// X-Amz-Cf-Id, X-Amz-Cf-Pop, and Date (date, or the edge's clock when nil). They are added, not
// set: no response carries them yet (origin copies are dropped), and adding skips a search of
// the headers per name.
func (s *Server) writeCloudFrontHeaders(h *fasthttp.ResponseHeader, xcache, id []byte, dated, prepared bool) {
	if !dated {
		setDate(h, s.clock.httpDate())
	}
	h.SetCanonical(hXCache, xcache)
	h.SetCanonical(hCfID, id)
	if !prepared { // a prepared head has them
		h.SetCanonical(hVia, s.via)
		h.SetCanonical(hCfPop, s.pop)
	}
}

// replayFields adds stored response fields to h. A field whose name differs from the one before
// it is set without fasthttp's copy and check of its name (SetCanonical; the names come from an
// origin response parsed by an HTTP client, already canonical tokens), which is measurably
// cheaper on the hit path; a repeated name (stored next to each other, see replayHeaders) is
// added.
func replayFields(h *fasthttp.ResponseHeader, fields []cache.Field) {
	for i := range fields {
		if i > 0 && bytes.Equal(fields[i].Key, fields[i-1].Key) {
			h.AddBytesKV(fields[i].Key, fields[i].Value)
		} else {
			h.SetCanonical(fields[i].Key, fields[i].Value)
		}
	}
}

// hDatePlaceholder has Date's length: see setDate.
var hDatePlaceholder = []byte("Dat_")

// setDate adds the Date field; call it before any other field of the answer, so that finding it
// again is quick. fasthttp's ResponseHeader treats Date as its own (an added Date is dropped, and
// with Server.NoDefaultDate none is written), so the field is added under a placeholder name of
// the same length and renamed in place: the keys ResponseHeader.All yields are the header's own
// storage. TestAgeAndDate fails if a fasthttp upgrade changes that.
func setDate(h *fasthttp.ResponseHeader, date []byte) {
	h.SetCanonical(hDatePlaceholder, date)
	for k := range h.All() {
		if bytes.Equal(k, hDatePlaceholder) {
			copy(k, hDate)
			return
		}
	}
}

// dateFirst writes the answer's Date before its other fields: date, or the edge's clock when nil.
func (s *Server) dateFirst(x *exchange, date []byte) {
	if date == nil {
		date = s.clock.httpDate()
	}
	setDate(&x.ctx.Response.Header, date)
	x.dated = true
}

// recoverPanic turns a panic while serving one request into a 500 for that viewer and a log line
// with the stack, instead of the end of the process (fasthttp does not recover handlers).
func (s *Server) recoverPanic(ctx *fasthttp.RequestCtx, x *exchange) {
	v := recover()
	if v == nil {
		return
	}
	s.log.Error("panic serving a request", "path", string(ctx.Path()), "host", string(ctx.Host()), "panic", v, "stack", string(debug.Stack()))
	s.cfError(x, fasthttp.StatusInternalServerError, msgBadReq)
	ctx.SetConnectionClose()
	s.writeCloudFrontHeaders(&ctx.Response.Header, xError, x.id[:], false, false)
}

// admit runs the checks that come before any work for a request: the request's own syntax and
// limits, the distribution (by Host) and the behavior (by path), and the behavior's viewer checks.
// When one fails it writes the answer and returns false.
func (s *Server) admit(x *exchange) bool {
	ctx := x.ctx
	if status, msg := checkRequest(ctx, x.facts); status != 0 {
		s.cfError(x, status, msg)
		ctx.SetConnectionClose()
		return false
	}
	if uri := ctx.Request.Header.RequestURI(); len(uri) > 0 && uri[0] != '/' {
		// An absolute-form target ("GET http://b.example/p") names the host: a server uses it
		// and ignores the Host field, and a gateway replaces the field with it (RFC 9112
		// §3.2.2), so the distribution, the cache key, the origin and the log all see one host.
		ctx.Request.Header.SetHostBytes(ctx.Host())
	}
	d := s.lookupHost(ctx.Host(), x)
	if d == nil {
		s.cfError(x, fasthttp.StatusForbidden, msgBadHost)
		return false
	}
	x.dist = d
	s.setPaths(x)
	x.beh = d.table.Match(x.path)
	if x.facts.hop {
		x.lowerTier, x.fromShieldClient = hopTrust(x)
	}
	return s.viewerAllowed(x)
}

// serve answers an admitted request: from the cache, or from the origin when nothing may be
// cached.
func (s *Server) serve(x *exchange) {
	if x.facts.cloudfront || len(x.beh.Forward.CloudFrontHeaders()) > 0 {
		s.setCloudFrontHeaders(x)
	}
	if !x.fromShieldClient && (s.viewerRequestFunction(x) || s.corsPreflight(x)) {
		return
	}
	ctx, b := x.ctx, x.beh
	dropConnectionHeaders(&ctx.Request.Header, x.facts)
	if !cacheable(ctx, b) {
		x.mayWait()
		// Smooth URLs are resolved even where nothing may be cached (CachingDisabled): the
		// origin has no such objects to pass the request to.
		if s.smoothURL(x) {
			x.setKey()
			if s.smoothMiss(x) {
				return
			}
		}
		s.pass(x)
		return
	}
	if !ctx.Request.Header.IsHTTP11() {
		// CloudFront drops an HTTP/1.0 viewer's Accept-Encoding: such viewers get identity.
		ctx.Request.Header.Del(fasthttp.HeaderAcceptEncoding)
	}
	x.setKey()
	e := s.store.Get(x.key)
	if e == nil && s.diskMax > 0 {
		x.mayWait()
		var answered bool
		if e, answered = s.diskLookup(x); answered {
			return
		}
	}
	if e != nil && e.Fresh(x.now) {
		x.xcache = hitResult(e)
		s.answer(x, e)
		return
	}
	if e != nil && e.StaleWhileRevalidate > 0 && x.now.Before(e.Expires.Add(e.StaleWhileRevalidate)) {
		s.refreshInBackground(x, e)
		x.xcache = hitResult(e)
		s.answer(x, e)
		return
	}
	x.mayWait()
	if s.smoothURL(x) && s.smoothMiss(x) {
		return
	}
	s.miss(x, e)
}

// mayWait is called before the pipeline may wait (for an origin, a collapsed fill, a disk read):
// an HTTP/2 request answered on its connection's reading goroutine lets the connection go on
// reading on another (h2.Stream.Detach). Hits never get here.
func (x *exchange) mayWait() {
	if st, ok := h2.StreamOf(x.ctx.Conn()); ok {
		st.Detach()
	}
}

// setPaths sets the request's two paths: the normalised one that selects the behavior, and the
// one the origin receives (the path as sent, or the default root object for "/").
func (s *Server) setPaths(x *exchange) {
	x.path = x.ctx.Path()
	x.originPath = rawPath(x.ctx.Request.Header.RequestURI())
	if d := x.dist; d.rootObj != "" && len(x.originPath) == 1 && x.originPath[0] == '/' {
		x.pbuf = append(x.pbuf[:0], d.rootObj...)
		x.path, x.originPath = x.pbuf, x.pbuf
	}
}

// viewerAllowed applies the behavior's checks on the viewer (method, protocol policy, a GET with
// a body, signed URLs) and answers the request when one fails.
func (s *Server) viewerAllowed(x *exchange) bool {
	ctx, b := x.ctx, x.beh
	if !b.Allowed.Has(ctx.Method()) {
		s.cfError(x, fasthttp.StatusForbidden, msgBadMethod)
		x.detail = "InvalidRequestMethod"
		return false
	}
	if x.fromShieldClient {
		// A lower-tier edge (proven by the shared secret) applied the viewer checks, and sends
		// its fill without the viewer's TLS or signing parameters: this edge is a cache for it.
		return true
	}
	if !ctx.IsTLS() && b.ViewerProtocolPolicy != "" && b.ViewerProtocolPolicy != "allow-all" {
		s.httpsPolicy(x)
		return false
	}
	// Decided from the headers: the body itself is never read for it.
	if ctx.IsGet() && hasBody(&ctx.Request.Header) {
		s.cfError(x, fasthttp.StatusForbidden, msgGetBody)
		return false
	}
	if len(x.dist.verifiers) > 0 && !s.signedOK(x) {
		return false
	}
	return true
}

// hasBody reports whether a request announces a body: a positive Content-Length, or chunked.
func hasBody(rh *fasthttp.RequestHeader) bool {
	n := rh.ContentLength()
	return n > 0 || n == -1
}

// smoothURL reports whether the request goes to the Smooth Streaming resolver: the behavior has
// Smooth Streaming on, the method reads, the path is shaped like a Smooth URL, and the path the
// viewer sent is already in normal form, so that the key (which holds the path as sent) names
// exactly what the resolver reads.
func (s *Server) smoothURL(x *exchange) bool {
	ctx := x.ctx
	return x.beh.SmoothStreaming && (ctx.IsGet() || ctx.IsHead()) && smooth.IsURLCandidate(x.path) &&
		bytes.Equal(x.path, x.originPath)
}

// setKey builds the request's cache key into x.key: the distribution, then the behavior's key
// policy over the method, the path the origin receives, query string, headers and cookies.
func (x *exchange) setKey() {
	ctx := x.ctx
	x.key = x.beh.Key.AppendKey(append(x.key[:0], x.dist.keyPrefix(x.beh)...), ctx.Method(), x.originPath, ctx.URI().QueryString(), &ctx.Request.Header)
}

// hitResult is the X-Cache of an answer from the cache: a cached error stays an Error.
func hitResult(e *cache.Entry) []byte {
	if e.Status >= 400 {
		return xError
	}
	return xHit
}

// cacheable says whether this request may be answered from, and fill, the cache.
func cacheable(ctx *fasthttp.RequestCtx, b *behavior.Behavior) bool {
	if b.NoCache {
		return false
	}
	if ctx.IsGet() || ctx.IsHead() {
		return true
	}
	return ctx.IsOptions() && b.Cached.Has(ctx.Method())
}

// cfError writes one of CloudFront's own error pages.
func (s *Server) cfError(x *exchange, status int, msg string) {
	ctx := x.ctx
	ctx.Response.Reset()
	ctx.Response.Header.DisableNormalizing()
	ctx.Response.Header.SetCanonical(hServer, vCloudFront)
	ctx.Response.Header.SetContentTypeBytes(vTextHTML)
	ctx.SetStatusCode(status)
	ctx.Response.SetBody(appendErrorPage(nil, status, msg, x.id[:]))
	x.xcache, x.dated, x.prepared, x.corsDone = xError, false, false, false
}

// handleParseError answers requests fasthttp could not parse (headers over the limit, bad syntax).
func (s *Server) handleParseError(ctx *fasthttp.RequestCtx, err error) {
	var id requestID
	newRequestID(&id)
	status, msg := fasthttp.StatusBadRequest, msgBadReq
	if _, ok := err.(*fasthttp.ErrSmallBuffer); ok {
		status, msg = fasthttp.StatusRequestEntityTooLarge, msgTooLarge
	}
	ctx.Response.Reset()
	h := &ctx.Response.Header
	h.SetCanonical(hServer, vCloudFront)
	h.SetContentTypeBytes(vTextHTML)
	s.writeCloudFrontHeaders(h, xError, id[:], false, false)
	ctx.SetStatusCode(status)
	ctx.Response.SetBody(appendErrorPage(nil, status, msg, id[:]))
	ctx.SetConnectionClose()
}

// fetcher is the origin for x's request, and its id: the one a function chose, else the
// behavior's.
func (x *exchange) fetcher() (origin.Fetcher, string) {
	if x.origin != nil {
		return x.origin, x.originID
	}
	return x.dist.origins[x.beh.TargetOriginID], x.beh.TargetOriginID
}
