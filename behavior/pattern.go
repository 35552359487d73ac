package behavior

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPattern is wrapped by every error CompilePattern returns.
var ErrInvalidPattern = errors.New("invalid path pattern")

// MaxPatternLen is CloudFront's limit on the length of a path pattern.
const MaxPatternLen = 255

// Pattern is a compiled CloudFront path pattern. It is immutable and safe for concurrent use.
//
// Semantics: `*` matches any run of bytes (including "/" and the empty run), `?` matches
// exactly one byte, every other character matches itself, case-sensitively. The whole path
// must match. One leading "/" is optional on both the pattern and the path. `?` counts bytes,
// not runes: CloudFront compares URL paths, whose non-ASCII characters are several bytes (or
// several %XX triplets) long anyway, and the pattern alphabet is ASCII only.
type Pattern struct {
	src string
	g   glob
}

// CompilePattern checks p against CloudFront's rules (1–255 characters from
// A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + & ?) and compiles it. The error wraps ErrInvalidPattern
// and quotes the pattern.
func CompilePattern(p string) (*Pattern, error) {
	if p == "" {
		return nil, fmt.Errorf("behavior: path_pattern %q: empty: %w", p, ErrInvalidPattern)
	}
	if len(p) > MaxPatternLen {
		return nil, fmt.Errorf("behavior: path_pattern %q: %d characters, more than %d: %w",
			p, len(p), MaxPatternLen, ErrInvalidPattern)
	}
	for i := 0; i < len(p); i++ {
		if !patternChar(p[i]) {
			return nil, fmt.Errorf("behavior: path_pattern %q: character %q at offset %d is not allowed: %w",
				p, p[i:i+1], i, ErrInvalidPattern)
		}
	}
	return &Pattern{src: p, g: compileGlob(strings.TrimPrefix(p, "/"))}, nil
}

// patternChar reports whether c may appear in a CloudFront path pattern.
func patternChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte(`_-.*$/~"'@:+&?`, c) >= 0
}

// Match reports whether path (the request path, without query string) matches the pattern.
// It allocates nothing and runs in time linear in len(path) for each `*`-separated part
// (bit-parallel for parts containing `?`), so no input can make it backtrack.
func (p *Pattern) Match(path []byte) bool {
	if len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	return p.g.match(path)
}

// String returns the pattern exactly as it was compiled.
func (p *Pattern) String() string { return p.src }

// glob is a compiled `*`/`?` wildcard expression matched against a whole byte string.
type glob struct {
	star   bool      // the expression has at least one `*`
	head   segment   // the part before the first `*` (the whole expression when !star)
	tail   segment   // the part after the last `*`
	mid    []segment // non-empty parts between stars, in order
	minLen int       // the shortest input that can match
}

// segment is a star-free part of a glob: literal bytes and `?` (one arbitrary byte).
type segment struct {
	lit   []byte   // the part's text; '?' is a wildcard
	wild  bool     // lit contains '?'
	words int      // uint64 words per shift-and mask (len(lit) ≤ 64·words)
	masks []uint64 // shift-and masks, 256·words entries; only when wild
}

// maxSegWords bounds segment length to 64·maxSegWords bytes; patterns are at most 255 long.
const maxSegWords = 4

func compileGlob(s string) glob {
	parts := strings.Split(s, "*")
	var g glob
	g.head = newSegment(parts[0])
	g.minLen = len(parts[0])
	if len(parts) == 1 {
		return g
	}
	g.star = true
	g.tail = newSegment(parts[len(parts)-1])
	g.minLen += len(g.tail.lit)
	for _, m := range parts[1 : len(parts)-1] {
		if m != "" {
			g.mid = append(g.mid, newSegment(m))
			g.minLen += len(m)
		}
	}
	return g
}

func newSegment(s string) segment {
	sg := segment{lit: []byte(s), wild: strings.IndexByte(s, '?') >= 0}
	if !sg.wild || len(s) > 64*maxSegWords {
		// Over-long wild segments (impossible for patterns, possible for cookie names) fall
		// back to the plain scan in index.
		return sg
	}
	sg.words = (len(s) + 63) / 64
	sg.masks = make([]uint64, 256*sg.words)
	for j := 0; j < len(s); j++ {
		w, bit := j/64, uint64(1)<<(j%64)
		if s[j] == '?' {
			for c := 0; c < 256; c++ {
				sg.masks[c*sg.words+w] |= bit
			}
			continue
		}
		sg.masks[int(s[j])*sg.words+w] |= bit
	}
	return sg
}

func (g *glob) match(s []byte) bool {
	if !g.star {
		return len(s) == len(g.head.lit) && g.head.at(s, 0)
	}
	if len(s) < g.minLen {
		return false
	}
	lo, hi := len(g.head.lit), len(s)-len(g.tail.lit)
	if !g.head.at(s, 0) || !g.tail.at(s, hi) {
		return false
	}
	// Leftmost placement of each fixed-length middle part is always a valid choice for a
	// `*`-separated expression, so one left-to-right pass decides.
	for i := range g.mid {
		m := &g.mid[i]
		j := m.index(s[lo:hi])
		if j < 0 {
			return false
		}
		lo += j + len(m.lit)
	}
	return true
}

// at reports whether the segment matches s[off:off+len(lit)]; the caller checks bounds.
func (sg *segment) at(s []byte, off int) bool {
	if !sg.wild {
		return bytes.Equal(s[off:off+len(sg.lit)], sg.lit)
	}
	for j, c := range sg.lit {
		if c != '?' && s[off+j] != c {
			return false
		}
	}
	return true
}

// index returns the offset of the leftmost match of the segment in s, or -1.
func (sg *segment) index(s []byte) int {
	k := len(sg.lit)
	if !sg.wild {
		return bytes.Index(s, sg.lit)
	}
	if sg.masks == nil {
		for i := 0; i+k <= len(s); i++ {
			if sg.at(s, i) {
				return i
			}
		}
		return -1
	}
	// Shift-And: bit j of d is set when lit[:j+1] matches the input ending here.
	var d [maxSegWords]uint64
	w := sg.words
	last, lastBit := (k-1)/64, uint64(1)<<((k-1)%64)
	for i, c := range s {
		m := sg.masks[int(c)*w : int(c)*w+w]
		for x := w - 1; x > 0; x-- {
			d[x] = (d[x]<<1 | d[x-1]>>63) & m[x]
		}
		d[0] = (d[0]<<1 | 1) & m[0]
		if d[last]&lastBit != 0 {
			return i - k + 1
		}
	}
	return -1
}
