package bench

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDemoManifest(t *testing.T) {
	b, err := os.ReadFile("testdata/demo.ismc")
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.streams) != 2 {
		t.Fatalf("%d streams, want 2", len(m.streams))
	}
	v, a := m.streams[0], m.streams[1]
	if v.typ != "video" || !slices.Equal(v.bitrates, []uint64{150000, 400000}) {
		t.Fatalf("video stream %+v", v)
	}
	if !slices.Equal(v.starts, []uint64{0, 20000000, 40000000, 60000000, 80000000}) {
		t.Fatalf("video starts %v", v.starts)
	}
	if a.typ != "audio" || !slices.Equal(a.bitrates, []uint64{64000}) {
		t.Fatalf("audio stream %+v", a)
	}
	if !slices.Equal(a.starts, []uint64{0, 19840000, 39893333, 59946667, 79946667 + 53333}) {
		t.Fatalf("audio starts %v", a.starts)
	}
	if v.at(4) != 8*time.Second || v.url != "QualityLevels({bitrate})/Fragments(video={start time})" {
		t.Fatalf("video at(4) %v url %q", v.at(4), v.url)
	}
	if m.length() != 10*time.Second {
		t.Fatalf("length %v, want 10s", m.length())
	}
	steps := m.schedule()
	if len(steps) != 10 || steps[0].stream != 0 || steps[1].stream != 1 || steps[2].at != 1984*time.Millisecond {
		t.Fatalf("schedule %+v", steps)
	}
	for i := 1; i < len(steps); i++ {
		if steps[i].at < steps[i-1].at {
			t.Fatalf("schedule goes back in time at %d: %+v", i, steps)
		}
	}
}

func TestTimeline(t *testing.T) {
	head := `<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="0" TimeScale="1000">
<StreamIndex Type="video" Url="QualityLevels({bitrate})/Fragments(video={start time})"><QualityLevel Index="0" Bitrate="1000"/>`
	tail := `</StreamIndex></SmoothStreamingMedia>`
	tests := []struct {
		name   string
		chunks string
		want   []uint64
		err    string
	}{
		{"duration coding", `<c d="10"/><c d="10"/><c d="5"/>`, []uint64{0, 10, 20}, ""},
		{"first t", `<c t="100" d="10"/><c d="10"/>`, []uint64{100, 110}, ""},
		{"start-time coding", `<c t="0"/><c t="7"/><c t="20" d="5"/>`, []uint64{0, 7, 20}, ""},
		{"repeat", `<c t="50" d="10" r="3"/><c d="1"/>`, []uint64{50, 60, 70, 80}, ""},
		{"gap by t", `<c d="10"/><c t="30" d="10"/>`, []uint64{0, 30}, ""},
		{"back in time", `<c t="30" d="10"/><c t="5" d="10"/>`, nil, "goes back in time"},
		{"last without d", `<c t="0"/><c t="7"/>`, nil, "no d"},
		{"r zero", `<c d="10" r="0"/>`, nil, "r=0"},
		{"too many", `<c d="1" r="9999999999"/>`, nil, "more than"},
		{"none", ``, nil, "no fragments"},
		{"bad number", `<c d="x"/>`, nil, "manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseManifest([]byte(head + tc.chunks + tail))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.streams[0].starts; !slices.Equal(got, tc.want) {
				t.Fatalf("starts %v, want %v", got, tc.want)
			}
			if m.streams[0].timeScale != 1000 {
				t.Fatalf("timescale %d", m.streams[0].timeScale)
			}
		})
	}
}

func TestParseManifestRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, err string }{
		{"not xml", "hello", "manifest"},
		{"other root", `<MPD/>`, "manifest"},
		{"no streams", `<SmoothStreamingMedia/>`, "no StreamIndex"},
		{"live", `<SmoothStreamingMedia IsLive="TRUE"/>`, "live"},
		{"no url", `<SmoothStreamingMedia><StreamIndex Type="video"><QualityLevel Bitrate="1"/><c d="1"/></StreamIndex></SmoothStreamingMedia>`, "Url"},
		{"no levels", `<SmoothStreamingMedia><StreamIndex Type="video" Url="x"><c d="1"/></StreamIndex></SmoothStreamingMedia>`, "QualityLevel"},
		{"bad bitrate", `<SmoothStreamingMedia><StreamIndex Type="video" Url="x"><QualityLevel Bitrate="fast"/><c d="1"/></StreamIndex></SmoothStreamingMedia>`, "Bitrate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseManifest([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

func TestExpandTemplate(t *testing.T) {
	tests := []struct {
		tmpl string
		want string
	}{
		{"QualityLevels({bitrate})/Fragments(video={start time})", "QualityLevels(400000)/Fragments(video=20000000)"},
		{"QualityLevels({Bitrate})/Fragments(audio_eng={start_time})", "QualityLevels(400000)/Fragments(audio_eng=20000000)"},
		{"QualityLevels({bitrate},{CustomAttributes})/Fragments(v={start time})", "QualityLevels(400000,{CustomAttributes})/Fragments(v=20000000)"},
		{"plain", "plain"},
		{"{", "{"},
		{"{bitrate", "{bitrate"},
		{"{bitrate}{bitrate}", "400000400000"},
		{"", ""},
	}
	for _, tc := range tests {
		got := string(expandTemplate([]byte("/p/"), tc.tmpl, 400000, 20000000))
		if got != "/p/"+tc.want {
			t.Errorf("expandTemplate(%q) = %q, want %q", tc.tmpl, got, "/p/"+tc.want)
		}
	}
}

func TestExpandTemplateAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		buf = expandTemplate(buf[:0], "QualityLevels({bitrate})/Fragments(video={start time})", 400000, 20000000)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations", allocs)
	}
}

func TestFragmentBase(t *testing.T) {
	for in, want := range map[string]string{
		"/demo/demo.ism/Manifest": "/demo/demo.ism/",
		"/x.ism/manifest":         "/x.ism/",
		"/Manifest":               "/",
		"Manifest":                "/",
	} {
		if got := fragmentBase(in); got != want {
			t.Errorf("fragmentBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	demo, err := os.ReadFile("testdata/demo.ismc")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demo)
	f.Add([]byte(`<SmoothStreamingMedia><StreamIndex Type="video" Url="Q({bitrate})/F(v={start time})"><QualityLevel Bitrate="1"/><c t="5" d="1" r="3"/></StreamIndex></SmoothStreamingMedia>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			return
		}
		total := 0
		for _, s := range m.streams {
			if len(s.bitrates) == 0 || len(s.starts) == 0 || s.timeScale == 0 {
				t.Fatalf("accepted an empty stream: %+v", s)
			}
			if !slices.IsSorted(s.starts) {
				t.Fatalf("starts not sorted: %v", s.starts)
			}
			total += len(s.starts)
			_ = expandTemplate(nil, s.url, s.bitrates[0], s.starts[len(s.starts)-1])
		}
		if total > maxFragments {
			t.Fatalf("%d fragments", total)
		}
		if got := len(m.schedule()); got != total {
			t.Fatalf("schedule has %d steps for %d fragments", got, total)
		}
	})
}
