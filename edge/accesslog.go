package edge

import (
	"net"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/valyala/fasthttp"
)

// AccessLog receives one CloudFront standard-log record per viewer request; *accesslog.Writer
// satisfies it.
type AccessLog interface {
	Write(r *accesslog.Record)
}

// logRecord fills x's record for the answered request and hands it to the access log. It
// allocates nothing: the record and its scratch buffer live in the pooled exchange.
func (s *Server) logRecord(ctx *fasthttp.RequestCtx, x *exchange, now time.Time) {
	r := &x.rec
	rh := &ctx.Request.Header
	resp := &ctx.Response
	result := resultNames[resultOf(x.xcache)]
	x.ipbuf = x.ipbuf[:0]
	port := 0
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		x.ipbuf = ap.Addr().Unmap().AppendTo(x.ipbuf)
		port = int(ap.Port())
	}
	target := rh.RequestURI()
	uri := rawPath(target) // the path, also of an absolute-form target: cs-uri-stem
	host := ""
	if x.dist != nil {
		host = x.dist.domain
	}
	body := bodyLen(resp)
	took := now.Sub(ctx.Time())
	detail := x.detail
	if detail == "" {
		detail = result
	}
	protocol := "http"
	if ctx.IsTLS() {
		protocol = "https"
	}
	*r = accesslog.Record{
		Time:               now,
		EdgeLocation:       s.popStr,
		BytesSent:          int64(len(resp.Header.Header())) + body,
		ClientIP:           x.ipbuf,
		Method:             ctx.Method(),
		Host:               host,
		URIStem:            uri,
		Status:             resp.StatusCode(),
		Referer:            rh.Referer(),
		UserAgent:          rh.UserAgent(),
		Query:              ctx.URI().QueryString(),
		ResultType:         result,
		RequestID:          x.id[:],
		HostHeader:         ctx.Host(),
		Protocol:           protocol,
		BytesReceived:      int64(len(rh.RawHeaders())+len(target)) + int64(max(rh.ContentLength(), 0)),
		TimeTaken:          took,
		ForwardedFor:       x.forwardedFor(rh),
		ResponseResultType: result,
		ProtocolVersion:    protocolVersion(rh, x.proto),
		ClientPort:         port,
		TimeToFirstByte:    took,
		DetailedResultType: detail,
		ContentType:        resp.Header.ContentType(),
		ContentLength:      body,
		RangeStart:         x.rangeStart,
		RangeEnd:           x.rangeEnd,
	}
	s.access.Write(r)
}

// protocolVersion is the access log's cs-protocol-version: the request line's, or the
// protocol the request came over when it was not HTTP/1.x.
func protocolVersion(rh *fasthttp.RequestHeader, p viewerProto) []byte {
	if n := p.logName(); n != nil {
		return n
	}
	return rh.Protocol()
}

// forwardedFor is the viewer's X-Forwarded-For for the log: its lines joined as one list
// (RFC 9110 §5.3), in x's scratch so that the usual single line costs nothing.
func (x *exchange) forwardedFor(rh *fasthttp.RequestHeader) []byte {
	lines := rh.PeekAll("X-Forwarded-For")
	switch len(lines) {
	case 0:
		return nil
	case 1:
		return lines[0]
	}
	x.xffbuf = x.xffbuf[:0]
	for i, l := range lines {
		if i > 0 {
			x.xffbuf = append(x.xffbuf, ", "...)
		}
		x.xffbuf = append(x.xffbuf, l...)
	}
	return x.xffbuf
}
