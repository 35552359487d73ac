package edge

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/origin"
	"github.com/valyala/fasthttp"
)

// fill is the outcome of one origin fetch for a cache key, shared by every viewer that waited on it.
type fill struct {
	entry  *cache.Entry // what to answer with (stored in the cache when cached is true)
	cached bool         // entry is in the cache: waiters may share it
	xcache []byte       // X-Cache for the viewer that caused the fetch
	// shared is false when the response may not be shared with waiting viewers (not cacheable, too
	// large to hold, or cut short): each of them then asks the origin itself, as CloudFront does.
	shared bool
	// For the fetching viewer only: a body too large to cache, streamed through.
	stream *origin.Response
	prefix []byte
	// truncated is set when the origin's body ended early (entry.Body holds what arrived);
	// declared is the length the origin announced, -1 for a chunked or unframed body.
	truncated bool
	declared  int64
	// fromCache is set when the flight found the entry already in the cache (see collapse).
	fromCache bool
	// detail is the log's x-edge-detailed-result-type when no origin response arrived.
	detail string
}

// collapse runs fill once per cache key however many viewers wait (request collapsing), like
// groupcache's singleflight. The flight looks in the cache once more before calling fill: an
// entry may have been stored between a viewer's miss and its joining the flight, when the
// previous flight for the key had just ended, and it must not cost a second origin request.
func (s *Server) collapse(key string, fetch func() *fill) (*fill, bool) {
	f, shared, _ := s.flights.Do(key, func() (*fill, error) {
		if e := s.store.Get([]byte(key)); e != nil && e.Fresh(s.now()) {
			return &fill{entry: e, cached: true, shared: true, xcache: hitResult(e), fromCache: true}, nil
		}
		return fetch(), nil
	})
	return f, shared
}

// miss answers a cacheable request whose key is absent (stale is nil) or stale: one origin fetch per
// key, whatever the number of viewers waiting.
func (s *Server) miss(ctx *fasthttp.RequestCtx, x *exchange, d *distribution, b *behavior.Behavior, path []byte, stale *cache.Entry, now time.Time) {
	key := string(x.key)
	req := s.originRequest(ctx, x, b, false)
	if req.Method == fasthttp.MethodHead {
		req.Method = fasthttp.MethodGet // fill the cache: a HEAD miss fetches the object
	}
	if stale != nil {
		if len(stale.ETag) > 0 {
			req.Header.Set("If-None-Match", string(stale.ETag))
		}
		if len(stale.LastModified) > 0 {
			req.Header.Set("If-Modified-Since", string(stale.LastModified))
		}
	}
	pathStr := string(path)
	f, shared := s.collapse(key, func() *fill {
		return s.fetchFill(d, b, req, []byte(key), pathStr, stale)
	})
	if shared {
		if !f.shared {
			s.pass(ctx, x, d, b)
			return
		}
		x.xcache = hitResult(f.entry)
		s.answer(ctx, x, d, f.entry, true)
		return
	}
	x.xcache, x.detail = f.xcache, f.detail
	switch {
	case f.stream != nil:
		s.writeStream(ctx, b, f.stream, f.prefix)
	case f.truncated:
		s.writeTruncated(ctx, x, f.entry, f.declared)
	default:
		s.answer(ctx, x, d, f.entry, f.fromCache)
	}
}

// fetchFill fetches key from the origin and stores what may be stored. It runs once per key at a time.
func (s *Server) fetchFill(d *distribution, b *behavior.Behavior, req *origin.Request, key []byte, path string, stale *cache.Entry) *fill {
	f := d.origins[b.TargetOriginID]
	resp, err := f.Fetch(context.Background(), req)
	now := s.now()
	if err != nil {
		if staleUsable(stale, now) {
			return s.serveStale(d, stale, fasthttp.StatusGatewayTimeout, now)
		}
		return s.originFailure(d, b, key, path, err, req, now)
	}
	if stale != nil && resp.Status == fasthttp.StatusNotModified {
		resp.Body.Close()
		return s.refresh(d, b, stale, resp, now)
	}
	if resp.Status >= 500 && staleUsable(stale, now) {
		resp.Body.Close()
		return s.serveStale(d, stale, resp.Status, now)
	}
	if resp.ContentLength > s.maxObj {
		return &fill{stream: resp, xcache: xMiss}
	}
	body, rerr := readBody(resp.Body, resp.ContentLength, s.maxObj)
	if rerr == errTooLarge {
		return &fill{stream: resp, prefix: body, xcache: xMiss}
	}
	resp.Body.Close()
	e := &cache.Entry{
		Key:    key,
		Dist:   d.id,
		Path:   path,
		Status: resp.Status,
		Header: replayHeaders(resp.Header, b),
		Body:   body,
		Stored: now,
	}
	e.ETag = []byte(resp.Header.Get("Etag"))
	e.LastModified = []byte(resp.Header.Get("Last-Modified"))
	if rerr != nil {
		s.log.Warn("origin body ended early", "dist", d.id, "path", path, "got", len(body), "want", resp.ContentLength, "err", rerr)
		return &fill{entry: e, truncated: true, declared: resp.ContentLength, xcache: xMiss}
	}
	ttl, ok := s.decideTTL(d, b, resp.Status, resp.Header, now)
	if ok && ttl > 0 {
		compressEntry(e, b, req.Header.Get("Accept-Encoding"), resp.Header, resp.ContentLength)
		setStaleWindows(e, resp.Header)
	}
	xc := xMiss
	if resp.Status >= 400 {
		xc = xError
	}
	if !ok || ttl <= 0 {
		e.Expires = now
		return &fill{entry: e, xcache: xc}
	}
	e.Expires = now.Add(ttl)
	stored := s.store.Set(e)
	return &fill{entry: e, cached: stored, shared: true, xcache: xc}
}

// decideTTL applies the behavior's TTL policy to an origin response: the expiration table for
// successes and redirects, the error-caching rules for 4xx/5xx.
func (s *Server) decideTTL(d *distribution, b *behavior.Behavior, status int, h http.Header, now time.Time) (time.Duration, bool) {
	cc, exp := headerBytes(h, "Cache-Control"), headerBytes(h, "Expires")
	if status >= 400 {
		min, ok := d.errMinTTL[status]
		if !ok {
			min = 10 * time.Second
		}
		return b.TTL.ErrorTTL(status, cc, exp, min, now)
	}
	if b.TTL.Min == 0 && varyStar(h) {
		return 0, false // Vary: * with MinTTL 0: every request goes to the origin (cloudfront.md §3.2)
	}
	if status == fasthttp.StatusPartialContent || status == fasthttp.StatusNotModified || status < 200 {
		return 0, false // never asked for (fills are whole and unconditional): not an object to keep
	}
	return b.TTL.ObjectTTL(status, cc, exp, now)
}

// varyStar reports whether a response varies on everything (Vary: *).
func varyStar(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, name := range strings.Split(v, ",") {
			if strings.TrimSpace(name) == "*" {
				return true
			}
		}
	}
	return false
}

func headerBytes(h http.Header, name string) []byte {
	v := h.Values(name)
	switch len(v) {
	case 0:
		return nil
	case 1:
		return []byte(v[0])
	}
	return []byte(strings.Join(v, ", "))
}

// refresh turns a stale entry and the origin's 304 into a fresh entry (RefreshHit).
func (s *Server) refresh(d *distribution, b *behavior.Behavior, stale *cache.Entry, resp *origin.Response, now time.Time) *fill {
	e := *stale
	e.Stored = now
	// Headers of the 304 update the stored ones (RFC 9111 §4.3.4): take the new validators and
	// freshness headers when the origin sent them.
	h := make(http.Header)
	for _, f := range stale.Header {
		h.Add(string(f.Key), string(f.Value))
	}
	for _, name := range []string{"Cache-Control", "Expires", "Etag", "Last-Modified"} {
		if v := resp.Header.Values(name); len(v) > 0 {
			h[http.CanonicalHeaderKey(name)] = v
		}
	}
	e.Header = replayHeaders(h, b)
	if v := resp.Header.Get("Etag"); v != "" {
		e.ETag = []byte(v)
	}
	ttl, ok := s.decideTTL(d, b, e.Status, h, now)
	if !ok || ttl <= 0 {
		e.Expires = now
		return &fill{entry: &e, xcache: xRefreshHit}
	}
	e.Expires = now.Add(ttl)
	stored := s.store.Set(&e)
	return &fill{entry: &e, cached: stored, shared: true, xcache: xRefreshHit}
}

// setStaleWindows records the origin's stale-while-revalidate and stale-if-error on an entry.
func setStaleWindows(e *cache.Entry, h http.Header) {
	dir := behavior.ParseCacheControl(headerBytes(h, "Cache-Control"))
	e.StaleWhileRevalidate = dir.StaleWhileRevalidate
	e.StaleIfError, e.HasStaleIfError = dir.StaleIfError, dir.HasStaleIfError
}

// staleUsable reports whether a stale entry may stand in for a failed origin: always, as
// CloudFront does, unless the origin limited it with stale-if-error (stale-if-error=0 turns the
// fallback off).
func staleUsable(stale *cache.Entry, now time.Time) bool {
	if stale == nil {
		return false
	}
	return !stale.HasStaleIfError || now.Before(stale.Expires.Add(stale.StaleIfError))
}

// serveStale answers with a stale entry when the origin fails on revalidation (cloudfront.md §3.3):
// the stale copy is served, and kept fresh for ErrorCachingMinTTL (of the failure's status) before
// the origin is tried again.
func (s *Server) serveStale(d *distribution, stale *cache.Entry, status int, now time.Time) *fill {
	ttl, ok := d.errMinTTL[status]
	if !ok {
		ttl = 10 * time.Second
	}
	e := *stale
	e.Expires = now.Add(ttl)
	if ttl > 0 && s.store.Set(&e) {
		return &fill{entry: &e, cached: true, shared: true, xcache: xHit}
	}
	return &fill{entry: stale, shared: true, xcache: xHit}
}

// originFailure builds CloudFront's answer when no origin response arrived: 504 for timeouts and
// failed connections, 502 for DNS, TLS and protocol errors; cached as an error (§3.4).
func (s *Server) originFailure(d *distribution, b *behavior.Behavior, key []byte, path string, err error, req *origin.Request, now time.Time) *fill {
	status, detail := failureStatus(err)
	s.log.Warn("origin request failed", "dist", d.id, "origin", b.TargetOriginID, "path", path, "status", status, "result", detail, "err", err)
	e := &cache.Entry{
		Key:    key,
		Dist:   d.id,
		Path:   path,
		Status: status,
		Header: []cache.Field{
			{Key: []byte("Server"), Value: []byte("CloudFront")},
			{Key: []byte("Content-Type"), Value: []byte("text/html")},
		},
		Body:   appendErrorPage(nil, status, msgNoOrigin, []byte(req.Header.Get("X-Amz-Cf-Id"))),
		Stored: now,
	}
	ttl, ok := s.decideTTL(d, b, status, nil, now)
	if !ok || ttl <= 0 {
		e.Expires = now
		return &fill{entry: e, xcache: xError, detail: detail}
	}
	e.Expires = now.Add(ttl)
	stored := s.store.Set(e)
	return &fill{entry: e, cached: stored, shared: true, xcache: xError, detail: detail}
}

// failureStatus is CloudFront's status for an origin request that got no response, and the log's
// detailed result type: 504 when the origin could not be reached or did not answer in time, 502
// for DNS, TLS and protocol errors.
func failureStatus(err error) (int, string) {
	var oe *origin.Error
	if !errors.As(err, &oe) {
		return fasthttp.StatusBadGateway, "OriginError"
	}
	if oe.Kind == origin.KindConnect || oe.Kind == origin.KindTimeout {
		return fasthttp.StatusGatewayTimeout, oe.Kind.String()
	}
	return fasthttp.StatusBadGateway, oe.Kind.String()
}

var errTooLarge = errors.New("edge: body larger than max_object_size")

// readBody reads a whole origin body of the given length (-1 unknown). It returns errTooLarge with
// what it read once more than max bytes arrive, and the origin's read error (with what arrived)
// when the body ends early.
func readBody(r io.Reader, n, max int64) ([]byte, error) {
	if n >= 0 {
		buf := make([]byte, n)
		k, err := io.ReadFull(r, buf)
		if err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				err = origin.ErrTruncated
			}
			return buf[:k], err
		}
		return buf, nil
	}
	buf := make([]byte, 0, 32<<10)
	for {
		if int64(len(buf)) > max {
			return buf, errTooLarge
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// refreshInBackground revalidates a stale entry that may still be served (stale-while-revalidate):
// the viewer gets the stale copy at once and one background fetch per key refreshes it.
func (s *Server) refreshInBackground(ctx *fasthttp.RequestCtx, x *exchange, d *distribution, b *behavior.Behavior, path []byte, stale *cache.Entry) {
	key := string(x.key)
	if _, busy := s.refreshing.LoadOrStore(key, struct{}{}); busy {
		return
	}
	req := s.originRequest(ctx, x, b, false)
	req.Method = fasthttp.MethodGet
	if len(stale.ETag) > 0 {
		req.Header.Set("If-None-Match", string(stale.ETag))
	}
	if len(stale.LastModified) > 0 {
		req.Header.Set("If-Modified-Since", string(stale.LastModified))
	}
	pathStr := string(path)
	go func() {
		defer s.refreshing.Delete(key)
		f, _ := s.collapse(key, func() *fill {
			return s.fetchFill(d, b, req, []byte(key), pathStr, stale)
		})
		if f.stream != nil {
			f.stream.Body.Close()
		}
	}()
}
