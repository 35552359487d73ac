package function

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja/parser"
)

// Regular expressions run natively, where the compute budget cannot interrupt them. goja
// compiles a pattern with Go's regexp when it can translate it (RE2: no lookaround, no
// backreferences, no nested repetition of more than 1,000 copies), and with regexp2 otherwise;
// it also runs a global or sticky RegExp with regexp2 once lastIndex is past 0. regexp2 is
// bounded by RegexpMatchTimeout. Go's regexp needs no timeout, being linear, but linear in the
// product of the program size and the subject length, which a function chooses both of:
// /(?:a|b){1000}c/.test('a'.repeat(1e5)) ran 0.75 to 2.2 s. Compiling is not free either: goja
// compiles a regular expression literal when it compiles the code, and a 7 KB literal of
// counted repetitions (a{1000}a{1000}...) compiled into millions of instructions, for a
// second and 450 MB.
//
// The limits below are checked before any of that work is done: a regular expression literal
// over them fails Compile (ErrSyntax), a RegExp constructed at run time over them, or a match
// over MaxRegexpWork, throws a RangeError, failing the run with ErrExecution. CloudFront
// documents no limit of its own on regular expressions; these come from its 10 KB code size
// and 2 MB memory quotas and from the compute budget
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions).
const (
	// MaxRegexpSource bounds the length of a pattern, in characters: MaxCodeSize, so that no
	// pattern a function can hold literally is refused for its length. At this length the
	// costliest patterns measured compile (Go's regexp, then regexp2) in about 10 ms each.
	MaxRegexpSource = MaxCodeSize

	// MaxRegexpDepth bounds how deeply groups nest in a pattern. regexp2 compiles nested
	// quantifiers in time quadratic in the depth ((?:a* 3,000 deep took 0.3 s and 76 MB);
	// Go's regexp stops at 1,000. Hand-written patterns rarely nest past 10.
	MaxRegexpDepth = 128

	// MaxRegexpInsts bounds the instructions Go's regexp compiles a pattern into, as counted
	// by regexpInfo (repetitions copied out, as Go's compiler does). Go's regexp takes some
	// 200 to 450 bytes and up to a microsecond to compile an instruction, so this is about the
	// 2 MB of CloudFront's memory quota and a few milliseconds.
	MaxRegexpInsts = 4096

	// MaxRegexpWork bounds one match by Go's regexp: the program size (weighted for the
	// capture groups that every thread copies) times the characters of the subject it may
	// scan. Go's regexp took up to about 10 ns for each, so a match allowed here runs for at
	// most some 40 ms natively, about RegexpMatchTimeout, the bound on a regexp2 match; a
	// match refused here could have taken that long. Typical uses stay far below it: a pattern
	// of 200 instructions on a 20 KB string, or of 500 on an 8 KB URI, is allowed.
	MaxRegexpWork = 1 << 22

	// maxRegexpTranslated bounds the pattern as Go's regexp reads it, after goja's translation
	// (which turns each \s or . into a class of some 80 bytes): parsing 64 KiB of that takes
	// about a millisecond.
	maxRegexpTranslated = 64 << 10
)

// regexpInfo is what analyzeRegexp finds out about a pattern.
type regexpInfo struct {
	// re2: goja compiles the pattern with Go's regexp (else with regexp2, or not at all when
	// it is invalid).
	re2 bool
	// invalid: goja refuses the pattern (a SyntaxError).
	invalid bool
	// insts is the size of the Go regexp program (re2 only); caps its capture groups.
	insts, caps int
	// width is the most characters a match can span (re2 only), -1 when unbounded; nullable
	// whether a match can be empty.
	width    int
	nullable bool
	// translated is the pattern as goja gives it to Go's regexp (re2 only).
	translated string
}

// perChar is the work of matching the pattern against a character of the subject (see
// MaxRegexpWork): each live thread of Go's NFA copies 2×(caps+1) capture positions, which was
// measured to cost about as much as 256 instructions would.
func (ri regexpInfo) perChar() int {
	if !ri.re2 {
		return 0
	}
	ncap := 2 * (ri.caps + 1)
	return ri.insts + ri.insts*ncap/256
}

// regexpLimitError is a pattern refused by the limits above; detail says which.
type regexpLimitError struct{ detail string }

func (e *regexpLimitError) Error() string {
	return "regular expression over the function runtime's limits: " + e.detail
}

func overLimit(format string, a ...any) error {
	return &regexpLimitError{detail: fmt.Sprintf(format, a...)}
}

// analyzeRegexp mirrors what goja does to compile a pattern (compileRegexp in goja's
// builtin_regexp.go), each limit checked before the work it bounds, stopping where goja's
// parsing ends: the program is sized from the parse tree, never built. flags are taken as
// given: goja rejects unknown flags itself, and its errors cost no more than this.
func analyzeRegexp(pattern, flags string) (regexpInfo, error) {
	var info regexpInfo
	if n := utf16Len(pattern); n > MaxRegexpSource {
		return info, overLimit("the pattern is %d characters; the limit is %d", n, MaxRegexpSource)
	}
	if d := groupDepth(pattern); d > MaxRegexpDepth {
		return info, overLimit("groups nest %d deep; the limit is %d", d, MaxRegexpDepth)
	}
	multiline := strings.IndexByte(flags, 'm') >= 0
	dotAll := strings.IndexByte(flags, 's') >= 0
	ignoreCase := strings.IndexByte(flags, 'i') >= 0
	unicode := strings.IndexByte(flags, 'u') >= 0
	if unicode {
		pattern = convertRegexpToUnicode(pattern)
	} else {
		pattern = convertRegexpToUtf16(pattern)
	}
	re2, err := parser.TransformRegExp(pattern, dotAll, unicode)
	if err != nil {
		var incompatible parser.RegexpErrorIncompatible
		info.invalid = !errors.As(err, &incompatible)
		return info, nil
	}
	if len(re2) > maxRegexpTranslated {
		return info, overLimit("the pattern translates to %d bytes for Go's regexp; the limit is %d", len(re2), maxRegexpTranslated)
	}
	re2flags := ""
	if multiline {
		re2flags += "m"
	}
	if dotAll {
		re2flags += "s"
	}
	if ignoreCase {
		re2flags += "i"
	}
	if re2flags != "" {
		re2 = "(?" + re2flags + ":" + re2 + ")"
	}
	tree, err := syntax.Parse(re2, syntax.Perl)
	if err != nil {
		var se *syntax.Error
		// goja compiles a repetition Go's regexp refuses as too large with regexp2.
		info.invalid = !errors.As(err, &se) || se.Code != syntax.ErrInvalidRepeatSize
		return info, nil
	}
	info.re2 = true
	info.insts = progSize(tree) + 2 // and the fail and match instructions
	info.caps = tree.MaxCap()
	info.width = maxWidth(tree)
	info.nullable = nullable(tree)
	info.translated = re2
	if info.insts > MaxRegexpInsts {
		return info, overLimit("the pattern compiles to %d instructions; the limit is %d", info.insts, MaxRegexpInsts)
	}
	return info, nil
}

// sizeCap keeps progSize's sums far from overflowing (Go's parser stops at 3.3 million
// instructions, and nested repetitions multiply to at most 1,000).
const sizeCap = 1 << 40

// progSize is the number of instructions Go's regexp compiles re into (regexp/syntax's
// compile.go, after Simplify copies out repetitions), or more where Simplify finds something
// simpler.
func progSize(re *syntax.Regexp) int {
	var n int
	switch re.Op {
	case syntax.OpLiteral:
		n = len(re.Rune) // one instruction a rune
	case syntax.OpCapture:
		n = 2 + progSize(re.Sub[0])
	case syntax.OpStar:
		n = 2 + progSize(re.Sub[0]) // a loop, or a plus and a quest when the body can be empty
	case syntax.OpPlus, syntax.OpQuest:
		n = 1 + progSize(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			n += progSize(sub)
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			n += progSize(sub)
		}
		n += len(re.Sub) - 1 // an alt between each
	case syntax.OpRepeat:
		sub := progSize(re.Sub[0])
		switch {
		case re.Max == -1 && re.Min == 0: // x*
			n = 2 + sub
		case re.Max == -1: // x{n,} is n-1 copies and x+
			n = re.Min*sub + 1
		default: // x{n,m} is n copies and m-n nested (x)?
			n = re.Min*sub + (re.Max-re.Min)*(sub+1)
		}
	}
	return min(max(n, 1), sizeCap) // an empty concatenation or literal is a nop
}

// maxWidth is the most runes a match of re spans, -1 when that is unbounded.
func maxWidth(re *syntax.Regexp) int {
	var w int
	switch re.Op {
	case syntax.OpLiteral:
		w = len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		w = 1
	case syntax.OpCapture, syntax.OpQuest:
		w = maxWidth(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if maxWidth(re.Sub[0]) != 0 {
			w = -1
		}
	case syntax.OpRepeat:
		sub := maxWidth(re.Sub[0])
		switch {
		case sub == 0:
		case sub < 0 || re.Max == -1:
			w = -1
		default:
			w = re.Max * sub
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			sw := maxWidth(sub)
			if sw < 0 {
				return -1
			}
			w += sw
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			sw := maxWidth(sub)
			if sw < 0 {
				return -1
			}
			w = max(w, sw)
		}
	}
	return min(w, sizeCap)
}

// nullable reports whether re can match the empty string.
func nullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpNoMatch:
		return false
	case syntax.OpCapture, syntax.OpPlus:
		return nullable(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !nullable(sub) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if nullable(sub) {
				return true
			}
		}
		return false
	}
	return true // star, quest, the empty-width assertions
}

// utf16Len is the length of s in UTF-16 code units, as JavaScript counts characters.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// groupDepth is how deeply the groups of a pattern nest: parentheses outside character classes
// and escapes.
func groupDepth(p string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '[':
			for i++; i < len(p) && p[i] != ']'; i++ {
				if p[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
			deepest = max(deepest, depth)
		case ')':
			depth = max(depth-1, 0)
		}
	}
	return deepest
}

// convertRegexpToUnicode and convertRegexpToUtf16 are goja's (builtin_regexp.go, MIT
// License), which it applies to a pattern before translating it for Go's regexp.

// convertRegexpToUnicode turns valid surrogate pairs written \uXXXX\uXXXX into the characters.
func convertRegexpToUnicode(patternStr string) string {
	var sb strings.Builder
	pos := 0
	for i := 0; i < len(patternStr)-11; {
		r, size := utf8.DecodeRuneInString(patternStr[i:])
		if r == '\\' {
			i++
			if patternStr[i] == 'u' && patternStr[i+5] == '\\' && patternStr[i+6] == 'u' {
				if first, ok := decodeHex(patternStr[i+1 : i+5]); ok {
					if first >= 0xD800 && first <= 0xDBFF {
						if second, ok := decodeHex(patternStr[i+7 : i+11]); ok {
							if second >= 0xDC00 && second <= 0xDFFF {
								r = utf16.DecodeRune(rune(first), rune(second))
								sb.WriteString(patternStr[pos : i-1])
								sb.WriteRune(r)
								i += 11
								pos = i
								continue
							}
						}
					}
				}
			}
			i++
		} else {
			i += size
		}
	}
	if pos > 0 {
		sb.WriteString(patternStr[pos:])
		return sb.String()
	}
	return patternStr
}

// convertRegexpToUtf16 writes characters past U+FFFF as surrogate pairs, \uXXXX\uXXXX.
func convertRegexpToUtf16(patternStr string) string {
	var sb strings.Builder
	pos := 0
	var prevRune rune
	for i := 0; i < len(patternStr); {
		r, size := utf8.DecodeRuneInString(patternStr[i:])
		if r > 0xFFFF {
			sb.WriteString(patternStr[pos:i])
			if prevRune == '\\' {
				sb.WriteRune('\\')
			}
			first, second := utf16.EncodeRune(r)
			sb.WriteString(`\u`)
			writeHex4(&sb, int(first))
			sb.WriteString(`\u`)
			writeHex4(&sb, int(second))
			pos = i + size
		}
		i += size
		prevRune = r
	}
	if pos > 0 {
		sb.WriteString(patternStr[pos:])
		return sb.String()
	}
	return patternStr
}

func decodeHex(s string) (int, bool) {
	var hex int
	for i := 0; i < len(s); i++ {
		var n byte
		chr := s[i]
		switch {
		case '0' <= chr && chr <= '9':
			n = chr - '0'
		case 'a' <= chr && chr <= 'f':
			n = chr - 'a' + 10
		case 'A' <= chr && chr <= 'F':
			n = chr - 'A' + 10
		default:
			return 0, false
		}
		hex = hex*16 + int(n)
	}
	return hex, true
}

func writeHex4(b *strings.Builder, i int) {
	const hex = "0123456789abcdef"
	b.WriteByte(hex[i>>12])
	b.WriteByte(hex[(i>>8)&0xF])
	b.WriteByte(hex[(i>>4)&0xF])
	b.WriteByte(hex[i&0xF])
}
