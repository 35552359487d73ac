package smooth

import (
	"context"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// mediaRoot is the repository's demo media, made by scripts/make-demo.sh.
const mediaRoot = "../testdata/media"

// presentations are the committed demo presentations: URL path of the .ism → folder.
var presentations = []string{"/demo/demo.ism", "/multi/multi.ism", "/lang/lang.ism"}

// memSource is an in-memory Source with HTTP-like range semantics and read counters.
type memSource struct {
	mu    sync.Mutex
	files map[string][]byte
	etags map[string]string
	reads map[string]int // path → number of ReadRange calls
	log   []string       // "path off n" per call
}

func newMemSource() *memSource {
	return &memSource{files: map[string][]byte{}, etags: map[string]string{}, reads: map[string]int{}}
}

func (s *memSource) put(p string, data []byte, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p], s.etags[p] = data, etag
}

func (s *memSource) remove(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, p)
}

func (s *memSource) count(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[p]
}

func (s *memSource) ReadRange(ctx context.Context, p string, off, n int64) ([]byte, int64, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[p]++
	s.log = append(s.log, fmt.Sprintf("%s %d %d", p, off, n))
	data, ok := s.files[p]
	if !ok {
		return nil, 0, "", fmt.Errorf("memSource %s: %w", p, ErrNotFound)
	}
	size := int64(len(data))
	switch {
	case off < 0 && n < 0:
		off = max(0, size+off)
		n = size - off
	case n < 0:
		n = size - off
	}
	if off > size {
		return nil, size, s.etags[p], fmt.Errorf("memSource %s: range %d past end %d", p, off, size)
	}
	end := min(off+n, size)
	return data[off:end:end], size, s.etags[p], nil
}

// loadMedia puts every file of the committed presentations into a memSource under
// "/<folder>/<file>".
func loadMedia(t testing.TB) *memSource {
	t.Helper()
	src := newMemSource()
	for _, pres := range presentations {
		dir := path.Dir(pres)
		entries, err := os.ReadDir(filepath.Join(mediaRoot, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(mediaRoot, dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			src.put(path.Join(dir, e.Name()), data, fmt.Sprintf("%q", e.Name()+"-v1"))
		}
	}
	return src
}

func readMedia(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(mediaRoot, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// walkedFragment is one moof+mdat found by walking a file's top-level boxes.
type walkedFragment struct {
	trackID   uint32
	off       int64
	moofSize  int64
	mdatHdr   int64
	totalSize int64
}

// walkFragments walks the top-level boxes of an ismv independently of mfra/tfra and returns
// each track's moof+mdat pairs in file order.
func walkFragments(t testing.TB, file []byte) map[uint32][]walkedFragment {
	t.Helper()
	out := map[uint32][]walkedFragment{}
	for pos := int64(0); pos < int64(len(file)); {
		size := int64(binary.BigEndian.Uint32(file[pos:]))
		typ := string(file[pos+4 : pos+8])
		if size < 8 {
			t.Fatalf("walk: box %q at %d has size %d", typ, pos, size)
		}
		if typ == "moof" {
			// moof > mfhd, traf > tfhd: find the tfhd's track ID by scanning for it.
			i := strings.Index(string(file[pos:pos+size]), "tfhd")
			if i < 0 {
				t.Fatalf("walk: moof at %d has no tfhd", pos)
			}
			tid := binary.BigEndian.Uint32(file[pos+int64(i)+8:])
			mdat := pos + size
			if string(file[mdat+4:mdat+8]) != "mdat" {
				t.Fatalf("walk: moof at %d not followed by mdat", pos)
			}
			mdatSize := int64(binary.BigEndian.Uint32(file[mdat:]))
			out[tid] = append(out[tid], walkedFragment{trackID: tid, off: pos, moofSize: size, mdatHdr: 8, totalSize: size + mdatSize})
		}
		pos += size
	}
	return out
}

// clientManifest is the part of a .ismc the tests use to build fragment URLs.
type clientManifest struct {
	Duration uint64 `xml:"Duration,attr"`
	Streams  []struct {
		Type   string `xml:"Type,attr"`
		Name   string `xml:"Name,attr"`
		Url    string `xml:"Url,attr"`
		Chunks int    `xml:"Chunks,attr"`
		Levels []struct {
			Bitrate uint32 `xml:"Bitrate,attr"`
		} `xml:"QualityLevel"`
		C []struct {
			T *uint64 `xml:"t,attr"`
			D *uint64 `xml:"d,attr"`
		} `xml:"c"`
	} `xml:"StreamIndex"`
}

// fragmentURL is one fragment request a client would make, with the stream index and chunk.
type fragmentURL struct {
	url     string
	stream  string
	bitrate uint32
	chunk   int
}

// fragmentURLs expands a client manifest into every fragment URL, the way clients do
// ([MS-SSTR] §2.2.2.6 rules for t and d; §2.2.2.4 UrlPattern substitution;
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sstr/).
func fragmentURLs(t testing.TB, pres string, ismc []byte) []fragmentURL {
	t.Helper()
	var cm clientManifest
	if err := xml.Unmarshal(ismc, &cm); err != nil {
		t.Fatal(err)
	}
	var out []fragmentURL
	for _, s := range cm.Streams {
		name := s.Name
		if name == "" {
			name = s.Type
		}
		var ts []uint64
		var next uint64
		for _, c := range s.C {
			tt := next
			if c.T != nil {
				tt = *c.T
			}
			ts = append(ts, tt)
			if c.D != nil {
				next = tt + *c.D
			}
		}
		if len(ts) != s.Chunks {
			t.Fatalf("%s stream %s: Chunks=%d but %d c elements", pres, name, s.Chunks, len(ts))
		}
		for _, l := range s.Levels {
			for i, tt := range ts {
				u := strings.Replace(s.Url, "{bitrate}", strconv.FormatUint(uint64(l.Bitrate), 10), 1)
				u = strings.Replace(u, "{start time}", strconv.FormatUint(tt, 10), 1)
				out = append(out, fragmentURL{url: pres + "/" + u, stream: name, bitrate: l.Bitrate, chunk: i})
			}
		}
	}
	return out
}
