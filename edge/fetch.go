package edge

import (
	"bytes"
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

// outcome is what one origin fetch for a cache key came to.
type outcome uint8

const (
	// answered: the fill's entry is the answer (cached or not; see fill.shared).
	answered outcome = iota
	// streamed: the body is larger than may be held; it streams to the fetching viewer only.
	streamed
	// cutShort: the origin's body ended early; what arrived is replayed, visibly cut, to the
	// fetching viewer only, and nothing is cached.
	cutShort
	// onDisk: the object went to the disk tier (a body larger than memory holds); every viewer
	// reads it from there.
	onDisk
	// refetch: the origin's response was read but could not be kept (a disk write failed after
	// the body was read); every viewer asks the origin itself.
	refetch
)

// fill is the result of one origin fetch for a cache key, shared by every viewer that waited on it.
type fill struct {
	outcome outcome
	// entry is the answer (answered), or the status, headers and the part of the body that
	// arrived (cutShort).
	entry *cache.Entry
	// shared says whether viewers that waited on the fetch may answer with entry. It is false
	// when the response may not be shared (not cacheable, too large to hold, or cut short): each
	// of them then asks the origin itself, as CloudFront does.
	shared bool
	// xcache is the X-Cache for the viewer that caused the fetch; detail the access log's
	// x-edge-detailed-result-type when no origin response arrived.
	xcache []byte
	detail string
	// fromCache is set when the flight found the entry already in the cache (see collapse).
	fromCache bool
	// stream and prefix (streamed): the origin response and the bytes of it already read.
	stream *origin.Response
	prefix []byte
	// declared (cutShort) is the length the origin announced, -1 for a chunked or unframed body.
	declared int64
	// fbl is how long the origin took to answer (its first-byte latency), 0 when it was not asked.
	fbl time.Duration
	// own are fields of the origin's answer for the viewer that caused the fetch only, never
	// stored (Set-Cookie for cookies its request did not carry: fetchJob.entry).
	own []cache.Field
}

// fetchJob is one origin fetch for a cache key: what the flight needs, copied out of the viewer's
// exchange (which is reused once its viewer is answered, while a background refresh goes on).
type fetchJob struct {
	dist *distribution
	beh  *behavior.Behavior
	// origin and originID are the origin to ask and its id.
	origin   origin.Fetcher
	originID string
	req      *origin.Request
	key      []byte
	path     string       // the normalised path, for invalidation matching
	stale    *cache.Entry // the entry being revalidated, or nil
	// hints, when set, receives the origin's 1xx informational responses (103 Early Hints).
	hints func(status int, h http.Header)
}

// newFetchJob prepares a cache fill for x: the origin request without the viewer's Range and
// conditionals, as GET (a HEAD miss fetches the object) or, for a cached OPTIONS (keyed apart from
// GET), as OPTIONS; revalidating stale when it is not nil.
func (s *Server) newFetchJob(x *exchange, stale *cache.Entry) *fetchJob {
	req := s.originRequest(x, false)
	if !x.ctx.IsOptions() {
		req.Method = fasthttp.MethodGet
	}
	if stale != nil {
		if len(stale.ETag) > 0 {
			req.Header.Set("If-None-Match", string(stale.ETag))
		}
		if len(stale.LastModified) > 0 {
			req.Header.Set("If-Modified-Since", string(stale.LastModified))
		}
	}
	f, id := x.fetcher()
	return &fetchJob{dist: x.dist, beh: x.beh, origin: f, originID: id, req: req, key: append([]byte(nil), x.key...), path: string(x.path), stale: stale}
}

// collapse runs fetch once per cache key however many viewers wait (request collapsing), like
// groupcache's singleflight. The flight looks in the cache once more before calling fetch: an
// entry may have been stored between a viewer's miss and its joining the flight, when the
// previous flight for the key had just ended, and it must not cost a second origin request.
func (s *Server) collapse(key string, fetch func() *fill) (*fill, bool) {
	f, shared, _ := s.flights.Do(key, func() (*fill, error) {
		if e := s.store.Get([]byte(key)); e != nil && e.Fresh(s.now()) {
			return &fill{entry: e, shared: true, xcache: hitResult(e), fromCache: true}, nil
		}
		if s.diskMax > 0 {
			if de := s.store.GetDisk([]byte(key)); de != nil {
				fresh := de.Fresh(s.now())
				de.Release()
				if fresh {
					return &fill{outcome: onDisk, shared: true, xcache: xHit, fromCache: true}, nil
				}
			}
		}
		return fetch(), nil
	})
	return f, shared
}

// miss answers a cacheable request whose key is absent (stale is nil) or stale: one origin fetch
// per key, whatever the number of viewers waiting.
func (s *Server) miss(x *exchange, stale *cache.Entry) {
	j := s.newFetchJob(x, stale)
	ctx := x.ctx
	j.hints = func(status int, h http.Header) { relayEarlyHints(ctx, status, h) }
	var f *fill
	var shared bool
	if x.beh.NoCollapse {
		f = s.fetchFill(j) // cookies go to the origin: each viewer's request is its own
	} else {
		f, shared = s.collapse(string(j.key), func() *fill { return s.fetchFill(j) })
	}
	switch f.outcome {
	case onDisk:
		xc, detail := f.xcache, ""
		if shared || f.fromCache {
			xc, detail = xHit, detailDiskHit
		}
		if !shared {
			x.upstreamFBL = f.fbl
		}
		if !s.answerFromDisk(x, xc, detail) {
			s.pass(x)
		}
		return
	case refetch:
		s.pass(x)
		return
	}
	if shared {
		if !f.shared {
			s.pass(x)
			return
		}
		x.xcache = hitResult(f.entry)
		s.answer(x, f.entry)
		return
	}
	x.xcache, x.detail, x.upstreamFBL = f.xcache, f.detail, f.fbl
	switch f.outcome {
	case streamed:
		s.writeStream(x, f.stream, f.prefix)
	case cutShort:
		s.writeTruncated(x, f.entry, f.declared)
	default:
		s.answer(x, f.entry)
		for _, fl := range f.own {
			x.ctx.Response.Header.AddBytesKV(fl.Key, fl.Value)
		}
	}
}

// fetchFill fetches the job's key from the origin and stores what may be stored. It runs once
// per key at a time.
func (s *Server) fetchFill(j *fetchJob) (f *fill) {
	d, b := j.dist, j.beh
	j.req.OnInformational = j.hints
	sent := s.now()
	start := time.Now()
	resp, err := j.origin.Fetch(context.Background(), j.req)
	fbl := max(time.Since(start), time.Microsecond) // the origin's first-byte latency
	defer func() {
		f.fbl = fbl
		if f != nil && resp != nil && f.detail == "" {
			f.detail = shieldDetail(resp)
		}
	}()
	now := s.now()
	if err != nil {
		if staleUsable(j.stale, now) {
			return s.serveStale(d, j.stale, fasthttp.StatusGatewayTimeout, now)
		}
		return s.originFailure(j, err, now)
	}
	if j.stale != nil && resp.Status == fasthttp.StatusNotModified {
		resp.Body.Close()
		return s.refresh(j, resp, sent, now)
	}
	if resp.Status >= 500 && staleUsable(j.stale, now) {
		resp.Body.Close()
		return s.serveStale(d, j.stale, resp.Status, now)
	}
	if resp.ContentLength > s.maxObj {
		if f := s.spool(j, resp, nil, sent, now); f != nil {
			return f
		}
		return &fill{outcome: streamed, stream: resp, xcache: xMiss}
	}
	body, rerr := readBody(resp.Body, resp.ContentLength, s.maxObj)
	if rerr == errTooLarge {
		if f := s.spool(j, resp, body, sent, now); f != nil {
			return f
		}
		return &fill{outcome: streamed, stream: resp, prefix: body, xcache: xMiss}
	}
	resp.Body.Close()
	e, own := j.entry(resp, now)
	e.Body = body
	setAgeAndDate(e, resp.Header, sent, now)
	if rerr != nil {
		s.log.Warn("origin body ended early", "dist", d.id, "path", j.path, "got", len(body), "want", resp.ContentLength, "err", rerr)
		return &fill{outcome: cutShort, entry: e, declared: resp.ContentLength, xcache: xMiss}
	}
	ttl, ok := s.decideTTL(d, b, resp.Status, resp.Header, now)
	if ok && ttl > 0 {
		compressEntry(e, b, j.req.Header.Get("Accept-Encoding"), resp.Header, resp.ContentLength)
		setStaleWindows(e, resp.Header)
	}
	xc := xMiss
	if resp.Status >= 400 {
		xc = xError
	}
	f = s.keep(e, b, ttl, ok, xc)
	f.own = own
	return f
}

// shieldDetail is the access log's x-edge-detailed-result-type for a fill a shield edge
// answered (ShieldHit: from its cache; ShieldMiss: it asked the origin), "" otherwise. X-Cache
// stays CloudFront's (a miss at this edge).
func shieldDetail(resp *origin.Response) string {
	switch {
	case resp.ShieldHit:
		return "ShieldHit"
	case resp.ShieldMiss:
		return "ShieldMiss"
	}
	return ""
}

// entry is the cache entry of an origin response to j, without its body: the fields replayed
// and its validators, stored at now. own are the Set-Cookie fields for cookies the fill's
// request did not carry: they go to the viewer that caused the fetch, never into the entry
// ("If your origin returns cookies that were not in the viewer request, CloudFront does not
// cache them", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Cookies.html):
// another viewer with the same key would otherwise get the first one's session.
func (j *fetchJob) entry(resp *origin.Response, now time.Time) (e *cache.Entry, own []cache.Field) {
	fields, own := j.stored(replayHeaders(resp.Header, j.beh), resp.Header)
	return &cache.Entry{
		Key:          j.key,
		Dist:         j.dist.id,
		Path:         j.path,
		Status:       resp.Status,
		Header:       fields,
		Stored:       now,
		ETag:         []byte(resp.Header.Get("Etag")),
		LastModified: []byte(resp.Header.Get("Last-Modified")),
	}, own
}

// stored splits the fields replayed from an origin answer with header h into those an entry may
// keep and own, the Set-Cookie fields for the fetching viewer alone: cookies its request did not
// carry, or every one under no-cache="Set-Cookie" ("Suspending caching based on cookies",
// Cookies.html). Without cookies forwarded, replayHeaders has dropped Set-Cookie already.
func (j *fetchJob) stored(fields []cache.Field, h http.Header) (kept, own []cache.Field) {
	if !j.beh.Forward.ForwardsCookies() {
		return fields, nil
	}
	sent := j.req.Header.Get("Cookie")
	none := behavior.ParseCacheControl(headerBytes(h, "Cache-Control")).NoCacheSetCookie
	kept = fields[:0]
	for _, f := range fields {
		if string(f.Key) == "Set-Cookie" && (none || !hasCookie(sent, setCookieName(f.Value))) {
			own = append(own, f)
			continue
		}
		kept = append(kept, f)
	}
	return kept, own
}

// setCookieName is the cookie name of a Set-Cookie value (RFC 6265 §4.1.1: the name before '=').
func setCookieName(v []byte) string {
	if i := bytes.IndexByte(v, '='); i >= 0 {
		v = v[:i]
	}
	return string(bytes.TrimSpace(v))
}

// hasCookie reports whether a Cookie header value ("a=1; b=2") holds a cookie named name.
func hasCookie(header, name string) bool {
	for header != "" {
		var c string
		c, header, _ = strings.Cut(header, ";")
		n, _, _ := strings.Cut(c, "=")
		if strings.TrimSpace(n) == name && name != "" {
			return true
		}
	}
	return false
}

// keep ends every fill that produced an entry: an entry the TTL rules let the edge keep (ok, and a
// positive ttl) is fresh for ttl less the age it arrived with, gets its head prepared for answers
// under b, is stored, and is shared with the viewers waiting on the fetch; any other entry
// answers the fetching viewer only.
func (s *Server) keep(e *cache.Entry, b *behavior.Behavior, ttl time.Duration, ok bool, xc []byte) *fill {
	if !ok || ttl <= 0 {
		e.Expires = e.Stored
		e.Head, e.HeadSize = nil, 0
		return &fill{entry: e, xcache: xc}
	}
	e.Expires = e.Stored.Add(ttl - e.InitialAge)
	s.prepareHead(e, b)
	s.store.Set(e)
	return &fill{entry: e, shared: true, xcache: xc}
}

// setAgeAndDate records on a fresh entry the age it arrived with (RFC 9111 §4.2.3, from the
// origin's Age and Date and the time the request took) and the Date to replay: the origin's, or
// the receive time when it sent none (RFC 9110 §6.6.1).
func setAgeAndDate(e *cache.Entry, h http.Header, sent, received time.Time) {
	date := headerBytes(h, "Date")
	e.InitialAge = behavior.CorrectedInitialAge(headerBytes(h, "Age"), date, sent, received)
	if _, ok := behavior.ParseHTTPDate(date); ok {
		e.Date = date
	} else {
		e.Date = fasthttp.AppendHTTPDate(nil, received)
	}
}

// decideTTL applies the behavior's TTL policy to an origin response: the expiration table for
// successes and redirects, the error-caching rules for 4xx/5xx.
func (s *Server) decideTTL(d *distribution, b *behavior.Behavior, status int, h http.Header, now time.Time) (time.Duration, bool) {
	cc, exp, date := headerBytes(h, "Cache-Control"), headerBytes(h, "Expires"), headerBytes(h, "Date")
	if status >= 400 {
		min, ok := d.errMinTTL[status]
		if !ok {
			min = 10 * time.Second
		}
		return b.TTL.ErrorTTL(status, cc, exp, date, min, now)
	}
	if b.TTL.Min == 0 && varyStar(h) {
		return 0, false // Vary: * with MinTTL 0: every request goes to the origin ("Content negotiation",
		// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#ResponseCustomContentNegotiation)
	}
	if status == fasthttp.StatusPartialContent || status == fasthttp.StatusNotModified || status < 200 {
		return 0, false // never asked for (fills are whole and unconditional): not an object to keep
	}
	return b.TTL.ObjectTTL(status, cc, exp, date, now)
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

// refresh turns a stale entry and the origin's 304 into a fresh entry (RefreshHit). Every field
// the 304 carries replaces the stored one of that name, except hop-by-hop fields and
// Content-Length (RFC 9111 §3.2, §4.3.4).
func (s *Server) refresh(j *fetchJob, resp *origin.Response, sent, now time.Time) *fill {
	e := *j.stale
	e.Stored = now
	h := make(http.Header, len(e.Header))
	for _, f := range e.Header {
		h.Add(string(f.Key), string(f.Value))
	}
	for name, vs := range resp.Header {
		if ck := http.CanonicalHeaderKey(name); !dropResponseHeader(ck) {
			h[ck] = vs
		}
	}
	if v := resp.Header.Get("Etag"); v != "" {
		if string(j.stale.ETag) == "W/"+v {
			// The edge compressed the stored body and so weakened its ETag (compressEntry): the
			// origin's strong tag for the identity body stays weak on the compressed one.
			v = "W/" + v
			h.Set("Etag", v)
		}
		e.ETag = []byte(v)
	}
	var own []cache.Field
	e.Header, own = j.stored(replayHeaders(h, j.beh), h)
	if v := resp.Header.Get("Last-Modified"); v != "" {
		e.LastModified = []byte(v)
	}
	setAgeAndDate(&e, resp.Header, sent, now)
	setStaleWindows(&e, h)
	h.Set("Date", string(e.Date))
	ttl, ok := s.decideTTL(j.dist, j.beh, e.Status, h, now)
	f := s.keep(&e, j.beh, ttl, ok, xRefreshHit)
	f.own = own
	return f
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
	if stale == nil || stale.Status >= 400 {
		return false // a cached error is not "the requested object": the new answer stands
	}
	return !stale.HasStaleIfError || now.Before(stale.Expires.Add(stale.StaleIfError))
}

// serveStale answers with a stale entry when the origin fails on revalidation ("The requested
// object is in the edge cache",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html#HTTPStatusCodes-no-custom-error-pages-in-cache):
// the stale copy is served, and kept fresh for ErrorCachingMinTTL (of the failure's status) before
// the origin is tried again.
func (s *Server) serveStale(d *distribution, stale *cache.Entry, status int, now time.Time) *fill {
	ttl, ok := d.errMinTTL[status]
	if !ok {
		ttl = 10 * time.Second
	}
	e := *stale
	e.Expires = now.Add(ttl)
	if ttl > 0 {
		s.store.Set(&e)
		return &fill{entry: &e, shared: true, xcache: hitResult(&e)}
	}
	return &fill{entry: stale, shared: true, xcache: hitResult(stale)}
}

// originFailure builds CloudFront's answer when no origin response arrived: 504 for timeouts and
// failed connections, 502 for DNS, TLS and protocol errors; cached as an error
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html).
func (s *Server) originFailure(j *fetchJob, err error, now time.Time) *fill {
	status, detail := failureStatus(err)
	s.log.Warn("origin request failed", "dist", j.dist.id, "origin", j.originID, "path", j.path, "status", status, "result", detail, "err", err)
	e := s.errorEntry(j.dist, j.key, j.path, status, msgNoOrigin, []byte(j.req.Header.Get("X-Amz-Cf-Id")), now)
	ttl, ok := s.decideTTL(j.dist, j.beh, status, nil, now)
	f := s.keep(e, j.beh, ttl, ok, xError)
	f.detail = detail
	return f
}

// errorEntry is an entry holding one of CloudFront's own error pages, for the edge's own errors
// that are cached like an origin's (no origin response, a Smooth object that can't be served).
// Viewers see only CloudFront's page: the cause goes to the log.
func (s *Server) errorEntry(d *distribution, key []byte, path string, status int, msg string, id []byte, now time.Time) *cache.Entry {
	return &cache.Entry{
		Key:    key,
		Dist:   d.id,
		Path:   path,
		Status: status,
		Header: []cache.Field{
			{Key: []byte("Server"), Value: []byte("CloudFront")},
			{Key: []byte("Content-Type"), Value: []byte("text/html")},
		},
		Body:   appendErrorPage(nil, status, msg, id),
		Stored: now,
		Date:   fasthttp.AppendHTTPDate(nil, now),
	}
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
func (s *Server) refreshInBackground(x *exchange, stale *cache.Entry) {
	key := string(x.key)
	if _, busy := s.refreshing.LoadOrStore(key, struct{}{}); busy {
		return
	}
	j := s.newFetchJob(x, stale)
	go func() {
		defer s.refreshing.Delete(key)
		f, _ := s.collapse(key, func() *fill { return s.fetchFill(j) })
		if f.stream != nil {
			f.stream.Body.Close()
		}
	}()
}
