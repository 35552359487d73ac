package accesslog

import (
	"strings"
	"testing"
	"time"
)

// FuzzEncode checks that any value encodes to a single token of printable ASCII (no tab,
// newline or space) that Decode turns back into the value.
func FuzzEncode(f *testing.F) {
	for _, nr := range sampleRecords() {
		f.Add(nr.r.UserAgent)
		f.Add(nr.r.Query)
	}
	f.Add([]byte("-"))
	f.Add([]byte("%2D"))
	f.Add([]byte{0, 0x7f, 0x80, 0xff, '\t', '\n', ' '})
	f.Fuzz(func(t *testing.T, v []byte) {
		enc := AppendValue(nil, v)
		if len(enc) == 0 {
			t.Fatal("empty encoding")
		}
		for _, c := range enc {
			if c <= ' ' || c >= 0x7f {
				t.Fatalf("AppendValue(%q) = %q holds byte %#x", v, enc, c)
			}
		}
		if s := string(appendString(nil, string(v))); s != string(enc) {
			t.Fatalf("appendString(%q) = %q, AppendValue = %q", v, s, enc)
		}
		dec, err := Decode(string(enc))
		if err != nil || dec != string(v) {
			t.Fatalf("Decode(%q) = %q, %v; want %q", enc, dec, err, v)
		}
	})
}

// FuzzParseLine checks that ParseLine and Decode never panic, that a parsed line is
// exactly its fields joined by tabs, and that a decoded value encodes to a value that decodes
// to the same.
func FuzzParseLine(f *testing.F) {
	for _, nr := range sampleRecords() {
		f.Add(string(AppendRecord(nil, &nr.r, nr.r.Time)))
	}
	f.Add("#Version: 1.0")
	f.Add(strings.Repeat("-\t", NumFields-1) + "%")
	f.Fuzz(func(t *testing.T, line string) {
		m, err := ParseLine(line)
		if err != nil {
			return
		}
		vals := make([]string, 0, NumFields)
		for _, name := range Fields() {
			v, ok := m[name]
			if !ok || v == "" {
				t.Fatalf("field %s missing or empty in %q", name, line)
			}
			vals = append(vals, v)
			dec, err := Decode(v)
			if err != nil {
				continue
			}
			if again, err := Decode(string(AppendValue(nil, []byte(dec)))); err != nil || again != dec {
				t.Fatalf("value %q: re-encoded decodes to %q, %v; want %q", v, again, err, dec)
			}
		}
		trimmed := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if strings.Join(vals, "\t") != trimmed {
			t.Fatalf("fields of %q do not join back to the line", line)
		}
	})
}

// The zero time value must format without panicking too (years before 1 are not ours to fix).
func TestAppendRecordZeroTime(t *testing.T) {
	if _, err := ParseLine(string(AppendRecord(nil, &Record{}, time.Time{}))); err != nil {
		t.Error(err)
	}
}
