package edge

import (
	"bytes"
	"sync/atomic"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/valyala/fasthttp"
)

// Prepared heads. A stored entry carries its answer's head built once, when it is stored: its
// status, Date, fields, the fixed part of the behavior's response headers policy, Via and
// X-Amz-Cf-Pop. A hit copies it into the response in one step (ResponseHeader.CopyTo copies the
// fields without fasthttp's per-field checks, about a third of the cost of setting them one by
// one) and adds what is the request's own: Age, X-Cache, X-Amz-Cf-Id and the CORS fields.
//
// A head must carry the flags the server sets on each response (no default Date, no default
// Content-Type), which fasthttp exposes no setter for: they are taken from the first response the
// server hands the edge (headProto). Until then, and for entries stored before, answers are built
// field by field, to the same result.

// headProto is a response head with the server's per-response flags and nothing else.
type headProto struct {
	h     atomic.Pointer[fasthttp.ResponseHeader]
	tries atomic.Int32
}

// capture takes the prototype from a response the server has just handed over, untouched: one
// whose serialised head shows neither a default Date nor a default Content-Type. Responses made
// outside a server (tests, benchmarks) do not qualify; after 64 of them capture stops looking.
func (p *headProto) capture(h *fasthttp.ResponseHeader) {
	if p.h.Load() != nil || p.tries.Load() > 64 {
		return
	}
	p.tries.Add(1)
	raw := h.Header()
	if bytes.Contains(raw, []byte("\r\nDate:")) || bytes.Contains(raw, []byte("\r\nContent-Type:")) {
		return
	}
	proto := new(fasthttp.ResponseHeader)
	h.CopyTo(proto)
	p.h.CompareAndSwap(nil, proto)
}

// preparedHead is an entry's prepared head, and a second one with the CORS fields of its
// behavior's policy when they are the same for every matching Origin (cors is nil otherwise).
type preparedHead struct {
	plain, cors *fasthttp.ResponseHeader
}

// prepareHead builds e's head for answers under b, or leaves e without one when no prototype is
// there yet, or when b is nil (an object the edge reads for itself, never answered as is). It is
// called before e is stored.
func (s *Server) prepareHead(e *cache.Entry, b *behavior.Behavior) {
	e.Head, e.HeadSize = nil, 0
	proto := s.proto.h.Load()
	if proto == nil || b == nil {
		return
	}
	t := new(fasthttp.ResponseHeader)
	proto.CopyTo(t)
	t.DisableNormalizing()
	setDate(t, e.Date)
	replayFields(t, e.Header)
	t.SetStatusCode(e.Status)
	p := b.ResponseHeaders
	if p != nil {
		p.ApplyFixed(t)
	}
	t.SetCanonical(hVia, s.via)
	t.SetCanonical(hCfPop, s.pop)
	ph := &preparedHead{plain: t}
	n := headSize(t)
	if p != nil && p.CORSSameForEveryOrigin() {
		c := new(fasthttp.ResponseHeader)
		t.CopyTo(c)
		p.ApplyCORS(c, anyOrigin, false)
		ph.cors = c
		n += headSize(c)
	}
	e.Head, e.HeadSize = ph, n
}

// anyOrigin stands for every Origin when the CORS fields do not depend on it.
var anyOrigin = []byte("https://any.invalid")

// headSize is the memory a prepared head holds.
func headSize(h *fasthttp.ResponseHeader) int64 {
	n := int64(headOverhead)
	for k, v := range h.All() {
		n += int64(fieldOverhead + len(k) + len(v))
	}
	return n
}

// The memory a prepared head costs beyond its fields' bytes: the ResponseHeader and its
// buffers, and per field its two slices.
const (
	headOverhead  = 512
	fieldOverhead = 48
)

// writeHead starts the answer from an entry: its prepared head when it has one (the one with the
// CORS fields for a request whose Origin matches), else its Date, status and fields one by one.
func (s *Server) writeHead(x *exchange, e *cache.Entry) {
	h := &x.ctx.Response.Header
	if ph, ok := e.Head.(*preparedHead); ok {
		if ph.cors != nil && x.facts.origin && x.beh != nil && x.beh.ResponseHeaders != nil &&
			x.beh.ResponseHeaders.MatchesOrigin(x.requestOrigin()) {
			ph.cors.CopyTo(h)
			x.corsDone = true
		} else {
			ph.plain.CopyTo(h)
		}
		x.dated, x.prepared = true, true
		return
	}
	s.dateFirst(x, e.Date)
	replayFields(h, e.Header)
	x.ctx.Response.SetStatusCode(e.Status)
}
