package httpcond

import (
	"bytes"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseRanges(t *testing.T) {
	cases := []struct {
		name string
		v    string
		size int64
		want []Range
		res  RangeResult
	}{
		// RFC 9110 §14.1.2 examples, for a 10000-byte representation.
		{"first 500", "bytes=0-499", 10000, []Range{{0, 499}}, Satisfiable},
		{"second 500", "bytes=500-999", 10000, []Range{{500, 999}}, Satisfiable},
		{"suffix 500", "bytes=-500", 10000, []Range{{9500, 9999}}, Satisfiable},
		{"open from 9500", "bytes=9500-", 10000, []Range{{9500, 9999}}, Satisfiable},
		{"first and last", "bytes=0-0,-1", 10000, []Range{{0, 0}, {9999, 9999}}, Satisfiable},
		{"adjacent", "bytes=500-600,601-999", 10000, []Range{{500, 600}, {601, 999}}, Satisfiable},
		// Clipping and unsatisfiable ranges (RFC 9110 §14.1.1, §14.1.3).
		{"one byte", "bytes=0-0", 10, []Range{{0, 0}}, Satisfiable},
		{"suffix longer than the object", "bytes=-20", 10, []Range{{0, 9}}, Satisfiable},
		{"open", "bytes=5-", 10, []Range{{5, 9}}, Satisfiable},
		{"last past the end clipped", "bytes=5-99", 10, []Range{{5, 9}}, Satisfiable},
		{"first at the end", "bytes=10-", 10, nil, Unsatisfiable},
		{"zero suffix", "bytes=-0", 10, nil, Unsatisfiable},
		{"empty representation", "bytes=0-", 0, nil, Unsatisfiable},
		{"suffix of an empty representation", "bytes=-5", 0, nil, Unsatisfiable},
		{"all unsatisfiable", "bytes=10-12,20-", 10, nil, Unsatisfiable},
		{"unsatisfiable dropped", "bytes=0-1,50-60", 10, []Range{{0, 1}}, Satisfiable},
		{"zero suffix dropped", "bytes=-0,2-3", 10, []Range{{2, 3}}, Satisfiable},
		{"multipart", "bytes=0-1,4-5", 10, []Range{{0, 1}, {4, 5}}, Satisfiable},
		{"int then suffix", "bytes=0-1,-3", 10, []Range{{0, 1}, {7, 9}}, Satisfiable},
		// Unsorted or overlapping: the whole object (RFC 9110 §14.2 MAY; CloudFront's rule).
		{"unsorted", "bytes=4-5,0-1", 10, nil, Ignore},
		{"overlapping", "bytes=0-5,5-6", 10, nil, Ignore},
		{"overlapping suffix", "bytes=5-7,-4", 10, nil, Ignore},
		{"repeated", "bytes=1-2,1-2", 10, nil, Ignore},
		{"unsorted past the end", "bytes=20-30,0-1", 10, nil, Ignore},
		// Syntax (RFC 9110 §14.1.1, §14.1, §5.6.1).
		{"unit is case-insensitive", "BYTES=1-2", 10, []Range{{1, 2}}, Satisfiable},
		{"mixed-case unit", "Bytes=1-2", 10, []Range{{1, 2}}, Satisfiable},
		{"OWS around elements", "bytes= 0-1 ,\t4-5 ", 10, []Range{{0, 1}, {4, 5}}, Satisfiable},
		{"trailing empty element", "bytes=0-1,", 10, []Range{{0, 1}}, Satisfiable},
		{"empty elements inside", "bytes=0-1,, ,4-5", 10, []Range{{0, 1}, {4, 5}}, Satisfiable},
		{"leading empty element", "bytes=,2-3", 10, []Range{{2, 3}}, Satisfiable},
		{"no range-spec", "bytes=", 10, nil, Ignore},
		{"only commas", "bytes=,,", 10, nil, Ignore},
		{"OWS inside a range", "bytes=1 - 2", 10, nil, Ignore},
		{"space before =", "bytes =1-2", 10, nil, Ignore},
		{"other unit", "items=0-1", 10, nil, Ignore},
		{"no unit", "0-1", 10, nil, Ignore},
		{"last before first", "bytes=5-3", 10, nil, Ignore},
		{"no dash", "bytes=5", 10, nil, Ignore},
		{"bare dash", "bytes=-", 10, nil, Ignore},
		{"negative", "bytes=--1", 10, nil, Ignore},
		{"letters", "bytes=x-2", 10, nil, Ignore},
		{"sign", "bytes=+1-2", 10, nil, Ignore},
		{"one bad spec spoils all", "bytes=0-1,x", 10, nil, Ignore},
		// RFC 9110 §14.1.1: large numerals must not fail the parse; they saturate.
		{"first past int64", "bytes=99999999999999999999-", 10, nil, Unsatisfiable},
		{"suffix past int64", "bytes=-99999999999999999999", 10, []Range{{0, 9}}, Satisfiable},
		{"last past int64", "bytes=5-99999999999999999999", 10, []Range{{5, 9}}, Satisfiable},
		{"largest int64", "bytes=9223372036854775807-", 10, nil, Unsatisfiable},
		{"leading zeros", "bytes=0000000000000000000001-0000000000000000000002", 10, []Range{{1, 2}}, Satisfiable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, res := ParseRanges(nil, []byte(c.v), c.size)
			if res != c.res || !slices.Equal(rs, c.want) {
				t.Errorf("ParseRanges(%q, %d) = %v %v; want %v %v", c.v, c.size, rs, res, c.want, c.res)
			}
		})
	}
}

func TestParseRangesReusesDst(t *testing.T) {
	dst := make([]Range, 1, 4)
	dst[0] = Range{7, 7}
	rs, res := ParseRanges(dst, []byte("bytes=1-2,4-5"), 10)
	if res != Satisfiable || !slices.Equal(rs, []Range{{1, 2}, {4, 5}}) || &rs[0] != &dst[0] {
		t.Fatalf("got %v %v, want the two ranges in dst's array", rs, res)
	}
}

func TestRangeLength(t *testing.T) {
	for _, c := range []struct {
		r    Range
		want int64
	}{{Range{0, 0}, 1}, {Range{5, 9}, 5}, {Range{0, 9999}, 10000}} {
		if got := c.r.Length(); got != c.want {
			t.Errorf("%v.Length() = %d, want %d", c.r, got, c.want)
		}
	}
}

func TestAppendContentRange(t *testing.T) {
	cases := []struct {
		r    Range
		size int64
		want string
	}{
		{Range{0, 499}, 1234, "bytes 0-499/1234"}, // RFC 9110 §14.4 example
		{Range{9999, 9999}, 10000, "bytes 9999-9999/10000"},
		{Range{1 << 40, 1<<41 - 1}, 1 << 41, "bytes 1099511627776-2199023255551/2199023255552"},
	}
	for _, c := range cases {
		if got := string(AppendContentRange([]byte("x"), c.r, c.size)); got != "x"+c.want {
			t.Errorf("AppendContentRange(%v, %d) = %q, want %q", c.r, c.size, got, "x"+c.want)
		}
	}
	if got := string(AppendUnsatisfiedContentRange(nil, 1234)); got != "bytes */1234" {
		t.Errorf("AppendUnsatisfiedContentRange = %q", got)
	}
}

// TestAppendMultipartByteranges checks the body byte for byte against a golden file and that
// a multipart reader finds the parts (RFC 9110 §14.6). Regenerate the golden file with
// HTTPCOND_UPDATE_GOLDEN=1.
func TestAppendMultipartByteranges(t *testing.T) {
	body := []byte("0123456789abcdefghij")
	rs, res := ParseRanges(nil, []byte("bytes=0-1,5-6,-3"), int64(len(body)))
	if res != Satisfiable {
		t.Fatal(res)
	}
	got := AppendMultipartByteranges([]byte("keep"), body, rs, []byte("text/plain"), []byte("B0undary"))
	if !bytes.HasPrefix(got, []byte("keep")) {
		t.Fatalf("dst was not appended to: %q", got)
	}
	got = got[len("keep"):]
	golden := filepath.Join("testdata", "multipart.golden")
	if os.Getenv("HTTPCOND_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("body:\n%q\nwant (%s):\n%q", got, golden, want)
	}

	mr := multipart.NewReader(bytes.NewReader(got), "B0undary")
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pb, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p.Header.Get("Content-Type")+"|"+p.Header.Get("Content-Range")+"|"+string(pb))
	}
	want2 := []string{"text/plain|bytes 0-1/20|01", "text/plain|bytes 5-6/20|56", "text/plain|bytes 17-19/20|hij"}
	if !slices.Equal(parts, want2) {
		t.Errorf("parts %q, want %q", parts, want2)
	}

	noType := AppendMultipartByteranges(nil, body, rs[:1], nil, []byte("b"))
	if want := "\r\n--b\r\nContent-Range: bytes 0-1/20\r\n\r\n01\r\n--b--\r\n"; string(noType) != want {
		t.Errorf("without a content type: %q, want %q", noType, want)
	}
}
