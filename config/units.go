package config

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Size is a number of bytes. In TOML it is a bare integer (bytes) or a string made of a
// number and an optional unit: "1024", "512MiB", "64MB", "1.5GiB", "10KiB", "100B".
// Binary units are KiB, MiB, GiB and TiB (powers of 1024); decimal units are KB, MB, GB and
// TB (powers of 1000); "B" or no unit means bytes. Units are case-insensitive. A fraction
// is allowed ("1.5GiB"); fractions of a byte are dropped. Negative sizes are rejected.
type Size int64

// Byte multiples accepted by Size.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
	TiB Size = 1 << 40
)

// maxSizeText bounds the text UnmarshalText will look at, so hostile input cannot make it
// do big-number arithmetic on megabytes of digits.
const maxSizeText = 64

// sizeUnit is a unit Size accepts and its multiplier.
type sizeUnit struct {
	name string
	mult int64
}

func sizeUnits() []sizeUnit {
	return []sizeUnit{
		{"TiB", int64(TiB)}, {"GiB", int64(GiB)}, {"MiB", int64(MiB)}, {"KiB", int64(KiB)},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
		{"B", 1},
	}
}

// ParseSize parses the text form of a Size (see Size). Errors name the text.
func ParseSize(s string) (Size, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("invalid size %q: empty", orig)
	}
	if len(s) > maxSizeText {
		return 0, fmt.Errorf("invalid size %.20q...: too long", orig)
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("invalid size %q: negative", orig)
	}
	s = strings.TrimPrefix(s, "+")
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	if !isDecimal(num) {
		return 0, fmt.Errorf("invalid size %q: want a number and a unit such as \"512MiB\"", orig)
	}
	mult := int64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range sizeUnits() {
		if strings.EqualFold(unit, u.name) {
			mult = u.mult
		}
	}
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (want B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)", orig, unit)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("invalid size %q: bad number", orig)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	n := new(big.Int).Quo(r.Num(), r.Denom()) // truncates: fractions of a byte are dropped
	if !n.IsInt64() {
		return 0, fmt.Errorf("invalid size %q: too large", orig)
	}
	return Size(n.Int64()), nil
}

// isDecimal reports whether s is digits with at most one '.', and at least one digit.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// UnmarshalText implements encoding.TextUnmarshaler. The TOML decoder also passes bare
// integers here (as their decimal text), so `memory = 1048576` works.
func (s *Size) UnmarshalText(text []byte) error {
	v, err := ParseSize(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String returns the size in the largest unit that divides it exactly ("512MiB", "64MB",
// "1001B"). ParseSize(s.String()) == s for every s ≥ 0.
func (s Size) String() string {
	if s < 0 {
		return strconv.FormatInt(int64(s), 10) + "B"
	}
	if s == 0 {
		return "0B"
	}
	best := sizeUnit{"B", 1}
	for _, u := range sizeUnits() {
		if int64(s)%u.mult == 0 && u.mult > best.mult {
			best = u
		}
	}
	return strconv.FormatInt(int64(s)/best.mult, 10) + best.name
}

// Duration is a time span. In TOML it is a Go duration string ("30s", "1m30s", "250ms") or
// a bare number meaning seconds (30, or "30"). Negative durations are rejected.
type Duration time.Duration

// ParseDuration parses the text form of a Duration (see Duration). Errors name the text.
func ParseDuration(s string) (Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q: empty", orig)
	}
	if len(s) > maxSizeText {
		return 0, fmt.Errorf("invalid duration %.20q...: too long", orig)
	}
	if isDecimal(strings.TrimPrefix(s, "-")) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: %w", orig, err)
		}
		if f < 0 {
			return 0, fmt.Errorf("invalid duration %q: negative", orig)
		}
		ns := f * float64(time.Second)
		if ns >= math.MaxInt64 {
			return 0, fmt.Errorf("invalid duration %q: too large", orig)
		}
		return Duration(ns), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want e.g. \"30s\", \"1m30s\", \"250ms\" or a number of seconds", orig)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: negative", orig)
	}
	return Duration(d), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. The TOML decoder also passes bare
// numbers here (as their decimal text), so `read_timeout = 60` means 60 seconds.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the Go duration form ("1m30s"), which ParseDuration accepts.
func (d Duration) String() string { return time.Duration(d).String() }
