package edge

import (
	"net/http"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/origin"
	"github.com/valyala/fasthttp"
)

// customPage is a custom error response with a page
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/GeneratingCustomErrorResponses.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html#HTTPStatusCodes-custom-error-pages):
// an error status from the origin is answered with the page at path, under status code.
type customPage struct {
	path string
	code int
}

// answer writes an entry to the viewer, with its Age and Date, or the distribution's custom error
// page for its status. The page is fetched like any object: through the first behavior matching
// its path, from that behavior's origin, cached under its own key. When the page can't be had,
// the viewer gets what the page's origin answered instead (as CloudFront does).
func (s *Server) answer(x *exchange, e *cache.Entry) {
	d := x.dist
	if e.Status < 400 || len(d.pages) == 0 {
		s.writeEntry(x.ctx, x, e, x.now, true)
		return
	}
	cp, ok := d.pages[e.Status]
	if !ok || e.Status == fasthttp.StatusRequestedRangeNotSatisfiable && cp.path == "" {
		s.writeEntry(x.ctx, x, e, x.now, true)
		return
	}
	page := s.errorPage(x, cp.path)
	if page.Status != fasthttp.StatusOK {
		s.writeEntry(x.ctx, x, page, x.now, false)
		return
	}
	s.dateFirst(x, page.Date)
	replayFields(&x.ctx.Response.Header, page.Header)
	x.ctx.SetStatusCode(cp.code)
	x.ctx.Response.SetBodyRaw(page.Body)
	x.xcache = xError
}

// errorPage returns the entry for a custom error page path, from the cache or its origin.
func (s *Server) errorPage(x *exchange, path string) *cache.Entry {
	d := x.dist
	b := d.table.Match([]byte(path))
	key := b.Key.AppendKey(append([]byte(nil), d.keyPrefix(b)...), []byte(fasthttp.MethodGet), []byte(path), nil, noHeaders{})
	now := s.now()
	e := s.store.Get(key)
	if e != nil && e.Fresh(now) {
		return e
	}
	x.mayWait() // the page comes from disk or from its origin
	if e == nil {
		if e = s.fromDisk(key); e != nil && e.Fresh(now) {
			return e
		}
	}
	// The page is keyed by its path alone (noHeaders, no query), so it is fetched with nothing
	// of the viewer's: no headers, cookies, query or Host, and no Accept-Encoding (stored as the
	// origin sends it, never compressed for one viewer). Fetched with the viewer's request, the
	// first viewer's values chose the page every other viewer got.
	req := &origin.Request{
		Method:      fasthttp.MethodGet,
		Path:        path,
		ViewerHTTPS: x.ctx.IsTLS(),
		Header: http.Header{"User-Agent": {"Amazon CloudFront"}, "Via": {string(s.via)},
			"X-Amz-Cf-Id": {string(x.id[:])}},
	}
	j := &fetchJob{dist: d, beh: b, origin: d.origins[b.TargetOriginID], originID: b.TargetOriginID, req: req, key: key, path: path}
	f, _ := s.collapse(string(key), func() *fill { return s.fetchFill(j) })
	if f.entry == nil || f.outcome != answered {
		if f.stream != nil {
			f.stream.Body.Close()
		}
		return &cache.Entry{Status: fasthttp.StatusBadGateway, Header: []cache.Field{{Key: []byte("Content-Type"), Value: []byte("text/plain")}},
			Body: []byte(http.StatusText(fasthttp.StatusBadGateway) + "\n"), Stored: now, Expires: now}
	}
	return f.entry
}

// noHeaders is a request with no headers, for keys of objects the edge fetches for itself.
type noHeaders struct{}

func (noHeaders) PeekAll(string) [][]byte { return nil }

// relayEarlyHints passes an origin's 103 Early Hints on to the viewer (RFC 8297) before the final
// response: its Link fields, which is all a 103 carries that a viewer uses. Other 1xx responses
// are the edge's own business. Nothing of it is cached.
func relayEarlyHints(ctx *fasthttp.RequestCtx, status int, h http.Header) {
	if status != fasthttp.StatusEarlyHints {
		return
	}
	links := h.Values("Link")
	if len(links) == 0 {
		return
	}
	if sc, ok := ctx.Conn().(interface{ EarlyHints([]string) }); ok { // HTTP/2, HTTP/3
		sc.EarlyHints(links)
		return
	}
	for _, l := range links {
		ctx.Response.Header.Add("Link", l)
	}
	_ = ctx.EarlyHints()
	ctx.Response.Header.Del("Link")
}
