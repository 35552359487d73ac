package edge

import (
	"bytes"
	"net"

	"github.com/cfedge/edge/access"
	"github.com/valyala/fasthttp"
)

// signedOK checks a signed URL or signed cookies on a behavior with trusted key groups
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html)
// and answers 403 with CloudFront's XML error when they are missing or wrong.
//
// A policy's resource is matched against the URL as the viewer sent it, which is also the path the
// origin receives. A path that an origin could resolve to somewhere else (a dot-segment, literal or
// percent-encoded, an encoded slash or backslash, a backslash) could therefore escape a wildcard
// resource ("/members/public/*" admitting "/members/public/../secret.txt"): on these behaviors
// such a path is refused outright, before any signature is looked at.
func (s *Server) signedOK(x *exchange) bool {
	ctx := x.ctx
	v := x.dist.verifiers[x.beh]
	if v == nil {
		return true
	}
	rh := &ctx.Request.Header
	uri := rh.RequestURI()
	path, query := rawPath(uri), []byte(nil) // rawPath: an absolute-form target's path
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		query = uri[i+1:]
	}
	if ambiguousPath(path) {
		s.accessDenied(x, "AccessDenied", "Access denied")
		return false
	}
	r := access.Request{Scheme: "http", Host: ctx.Host(), Path: path, RawQuery: query, Cookie: rh.Peek("Cookie")}
	if ctx.IsTLS() {
		r.Scheme = "https"
	}
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		r.ClientIP = a.AddrPort().Addr().Unmap()
	}
	den := v.Check(&r, x.now)
	if den == nil {
		return true
	}
	s.accessDenied(x, den.Code, den.Message)
	return false
}

// accessDenied writes CloudFront's 403 XML error for a refused signed request.
func (s *Server) accessDenied(x *exchange, code, message string) {
	ctx := x.ctx
	ctx.Response.Reset()
	ctx.Response.Header.DisableNormalizing()
	ctx.SetStatusCode(fasthttp.StatusForbidden)
	ctx.Response.Header.SetCanonical(hServer, vCloudFront)
	ctx.Response.Header.SetContentType("text/xml")
	ctx.Response.SetBodyString(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + message + `</Message></Error>`)
	x.xcache, x.detail, x.dated, x.prepared, x.corsDone = xError, "Error", false, false, false
}

// ambiguousPath reports whether a raw (escaped) request path could name something else once an
// origin decodes and normalises it: a "." or ".." segment, literal or percent-encoded (RFC 3986
// §5.2.4), an encoded slash or backslash (%2F, %5C), or a backslash.
func ambiguousPath(p []byte) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			return true
		case '%':
			if i+2 < len(p) {
				if h := p[i+1]; h == '2' && (p[i+2]|0x20) == 'f' || h == '5' && (p[i+2]|0x20) == 'c' {
					return true
				}
			}
		case '/':
			if dotSegment(p[i+1:]) {
				return true
			}
		}
	}
	return false
}

// dotSegment reports whether the segment at the start of p (up to the next '/', or the end) is
// "." or "..", with each dot literal or written %2E.
func dotSegment(p []byte) bool {
	dots := 0
	for len(p) > 0 && p[0] != '/' {
		switch {
		case p[0] == '.':
			p = p[1:]
		case len(p) >= 3 && p[0] == '%' && p[1] == '2' && (p[2]|0x20) == 'e':
			p = p[3:]
		default:
			return false
		}
		dots++
	}
	return dots == 1 || dots == 2
}
