package bench

import (
	"testing"
	"time"
)

func TestHistogramPercentiles(t *testing.T) {
	us := time.Microsecond
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration // the true value; the histogram may answer up to 1/64 above it
	}{
		{"empty", nil, 0.5, 0},
		{"one value p0", []time.Duration{100 * us}, 0, 100 * us},
		{"one value p100", []time.Duration{100 * us}, 1, 100 * us},
		{"exact small values", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.5, 5},
		{"p90 of 1..10", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
		{"p50 of 1..100 ms", seq(1, 100, time.Millisecond), 0.5, 50 * time.Millisecond},
		{"p99 of 1..100 ms", seq(1, 100, time.Millisecond), 0.99, 99 * time.Millisecond},
		{"p99 with an outlier", append(seq(1, 99, us), 5*time.Second), 0.99, 99 * us},
		{"p100 is max", append(seq(1, 99, us), 5*time.Second), 1, 5 * time.Second},
		{"beyond the last bucket", []time.Duration{time.Hour}, 0.5, time.Hour},
		{"negative counts as zero", []time.Duration{-5}, 0.5, 0},
		{"q clamped", []time.Duration{7, 8}, 2, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tc.values {
				h.Record(v)
			}
			got := h.Percentile(tc.q)
			if got < tc.want || float64(got) > float64(tc.want)*(1+1.0/64) {
				t.Fatalf("Percentile(%v) = %v, want %v (+1/64)", tc.q, got, tc.want)
			}
		})
	}
}

func seq(from, to int, unit time.Duration) []time.Duration {
	var s []time.Duration
	for i := from; i <= to; i++ {
		s = append(s, time.Duration(i)*unit)
	}
	return s
}

// Every value maps to a bucket whose upper bound is at least the value and within 1/64 of it,
// and buckets are contiguous.
func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for v := int64(0); v <= histMaxValue; v = v + 1 + v/97 {
		i := bucketOf(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d (of %d)", v, i, prev, histBuckets)
		}
		prev = i
		hi := bucketHigh(i)
		if hi < v || float64(hi-v) > float64(v)/64+1 {
			t.Fatalf("value %d: bucket %d ends at %d", v, i, hi)
		}
		if i > 0 && bucketOf(bucketHigh(i-1)+1) != i {
			t.Fatalf("bucket %d does not start after bucket %d", i, i-1)
		}
	}
	if got := bucketOf(histMaxValue); got != histBuckets-1 {
		t.Fatalf("largest value lands in bucket %d, want %d", got, histBuckets-1)
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{})
	if m.Count() != 1000 || m.Max() != time.Millisecond || m.Min() != time.Microsecond {
		t.Fatalf("merged count %d max %v min %v", m.Count(), m.Max(), m.Min())
	}
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99} {
		if m.Percentile(q) != all.Percentile(q) {
			t.Fatalf("p%v: merged %v, direct %v", q*100, m.Percentile(q), all.Percentile(q))
		}
	}
	if got, want := m.Mean(), 500500*time.Nanosecond; got != want {
		t.Fatalf("mean %v, want %v", got, want)
	}
}

func TestHistogramRecordAllocatesNothing(t *testing.T) {
	h := new(Histogram)
	allocs := testing.AllocsPerRun(1000, func() { h.Record(1234 * time.Microsecond) })
	if allocs != 0 {
		t.Fatalf("Record allocates %.1f times", allocs)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i*7919) % time.Second)
	}
}
