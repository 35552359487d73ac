package edge

import (
	"strconv"
	"time"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/httpcond"
	"github.com/valyala/fasthttp"
)

var hContentRange = []byte("Content-Range")

// writeEntry answers the viewer from a cache entry: conditional requests get 304, Range requests
// 206/416 (or 200 in the cases CloudFront ignores the Range), everything else the whole entry. The
// body is handed to fasthttp without a copy; nothing here allocates for a plain hit.
func (s *Server) writeEntry(ctx *fasthttp.RequestCtx, x *exchange, e *cache.Entry, now time.Time, age bool) {
	resp := &ctx.Response
	h := &resp.Header
	s.writeHead(x, e)
	if age {
		x.buf = strconv.AppendInt(x.buf[:0], e.Age(now), 10)
		h.SetCanonical(hAge, x.buf)
	}
	if e.Status == fasthttp.StatusOK && (ctx.IsGet() || ctx.IsHead()) && x.facts.conditional &&
		s.writeConditional(ctx, x, e) {
		return
	}
	if e.OnDisk() {
		setFileBody(resp, x, e, 0, e.BodyLen())
		return
	}
	resp.SetBodyRaw(e.Body)
}

// writeConditional answers a GET or HEAD that may be conditional or ranged from a 200 entry: 304
// when If-None-Match / If-Modified-Since says the viewer's copy is current, else a Range allowed
// by If-Range (RFC 9110 §13.2.2 order). It returns false when the whole entry is to be sent. It
// is apart from writeEntry so that a plain hit does not pay for its frame.
func (s *Server) writeConditional(ctx *fasthttp.RequestCtx, x *exchange, e *cache.Entry) bool {
	rh := &ctx.Request.Header
	v := httpcond.Validators{ETag: e.ETag, LastModified: e.LastModified}
	if httpcond.EvaluatePreconditions(conditions(rh, x), v) == httpcond.NotModified {
		ctx.Response.SetStatusCode(fasthttp.StatusNotModified)
		ctx.Response.SkipBody = true
		return true
	}
	rng := rh.Peek("Range")
	return len(rng) > 0 && httpcond.IfRange(rh.Peek("If-Range"), v) && s.writeRange(ctx, x, e, rng)
}

// conditions returns the viewer's conditional fields a cache evaluates against a stored
// response: If-None-Match (every field line, joined as one list, RFC 9110 §5.3) and
// If-Modified-Since. If-Match and If-Unmodified-Since are left out: RFC 9111 §4.3.2 names only
// these (and If-Range) for a cache answering from a stored response.
func conditions(rh *fasthttp.RequestHeader, x *exchange) httpcond.Conditions {
	c := httpcond.Conditions{IfModifiedSince: rh.Peek("If-Modified-Since")}
	switch all := rh.PeekAll("If-None-Match"); len(all) {
	case 0:
	case 1:
		c.IfNoneMatch = all[0]
	default:
		x.buf = x.buf[:0]
		for i, v := range all {
			if i > 0 {
				x.buf = append(x.buf, ',')
			}
			x.buf = append(x.buf, v...)
		}
		c.IfNoneMatch = x.buf
	}
	return c
}

// maxRangeParts bounds the parts of a multipart/byteranges answer; a Range with more is ignored
// and the whole object sent (Apache httpd's MaxRanges default is 200).
const maxRangeParts = 100

// writeRange answers a Range request from an entry. It returns false when the Range is to be
// ignored (the caller then sends the whole object with 200).
func (s *Server) writeRange(ctx *fasthttp.RequestCtx, x *exchange, e *cache.Entry, v []byte) bool {
	var arr [8]httpcond.Range
	size := e.BodyLen()
	rs, res := httpcond.ParseRanges(arr[:0], v, size)
	resp := &ctx.Response
	switch {
	case res == httpcond.Ignore:
		return false
	case res == httpcond.Unsatisfiable:
		resp.SetStatusCode(fasthttp.StatusRequestedRangeNotSatisfiable)
		x.buf = httpcond.AppendUnsatisfiedContentRange(x.buf[:0], size)
		resp.Header.SetCanonical(hContentRange, x.buf)
		resp.SetBodyRaw(nil)
		return true
	case len(rs) == 1:
		resp.SetStatusCode(fasthttp.StatusPartialContent)
		r := rs[0]
		x.buf = httpcond.AppendContentRange(x.buf[:0], r, size)
		resp.Header.SetCanonical(hContentRange, x.buf)
		x.rangeStart, x.rangeEnd = r.Start, r.End
		if e.OnDisk() {
			setFileBody(resp, x, e, r.Start, r.End-r.Start+1)
		} else {
			resp.SetBodyRaw(e.Body[r.Start : r.End+1])
		}
		return true
	}
	if e.OnDisk() {
		// RFC 9110 §14.2 lets a server ignore a Range: a multipart answer would be assembled
		// in memory, and an object on disk is sent from its file whole instead.
		return false
	}
	if len(rs) > maxRangeParts {
		// "many small ranges" may be ignored (RFC 9110 §14.2, §17.15): each part costs a part
		// head (~90 bytes), so 1,000 one-byte ranges would be an answer 20 times the object.
		return false
	}
	// multipart/byteranges (RFC 9110 §14.6). The part Content-Type is read before the
	// response's Content-Type is replaced, since it aliases the header's storage.
	resp.SetStatusCode(fasthttp.StatusPartialContent)
	boundary := x.id[:20]
	body := httpcond.AppendMultipartByteranges(nil, e.Body, rs, resp.Header.ContentType(), boundary)
	x.buf = append(append(x.buf[:0], "multipart/byteranges; boundary="...), boundary...)
	resp.Header.SetContentTypeBytes(x.buf)
	resp.SetBodyRaw(body)
	return true
}
