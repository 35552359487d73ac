package smooth

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		path string
		want Request
		err  string // "notsmooth", "live", "400" or "" for success
	}{
		// Manifest forms (§1.1): any case, optional (…) suffix.
		{path: "/demo/demo.ism/Manifest", want: Request{Presentation: "/demo/demo.ism", Kind: Manifest}},
		{path: "/demo/demo.ism/manifest", want: Request{Presentation: "/demo/demo.ism", Kind: Manifest}},
		{path: "/demo/demo.ism/MANIFEST", want: Request{Presentation: "/demo/demo.ism", Kind: Manifest}},
		{path: "/a/b/c.ISM/Manifest", want: Request{Presentation: "/a/b/c.ISM", Kind: Manifest}},
		{path: "/x.ism/manifest(filter=x)", want: Request{Presentation: "/x.ism", Kind: Manifest}},
		{path: "/x.ism/Manifest(format=m3u8-aapl)", want: Request{Presentation: "/x.ism", Kind: Manifest}},
		{path: "/x.ism/Manifest()", want: Request{Presentation: "/x.ism", Kind: Manifest}},
		{path: "/x.ism/Manifest(a", err: "400"},
		{path: "/x.ism/Manifest(a))", err: "400"},
		{path: "/x.ism/Manifest(a(b))", err: "400"},
		{path: "/x.ism/manifest.xml", err: "notsmooth"},
		{path: "/x.ism/Manifests", err: "notsmooth"},

		// Fragment forms (§1.2): the four nouns, any case.
		{path: "/PubPoint.ism/QualityLevels(307200,Compatibility=Handheld)/Fragments(video=1968000)", want: Request{
			Presentation: "/PubPoint.ism", Kind: Fragments, Bitrate: 307200,
			Attributes: []Attribute{{"Compatibility", "Handheld"}}, Stream: "video", Time: 1968000}},
		{path: "/d/demo.ism/QualityLevels(150000)/Fragments(video=20000000)", want: Request{
			Presentation: "/d/demo.ism", Kind: Fragments, Bitrate: 150000, Stream: "video", Time: 20000000}},
		{path: "/d/demo.ism/qualitylevels(64000)/fragments(audio=0)", want: Request{
			Presentation: "/d/demo.ism", Kind: Fragments, Bitrate: 64000, Stream: "audio", Time: 0}},
		{path: "/d/demo.ism/QualityLevels(64000)/FragmentInfo(audio=0)", want: Request{
			Presentation: "/d/demo.ism", Kind: FragmentInfo, Bitrate: 64000, Stream: "audio"}},
		{path: "/d/demo.ism/QualityLevels(64000)/RAWFRAGMENTS(audio=5)", want: Request{
			Presentation: "/d/demo.ism", Kind: RawFragments, Bitrate: 64000, Stream: "audio", Time: 5}},
		{path: "/d/demo.ism/QualityLevels(6293504)/KeyFrames(video=280000000)", want: Request{
			Presentation: "/d/demo.ism", Kind: KeyFrames, Bitrate: 6293504, Stream: "video", Time: 280000000}},
		// Stream names kept as written; language-suffixed and odd-but-legal names.
		{path: "/x.ism/QualityLevels(1)/Fragments(audio_eng=7)", want: Request{
			Presentation: "/x.ism", Kind: Fragments, Bitrate: 1, Stream: "audio_eng", Time: 7}},
		{path: "/x.ism/QualityLevels(1)/Fragments(Video-FRA.2=7)", want: Request{
			Presentation: "/x.ism", Kind: Fragments, Bitrate: 1, Stream: "Video-FRA.2", Time: 7}},
		{path: "/x.ism/QualityLevels(1)/Fragments(_x=7)", want: Request{
			Presentation: "/x.ism", Kind: Fragments, Bitrate: 1, Stream: "_x", Time: 7}},
		// Several custom attributes, empty value, leading zeros.
		{path: "/x.ism/QualityLevels(007,a=1,b_c=,D=x-y)/Fragments(video=00042)", want: Request{
			Presentation: "/x.ism", Kind: Fragments, Bitrate: 7,
			Attributes: []Attribute{{"a", "1"}, {"b_c", ""}, {"D", "x-y"}}, Stream: "video", Time: 42}},
		// Limits: bitrate < 2^32, time < 2^64.
		{path: "/x.ism/QualityLevels(4294967295)/Fragments(video=18446744073709551615)", want: Request{
			Presentation: "/x.ism", Kind: Fragments, Bitrate: 4294967295, Stream: "video", Time: 18446744073709551615}},
		{path: "/x.ism/QualityLevels(4294967296)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(99999999999999999999999)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=18446744073709551616)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=99999999999999999999)", err: "400"},

		// Malformed Smooth URLs: 400.
		{path: "/x.ism/QualityLevels()/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(-1)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(+1)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1 )/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(0x10)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1))/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels((1)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1,)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1,a)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1,=b)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1,9a=b)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1,a=b=c)/Fragments(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragment(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Chunks(video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=0", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=0))", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments((video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(1video=0)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=-5)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=1.5)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=1=2)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(vi deo=1)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=1, format=m3u8-aapl)", err: "400"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=1)x", err: "400"},

		// Live presentations (.isml): 404, not served by an on-demand edge.
		{path: "/live/x.isml/Manifest", err: "live"},
		{path: "/live/x.isml/QualityLevels(1)/Fragments(video=0)", err: "live"},

		// Not Smooth URLs: served as ordinary objects.
		{path: "/demo/demo.ism", err: "notsmooth"},
		{path: "/demo/demo.ismc", err: "notsmooth"},
		{path: "/demo/demo_180.ismv", err: "notsmooth"},
		{path: "/demo/demo.ism/", err: "notsmooth"},
		{path: "/demo/demo.ism/other.txt", err: "notsmooth"},
		{path: "/demo/.ism/Manifest", err: "notsmooth"},
		{path: "/demo/x.mp4/Manifest", err: "notsmooth"},
		{path: "/x.ism/QualityLevels(1)", err: "notsmooth"},
		{path: "/x.ism/a/b/Manifest", err: "notsmooth"},
		{path: "/x.ism/QualityLevels(1)/Fragments(video=0)/extra", err: "notsmooth"},
		{path: "/x.ism/Levels(1)/Fragments(video=0)", err: "notsmooth"},
		{path: "/x.ism(format=m3u8-aapl)/Manifest", err: "notsmooth"},
		{path: "Manifest", err: "notsmooth"},
		{path: "", err: "notsmooth"},
		{path: "/", err: "notsmooth"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ParseURL(tt.path)
			switch tt.err {
			case "":
				if err != nil {
					t.Fatalf("ParseURL: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("ParseURL =\n %+v\nwant\n %+v", got, tt.want)
				}
			case "notsmooth":
				if !errors.Is(err, ErrNotSmooth) {
					t.Fatalf("err = %v, want ErrNotSmooth", err)
				}
			case "live":
				if !errors.Is(err, ErrLive) || StatusOf(err) != 404 {
					t.Fatalf("err = %v (status %d), want ErrLive (404)", err, StatusOf(err))
				}
			case "400":
				var ue *URLError
				if !errors.As(err, &ue) || StatusOf(err) != 400 {
					t.Fatalf("err = %v (status %d), want *URLError (400)", err, StatusOf(err))
				}
				if ue.Path != tt.path {
					t.Fatalf("URLError.Path = %q", ue.Path)
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Manifest: "Manifest", Fragments: "Fragments", FragmentInfo: "FragmentInfo",
		RawFragments: "RawFragments", KeyFrames: "KeyFrames", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}

func TestParseURLAllocs(t *testing.T) {
	path := "/demo/demo.ism/QualityLevels(400000)/Fragments(video=20000000)"
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseURL(path); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseURL allocates %v times per call, want 0", allocs)
	}
}

func BenchmarkParseURL(b *testing.B) {
	for _, path := range []string{
		"/demo/demo.ism/QualityLevels(400000)/Fragments(video=20000000)",
		"/demo/demo.ism/Manifest",
		"/demo/demo_180.ismv",
	} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = ParseURL(path)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"/demo/demo.ism/Manifest",
		"/x.ism/manifest(filter=a)",
		"/PubPoint.ism/QualityLevels(307200,Compatibility=Handheld)/Fragments(video=1968000)",
		"/x.ism/QualityLevels(4294967296)/Fragments(video=0)",
		"/x.ism/QualityLevels(1)/KeyFrames(audio_eng=18446744073709551615)",
		"/x.isml/QualityLevels(1)/Fragments(video=0)",
		"/a.ism/b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req, err := ParseURL(path)
		if err != nil {
			var ue *URLError
			if !errors.Is(err, ErrNotSmooth) && !errors.Is(err, ErrLive) && !errors.As(err, &ue) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if req.Kind < Manifest || req.Kind > KeyFrames {
			t.Fatalf("bad kind %d", req.Kind)
		}
		if !hasSuffixFold(req.Presentation, ".ism") || len(req.Presentation) >= len(path) || path[:len(req.Presentation)] != req.Presentation {
			t.Fatalf("presentation %q is not a .ism prefix of %q", req.Presentation, path)
		}
		if req.Kind != Manifest && !validName(req.Stream) {
			t.Fatalf("invalid stream name %q accepted", req.Stream)
		}
	})
}
