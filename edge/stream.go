package edge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/origin"
	"github.com/valyala/fasthttp"
)

// pass forwards a request that the cache may not answer (uncacheable method or behavior) and
// streams the origin's answer back; a request body streams to the origin as it arrives.
func (s *Server) pass(x *exchange) {
	d := x.dist
	req := s.originRequest(x, true)
	f, originID := x.fetcher()
	ctx := x.ctx
	req.OnInformational = func(status int, h http.Header) { relayEarlyHints(ctx, status, h) }
	start := time.Now()
	resp, err := f.Fetch(context.Background(), req)
	x.xcache, x.upstreamFBL = xMiss, max(time.Since(start), time.Microsecond)
	if errors.Is(err, origin.ErrRequestBody) {
		// The viewer's upload broke (chunk framing that isn't RFC 9112 §7.1's, a body ended
		// early or too slow): the viewer's fault, answered 400 and logged as an invalid
		// request, not as an origin error.
		s.log.Info("viewer request body failed", "dist", d.id, "path", req.Path, "err", err)
		s.cfError(x, fasthttp.StatusBadRequest, msgBadReq)
		x.detail = "InvalidRequest"
		ctx.SetConnectionClose() // what is left of the viewer's body is not read
		return
	}
	if err != nil {
		status, detail := failureStatus(err)
		s.log.Warn("origin request failed", "dist", d.id, "origin", originID, "path", req.Path, "status", status, "result", detail, "err", err)
		s.cfError(x, status, msgNoOrigin)
		if req.BodyStream != nil {
			ctx.SetConnectionClose() // what is left of the viewer's body is not read
		}
		return
	}
	if resp.Status >= 400 {
		x.xcache = xError
	}
	s.writeStream(x, resp, nil)
}

// writeStream answers with an origin response whose body is streamed (after prefix, bytes already
// read) to the viewer without being held; the origin body is closed when fasthttp is done with it.
func (s *Server) writeStream(x *exchange, resp *origin.Response, prefix []byte) {
	ctx := x.ctx
	var date []byte
	if v := resp.Header.Get("Date"); v != "" {
		date = []byte(v)
	}
	s.dateFirst(x, date)
	for _, f := range replayHeaders(resp.Header, x.beh) {
		ctx.Response.Header.AddBytesKV(f.Key, f.Value)
	}
	ctx.SetStatusCode(resp.Status)
	if ctx.IsHead() || resp.Status == fasthttp.StatusNotModified || resp.Status == fasthttp.StatusNoContent {
		resp.Body.Close()
		if resp.ContentLength >= 0 {
			ctx.Response.Header.SetContentLength(int(resp.ContentLength))
		}
		ctx.Response.SkipBody = true
		return
	}
	var r io.Reader = resp.Body
	if len(prefix) > 0 {
		r = io.MultiReader(bytes.NewReader(prefix), resp.Body)
	}
	size := int(resp.ContentLength)
	if resp.ContentLength < 0 {
		size = -1
	}
	ctx.SetBodyStream(readCloser{r, resp.Body}, size)
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error { return r.c.Close() }

// writeTruncated replays a body that ended early the way CloudFront does: the status, headers and
// the bytes that arrived, framed as the origin framed them (its Content-Length, or chunked without
// the last chunk), then the connection is closed: Handle writes it on the hijacked connection, so
// the viewer sees the headers and then a body that visibly stops short.
func (s *Server) writeTruncated(x *exchange, e *cache.Entry, declared int64) {
	ctx := x.ctx
	s.dateFirst(x, e.Date)
	replayFields(&ctx.Response.Header, e.Header)
	ctx.SetStatusCode(e.Status)
	ctx.SetConnectionClose()
	ctx.Response.Header.SetContentLength(int(max(declared, -1)))
	ctx.Response.SkipBody = true
	if !ctx.IsHead() {
		x.cut, x.hasCut, x.cutChunked = e.Body, true, declared < 0
	}
}

// writeCut sends the response headers and a short body on the raw connection, then closes it. A
// chunked body gets its one chunk and no terminating chunk.
func writeCut(ctx *fasthttp.RequestCtx, body []byte, chunked bool) {
	if sc, ok := ctx.Conn().(interface{ Cut([]byte) }); ok { // HTTP/2, HTTP/3: the stream is reset after body
		sc.Cut(body)
		return
	}
	head := append([]byte(nil), ctx.Response.Header.Header()...)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		_, _ = c.Write(head)
		if chunked {
			if len(body) == 0 {
				return
			}
			_, _ = c.Write(strconv.AppendInt(nil, int64(len(body)), 16))
			_, _ = c.Write([]byte("\r\n"))
			_, _ = c.Write(body)
			_, _ = c.Write([]byte("\r\n"))
			return
		}
		_, _ = c.Write(body)
	})
}
