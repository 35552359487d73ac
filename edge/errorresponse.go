package edge

import (
	"net/http"

	"github.com/cfedge/edge/cache"
	"github.com/valyala/fasthttp"
)

// customPage is a custom error response with a page (cloudfront.md §3.4): an error status from the
// origin is answered with the page at path, under status code.
type customPage struct {
	path string
	code int
}

// answer writes an entry to the viewer, or the distribution's custom error page for its status.
// The page is fetched like any object: through the first behavior matching its path, from that
// behavior's origin, cached under its own key. When the page can't be had, the viewer gets what
// the page's origin answered instead (as CloudFront does).
func (s *Server) answer(ctx *fasthttp.RequestCtx, x *exchange, d *distribution, e *cache.Entry, age bool) {
	if e.Status < 400 || len(d.pages) == 0 {
		s.writeEntry(ctx, x, e, s.now(), age)
		return
	}
	cp, ok := d.pages[e.Status]
	if !ok || e.Status == fasthttp.StatusRequestedRangeNotSatisfiable && cp.path == "" {
		s.writeEntry(ctx, x, e, s.now(), age)
		return
	}
	page := s.errorPage(ctx, x, d, cp.path)
	if page.Status != fasthttp.StatusOK {
		s.writeEntry(ctx, x, page, s.now(), false)
		return
	}
	for i := range page.Header {
		ctx.Response.Header.AddBytesKV(page.Header[i].Key, page.Header[i].Value)
	}
	ctx.SetStatusCode(cp.code)
	ctx.Response.SetBodyRaw(page.Body)
	x.xcache = xError
}

// errorPage returns the entry for a custom error page path, from the cache or its origin.
func (s *Server) errorPage(ctx *fasthttp.RequestCtx, x *exchange, d *distribution, path string) *cache.Entry {
	b := d.table.Match([]byte(path))
	key := b.Key.AppendKey(append([]byte(nil), d.keyPrefix...), []byte(fasthttp.MethodGet), []byte(path), nil, noHeaders{})
	now := s.now()
	if e := s.store.Get(key); e != nil && e.Fresh(now) {
		return e
	}
	req := s.originRequest(ctx, x, b, false)
	req.Method, req.Path, req.Query, req.Body = fasthttp.MethodGet, path, "", nil
	f, _ := s.collapse(string(key), func() *fill {
		return s.fetchFill(d, b, req, key, path, nil)
	})
	if f.entry == nil || f.stream != nil || f.truncated {
		if f.stream != nil {
			f.stream.Body.Close()
		}
		return &cache.Entry{Status: fasthttp.StatusBadGateway, Header: []cache.Field{{Key: []byte("Content-Type"), Value: []byte("text/plain")}},
			Body: []byte(http.StatusText(fasthttp.StatusBadGateway) + ": custom error page " + path + " unavailable\n"), Stored: now, Expires: now}
	}
	return f.entry
}

// noHeaders is a request with no headers, for keys of objects the edge fetches for itself.
type noHeaders struct{}

func (noHeaders) Peek(string) []byte { return nil }
