package smooth

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxServerManifest bounds the size of a server manifest this package parses.
const maxServerManifest = 4 << 20

// Bounds on a server manifest's shape, checked as it is parsed: a SMIL manifest is about five
// elements deep (smil, body, switch, video, param) and lists a track element per bitrate and
// language, tens at most in practice. Each track costs the client manifest's generation reads of
// its file.
const (
	maxManifestDepth  = 32
	maxManifestTracks = 1024
)

// ServerManifest is a parsed on-demand server manifest (".ism", SMIL 2.0,
// https://learn.microsoft.com/en-us/previous-versions/iis/smooth-streaming-client/iis-smooth-streaming-on-demand-server-manifest-format).
type ServerManifest struct {
	// ClientManifestRelativePath is the content of <meta name="clientManifestRelativePath">,
	// relative to the .ism's folder; empty when the manifest has none.
	ClientManifestRelativePath string
	// Tracks are the video, audio and textstream elements in document order.
	Tracks []TrackElement
}

// TrackElement is one <video>, <audio> or <textstream> element of the server manifest.
type TrackElement struct {
	// Type is the element name: "video", "audio" or "textstream".
	Type string
	// Src is the media file, relative to the .ism.
	Src string
	// SystemBitrate is the value matched against QualityLevels(N).
	SystemBitrate uint32
	// SystemLanguage is informative only.
	SystemLanguage string
	// TrackID is the track_ID in the file's tkhd/tfhd; 0 when the element has no trackID param,
	// which the resolver accepts only for single-track files.
	TrackID uint32
	// TrackName is the trackName param as written; empty when absent (see Name).
	TrackName string
	// Params are all <param> elements, in document order.
	Params []Attribute
}

// Track is the result of resolving a fragment request against the server manifest.
type Track struct {
	Src     string
	TrackID uint32
	Type    string
}

// Name returns the effective track name: the trackName param, else the element type.
func (t *TrackElement) Name() string {
	if t.TrackName != "" {
		return t.TrackName
	}
	return t.Type
}

// knownParams are the params with a meaning of their own (MS-SSTR §2.2.7.3.1, IIS docs);
// every other param is a custom attribute.
var knownParams = [...]string{
	"trackID", "trackName", "timescale", "manifestOutput", "parentTrackName", "Subtype",
	"FourCC", "CodecPrivateData", "MaxWidth", "MaxHeight", "DisplayWidth", "DisplayHeight",
	"SamplingRate", "Channels", "BitsPerSample", "PacketSize", "AudioTag",
	"NALUnitLengthField", "trackIndex", "Language",
}

// CustomAttributes returns the params that are not known Smooth parameters, in document order.
func (t *TrackElement) CustomAttributes() []Attribute {
	var out []Attribute
	for _, p := range t.Params {
		if !isKnownParam(p.Key) {
			out = append(out, p)
		}
	}
	return out
}

func isKnownParam(name string) bool {
	for _, k := range knownParams {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// ParseServerManifest parses a SMIL server manifest. It accepts UTF-8 (with or without BOM)
// and UTF-16 (with BOM, or recognisable from a leading '<'), any namespace or prefix, and
// attribute names in any case. Elements video, audio and textstream are taken from anywhere
// outside head (normally body/switch). Each needs src and a decimal systemBitrate below 2^32.
func ParseServerManifest(data []byte) (*ServerManifest, error) {
	if len(data) > maxServerManifest {
		return nil, fmt.Errorf("smooth: server manifest: %d bytes is over the %d-byte limit", len(data), maxServerManifest)
	}
	text, err := toUTF8(data)
	if err != nil {
		return nil, fmt.Errorf("smooth: server manifest: %w", err)
	}
	dec := xml.NewDecoder(bytes.NewReader(text))
	// The text is UTF-8 now, whatever the declaration says.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	m := &ServerManifest{}
	var (
		depth   int
		sawRoot bool
		inHead  int // depth of the head element, 0 when outside
		cur     *TrackElement
		curDep  int
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("smooth: server manifest: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > maxManifestDepth {
				return nil, fmt.Errorf("smooth: server manifest: elements nested over %d deep", maxManifestDepth)
			}
			name := t.Name.Local
			if depth == 1 {
				if name != "smil" {
					return nil, fmt.Errorf("smooth: server manifest: root element is <%s>, want <smil>", name)
				}
				sawRoot = true
				continue
			}
			switch {
			case name == "head" && inHead == 0:
				inHead = depth
			case name == "meta":
				if strings.EqualFold(attr(t, "name"), "clientManifestRelativePath") {
					m.ClientManifestRelativePath = strings.TrimSpace(attr(t, "content"))
				}
			case (name == "video" || name == "audio" || name == "textstream") && inHead == 0 && cur == nil:
				el, err := trackElement(name, t)
				if err != nil {
					return nil, fmt.Errorf("smooth: server manifest: %w", err)
				}
				cur, curDep = el, depth
			case name == "param" && cur != nil:
				if err := addParam(cur, t); err != nil {
					return nil, fmt.Errorf("smooth: server manifest: <%s src=%q>: %w", cur.Type, cur.Src, err)
				}
			}
		case xml.EndElement:
			if cur != nil && depth == curDep {
				if len(m.Tracks) == maxManifestTracks {
					return nil, fmt.Errorf("smooth: server manifest: over %d track elements", maxManifestTracks)
				}
				m.Tracks = append(m.Tracks, *cur)
				cur = nil
			}
			if depth == inHead {
				inHead = 0
			}
			depth--
		}
	}
	if !sawRoot {
		return nil, errors.New("smooth: server manifest: no <smil> element")
	}
	return m, nil
}

func trackElement(name string, t xml.StartElement) (*TrackElement, error) {
	el := &TrackElement{Type: name, Src: strings.TrimSpace(attr(t, "src")), SystemLanguage: attr(t, "systemLanguage")}
	if el.Src == "" {
		return nil, fmt.Errorf("<%s>: missing src", name)
	}
	br := strings.TrimSpace(attr(t, "systemBitrate"))
	v, ok := parseUint(br, 1<<32-1)
	if !ok {
		return nil, fmt.Errorf("<%s src=%q>: systemBitrate %q is not a decimal below 2^32", name, el.Src, br)
	}
	el.SystemBitrate = uint32(v)
	return el, nil
}

func addParam(el *TrackElement, t xml.StartElement) error {
	name, value := attr(t, "name"), attr(t, "value")
	if name == "" {
		return errors.New("<param> without name")
	}
	el.Params = append(el.Params, Attribute{Key: name, Value: value})
	switch {
	case strings.EqualFold(name, "trackID"):
		id, err := strconv.ParseUint(strings.TrimSpace(value), 10, 32)
		if err != nil || id == 0 {
			return fmt.Errorf("param trackID %q is not a track ID", value)
		}
		el.TrackID = uint32(id)
	case strings.EqualFold(name, "trackName"):
		el.TrackName = value
	}
	return nil
}

// attr returns the value of the attribute with the given local name, matched case-insensitively.
func attr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if strings.EqualFold(a.Name.Local, local) {
			return a.Value
		}
	}
	return ""
}

// toUTF8 returns data as UTF-8 without BOM, decoding UTF-16 (BOM or a leading '<' byte pair).
func toUTF8(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return utf16To8(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return utf16To8(data[2:], true)
	case bytes.HasPrefix(data, []byte{'<', 0}):
		return utf16To8(data, false)
	case bytes.HasPrefix(data, []byte{0, '<'}):
		return utf16To8(data, true)
	}
	return data, nil
}

func utf16To8(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, errors.New("UTF-16 text has an odd number of bytes")
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	runes := utf16.Decode(units)
	out := make([]byte, 0, len(runes))
	for _, r := range runes {
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// Resolve maps a fragment request to one track, as IIS does
// (https://blogs.iis.net/samzhang/performance-tuning-for-on-demand-smooth-streaming): the elements whose
// systemBitrate equals bitrate and whose effective name (Name) equals stream exactly, then
// those whose custom attributes include every requested attribute (keys case-insensitive,
// values exact). If several remain, an element whose custom attributes equal the request's
// exactly wins. It returns an ErrNotFound error when nothing matches and an ErrAmbiguous error
// when more than one element remains.
func (m *ServerManifest) Resolve(bitrate uint32, stream string, attrs []Attribute) (Track, error) {
	var (
		found    *TrackElement
		n, exact int
		exactEl  *TrackElement
	)
	for i := range m.Tracks {
		el := &m.Tracks[i]
		if el.SystemBitrate != bitrate || el.Name() != stream {
			continue
		}
		custom := el.CustomAttributes()
		if !containsAll(custom, attrs) {
			continue
		}
		n++
		found = el
		if len(custom) == len(attrs) {
			exact++
			exactEl = el
		}
	}
	switch {
	case n == 1:
	case n > 1 && exact == 1:
		found = exactEl
	case n == 0:
		return Track{}, fmt.Errorf("%w: no track %q at bitrate %d%s", ErrNotFound, stream, bitrate, attrText(attrs))
	default:
		return Track{}, fmt.Errorf("%w: %d tracks %q at bitrate %d%s", ErrAmbiguous, n, stream, bitrate, attrText(attrs))
	}
	return Track{Src: found.Src, TrackID: found.TrackID, Type: found.Type}, nil
}

func containsAll(have, want []Attribute) bool {
	for _, w := range want {
		ok := false
		for _, h := range have {
			if strings.EqualFold(h.Key, w.Key) && h.Value == w.Value {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func attrText(attrs []Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" with")
	for _, a := range attrs {
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
	}
	return b.String()
}
