package edge

import (
	"net"

	"github.com/cfedge/edge/access"
	"github.com/cfedge/edge/behavior"
	"github.com/valyala/fasthttp"
	"time"
)

// signedOK checks a signed URL or signed cookies on a behavior with trusted key groups
// (cloudfront.md §11) and answers 403 with CloudFront's XML error when they are missing or wrong.
func (s *Server) signedOK(ctx *fasthttp.RequestCtx, x *exchange, d *distribution, b *behavior.Behavior, now time.Time) bool {
	v := d.verifiers[b]
	if v == nil {
		return true
	}
	rh := &ctx.Request.Header
	uri := rh.RequestURI()
	path, query := uri, []byte(nil)
	for i, c := range uri {
		if c == '?' {
			path, query = uri[:i], uri[i+1:]
			break
		}
	}
	r := access.Request{Scheme: "http", Host: ctx.Host(), Path: path, RawQuery: query, Cookie: rh.Peek("Cookie")}
	if ctx.IsTLS() {
		r.Scheme = "https"
	}
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		r.ClientIP = a.AddrPort().Addr().Unmap()
	}
	den := v.Check(&r, now)
	if den == nil {
		return true
	}
	ctx.Response.Reset()
	ctx.SetStatusCode(fasthttp.StatusForbidden)
	ctx.Response.Header.SetCanonical(hServer, vCloudFront)
	ctx.Response.Header.SetContentType("text/xml")
	ctx.Response.SetBodyString(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + den.Code + `</Code><Message>` + den.Message + `</Message></Error>`)
	x.xcache, x.detail = xError, "Error"
	return false
}
