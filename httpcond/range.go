package httpcond

import "strconv"

// Range is one satisfiable byte range of a representation: first and last byte positions,
// both inclusive and already clipped to the representation (RFC 9110 §14.1.2).
type Range struct {
	Start, End int64
}

// Length returns the number of bytes r selects.
func (r Range) Length() int64 { return r.End - r.Start + 1 }

// RangeResult is what a Range field asks for once parsed against a representation.
type RangeResult int

const (
	// Ignore: the Range is not honoured and the whole representation is sent with 200 — no
	// "bytes" unit, invalid syntax (a number too large for int64 included), or ranges out of
	// ascending order or overlapping, which RFC 9110 §14.2 lets a server ignore and which
	// CloudFront answers with the whole object
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RangeGETs.html).
	Ignore RangeResult = iota
	// Satisfiable: send 206 with the returned ranges (RFC 9110 §15.3.7).
	Satisfiable
	// Unsatisfiable: no range overlaps the representation; send 416 with
	// Content-Range: bytes */size (RFC 9110 §15.5.17).
	Unsatisfiable
)

// String names r for test failures and logs.
func (r RangeResult) String() string {
	switch r {
	case Ignore:
		return "Ignore"
	case Satisfiable:
		return "Satisfiable"
	case Unsatisfiable:
		return "Unsatisfiable"
	}
	return "RangeResult(?)"
}

// ParseRanges parses a Range field value (RFC 9110 §14.2: "bytes=" and a list of int-range
// "a-b" / "a-" and suffix-range "-n") against a representation of size bytes, appending the
// satisfiable ranges to dst[:0] in request order. The unit is case-insensitive (RFC 9110
// §14.1); OWS and empty elements around list members are allowed (RFC 9110 §5.6.1), OWS
// inside a range is not. A last position past the end is clipped; a first position at or past
// the end, a zero-length suffix, or any range of an empty representation is unsatisfiable
// (RFC 9110 §14.1.1) and dropped. The result is Satisfiable when at least one range remains,
// Unsatisfiable when every range was dropped, and Ignore (with no ranges) when the value is
// invalid or its ranges are not in ascending, non-overlapping order. It allocates only if dst
// has to grow.
func ParseRanges(dst []Range, v []byte, size int64) ([]Range, RangeResult) {
	rs := dst[:0]
	v = trimOWS(v)
	const unit = "bytes="
	if len(v) < len(unit) || !equalFoldASCII(v[:len(unit)-1], unit[:len(unit)-1]) || v[len(unit)-1] != '=' {
		return rs, Ignore
	}
	v = v[len(unit):]
	specs := 0
	prevEnd := int64(-1)
	for len(v) > 0 {
		var spec []byte
		spec, v = cutComma(v)
		if spec = trimOWS(spec); len(spec) == 0 {
			continue
		}
		specs++
		dash := -1
		for i, c := range spec {
			if c == '-' {
				dash = i
				break
			}
		}
		if dash < 0 {
			return rs[:0], Ignore
		}
		var start, end int64
		if dash == 0 { // suffix-range: the last n bytes
			n, ok := parseUint(spec[1:])
			if !ok {
				return rs[:0], Ignore
			}
			if n == 0 {
				continue // unsatisfiable, and it selects nothing to order against
			}
			start, end = max(size-n, 0), size-1
		} else {
			a, ok := parseUint(spec[:dash])
			if !ok {
				return rs[:0], Ignore
			}
			start, end = a, size-1
			if dash < len(spec)-1 {
				b, ok := parseUint(spec[dash+1:])
				if !ok || b < a {
					return rs[:0], Ignore
				}
				end = min(end, b)
			}
		}
		if start <= prevEnd {
			return rs[:0], Ignore // not ascending, or overlapping
		}
		if start >= size {
			prevEnd = start
			continue // unsatisfiable
		}
		prevEnd = end
		rs = append(rs, Range{start, end})
	}
	switch {
	case specs == 0: // "bytes=" with no range-spec: range-set is 1#range-spec
		return rs, Ignore
	case len(rs) == 0:
		return rs, Unsatisfiable
	}
	return rs, Satisfiable
}

// cutComma splits v at its first comma.
func cutComma(v []byte) (elem, rest []byte) {
	for i, c := range v {
		if c == ',' {
			return v[:i], v[i+1:]
		}
	}
	return v, nil
}

// parseUint parses 1*DIGIT; a value that does not fit in int64 saturates at its maximum.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			// Saturated, not refused: "recipients ... MUST anticipate potentially large decimal
			// numerals and prevent parsing errors due to integer conversion overflows" (RFC 9110
			// §14.1.1): a last position past int64 is past the end (clipped), a first one is
			// unsatisfiable, a suffix that long is the whole representation.
			n = 1<<63 - 1
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// equalFoldASCII reports whether b equals the lower-case ASCII string s, ignoring case.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// AppendContentRange appends the Content-Range field value of a satisfied range,
// "bytes first-last/size" (RFC 9110 §14.4).
func AppendContentRange(dst []byte, r Range, size int64) []byte {
	dst = append(dst, "bytes "...)
	dst = strconv.AppendInt(dst, r.Start, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, r.End, 10)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}

// AppendUnsatisfiedContentRange appends the Content-Range field value of a 416 answer,
// "bytes */size" (RFC 9110 §14.4, §15.5.17).
func AppendUnsatisfiedContentRange(dst []byte, size int64) []byte {
	dst = append(dst, "bytes */"...)
	return strconv.AppendInt(dst, size, 10)
}

// AppendMultipartByteranges appends the multipart/byteranges body (RFC 9110 §14.6) of the
// ranges rs of body: each part starts with a boundary delimiter, carries contentType (when not
// empty) and its Content-Range, then its bytes; the close delimiter ends it. The ranges must
// lie inside body (as ParseRanges returns them for size len(body)); the boundary must not occur
// in body (RFC 2046 §5.1.1), and the response's Content-Type is then
// "multipart/byteranges; boundary=" followed by it.
func AppendMultipartByteranges(dst, body []byte, rs []Range, contentType, boundary []byte) []byte {
	size := int64(len(body))
	for _, r := range rs {
		dst = append(dst, "\r\n--"...)
		dst = append(dst, boundary...)
		dst = append(dst, "\r\n"...)
		if len(contentType) > 0 {
			dst = append(dst, "Content-Type: "...)
			dst = append(dst, contentType...)
			dst = append(dst, "\r\n"...)
		}
		dst = append(dst, "Content-Range: "...)
		dst = AppendContentRange(dst, r, size)
		dst = append(dst, "\r\n\r\n"...)
		dst = append(dst, body[r.Start:r.End+1]...)
	}
	dst = append(dst, "\r\n--"...)
	dst = append(dst, boundary...)
	return append(dst, "--\r\n"...)
}
