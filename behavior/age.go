package behavior

import (
	"math"
	"time"
)

// MaxAge is the largest Age value a cache works with: 2^31 seconds. Larger (or overflowing)
// values are taken as this, which leaves any response stale (RFC 9111 §1.2.2).
const MaxAge = int64(1) << 31

// ParseAge parses an Age header value (RFC 9111 §5.1): delta-seconds, digits only. When the
// value is a list ("1, 2"), the first member is used and the rest discarded; callers holding
// several Age lines pass the first. Whitespace around the member is ignored. An invalid
// value (empty, "abc", "-1", "1.5", "+3") is ignored: ok is false. A value of 2^31 or more,
// however many digits, is taken as 2^31 (MaxAge). It allocates nothing.
func ParseAge(v []byte) (secs int64, ok bool) {
	for i, c := range v {
		if c == ',' {
			v = v[:i]
			break
		}
	}
	v = trimOWS(v)
	if len(v) == 0 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		if secs < MaxAge {
			secs = secs*10 + int64(c-'0')
		}
	}
	return min(secs, MaxAge), true
}

// CorrectedInitialAge is how old a response already was when the edge received it, per
// RFC 9111 §4.2.3:
//
//	apparent_age          = max(0, response_time - date_value)
//	response_delay        = response_time - request_time
//	corrected_age_value   = age_value + response_delay
//	corrected_initial_age = max(apparent_age, corrected_age_value)
//
// age and date are the response's Age and Date values (raw; nil when absent). A missing or
// invalid Date gives an apparent age of 0; a missing or invalid Age (see ParseAge) an
// age_value of 0. requestTime is when the edge sent the request, responseTime when the
// response arrived; a response_delay below 0 (clocks stepped back) counts as 0. The result
// never overflows: it is at most about 292 years. It allocates nothing for an IMF-fixdate
// Date.
func CorrectedInitialAge(age, date []byte, requestTime, responseTime time.Time) time.Duration {
	var apparent time.Duration
	if hasValue(date) {
		if d, ok := ParseHTTPDate(date); ok {
			apparent = max(0, responseTime.Sub(d))
		}
	}
	delay := max(0, responseTime.Sub(requestTime))
	ageValue, _ := ParseAge(age) // 0 when invalid: the field is ignored
	corrected := time.Duration(ageValue) * time.Second
	if corrected > math.MaxInt64-delay {
		corrected = math.MaxInt64
	} else {
		corrected += delay
	}
	return max(apparent, corrected)
}
