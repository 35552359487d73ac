package smooth

// Hostile-input tests of package smooth: an origin that controls every byte of the .ism,
// .ismv and .isma files.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// v0TfraMany builds a version-0 tfra with n entries of 11 bytes each (32-bit time and moof
// offset, 1-byte traf/trun/sample numbers): times 0..n-1, offsets 8+i.
func v0TfraMany(trackID uint32, n int) []byte {
	size := 8 + 4 + 4 + 4 + 4 + n*11
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	b = append(b, "tfra"...)
	b = binary.BigEndian.AppendUint32(b, 0) // version 0, flags 0
	b = binary.BigEndian.AppendUint32(b, trackID)
	b = binary.BigEndian.AppendUint32(b, 0) // length_size_of_* = 0: one byte each
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for i := 0; i < n; i++ {
		b = binary.BigEndian.AppendUint32(b, uint32(i))
		b = binary.BigEndian.AppendUint32(b, uint32(8+i))
		b = append(b, 1, 1, 1)
	}
	return b
}

// mfroTail is the 16-byte mfro box that ends a file whose mfra is mfraSize bytes.
func mfroTail(mfraSize uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, 16)
	b = append(b, "mfro"...)
	b = binary.BigEndian.AppendUint32(b, 0)
	return binary.BigEndian.AppendUint32(b, mfraSize)
}

// boundedSource serves a virtual media file of a claimed size (only its last 16 bytes exist)
// and a server manifest; it records every requested length and refuses, without allocating,
// any read over refuseOver bytes.
type boundedSource struct {
	mu         sync.Mutex
	ism        []byte
	media      string
	size       int64
	tail       []byte
	refuseOver int64
	biggest    int64
}

func (s *boundedSource) ReadRange(_ context.Context, p string, off, n int64) ([]byte, int64, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch p {
	case "/h/h.ism":
		return s.ism, int64(len(s.ism)), `"ism"`, nil
	case s.media:
		if off < 0 && -off <= int64(len(s.tail)) {
			return s.tail[len(s.tail)+int(off):], s.size, `"m"`, nil
		}
		s.biggest = max(s.biggest, n)
		if n > s.refuseOver || n < 0 {
			return nil, s.size, `"m"`, fmt.Errorf("boundedSource: refusing a %d-byte read at %d of %s", n, off, p)
		}
		return make([]byte, n), s.size, `"m"`, nil
	}
	return nil, 0, "", fmt.Errorf("boundedSource %s: %w", p, ErrNotFound)
}

// TestHostileResolverMfraSizeBoundedBeforeRead: the origin's file ends with a valid 16-byte
// mfro claiming a 3 GiB mfra (the file claims 3 GiB + 4 KiB). ParseMfro refuses an mfra over
// MaxMfra (16 MiB) from the mfro alone, as maxMoov bounds the moov and maxServerManifest the
// .ism, so the resolver answers ErrBadMedia (502) before asking its Source for any read larger
// than a sane index (the Source here refuses reads over 64 MiB). (The claim was once checked
// only against the file size, and the whole 3 GiB range asked for.)
func TestHostileResolverMfraSizeBoundedBeforeRead(t *testing.T) {
	const mfraSize = 3 << 30
	src := &boundedSource{
		ism:        []byte(`<smil><body><switch><video src="h.ismv" systemBitrate="1"><param name="trackID" value="1"/></video></switch></body></smil>`),
		media:      "/h/h.ismv",
		size:       mfraSize + 4096,
		tail:       mfroTail(mfraSize),
		refuseOver: 64 << 20,
	}
	r := newTestResolver(t, src)
	req, err := ParseURL("/h/h.ism/QualityLevels(1)/Fragments(video=0)")
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Fragment(context.Background(), req)
	if src.biggest > src.refuseOver {
		t.Errorf("resolver asked its Source for a %d-byte mfra (claimed by the file's mfro) instead of refusing it; err = %v", src.biggest, err)
	}
	if !errors.Is(err, ErrBadMedia) {
		t.Errorf("err = %v; want an ErrBadMedia error naming the oversized mfra", err)
	}
}

// TestHostileParseIndexEntryCountBounded: one tfra listing 600,000 fragments (a 6.6 MB mfra,
// under MaxMfra; 600,000 two-second fragments are 14 days of media). Building an index
// allocates several times its mfra and retains 24 bytes per entry, so a file's index is bounded
// in entries: ParseIndex reads the tfra's entry_count and answers ErrBadMedia past
// MaxIndexEntries (2^19) before decoding any entry. Any per-file limit under 600,000 passes.
// (Such an index was once built whole, ~55 MiB allocated for it.)
func TestHostileParseIndexEntryCountBounded(t *testing.T) {
	const n = 600_000
	mfra := mfraBox(v0TfraMany(1, n))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := ParseIndex(mfra, int64(len(mfra))+n+100)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if err == nil {
		t.Errorf("ParseIndex accepted a tfra of %d entries from a %d-byte mfra, allocating %d MiB and keeping %d tracks x %d times; want an ErrBadMedia for too many fragments",
			n, len(mfra), alloc>>20, len(ix.tracks), len(ix.tracks[0].times))
	} else if !errors.Is(err, ErrBadMedia) {
		t.Errorf("err = %v; want ErrBadMedia", err)
	}
}

// hugeTrunMoof is a moof with one traf: a tfhd with default-sample-duration 0xffffffff and
// truns (no per-sample fields) of 0xffffffff samples each.
func hugeTrunMoof(truns int) []byte {
	tfhd := binary.BigEndian.AppendUint32(nil, 8+4+4+4)
	tfhd = append(tfhd, "tfhd"...)
	tfhd = binary.BigEndian.AppendUint32(tfhd, 0x000008) // default-sample-duration-present
	tfhd = binary.BigEndian.AppendUint32(tfhd, 1)        // track_ID
	tfhd = binary.BigEndian.AppendUint32(tfhd, 0xffffffff)
	var trun []byte
	for i := 0; i < truns; i++ {
		trun = binary.BigEndian.AppendUint32(trun, 16)
		trun = append(trun, "trun"...)
		trun = binary.BigEndian.AppendUint32(trun, 0) // no optional fields
		trun = binary.BigEndian.AppendUint32(trun, 0xffffffff)
	}
	traf := binary.BigEndian.AppendUint32(nil, uint32(8+len(tfhd)+len(trun)))
	traf = append(append(append(traf, "traf"...), tfhd...), trun...)
	moof := binary.BigEndian.AppendUint32(nil, uint32(8+len(traf)))
	return append(append(moof, "moof"...), traf...)
}

// TestHostileFragmentDurationOverflow: one trun can claim (2^32-1)^2 ticks (just under 2^64),
// so the sum of two such truns passes 2^64. fragmentDuration checks each addition and answers
// ErrBadMedia (a saturated value would also do), never a wrapped sum that makes the fragment
// shorter than one of its truns.
func TestHostileFragmentDurationOverflow(t *testing.T) {
	one, err := fragmentDuration(hugeTrunMoof(1), 0)
	if err != nil {
		t.Fatalf("one trun: %v", err)
	}
	two, err := fragmentDuration(hugeTrunMoof(2), 0)
	if err == nil && two < one {
		t.Errorf("two truns of %d ticks each sum to %d: the uint64 sum wrapped; want an ErrBadMedia or a saturated duration", one, two)
	}
	if err != nil && !errors.Is(err, ErrBadMedia) {
		t.Errorf("err = %v; want ErrBadMedia", err)
	}
}

var durationAttr = regexp.MustCompile(`<SmoothStreamingMedia [^>]*Duration="(\d+)"`)

// TestHostileClientManifestDurationWraps: tfra times are 64-bit and origin-chosen. With a last
// fragment at 2^64-1000 and a last-fragment duration of 2000 ticks, the presentation's end
// t + lastDur is past 2^64: buildClientManifest answers an error (a saturated Duration would
// also do), never a Duration before the last chunk, such as the wrapped Duration="1000" that
// players would take for 100 µs (10 MHz timescale). rescale() saturates on purpose; the
// addition before it is checked.
func TestHostileClientManifestDurationWraps(t *testing.T) {
	last := ^uint64(0) - 999
	qt := qualityTrack{
		info:    trackInfo{id: 1, kind: "video", timescale: DefaultTimeScale, fourCC: "H264", width: 2, height: 2},
		name:    "video",
		bitrate: 1000,
		times:   []uint64{last - 20_000_000, last},
		lastDur: 2000,
	}
	out, err := buildClientManifest([]qualityTrack{qt})
	if err != nil {
		return // refusing such times is an acceptable answer
	}
	m := durationAttr.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no Duration in:\n%s", out)
	}
	d, err := strconv.ParseUint(string(m[1]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if d < last {
		t.Errorf("Duration=%d for a presentation whose last chunk starts at %d (t+lastDur wrapped)", d, last)
	}
}

// TestHostileManifestWorkPerTrack: a server manifest may list the same file under many
// bitrates (up to maxManifestTracks elements). Generating the client manifest reads each
// distinct file's index, head (and moov, up to 16 MiB) and its tracks' last fragments once,
// shared by every element that names the file, so the origin reads of one Manifest request
// grow with the files, not the elements: 60 elements naming one file cost at most a handful of
// reads of it. (The moov and the last fragment were once read again for every element.)
func TestHostileManifestWorkPerTrack(t *testing.T) {
	src := loadMedia(t)
	var ism strings.Builder
	ism.WriteString("<smil><body><switch>\n")
	const tracks = 60
	for i := 0; i < tracks; i++ {
		fmt.Fprintf(&ism, `<video src="demo_180.ismv" systemBitrate="%d"><param name="trackID" value="1"/></video>`+"\n", 1000+i)
	}
	ism.WriteString("</switch></body></smil>\n")
	src.put("/demo/many.ism", []byte(ism.String()), `"many"`)
	r := newTestResolver(t, src)
	body, err := r.Manifest(context.Background(), "/demo/many.ism")
	if err != nil {
		t.Fatalf("Manifest: %v", err)
	}
	if got := bytes.Count(body, []byte("<QualityLevel ")); got != tracks {
		t.Fatalf("%d QualityLevels, want %d", got, tracks)
	}
	if reads := src.count("/demo/demo_180.ismv"); reads > 8 {
		t.Errorf("one Manifest request read /demo/demo_180.ismv %d times for %d elements naming it (head/moov and last fragment re-read per element)", reads, tracks)
	}
}

// TestHostileBoxHeaders pins readBox/eachBox/checkFragment on impossible sizes: never a panic,
// always an error for a size under the header, a 64-bit size under 16 or over 2^62, a box
// past its container; size 0 runs to the end of the slice.
func TestHostileBoxHeaders(t *testing.T) {
	hdr := func(size uint32, typ string, large ...uint64) []byte {
		b := binary.BigEndian.AppendUint32(nil, size)
		b = append(b, typ...)
		for _, l := range large {
			b = binary.BigEndian.AppendUint64(b, l)
		}
		return b
	}
	bad := map[string][]byte{
		"size 7":            hdr(7, "moof"),
		"size 1 truncated":  append(hdr(1, "moof"), 0, 0, 0),
		"largesize 15":      hdr(1, "moof", 15),
		"largesize 2^63":    hdr(1, "moof", 1<<63),
		"largesize max":     hdr(1, "moof", ^uint64(0)),
		"past container":    hdr(9, "moof"),
		"largesize past":    hdr(1, "moof", 1<<40),
		"4 bytes":           {0, 0, 0, 8},
		"moof then no mdat": hdr(8, "moof"),
	}
	for name, b := range bad {
		if err := eachBox(b, func(box, []byte) error { return nil }); name != "moof then no mdat" && err == nil {
			t.Errorf("eachBox(%s) accepted %x", name, b)
		}
		for _, kind := range []Kind{Fragments, FragmentInfo, RawFragments} {
			if _, err := CheckFragment(b, kind); !errors.Is(err, ErrBadMedia) {
				t.Errorf("CheckFragment(%s) = %v; want ErrBadMedia", name, err)
			}
		}
		if _, err := fragmentDuration(b, 1); !errors.Is(err, ErrBadMedia) {
			t.Errorf("fragmentDuration(%s) = %v; want ErrBadMedia", name, err)
		}
		if _, err := ParseIndex(b, 1<<40); !errors.Is(err, ErrBadMedia) {
			t.Errorf("ParseIndex(%s) = %v; want ErrBadMedia", name, err)
		}
	}
	// size 0 = to the end of the slice.
	bx, err := readBox(append(hdr(0, "mdat"), 1, 2, 3))
	if err != nil || bx.size != 11 {
		t.Errorf("size 0: %+v, %v; want size 11", bx, err)
	}
	// A moof whose traf (size 0: to the end of the moof) holds a tfhd too short to read.
	frag := append(hdr(8+8+8+4, "moof"), hdr(0, "traf")...)
	frag = append(append(frag, hdr(12, "tfhd")...), 0, 0, 0, 0)
	frag = append(frag, hdr(8, "mdat")...)
	if _, err := CheckFragment(frag, Fragments); !errors.Is(err, ErrBadMedia) {
		t.Errorf("short tfhd: %v", err)
	}
}

// TestHostileTrunSampleCount pins that a trun claiming 2^32-1 samples with per-sample fields
// is refused from its size before any loop, fast.
func TestHostileTrunSampleCount(t *testing.T) {
	p := binary.BigEndian.AppendUint32(nil, 0x000f00) // duration, size, flags, cto per sample
	p = binary.BigEndian.AppendUint32(p, 0xffffffff)
	start := time.Now()
	if _, err := trunDuration(p, 1); err == nil {
		t.Fatal("trun of 2^32-1 16-byte samples in 8 bytes accepted")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("took %v", d)
	}
}

// TestHostileIndexOffsets pins tfra entries aimed at the wrong bytes: offsets at or past the
// mfra are refused by ParseIndex; an offset at a non-moof box (the moov at 0, or mid-box) is
// refused by the resolver with a 502 when the fragment is read, never served.
func TestHostileIndexOffsets(t *testing.T) {
	file := readMedia(t, "demo/demo_audio.isma")
	n, err := ParseMfro(file[len(file)-16:])
	if err != nil {
		t.Fatal(err)
	}
	body := file[:len(file)-int(n)]
	for _, off := range []uint32{0, 3, uint32(len(body)) - 1} {
		mfra := mfraBox(v0TfraOne(1, 0, off))
		f := append(append([]byte(nil), body...), mfra...)
		src := newMemSource()
		src.put("/o/o.ism", []byte(`<smil><body><audio src="o.isma" systemBitrate="1"/></body></smil>`), `"i"`)
		src.put("/o/o.isma", f, `"f"`)
		r := newTestResolver(t, src)
		_, err := r.Fragment(context.Background(), Request{Presentation: "/o/o.ism", Kind: Fragments, Bitrate: 1, Stream: "audio", Time: 0})
		if StatusOf(err) != 502 {
			t.Errorf("tfra offset %d: err = %v (status %d); want 502", off, err, StatusOf(err))
		}
	}
	for _, off := range []uint32{uint32(len(body)), uint32(len(body)) + 5, 0xffffffff} {
		mfra := mfraBox(v0TfraOne(1, 0, off))
		if _, err := ParseIndex(mfra, int64(len(body)+len(mfra))); !errors.Is(err, ErrBadMedia) {
			t.Errorf("offset %d: ParseIndex err = %v; want ErrBadMedia", off, err)
		}
	}
}

func v0TfraOne(trackID, tm, off uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, 8+16+11)
	b = append(b, "tfra"...)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, trackID)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, tm)
	b = binary.BigEndian.AppendUint32(b, off)
	return append(b, 1, 1, 1)
}

// TestHostileIndexRangeExtremes pins Range at the ends of the time space: no wrap at 0 or
// 2^64-1 in the one-tick tolerance.
func TestHostileIndexRangeExtremes(t *testing.T) {
	mfra := mfraBox(tfraBoxV1(1, [][2]uint64{{0, 10}, {^uint64(0), 20}}))
	ix, err := ParseIndex(mfra, 100+int64(len(mfra)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		t   uint64
		off int64
		ok  bool
	}{{0, 10, true}, {1, 10, true}, {^uint64(0), 20, true}, {^uint64(0) - 1, 20, true}, {2, 0, false}, {^uint64(0) - 2, 0, false}} {
		off, n, err := ix.Range(1, tt.t)
		if tt.ok != (err == nil) || (tt.ok && (off != tt.off || n <= 0)) {
			t.Errorf("Range(1, %d) = %d, %d, %v", tt.t, off, n, err)
		}
	}
	if _, _, err := ix.Range(2, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown track: %v", err)
	}
}

func tfraBoxV1(trackID uint32, entries [][2]uint64) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+16+len(entries)*19))
	b = append(b, "tfra"...)
	b = binary.BigEndian.AppendUint32(b, 1<<24)
	b = binary.BigEndian.AppendUint32(b, trackID)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = binary.BigEndian.AppendUint64(b, e[0])
		b = binary.BigEndian.AppendUint64(b, e[1])
		b = append(b, 1, 1, 1)
	}
	return b
}

// TestHostileServerManifestXML pins the .ism parser against entity tricks, deep nesting,
// thousands of tracks and huge attribute values: an error or a bounded parse, fast.
func TestHostileServerManifestXML(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE smil [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">` +
		`<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><smil><body><video src="&c;" systemBitrate="1"/></body></smil>`
	if _, err := ParseServerManifest([]byte(laughs)); err == nil {
		t.Error("entity expansion accepted")
	}
	ext := `<?xml version="1.0"?><!DOCTYPE smil [<!ENTITY x SYSTEM "file:///etc/passwd">]><smil><body><video src="&x;" systemBitrate="1"/></body></smil>`
	if _, err := ParseServerManifest([]byte(ext)); err == nil {
		t.Error("external entity accepted")
	}
	measure := func(name string, data []byte) (*ServerManifest, error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		m, err := ParseServerManifest(data)
		el := time.Since(start)
		runtime.ReadMemStats(&after)
		if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 || el > 1500*time.Millisecond {
			t.Errorf("%s: %d-byte manifest: %d MiB allocated, %v", name, len(data), a>>20, el)
		}
		return m, err
	}
	// Thousands of tracks (1 MiB of them): refused at maxManifestTracks, quickly; exactly
	// maxManifestTracks parse.
	var many strings.Builder
	many.WriteString("<smil><body><switch>")
	for i := 0; many.Len() < 1<<20; i++ {
		fmt.Fprintf(&many, `<video src="v.ismv" systemBitrate="%d"/>`, i)
	}
	many.WriteString("</switch></body></smil>")
	if _, err := measure("many", []byte(many.String())); err == nil || !strings.Contains(err.Error(), "track elements") {
		t.Errorf("20,000+ tracks: err = %v; want the track-count limit", err)
	}
	var limit strings.Builder
	limit.WriteString("<smil><body><switch>")
	for i := 0; i < maxManifestTracks; i++ {
		fmt.Fprintf(&limit, `<video src="v.ismv" systemBitrate="%d"/>`, i)
	}
	limit.WriteString("</switch></body></smil>")
	if m, err := measure("limit", []byte(limit.String())); err != nil || len(m.Tracks) != maxManifestTracks {
		t.Errorf("%d tracks: %v", maxManifestTracks, err)
	}
	// A huge attribute value; one byte over the limit.
	huge := `<smil><body><video systemBitrate="1" src="` + strings.Repeat("x", maxServerManifest-80) + `"/></body></smil>`
	if _, err := measure("huge", []byte(huge)); err != nil {
		t.Errorf("huge attribute under the limit: %v", err)
	}
	if _, err := ParseServerManifest(make([]byte, maxServerManifest+1)); err == nil {
		t.Error("manifest over the limit accepted")
	}
	// Bitrates at and over 2^32, odd UTF-16.
	if _, err := ParseServerManifest([]byte(`<smil><body><video src="a" systemBitrate="4294967296"/></body></smil>`)); err == nil {
		t.Error("systemBitrate 2^32 accepted")
	}
	if _, err := ParseServerManifest([]byte{0xFF, 0xFE, '<', 0, 's'}); err == nil {
		t.Error("odd UTF-16 accepted")
	}
	// A track that names a trackID the file lacks: 404, not a panic.
	src := loadMedia(t)
	src.put("/demo/ghost.ism", []byte(`<smil><body><video src="demo_180.ismv" systemBitrate="9"><param name="trackID" value="4294967295"/></video></body></smil>`), `"g"`)
	r := newTestResolver(t, src)
	if _, err := r.Fragment(context.Background(), Request{Presentation: "/demo/ghost.ism", Kind: Fragments, Bitrate: 9, Stream: "video"}); StatusOf(err) != 404 {
		t.Errorf("ghost track: %v", err)
	}
	if _, err := r.Manifest(context.Background(), "/demo/ghost.ism"); StatusOf(err) != 502 {
		t.Errorf("ghost track manifest: %v", err)
	}
}

// TestHostileServerManifestDeepNesting: the .ism is capped at 4 MiB, and nesting inside it at
// maxManifestDepth: encoding/xml keeps a stack frame (names, namespace bookkeeping) per open
// element, so unbounded, 200,000 nested <a> in a 1.4 MB document allocate ~50 MiB (36x), and
// 4 MiB of open tags ~256 MiB and ~1.6 s of CPU. A server manifest is at most ~5 levels deep
// (smil, body, switch, video, param): ParseServerManifest answers an error once the depth
// passes the limit (a parse that allocates at most 8x its input would also do).
func TestHostileServerManifestDeepNesting(t *testing.T) {
	const n = 200000
	doc := []byte("<smil>" + strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + "</smil>")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ParseServerManifest(doc)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if err == nil && alloc > 8*uint64(len(doc)) {
		t.Errorf("a %d-byte manifest nested %d deep parsed without error, allocating %d MiB (%dx its size); want an error for nesting no server manifest needs",
			len(doc), n, alloc>>20, alloc/uint64(len(doc)))
	}
}

// TestHostileURLGrammar pins URL edge cases: malformed numbers are 400s (URLError), values at
// the limits parse exactly, long and non-ASCII paths neither panic nor allocate surprisingly.
func TestHostileURLGrammar(t *testing.T) {
	bad := []string{
		"/a.ism/QualityLevels(abc)/Fragments(video=0)",
		"/a.ism/QualityLevels(-1)/Fragments(video=0)",
		"/a.ism/QualityLevels(4294967296)/Fragments(video=0)",
		"/a.ism/QualityLevels(99999999999999999999999)/Fragments(video=0)",
		"/a.ism/QualityLevels(+1)/Fragments(video=0)",
		"/a.ism/QualityLevels( 1)/Fragments(video=0)",
		"/a.ism/QualityLevels(1)/Fragments(video=-1)",
		"/a.ism/QualityLevels(1)/Fragments(video=18446744073709551616)",
		"/a.ism/QualityLevels(1)/Fragments(video=0x10)",
		"/a.ism/QualityLevels(1)/Fragments(video=1e3)",
		"/a.ism/QualityLevels(1)/Fragments(1video=0)",
		"/a.ism/QualityLevels(1)/Fragments(vi deo=0)",
		"/a.ism/QualityLevels(1)/Fragments(video=0",
		"/a.ism/QualityLevels(1,)/Fragments(video=0)",
		"/a.ism/QualityLevels(1,=b)/Fragments(video=0)",
		"/a.ism/QualityLevels(1,a=b=c)/Fragments(video=0)",
		"/a.ism/QualityLevels(1)/Fragments((video=0))",
		"/a.ism/QualityLevels(1)/Frag(video=0)",
		"/a.ism/QualityLevels(1)/Fragments(video=\x00)",
		"/a.ism/QualityLevels(1)/Fragments(vid\x7feo=0)",
		"/a.ism/QualityLevels(" + strings.Repeat("9", 100000) + ")/Fragments(video=0)",
	}
	for _, p := range bad {
		_, err := ParseURL(p)
		var ue *URLError
		if !errors.As(err, &ue) || StatusOf(err) != 400 {
			short := p
			if len(short) > 80 {
				short = short[:80] + "…"
			}
			t.Errorf("ParseURL(%q) = %v; want a URLError", short, err)
		}
	}
	good := map[string]Request{
		"/a.ism/QualityLevels(4294967295)/Fragments(video=18446744073709551615)": {Presentation: "/a.ism", Kind: Fragments, Bitrate: 1<<32 - 1, Stream: "video", Time: 1<<64 - 1},
		"/a.ism/QualityLevels(0000000000000000000000001)/Fragments(video=00)":    {Presentation: "/a.ism", Kind: Fragments, Bitrate: 1, Stream: "video", Time: 0},
		"/é/ü.ism/QualityLevels(1,lang=日本)/RawFragments(vidéo=5)":                {Presentation: "/é/ü.ism", Kind: RawFragments, Bitrate: 1, Stream: "vidéo", Time: 5, Attributes: []Attribute{{"lang", "日本"}}},
	}
	for p, want := range good {
		got, err := ParseURL(p)
		if err != nil || got.Presentation != want.Presentation || got.Kind != want.Kind || got.Bitrate != want.Bitrate ||
			got.Stream != want.Stream || got.Time != want.Time || len(got.Attributes) != len(want.Attributes) {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", p, got, err, want)
		}
	}
	// Many attributes: one allocation sized from the comma count, no quadratic blow-up.
	long := "/a.ism/QualityLevels(1" + strings.Repeat(",k=v", 50000) + ")/Fragments(video=0)"
	start := time.Now()
	req, err := ParseURL(long)
	if err != nil || len(req.Attributes) != 50000 || time.Since(start) > time.Second {
		t.Errorf("50000 attributes: %d, %v, %v", len(req.Attributes), err, time.Since(start))
	}
	// Live and not-Smooth shapes.
	if _, err := ParseURL("/a.isml/QualityLevels(abc)/Fragments(video=0)"); !errors.Is(err, ErrLive) {
		t.Errorf("live: %v", err)
	}
	for _, p := range []string{"/.ism/Manifest", "/a.ism/", "a.ism/x/QualityLevels(1)/Fragments(video=0)", "/a.ism/Manifest.xml"} {
		if _, err := ParseURL(p); !errors.Is(err, ErrNotSmooth) {
			t.Errorf("ParseURL(%q) = %v; want ErrNotSmooth", p, err)
		}
	}
}

// TestHostileMoov pins parseMoov on hostile moov boxes: a timescale of 0 and boxes whose
// counts lie give an ErrBadMedia error, never a panic or a large allocation; findMoov refuses
// a moov over maxMoov before reading it.
func TestHostileMoov(t *testing.T) {
	file := readMedia(t, "demo/demo_180.ismv")
	off, size, err := findMoov(file[:min(len(file), headRead)])
	if err != nil {
		t.Fatal(err)
	}
	moov := append([]byte(nil), file[off:off+size]...)
	i := bytes.Index(moov, []byte("mdhd"))
	if i < 0 {
		t.Fatal("no mdhd")
	}
	zeroTS := append([]byte(nil), moov...)
	ts := i + 4 + 4 + 8 // version/flags, creation and modification (version 0)
	if zeroTS[i+4] == 1 {
		ts = i + 4 + 4 + 16
	}
	binary.BigEndian.PutUint32(zeroTS[ts:], 0)
	if _, err := parseMoov(zeroTS); !errors.Is(err, ErrBadMedia) || !strings.Contains(err.Error(), "timescale") {
		t.Errorf("timescale 0: %v", err)
	}
	for _, box := range []string{"stts", "stsz", "stco", "stsc", "trex", "avcC", "hdlr", "tkhd"} {
		j := bytes.Index(moov, []byte(box))
		if j < 0 {
			continue
		}
		for _, at := range []int{4, 8, 12, 16} { // version/flags and the first counts
			if j+at+4 > len(moov) {
				continue
			}
			c := append([]byte(nil), moov...)
			binary.BigEndian.PutUint32(c[j+at:], 0xffffffff)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := parseMoov(c)
			runtime.ReadMemStats(&after)
			if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 {
				t.Errorf("%s+%d: %d MiB allocated", box, at, a>>20)
			}
			if err != nil && !errors.Is(err, ErrBadMedia) && !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s+%d: %v", box, at, err)
			}
		}
	}
	// A moov over the limit is refused from its header.
	hdr := binary.BigEndian.AppendUint32(nil, maxMoov+1)
	hdr = append(hdr, "moov"...)
	if _, _, err := findMoov(hdr); !errors.Is(err, ErrBadMedia) {
		t.Errorf("oversized moov: %v", err)
	}
	if _, _, err := findMoov(append(binary.BigEndian.AppendUint32(nil, 1), "moov\x00\x00\x00\x01\x00\x00\x00\x00"...)); !errors.Is(err, ErrBadMedia) {
		t.Errorf("64-bit oversized moov: %v", err)
	}
}

// TestMemoWeight: a weighed memo drops its least recent values while the total weight is over
// its bound, but always keeps the newest value, however heavy.
func TestMemoWeight(t *testing.T) {
	m := newWeighedMemo(10, func(v int) int64 { return int64(v) }, 100)
	m.put("a", 40)
	m.put("b", 40)
	if _, ok := m.get("a"); !ok {
		t.Fatal("a dropped under the bound")
	}
	m.put("c", 40) // 120 > 100: b is the least recent (a was just read)
	if _, ok := m.get("b"); ok {
		t.Error("b kept over the weight bound")
	}
	if m.weight != 80 {
		t.Errorf("weight = %d, want 80", m.weight)
	}
	m.put("huge", 500)
	if _, ok := m.get("huge"); !ok || m.order.Len() != 1 || m.weight != 500 {
		t.Errorf("newest value: kept %v, %d values, weight %d; want it alone at 500", ok, m.order.Len(), m.weight)
	}
	m.removeIf("huge", func(int) bool { return true })
	if m.weight != 0 || m.order.Len() != 0 {
		t.Errorf("after removal: weight %d, %d values", m.weight, m.order.Len())
	}
}
