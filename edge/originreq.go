package edge

import (
	"net/http"
	"strings"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/origin"
	"github.com/valyala/fasthttp"
)

// dropResponseHeader reports whether an origin response header (canonical name) is never replayed
// to viewers: hop-by-hop, written by fasthttp itself, or replaced by CloudFront (cloudfront.md §5.1).
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
	return out
}

// originRequest builds the origin request for a viewer request (cloudfront.md §5.2): the headers the
// behavior forwards, X-Forwarded-For appended, Via, X-Amz-Cf-Id, User-Agent "Amazon CloudFront"
// unless forwarded, Accept-Encoding normalised, the query strings the behavior forwards. When pass
// is false (a cache fill), Range and conditional headers are left out.
func (s *Server) originRequest(ctx *fasthttp.RequestCtx, x *exchange, b *behavior.Behavior, pass bool) *origin.Request {
	rh := &ctx.Request.Header
	req := &origin.Request{
		Method:      string(ctx.Method()),
		Path:        x.originPath,
		Query:       string(b.Forward.AppendQuery(nil, ctx.URI().QueryString())),
		Header:      make(http.Header),
		ViewerHTTPS: ctx.IsTLS(),
	}
	if req.Path == "" {
		req.Path = rawPath(rh.RequestURI())
	}
	// Headers the viewer named in Connection are hop-by-hop (RFC 9110 §7.6.1): never forwarded.
	var hop []string
	for _, tok := range strings.Split(string(rh.Peek("Connection")), ",") {
		if tok = strings.TrimSpace(tok); tok != "" {
			hop = append(hop, tok)
		}
	}
	for k, v := range rh.All() {
		if b.Forward.Header(k) && !containsFold(hop, k) {
			req.Header.Add(string(k), string(v))
		}
	}
	if !pass {
		// A cache fill fetches the whole object unconditionally: the edge answers the viewer's
		// conditionals and ranges itself from the entry.
		for _, n := range [...]string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
			req.Header.Del(n)
		}
	}
	if c := b.Forward.AppendCookies(nil, rh.Peek("Cookie")); len(c) > 0 {
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
	if ae, send := b.Forward.AppendAcceptEncoding(nil, rh.Peek("Accept-Encoding")); send {
		req.Header.Set("Accept-Encoding", string(ae))
	}
	if pass && len(ctx.Request.Body()) > 0 {
		req.Body = append([]byte(nil), ctx.Request.Body()...)
	}
	return req
}

func containsFold(list []string, name []byte) bool {
	for _, s := range list {
		if strings.EqualFold(s, string(name)) {
			return true
		}
	}
	return false
}

// rawPath returns the path of a request URI as the viewer sent it (still escaped), without the query.
func rawPath(uri []byte) string {
	if i := strings.IndexByte(string(uri), '?'); i >= 0 {
		uri = uri[:i]
	}
	if len(uri) == 0 || uri[0] != '/' {
		// absolute-form request target: keep the path part
		if i := strings.Index(string(uri), "://"); i >= 0 {
			rest := uri[i+3:]
			if j := strings.IndexByte(string(rest), '/'); j >= 0 {
				return string(rest[j:])
			}
		}
		return "/"
	}
	return string(uri)
}

// trimVary cuts an origin's Vary down as CloudFront does (cloudfront.md §5.1): Accept-Encoding,
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
