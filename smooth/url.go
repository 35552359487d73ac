package smooth

import (
	"fmt"
	"strings"
)

// Kind says which Smooth Streaming resource a request names.
type Kind uint8

// The request kinds of MS-SSTR §2.2.1 and §2.2.3.
const (
	// Manifest is `…/x.ism/Manifest`: the client manifest.
	Manifest Kind = iota + 1
	// Fragments is a whole fragment: the stored moof and mdat.
	Fragments
	// FragmentInfo is the fragment's moof box only.
	FragmentInfo
	// RawFragments is the mdat payload only, without the box header.
	RawFragments
	// KeyFrames is a fragment reduced to its sync samples (trick play).
	KeyFrames
)

// String returns the URL noun of k ("Manifest", "Fragments", …).
func (k Kind) String() string {
	switch k {
	case Manifest:
		return "Manifest"
	case Fragments:
		return "Fragments"
	case FragmentInfo:
		return "FragmentInfo"
	case RawFragments:
		return "RawFragments"
	case KeyFrames:
		return "KeyFrames"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Attribute is one custom-attribute predicate of a QualityLevels(…) segment, or one custom
// attribute of a track in the server manifest.
type Attribute struct {
	Key, Value string
}

// Request is a parsed Smooth Streaming URL. Its strings are substrings of the parsed path.
type Request struct {
	// Presentation is the path up to and including the ".ism" segment, e.g. "/demo/demo.ism".
	Presentation string
	// Kind is the resource asked for.
	Kind Kind
	// Bitrate is the QualityLevels(N) value; zero for Manifest.
	Bitrate uint32
	// Attributes are the custom-attribute predicates after the bitrate, in URL order.
	Attributes []Attribute
	// Stream is the stream name of Fragments(name=T), exactly as written.
	Stream string
	// Time is the fragment start time, in the stream's timescale.
	Time uint64
}

// URLError reports a Smooth Streaming URL that is malformed. Callers answer 400.
type URLError struct {
	Path   string
	Reason string
}

// Error names the path and what is wrong with it.
func (e *URLError) Error() string {
	return fmt.Sprintf("smooth: malformed URL %q: %s", e.Path, e.Reason)
}

// ParseURL parses the request path of a viewer request under a Smooth-enabled behavior. The path
// is the decoded path without query string.
//
// It returns ErrNotSmooth when the path is not a Smooth Streaming URL (serve it as a normal
// object), ErrLive (which is an ErrNotFound) for the live forms under a ".isml" presentation,
// and a *URLError when the path has the shape of a Smooth URL but is malformed.
//
// A path is a Smooth URL when the segment after a ".ism" segment starts with "manifest", or
// the two segments after it are "QualityLevels(…)" and a fragment segment; all nouns and the
// extension match case-insensitively. "Manifest(…)" suffixes are ignored. ParseURL does not
// allocate unless the URL carries custom attributes.
func ParseURL(path string) (Request, error) {
	// Every Smooth URL (live and malformed ones included) has a ".ism/" or ".isml/" boundary.
	if !urlCandidate(path) {
		return Request{}, ErrNotSmooth
	}
	// The last one or two segments are the Smooth part; the presentation precedes them.
	last := strings.LastIndexByte(path, '/')
	if last <= 0 {
		return Request{}, ErrNotSmooth
	}
	tail := path[last+1:]
	if pres, ok := presentation(path[:last]); ok {
		if !hasPrefixFold(tail, "manifest") {
			return Request{}, ErrNotSmooth
		}
		if err := checkManifestSuffix(path, tail[len("manifest"):]); err != nil {
			return Request{}, err
		}
		if isLive(pres) {
			return Request{}, ErrLive
		}
		return Request{Presentation: pres, Kind: Manifest}, nil
	}
	prev := strings.LastIndexByte(path[:last], '/')
	if prev <= 0 {
		return Request{}, ErrNotSmooth
	}
	pres, ok := presentation(path[:prev])
	if !ok {
		return Request{}, ErrNotSmooth
	}
	ql := path[prev+1 : last]
	if !hasPrefixFold(ql, "QualityLevels(") {
		return Request{}, ErrNotSmooth
	}
	if isLive(pres) {
		return Request{}, ErrLive
	}
	req := Request{Presentation: pres}
	if err := parseQualityLevels(path, ql[len("QualityLevels("):], &req); err != nil {
		return Request{}, err
	}
	if err := parseFragmentSegment(path, tail, &req); err != nil {
		return Request{}, err
	}
	return req, nil
}

// presentation reports whether p ends with a ".ism" or ".isml" segment with a non-empty name.
func presentation(p string) (string, bool) {
	seg := p[strings.LastIndexByte(p, '/')+1:]
	switch {
	case len(seg) > 4 && hasSuffixFold(seg, ".ism"):
		return p, true
	case len(seg) > 5 && hasSuffixFold(seg, ".isml"):
		return p, true
	}
	return "", false
}

func isLive(pres string) bool { return hasSuffixFold(pres, ".isml") }

// checkManifestSuffix accepts "" or a balanced "(…)" suffix after the Manifest noun.
func checkManifestSuffix(path, rest string) error {
	if rest == "" {
		return nil
	}
	if rest[0] != '(' {
		return ErrNotSmooth // e.g. "manifest.xml": an ordinary object
	}
	if rest[len(rest)-1] != ')' || strings.IndexByte(rest[1:len(rest)-1], ')') >= 0 ||
		strings.IndexByte(rest[1:], '(') >= 0 {
		return &URLError{Path: path, Reason: "unbalanced parentheses after Manifest"}
	}
	return nil
}

// parseQualityLevels parses "N[,k=v…])" (the text after "QualityLevels(").
func parseQualityLevels(path, s string, req *Request) error {
	if len(s) == 0 || s[len(s)-1] != ')' {
		return &URLError{Path: path, Reason: "QualityLevels: missing closing parenthesis"}
	}
	s = s[:len(s)-1]
	if strings.ContainsAny(s, "()") {
		return &URLError{Path: path, Reason: "QualityLevels: unbalanced parentheses"}
	}
	num, rest, _ := strings.Cut(s, ",")
	br, ok := parseUint(num, 1<<32-1)
	if !ok {
		return &URLError{Path: path, Reason: fmt.Sprintf("QualityLevels: bitrate %q is not a decimal below 2^32", num)}
	}
	req.Bitrate = uint32(br)
	if len(s) == len(num) {
		return nil
	}
	req.Attributes = make([]Attribute, 0, strings.Count(rest, ",")+1)
	for {
		kv, more, found := strings.Cut(rest, ",")
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !validName(k) || !validValue(v) {
			return &URLError{Path: path, Reason: fmt.Sprintf("QualityLevels: custom attribute %q is not key=value", kv)}
		}
		req.Attributes = append(req.Attributes, Attribute{Key: k, Value: v})
		if !found {
			break
		}
		rest = more
	}
	return nil
}

// parseFragmentSegment parses "Noun(name=T)".
func parseFragmentSegment(path, seg string, req *Request) error {
	open := strings.IndexByte(seg, '(')
	if open < 0 {
		return &URLError{Path: path, Reason: fmt.Sprintf("fragment segment %q has no parentheses", seg)}
	}
	switch noun := seg[:open]; {
	case strings.EqualFold(noun, "Fragments"):
		req.Kind = Fragments
	case strings.EqualFold(noun, "FragmentInfo"):
		req.Kind = FragmentInfo
	case strings.EqualFold(noun, "RawFragments"):
		req.Kind = RawFragments
	case strings.EqualFold(noun, "KeyFrames"):
		req.Kind = KeyFrames
	default:
		return &URLError{Path: path, Reason: fmt.Sprintf("unknown fragment noun %q", noun)}
	}
	body := seg[open+1:]
	if len(body) == 0 || body[len(body)-1] != ')' {
		return &URLError{Path: path, Reason: "fragment segment: missing closing parenthesis"}
	}
	body = body[:len(body)-1]
	if strings.ContainsAny(body, "()") {
		return &URLError{Path: path, Reason: "fragment segment: unbalanced parentheses"}
	}
	name, t, found := strings.Cut(body, "=")
	if !found {
		return &URLError{Path: path, Reason: "fragment segment: want name=time"}
	}
	if !validName(name) {
		return &URLError{Path: path, Reason: fmt.Sprintf("stream name %q is not an identifier", name)}
	}
	tv, ok := parseUint(t, 1<<64-1)
	if !ok {
		return &URLError{Path: path, Reason: fmt.Sprintf("time %q is not a decimal below 2^64", t)}
	}
	req.Stream, req.Time = name, tv
	return nil
}

// parseUint parses 1 to 20 decimal digits (leading zeros allowed) into a value ≤ max.
func parseUint(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// validName reports whether s is a URISAFE-IDENTIFIER-NONNUMERIC: non-empty, not starting
// with a digit, and free of the URL's delimiters, spaces and control characters.
func validName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return validValue(s)
}

// validValue reports whether s is free of delimiters, spaces and control characters.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c == 0x7f:
			return false
		case c == '=' || c == ',' || c == '(' || c == ')' || c == '/':
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
