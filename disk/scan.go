package disk

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// scan rebuilds the index from the files on disk: for each object file, one open, one fstat
// and one pread of its header and metadata (never the body), on scanWorkers goroutines, one
// level-2 directory at a time. Files found corrupt, expired or invalidated are removed; the
// others are indexed unverified (Get checks the body on first use). Meanwhile Get serves
// what the scan has not reached straight from its file, and Put and Delete work as usual: a
// hash already indexed when the scan reaches it is left alone.
func (s *Store) scan(gate <-chan struct{}) {
	defer close(s.loaded)
	if gate != nil {
		select {
		case <-gate:
		case <-s.stopScan:
			return
		}
	}
	start := time.Now()
	tops, err := os.ReadDir(s.dir)
	if err != nil {
		s.ioError("scan", err)
		return
	}
	dirs := make(chan string)
	var wg sync.WaitGroup
	for range scanWorkers {
		wg.Go(func() {
			for rel := range dirs {
				s.scanDir(rel)
			}
		})
	}
feed:
	for _, top := range tops {
		if !top.IsDir() || !isHexName(top.Name(), 1) {
			continue
		}
		subs, err := os.ReadDir(filepath.Join(s.dir, top.Name()))
		if err != nil {
			s.ioError("scan", err)
			continue
		}
		for _, sub := range subs {
			if !sub.IsDir() || !isHexName(sub.Name(), 2) {
				continue
			}
			select {
			case dirs <- filepath.Join(top.Name(), sub.Name()):
			case <-s.stopScan:
				break feed
			}
		}
	}
	close(dirs)
	wg.Wait()
	st := s.Stats()
	s.log.Info("disk: index loaded", "dir", s.dir, "objects", s.loadedN.Load(), "bytes", st.Bytes,
		"corrupt", st.Corrupt, "expired", st.Expired, "invalidated", st.Invalidated,
		"rejected", st.Rejected, "took", time.Since(start))
}

// scanDir indexes the object files of one level-2 directory (rel is "a/bc").
func (s *Store) scanDir(rel string) {
	d, err := os.Open(filepath.Join(s.dir, rel))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.ioError("scan", err)
		}
		return
	}
	defer d.Close()
	prefix := rel[0:1] + rel[2:4]
	for {
		ents, err := d.ReadDir(256)
		for _, e := range ents {
			select {
			case <-s.stopScan:
				return
			default:
			}
			name := e.Name()
			h, ok := parseName(name)
			if !ok || !e.Type().IsRegular() {
				continue // not ours
			}
			if name[:3] != prefix {
				// Misplaced: no Get would ever find it.
				os.Remove(filepath.Join(s.dir, rel, name))
				continue
			}
			s.scanFile(h)
		}
		if err == io.EOF || len(ents) == 0 {
			return
		}
		if err != nil {
			s.ioError("scan", err)
			return
		}
	}
}

// scanFile indexes the object file of hash h, or removes it.
func (s *Store) scanFile(h uint64) {
	f, hd, m, fi, err := s.openObject(h, nil)
	if err != nil {
		switch {
		case gone(err), errors.Is(err, errNotRegular): // errNotRegular: replaced since ReadDir; not ours
		case errors.Is(err, errCorrupt):
			s.corruptFound(h, err)
			s.removeUnindexed(h, fi, &s.corrupt)
		default:
			s.ioError("scan", err)
		}
		return
	}
	f.Close()
	if c := s.dead(&m, s.now()); c != nil && c != &s.pending {
		s.removeUnindexed(h, fi, c)
		return
	}
	if s.index(h, &hd, &m, fi, false) {
		s.loadedN.Add(1)
	}
}
