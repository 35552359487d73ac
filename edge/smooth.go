package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/origin"
	"github.com/cfedge/edge/smooth"
	"github.com/valyala/fasthttp"
)

// smoothMiss answers a Smooth Streaming URL that the cache could not answer: the Manifest is the
// presentation's client manifest, a fragment is one byte range of the media file, found through
// the server manifest and the file's mfra index. Both are cached under the viewer URL with the
// behavior's TTLs, one origin read per key however many viewers wait. It returns false when the
// path is not a Smooth URL (it is then served as an ordinary object).
func (s *Server) smoothMiss(x *exchange) bool {
	d, b := x.dist, x.beh
	sreq, err := smooth.ParseURL(string(x.path))
	if errors.Is(err, smooth.ErrNotSmooth) {
		return false
	}
	if err != nil {
		s.log.Info("smooth: bad request", "dist", d.id, "path", string(x.path), "err", err)
		s.cfError(x, smooth.StatusOf(err), smoothMessage(smooth.StatusOf(err)))
		return true
	}
	key := string(x.key)
	j := &smoothJob{dist: d, beh: b, res: d.resolvers[b], req: sreq, key: []byte(key), path: string(x.path), id: x.id}
	f, shared := s.collapse(key, func() *fill { return s.smoothFill(j) })
	if f.outcome == onDisk { // the flight found it in the disk tier
		if s.answerFromDisk(x, xHit, detailDiskHit) {
			return true
		}
		f, shared = s.smoothFill(j), false // gone again since: resolve it here
	}
	if shared && f.shared {
		x.xcache = xHit
		s.answer(x, f.entry)
		return true
	}
	x.xcache = f.xcache
	s.answer(x, f.entry)
	return true
}

// smoothJob is one Smooth object to resolve and read for a cache key.
type smoothJob struct {
	dist *distribution
	beh  *behavior.Behavior
	res  *smooth.Resolver
	req  smooth.Request
	key  []byte
	path string
	id   requestID
}

// smoothFill resolves and reads one Smooth object and stores it. When it can't be served, the
// viewer gets CloudFront's error page for the status; the cause (which names origins and
// files) goes to the log only.
func (s *Server) smoothFill(j *smoothJob) *fill {
	ctx := context.Background()
	var body []byte
	var ct string
	var err error
	if j.req.Kind == smooth.Manifest {
		body, err = j.res.Manifest(ctx, j.req.Presentation)
		ct = j.beh.SmoothManifestContentType
		if ct == "" {
			ct = "text/xml"
		}
	} else {
		var frag smooth.Fragment
		frag, err = j.res.Fragment(ctx, j.req)
		body, ct = frag.Body, frag.ContentType
	}
	now := s.now()
	if err != nil {
		status := smooth.StatusOf(err)
		if oe := (*origin.Error)(nil); errors.As(err, &oe) {
			status, _ = failureStatus(err)
		}
		level := s.log.Info
		if status >= 500 {
			level = s.log.Warn
		}
		level("smooth: cannot serve", "dist", j.dist.id, "path", j.path, "status", status, "err", err)
		e := s.errorEntry(j.dist, j.key, j.path, status, smoothMessage(status), j.id[:], now)
		ttl, ok := s.decideTTL(j.dist, j.beh, status, nil, now)
		return s.keep(e, j.beh, ttl, ok && !j.beh.NoCache, xError)
	}
	e := &cache.Entry{Key: j.key, Dist: j.dist.id, Path: j.path, Stored: now, Status: fasthttp.StatusOK,
		Header: []cache.Field{{Key: []byte("Content-Type"), Value: []byte(ct)}}, Body: body,
		Date: fasthttp.AppendHTTPDate(nil, now)}
	ttl, ok := s.decideTTL(j.dist, j.beh, e.Status, nil, now)
	return s.keep(e, j.beh, ttl, ok && !j.beh.NoCache, xMiss)
}

// smoothMessage is the sentence of CloudFront's error page for a Smooth object the edge can't serve.
func smoothMessage(status int) string {
	switch {
	case status == fasthttp.StatusNotFound:
		return msgNotFound
	case status >= 500:
		return msgNoOrigin
	}
	return msgBadReq
}

// smoothSource reads origin objects for the Smooth resolver: whole objects or byte ranges, with
// the object's size and ETag. Whole objects (the .ism, the .ismc) are cached like any object under
// the behavior's TTLs, so a presentation's server manifest costs one origin read however many
// fragments are asked for; ranges (index reads, fragments) go to the origin, since the resolver
// keeps the parsed index and the edge caches each fragment under its viewer URL.
type smoothSource struct {
	server    *Server
	dist      *distribution
	beh       *behavior.Behavior
	fetcher   origin.Fetcher
	maxObject int64
}

// ReadRange implements smooth.Source.
func (src *smoothSource) ReadRange(ctx context.Context, path string, off, n int64) ([]byte, int64, string, error) {
	if off != 0 || n >= 0 {
		body, size, etag, _, err := src.fetch(ctx, path, off, n)
		return body, size, etag, err
	}
	s := src.server
	key := append(append(append([]byte(nil), src.dist.keyPrefix(src.beh)...), "\x01smooth-source\x00"...), path...)
	if e := s.stored(key); e != nil && e.Fresh(s.now()) {
		return e.Body, int64(len(e.Body)), string(e.ETag), nil
	}
	f, _, err := s.flights.Do(string(key), func() (*fill, error) {
		if e := s.stored(key); e != nil && e.Fresh(s.now()) {
			return &fill{entry: e}, nil // stored by the flight that just ended
		}
		body, _, etag, h, err := src.fetch(ctx, path, 0, -1)
		if err != nil {
			return nil, err
		}
		now := s.now()
		e := &cache.Entry{Key: key, Dist: src.dist.id, Path: path, Status: fasthttp.StatusOK, Body: body, ETag: []byte(etag), Stored: now}
		ttl, ok := s.decideTTL(src.dist, src.beh, fasthttp.StatusOK, h, now)
		return s.keep(e, nil, ttl, ok && !src.beh.NoCache, xMiss), nil // never answered to a viewer
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
	resp, err := src.fetcher.Fetch(ctx, req)
	if err != nil {
		return nil, 0, "", nil, fmt.Errorf("smooth source: %s: %w", path, err)
	}
	defer resp.Body.Close()
	etag := resp.Header.Get("Etag")
	switch resp.Status {
	case fasthttp.StatusOK:
		body, err := readBody(resp.Body, resp.ContentLength, src.maxObject)
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
		max := src.maxObject
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
