package edge

import (
	"bytes"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/valyala/fasthttp"
)

// Header names and values written on every response; kept as []byte so writing them allocates nothing.
var (
	hVia        = []byte("Via")
	hCfID       = []byte("X-Amz-Cf-Id")
	hCfPop      = []byte("X-Amz-Cf-Pop")
	hXCache     = []byte("X-Cache")
	hAge        = []byte("Age")
	hServer     = []byte("Server")
	vCloudFront = []byte("CloudFront")
	vTextHTML   = []byte("text/html")

	xHit        = []byte("Hit from cloudfront")
	xRefreshHit = []byte("RefreshHit from cloudfront")
	xMiss       = []byte("Miss from cloudfront")
	xError      = []byte("Error from cloudfront")
	xRedirect   = []byte("Redirect from cloudfront")
)

// exchange is the per-request scratch state, pooled so the hit path allocates nothing.
type exchange struct {
	id     requestID
	key    []byte
	buf    []byte // scratch for header values
	pbuf   []byte // the path, when rewritten
	xcache []byte
	// cut is a short origin body to replay on the raw connection (see writeTruncated).
	cut        []byte
	hasCut     bool
	cutChunked bool
	// originPath replaces the viewer's path toward the origin (default root object).
	originPath string
	// dist is the distribution that answered, for its counters (nil before the Host is known).
	dist *distribution
	// For the access log: the detailed result type when it differs from the result, the
	// Content-Range of a single-range answer (-1 when none), the record and its scratch.
	detail               string
	rangeStart, rangeEnd int64
	rec                  accesslog.Record
	ipbuf                []byte
}

// Handle is the fasthttp handler for viewer requests.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	x := s.pool.Get().(*exchange)
	defer s.recoverPanic(ctx, x)
	x.newRequestID()
	// Every header name the edge writes is already canonical: skip fasthttp's normalising copy.
	ctx.Response.Header.DisableNormalizing()
	x.xcache = xMiss
	x.originPath, x.dist, x.detail, x.rangeStart, x.rangeEnd = "", nil, "", -1, -1
	s.serve(ctx, x)
	// Added, not set: no response carries these yet (origin copies are dropped), and adding
	// skips a search of the headers per name.
	h := &ctx.Response.Header
	h.AddBytesKV(hXCache, x.xcache)
	h.AddBytesKV(hVia, s.via)
	h.AddBytesKV(hCfID, x.id[:])
	h.AddBytesKV(hCfPop, s.pop)
	if x.hasCut {
		writeCut(ctx, x.cut, x.cutChunked)
		x.cut, x.hasCut = nil, false
	}
	if d := x.dist; d != nil && d.metrics != nil {
		d.metrics.count(x.xcache, len(ctx.Response.Body()), time.Since(ctx.Time()))
	}
	if s.access != nil {
		s.logRecord(ctx, x, s.now())
	}
	s.pool.Put(x)
}

// recoverPanic turns a panic while serving one request into a 500 for that viewer and a log line
// with the stack, instead of the end of the process (fasthttp does not recover handlers).
func (s *Server) recoverPanic(ctx *fasthttp.RequestCtx, x *exchange) {
	v := recover()
	if v == nil {
		return
	}
	s.log.Error("panic serving a request", "path", string(ctx.Path()), "host", string(ctx.Host()), "panic", v, "stack", string(debug.Stack()))
	s.cfError(ctx, x, fasthttp.StatusInternalServerError, msgBadReq)
	ctx.SetConnectionClose()
	h := &ctx.Response.Header
	h.AddBytesKV(hXCache, xError)
	h.AddBytesKV(hVia, s.via)
	h.AddBytesKV(hCfID, x.id[:])
	h.AddBytesKV(hCfPop, s.pop)
}

func (s *Server) serve(ctx *fasthttp.RequestCtx, x *exchange) {
	now := s.now()
	if len(ctx.Request.Header.RequestURI()) > maxURLBytes {
		s.cfError(ctx, x, fasthttp.StatusRequestEntityTooLarge, msgTooLarge)
		ctx.SetConnectionClose()
		return
	}
	d := s.lookupHost(ctx.Host(), x)
	if d == nil {
		s.cfError(ctx, x, fasthttp.StatusForbidden, msgBadHost)
		return
	}
	x.dist = d
	path := ctx.Path()
	if d.rootObj != "" && len(path) == 1 && path[0] == '/' {
		path = append(x.pbuf[:0], d.rootObj...)
		x.pbuf = path
		x.originPath = d.rootObj
	}
	b := d.table.Match(path)
	method := ctx.Method()
	if !b.Allowed.Has(method) {
		s.cfError(ctx, x, fasthttp.StatusForbidden, msgBadMethod)
		x.detail = "InvalidRequestMethod"
		return
	}
	if !ctx.IsTLS() && b.ViewerProtocolPolicy != "" && b.ViewerProtocolPolicy != "allow-all" {
		s.httpsPolicy(ctx, x, b)
		return
	}
	if ctx.IsGet() && len(ctx.Request.Body()) > 0 {
		s.cfError(ctx, x, fasthttp.StatusForbidden, msgGetBody)
		return
	}
	if len(d.verifiers) > 0 && !s.signedOK(ctx, x, d, b, now) {
		return
	}
	if !cacheable(ctx, b) {
		// Smooth URLs are resolved even where nothing may be cached (CachingDisabled): the
		// origin has no such objects to pass the request to.
		if b.SmoothStreaming && (ctx.IsGet() || ctx.IsHead()) && smoothCandidate(path) {
			x.setKey(ctx, d, b, method, path)
			if s.smoothMiss(ctx, x, d, b, path, now) {
				return
			}
		}
		s.pass(ctx, x, d, b)
		return
	}
	if !ctx.Request.Header.IsHTTP11() {
		// CloudFront drops an HTTP/1.0 viewer's Accept-Encoding: such viewers get identity.
		ctx.Request.Header.Del(fasthttp.HeaderAcceptEncoding)
	}
	x.setKey(ctx, d, b, method, path)
	e := s.store.Get(x.key)
	if e != nil && e.Fresh(now) {
		x.xcache = hitResult(e)
		s.answer(ctx, x, d, e, true)
		return
	}
	if e != nil && e.StaleWhileRevalidate > 0 && now.Before(e.Expires.Add(e.StaleWhileRevalidate)) {
		s.refreshInBackground(ctx, x, d, b, path, e)
		x.xcache = hitResult(e)
		s.answer(ctx, x, d, e, true)
		return
	}
	if b.SmoothStreaming && smoothCandidate(path) && s.smoothMiss(ctx, x, d, b, path, now) {
		return
	}
	s.miss(ctx, x, d, b, path, e, now)
}

// setKey builds the request's cache key into x.key: the distribution, then the behavior's key
// policy over the method, path, query string, headers and cookies.
func (x *exchange) setKey(ctx *fasthttp.RequestCtx, d *distribution, b *behavior.Behavior, method, path []byte) {
	x.key = b.Key.AppendKey(append(x.key[:0], d.keyPrefix...), method, path, ctx.URI().QueryString(), &ctx.Request.Header)
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

// lookupHost finds the distribution for a Host header value (case-insensitive, port ignored).
func (s *Server) lookupHost(host []byte, x *exchange) *distribution {
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.IndexByte(host[i:], ']') < 0 {
		host = host[:i]
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	buf := x.buf[:0]
	for _, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	x.buf = buf
	return s.byHost[string(buf)]
}

// httpsPolicy answers an http request on a redirect-to-https or https-only behavior (cloudfront.md §2.2).
func (s *Server) httpsPolicy(ctx *fasthttp.RequestCtx, x *exchange, b *behavior.Behavior) {
	if b.ViewerProtocolPolicy == "https-only" {
		s.cfError(ctx, x, fasthttp.StatusForbidden, msgHTTPS)
		return
	}
	status := fasthttp.StatusMovedPermanently
	if !ctx.IsGet() && !ctx.IsHead() {
		if !ctx.Request.Header.IsHTTP11() {
			s.cfError(ctx, x, fasthttp.StatusForbidden, msgHTTPS)
			return
		}
		status = fasthttp.StatusTemporaryRedirect
	}
	// The https URL of the same resource: the viewer's host on the edge's HTTPS port (443, as
	// on CloudFront, unless a local TLS listener is elsewhere).
	host := ctx.Host()
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.IndexByte(host[i:], ']') < 0 {
		host = host[:i]
	}
	loc := append([]byte("https://"), host...)
	if p := s.tlsPort.Load(); p != 0 && p != 443 {
		loc = strconv.AppendInt(append(loc, ':'), int64(p), 10)
	}
	loc = append(loc, ctx.Request.Header.RequestURI()...)
	ctx.Response.Header.SetCanonical([]byte("Location"), loc)
	ctx.Response.Header.SetCanonical(hServer, vCloudFront)
	ctx.Response.Header.SetContentTypeBytes(vTextHTML)
	ctx.SetStatusCode(status)
	ctx.SetBodyString(redirectBody)
	x.xcache = xRedirect
}

const redirectBody = "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n"

// cfError writes one of CloudFront's own error pages.
func (s *Server) cfError(ctx *fasthttp.RequestCtx, x *exchange, status int, msg string) {
	ctx.Response.Reset()
	ctx.Response.Header.SetCanonical(hServer, vCloudFront)
	ctx.Response.Header.SetContentTypeBytes(vTextHTML)
	ctx.SetStatusCode(status)
	ctx.Response.SetBody(appendErrorPage(nil, status, msg, x.id[:]))
	x.xcache = xError
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
	h.SetCanonical(hXCache, xError)
	h.SetCanonical(hVia, s.via)
	h.SetCanonical(hCfID, id[:])
	h.SetCanonical(hCfPop, s.pop)
	ctx.SetStatusCode(status)
	ctx.Response.SetBody(appendErrorPage(nil, status, msg, id[:]))
	ctx.SetConnectionClose()
}
