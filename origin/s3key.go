package origin

import (
	"sort"
	"strings"
)

// s3Key returns the object key a viewer path names: the path without its leading "/",
// percent-decoded once. A "+" stays a plus, and "%2F" decodes to a "/" of the key, as S3 reads
// a path. A "%" that does not start a valid escape ("%zz", a final "%") is kept literally.
func s3Key(escapedPath string) string {
	return unescapeLenient(strings.TrimPrefix(escapedPath, "/"), false)
}

// s3EscapeKey percent-encodes a key the way S3 canonicalises a path (SigV4 UriEncode with
// "/" kept): every byte but A-Z a-z 0-9 - . _ ~ and "/" becomes %XX with upper-case hex.
func s3EscapeKey(key string) string {
	return s3Escape(key, false)
}

// s3Query returns a raw query in S3's canonical form: pairs sorted by encoded name then
// value, both SigV4-encoded, "=" always present. Parameters named X-Amz-* (any case) are
// dropped: they would clash with the request's own authentication. Components are decoded
// leniently (see unescapeLenient). "" stays "".
func s3Query(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescapeLenient(k, true), unescapeLenient(v, true)
		if len(k) >= 6 && strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		pairs = append(pairs, pair{s3Escape(k, true), s3Escape(v, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// unescapeLenient decodes every valid %XX escape of s (and "+" as a space when plus is
// set); a "%" not followed by two hex digits is kept as it is.
func unescapeLenient(s string, plus bool) string {
	if !strings.ContainsRune(s, '%') && (!plus || !strings.ContainsRune(s, '+')) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+' && plus:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// s3Escape is SigV4's UriEncode: unreserved bytes are kept, "/" too unless encodeSlash, and
// every other byte becomes %XX (upper-case hex).
func s3Escape(s string, encodeSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !s3Unreserved(s[i], encodeSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if s3Unreserved(c, encodeSlash) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

func s3Unreserved(c byte, encodeSlash bool) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '.', c == '_', c == '~':
		return true
	case c == '/':
		return !encodeSlash
	}
	return false
}
