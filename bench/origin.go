package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Default sizes of the synthetic origin.
const (
	defaultOriginMaxSize = 16 << 20
	defaultObjSize       = 16 << 10
)

// OriginConfig configures a synthetic origin. The zero value is usable.
type OriginConfig struct {
	// MaxSize is the largest body served; larger requests get 400. 0 means 16 MiB. The origin
	// holds one buffer of this size and answers every request with a slice of it.
	MaxSize int
	// ObjSize is the size of an /obj/ body whose request has no size parameter. 0 means 16 KiB.
	ObjSize int
	// Latency delays every /obj/ response whose request has no delay parameter (a simulated
	// distant origin). /bytes/ responses are never delayed.
	Latency time.Duration
}

// OriginStats are an origin's counters since it started. They only grow.
type OriginStats struct {
	// Requests counts GET and HEAD requests for /obj/ and /bytes/ (not /_stats).
	Requests int64 `json:"requests"`
	// Bytes counts body bytes sent.
	Bytes int64 `json:"bytes"`
}

// Origin is a synthetic HTTP origin for load tests. Its answers are deterministic:
//
//	/bytes/<size>              size bytes, the same for every request of that size
//	/obj/<name>?size=N&delay=D N bytes (default ObjSize) that depend only on name and N, sent
//	                           after D (a Go duration, default Latency)
//	/_stats                    OriginStats as JSON (not counted)
//
// Bodies are cacheable for an hour (Cache-Control: public, max-age=3600) and carry an ETag;
// If-None-Match with that ETag gets 304. Everything else is 404.
type Origin struct {
	cfg      OriginConfig
	pattern  []byte
	srv      *fasthttp.Server
	requests atomic.Int64
	bytes    atomic.Int64
}

// NewOrigin returns an origin ready to Serve.
func NewOrigin(cfg OriginConfig) (*Origin, error) {
	if cfg.MaxSize == 0 {
		cfg.MaxSize = defaultOriginMaxSize
	}
	if cfg.ObjSize == 0 {
		cfg.ObjSize = defaultObjSize
	}
	switch {
	case cfg.MaxSize < 0 || cfg.MaxSize > 1<<30:
		return nil, fmt.Errorf("origin: max size %d: want 1 B to 1 GiB", cfg.MaxSize)
	case cfg.ObjSize < 0 || cfg.ObjSize > cfg.MaxSize:
		return nil, fmt.Errorf("origin: object size %d: want 0 to max size %d", cfg.ObjSize, cfg.MaxSize)
	case cfg.Latency < 0:
		return nil, fmt.Errorf("origin: latency %v: negative", cfg.Latency)
	}
	o := &Origin{cfg: cfg, pattern: makePattern(cfg.MaxSize + 256)}
	o.srv = &fasthttp.Server{
		Handler:               o.handle,
		Name:                  "edge-bench-origin",
		NoDefaultContentType:  true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           60 * time.Second,
		CloseOnShutdown:       true,
		NoDefaultServerHeader: false,
	}
	return o, nil
}

// makePattern returns n deterministic, not trivially compressible bytes.
func makePattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// Serve answers requests on ln until Close.
func (o *Origin) Serve(ln net.Listener) error { return o.srv.Serve(ln) }

// Close stops the origin and closes its connections.
func (o *Origin) Close() error { return o.srv.Shutdown() }

// Stats returns the counters.
func (o *Origin) Stats() OriginStats {
	return OriginStats{Requests: o.requests.Load(), Bytes: o.bytes.Load()}
}

// What the origin and the ceiling server answer with.
const (
	prefixBytes = "/bytes/"
	prefixObj   = "/obj/"
	pathStats   = "/_stats"
	ctOctet     = "application/octet-stream"
	valCacheCtl = "public, max-age=3600"
	valLastMod  = "Mon, 01 Jan 2024 00:00:00 GMT"
)

func (o *Origin) handle(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	if string(path) == pathStats {
		b, _ := json.Marshal(o.Stats())
		ctx.SetContentType("application/json")
		ctx.Response.Header.Set("Cache-Control", "no-store")
		ctx.SetBody(b)
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
		return
	}
	var size, off int
	delay := time.Duration(0)
	switch {
	case hasPrefix(path, prefixBytes):
		n, err := fasthttp.ParseUint(path[len(prefixBytes):])
		if err != nil {
			ctx.Error("bad size", fasthttp.StatusBadRequest)
			return
		}
		size = n
	case hasPrefix(path, prefixObj) && len(path) > len(prefixObj):
		size = o.cfg.ObjSize
		args := ctx.QueryArgs()
		if v := args.Peek("size"); v != nil {
			n, err := fasthttp.ParseUint(v)
			if err != nil {
				ctx.Error("bad size", fasthttp.StatusBadRequest)
				return
			}
			size = n
		}
		delay = o.cfg.Latency
		if v := args.Peek("delay"); v != nil {
			d, err := time.ParseDuration(string(v))
			if err != nil || d < 0 || d > time.Minute {
				ctx.Error("bad delay", fasthttp.StatusBadRequest)
				return
			}
			delay = d
		}
		off = int(fnv32(path[len(prefixObj):]) & 255)
	default:
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	if size > o.cfg.MaxSize {
		ctx.Error("size too large", fasthttp.StatusBadRequest)
		return
	}
	o.requests.Add(1)
	if delay > 0 {
		time.Sleep(delay)
	}
	var etag [48]byte
	e := append(etag[:0], '"')
	e = strconv.AppendInt(e, int64(off), 10)
	e = append(e, '-')
	e = strconv.AppendInt(e, int64(size), 10)
	e = append(e, '"')
	h := &ctx.Response.Header
	h.SetContentType(ctOctet)
	h.Set(fasthttp.HeaderCacheControl, valCacheCtl)
	h.Set(fasthttp.HeaderLastModified, valLastMod)
	h.SetBytesV(fasthttp.HeaderETag, e)
	if inm := ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch); inm != nil && string(inm) == string(e) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.Response.SetBodyRaw(o.pattern[off : off+size])
	if !ctx.IsHead() {
		o.bytes.Add(int64(size))
	}
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// fnv32 is FNV-1a over b.
func fnv32(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// fetchOriginStats reads an origin's /_stats over client.
func fetchOriginStats(client *fasthttp.HostClient, base target) (OriginStats, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(base.path + "/_stats")
	req.Header.SetHost(base.addr)
	var st OriginStats
	if err := client.DoTimeout(req, resp, 5*time.Second); err != nil {
		return st, fmt.Errorf("origin stats: %w", err)
	}
	if resp.StatusCode() != fasthttp.StatusOK {
		return st, fmt.Errorf("origin stats: status %d", resp.StatusCode())
	}
	if err := json.Unmarshal(resp.Body(), &st); err != nil {
		return st, fmt.Errorf("origin stats: %w", err)
	}
	if st.Requests < 0 || st.Bytes < 0 {
		return st, errors.New("origin stats: negative counter")
	}
	return st, nil
}
