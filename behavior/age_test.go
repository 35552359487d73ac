package behavior

import (
	"testing"
	"time"
)

func TestParseAge(t *testing.T) {
	tests := []struct {
		v    string
		secs int64
		ok   bool
	}{
		{"0", 0, true},
		{"120", 120, true},
		{" 60 ", 60, true},
		{"\t7", 7, true},
		{"007", 7, true},
		{"1, 2", 1, true},    // list: the first member
		{"5,abc", 5, true},   // the rest is discarded unread
		{"abc", 0, false},    // not digits: ignored
		{"-1", 0, false},     // negative: ignored
		{"+1", 0, false},     // sign: ignored
		{"1.5", 0, false},    // fraction: ignored
		{"1 2", 0, false},    // inner space: ignored
		{`"5"`, 0, false},    // quoted: ignored
		{"", 0, false},       // empty
		{"   ", 0, false},    // blank
		{", 5", 0, false},    // empty first member
		{"abc, 5", 0, false}, // invalid first member is not skipped
		{"2147483647", 2147483647, true},
		{"2147483648", MaxAge, true},
		{"2147483649", MaxAge, true},
		{"99999999999999999999", MaxAge, true}, // would overflow int64
		{"99999999999999999999999999999999999999999", MaxAge, true},
	}
	for _, tt := range tests {
		secs, ok := ParseAge([]byte(tt.v))
		if secs != tt.secs || ok != tt.ok {
			t.Errorf("ParseAge(%q) = %d, %v; want %d, %v", tt.v, secs, ok, tt.secs, tt.ok)
		}
	}
}

func TestCorrectedInitialAge(t *testing.T) {
	resp := time.Date(2024, 5, 1, 12, 0, 10, 0, time.UTC) // response_time
	req := resp.Add(-2 * sec)                             // request_time: response_delay 2 s
	tests := []struct {
		name      string
		age, date string
		reqT      time.Time
		want      time.Duration
	}{
		{"nothing: the response delay", "", "", req, 2 * sec},
		{"Age plus delay", "30", "", req, 32 * sec},
		{"Date only: apparent age", "", httpDate(resp.Add(-60 * sec)), req, 60 * sec},
		{"apparent age wins", "10", httpDate(resp.Add(-60 * sec)), req, 60 * sec},
		{"corrected Age wins", "100", httpDate(resp.Add(-60 * sec)), req, 102 * sec},
		{"Date in the future: apparent 0", "", httpDate(resp.Add(hour)), req, 2 * sec},
		{"Date in the future with Age", "5", httpDate(resp.Add(hour)), req, 7 * sec},
		{"Date missing", "5", "", req, 7 * sec},
		{"Date invalid", "5", "yesterday", req, 7 * sec},
		{"Age invalid abc is ignored", "abc", "", req, 2 * sec},
		{"Age -1 is ignored", "-1", "", req, 2 * sec},
		{"Age list: first member", "1, 2", "", req, 3 * sec},
		{"Age 2^31", "2147483648", "", req, time.Duration(MaxAge)*sec + 2*sec},
		{"Age overflow", "99999999999999999999", "", req, time.Duration(MaxAge)*sec + 2*sec},
		{"request after response: no negative delay", "5", "", resp.Add(sec), 5 * sec},
		{"request long ago: no overflow", "2147483648", "", time.Unix(-1<<62, 0), 1<<63 - 1},
	}
	for _, tt := range tests {
		got := CorrectedInitialAge([]byte(tt.age), []byte(tt.date), tt.reqT, resp)
		if got != tt.want {
			t.Errorf("%s: CorrectedInitialAge(%q, %q) = %v, want %v", tt.name, tt.age, tt.date, got, tt.want)
		}
	}
}

func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"0", "120", "1, 2", "abc", "-1", "2147483648", "99999999999999999999", " 7 ", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		secs, ok := ParseAge(v)
		if secs < 0 || secs > MaxAge || !ok && secs != 0 {
			t.Fatalf("ParseAge(%q) = %d, %v", v, secs, ok)
		}
		// Appending another list member never changes the first.
		s2, ok2 := ParseAge(append(append([]byte(nil), v...), ", 9"...))
		if !containsComma(v) && (s2 != secs || ok2 != ok) {
			t.Fatalf("ParseAge(%q) = %d, %v but with \", 9\" appended %d, %v", v, secs, ok, s2, ok2)
		}
		now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		if a := CorrectedInitialAge(v, v, now.Add(-sec), now); a < 0 || ok && a < time.Duration(secs)*sec {
			t.Fatalf("CorrectedInitialAge(%q) = %v, below Age %d", v, a, secs)
		}
	})
}

func containsComma(v []byte) bool {
	for _, c := range v {
		if c == ',' {
			return true
		}
	}
	return false
}
