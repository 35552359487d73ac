package bench

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The request loops of the four scenarios. Each connection goroutine runs one loop until
// run.claim reports the end; the loops build paths in the connection's scratch buffer, so
// they allocate nothing per request (the Smooth viewer allocates once per manifest).

// hitLoop requests one object over and over. size < 0 accepts any body length.
func hitLoop(r *run, path string, size int) {
	r.each(func(_ int, c *conn) {
		c.path = append(append(c.path[:0], r.base.path...), path...)
		for {
			if _, ok := r.claim(); !ok {
				return
			}
			c.get(c.path, size)
		}
	})
}

// zipfOpts are the zipf scenario's settings.
type zipfOpts struct {
	dist    *zipf
	seed    uint64
	ns      string // namespace: object paths are /obj/z<ns>-<rank>
	objSize int
	trace   []uint32 // filled with the rank of request seq at trace[seq], when it fits
}

// zipfLoop requests /obj/z<ns>-<rank>?size=<objSize> with Zipf-distributed ranks and records
// the ranks in o.trace in the order the requests were claimed.
func zipfLoop(r *run, o *zipfOpts) {
	suffix := "?size=" + strconv.Itoa(o.objSize)
	r.each(func(i int, c *conn) {
		rng := newConnRand(o.seed, i)
		for {
			seq, ok := r.claim()
			if !ok {
				return
			}
			k := o.dist.next(rng)
			if seq < int64(len(o.trace)) {
				o.trace[seq] = uint32(k)
			}
			p := append(c.path[:0], r.base.path...)
			p = append(p, "/obj/z"...)
			p = append(p, o.ns...)
			p = append(p, '-')
			p = strconv.AppendInt(p, int64(k), 10)
			c.path = append(p, suffix...)
			c.get(c.path, o.objSize)
		}
	})
}

// herdOpts are the cold-herd scenario's settings.
type herdOpts struct {
	ns      string
	objSize int
	delay   time.Duration // asked of the origin, so that the herd arrives while it answers
	rounds  int
	// between is called after the warm-up and after every round (origin counters are read there).
	between func(round int)
}

// herdLoop sends, rounds times, one request from every connection at once for a new object
// /obj/h<ns>-<round>. A first warm-up herd (not counted by callers, who read counters in
// between) opens every connection, so each round starts with all of them established.
func herdLoop(r *run, o *herdOpts) {
	query := "?size=" + strconv.Itoa(o.objSize) + "&delay=" + o.delay.String()
	for round := -1; round < o.rounds; round++ {
		if round >= 0 && !time.Now().Before(r.deadline) {
			return
		}
		name := "warm"
		if round >= 0 {
			name = strconv.Itoa(round)
		}
		var ready, wg sync.WaitGroup
		gate := make(chan struct{})
		var stop atomic.Bool
		for _, c := range r.conns {
			ready.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.path = append(append(c.path[:0], r.base.path...), "/obj/h"...)
				c.path = append(append(append(append(c.path, o.ns...), '-'), name...), query...)
				ready.Done()
				<-gate
				if round < 0 {
					c.get(c.path, -1)
					return
				}
				if _, ok := r.claim(); !ok {
					stop.Store(true)
					return
				}
				c.get(c.path, o.objSize)
			}()
		}
		ready.Wait()
		close(gate)
		wg.Wait()
		if round < 0 {
			// The warm-up is no part of the measurement.
			for _, c := range r.conns {
				c.reset()
			}
		}
		if o.between != nil {
			o.between(round)
		}
		if stop.Load() {
			return
		}
	}
}

// reset forgets the connection's counts (after a warm-up).
func (c *conn) reset() {
	c.stats = connStats{}
	c.hist = Histogram{}
	c.firstErr = ""
}

// smoothOpts are the Smooth viewers' settings.
type smoothOpts struct {
	manifest    string        // path of the Manifest
	realtime    bool          // pace fragments by their durations
	switching   bool          // walk the video bitrate ladder
	switchEvery int           // video fragments between switches
	buffer      time.Duration // how far ahead of playback a realtime player fetches
	// counters, shared by the viewers
	manifests, fragments, switches, late, badManifests atomic.Int64
}

// viewerLoop runs one simulated Smooth player per connection: it fetches the Manifest, then
// every fragment of every stream in presentation order (video at the player's current
// bitrate, other streams at their first), and starts over at the end of the presentation.
// Realtime players start playback when the first fragment arrives, fetch each fragment no
// earlier than buffer before its playback time, and count it late when it arrives after it.
func viewerLoop(r *run, o *smoothOpts) {
	r.each(func(v int, c *conn) {
		for {
			if _, ok := r.claim(); !ok {
				return
			}
			c.path = append(append(c.path[:0], r.base.path...), o.manifest...)
			if !c.get(c.path, -1) {
				if !r.sleep(50 * time.Millisecond) {
					return
				}
				continue
			}
			o.manifests.Add(1)
			parsed, err := parseManifest(c.resp.Body())
			if err != nil {
				o.badManifests.Add(1)
				c.stats.errors.Add(1)
				c.noteErr(func() string { return "GET " + o.manifest + ": " + err.Error() })
				if !r.sleep(50 * time.Millisecond) {
					return
				}
				continue
			}
			if !play(r, o, c, v, parsed, parsed.schedule()) {
				return
			}
		}
	})
}

// play fetches one presentation's fragments; it reports whether the run goes on.
func play(r *run, o *smoothOpts, c *conn, viewer int, m *manifest, steps []step) bool {
	base := r.base.path + fragmentBase(o.manifest)
	video := -1
	for i := range m.streams {
		if m.streams[i].typ == "video" {
			video = i
			break
		}
	}
	level, dir, videoFrags := 0, 1, 0
	if video >= 0 {
		level = viewer % len(m.streams[video].bitrates)
	}
	// Playback starts once the first fragment of every stream is in; a fragment that
	// arrives after its playback time is late.
	var playStart time.Time
	for i, st := range steps {
		s := &m.streams[st.stream]
		if o.realtime && !playStart.IsZero() {
			if wait := time.Until(playStart.Add(st.at - o.buffer)); wait > 0 && !r.sleep(wait) {
				return false
			}
		}
		if _, ok := r.claim(); !ok {
			return false
		}
		br := s.bitrates[0]
		if st.stream == video {
			if o.switching && videoFrags > 0 && videoFrags%o.switchEvery == 0 && len(s.bitrates) > 1 {
				if level+dir < 0 || level+dir >= len(s.bitrates) {
					dir = -dir
				}
				level += dir
				o.switches.Add(1)
			}
			br = s.bitrates[level]
			videoFrags++
		}
		p := append(c.path[:0], base...)
		if len(s.url) > 0 && s.url[0] == '/' {
			p = append(c.path[:0], r.base.path...)
		}
		c.path = expandTemplate(p, s.url, br, s.starts[st.frag])
		if c.get(c.path, -1) {
			o.fragments.Add(1)
		}
		now := time.Now()
		switch {
		case playStart.IsZero():
			if i+1 == len(steps) || steps[i+1].at > steps[0].at {
				playStart = now
			}
		case o.realtime && now.After(playStart.Add(st.at)):
			o.late.Add(1)
		}
	}
	// A realtime player watches to the end before the next presentation.
	if o.realtime && !playStart.IsZero() {
		return r.sleep(time.Until(playStart.Add(m.length())))
	}
	return true
}
