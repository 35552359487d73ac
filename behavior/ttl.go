package behavior

import "time"

// CloudFront's TTL defaults (MinTTL, DefaultTTL and MaxTTL in
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html), used
// when a policy leaves a TTL unset.
const (
	DefaultMinTTL     = 0
	DefaultDefaultTTL = 86400 * time.Second
	DefaultMaxTTL     = 31536000 * time.Second
	// DefaultErrorCachingMinTTL is how long errors are cached when no custom error response
	// says otherwise.
	DefaultErrorCachingMinTTL = 10 * time.Second
)

// TTLPolicy is CloudFront's Min/Default/Max TTL of one behavior. The zero value caches
// nothing (it is CachingDisabled).
type TTLPolicy struct{ Min, Default, Max time.Duration }

// Decision is the full outcome of TTLPolicy.Decide.
type Decision struct {
	// TTL is how long the edge may serve the object without asking the origin again.
	TTL time.Duration
	// Cache is false when the object must not be stored (TTL is then 0).
	Cache bool
	// Directives are the parsed Cache-Control directives. When Directives.Restricted() and
	// Cache are both true (MinTTL > 0), CloudFront still asks the origin on the next request
	// and serves the held copy only when the origin cannot be reached.
	Directives Directives
}

// ObjectTTL decides the edge TTL of a 2xx or 3xx response from its Cache-Control, Expires
// and Date header values (raw bytes; nil or empty when absent) and the time now the
// response was received. cache is false when the response must not be stored. See Decide
// for the rules.
func (p TTLPolicy) ObjectTTL(status int, cacheControl, expires, date []byte, now time.Time) (ttl time.Duration, cache bool) {
	d := p.Decide(status, cacheControl, expires, date, now)
	return d.TTL, d.Cache
}

// Decide applies CloudFront's expiration table
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html#ExpirationDownloadDist)
// to a 2xx or 3xx response:
//   - statuses outside 200–399 are not cached here (errors go through ErrorTTL);
//   - 307 and 308 are cached only when the origin sent a non-empty Cache-Control;
//   - no-cache, no-store or private: not cached when Min is 0, kept for exactly Min otherwise;
//   - the origin TTL is s-maxage, else max-age, else Expires − Date: the freshness lifetime
//     counts from the origin's Date, not from the edge clock (RFC 9111 §4.2.1), and a Date
//     that is absent or not a valid HTTP-date is replaced by the receive time now (RFC 9110
//     §6.6.1). An Expires not after that Date, or not a valid HTTP-date, counts as 0 (RFC
//     9111 §5.3). The origin TTL is clamped to [Min, Max];
//   - with none of the three, Default clamped to [Min, Max];
//   - a resulting TTL of 0 means not cached (max-age=0 with Min 0, CachingDisabled).
//
// The TTL is a freshness lifetime: the caller subtracts the response's age
// (CorrectedInitialAge) to know how long the edge may still serve it. When Max < Min, Max
// wins. Decide allocates nothing for IMF-fixdate Expires and Date values.
func (p TTLPolicy) Decide(status int, cacheControl, expires, date []byte, now time.Time) Decision {
	d := Decision{Directives: ParseCacheControl(cacheControl)}
	if status < 200 || status > 399 {
		return d
	}
	if (status == 307 || status == 308) && !d.Directives.Any {
		return d
	}
	if d.Directives.Restricted() {
		if p.Min > 0 {
			d.TTL = min(p.Min, max(p.Max, 0))
			d.Cache = d.TTL > 0
		}
		return d
	}
	ttl, ok := headerTTL(&d.Directives, expires, date, now)
	if !ok {
		ttl = p.Default
	}
	d.TTL = p.clamp(ttl)
	d.Cache = d.TTL > 0
	return d
}

func (p TTLPolicy) clamp(ttl time.Duration) time.Duration {
	ttl = max(ttl, p.Min)
	ttl = min(ttl, p.Max)
	return max(ttl, 0)
}

// headerTTL is the origin's TTL: s-maxage, else max-age, else Expires − Date, with now for
// an absent or invalid Date (0 when Expires is not after it, or invalid). ok is false when
// the origin sent none of them.
func headerTTL(d *Directives, expires, date []byte, now time.Time) (ttl time.Duration, ok bool) {
	switch {
	case d.HasSMaxAge:
		return d.SMaxAge, true
	case d.HasMaxAge:
		return d.MaxAge, true
	}
	if !hasValue(expires) {
		return 0, false
	}
	t, valid := ParseHTTPDate(expires)
	if !valid {
		return 0, true
	}
	base := now
	if hasValue(date) {
		if dt, ok := ParseHTTPDate(date); ok {
			base = dt
		}
	}
	if !t.After(base) {
		return 0, true
	}
	return t.Sub(base), true // time.Time.Sub saturates; HTTP-dates are far from its limits
}

// hasValue reports whether a header value has anything but whitespace.
func hasValue(v []byte) bool {
	for _, c := range v {
		if !isOWS(c) {
			return true
		}
	}
	return false
}

// ErrorTTL decides whether and how long an error response is cached
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html#HTTPStatusCodes-cached-errors,
// and "Controlling how long CloudFront caches errors" in
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/GeneratingCustomErrorResponses.html):
//   - 404, 414, 500, 501, 502, 503 and 504 are always cached;
//   - 400, 403, 405, 412 and 415 only when the origin sent max-age or s-maxage;
//   - 416 never, and no other status (401, 410, 429, …) either;
//   - the duration is max(minTTL, header TTL), where the header TTL (s-maxage, else max-age,
//     else Expires − Date, as in Decide) is capped at p.Max; other directives (no-cache,
//     no-store, private) do not change it;
//   - a duration of 0 (ErrorCachingMinTTL 0 and no header TTL) means not cached.
//
// minTTL is the custom error response's ErrorCachingMinTTL, else DefaultErrorCachingMinTTL.
func (p TTLPolicy) ErrorTTL(status int, cacheControl, expires, date []byte, minTTL time.Duration, now time.Time) (ttl time.Duration, cache bool) {
	d := ParseCacheControl(cacheControl)
	switch status {
	case 404, 414, 500, 501, 502, 503, 504:
	case 400, 403, 405, 412, 415:
		if !d.HasMaxAge && !d.HasSMaxAge {
			return 0, false
		}
	default:
		return 0, false
	}
	ttl = max(minTTL, 0)
	if h, ok := headerTTL(&d, expires, date, now); ok {
		ttl = max(ttl, min(h, max(p.Max, 0)))
	}
	return ttl, ttl > 0
}
