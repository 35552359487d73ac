package accesslog

import (
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"testing"
)

// BenchmarkWrite is the edge's per-request cost: one Write into memory (io.Discard behind).
func BenchmarkWrite(b *testing.B) {
	w := mustNew(b, Config{W: io.Discard})
	r := sampleRecords()[1].r
	b.ReportAllocs()
	for b.Loop() {
		w.Write(&r)
	}
}

// BenchmarkWriteFile is BenchmarkWrite with a real file behind the writer; drops/op is the
// share of records dropped because the flusher fell behind.
func BenchmarkWriteFile(b *testing.B) {
	w := mustNew(b, Config{Path: filepath.Join(b.TempDir(), "access.log")})
	r := sampleRecords()[1].r
	b.ReportAllocs()
	for b.Loop() {
		w.Write(&r)
	}
	// The loop writes far faster than any edge serves; a few records may be dropped when
	// the flusher is not scheduled in time.
	b.ReportMetric(float64(w.Dropped())/float64(b.N), "drops/op")
}

// BenchmarkWriteParallel has every GOMAXPROCS goroutine log at once.
func BenchmarkWriteParallel(b *testing.B) {
	w := mustNew(b, Config{W: io.Discard})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := sampleRecords()[1].r
		for pb.Next() {
			w.Write(&r)
		}
	})
}

// BenchmarkFprintfReference is the baseline for BenchmarkWrite: the same line built the
// obvious way, with fmt, time.Format and url.PathEscape, into io.Discard.
func BenchmarkFprintfReference(b *testing.B) {
	r := sampleRecords()[1].r
	esc := func(v []byte) string {
		if len(v) == 0 {
			return "-"
		}
		return url.PathEscape(string(v))
	}
	b.ReportAllocs()
	for b.Loop() {
		t := r.Time.UTC()
		fmt.Fprintf(io.Discard, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%.3f\t%s\t%s\t%s\t%s\t%s\t-\t-\t%d\t%.3f\t%s\t%s\t%d\t-\t-\n",
			t.Format("2006-01-02"), t.Format("15:04:05"), r.EdgeLocation, r.BytesSent, esc(r.ClientIP),
			esc(r.Method), r.Host, esc(r.URIStem), r.Status, esc(r.Referer), esc(r.UserAgent), esc(r.Query),
			esc(r.Cookie), r.ResultType, esc(r.RequestID), esc(r.HostHeader), r.Protocol, r.BytesReceived,
			r.TimeTaken.Seconds(), esc(r.ForwardedFor), "-", "-", r.ResponseResultType, esc(r.ProtocolVersion),
			r.ClientPort, r.TimeToFirstByte.Seconds(), r.DetailedResultType, esc(r.ContentType), r.ContentLength)
	}
}
