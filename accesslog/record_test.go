package accesslog

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty is absent", "", "-"},
		{"lone dash is escaped", "-", "%2D"},
		{"dashes inside are kept", "a-b--", "a-b--"},
		{"plain", "GET", "GET"},
		{"space", "a b", "a%20b"},
		{"tab and newlines", "a\tb\nc\rd", "a%09b%0Ac%0Dd"},
		{"control and DEL", "\x00\x1f\x7f", "%00%1F%7F"},
		{"every listed character", "<>\"#%{}|\\^~[]`'", "%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60%27"},
		{"unicode as UTF-8 bytes", "caf\u00e9 \u2603", "caf%C3%A9%20%E2%98%83"},
		{"already encoded is encoded again", "a%20b", "a%2520b"},
		{"kept punctuation", "+&=/?:;,.!*()@$_", "+&=/?:;,.!*()@$_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendValue([]byte("x"), []byte(tt.in))); got != "x"+tt.want {
				t.Errorf("AppendValue(%q) = %q, want %q", tt.in, got[1:], tt.want)
			}
			if got := string(appendString(nil, tt.in)); got != tt.want {
				t.Errorf("appendString(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got, err := Decode(tt.want); err != nil || got != tt.in {
				t.Errorf("Decode(%q) = %q, %v; want %q", tt.want, got, err, tt.in)
			}
		})
	}
}

func TestAppendSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0.000"},
		{82 * time.Millisecond, "0.082"},
		{82*time.Millisecond + 499*time.Microsecond, "0.082"},
		{82*time.Millisecond + 500*time.Microsecond, "0.083"},
		{999600 * time.Microsecond, "1.000"},
		{61*time.Second + 5*time.Millisecond, "61.005"},
		{-time.Second, "0.000"},
		{1<<63 - 1, "9223372036.854"}, // saturates rather than overflows
	}
	for _, tt := range tests {
		if got := string(appendSeconds(nil, tt.d)); got != tt.want {
			t.Errorf("appendSeconds(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAppendDateTime(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"utc", time.Date(2024, 1, 2, 3, 4, 5, 999e6, time.UTC), "2024-01-02\t03:04:05"},
		{"east of utc rolls back a day", time.Date(2024, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)), "2023-12-31\t23:30:00"},
		{"west of utc rolls forward", time.Date(2024, 2, 28, 23, 0, 0, 0, time.FixedZone("", -3600)), "2024-02-29\t00:00:00"},
		{"small year is padded", time.Date(7, 8, 9, 10, 11, 12, 0, time.UTC), "0007-08-09\t10:11:12"},
		{"five-digit year", time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC), "12345-01-01\t00:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := string(AppendRecord(nil, &Record{}, tt.t))
			if !strings.HasPrefix(line, tt.want+"\t") {
				t.Errorf("got %q, want prefix %q", line[:min(len(line), 25)], tt.want)
			}
		})
	}
}

// TestGolden pins the formatted lines of the sample records.
func TestGolden(t *testing.T) {
	var b []byte
	for _, nr := range sampleRecords() {
		b = AppendRecord(b, &nr.r, nr.r.Time)
	}
	checkGolden(t, "records.golden", b)
}

// TestRoundTrip formats each sample record, parses the line back and compares every field
// with the record.
func TestRoundTrip(t *testing.T) {
	for _, nr := range sampleRecords() {
		t.Run(nr.name, func(t *testing.T) {
			r := &nr.r
			line := string(AppendRecord(nil, r, r.Time))
			m, err := ParseLine(line)
			if err != nil {
				t.Fatal(err)
			}
			utc := r.Time.UTC()
			opt := func(n int64) string {
				if n < 0 {
					return "-"
				}
				return strconv.FormatInt(n, 10)
			}
			status := strconv.Itoa(r.Status)
			if r.Status == 0 {
				status = "000"
			}
			port := strconv.Itoa(r.ClientPort)
			if r.ClientPort <= 0 {
				port = "-"
			}
			raw := map[string]string{
				"date": utc.Format("2006-01-02"), "time": utc.Format("15:04:05"),
				"sc-bytes": opt(r.BytesSent), "sc-status": status, "cs-bytes": opt(r.BytesReceived),
				"time-taken":         strconv.FormatFloat(max(r.TimeTaken, 0).Seconds(), 'f', 3, 64),
				"time-to-first-byte": strconv.FormatFloat(max(r.TimeToFirstByte, 0).Seconds(), 'f', 3, 64),
				"fle-status":         "-", "fle-encrypted-fields": "-", "c-port": port,
				"sc-content-len": opt(r.ContentLength), "sc-range-start": opt(r.RangeStart), "sc-range-end": opt(r.RangeEnd),
			}
			for k, want := range raw {
				if m[k] != want {
					t.Errorf("%s = %q, want %q", k, m[k], want)
				}
			}
			text := map[string]string{
				"x-edge-location": r.EdgeLocation, "c-ip": string(r.ClientIP), "cs-method": string(r.Method),
				"cs(Host)": r.Host, "cs-uri-stem": string(r.URIStem), "cs(Referer)": string(r.Referer),
				"cs(User-Agent)": string(r.UserAgent), "cs-uri-query": string(r.Query), "cs(Cookie)": string(r.Cookie),
				"x-edge-result-type": r.ResultType, "x-edge-request-id": string(r.RequestID),
				"x-host-header": string(r.HostHeader), "cs-protocol": r.Protocol,
				"x-forwarded-for": string(r.ForwardedFor), "ssl-protocol": r.SSLProtocol, "ssl-cipher": r.SSLCipher,
				"x-edge-response-result-type": r.ResponseResultType, "cs-protocol-version": string(r.ProtocolVersion),
				"x-edge-detailed-result-type": r.DetailedResultType, "sc-content-type": string(r.ContentType),
			}
			if len(raw)+len(text) != NumFields {
				t.Fatalf("test checks %d fields, want %d", len(raw)+len(text), NumFields)
			}
			for k, want := range text {
				got, err := Decode(m[k])
				if err != nil || got != want {
					t.Errorf("%s: Decode(%q) = %q, %v; want %q", k, m[k], got, err, want)
				}
				if strings.ContainsAny(m[k], " \t\n\"") {
					t.Errorf("%s = %q holds an unencoded byte", k, m[k])
				}
			}
		})
	}
}

func TestFields(t *testing.T) {
	f := Fields()
	if len(f) != NumFields || f[0] != "date" || f[14] != "x-edge-request-id" || f[32] != "sc-range-end" {
		t.Fatalf("Fields() = %q", f)
	}
	if want := "#Version: 1.0\n#Fields: " + strings.Join(f, " ") + "\n"; Header != want {
		t.Errorf("Header = %q, want %q", Header, want)
	}
	f[0] = "changed"
	if Fields()[0] != "date" {
		t.Error("Fields returns shared state")
	}
}

func TestParseLineErrors(t *testing.T) {
	good := strings.TrimSuffix(string(AppendRecord(nil, &sampleRecords()[0].r, time.Unix(0, 0))), "\n")
	tests := []struct {
		name, line, want string
	}{
		{"version directive", "#Version: 1.0", "directive"},
		{"fields directive", Header[len("#Version: 1.0\n"):], "directive"},
		{"empty", "", "1 fields"},
		{"one field short", good[:strings.LastIndexByte(good, '\t')], "32 fields"},
		{"one field more", good + "\t-", "34 fields"},
		{"space separated", strings.ReplaceAll(good, "\t", " "), "1 fields"},
		{"empty field", strings.Replace(good, "\tGET\t", "\t\t", 1), "field 6 (cs-method) is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLine(tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseLine error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	for _, suffix := range []string{"", "\n", "\r\n"} {
		m, err := ParseLine(good + suffix)
		if err != nil || m["sc-range-end"] != "-" {
			t.Errorf("ParseLine(good+%q) = sc-range-end %q, %v", suffix, m["sc-range-end"], err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{"%", "a%2", "%zz", "%2g", "ok%0"} {
		if got, err := Decode(in); err == nil {
			t.Errorf("Decode(%q) = %q, nil; want an error", in, got)
		}
	}
}

// TestEscapeTable checks the table against the rule as CloudFront states it.
func TestEscapeTable(t *testing.T) {
	if len(escapeTable) != 256 {
		t.Fatalf("escapeTable has %d entries, want 256", len(escapeTable))
	}
	for c := range 256 {
		want := c <= 32 || c >= 127 || strings.IndexByte("<>\"#%{}|\\^~[]`'", byte(c)) >= 0
		if got := needsEscape(byte(c)); got != want {
			t.Errorf("needsEscape(%#x) = %v, want %v", c, got, want)
		}
	}
}
