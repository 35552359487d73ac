package edge

import (
	"bytes"
	"strconv"
	"time"

	"github.com/cfedge/edge/cache"
	"github.com/valyala/fasthttp"
)

var hContentRange = []byte("Content-Range")

// writeEntry answers the viewer from a cache entry: conditional requests get 304, Range requests
// 206/416 (or 200 in the cases CloudFront ignores the Range), everything else the whole entry. The
// body is handed to fasthttp without a copy; nothing here allocates for a plain hit.
func (s *Server) writeEntry(ctx *fasthttp.RequestCtx, x *exchange, e *cache.Entry, now time.Time, age bool) {
	resp := &ctx.Response
	h := &resp.Header
	for i := range e.Header {
		h.AddBytesKV(e.Header[i].Key, e.Header[i].Value)
	}
	if age {
		x.buf = strconv.AppendInt(x.buf[:0], e.Age(now), 10)
		h.AddBytesKV(hAge, x.buf)
	}
	resp.SetStatusCode(e.Status)
	if e.Status == fasthttp.StatusOK && (ctx.IsGet() || ctx.IsHead()) && mayBeConditional(&ctx.Request.Header) {
		if notModified(&ctx.Request.Header, e) {
			resp.SetStatusCode(fasthttp.StatusNotModified)
			resp.SkipBody = true
			return
		}
		if rng := ctx.Request.Header.Peek("Range"); len(rng) > 0 && ifRangeOK(&ctx.Request.Header, e) {
			if s.writeRange(ctx, x, e, rng) {
				return
			}
		}
	}
	resp.SetBodyRaw(e.Body)
}

// mayBeConditional reports whether the request may carry If-* or Range headers, with one pass over
// the raw header block instead of a lookup per header (a request built without one is checked
// the slow way).
func mayBeConditional(rh *fasthttp.RequestHeader) bool {
	raw := rh.RawHeaders()
	if len(raw) == 0 {
		return true
	}
	for len(raw) > 0 {
		if len(raw) >= 3 && raw[0]|0x20 == 'i' && raw[1]|0x20 == 'f' && raw[2] == '-' {
			return true
		}
		if len(raw) >= 6 && raw[0]|0x20 == 'r' && raw[1]|0x20 == 'a' && raw[2]|0x20 == 'n' && raw[3]|0x20 == 'g' && raw[4]|0x20 == 'e' && (raw[5] == ':' || raw[5] == ' ') {
			return true
		}
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			break
		}
		raw = raw[i+1:]
	}
	return false
}

// notModified applies the viewer's If-None-Match / If-Modified-Since to an entry (RFC 9110 §13.2.2:
// If-None-Match wins when present; weak comparison).
func notModified(rh *fasthttp.RequestHeader, e *cache.Entry) bool {
	if inm := rh.Peek("If-None-Match"); len(inm) > 0 {
		return len(e.ETag) > 0 && etagListMatch(inm, e.ETag)
	}
	if ims := rh.Peek("If-Modified-Since"); len(ims) > 0 && len(e.LastModified) > 0 {
		t, err := fasthttp.ParseHTTPDate(ims)
		lm, err2 := fasthttp.ParseHTTPDate(e.LastModified)
		return err == nil && err2 == nil && !lm.After(t)
	}
	return false
}

// etagListMatch reports whether a comma-separated If-None-Match list (or "*") matches etag, comparing
// weakly (W/ prefixes ignored).
func etagListMatch(list, etag []byte) bool {
	etag = bytes.TrimPrefix(etag, []byte("W/"))
	for len(list) > 0 {
		var item []byte
		if i := bytes.IndexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			item, list = list, nil
		}
		item = bytes.TrimSpace(item)
		if len(item) == 1 && item[0] == '*' {
			return true
		}
		if bytes.Equal(bytes.TrimPrefix(item, []byte("W/")), etag) {
			return true
		}
	}
	return false
}

// ifRangeOK reports whether an If-Range precondition (if any) lets the Range apply: a strong ETag
// equal to the entry's, or a date equal to its Last-Modified.
func ifRangeOK(rh *fasthttp.RequestHeader, e *cache.Entry) bool {
	ir := rh.Peek("If-Range")
	if len(ir) == 0 {
		return true
	}
	if ir[0] == '"' {
		return len(e.ETag) > 0 && e.ETag[0] == '"' && bytes.Equal(ir, e.ETag)
	}
	return len(e.LastModified) > 0 && bytes.Equal(ir, e.LastModified)
}

// byteRange is one satisfiable range [start, end] (inclusive), already clipped to the size.
type byteRange struct{ start, end int64 }

// parseRanges parses a Range header for an object of the given size, following CloudFront (§6):
// ok=false means ignore the header and send 200 (not bytes=, malformed, unsorted or overlapping
// specs); unsat=true means no range is satisfiable (416).
func parseRanges(dst []byteRange, v []byte, size int64) (rs []byteRange, ok, unsat bool) {
	if !bytes.HasPrefix(v, []byte("bytes=")) {
		return dst, false, false
	}
	v = v[len("bytes="):]
	rs = dst[:0]
	prevEnd := int64(-1)
	for len(v) > 0 {
		var spec []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			spec, v = v[:i], v[i+1:]
		} else {
			spec, v = v, nil
		}
		spec = bytes.TrimSpace(spec)
		dash := bytes.IndexByte(spec, '-')
		if dash < 0 {
			return rs, false, false
		}
		var start, end int64
		if dash == 0 { // suffix: last n bytes
			n, err := parseUint(spec[1:])
			if err != nil {
				return rs, false, false
			}
			if n == 0 {
				continue
			}
			start, end = size-n, size-1
			if start < 0 {
				start = 0
			}
		} else {
			a, err := parseUint(spec[:dash])
			if err != nil {
				return rs, false, false
			}
			start, end = a, size-1
			if dash < len(spec)-1 {
				b, err := parseUint(spec[dash+1:])
				if err != nil || b < a {
					return rs, false, false
				}
				if b < end {
					end = b
				}
			}
		}
		if start <= prevEnd {
			return rs, false, false // unsorted or overlapping
		}
		if start >= size {
			prevEnd = start
			continue // unsatisfiable spec
		}
		prevEnd = end
		rs = append(rs, byteRange{start, end})
	}
	if len(rs) == 0 {
		return rs, true, true
	}
	return rs, true, false
}

func parseUint(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 18 {
		return 0, strconv.ErrSyntax
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// writeRange answers a Range request from an entry. It returns false when the Range is to be
// ignored (the caller then sends the whole object with 200).
func (s *Server) writeRange(ctx *fasthttp.RequestCtx, x *exchange, e *cache.Entry, v []byte) bool {
	var arr [8]byteRange
	size := int64(len(e.Body))
	rs, ok, unsat := parseRanges(arr[:0], v, size)
	if !ok {
		return false
	}
	resp := &ctx.Response
	if unsat {
		resp.SetStatusCode(fasthttp.StatusRequestedRangeNotSatisfiable)
		x.buf = strconv.AppendInt(append(x.buf[:0], "bytes */"...), size, 10)
		resp.Header.SetCanonical(hContentRange, x.buf)
		resp.SetBodyRaw(nil)
		return true
	}
	resp.SetStatusCode(fasthttp.StatusPartialContent)
	if len(rs) == 1 {
		r := rs[0]
		x.buf = appendContentRange(x.buf[:0], r, size)
		resp.Header.SetCanonical(hContentRange, x.buf)
		x.rangeStart, x.rangeEnd = r.start, r.end
		resp.SetBodyRaw(e.Body[r.start : r.end+1])
		return true
	}
	// multipart/byteranges (RFC 9110 §14.6)
	ct := append([]byte(nil), resp.Header.ContentType()...)
	boundary := string(x.id[:20])
	var body []byte
	for _, r := range rs {
		body = append(body, "\r\n--"...)
		body = append(body, boundary...)
		body = append(body, "\r\n"...)
		if len(ct) > 0 {
			body = append(body, "Content-Type: "...)
			body = append(body, ct...)
			body = append(body, "\r\n"...)
		}
		body = append(body, "Content-Range: "...)
		body = appendContentRange(body, r, size)
		body = append(body, "\r\n\r\n"...)
		body = append(body, e.Body[r.start:r.end+1]...)
	}
	body = append(body, "\r\n--"...)
	body = append(body, boundary...)
	body = append(body, "--\r\n"...)
	resp.Header.SetContentType("multipart/byteranges; boundary=" + boundary)
	resp.SetBody(body)
	return true
}

func appendContentRange(dst []byte, r byteRange, size int64) []byte {
	dst = append(dst, "bytes "...)
	dst = strconv.AppendInt(dst, r.start, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, r.end, 10)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}
