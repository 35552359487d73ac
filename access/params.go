package access

import (
	"bytes"
	"encoding/base64"
)

// signedParams are the signing values of one request, from its query or its cookies.
// Values are percent-decoded; when a value needed no decoding it aliases the request.
type signedParams struct {
	keyID, signature, policy, expires, hashAlg []byte
	scratch                                    []byte // backing store for decoded values
}

// isSigningParam reports whether a query parameter name is one StripSignature removes.
func isSigningParam(name []byte) bool {
	switch string(name) {
	case "Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm":
		return true
	}
	return false
}

// StripSignature appends to dst the raw query without its signed-URL parameters (Expires,
// Policy, Signature, Key-Pair-Id and Hash-Algorithm, matched by exact name), and returns the
// extended slice. Everything else is kept byte for byte and in order, empty parameters
// included, so the result is the query the URL was signed with and the one the origin
// should see. A query of only signing parameters gives dst unchanged. It never panics.
func StripSignature(dst, rawQuery []byte) []byte {
	if len(rawQuery) == 0 {
		return dst
	}
	first := true
	for rest := rawQuery; ; {
		seg := rest
		i := bytes.IndexByte(rest, '&')
		if i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		}
		name, _, _ := bytes.Cut(seg, []byte("="))
		if !isSigningParam(name) {
			if !first {
				dst = append(dst, '&')
			}
			dst = append(dst, seg...)
			first = false
		}
		if i < 0 {
			return dst
		}
	}
}

// fromQuery fills s from a raw query and reports whether it is a signed URL: whether it has
// any of Expires, Policy, Signature or Key-Pair-Id
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html). The first
// occurrence of each parameter counts.
func (s *signedParams) fromQuery(raw []byte) bool {
	found := false
	for rest := raw; len(rest) > 0; {
		seg := rest
		if i := bytes.IndexByte(rest, '&'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		name, val, _ := bytes.Cut(seg, []byte("="))
		var dst *[]byte
		switch string(name) {
		case "Key-Pair-Id":
			dst = &s.keyID
		case "Signature":
			dst = &s.signature
		case "Policy":
			dst = &s.policy
		case "Expires":
			dst = &s.expires
		case "Hash-Algorithm":
			if s.hashAlg == nil {
				s.hashAlg = s.unescape(val)
			}
			continue
		default:
			continue
		}
		found = true
		if *dst == nil {
			*dst = s.unescape(val)
		}
	}
	return found
}

// fromCookie fills s from a Cookie header value ("a=b; c=d"). The first occurrence of each
// cookie counts; values may be double-quoted.
func (s *signedParams) fromCookie(raw []byte) {
	for rest := raw; len(rest) > 0; {
		seg := rest
		if i := bytes.IndexByte(rest, ';'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		name, val, _ := bytes.Cut(bytes.Trim(seg, " \t"), []byte("="))
		var dst *[]byte
		switch string(bytes.TrimRight(name, " \t")) {
		case "CloudFront-Key-Pair-Id":
			dst = &s.keyID
		case "CloudFront-Signature":
			dst = &s.signature
		case "CloudFront-Policy":
			dst = &s.policy
		case "CloudFront-Expires":
			dst = &s.expires
		case "CloudFront-Hash-Algorithm":
			dst = &s.hashAlg
		default:
			continue
		}
		if *dst != nil {
			continue
		}
		val = bytes.TrimLeft(val, " \t")
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		*dst = s.unescape(val)
	}
}

// unescape percent-decodes v ("%7E" -> "~"; "+" stays "+", since the CloudFront alphabet
// has no space). The result is never nil, so an empty value still counts as present. An
// invalid escape leaves v as it is.
func (s *signedParams) unescape(v []byte) []byte {
	if bytes.IndexByte(v, '%') < 0 {
		if v == nil {
			return []byte{}
		}
		return v
	}
	start := len(s.scratch)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				s.scratch = s.scratch[:start]
				return v
			}
			c = unhex(v[i+1])<<4 | unhex(v[i+2])
			i += 2
		}
		s.scratch = append(s.scratch, c)
	}
	return s.scratch[start:len(s.scratch):len(s.scratch)]
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// maxEncoded bounds an encoded Signature or Policy (CloudFront URLs are at most 8,192 bytes).
const maxEncoded = 16 << 10

// decodeB64 appends to dst the bytes of CloudFront base64 (the standard alphabet with
// '+' '=' '/' swapped for '-' '_' '~'), padded or not. The standard characters are accepted
// too. ok is false when src is not base64 or is too long.
func decodeB64(dst, src []byte) (out []byte, ok bool) {
	if len(src) > maxEncoded {
		return dst, false
	}
	var tmp [1400]byte
	m := append(tmp[:0], src...)
	for i, c := range m {
		switch c {
		case '-':
			m[i] = '+'
		case '_':
			m[i] = '='
		case '~':
			m[i] = '/'
		}
	}
	m = bytes.TrimRight(m, "=")
	enc := base64.RawStdEncoding
	n := enc.DecodedLen(len(m))
	start := len(dst)
	if cap(dst)-start < n {
		grown := make([]byte, start, start+n)
		copy(grown, dst)
		dst = grown
	}
	got, err := enc.Decode(dst[start:start+n], m)
	if err != nil {
		return dst[:start], false
	}
	return dst[:start+got], true
}

// parseEpoch parses a decimal Unix time (Expires): digits only, at most 18 of them.
func parseEpoch(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
