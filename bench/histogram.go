package bench

import (
	"math"
	"math/bits"
	"time"
)

// The histogram is HDR-style: values below 2^histSubBits are counted exactly, and each octave
// above is split into 2^histSubBits linear sub-buckets, so a recorded value is known to within
// 1/64 (1.6 %) of itself. Values are nanoseconds up to 2^histMaxBits (about 18 minutes); larger
// ones land in the last bucket (Max stays exact).
const (
	histSubBits  = 6
	histSub      = 1 << histSubBits
	histMaxBits  = 40
	histBuckets  = (histMaxBits - histSubBits + 1) * histSub
	histMaxValue = int64(1)<<histMaxBits - 1
)

// Histogram counts latencies in fixed log-linear buckets. Record never allocates; the zero
// value is ready to use. A Histogram is not safe for concurrent use: give each connection its
// own and Merge them at the end.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	min    int64
	max    int64
	sum    float64
}

// bucketOf returns the bucket index of v (0 ≤ v ≤ histMaxValue).
func bucketOf(v int64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - histSubBits - 1
	return (shift+1)*histSub + int(v>>shift) - histSub
}

// bucketHigh returns the largest value that falls in bucket i.
func bucketHigh(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	m := int64(i%histSub + histSub)
	return (m+1)<<shift - 1
}

// Record counts one latency. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
	if v > histMaxValue {
		v = histMaxValue
	}
	h.counts[bucketOf(v)]++
}

// Merge adds every count of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest recorded value, exactly (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min returns the smallest recorded value, exactly (0 when empty).
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean returns the average of the recorded values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Percentile returns the value at or below which a fraction q (0..1) of the recorded values
// lie, rounded up to its bucket's upper bound (so never below the true value and at most 1.6 %
// above it) and never above Max. It returns 0 when the histogram is empty.
func (h *Histogram) Percentile(q float64) time.Duration {
	if h.n == 0 || math.IsNaN(q) {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(max(bucketHigh(i), h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
