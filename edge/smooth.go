package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/origin"
	"github.com/cfedge/edge/smooth"
	"github.com/valyala/fasthttp"
)

// smoothCandidate reports whether a path may be a Smooth Streaming URL ("….ism/…", any case), so
// that only those are parsed on a miss.
func smoothCandidate(path []byte) bool {
	for i := 0; i+5 <= len(path); i++ {
		if path[i] == '.' && (path[i+1]|0x20) == 'i' && (path[i+2]|0x20) == 's' && (path[i+3]|0x20) == 'm' {
			if path[i+4] == '/' || (i+5 < len(path) && (path[i+4]|0x20) == 'l' && path[i+5] == '/') {
				return true
			}
		}
	}
	return false
}

// smoothMiss answers a Smooth Streaming URL that the cache could not answer: the Manifest is the
// presentation's client manifest, a fragment is one byte range of the media file, found through
// the server manifest and the file's mfra index. Both are cached under the viewer URL with the
// behavior's TTLs, one origin read per key however many viewers wait. It returns false when the
// path is not a Smooth URL (it is then served as an ordinary object).
func (s *Server) smoothMiss(ctx *fasthttp.RequestCtx, x *exchange, d *distribution, b *behavior.Behavior, path []byte, now time.Time) bool {
	sreq, err := smooth.ParseURL(string(path))
	if errors.Is(err, smooth.ErrNotSmooth) {
		return false
	}
	if err != nil {
		s.log.Info("smooth: bad request", "dist", d.id, "path", string(path), "err", err)
		s.smoothError(ctx, x, smooth.StatusOf(err), err)
		return true
	}
	res := d.resolvers[b]
	key := string(x.key)
	pathStr := string(path)
	f, shared := s.collapse(key, func() *fill {
		return s.smoothFill(d, b, res, sreq, []byte(key), pathStr)
	})
	if shared && f.shared {
		x.xcache = xHit
		s.answer(ctx, x, d, f.entry, true)
		return true
	}
	x.xcache = f.xcache
	s.answer(ctx, x, d, f.entry, f.fromCache)
	return true
}

// smoothFill resolves and reads one Smooth object and stores it.
func (s *Server) smoothFill(d *distribution, b *behavior.Behavior, res *smooth.Resolver, sreq smooth.Request, key []byte, path string) *fill {
	ctx := context.Background()
	var body []byte
	var ct string
	var err error
	if sreq.Kind == smooth.Manifest {
		body, err = res.Manifest(ctx, sreq.Presentation)
		ct = b.SmoothManifestContentType
		if ct == "" {
			ct = "text/xml"
		}
	} else {
		var frag smooth.Fragment
		frag, err = res.Fragment(ctx, sreq)
		body, ct = frag.Body, frag.ContentType
	}
	now := s.now()
	e := &cache.Entry{Key: key, Dist: d.id, Path: path, Stored: now}
	xc := xMiss
	if err != nil {
		status := smooth.StatusOf(err)
		if oe := (*origin.Error)(nil); errors.As(err, &oe) {
			status, _ = failureStatus(err)
		}
		level := s.log.Info
		if status >= 500 {
			level = s.log.Warn
		}
		level("smooth: cannot serve", "dist", d.id, "path", path, "status", status, "err", err)
		e.Status = status
		e.Header = []cache.Field{{Key: []byte("Content-Type"), Value: []byte("text/plain; charset=utf-8")}}
		e.Body = []byte(http.StatusText(status) + ": " + err.Error() + "\n")
		xc = xError
	} else {
		e.Status = fasthttp.StatusOK
		e.Header = []cache.Field{{Key: []byte("Content-Type"), Value: []byte(ct)}}
		e.Body = body
	}
	ttl, ok := s.decideTTL(d, b, e.Status, nil, now)
	if !ok || ttl <= 0 || b.NoCache {
		e.Expires = now
		return &fill{entry: e, xcache: xc}
	}
	e.Expires = now.Add(ttl)
	stored := s.store.Set(e)
	return &fill{entry: e, cached: stored, shared: true, xcache: xc}
}

// smoothError answers a malformed Smooth URL (400) without caching it.
func (s *Server) smoothError(ctx *fasthttp.RequestCtx, x *exchange, status int, err error) {
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.Response.SetBodyString(http.StatusText(status) + ": " + err.Error() + "\n")
	x.xcache = xError
}

// smoothSource reads origin objects for the Smooth resolver: whole objects or byte ranges, with
// the object's size and ETag. Whole objects (the .ism, the .ismc) are cached like any object under
// the behavior's TTLs, so a presentation's server manifest costs one origin read however many
// fragments are asked for; ranges (index reads, fragments) go to the origin, since the resolver
// keeps the parsed index and the edge caches each fragment under its viewer URL.
type smoothSource struct {
	s      *Server
	d      *distribution
	b      *behavior.Behavior
	f      origin.Fetcher
	maxObj int64
}

// ReadRange implements smooth.Source.
func (src *smoothSource) ReadRange(ctx context.Context, path string, off, n int64) ([]byte, int64, string, error) {
	if off != 0 || n >= 0 {
		body, size, etag, _, err := src.fetch(ctx, path, off, n)
		return body, size, etag, err
	}
	s := src.s
	key := append(append(append([]byte(nil), src.d.keyPrefix...), "\x01smooth-source\x00"...), path...)
	if e := s.store.Get(key); e != nil && e.Fresh(s.now()) {
		return e.Body, int64(len(e.Body)), string(e.ETag), nil
	}
	f, _, err := s.flights.Do(string(key), func() (*fill, error) {
		if e := s.store.Get(key); e != nil && e.Fresh(s.now()) {
			return &fill{entry: e}, nil // stored by the flight that just ended
		}
		body, _, etag, h, err := src.fetch(ctx, path, 0, -1)
		if err != nil {
			return nil, err
		}
		now := s.now()
		e := &cache.Entry{Key: key, Dist: src.d.id, Path: path, Status: fasthttp.StatusOK, Body: body, ETag: []byte(etag), Stored: now}
		if ttl, ok := s.decideTTL(src.d, src.b, fasthttp.StatusOK, h, now); ok && ttl > 0 && !src.b.NoCache {
			e.Expires = now.Add(ttl)
			s.store.Set(e)
		}
		return &fill{entry: e}, nil
	})
	if err != nil {
		return nil, 0, "", err
	}
	return f.entry.Body, int64(len(f.entry.Body)), string(f.entry.ETag), nil
}

// fetch reads [off, off+n) of an origin object (a suffix when off < 0, the whole object when n < 0).
func (src *smoothSource) fetch(ctx context.Context, path string, off, n int64) ([]byte, int64, string, http.Header, error) {
	req := &origin.Request{
		Method: fasthttp.MethodGet,
		Path:   (&url.URL{Path: path}).EscapedPath(),
		Header: http.Header{"User-Agent": {"Amazon CloudFront"}},
	}
	switch {
	case off < 0:
		req.Header.Set("Range", "bytes=-"+strconv.FormatInt(-off, 10))
	case n >= 0:
		if n == 0 {
			return nil, 0, "", nil, fmt.Errorf("smooth source: empty range of %s", path)
		}
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	}
	resp, err := src.f.Fetch(ctx, req)
	if err != nil {
		return nil, 0, "", nil, fmt.Errorf("smooth source: %s: %w", path, err)
	}
	defer resp.Body.Close()
	etag := resp.Header.Get("Etag")
	switch resp.Status {
	case fasthttp.StatusOK:
		body, err := readBody(resp.Body, resp.ContentLength, src.maxObj)
		if err != nil {
			return nil, 0, "", nil, fmt.Errorf("smooth source: %s: %w", path, err)
		}
		size := int64(len(body))
		// The origin ignored the Range: cut it here.
		switch {
		case off < 0:
			if -off < size {
				body = body[size+off:]
			}
		case n >= 0:
			if off >= size {
				return nil, size, etag, nil, fmt.Errorf("%w: %s: range %d+%d beyond %d bytes", smooth.ErrBadMedia, path, off, n, size)
			}
			body = body[off:min(off+n, size)]
		}
		return body, size, etag, resp.Header, nil
	case fasthttp.StatusPartialContent:
		size, err := totalFromContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return nil, 0, "", nil, fmt.Errorf("%w: %s: %v", smooth.ErrBadMedia, path, err)
		}
		max := src.maxObj
		if n > 0 && n < max {
			max = n
		}
		body, err := readBody(resp.Body, resp.ContentLength, max)
		if err != nil {
			return nil, 0, "", nil, fmt.Errorf("smooth source: %s: %w", path, err)
		}
		return body, size, etag, resp.Header, nil
	case fasthttp.StatusNotFound, fasthttp.StatusForbidden, fasthttp.StatusGone:
		return nil, 0, "", nil, fmt.Errorf("%w: %s: origin answered %d", smooth.ErrNotFound, path, resp.Status)
	case fasthttp.StatusRequestedRangeNotSatisfiable:
		return nil, 0, "", nil, fmt.Errorf("%w: %s: origin answered 416 for %s", smooth.ErrBadMedia, path, req.Header.Get("Range"))
	}
	return nil, 0, "", nil, fmt.Errorf("%w: %s: origin answered %d", smooth.ErrBadMedia, path, resp.Status)
}

// totalFromContentRange returns the complete length from "bytes a-b/total".
func totalFromContentRange(v string) (int64, error) {
	i := bytes.LastIndexByte([]byte(v), '/')
	if i < 0 || !bytes.HasPrefix([]byte(v), []byte("bytes ")) {
		return 0, fmt.Errorf("bad Content-Range %q", v)
	}
	n, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad Content-Range %q", v)
	}
	return n, nil
}
