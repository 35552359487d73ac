package behavior

import (
	"bytes"
	"math"
	"time"
)

// Directives are the Cache-Control response directives the edge acts on.
//
// A directive that appears more than once keeps its first occurrence. A max-age, s-maxage,
// stale-while-revalidate or stale-if-error whose argument is not a valid delta-seconds
// (digits, token or quoted form) counts as present with 0, which makes the response stale
// (RFC 9111 §4.2.1). Values too large for a time.Duration are capped at about 292 years.
type Directives struct {
	// MaxAge and SMaxAge are max-age and s-maxage; the Has flags say they were present.
	MaxAge, SMaxAge       time.Duration
	HasMaxAge, HasSMaxAge bool
	// StaleWhileRevalidate and StaleIfError are the RFC 5861 extensions CloudFront honours.
	StaleWhileRevalidate    time.Duration
	StaleIfError            time.Duration
	HasStaleWhileRevalidate bool
	HasStaleIfError         bool
	// NoCache, NoStore and Private restrict caching; a qualified private="…" counts as the
	// plain directive.
	NoCache, NoStore, Private bool
	// NoCacheSetCookie is a qualified no-cache="Set-Cookie": the response may be stored without
	// its Set-Cookie fields (RFC 9111 §5.2.2.4), as CloudFront documents it ("Suspending caching
	// based on cookies", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Cookies.html);
	// it does not set NoCache. A qualified no-cache naming any other field counts as no-cache.
	NoCacheSetCookie bool
	// The remaining flags are parsed for callers; TTL decisions do not use them.
	MustRevalidate, ProxyRevalidate bool
	Public, NoTransform, Immutable  bool
	// Any is true when at least one directive, known or not, was present.
	Any bool
}

// Restricted reports whether the response carries no-cache, no-store or private: CloudFront
// then does not cache it when MinTTL is 0, and keeps it only for MinTTL otherwise.
func (d *Directives) Restricted() bool { return d.NoCache || d.NoStore || d.Private }

// ParseCacheControl parses a Cache-Control field value (the lines of a repeated header joined
// with commas, or just the first). Directive names are case-insensitive; arguments may be
// tokens or quoted strings (with \-escapes, and commas inside quotes); whitespace around
// elements, names, "=" and arguments is ignored; empty elements and unknown directives are
// skipped; garbage after an argument up to the next comma is ignored. It never fails and
// allocates nothing.
func ParseCacheControl(v []byte) Directives {
	var d Directives
	i := 0
	for i < len(v) {
		for i < len(v) && (v[i] == ',' || isOWS(v[i])) {
			i++
		}
		if i == len(v) {
			break
		}
		ns := i
		for i < len(v) && v[i] != '=' && v[i] != ',' && !isOWS(v[i]) {
			i++
		}
		name := v[ns:i]
		for i < len(v) && isOWS(v[i]) {
			i++
		}
		var arg []byte
		hasArg := false
		if i < len(v) && v[i] == '=' {
			hasArg = true
			i++
			for i < len(v) && isOWS(v[i]) {
				i++
			}
			if i < len(v) && v[i] == '"' {
				i++
				as := i
				for i < len(v) && v[i] != '"' {
					if v[i] == '\\' && i+1 < len(v) {
						i++
					}
					i++
				}
				if i < len(v) {
					arg = v[as:i]
					i++ // closing quote
				} // else unterminated: a malformed (nil) argument
			} else {
				as := i
				for i < len(v) && v[i] != ',' && !isOWS(v[i]) {
					i++
				}
				arg = v[as:i]
			}
		}
		// Skip whatever is left of this element.
		for i < len(v) && v[i] != ',' {
			if v[i] == '"' {
				i++
				for i < len(v) && v[i] != '"' {
					if v[i] == '\\' && i+1 < len(v) {
						i++
					}
					i++
				}
			}
			if i < len(v) {
				i++
			}
		}
		if len(name) == 0 {
			continue
		}
		d.Any = true
		d.apply(name, arg, hasArg)
	}
	return d
}

func (d *Directives) apply(name, arg []byte, hasArg bool) {
	switch {
	case foldEq(name, "max-age"):
		if !d.HasMaxAge {
			d.MaxAge, d.HasMaxAge = deltaSeconds(arg, hasArg), true
		}
	case foldEq(name, "s-maxage"):
		if !d.HasSMaxAge {
			d.SMaxAge, d.HasSMaxAge = deltaSeconds(arg, hasArg), true
		}
	case foldEq(name, "stale-while-revalidate"):
		if !d.HasStaleWhileRevalidate {
			d.StaleWhileRevalidate, d.HasStaleWhileRevalidate = deltaSeconds(arg, hasArg), true
		}
	case foldEq(name, "stale-if-error"):
		if !d.HasStaleIfError {
			d.StaleIfError, d.HasStaleIfError = deltaSeconds(arg, hasArg), true
		}
	case foldEq(name, "no-cache"):
		if hasArg && onlySetCookie(arg) && !d.NoCache {
			d.NoCacheSetCookie = true
		} else {
			d.NoCache, d.NoCacheSetCookie = true, false
		}
	case foldEq(name, "no-store"):
		d.NoStore = true
	case foldEq(name, "private"):
		d.Private = true
	case foldEq(name, "must-revalidate"):
		d.MustRevalidate = true
	case foldEq(name, "proxy-revalidate"):
		d.ProxyRevalidate = true
	case foldEq(name, "public"):
		d.Public = true
	case foldEq(name, "no-transform"):
		d.NoTransform = true
	case foldEq(name, "immutable"):
		d.Immutable = true
	}
}

// maxSeconds is the largest whole number of seconds a time.Duration holds.
const maxSeconds = int64(math.MaxInt64 / int64(time.Second))

// deltaSeconds parses a delta-seconds argument, in token or quoted form alike (RFC 9111 §5.2);
// a missing or malformed one gives 0.
func deltaSeconds(arg []byte, hasArg bool) time.Duration {
	if !hasArg || len(arg) == 0 {
		return 0
	}
	var n int64
	for _, c := range arg {
		if c < '0' || c > '9' {
			return 0
		}
		if n < maxSeconds {
			n = n*10 + int64(c-'0')
		}
	}
	if n > maxSeconds {
		n = maxSeconds
	}
	return time.Duration(n) * time.Second
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// foldEq reports whether b equals the lower-case ASCII string s, ignoring ASCII case.
func foldEq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
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

// ParseHTTPDate parses an HTTP-date (RFC 9110 §5.6.7): the preferred IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT") without allocating, and the obsolete RFC 850 and asctime
// forms. Surrounding whitespace is ignored. ok is false for anything else, including "0".
func ParseHTTPDate(v []byte) (t time.Time, ok bool) {
	for len(v) > 0 && isOWS(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isOWS(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	if t, ok := parseIMFFixdate(v); ok {
		return t, true
	}
	if len(v) == 0 || len(v) > 64 {
		return time.Time{}, false
	}
	s := string(v)
	if t, err := time.Parse(time.RFC850, s); err == nil {
		return rfc850Year(t.UTC(), time.Now()), true
	}
	if t, err := time.Parse(time.ANSIC, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// rfc850Year gives an rfc850-date's two-digit year its century: the year with those digits
// nearest now that is not more than 50 years in the future ("Recipients of a timestamp value in
// rfc850-date format ... MUST interpret a timestamp that appears to be more than 50 years in
// the future as representing the most recent year in the past that had the same last two
// digits", RFC 9110 §5.6.7). time.Parse pivots at 69 instead.
func rfc850Year(t, now time.Time) time.Time {
	y := now.Year() - now.Year()%100 + t.Year()%100
	if y > now.Year()+50 {
		y -= 100
	} else if y <= now.Year()-50 {
		y += 100
	}
	return t.AddDate(y-t.Year(), 0, 0)
}

// parseIMFFixdate parses exactly "Sun, 06 Nov 1994 08:49:37 GMT".
func parseIMFFixdate(v []byte) (time.Time, bool) {
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
		v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25] != ' ' || string(v[26:]) != "GMT" {
		return time.Time{}, false
	}
	switch string(v[:3]) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
	default:
		return time.Time{}, false
	}
	day, ok1 := digits(v[5:7])
	year, ok2 := digits(v[12:16])
	hour, ok3 := digits(v[17:19])
	minute, ok4 := digits(v[20:22])
	sec, ok5 := digits(v[23:25])
	month := monthOf(v[8:11])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || month == 0 ||
		day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	t := time.Date(year, month, day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day && sec != 60 { // 31 Feb and the like
		return time.Time{}, false
	}
	return t, true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func monthOf(b []byte) time.Month {
	switch string(b) {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}

// onlySetCookie reports whether a no-cache argument lists Set-Cookie and nothing else.
func onlySetCookie(arg []byte) bool {
	seen := false
	for len(arg) > 0 {
		var n []byte
		n, arg, _ = bytes.Cut(arg, []byte(","))
		switch n = bytes.TrimSpace(n); {
		case len(n) == 0:
		case foldEq(n, "set-cookie"):
			seen = true
		default:
			return false
		}
	}
	return seen
}
