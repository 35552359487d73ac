package edge

import (
	"bytes"
	"errors"
	"io"
	"time"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/disk"
	"github.com/cfedge/edge/origin"
	"github.com/valyala/fasthttp"
)

// The disk tier, as the viewer pipeline sees it (the tier itself is package cache's and
// package disk's). After a memory miss the edge asks the disk (diskLookup):
//
//   - a small body (up to diskLoadMax), or any answer that is not a 200, is read into memory
//     with one pread, answered from memory, and offered to the memory tier (Promote: its
//     TinyLFU admission, which counted the key's memory misses, decides whether it is hot);
//   - a larger body is sent from its file: fasthttp hands an *os.File body to sendfile(2), so
//     it never passes through a Go buffer (ranges too: the file is positioned at the range's
//     first byte); bodies the memory tier could hold are offered to it in the background,
//     one at a time;
//   - a stale object is revalidated like a memory one when the memory tier could hold it,
//     and fetched again whole when it is larger.
//
// Fills: what the memory tier refuses goes to disk inside the fill (cache.Store.Set), and a
// body over max_object_size but within disk_max_object_size is written from the origin's
// stream straight to disk (spool) while its viewers wait for it, then every one of them is
// answered from the file: N concurrent misses cost one origin request and one file write.

// diskLoadMax is the largest disk body read into memory to answer; larger ones are sent from
// their file. Below it sendfile saves nothing measurable (fasthttp copies bodies under 8 KiB
// anyway), and reading lets the memory tier take the object.
const diskLoadMax = 64 << 10

// detailDiskHit is the access log's x-edge-detailed-result-type for a hit answered by the disk
// tier (x-edge-result-type stays Hit, and X-Cache "Hit from cloudfront", as on any hit).
const detailDiskHit = "DiskHit"

// diskLookup looks x's key up in the disk tier after a memory miss. It answers the viewer when
// the disk holds a fresh object (answered true); otherwise it returns the stale object to
// revalidate, held in memory, or nil.
func (s *Server) diskLookup(x *exchange) (stale *cache.Entry, answered bool) {
	de := s.store.GetDisk(x.key)
	if de == nil {
		return nil, false
	}
	size := de.BodyLen()
	fresh := de.Fresh(x.now)
	if fresh && de.Status == fasthttp.StatusOK && size > min(diskLoadMax, s.maxObj) {
		if size <= s.maxObj {
			s.promoteLater(x.key, x.beh)
		}
		x.xcache, x.detail = hitResult(de), detailDiskHit
		s.answerFile(x, de)
		return nil, true
	}
	// Small, not a 200, or stale: held in memory (a stale one larger than memory holds is
	// fetched again whole).
	e := s.loadDisk(x, de)
	if e == nil || !fresh {
		return e, false
	}
	s.prepareHead(e, x.beh)
	s.store.Promote(e)
	x.xcache, x.detail = hitResult(e), detailDiskHit
	s.answer(x, e)
	return nil, true
}

// loadDisk reads a disk entry's body into memory, or returns nil (the file released) when it
// is larger than the memory tier holds or can't be read.
func (s *Server) loadDisk(x *exchange, de *cache.Entry) *cache.Entry {
	if de.BodyLen() > s.maxObj {
		de.Release()
		return nil
	}
	e, err := s.store.LoadBody(de)
	if err != nil {
		s.log.Warn("disk tier: read failed", "path", string(x.path), "err", err)
		return nil
	}
	return e
}

// stored returns the entry held under key for the edge's own reads (Smooth server manifests,
// error pages): from memory, or read into memory from the disk tier and offered to the memory
// tier; nil when neither holds it, or the disk's copy is larger than memory holds.
func (s *Server) stored(key []byte) *cache.Entry {
	if e := s.store.Get(key); e != nil {
		return e
	}
	return s.fromDisk(key)
}

// fromDisk is stored's read of the disk tier: the entry under key read into memory and offered
// to the memory tier, or nil.
func (s *Server) fromDisk(key []byte) *cache.Entry {
	if s.diskMax == 0 {
		return nil
	}
	de := s.store.GetDisk(key)
	if de == nil {
		return nil
	}
	if de.BodyLen() > s.maxObj {
		de.Release()
		return nil
	}
	e, err := s.store.LoadBody(de)
	if err != nil {
		return nil
	}
	s.store.Promote(e)
	return e
}

// answerFile answers x with an entry whose body is in a disk file. The exchange owns the file
// until it is handed to the response (setFileBody); finish releases it otherwise.
func (s *Server) answerFile(x *exchange, de *cache.Entry) {
	x.diskEntry = de
	s.answer(x, de)
}

// answerFromDisk answers x from the disk tier after a fill that put its object there, with
// X-Cache xc and the access log's detail (detailDiskHit for a viewer that did not cause the
// fill): false when the object is not there (evicted at once, or a disk error).
func (s *Server) answerFromDisk(x *exchange, xc []byte, detail string) bool {
	de := s.store.GetDisk(x.key)
	if de == nil {
		return false
	}
	if !de.Fresh(x.now) {
		de.Release()
		return false
	}
	x.xcache, x.detail = xc, detail
	s.answerFile(x, de)
	return true
}

// setFileBody sends n bytes of a disk entry's body from start, straight from its file.
func setFileBody(resp *fasthttp.Response, x *exchange, e *cache.Entry, start, n int64) {
	f, off := e.BodyFile()
	if start != 0 {
		if _, err := f.Seek(off+start, io.SeekStart); err != nil {
			// The viewer sees the head and a body that stops short (none of it), as for a
			// body cut short, rather than the wrong bytes: the connection closes (HTTP/1.1)
			// or the stream is reset (HTTP/2, HTTP/3) after the head (writeCut).
			resp.SetBodyRaw(nil)
			resp.Header.SetContentLength(int(n))
			resp.SetConnectionClose()
			resp.SkipBody = true
			x.cut, x.hasCut, x.cutChunked = nil, true, false
			return
		}
	}
	resp.SetBodyStream(f, int(n)) // closed by fasthttp once sent
	x.diskHanded = true
}

// releaseDisk closes a disk entry's file that was not handed to the response.
func (x *exchange) releaseDisk() {
	if x.diskEntry != nil && !x.diskHanded {
		x.diskEntry.Release()
	}
	x.diskEntry, x.diskHanded = nil, false
}

// promoteLater offers a disk object to the memory tier in the background, one at a time (a
// promotion under way makes others skip: they are offers, and a hot object is offered again
// on its next disk hit).
func (s *Server) promoteLater(key []byte, b *behavior.Behavior) {
	select {
	case s.promoting <- struct{}{}:
	default:
		return
	}
	key = bytes.Clone(key)
	go func() {
		defer func() { <-s.promoting }()
		de := s.store.GetDisk(key)
		if de == nil {
			return
		}
		e, err := s.store.LoadBody(de)
		if err != nil {
			return
		}
		s.prepareHead(e, b)
		s.store.Promote(e)
	}()
}

// spool writes a body larger than the memory tier holds to the disk tier, from the origin's
// stream (after prefix, the bytes already read), for a response the edge may keep. It returns
// nil, having read nothing, when the body doesn't go to disk (no disk tier, too large, not a
// 200, not to be kept, or refused by the disk's admission before it was read): the caller then
// streams it to its viewer as before. Otherwise the fill tells every waiting viewer to read the
// object from disk, or, when the write failed after the body was read, to ask the origin
// itself.
func (s *Server) spool(j *fetchJob, resp *origin.Response, prefix []byte, sent, now time.Time) *fill {
	if !s.store.HasDisk() || resp.Status != fasthttp.StatusOK || resp.ContentLength > s.diskMax {
		return nil
	}
	d, b := j.dist, j.beh
	ttl, ok := s.decideTTL(d, b, resp.Status, resp.Header, now)
	if !ok || ttl <= 0 {
		return nil
	}
	e, _ := j.entry(resp, now) // a disk fill answers every viewer from the file: no viewer's own cookies
	setAgeAndDate(e, resp.Header, sent, now)
	setStaleWindows(e, resp.Header)
	e.Expires = e.Stored.Add(ttl - e.InitialAge)
	var r io.Reader = resp.Body
	if len(prefix) > 0 {
		r = io.MultiReader(bytes.NewReader(prefix), resp.Body)
	}
	cr := &countingReader{r: r}
	err := s.store.PutDisk(e, cr, resp.ContentLength)
	if err == nil {
		resp.Body.Close()
		return &fill{outcome: onDisk, shared: true, xcache: xMiss}
	}
	if cr.n == 0 {
		return nil // refused before anything was read: the body streams to its viewer
	}
	resp.Body.Close()
	if errors.Is(err, disk.ErrNotAdmitted) || errors.Is(err, disk.ErrTooLarge) {
		s.log.Info("disk tier: object not kept", "dist", d.id, "path", j.path, "reason", err)
	} else {
		s.log.Warn("disk tier: object could not be written; its viewers ask the origin", "dist", d.id, "path", j.path, "err", err)
	}
	return &fill{outcome: refetch, xcache: xMiss}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}
