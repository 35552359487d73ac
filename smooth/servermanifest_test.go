package smooth

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

const iisExample = `<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head>
    <meta name="title" content="t"/>
    <meta name="clientManifestRelativePath" content=" media.ismc "/>
    <meta name="module" content="smoothStreaming"/>
  </head>
  <body>
    <switch>
      <video src="media_1500k.ismv" systemBitrate="1500000">
        <param name="trackID" value="1" valuetype="data"/>
        <param name="hardwareProfile" value="10000" valuetype="data"/>
      </video>
      <video src="media_1500k_hd.ismv" systemBitrate="1500000">
        <param name="trackID" value="1" valuetype="data"/>
        <param name="hardwareProfile" value="20000" valuetype="data"/>
      </video>
      <audio src="media_audio.isma" systemBitrate="128000" systemLanguage="eng">
        <param name="trackID" value="2" valuetype="data"/>
        <param name="trackName" value="audio_eng" valuetype="data"/>
      </audio>
      <audio src="media_audio_de.isma" systemBitrate="128000" systemLanguage="deu">
        <param name="trackID" value="2" valueType="data"/>
        <param name="trackName" value="audio_deu" valueType="data"/>
      </audio>
      <audio src="plain.isma" systemBitrate="64000">
        <param name="trackID" value="1"/>
      </audio>
      <textstream src="captions.ismt" systemBitrate="1000">
        <param name="trackID" value="3"/>
      </textstream>
    </switch>
  </body>
</smil>`

func TestParseServerManifest(t *testing.T) {
	m, err := ParseServerManifest([]byte(iisExample))
	if err != nil {
		t.Fatal(err)
	}
	if m.ClientManifestRelativePath != "media.ismc" {
		t.Errorf("ClientManifestRelativePath = %q", m.ClientManifestRelativePath)
	}
	if len(m.Tracks) != 6 {
		t.Fatalf("%d tracks, want 6", len(m.Tracks))
	}
	want0 := TrackElement{Type: "video", Src: "media_1500k.ismv", SystemBitrate: 1500000, TrackID: 1,
		Params: []Attribute{{"trackID", "1"}, {"hardwareProfile", "10000"}}}
	if !reflect.DeepEqual(m.Tracks[0], want0) {
		t.Errorf("track 0 = %+v\nwant %+v", m.Tracks[0], want0)
	}
	if got := m.Tracks[0].CustomAttributes(); !reflect.DeepEqual(got, []Attribute{{"hardwareProfile", "10000"}}) {
		t.Errorf("custom attributes = %v", got)
	}
	a := m.Tracks[3]
	if a.Name() != "audio_deu" || a.SystemLanguage != "deu" || a.TrackID != 2 || len(a.CustomAttributes()) != 0 {
		t.Errorf("track 3 = %+v (name %q)", a, a.Name())
	}
	if m.Tracks[4].Name() != "audio" || m.Tracks[5].Name() != "textstream" {
		t.Errorf("default names %q %q", m.Tracks[4].Name(), m.Tracks[5].Name())
	}
}

func TestParseServerManifestEncodings(t *testing.T) {
	utf16le := func(s string, bom bool) []byte {
		var out []byte
		if bom {
			out = []byte{0xFF, 0xFE}
		}
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	utf16be := func(s string) []byte {
		out := []byte{0xFE, 0xFF}
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u>>8), byte(u))
		}
		return out
	}
	u16doc := strings.Replace(iisExample, `encoding="utf-8"`, `encoding="utf-16"`, 1)
	u16doc = strings.Replace(u16doc, "media_audio.isma", "média_äudio.isma", 1)
	prefixed := `<?xml version="1.0"?>
<s:smil xmlns:s="http://www.w3.org/2001/SMIL20/Language"><s:head>
<s:meta NAME="clientManifestRelativePath" CONTENT="p.ismc"/></s:head>
<s:body><s:switch><s:video SRC="v.ismv" SYSTEMBITRATE="100"><s:param NAME="trackID" VALUE="4"/></s:video></s:switch></s:body></s:smil>`
	tests := []struct {
		name     string
		data     []byte
		ismc     string
		tracks   int
		firstSrc string
	}{
		{"utf-8", []byte(iisExample), "media.ismc", 6, "media_1500k.ismv"},
		{"utf-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, iisExample...), "media.ismc", 6, "media_1500k.ismv"},
		{"utf-16le BOM", utf16le(u16doc, true), "media.ismc", 6, "media_1500k.ismv"},
		{"utf-16le no BOM", utf16le(u16doc, false), "media.ismc", 6, "media_1500k.ismv"},
		{"utf-16be BOM", utf16be(u16doc), "media.ismc", 6, "media_1500k.ismv"},
		{"prefix namespace, upper-case attributes", []byte(prefixed), "p.ismc", 1, "v.ismv"},
		{"no namespace, no clientManifestRelativePath", []byte(`<smil><body><switch><audio src="a.isma" systemBitrate="1"/></switch></body></smil>`), "", 1, "a.isma"},
		{"no switch", []byte(`<smil><body><video src="v" systemBitrate="2"/></body></smil>`), "", 1, "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseServerManifest(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.ClientManifestRelativePath != tt.ismc || len(m.Tracks) != tt.tracks || m.Tracks[0].Src != tt.firstSrc {
				t.Fatalf("got ismc %q, %d tracks, first %+v", m.ClientManifestRelativePath, len(m.Tracks), m.Tracks[0])
			}
			if tt.tracks == 6 && m.Tracks[2].Src != "media_audio.isma" && m.Tracks[2].Src != "média_äudio.isma" {
				t.Fatalf("track 2 src %q", m.Tracks[2].Src)
			}
		})
	}
	// Non-ASCII survives UTF-16 decoding.
	m, err := ParseServerManifest(utf16le(u16doc, true))
	if err != nil || m.Tracks[2].Src != "média_äudio.isma" {
		t.Fatalf("utf-16 src = %q, %v", m.Tracks[2].Src, err)
	}
}

func TestParseServerManifestErrors(t *testing.T) {
	tests := map[string]string{
		"empty":              ``,
		"not xml":            `hello`,
		"wrong root":         `<SmoothStreamingMedia/>`,
		"unclosed":           `<smil><body>`,
		"missing src":        `<smil><body><video systemBitrate="1"/></body></smil>`,
		"missing bitrate":    `<smil><body><video src="a"/></body></smil>`,
		"bitrate overflow":   `<smil><body><video src="a" systemBitrate="4294967296"/></body></smil>`,
		"bitrate not number": `<smil><body><video src="a" systemBitrate="fast"/></body></smil>`,
		"bad trackID":        `<smil><body><video src="a" systemBitrate="1"><param name="trackID" value="x"/></video></body></smil>`,
		"zero trackID":       `<smil><body><video src="a" systemBitrate="1"><param name="trackID" value="0"/></video></body></smil>`,
		"param without name": `<smil><body><video src="a" systemBitrate="1"><param value="x"/></video></body></smil>`,
		"odd utf-16":         "\xff\xfe<\x00s",
		"too big":            strings.Repeat(" ", maxServerManifest+1),
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if m, err := ParseServerManifest([]byte(doc)); err == nil {
				t.Fatalf("no error, got %+v", m)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	m, err := ParseServerManifest([]byte(iisExample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		bitrate uint32
		stream  string
		attrs   []Attribute
		want    Track
		err     error
	}{
		{"by custom attribute", 1500000, "video", []Attribute{{"hardwareProfile", "20000"}}, Track{"media_1500k_hd.ismv", 1, "video"}, nil},
		{"custom attribute key any case", 1500000, "video", []Attribute{{"HARDWAREPROFILE", "10000"}}, Track{"media_1500k.ismv", 1, "video"}, nil},
		{"ambiguous without attributes", 1500000, "video", nil, Track{}, ErrAmbiguous},
		{"unknown attribute value", 1500000, "video", []Attribute{{"hardwareProfile", "1"}}, Track{}, ErrNotFound},
		{"unknown attribute", 64000, "audio", []Attribute{{"x", "1"}}, Track{}, ErrNotFound},
		{"by track name", 128000, "audio_deu", nil, Track{"media_audio_de.isma", 2, "audio"}, nil},
		{"track name is case-sensitive", 128000, "Audio_deu", nil, Track{}, ErrNotFound},
		{"named track is not the default name", 128000, "audio", nil, Track{}, ErrNotFound},
		{"default audio name", 64000, "audio", nil, Track{"plain.isma", 1, "audio"}, nil},
		{"default textstream name", 1000, "textstream", nil, Track{"captions.ismt", 3, "textstream"}, nil},
		{"unknown bitrate", 1499999, "video", nil, Track{}, ErrNotFound},
		{"bitrate of another type", 64000, "video", nil, Track{}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Resolve(tt.bitrate, tt.stream, tt.attrs)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || StatusOf(err) != 404 {
					t.Fatalf("err = %v, want %v (404)", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	// An exact attribute-set match wins over a superset.
	m2, err := ParseServerManifest([]byte(`<smil><body>
<video src="a" systemBitrate="1"><param name="trackID" value="1"/></video>
<video src="b" systemBitrate="1"><param name="trackID" value="1"/><param name="x_y" value="1"/></video></body></smil>`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m2.Resolve(1, "video", nil); err != nil || got.Src != "a" {
		t.Fatalf("exact match: %+v, %v", got, err)
	}
}

func FuzzParseServerManifest(f *testing.F) {
	f.Add([]byte(iisExample))
	f.Add([]byte(`<smil><body><video src="v" systemBitrate="2"><param name="trackID" value="1"/></video></body></smil>`))
	f.Add([]byte("\xff\xfe<\x00s\x00m\x00i\x00l\x00/\x00>\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseServerManifest(data)
		if err != nil {
			return
		}
		for _, tr := range m.Tracks {
			if tr.Src == "" || (tr.Type != "video" && tr.Type != "audio" && tr.Type != "textstream") {
				t.Fatalf("accepted track %+v", tr)
			}
			// Every accepted track resolves to itself or is ambiguous, never "not found".
			if _, err := m.Resolve(tr.SystemBitrate, tr.Name(), tr.CustomAttributes()); errors.Is(err, ErrNotFound) {
				t.Fatalf("track %+v does not resolve: %v", tr, err)
			}
		}
	})
}
