package httpcond

import "time"

// Validators are the selected representation's validators (RFC 9110 §8.8): the ETag and
// Last-Modified field values as they are (or would be) sent, nil when the representation has
// none. Passing Validators says the representation exists, which is what "*" tests.
type Validators struct {
	ETag         []byte
	LastModified []byte
}

// Conditions are a request's precondition fields (RFC 9110 §13.1), each its field value, nil
// when absent. Several field lines of one list field are one value joined with commas
// (RFC 9110 §5.3). A caller that does not evaluate a field (a cache answering from a stored
// response evaluates only If-None-Match and If-Modified-Since, RFC 9111 §4.3.2) leaves it nil.
type Conditions struct {
	IfMatch           []byte
	IfNoneMatch       []byte
	IfModifiedSince   []byte
	IfUnmodifiedSince []byte
}

// Result is what evaluating a request's preconditions decides.
type Result int

const (
	// Proceed: no precondition failed; perform the method (send 200, or 206 for a Range).
	Proceed Result = iota
	// NotModified: a GET or HEAD whose If-None-Match or If-Modified-Since is false; send 304.
	NotModified
	// PreconditionFailed: If-Match or If-Unmodified-Since is false; send 412.
	PreconditionFailed
)

// String names r for test failures and logs.
func (r Result) String() string {
	switch r {
	case Proceed:
		return "Proceed"
	case NotModified:
		return "NotModified"
	case PreconditionFailed:
		return "PreconditionFailed"
	}
	return "Result(?)"
}

// EvaluatePreconditions evaluates c against the validators of an existing representation in
// the order of RFC 9110 §13.2.2, for a GET or HEAD request:
//
//  1. If-Match (strong comparison, "*" matches) false: PreconditionFailed.
//  2. Without If-Match, If-Unmodified-Since earlier than Last-Modified: PreconditionFailed.
//  3. If-None-Match (weak comparison, "*" matches) matching: NotModified.
//  4. Without If-None-Match, Last-Modified not later than If-Modified-Since: NotModified.
//
// A date field that is not a valid HTTP-date, or a date condition on a representation without
// a valid Last-Modified, is ignored (RFC 9110 §13.1.3, §13.1.4). If-Range is separate: see
// IfRange.
func EvaluatePreconditions(c Conditions, v Validators) Result {
	if len(c.IfMatch) > 0 {
		if !MatchETagList(c.IfMatch, v.ETag, true) {
			return PreconditionFailed
		}
	} else if len(c.IfUnmodifiedSince) > 0 {
		if t, ok := ParseHTTPDate(c.IfUnmodifiedSince); ok {
			if lm, ok := ParseHTTPDate(v.LastModified); ok && lm.After(t) {
				return PreconditionFailed
			}
		}
	}
	if len(c.IfNoneMatch) > 0 {
		if MatchETagList(c.IfNoneMatch, v.ETag, false) {
			return NotModified
		}
	} else if len(c.IfModifiedSince) > 0 {
		if t, ok := ParseHTTPDate(c.IfModifiedSince); ok {
			if lm, ok := ParseHTTPDate(v.LastModified); ok && !lm.After(t) {
				return NotModified
			}
		}
	}
	return Proceed
}

// IfRange reports whether a Range may be honoured under the If-Range field value ir
// (RFC 9110 §13.1.5): always when ir is empty; for an entity-tag (it starts with DQUOTE or
// "W/"), only when it equals v.ETag by strong comparison, so a weak tag on either side never
// satisfies it; for an HTTP-date, only when it is the same instant as v.LastModified. When it
// reports false the whole representation is sent with 200.
func IfRange(ir []byte, v Validators) bool {
	ir = trimOWS(ir)
	if len(ir) == 0 {
		return true
	}
	if ir[0] == '"' || (len(ir) >= 2 && ir[0] == 'W' && ir[1] == '/') {
		tag, rest, ok := nextETag(ir)
		return ok && len(trimOWS(rest)) == 0 && strongMatch(tag, v.ETag)
	}
	t, ok := ParseHTTPDate(ir)
	if !ok {
		return false
	}
	lm, ok := ParseHTTPDate(v.LastModified)
	return ok && lm.Equal(t)
}

// MatchETagList reports whether the If-Match / If-None-Match field value list ("*" or a
// comma-separated list of entity-tags, RFC 9110 §13.1.1, §13.1.2) matches etag, the
// representation's ETag field value. "*" matches any existing representation, even one
// without an ETag. With strong set the comparison is strong (RFC 9110 §8.8.3.2: neither tag
// weak, opaque-tags equal), otherwise weak (opaque-tags equal, W/ ignored). Empty list
// elements are skipped (RFC 9110 §5.6.1); the list stops matching where it stops being
// well-formed.
func MatchETagList(list, etag []byte, strong bool) bool {
	for {
		list = skipEmpty(list)
		if len(list) == 0 {
			return false
		}
		if list[0] == '*' {
			rest := trimOWSLeft(list[1:])
			if len(rest) == 0 || rest[0] == ',' {
				return true
			}
			return false
		}
		tag, rest, ok := nextETag(list)
		if !ok {
			return false
		}
		rest = trimOWSLeft(rest)
		if len(rest) > 0 && rest[0] != ',' {
			return false
		}
		if strong && strongMatch(tag, etag) || !strong && weakMatch(tag, etag) {
			return true
		}
		list = rest
	}
}

// nextETag splits one entity-tag (RFC 9110 §8.8.3: [ "W/" ] DQUOTE *etagc DQUOTE) off the
// front of b.
func nextETag(b []byte) (tag, rest []byte, ok bool) {
	i := 0
	if len(b) >= 2 && b[0] == 'W' && b[1] == '/' {
		i = 2
	}
	if len(b) < i+2 || b[i] != '"' {
		return nil, b, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[:j+1], b[j+1:], true
		case c < 0x21 || c == 0x7f: // etagc excludes SP and controls; obs-text is allowed
			return nil, b, false
		}
	}
	return nil, b, false
}

// opaque returns the opaque-tag of a well-formed entity-tag and whether it was weak; ok is
// false when t is not one entity-tag.
func opaque(t []byte) (tag []byte, weak, ok bool) {
	tag, rest, ok := nextETag(t)
	if !ok || len(rest) != 0 {
		return nil, false, false
	}
	if tag[0] == 'W' {
		return tag[2:], true, true
	}
	return tag, false, true
}

// strongMatch is RFC 9110 §8.8.3.2 strong comparison of two entity-tags.
func strongMatch(a, b []byte) bool {
	oa, wa, ok := opaque(a)
	if !ok || wa {
		return false
	}
	ob, wb, ok := opaque(b)
	return ok && !wb && string(oa) == string(ob)
}

// weakMatch is RFC 9110 §8.8.3.2 weak comparison of two entity-tags.
func weakMatch(a, b []byte) bool {
	oa, _, ok := opaque(a)
	if !ok {
		return false
	}
	ob, _, ok := opaque(b)
	return ok && string(oa) == string(ob)
}

// skipEmpty drops OWS and empty list elements from the front of a list (RFC 9110 §5.6.1).
func skipEmpty(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == ',') {
		b = b[1:]
	}
	return b
}

func trimOWSLeft(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// trimOWS drops optional whitespace (RFC 9110 §5.6.3: SP and HTAB) at both ends of b.
func trimOWS(b []byte) []byte {
	b = trimOWSLeft(b)
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// ParseHTTPDate parses an HTTP-date (RFC 9110 §5.6.7) in any of its three forms: IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT"), the obsolete RFC 850 form ("Sunday, 06-Nov-94 08:49:37
// GMT") and asctime ("Sun Nov  6 08:49:37 1994"). Names are case-sensitive, as the grammar
// says; a two-digit year is 19yy from 69 on and 20yy below, as Go's time package reads it.
// The result is in UTC; it never allocates.
func ParseHTTPDate(b []byte) (time.Time, bool) {
	b = trimOWS(b)
	var y, mo, d, h, mi, s int
	var ok bool
	switch {
	case len(b) == 29 && b[3] == ',': // IMF-fixdate
		if !isDay(b[:3]) || b[4] != ' ' || b[7] != ' ' || b[11] != ' ' || b[16] != ' ' || b[25] != ' ' ||
			string(b[26:]) != "GMT" {
			return time.Time{}, false
		}
		d, ok = num(b[5:7])
		if mo = month(b[8:11]); !ok || mo == 0 {
			return time.Time{}, false
		}
		if y, ok = num(b[12:16]); !ok {
			return time.Time{}, false
		}
		if h, mi, s, ok = clock(b[17:25]); !ok {
			return time.Time{}, false
		}
	case len(b) == 24 && b[3] == ' ': // asctime
		if !isDay(b[:3]) || b[7] != ' ' || b[10] != ' ' || b[19] != ' ' {
			return time.Time{}, false
		}
		if mo = month(b[4:7]); mo == 0 {
			return time.Time{}, false
		}
		day := b[8:10]
		if day[0] == ' ' {
			day = day[1:]
		}
		if d, ok = num(day); !ok {
			return time.Time{}, false
		}
		if h, mi, s, ok = clock(b[11:19]); !ok {
			return time.Time{}, false
		}
		if y, ok = num(b[20:24]); !ok {
			return time.Time{}, false
		}
	default: // RFC 850: day-name-l "," SP 2DIGIT "-" month "-" 2DIGIT SP time-of-day SP "GMT"
		c := -1
		for i := 0; i < len(b) && i < 10; i++ {
			if b[i] == ',' {
				c = i
				break
			}
		}
		if c < 0 || !isLongDay(b[:c]) {
			return time.Time{}, false
		}
		r := b[c:]
		if len(r) != 24 || r[1] != ' ' || r[4] != '-' || r[8] != '-' || r[11] != ' ' || r[20] != ' ' ||
			string(r[21:]) != "GMT" {
			return time.Time{}, false
		}
		d, ok = num(r[2:4])
		if mo = month(r[5:8]); !ok || mo == 0 {
			return time.Time{}, false
		}
		if y, ok = num(r[9:11]); !ok {
			return time.Time{}, false
		}
		if y >= 69 {
			y += 1900
		} else {
			y += 2000
		}
		if h, mi, s, ok = clock(r[12:20]); !ok {
			return time.Time{}, false
		}
	}
	if d < 1 || d > daysIn(mo, y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC), true
}

// clock parses time-of-day "hh:mm:ss" (RFC 9110 §5.6.7).
func clock(b []byte) (h, m, s int, ok bool) {
	if b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := num(b[0:2])
	m, ok2 := num(b[3:5])
	s, ok3 := num(b[6:8])
	return h, m, s, ok1 && ok2 && ok3 && h < 24 && m < 60 && s < 60
}

// num parses a fixed-width run of ASCII digits.
func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func isDay(b []byte) bool {
	switch string(b) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

func isLongDay(b []byte) bool {
	switch string(b) {
	case "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday":
		return true
	}
	return false
}

// month returns 1..12 for a month name, 0 for anything else.
func month(b []byte) int {
	switch string(b) {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

func daysIn(mo, y int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
