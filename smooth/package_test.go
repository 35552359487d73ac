package smooth

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// packageInputs are the Package inputs scripts/make-demo.sh uses for each presentation.
var packageInputs = map[string][]PackageFile{
	"demo": {
		{Src: "demo_180.ismv", Bitrate: 150000},
		{Src: "demo_360.ismv", Bitrate: 400000},
		{Src: "demo_audio.isma", Bitrate: 64000},
	},
	"multi": {{Src: "multi.ismv"}},
	"lang": {
		{Src: "lang_video.ismv", Bitrate: 100000},
		{Src: "lang_eng.isma", Bitrate: 64000, TrackName: "audio_eng"},
		{Src: "lang_deu.isma", Bitrate: 64000, TrackName: "audio_deu"},
	},
}

func packageOpts(t testing.TB, name string) PackageOptions {
	t.Helper()
	opts := PackageOptions{ClientManifest: name + ".ismc"}
	for _, f := range packageInputs[name] {
		data := readMedia(t, path.Join(name, f.Src))
		f.Data, f.Size = bytes.NewReader(data), int64(len(data))
		opts.Files = append(opts.Files, f)
	}
	return opts
}

// TestPackageGolden checks Package output against golden files and against the manifests
// committed beside the demo media (so the committed demo stays in sync with the code).
func TestPackageGolden(t *testing.T) {
	for _, name := range []string{"demo", "multi", "lang"} {
		t.Run(name, func(t *testing.T) {
			ism, ismc, err := Package(packageOpts(t, name))
			if err != nil {
				t.Fatal(err)
			}
			for ext, got := range map[string][]byte{".ism": ism, ".ismc": ismc} {
				golden := filepath.Join("testdata", name+ext+".golden")
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s:\n%s", ext, golden, got)
				}
				if committed := readMedia(t, path.Join(name, name+ext)); !bytes.Equal(got, committed) {
					t.Errorf("%s differs from the committed testdata/media/%s/%s%s (rerun scripts/make-demo.sh)", ext, name, name, ext)
				}
			}
			// The .ism Package writes parses back to the same tracks.
			sm, err := ParseServerManifest(ism)
			if err != nil || sm.ClientManifestRelativePath != name+".ismc" {
				t.Fatalf("ParseServerManifest(Package output) = %+v, %v", sm, err)
			}
		})
	}
}

func TestPackageMeasuredBitrate(t *testing.T) {
	opts := packageOpts(t, "demo")
	opts.Files[0].Bitrate = 0
	ism, _, err := Package(opts)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := ParseServerManifest(ism)
	if err != nil {
		t.Fatal(err)
	}
	// demo_180 is encoded at ~150 kbps: the measured mdat rate must be near that.
	if br := sm.Tracks[0].SystemBitrate; br < 100000 || br > 200000 {
		t.Fatalf("measured bitrate %d", br)
	}
	// The audio track's bitrate comes from the esds when not given: 64000.
	opts.Files[2].Bitrate = 0
	ism, _, err = Package(opts)
	if err != nil {
		t.Fatal(err)
	}
	if sm, _ = ParseServerManifest(ism); sm.Tracks[2].SystemBitrate != 64000 {
		t.Fatalf("audio bitrate %d, want 64000 from esds", sm.Tracks[2].SystemBitrate)
	}
}

func TestPackageErrors(t *testing.T) {
	good := func() PackageOptions { return packageOpts(t, "demo") }
	file := readMedia(t, "demo/demo_180.ismv")
	tests := map[string]func(o *PackageOptions){
		"no ismc name": func(o *PackageOptions) { o.ClientManifest = "" },
		"no files":     func(o *PackageOptions) { o.Files = nil },
		"empty file":   func(o *PackageOptions) { o.Files[0].Size = 0 },
		"duplicate bitrate": func(o *PackageOptions) {
			o.Files[1].Bitrate = 150000
		},
		"no mfra": func(o *PackageOptions) {
			cut := file[:len(file)-200]
			o.Files[0].Data, o.Files[0].Size = bytes.NewReader(cut), int64(len(cut))
		},
		"name for multi-track file": func(o *PackageOptions) {
			m := readMedia(t, "multi/multi.ismv")
			o.Files = append(o.Files, PackageFile{Src: "m.ismv", Data: bytes.NewReader(m), Size: int64(len(m)), TrackName: "x"})
		},
		"misaligned quality levels": func(o *PackageOptions) {
			a := readMedia(t, "demo/demo_audio.isma")
			o.Files = append(o.Files, PackageFile{Src: "a2.isma", Data: bytes.NewReader(a), Size: int64(len(a)), Bitrate: 1})
			// Same stream "audio", other bitrate, but a different file with other times:
			l := readMedia(t, "lang/lang_eng.isma")
			o.Files[3] = PackageFile{Src: "l.isma", Data: bytes.NewReader(l), Size: int64(len(l)), Bitrate: 1}
		},
		"name used by two types": func(o *PackageOptions) {
			o.Files[2].TrackName = "video"
		},
	}
	for name, mod := range tests {
		t.Run(name, func(t *testing.T) {
			o := good()
			mod(&o)
			if _, _, err := Package(o); err == nil {
				t.Fatal("no error")
			}
		})
	}
	// Errors name the file.
	o := good()
	o.Files[0].Data, o.Files[0].Size = bytes.NewReader(file[:100]), 100
	if _, _, err := Package(o); err == nil || !strings.Contains(err.Error(), "demo_180.ismv") || !errors.Is(err, ErrBadMedia) {
		t.Fatalf("err = %v", err)
	}
}

func TestMeasuredBitrate(t *testing.T) {
	for _, tt := range []struct {
		n, ticks uint64
		ts       uint32
		want     uint32
	}{
		{1000, 10_000_000, 10_000_000, 8000},
		{1000, 0, 10_000_000, 0},
		{1 << 62, 1, 10_000_000, ^uint32(0)},
		{3, 2, 1, 12},
	} {
		if got := measuredBitrate(tt.n, tt.ticks, tt.ts); got != tt.want {
			t.Errorf("measuredBitrate(%d, %d, %d) = %d, want %d", tt.n, tt.ticks, tt.ts, got, tt.want)
		}
	}
}

// TestPackageThirdParty packages mp4ff's FFmpeg-made bbb5s_aac.isma (3 fragments, tfra v1).
func TestPackageThirdParty(t *testing.T) {
	data, err := os.ReadFile("testdata/bbb5s_aac.isma")
	if err != nil {
		t.Fatal(err)
	}
	ix := indexOf(t, data)
	if frags := ix.Fragments(1); len(frags) != 3 {
		t.Fatalf("%d fragments, want 3", len(frags))
	}
	for _, f := range ix.Fragments(1) {
		if _, err := CheckFragment(data[f.Offset:f.Offset+f.Length], Fragments); err != nil {
			t.Fatal(err)
		}
	}
	ism, ismc, err := Package(PackageOptions{ClientManifest: "bbb.ismc",
		Files: []PackageFile{{Src: "bbb5s_aac.isma", Data: bytes.NewReader(data), Size: int64(len(data))}}})
	if err != nil {
		t.Fatal(err)
	}
	urls := fragmentURLs(t, "/bbb.ism", ismc)
	if len(urls) != 3 || !strings.Contains(string(ismc), `FourCC="AACL"`) || !strings.Contains(string(ism), `src="bbb5s_aac.isma"`) {
		t.Fatalf("unexpected manifests:\n%s\n%s", ism, ismc)
	}
	src := newMemSource()
	src.put("/bbb.ism", ism, `"1"`)
	src.put("/bbb5s_aac.isma", data, `"1"`)
	r := newTestResolver(t, src)
	for _, u := range urls {
		req, err := ParseURL(u.url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Fragment(context.Background(), req); err != nil {
			t.Fatalf("%s: %v", u.url, err)
		}
	}
}
