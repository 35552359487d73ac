package bench

import (
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A Smooth Streaming client manifest as a player reads it ([MS-SSTR] §2.2.2 and its UrlPattern,
// §2.2.2.4, https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sstr/): the streams,
// their bitrates, URL templates and fragment timelines.

// maxFragments bounds the fragments one manifest may describe (c@r can repeat a lot).
const maxFragments = 1 << 20

// defaultTimeScale is Smooth's default: 100 ns units.
const defaultTimeScale = 10_000_000

type xmlManifest struct {
	XMLName   xml.Name    `xml:"SmoothStreamingMedia"`
	TimeScale uint64      `xml:"TimeScale,attr"`
	IsLive    string      `xml:"IsLive,attr"`
	Streams   []xmlStream `xml:"StreamIndex"`
}

type xmlStream struct {
	Type      string       `xml:"Type,attr"`
	Name      string       `xml:"Name,attr"`
	URL       string       `xml:"Url,attr"`
	TimeScale uint64       `xml:"TimeScale,attr"`
	Levels    []xmlQuality `xml:"QualityLevel"`
	Chunks    []xmlChunk   `xml:"c"`
}

type xmlQuality struct {
	Bitrate string `xml:"Bitrate,attr"`
}

type xmlChunk struct {
	T *uint64 `xml:"t,attr"`
	D *uint64 `xml:"d,attr"`
	R *uint64 `xml:"r,attr"`
}

// manifest is a parsed client manifest.
type manifest struct {
	streams []stream
}

// stream is one StreamIndex.
type stream struct {
	typ       string
	url       string   // the Url template
	bitrates  []uint64 // QualityLevel@Bitrate, in manifest order
	starts    []uint64 // fragment start times, in the stream's timescale
	end       uint64   // end of the last fragment
	timeScale uint64
}

// at returns fragment i's start as an offset from the stream's first fragment.
func (s *stream) at(i int) time.Duration {
	return ticks(s.starts[i]-s.starts[0], s.timeScale)
}

func ticks(t, scale uint64) time.Duration {
	return time.Duration(float64(t) / float64(scale) * float64(time.Second))
}

// parseManifest parses a client manifest (UTF-8). It expands the fragment timeline with the
// rules of MS-SSTR §3.1.5.1: the first t defaults to 0, a missing t is the previous t + d, a
// missing d is the next t minus this t, r repeats a fragment, times never decrease.
func parseManifest(b []byte) (*manifest, error) {
	var x xmlManifest
	if err := xml.Unmarshal(b, &x); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if strings.EqualFold(x.IsLive, "true") {
		return nil, errors.New("manifest: live presentations are not supported")
	}
	scale := x.TimeScale
	if scale == 0 {
		scale = defaultTimeScale
	}
	m := &manifest{}
	total := 0
	for si, xs := range x.Streams {
		s := stream{typ: xs.Type, url: xs.URL, timeScale: xs.TimeScale}
		if s.timeScale == 0 {
			s.timeScale = scale
		}
		where := fmt.Sprintf("manifest: StreamIndex %d (%s)", si, xs.Type)
		if s.url == "" {
			return nil, fmt.Errorf("%s: no Url template", where)
		}
		for _, q := range xs.Levels {
			br, err := strconv.ParseUint(strings.TrimSpace(q.Bitrate), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%s: QualityLevel Bitrate %q: %w", where, q.Bitrate, err)
			}
			s.bitrates = append(s.bitrates, br)
		}
		if len(s.bitrates) == 0 {
			return nil, fmt.Errorf("%s: no QualityLevel", where)
		}
		starts, end, err := timeline(xs.Chunks, maxFragments-total)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if len(starts) == 0 {
			return nil, fmt.Errorf("%s: no fragments", where)
		}
		total += len(starts)
		s.starts, s.end = starts, end
		m.streams = append(m.streams, s)
	}
	if len(m.streams) == 0 {
		return nil, errors.New("manifest: no StreamIndex")
	}
	return m, nil
}

// timeline expands c elements into fragment start times, at most limit of them, and returns
// the end of the last fragment.
func timeline(cs []xmlChunk, limit int) ([]uint64, uint64, error) {
	var starts []uint64
	var cur uint64
	for i, c := range cs {
		if c.T != nil {
			if i > 0 && *c.T < cur {
				return nil, 0, fmt.Errorf("c %d: t=%d goes back in time (expected ≥ %d)", i, *c.T, cur)
			}
			cur = *c.T
		}
		var d uint64
		switch {
		case c.D != nil:
			d = *c.D
		case i+1 < len(cs) && cs[i+1].T != nil && *cs[i+1].T >= cur:
			d = *cs[i+1].T - cur
		default:
			return nil, 0, fmt.Errorf("c %d: no d and no following t", i)
		}
		r := uint64(1)
		if c.R != nil {
			r = *c.R
			if r == 0 {
				return nil, 0, fmt.Errorf("c %d: r=0", i)
			}
		}
		if r > uint64(limit-len(starts)) {
			return nil, 0, fmt.Errorf("c %d: more than %d fragments", i, limit)
		}
		for range r {
			starts = append(starts, cur)
			if cur+d < cur {
				return nil, 0, fmt.Errorf("c %d: time overflows", i)
			}
			cur += d
		}
	}
	return starts, cur, nil
}

// expandTemplate appends tmpl to dst with {bitrate}/{Bitrate} and {start time}/{start_time}
// replaced ([MS-SSTR] §2.2.2.4 UrlPattern,
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sstr/: of its placeholders,
// these are the ones every client substitutes).
func expandTemplate(dst []byte, tmpl string, bitrate, start uint64) []byte {
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return append(dst, tmpl...)
		}
		dst = append(dst, tmpl[:i]...)
		rest := tmpl[i:]
		switch {
		case strings.HasPrefix(rest, "{bitrate}"), strings.HasPrefix(rest, "{Bitrate}"):
			dst = strconv.AppendUint(dst, bitrate, 10)
			tmpl = rest[len("{bitrate}"):]
		case strings.HasPrefix(rest, "{start time}"), strings.HasPrefix(rest, "{start_time}"):
			dst = strconv.AppendUint(dst, start, 10)
			tmpl = rest[len("{start time}"):]
		default:
			dst = append(dst, '{')
			tmpl = rest[1:]
		}
	}
}

// fragmentBase returns the directory that fragment URLs are relative to: the manifest path
// up to and including its last "/" (RFC 3986 resolution replaces the last segment).
func fragmentBase(manifestPath string) string {
	if i := strings.LastIndexByte(manifestPath, '/'); i >= 0 {
		return manifestPath[:i+1]
	}
	return "/"
}

// length returns the presentation's duration: from the earliest fragment start to the latest
// fragment end over all streams, each measured from its own first fragment.
func (m *manifest) length() time.Duration {
	var d time.Duration
	for i := range m.streams {
		s := &m.streams[i]
		d = max(d, ticks(s.end-s.starts[0], s.timeScale))
	}
	return d
}

// step is one fragment of a playback schedule.
type step struct {
	stream int
	frag   int
	at     time.Duration // offset from the presentation start
}

// schedule orders every fragment of every stream by presentation time (video before audio at
// equal times, as in the manifest), the order in which a player keeps its buffers filled.
func (m *manifest) schedule() []step {
	var steps []step
	for si := range m.streams {
		s := &m.streams[si]
		for fi := range s.starts {
			steps = append(steps, step{stream: si, frag: fi, at: s.at(fi)})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
	return steps
}
