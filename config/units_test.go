package config

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Size
		err  string // substring of the error; "" means no error
	}{
		{"bare bytes", "1024", 1024, ""},
		{"bytes unit", "100B", 100, ""},
		{"KiB", "10KiB", 10 * KiB, ""},
		{"MiB", "512MiB", 512 * MiB, ""},
		{"GiB fraction", "1.5GiB", 3 * GiB / 2, ""},
		{"TiB", "2TiB", 2 * TiB, ""},
		{"KB decimal", "10KB", 10000, ""},
		{"MB decimal", "64MB", 64_000_000, ""},
		{"GB decimal", "1GB", 1_000_000_000, ""},
		{"TB decimal", "1TB", 1_000_000_000_000, ""},
		{"lower-case unit", "512mib", 512 * MiB, ""},
		{"space before unit", "8 MiB", 8 * MiB, ""},
		{"surrounding space", " 1KiB ", KiB, ""},
		{"fraction of a byte dropped", "1.5", 1, ""},
		{"fraction rounds down", "0.3KiB", 307, ""},
		{"zero", "0", 0, ""},
		{"max int64", "9223372036854775807", math.MaxInt64, ""},
		{"negative", "-1MiB", 0, "negative"},
		{"empty", "", 0, "empty"},
		{"unknown unit", "12XB", 0, `unknown unit "XB"`},
		{"ambiguous M", "512M", 0, `unknown unit "M"`},
		{"no number", "MiB", 0, "want a number"},
		{"two dots", "1.2.3MiB", 0, "want a number"},
		{"overflow", "9223372036854775808", 0, "too large"},
		{"overflow with unit", "9000000TiB", 0, "too large"},
		{"too long", strings.Repeat("9", 100), 0, "too long"},
		{"exponent", "1e3", 0, "unknown unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseSize(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"}, {1, "1B"}, {1000, "1KB"}, {1024, "1KiB"}, {512 * MiB, "512MiB"},
		{3 * GiB / 2, "1536MiB"}, {64_000_000, "64MB"}, {1001, "1001B"}, {TiB, "1TiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		back, err := ParseSize(tt.in.String())
		if err != nil || back != tt.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d (round trip)", tt.in.String(), back, err, tt.in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		err  string
	}{
		{"seconds", "30s", 30 * time.Second, ""},
		{"compound", "1m30s", 90 * time.Second, ""},
		{"millis", "250ms", 250 * time.Millisecond, ""},
		{"bare integer is seconds", "60", time.Minute, ""},
		{"bare fraction is seconds", "1.5", 1500 * time.Millisecond, ""},
		{"zero", "0", 0, ""},
		{"negative", "-5s", 0, "negative"},
		{"negative bare", "-5", 0, "negative"},
		{"unit missing in compound", "1m30", 0, "invalid duration \"1m30\""},
		{"garbage", "soon", 0, "invalid duration \"soon\""},
		{"empty", "", 0, "empty"},
		{"overflow", "9999999999999", 0, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got.D() != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if back, err := ParseDuration(got.String()); err != nil || back != got {
				t.Errorf("round trip of %q: %v, %v", got.String(), back, err)
			}
		})
	}
}

// TestUnitsFromTOML checks the forms the TOML decoder hands over: strings, integers, floats.
func TestUnitsFromTOML(t *testing.T) {
	var v struct {
		A, B, C Size
		D, E, F Duration
	}
	doc := `A = "64MiB"` + "\n" + `B = 2048` + "\n" + `C = 1.0` + "\n" +
		`D = "1m"` + "\n" + `E = 45` + "\n" + `F = 0.5` + "\n"
	if _, err := toml.Decode(doc, &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 64*MiB || v.B != 2048 || v.C != 1 {
		t.Errorf("sizes = %d, %d, %d; want %d, 2048, 1", v.A, v.B, v.C, 64*MiB)
	}
	if v.D.D() != time.Minute || v.E.D() != 45*time.Second || v.F.D() != 500*time.Millisecond {
		t.Errorf("durations = %v, %v, %v; want 1m, 45s, 500ms", v.D, v.E, v.F)
	}
	for _, bad := range []string{`A = -1`, `A = "lots"`, `D = -3`, `D = "3 days"`} {
		if _, err := toml.Decode(bad, &v); err == nil {
			t.Errorf("%s: decoded without error", bad)
		}
	}
}
