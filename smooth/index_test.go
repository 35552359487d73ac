package smooth

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

// indexOf parses the mfra at the end of a whole file.
func indexOf(t testing.TB, file []byte) *Index {
	t.Helper()
	n, err := ParseMfro(file[len(file)-MfroSize:])
	if err != nil {
		t.Fatal(err)
	}
	ix, err := ParseIndex(file[len(file)-int(n):], int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestIndexRealFiles(t *testing.T) {
	for _, p := range []string{"demo/demo_180.ismv", "demo/demo_360.ismv", "demo/demo_audio.isma",
		"multi/multi.ismv", "lang/lang_video.ismv", "lang/lang_eng.isma", "lang/lang_deu.isma"} {
		t.Run(p, func(t *testing.T) {
			file := readMedia(t, p)
			ix := indexOf(t, file)
			walked := walkFragments(t, file)
			if got, want := len(ix.TrackIDs()), len(walked); got != want {
				t.Fatalf("%d tracks indexed, %d found by walking", got, want)
			}
			for _, id := range ix.TrackIDs() {
				frags := ix.Fragments(id)
				if len(frags) != len(walked[id]) {
					t.Fatalf("track %d: %d fragments indexed, %d walked", id, len(frags), len(walked[id]))
				}
				for i, f := range frags {
					w := walked[id][i]
					if f.Offset != w.off || f.Length != w.totalSize {
						t.Fatalf("track %d fragment %d: index [%d,+%d), walk [%d,+%d)", id, i, f.Offset, f.Length, w.off, w.totalSize)
					}
					off, n, err := ix.Range(id, f.Time)
					if err != nil || off != w.off || n != w.totalSize {
						t.Fatalf("Range(%d, %d) = %d, %d, %v", id, f.Time, off, n, err)
					}
				}
			}
			if ix.FileSize() != int64(len(file)) || ix.MfraStart() >= ix.FileSize() {
				t.Fatalf("sizes %d %d", ix.FileSize(), ix.MfraStart())
			}
		})
	}
}

func TestIndexMultiTrackInterleaved(t *testing.T) {
	// The ranges of one track must end at the next moof of ANY track (tfra gives only where
	// each fragment starts, ISO/IEC 14496-12 §8.8.10).
	ix := indexOf(t, readMedia(t, "multi/multi.ismv"))
	if ids := ix.TrackIDs(); len(ids) != 3 {
		t.Fatalf("tracks %v", ids)
	}
	f1, f2 := ix.Fragments(1), ix.Fragments(2)
	if f1[0].Offset+f1[0].Length != f2[0].Offset {
		t.Fatalf("track 1 fragment 0 ends at %d, track 2 fragment 0 starts at %d", f1[0].Offset+f1[0].Length, f2[0].Offset)
	}
}

func TestIndexRangeTolerance(t *testing.T) {
	ix := indexOf(t, readMedia(t, "demo/demo_180.ismv"))
	exact, _, err := ix.Range(1, 20000000)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		time uint64
		ok   bool
	}{{19999999, true}, {20000001, true}, {19999998, false}, {20000002, false}, {^uint64(0), false}} {
		off, _, err := ix.Range(1, tt.time)
		if tt.ok && (err != nil || off != exact) {
			t.Errorf("Range(1, %d) = %d, %v; want %d", tt.time, off, err, exact)
		}
		if !tt.ok && !errors.Is(err, ErrNotFound) {
			t.Errorf("Range(1, %d) err = %v, want ErrNotFound", tt.time, err)
		}
	}
	if _, _, err := ix.Range(2, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown track: %v", err)
	}
	if off, _, err := ix.Range(0, 0); err != nil || off != ix.Fragments(1)[0].Offset {
		t.Errorf("track 0 in a single-track file: %d, %v", off, err)
	}
	if ix.Fragments(9) != nil {
		t.Error("Fragments of an unknown track")
	}
	multi := indexOf(t, readMedia(t, "multi/multi.ismv"))
	if _, _, err := multi.Range(0, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("track 0 in a multi-track file: %v", err)
	}
}

// tfraBox encodes a tfra with mp4ff.
func tfraBox(t testing.TB, trackID uint32, version byte, entries ...mp4.TfraEntry) []byte {
	t.Helper()
	tf := &mp4.TfraBox{Version: version, TrackID: trackID, Entries: entries}
	sw := make([]byte, 0, tf.Size())
	buf := &sliceWriter{b: sw}
	if err := tf.Encode(buf); err != nil {
		t.Fatal(err)
	}
	return buf.b
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// mfraBox wraps children into an mfra ending with a correct (or given) mfro.
func mfraBox(children ...[]byte) []byte {
	size := 8 + 16
	for _, c := range children {
		size += len(c)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(size))
	b = append(b, "mfra"...)
	for _, c := range children {
		b = append(b, c...)
	}
	b = binary.BigEndian.AppendUint32(b, 16)
	b = append(b, "mfro"...)
	b = binary.BigEndian.AppendUint32(b, 0)
	return binary.BigEndian.AppendUint32(b, uint32(size))
}

func TestParseIndexErrors(t *testing.T) {
	good := readMedia(t, "demo/demo_audio.isma")
	n, err := ParseMfro(good[len(good)-16:])
	if err != nil {
		t.Fatal(err)
	}
	mfra := good[len(good)-int(n):]
	corrupt := func(f func(b []byte)) []byte {
		b := append([]byte(nil), mfra...)
		f(b)
		return b
	}
	tests := []struct {
		name     string
		mfra     []byte
		fileSize int64
	}{
		{"empty", nil, 1000},
		{"truncated header", mfra[:6], 1000},
		{"truncated body", mfra[:len(mfra)-1], int64(len(good))},
		{"not mfra", corrupt(func(b []byte) { copy(b[4:], "moov") }), int64(len(good))},
		{"size mismatch", corrupt(func(b []byte) { b[3]++ }), int64(len(good))},
		{"tfra size lies", corrupt(func(b []byte) { b[11]-- }), int64(len(good))},
		{"tfra entry count lies", corrupt(func(b []byte) { b[8+23]++ }), int64(len(good))},
		{"mfro size wrong", corrupt(func(b []byte) { b[len(b)-1]++ }), int64(len(good))},
		{"file smaller than mfra", mfra, int64(len(mfra) - 1)},
		{"offset past mfra", mfra, int64(len(mfra)) + 100},
		{"no tfra", mfraBox(), 1000},
		{"empty tfra", mfraBox(tfraBox(t, 1, 1)), 1000},
		{"duplicate track", mfraBox(tfraBox(t, 1, 1, mp4.TfraEntry{Time: 0, MoofOffset: 10}), tfraBox(t, 1, 1, mp4.TfraEntry{Time: 5, MoofOffset: 20})), 1000},
		{"duplicate time", mfraBox(tfraBox(t, 1, 0, mp4.TfraEntry{Time: 5, MoofOffset: 10}, mp4.TfraEntry{Time: 5, MoofOffset: 20})), 1000},
		{"box after mfro", append(mfraBox(tfraBox(t, 1, 1, mp4.TfraEntry{MoofOffset: 10})), 0, 0, 0, 8, 'f', 'r', 'e', 'e'), 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := ParseIndex(tt.mfra, tt.fileSize)
			if !errors.Is(err, ErrBadMedia) || StatusOf(err) != 502 {
				t.Fatalf("ParseIndex = %v, %v; want an ErrBadMedia error", ix, err)
			}
		})
	}
}

func TestParseIndexSynthetic(t *testing.T) {
	// Version-0 tfra, entries out of time order, two tracks sharing the offset space.
	mfra := mfraBox(
		tfraBox(t, 2, 0, mp4.TfraEntry{Time: 300, MoofOffset: 500}, mp4.TfraEntry{Time: 100, MoofOffset: 100}),
		tfraBox(t, 1, 1, mp4.TfraEntry{Time: 0, MoofOffset: 50}, mp4.TfraEntry{Time: 7, MoofOffset: 300}),
	)
	ix, err := ParseIndex(mfra, 1000+int64(len(mfra)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		track     uint32
		time      uint64
		off, size int64
	}{{2, 100, 100, 200}, {1, 7, 300, 200}, {2, 300, 500, 500}, {1, 0, 50, 50}} {
		off, n, err := ix.Range(tt.track, tt.time)
		if err != nil || off != tt.off || n != tt.size {
			t.Errorf("Range(%d, %d) = %d, %d, %v; want %d, %d", tt.track, tt.time, off, n, err, tt.off, tt.size)
		}
	}
}

func TestParseMfro(t *testing.T) {
	good := readMedia(t, "demo/demo_audio.isma")
	if n, err := ParseMfro(good[len(good)-16:]); err != nil || n == 0 {
		t.Fatalf("ParseMfro = %d, %v", n, err)
	}
	// A longer tail is fine: the last 16 bytes count.
	if _, err := ParseMfro(good[len(good)-40:]); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"short":         good[len(good)-15:],
		"not mfro":      good[:16],
		"tiny mfra":     {0, 0, 0, 16, 'm', 'f', 'r', 'o', 0, 0, 0, 0, 0, 0, 0, 16},
		"wrong boxsize": {0, 0, 0, 17, 'm', 'f', 'r', 'o', 0, 0, 0, 0, 0, 0, 1, 0},
	}
	for name, tail := range bad {
		if _, err := ParseMfro(tail); !errors.Is(err, ErrBadMedia) {
			t.Errorf("%s: err = %v, want ErrBadMedia", name, err)
		}
	}
	if _, err := ParseMfro(good[:16]); !errors.Is(err, ErrNoMfra) {
		t.Errorf("not mfro: want ErrNoMfra")
	}
}

func BenchmarkIndexRange(b *testing.B) {
	ix := indexOf(b, readMedia(b, "multi/multi.ismv"))
	frags := ix.Fragments(2)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f := frags[i%len(frags)]
		if _, _, err := ix.Range(2, f.Time); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func FuzzParseIndex(f *testing.F) {
	for _, p := range []string{"demo/demo_audio.isma", "multi/multi.ismv"} {
		file := readMedia(f, p)
		n, err := ParseMfro(file[len(file)-16:])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(file[len(file)-int(n):], int64(len(file)))
	}
	f.Add(mfraBox(tfraBox(f, 1, 0, mp4.TfraEntry{Time: 1, MoofOffset: 2})), int64(100))
	f.Fuzz(func(t *testing.T, mfra []byte, fileSize int64) {
		ix, err := ParseIndex(mfra, fileSize)
		if err != nil {
			if !errors.Is(err, ErrBadMedia) {
				t.Fatalf("error is not ErrBadMedia: %v", err)
			}
			return
		}
		for _, id := range ix.TrackIDs() {
			for _, fr := range ix.Fragments(id) {
				off, n, err := ix.Range(id, fr.Time)
				if err != nil || off < 0 || n <= 0 || off+n > ix.MfraStart() {
					t.Fatalf("Range(%d, %d) = %d, %d, %v (mfra at %d)", id, fr.Time, off, n, err, ix.MfraStart())
				}
			}
		}
		if len(mfra) >= 16 {
			_, _ = ParseMfro(mfra)
		}
	})
}
