package smooth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// firstFragment returns the bytes of the first moof+mdat of a media file.
func firstFragment(t testing.TB, p string) []byte {
	t.Helper()
	file := readMedia(t, p)
	w := walkFragments(t, file)[1][0]
	return append([]byte(nil), file[w.off:w.off+w.totalSize]...)
}

func TestCheckFragment(t *testing.T) {
	frag := firstFragment(t, "demo/demo_180.ismv")
	moofSize := int(binary.BigEndian.Uint32(frag))
	for _, tt := range []struct {
		kind Kind
		want []byte
	}{
		{Fragments, frag},
		{FragmentInfo, frag[:moofSize]},
		{RawFragments, frag[moofSize+8:]},
	} {
		got, err := CheckFragment(frag, tt.kind)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("%v: %d bytes, %v; want %d bytes", tt.kind, len(got), err, len(tt.want))
		}
	}
	for _, k := range []Kind{KeyFrames, Manifest, 0} {
		if _, err := CheckFragment(frag, k); !errors.Is(err, ErrUnsupported) || StatusOf(err) != 400 {
			t.Errorf("%v: err = %v, want ErrUnsupported", k, err)
		}
	}
}

// withBaseDataOffset returns a copy of frag whose tfhd has the base-data-offset flag and
// field (8 bytes inserted, sizes fixed up).
func withBaseDataOffset(t testing.TB, frag []byte) []byte {
	t.Helper()
	i := bytes.Index(frag, []byte("tfhd"))
	if i < 4 {
		t.Fatal("no tfhd")
	}
	tfhdStart := i - 4
	out := append([]byte(nil), frag[:i+12]...) // through version/flags and track_ID
	out = append(out, 0, 0, 0, 0, 0, 0, 0x10, 0)
	out = append(out, frag[i+12:]...)
	out[i+7] |= 0x01 // flags low byte
	grow := func(at int) { binary.BigEndian.PutUint32(out[at:], binary.BigEndian.Uint32(out[at:])+8) }
	grow(tfhdStart)
	grow(0)                                        // moof
	grow(bytes.Index(out, []byte("traf")) - 4)     // traf
	if binary.BigEndian.Uint32(out[i+4:])&1 == 0 { // sanity
		t.Fatal("flag not set")
	}
	return out
}

func TestCheckFragmentErrors(t *testing.T) {
	frag := firstFragment(t, "demo/demo_audio.isma")
	moofSize := int(binary.BigEndian.Uint32(frag))
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), frag...)) }
	tests := map[string][]byte{
		"empty":              nil,
		"short":              frag[:7],
		"truncated moof":     frag[:moofSize-1],
		"truncated mdat":     frag[:len(frag)-1],
		"moof only":          frag[:moofSize],
		"extra bytes":        append(append([]byte(nil), frag...), 0, 0, 0, 8, 'f', 'r', 'e', 'e'),
		"starts with mdat":   frag[moofSize:],
		"wrong first box":    mod(func(b []byte) []byte { copy(b[4:], "moov"); return b }),
		"mdat renamed":       mod(func(b []byte) []byte { copy(b[moofSize+4:], "free"); return b }),
		"base data offset":   withBaseDataOffset(t, frag),
		"moof size zero-ish": mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b, 4); return b }),
		"traf overruns moof": mod(func(b []byte) []byte {
			i := bytes.Index(b, []byte("traf"))
			binary.BigEndian.PutUint32(b[i-4:], uint32(moofSize))
			return b
		}),
		"no traf": mod(func(b []byte) []byte {
			i := bytes.Index(b, []byte("traf"))
			copy(b[i:], "skip")
			return b
		}),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := CheckFragment(b, Fragments); !errors.Is(err, ErrBadMedia) || StatusOf(err) != 502 {
				t.Fatalf("err = %v, want ErrBadMedia (502)", err)
			}
		})
	}
	if _, err := CheckFragment(withBaseDataOffset(t, frag), Fragments); err == nil || !strings.Contains(err.Error(), "base-data-offset") {
		t.Fatalf("base-data-offset error = %v", err)
	}
}

func TestFragmentDuration(t *testing.T) {
	// demo_180: 25 fps, 50 frames per 2 s fragment in a 10 MHz timescale.
	d, err := fragmentDuration(firstFragment(t, "demo/demo_180.ismv"), 0)
	if err != nil || d != 20000000 {
		t.Fatalf("video fragment duration = %d, %v; want 20000000", d, err)
	}
	if _, err := fragmentDuration([]byte("nonsense"), 0); err == nil {
		t.Fatal("no error for nonsense")
	}
}

func FuzzCheckFragment(f *testing.F) {
	f.Add(firstFragment(f, "demo/demo_180.ismv"))
	f.Add(firstFragment(f, "demo/demo_audio.isma"))
	f.Add(withBaseDataOffset(f, firstFragment(f, "demo/demo_audio.isma")))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, k := range []Kind{Fragments, FragmentInfo, RawFragments} {
			body, err := CheckFragment(b, k)
			if err != nil {
				if !errors.Is(err, ErrBadMedia) {
					t.Fatalf("error is not ErrBadMedia: %v", err)
				}
				continue
			}
			if k == Fragments && len(body) != len(b) {
				t.Fatalf("Fragments body is %d of %d bytes", len(body), len(b))
			}
			if k == FragmentInfo && !bytes.Equal(body[4:8], []byte("moof")) {
				t.Fatalf("FragmentInfo body does not start with moof")
			}
		}
		_, _ = fragmentDuration(b, 1)
	})
}
