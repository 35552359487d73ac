package edge

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Response headers policies
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/modifying-response-headers.html):
// the behavior's compiled policy decorates every answer given under it, from the cache or the
// origin, after the stored or origin fields are written and before CloudFront's own headers.

var (
	hOrigin       = []byte("Origin")
	hServerTiming = []byte("Server-Timing")
	strPragmaST   = []byte("server-timing")
)

// corsPreflight answers a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)
// at the edge when the behavior's policy allows it: 204 with the policy's CORS headers, which
// decorate adds. It reports whether it answered. A preflight the policy does not allow goes on
// to the origin like any request.
func (s *Server) corsPreflight(x *exchange) bool {
	p := x.beh.ResponseHeaders
	ctx := x.ctx
	if p == nil || !x.facts.origin || !ctx.IsOptions() {
		return false
	}
	rh := &ctx.Request.Header
	method := rh.Peek("Access-Control-Request-Method")
	if len(method) == 0 || !p.Preflight(x.requestOrigin(), method) {
		return false
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	ctx.Response.SkipBody = true
	x.preflight = true
	x.xcache = xHit
	x.detail = "Hit"
	return true
}

// decorate applies the behavior's response headers policy to the answer: removals, then CORS
// (for a request with Origin), security and custom headers, and Server-Timing when enabled and
// sampled (or asked for with "Pragma: server-timing").
func (s *Server) decorate(x *exchange) {
	b := x.beh
	if b == nil || b.ResponseHeaders == nil {
		return
	}
	p := b.ResponseHeaders
	h := &x.ctx.Response.Header
	origin := x.requestOrigin()
	switch {
	case x.corsDone: // the prepared head had it all
	case x.prepared:
		p.ApplyCORS(h, origin, x.preflight) // the fixed part is in the prepared head
	default:
		p.Apply(h, origin, x.preflight)
	}
	if on, rate := p.ServerTiming(); on && (x.facts.pragma && pragmaServerTiming(&x.ctx.Request.Header) || rate > 0 && rand.Float64()*100 < rate) {
		s.serverTiming(x, h)
	}
}

// requestOrigin is the request's Origin, nil when it has none.
func (x *exchange) requestOrigin() []byte {
	if !x.facts.origin {
		return nil
	}
	if x.facts.originValue != nil {
		return x.facts.originValue
	}
	return x.ctx.Request.Header.PeekBytes(hOrigin) // a request built in memory
}

// pragmaServerTiming reports whether the request's Pragma asks for Server-Timing.
func pragmaServerTiming(rh *fasthttp.RequestHeader) bool {
	for _, v := range rh.PeekAll("Pragma") {
		if containsFold(v, strPragmaST) {
			return true
		}
	}
	return false
}

// serverTiming writes CloudFront's Server-Timing metrics
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html#server-timing-header):
// the cache result, the POP, the request id, the layer that answered (a hit) or the upstream's
// first-byte latency (a miss), and the time to the first byte sent to the viewer. On an answer
// from the origin they follow the origin's own metrics. A miss an Origin Shield answered names
// it as the upstream layer, and, when the shield answered from its cache, as the hit layer
// too (X-Cache stays this edge's own result).
func (s *Server) serverTiming(x *exchange, h *fasthttp.ResponseHeader) {
	buf := x.buf[:0]
	if v := h.PeekBytes(hServerTiming); len(v) > 0 && x.upstreamFBL > 0 {
		buf = append(append(buf, v...), ',')
	}
	switch {
	case string(x.xcache) == string(xRefreshHit):
		buf = append(buf, "cdn-cache-refresh"...)
	case x.upstreamFBL > 0:
		buf = append(buf, "cdn-cache-miss"...)
	default:
		buf = append(buf, "cdn-cache-hit"...)
	}
	buf = append(append(append(buf, `,cdn-pop;desc="`...), s.pop...), '"')
	buf = append(append(append(buf, `,cdn-rid;desc="`...), x.id[:]...), '"')
	if x.upstreamFBL > 0 {
		switch x.detail {
		case detailShieldHit:
			buf = append(buf, `,cdn-hit-layer;desc="Origin Shield",cdn-upstream-layer;desc="Origin Shield"`...)
		case detailShieldMiss:
			buf = append(buf, `,cdn-upstream-layer;desc="Origin Shield"`...)
		default:
			buf = append(buf, `,cdn-upstream-layer;desc="Origin"`...)
		}
		buf = append(buf, ",cdn-upstream-fbl;dur="...)
		buf = strconv.AppendInt(buf, x.upstreamFBL.Milliseconds(), 10)
	} else {
		buf = append(buf, `,cdn-hit-layer;desc="EDGE"`...)
	}
	buf = append(buf, ",cdn-downstream-fbl;dur="...)
	buf = strconv.AppendInt(buf, time.Since(x.ctx.Time()).Milliseconds(), 10)
	x.buf = buf
	h.SetCanonical(hServerTiming, buf)
}

// containsFold reports whether b contains the lower-case ASCII sub, ignoring ASCII case.
func containsFold(b, sub []byte) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}
