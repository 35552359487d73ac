package behavior

import (
	"testing"
	"time"
)

// TestHostileTTLRFC850TwoDigitYear: an rfc850-date's two-digit year is the most recent year with
// those digits that is not more than 50 years in the future (RFC 9110 §5.6.7, a MUST). Go's
// time.Parse pivots at 69 instead, so in 2026 "01-Jan-75" reads as 1975 (expired: not cached)
// where it is 2075 (cached for MaxTTL). Low impact; Expiration.html says CloudFront caches until
// the Expires date (capped at MaxTTL).
func TestHostileTTLRFC850TwoDigitYear(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got, ok := ParseHTTPDate([]byte("Tuesday, 01-Jan-75 00:00:00 GMT"))
	if !ok || got.Year() != 2075 {
		t.Errorf(`"Tuesday, 01-Jan-75 …" parsed as %v (ok=%v), want 2075`, got, ok)
	}
	p := TTLPolicy{Default: time.Hour, Max: 24 * time.Hour}
	if d := p.Decide(200, nil, []byte("Tuesday, 01-Jan-75 00:00:00 GMT"), nil, now); !d.Cache || d.TTL != 24*time.Hour {
		t.Errorf("Expires in 2075 (rfc850 form): ttl %v cache %v, want MaxTTL", d.TTL, d.Cache)
	}
}

// TestHostileTTLPins pins TTL rules of Expiration.html and HTTPStatusCodes.html on odd headers.
func TestHostileTTLPins(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := TTLPolicy{Default: 100 * time.Second, Max: 1000 * time.Second}
	cases := []struct {
		name   string
		status int
		cc     string
		exp    string
		ttl    time.Duration
		cache  bool
	}{
		{"quoted max-age", 200, `max-age="60"`, "", 60 * time.Second, true},
		{"upper case and spaces", 200, ` MAX-AGE = 60 ,PUBLIC`, "", 60 * time.Second, true},
		{"first max-age wins", 200, `max-age=60, max-age=0`, "", 60 * time.Second, true},
		{"s-maxage=0 beats max-age", 200, `max-age=600, s-maxage=0`, "", 0, false},
		{"negative max-age is stale", 200, `max-age=-5`, "", 0, false},
		{"overflowing max-age capped at Max", 200, `max-age=999999999999999999999999`, "", 1000 * time.Second, true},
		{"max-age beats a past Expires", 200, `max-age=60`, "Thu, 01 Jan 1970 00:00:00 GMT", 60 * time.Second, true},
		{"Expires 0 is expired", 200, ``, "0", 0, false},
		{"directive inside a quoted value is not one", 200, `foo="max-age=0, no-store", max-age=60`, "", 60 * time.Second, true},
		{"307 without Cache-Control", 307, ``, "Thu, 01 Jan 2026 00:01:00 GMT", 0, false},
	}
	for _, c := range cases {
		var exp []byte
		if c.exp != "" {
			exp = []byte(c.exp)
		}
		d := p.Decide(c.status, []byte(c.cc), exp, nil, now)
		if d.TTL != c.ttl || d.Cache != c.cache {
			t.Errorf("%s: ttl %v cache %v, want %v %v", c.name, d.TTL, d.Cache, c.ttl, c.cache)
		}
	}
	errs := []struct {
		name   string
		status int
		cc     string
		exp    string
		ttl    time.Duration
		cache  bool
	}{
		{"416 never, even with max-age", 416, `max-age=600`, "", 0, false},
		{"400 with Expires only: not cached", 400, ``, "Thu, 01 Jan 2026 01:00:00 GMT", 0, false},
		{"403 with max-age: max(header, min)", 403, `max-age=30`, "", 30 * time.Second, true},
		{"404 no-store still min", 404, `no-store`, "", 10 * time.Second, true},
		{"503 header capped at Max", 503, `s-maxage=5000`, "", 1000 * time.Second, true},
		{"410 never", 410, `max-age=600`, "", 0, false},
	}
	for _, c := range errs {
		var exp []byte
		if c.exp != "" {
			exp = []byte(c.exp)
		}
		ttl, ok := p.ErrorTTL(c.status, []byte(c.cc), exp, nil, 10*time.Second, now)
		if ttl != c.ttl || ok != c.cache {
			t.Errorf("%s: ttl %v cache %v, want %v %v", c.name, ttl, ok, c.ttl, c.cache)
		}
	}
}

func TestRFC850Year(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ yy, want int }{
		{26, 2026}, {75, 2075}, {76, 2076}, {77, 1977}, {99, 1999}, {0, 2000}, {69, 2069},
	} {
		in := time.Date(1900+tc.yy, 1, 1, 0, 0, 0, 0, time.UTC)
		if got := rfc850Year(in, now).Year(); got != tc.want {
			t.Errorf("two-digit year %02d in 2026: %d, want %d", tc.yy, got, tc.want)
		}
	}
}
