package edge

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/origin"
)

// dropResponseHeader reports whether an origin response header (canonical name) is never replayed
// to viewers: hop-by-hop, written by fasthttp itself, or replaced by CloudFront ("HTTP response
// headers that CloudFront removes or replaces",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#ResponseCustomRemovedHeaders).
func dropResponseHeader(name string) bool {
	switch name {
	case "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "Te", "Trailer",
		"Transfer-Encoding", "Upgrade", "Content-Length", "Date", "Via", "Age",
		"X-Cache", "X-Amz-Cf-Id", "X-Amz-Cf-Pop":
		return true
	}
	return false
}

// replayHeaders picks the origin response headers a viewer gets back, as cache fields.
// Set-Cookie is dropped unless the behavior forwards cookies (§5.1).
func replayHeaders(h http.Header, b *behavior.Behavior) []cache.Field {
	out := make([]cache.Field, 0, len(h))
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if dropResponseHeader(ck) {
			continue
		}
		if ck == "Set-Cookie" && !b.Forward.ForwardsCookies() {
			continue
		}
		for _, v := range vs {
			if ck == "Vary" {
				if v = trimVary(v, b); v == "" {
					continue
				}
			}
			out = append(out, cache.Field{Key: []byte(ck), Value: []byte(v)})
		}
	}
	// By name, so that the fields of one name stand together (replayFields relies on it) and
	// the order is the same on every fill; a name's values keep their order.
	slices.SortStableFunc(out, func(a, b cache.Field) int { return bytes.Compare(a.Key, b.Key) })
	return out
}

// originRequest builds the origin request for a viewer request ("HTTP request headers and
// CloudFront behavior",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-headers-behavior): the headers the
// behavior forwards, X-Forwarded-For appended, Via, X-Amz-Cf-Id, User-Agent "Amazon CloudFront"
// unless forwarded, Accept-Encoding normalised, the query strings the behavior forwards. When pass
// is false (a cache fill), Range and conditional headers are left out.
func (s *Server) originRequest(x *exchange, pass bool) *origin.Request {
	ctx, b := x.ctx, x.beh
	rh := &ctx.Request.Header
	req := &origin.Request{
		Method:      string(ctx.Method()),
		Path:        string(x.originPath),
		Query:       string(b.Forward.AppendQuery(nil, ctx.URI().QueryString())),
		Header:      make(http.Header),
		ViewerHTTPS: ctx.IsTLS(),
		// A lower-tier edge's request (its hop header carries the shield secret, see
		// hopTrust): this edge is its shield, and asks the origin.
		LowerTier: x.lowerTier,
	}
	// Headers the viewer named in Connection are gone already (dropConnectionHeaders): what is
	// forwarded is what the cache key read.
	for k, v := range rh.All() {
		if b.Forward.Header(k) {
			req.Header.Add(string(k), string(v))
		}
	}
	req.Header.Del(origin.ShieldHopHeader) // between tiers only, never to an origin, believed or not
	// The CloudFront-* headers the policies name, as setCloudFrontHeaders generated them.
	for _, name := range b.Forward.CloudFrontHeaders() {
		if v := rh.Peek(name); len(v) > 0 {
			req.Header.Set(name, string(v))
		}
	}
	if !pass {
		// A cache fill fetches the whole object unconditionally: the edge answers the viewer's
		// conditionals and ranges itself from the entry.
		for _, n := range [...]string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
			req.Header.Del(n)
		}
	}
	if c := b.Forward.AppendCookieLines(nil, rh.PeekAll("Cookie")); len(c) > 0 {
		req.Header.Set("Cookie", string(c))
	}
	ip := ctx.RemoteIP().String()
	if v := rh.Peek("X-Forwarded-For"); len(v) > 0 {
		req.Header.Set("X-Forwarded-For", string(v)+","+ip)
	} else {
		req.Header.Set("X-Forwarded-For", ip)
	}
	if ua := rh.UserAgent(); b.Forward.ForwardUserAgent() && len(ua) > 0 {
		req.Header.Set("User-Agent", string(ua))
	} else {
		req.Header.Set("User-Agent", "Amazon CloudFront")
	}
	if v := rh.Peek("Via"); len(v) > 0 {
		req.Header.Set("Via", string(v)+", "+string(s.via))
	} else {
		req.Header.Set("Via", string(s.via))
	}
	req.Header.Set("X-Amz-Cf-Id", string(x.id[:]))
	if b.Forward.ForwardHost() {
		req.Host = string(ctx.Host())
	}
	if x.originHost != "" {
		req.Host = x.originHost // chosen by a viewer-request function
	}
	if ae, send := b.Forward.AppendAcceptEncodingLines(nil, rh.PeekAll("Accept-Encoding")); send {
		req.Header.Set("Accept-Encoding", string(ae))
	}
	if pass && hasBody(rh) {
		// The body streams to the origin as it arrives: it is never held whole.
		if st := ctx.RequestBodyStream(); st != nil {
			req.BodyStream, req.ContentLength = st, int64(rh.ContentLength())
		} else {
			req.Body = append([]byte(nil), ctx.Request.Body()...)
		}
	}
	return req
}

// trimVary cuts an origin's Vary down as CloudFront does ("HTTP response headers that
// CloudFront removes or replaces", Vary,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#ResponseCustomRemovedHeaders): Accept-Encoding,
// Cookie and the names of headers forwarded to the origin stay (User-Agent and Host when they
// are forwarded), "*" stays, every other name goes. It returns "" when nothing is left.
func trimVary(v string, b *behavior.Behavior) string {
	var kept []string
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			continue
		case name == "*", strings.EqualFold(name, "Accept-Encoding"), strings.EqualFold(name, "Cookie"):
		case strings.EqualFold(name, "User-Agent"):
			if !b.Forward.ForwardUserAgent() {
				continue
			}
		case strings.EqualFold(name, "Host"):
			if !b.Forward.ForwardHost() {
				continue
			}
		case !b.Forward.Header([]byte(name)):
			continue
		}
		kept = append(kept, name)
	}
	return strings.Join(kept, ", ")
}
