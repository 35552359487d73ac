package smooth

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// DefaultTimeScale is the Smooth Streaming default timescale (100 ns units).
const DefaultTimeScale = 10_000_000

// qualityTrack is one QualityLevel-to-be: a track of a file with its name, bitrate and
// fragment times.
type qualityTrack struct {
	info    trackInfo
	name    string // stream name; the default is the type ("video", "audio", "textstream")
	bitrate uint32
	custom  []Attribute
	times   []uint64 // fragment start times (tfra)
	lastDur uint64   // duration of the last fragment
}

// streamType is the StreamIndex Type of a track kind.
func streamType(kind string) string {
	if kind == "textstream" {
		return "text"
	}
	return kind
}

// defaultName is the server-manifest default track name of a kind.
func defaultName(kind string) string {
	if kind == "text" {
		return "textstream"
	}
	return kind
}

// buildClientManifest writes a SmoothStreamingMedia document in the shape FFmpeg's ismindex
// writes (the client manifest of [MS-SSTR] §2.2.2,
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sstr/): one StreamIndex per (type, name) in video, audio, text order; one
// QualityLevel per track in input order; chunks as <c n d [t]>, t written where it differs
// from the running sum. Tracks of one stream must share timescale and fragment times.
func buildClientManifest(tracks []qualityTrack) ([]byte, error) {
	type stream struct {
		typ, name string
		levels    []*qualityTrack
	}
	var streams []*stream
	for _, kind := range []string{"video", "audio", "text"} {
		for i := range tracks {
			t := &tracks[i]
			if t.info.kind != kind {
				continue
			}
			var s *stream
			for _, have := range streams {
				if have.typ == kind && have.name == t.name {
					s = have
				}
			}
			if s == nil {
				for _, have := range streams {
					if have.name == t.name {
						return nil, fmt.Errorf("smooth: client manifest: stream name %q is used by a %s and a %s stream", t.name, have.typ, kind)
					}
				}
				s = &stream{typ: kind, name: t.name}
				streams = append(streams, s)
			}
			s.levels = append(s.levels, t)
		}
	}
	if len(streams) == 0 {
		return nil, fmt.Errorf("smooth: client manifest: no video or audio tracks")
	}
	var (
		b        bytes.Buffer
		duration uint64
	)
	for _, s := range streams {
		first := s.levels[0]
		if len(first.times) == 0 {
			return nil, fmt.Errorf("smooth: client manifest: stream %q has no fragments", s.name)
		}
		for _, l := range s.levels[1:] {
			if l.info.timescale != first.info.timescale || !slices.Equal(l.times, first.times) {
				return nil, fmt.Errorf("smooth: client manifest: stream %q: quality levels at %d and %d bps have different fragment times (encode with aligned keyframes)",
					s.name, first.bitrate, l.bitrate)
			}
			for _, o := range s.levels {
				if o != l && o.bitrate == l.bitrate && sameAttrs(o.custom, l.custom) {
					return nil, fmt.Errorf("smooth: client manifest: stream %q has two quality levels at %d bps", s.name, l.bitrate)
				}
			}
		}
		end := first.times[len(first.times)-1] + first.lastDur
		if end < first.lastDur {
			return nil, fmt.Errorf("smooth: client manifest: stream %q ends past 2^64 ticks", s.name)
		}
		if d := rescale(end, first.info.timescale); d > duration {
			duration = d
		}
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
	fmt.Fprintf(&b, "<SmoothStreamingMedia MajorVersion=\"2\" MinorVersion=\"0\" Duration=\"%d\">\n", duration)
	for _, s := range streams {
		writeStreamIndex(&b, s.typ, s.name, s.levels)
	}
	b.WriteString("</SmoothStreamingMedia>\n")
	return b.Bytes(), nil
}

func writeStreamIndex(b *bytes.Buffer, kind, name string, levels []*qualityTrack) {
	first := levels[0]
	typ := streamType(kind)
	fmt.Fprintf(b, "\t<StreamIndex Type=\"%s\"", typ)
	if name != defaultName(kind) {
		fmt.Fprintf(b, " Name=\"%s\"", xmlText(name))
	}
	if first.info.language != "" {
		fmt.Fprintf(b, " Language=\"%s\"", xmlText(first.info.language))
	}
	if first.info.timescale != DefaultTimeScale {
		fmt.Fprintf(b, " TimeScale=\"%d\"", first.info.timescale)
	}
	fmt.Fprintf(b, " QualityLevels=\"%d\" Chunks=\"%d\" Url=\"QualityLevels({bitrate})/Fragments(%s={start time})\"",
		len(levels), len(first.times), xmlText(name))
	if kind == "video" {
		var w, h uint16
		for _, l := range levels {
			w, h = max(w, l.info.width), max(h, l.info.height)
		}
		fmt.Fprintf(b, " MaxWidth=\"%d\" MaxHeight=\"%d\" DisplayWidth=\"%d\" DisplayHeight=\"%d\"", w, h, w, h)
	}
	b.WriteString(">\n")
	for i, l := range levels {
		fmt.Fprintf(b, "\t\t<QualityLevel Index=\"%d\" Bitrate=\"%d\" FourCC=\"%s\"", i, l.bitrate, l.info.fourCC)
		switch kind {
		case "video":
			fmt.Fprintf(b, " MaxWidth=\"%d\" MaxHeight=\"%d\"", l.info.width, l.info.height)
		case "audio":
			fmt.Fprintf(b, " SamplingRate=\"%d\" Channels=\"%d\" BitsPerSample=\"%d\" PacketSize=\"%d\" AudioTag=\"%d\"",
				l.info.samplingRate, l.info.channels, l.info.bitsPerSample, l.info.packetSize, l.info.audioTag)
		}
		fmt.Fprintf(b, " CodecPrivateData=\"%s\"", strings.ToUpper(hex.EncodeToString(l.info.codecPrivate)))
		if len(l.custom) == 0 {
			b.WriteString(" />\n")
			continue
		}
		b.WriteString(">\n\t\t\t<CustomAttributes>\n")
		for _, a := range l.custom {
			fmt.Fprintf(b, "\t\t\t\t<Attribute Name=\"%s\" Value=\"%s\" />\n", xmlText(a.Key), xmlText(a.Value))
		}
		b.WriteString("\t\t\t</CustomAttributes>\n\t\t</QualityLevel>\n")
	}
	var pos uint64
	for i, t := range first.times {
		d := first.lastDur
		if i+1 < len(first.times) {
			d = first.times[i+1] - t
		}
		fmt.Fprintf(b, "\t\t<c n=\"%d\" d=\"%d\" ", i, d)
		if t != pos {
			fmt.Fprintf(b, "t=\"%d\" ", t)
		}
		pos = t + d
		b.WriteString("/>\n")
	}
	b.WriteString("\t</StreamIndex>\n")
}

// rescale converts t from timescale ts to DefaultTimeScale, rounding up, saturating.
func rescale(t uint64, ts uint32) uint64 {
	if ts == DefaultTimeScale {
		return t
	}
	hi, lo := bits.Mul64(t, DefaultTimeScale)
	if hi >= uint64(ts) {
		return ^uint64(0)
	}
	q, r := bits.Div64(hi, lo, uint64(ts))
	if r != 0 {
		q++
	}
	return q
}

func sameAttrs(a, b []Attribute) bool {
	return len(a) == len(b) && containsAll(a, b)
}

// xmlText escapes s for use inside an XML attribute value.
func xmlText(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return ""
	}
	return strings.ReplaceAll(b.String(), `"`, "&quot;")
}
