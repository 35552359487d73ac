package behavior

import (
	"testing"
	"time"
)

const (
	sec  = time.Second
	hour = time.Hour
	day  = 24 * time.Hour
)

func httpDate(t time.Time) string { return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") }

func TestObjectTTL(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	in1h := httpDate(now.Add(hour))
	in2y := httpDate(now.Add(2 * 365 * day))
	past := httpDate(now.Add(-hour))
	defaults := TTLPolicy{Min: 0, Default: 86400 * sec, Max: 31536000 * sec}
	min1h := TTLPolicy{Min: hour, Default: day, Max: 30 * day}
	minBig := TTLPolicy{Min: 2 * day, Default: day, Max: 30 * day} // Min > Default
	disabled := TTLPolicy{}
	tests := []struct {
		name    string
		p       TTLPolicy
		status  int
		cc, exp string
		ttl     time.Duration
		cache   bool
	}{
		// §3.2 row: max-age=N.
		{"max-age, min 0", defaults, 200, "max-age=600", "", 600 * sec, true},
		{"max-age above Max, min 0", TTLPolicy{Default: day, Max: hour}, 200, "max-age=7200", "", hour, true},
		{"max-age, min>0 below Min", min1h, 200, "max-age=60", "", hour, true},
		{"max-age, min>0 inside", min1h, 200, "max-age=7200", "", 2 * hour, true},
		{"max-age, min>0 above Max", min1h, 200, "max-age=99999999", "", 30 * day, true},
		// §3.2 row: no max-age/s-maxage/Expires.
		{"none, min 0", defaults, 200, "", "", 86400 * sec, true},
		{"none, min>0", min1h, 200, "", "", day, true},
		{"none, Min > Default", minBig, 200, "", "", 2 * day, true},
		{"only unrelated directive", defaults, 200, "public", "", 86400 * sec, true},
		// §3.2 row: max-age and s-maxage.
		{"s-maxage beats max-age, min 0", defaults, 200, "max-age=10, s-maxage=300", "", 300 * sec, true},
		{"s-maxage first in list", defaults, 200, "s-maxage=300, max-age=10", "", 300 * sec, true},
		{"s-maxage, min>0 clamp up", min1h, 200, "max-age=99999, s-maxage=5", "", hour, true},
		{"s-maxage above Max", min1h, 200, "s-maxage=99999999", "", 30 * day, true},
		{"s-maxage=0 with max-age, min 0", defaults, 200, "max-age=600, s-maxage=0", "", 0, false},
		// §3.2 row: Expires.
		{"Expires, min 0", defaults, 200, "", in1h, hour, true},
		{"Expires beyond Max, min 0", TTLPolicy{Default: day, Max: 30 * day}, 200, "", in2y, 30 * day, true},
		{"Expires, min>0 below Min", TTLPolicy{Min: 2 * hour, Default: day, Max: 30 * day}, 200, "", in1h, 2 * hour, true},
		{"Expires in the past, min 0", defaults, 200, "", past, 0, false},
		{"Expires in the past, min>0", min1h, 200, "", past, hour, true},
		{"Expires invalid counts as past", defaults, 200, "", "0", 0, false},
		{"Expires invalid, min>0", min1h, 200, "", "yesterday", hour, true},
		{"Expires blank is absent", defaults, 200, "", "  ", 86400 * sec, true},
		{"max-age beats Expires", defaults, 200, "max-age=60", in1h, time.Minute, true},
		{"max-age beats past Expires", defaults, 200, "max-age=60", past, time.Minute, true},
		{"s-maxage beats Expires", defaults, 200, "s-maxage=120", in1h, 2 * time.Minute, true},
		// §3.2 row: no-cache / no-store / private.
		{"no-cache, min 0", defaults, 200, "no-cache", "", 0, false},
		{"no-store, min 0", defaults, 200, "no-store, max-age=600", "", 0, false},
		{"private, min 0", defaults, 200, "private, max-age=600", in1h, 0, false},
		{"PRIVATE upper case", defaults, 200, "PRIVATE", "", 0, false},
		// A qualified no-cache stores the object without the named fields (Cookies.html,
		// "Suspending caching based on cookies"; RFC 9111 §5.2.2.4).
		{`no-cache="Set-Cookie"`, defaults, 200, `no-cache="Set-Cookie"`, "", 86400 * sec, true},
		{`no-cache="Set-Cookie", max-age`, defaults, 200, `no-cache="Set-Cookie", max-age=60`, "", time.Minute, true},
		{"no-cache, min>0 keeps Min", min1h, 200, "no-cache, max-age=99999", "", hour, true},
		{"no-store, min>0 keeps Min", min1h, 200, "no-store", "", hour, true},
		{"private, min>0 keeps Min", min1h, 200, "private", in2y, hour, true},
		// max-age=0.
		{"max-age=0, min 0", defaults, 200, "max-age=0", "", 0, false},
		{"max-age=0, min>0", min1h, 200, "max-age=0", "", hour, true},
		{"max-age invalid is stale", defaults, 200, "max-age=soon", "", 0, false},
		// CachingDisabled.
		{"disabled, max-age", disabled, 200, "max-age=600", "", 0, false},
		{"disabled, nothing", disabled, 200, "", "", 0, false},
		// Status rules.
		{"301 normal rules", defaults, 301, "", "", 86400 * sec, true},
		{"302 normal rules", defaults, 302, "max-age=5", "", 5 * sec, true},
		{"206 normal rules", defaults, 206, "", "", 86400 * sec, true},
		{"307 without Cache-Control", defaults, 307, "", in1h, 0, false},
		{"308 without Cache-Control", defaults, 308, "", "", 0, false},
		{"307 with Cache-Control", defaults, 307, "max-age=60", "", time.Minute, true},
		{"308 with unrelated Cache-Control", defaults, 308, "public", "", 86400 * sec, true},
		{"error statuses are not for ObjectTTL", defaults, 404, "max-age=60", "", 0, false},
		{"1xx", defaults, 100, "max-age=60", "", 0, false},
	}
	for _, tt := range tests {
		ttl, cache := tt.p.ObjectTTL(tt.status, []byte(tt.cc), []byte(tt.exp), nil, now)
		if ttl != tt.ttl || cache != tt.cache {
			t.Errorf("%s: ObjectTTL(%d, %q, %q) = %v, %v; want %v, %v",
				tt.name, tt.status, tt.cc, tt.exp, ttl, cache, tt.ttl, tt.cache)
		}
	}
}

func TestDecideRestricted(t *testing.T) {
	p := TTLPolicy{Min: hour, Default: day, Max: 30 * day}
	d := p.Decide(200, []byte("no-cache"), nil, nil, time.Now())
	if !d.Cache || d.TTL != hour || !d.Directives.Restricted() {
		t.Errorf("Decide(no-cache) = %+v", d)
	}
	d = p.Decide(200, []byte("max-age=60, stale-if-error=300"), nil, nil, time.Now())
	if d.Directives.Restricted() || !d.Directives.HasStaleIfError || d.Directives.StaleIfError != 5*time.Minute {
		t.Errorf("Decide(stale-if-error) = %+v", d)
	}
}

func TestErrorTTL(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	p := TTLPolicy{Min: 0, Default: day, Max: hour}
	in30m := httpDate(now.Add(30 * time.Minute))
	in1d := httpDate(now.Add(day))
	tests := []struct {
		status  int
		cc, exp string
		minTTL  time.Duration
		ttl     time.Duration
		cache   bool
	}{
		// Always cached, for ErrorCachingMinTTL.
		{404, "", "", 10 * sec, 10 * sec, true},
		{414, "", "", 10 * sec, 10 * sec, true},
		{500, "", "", 10 * sec, 10 * sec, true},
		{501, "", "", 10 * sec, 10 * sec, true},
		{502, "", "", 10 * sec, 10 * sec, true},
		{503, "", "", 10 * sec, 10 * sec, true},
		{504, "", "", 10 * sec, 10 * sec, true},
		{404, "", "", 5 * time.Minute, 5 * time.Minute, true}, // custom ErrorCachingMinTTL
		{404, "no-store", "", 10 * sec, 10 * sec, true},       // other directives mean MinTTL
		{404, "", "", 0, 0, false},                            // ErrorCachingMinTTL 0: not cached
		// Header TTL when longer than the minimum.
		{404, "max-age=600", "", 10 * sec, 600 * sec, true},
		{503, "s-maxage=120, max-age=600", "", 10 * sec, 120 * sec, true},
		{500, "", in30m, 10 * sec, 30 * time.Minute, true},
		{404, "max-age=5", "", 10 * sec, 10 * sec, true},     // max(min, header)
		{404, "max-age=86400", "", 10 * sec, hour, true},     // capped at Max
		{404, "", in1d, 10 * sec, hour, true},                // Expires capped at Max
		{404, "max-age=86400", "", 2 * hour, 2 * hour, true}, // min beats the cap
		{404, "max-age=0", "", 0, 0, false},
		// Cached only with max-age or s-maxage.
		{400, "", "", 10 * sec, 0, false},
		{403, "", in30m, 10 * sec, 0, false}, // Expires alone does not qualify
		{405, "no-cache", "", 10 * sec, 0, false},
		{412, "", "", 10 * sec, 0, false},
		{415, "", "", 10 * sec, 0, false},
		{400, "max-age=60", "", 10 * sec, 60 * sec, true},
		{403, "s-maxage=30", "", 10 * sec, 30 * sec, true},
		{405, "max-age=1", "", 10 * sec, 10 * sec, true},
		{412, "max-age=99999", "", 10 * sec, hour, true},
		{415, "max-age=0", "", 10 * sec, 10 * sec, true},
		// Never cached.
		{416, "max-age=600", "", 10 * sec, 0, false},
		{416, "", "", time.Minute, 0, false},
		{401, "max-age=600", "", 10 * sec, 0, false},
		{410, "max-age=600", "", 10 * sec, 0, false},
		{429, "", "", 10 * sec, 0, false},
		{505, "", "", 10 * sec, 0, false},
		{200, "", "", 10 * sec, 0, false},
	}
	for _, tt := range tests {
		ttl, cache := p.ErrorTTL(tt.status, []byte(tt.cc), []byte(tt.exp), nil, tt.minTTL, now)
		if ttl != tt.ttl || cache != tt.cache {
			t.Errorf("ErrorTTL(%d, %q, %q, %v) = %v, %v; want %v, %v",
				tt.status, tt.cc, tt.exp, tt.minTTL, ttl, cache, tt.ttl, tt.cache)
		}
	}
}

// TestTTLFromDate: Expires counts from the origin's Date (RFC 9111 §4.2.1), not from the
// edge clock; without a valid Date, from the receive time. Min/Default/Max still clamp.
func TestTTLFromDate(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) // receive time
	at := func(d time.Duration) string { return httpDate(now.Add(d)) }
	defaults := TTLPolicy{Min: 0, Default: 86400 * sec, Max: 31536000 * sec}
	min1h := TTLPolicy{Min: hour, Default: day, Max: 30 * day}
	tests := []struct {
		name          string
		p             TTLPolicy
		cc, exp, date string
		ttl           time.Duration
		cache         bool
	}{
		{"Date = now", defaults, "", at(hour), at(0), hour, true},
		{"Date 10 min ago: lifetime from Date", defaults, "", at(hour), at(-10 * time.Minute), 70 * time.Minute, true},
		{"Date in the future", defaults, "", at(2 * hour), at(hour), hour, true},
		{"Expires before now but after Date", defaults, "", at(-time.Minute), at(-hour), 59 * time.Minute, true},
		{"Expires = Date", defaults, "", at(hour), at(hour), 0, false},
		{"Expires before Date", defaults, "", at(0), at(hour), 0, false},
		{"Expires before Date, min>0", min1h, "", at(0), at(hour), hour, true},
		{"Date missing: receive time", defaults, "", at(hour), "", hour, true},
		{"Date blank: receive time", defaults, "", at(hour), "  ", hour, true},
		{"Date invalid: receive time", defaults, "", at(hour), "yesterday", hour, true},
		{"Date RFC 850", defaults, "", at(hour), now.Add(-hour).Format(time.RFC850), 2 * hour, true},
		{"lifetime clamped to Max", TTLPolicy{Default: day, Max: hour}, "", at(day), at(-day), hour, true},
		{"lifetime clamped to Min", min1h, "", at(time.Minute), at(0), hour, true},
		{"max-age ignores Date", defaults, "max-age=60", at(hour), at(-day), time.Minute, true},
		{"no Expires: Default, Date unused", defaults, "", "", at(-day), 86400 * sec, true},
		{"no-cache ignores Date", defaults, "no-cache", at(hour), at(0), 0, false},
	}
	for _, tt := range tests {
		ttl, cache := tt.p.ObjectTTL(200, []byte(tt.cc), []byte(tt.exp), []byte(tt.date), now)
		if ttl != tt.ttl || cache != tt.cache {
			t.Errorf("%s: ObjectTTL(cc %q, Expires %q, Date %q) = %v, %v; want %v, %v",
				tt.name, tt.cc, tt.exp, tt.date, ttl, cache, tt.ttl, tt.cache)
		}
		if d := tt.p.Decide(200, []byte(tt.cc), []byte(tt.exp), []byte(tt.date), now); d.TTL != tt.ttl || d.Cache != tt.cache {
			t.Errorf("%s: Decide = %v, %v; want %v, %v", tt.name, d.TTL, d.Cache, tt.ttl, tt.cache)
		}
	}
	// Error caching counts Expires from Date too.
	p := TTLPolicy{Max: day}
	errTests := []struct {
		name      string
		exp, date string
		ttl       time.Duration
	}{
		{"Date 20 min ago", at(30 * time.Minute), at(-20 * time.Minute), 50 * time.Minute},
		{"Date missing", at(30 * time.Minute), "", 30 * time.Minute},
		{"Date in the future", at(30 * time.Minute), at(20 * time.Minute), 10 * time.Minute},
		{"Expires before Date: minimum", at(0), at(time.Minute), 10 * sec},
	}
	for _, tt := range errTests {
		ttl, cache := p.ErrorTTL(404, nil, []byte(tt.exp), []byte(tt.date), 10*sec, now)
		if ttl != tt.ttl || !cache {
			t.Errorf("%s: ErrorTTL(Expires %q, Date %q) = %v, %v; want %v, true", tt.name, tt.exp, tt.date, ttl, cache, tt.ttl)
		}
	}
}
