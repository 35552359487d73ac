package behavior

import (
	"bytes"
	"fmt"
	"strings"
)

// selMode is how a policy selects query-string parameters, cookies or headers.
type selMode uint8

const (
	selNone selMode = iota
	selWhitelist
	selAllExcept
	selAll
)

// selects applies the mode to a name: everything (all), nothing (none), the listed names
// (whitelist) or the others (allExcept). listed is asked only when the mode needs it.
func (m selMode) selects(listed func() bool) bool {
	switch m {
	case selAll:
		return true
	case selWhitelist:
		return listed()
	case selAllExcept:
		return !listed()
	}
	return false
}

// modeName is one accepted spelling of a selector behavior.
type modeName struct {
	name string
	mode selMode
}

// parseMode maps a ParamSelector behavior onto a mode; "" and "none" are always accepted.
func parseMode(what, behavior string, allowed []modeName) (selMode, error) {
	if behavior == "" || behavior == "none" {
		return selNone, nil
	}
	names := []string{"none"}
	for _, a := range allowed {
		if a.name == behavior {
			return a.mode, nil
		}
		names = append(names, a.name)
	}
	return 0, fmt.Errorf("behavior: %s behavior %q: want one of %s: %w",
		what, behavior, strings.Join(names, ", "), ErrInvalidPolicy)
}

// querySel selects query-string parameters by name. Names are compared case-sensitively with
// the parameter's percent-decoded name ('+' decodes to a space).
type querySel struct {
	mode  selMode
	names []string
}

func (s *querySel) match(rawName []byte) bool {
	return s.mode.selects(func() bool { return s.listed(rawName) })
}

func (s *querySel) listed(rawName []byte) bool {
	for _, n := range s.names {
		if queryNameEq(rawName, n) {
			return true
		}
	}
	return false
}

// queryNameEq reports whether the raw (percent-encoded) parameter name decodes to name.
func queryNameEq(raw []byte, name string) bool {
	j := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]):
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		if j >= len(name) || name[j] != c {
			return false
		}
		j++
	}
	return j == len(name)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// signedParam reports whether a raw query parameter name is one of the signed-URL
// parameters, which CloudFront removes before keying and forwarding.
func signedParam(rawName []byte) bool {
	switch {
	case len(rawName) < 6 || len(rawName) > 3*len("Hash-Algorithm"):
		return false
	case strings.IndexByte("EKPSH%", rawName[0]) < 0:
		return false
	case queryNameEq(rawName, "Expires"), queryNameEq(rawName, "Key-Pair-Id"),
		queryNameEq(rawName, "Policy"), queryNameEq(rawName, "Signature"),
		queryNameEq(rawName, "Hash-Algorithm"):
		return true
	}
	return false
}

// appendQuery appends the parameters of raw that a or b (b may be nil) selects, in their
// original order and raw form, joined by '&'. Empty parameters ("a=1&&b=2") and signed-URL
// parameters are dropped. Only '&' delimits parameters.
func appendQuery(dst, raw []byte, a, b *querySel) []byte {
	first := true
	for len(raw) > 0 {
		piece := raw
		if i := bytes.IndexByte(raw, '&'); i >= 0 {
			piece, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(piece) == 0 {
			continue
		}
		name := piece
		if i := bytes.IndexByte(piece, '='); i >= 0 {
			name = piece[:i]
		}
		if signedParam(name) || !(a.match(name) || b != nil && b.match(name)) {
			continue
		}
		if !first {
			dst = append(dst, '&')
		}
		first = false
		dst = append(dst, piece...)
	}
	return dst
}

// cookieSel selects cookies by name, case-sensitively. Names containing `*` or `?` are
// wildcards (legacy whitelists, e.g. "userid_*") when the selector was built with globs.
type cookieSel struct {
	mode  selMode
	names []string
	globs []glob
}

func newCookieSel(mode selMode, names []string, wildcards bool) cookieSel {
	s := cookieSel{mode: mode}
	if mode != selWhitelist && mode != selAllExcept {
		return s
	}
	for _, n := range names {
		if wildcards && strings.ContainsAny(n, "*?") {
			s.globs = append(s.globs, compileGlob(n))
		} else {
			s.names = append(s.names, n)
		}
	}
	return s
}

func (s *cookieSel) match(name []byte) bool {
	return s.mode.selects(func() bool { return s.listed(name) })
}

func (s *cookieSel) listed(name []byte) bool {
	for _, n := range s.names {
		if string(name) == n {
			return true
		}
	}
	for i := range s.globs {
		if s.globs[i].match(name) {
			return true
		}
	}
	return false
}

// headerSel selects headers by name, case-insensitively. names are lower case.
type headerSel struct {
	mode  selMode
	names []string
}

func (s *headerSel) match(name []byte) bool {
	return s.mode.selects(func() bool { return s.listed(name) })
}

func (s *headerSel) listed(name []byte) bool {
	for _, n := range s.names {
		if foldEq(name, n) {
			return true
		}
	}
	return false
}

// listedName is listed for a name given as a lower-case string.
func (s *headerSel) listedName(lower string) bool {
	for _, n := range s.names {
		if n == lower {
			return true
		}
	}
	return false
}

// matchName is match for a name given as a lower-case string.
func (s *headerSel) matchName(lower string) bool {
	return s.mode.selects(func() bool { return s.listedName(lower) })
}
