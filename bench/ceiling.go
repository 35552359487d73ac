package bench

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// ceiling is the bare fasthttp server of "edge bench ceiling": it answers every GET with the
// same precomputed body through SetBodyRaw (no copy) and the headers the origin sends. No proxy
// built on fasthttp can serve a hit faster, so it is the ceiling the edge is measured against.
type ceiling struct {
	body []byte
	etag string
	srv  *fasthttp.Server
}

// newCeiling returns a ceiling server whose body has size bytes, identical to the origin's
// /bytes/<size>.
func newCeiling(size int) (*ceiling, error) {
	if size < 0 || size > 1<<30 {
		return nil, fmt.Errorf("ceiling: size %d: want 0 to 1 GiB", size)
	}
	c := &ceiling{
		body: makePattern(size),
		etag: `"0-` + strconv.Itoa(size) + `"`,
	}
	c.srv = &fasthttp.Server{
		Handler:              c.handle,
		Name:                 "edge-bench-ceiling",
		NoDefaultContentType: true,
		ReadTimeout:          30 * time.Second,
		WriteTimeout:         60 * time.Second,
		IdleTimeout:          60 * time.Second,
		CloseOnShutdown:      true,
	}
	return c, nil
}

func (c *ceiling) handle(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.SetContentType(ctOctet)
	h.Set(fasthttp.HeaderCacheControl, valCacheCtl)
	h.Set(fasthttp.HeaderLastModified, valLastMod)
	h.Set(fasthttp.HeaderETag, c.etag)
	ctx.Response.SetBodyRaw(c.body)
}

// Serve answers requests on ln until Close.
func (c *ceiling) Serve(ln net.Listener) error { return c.srv.Serve(ln) }

// Close stops the server.
func (c *ceiling) Close() error { return c.srv.Shutdown() }
