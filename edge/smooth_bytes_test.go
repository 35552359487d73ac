package edge

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/internal/s3server"
	"github.com/cfedge/edge/internal/testkit"
)

// httpOriginTOML is the origin part of smoothConfig that tests swap for another kind of origin.
const httpOriginTOML = "kind = \"http\"\ndomain_name = \"127.0.0.1\"\nhttp_port = {{ORIGIN_PORT}}"

// mustReplace replaces every old in s with new, and fails the test when s holds no old: a
// fixture that drifted from the text a test edits must not pass silently unedited.
func mustReplace(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture edit: %q not found in:\n%s", old, s)
	}
	return strings.ReplaceAll(s, old, new)
}

// fragmentRanges walks the top-level boxes of a single-track fragmented MP4 file, on its own and
// without the smooth package, and returns each moof+mdat pair's bytes in file order.
func fragmentRanges(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	moof := -1
	for off := 0; off+8 <= len(data); {
		size := int(binary.BigEndian.Uint32(data[off:]))
		typ := string(data[off+4 : off+8])
		if size == 1 {
			size = int(binary.BigEndian.Uint64(data[off+8:]))
		}
		if size < 8 || off+size > len(data) {
			t.Fatalf("box %q at %d: bad size %d", typ, off, size)
		}
		switch typ {
		case "moof":
			moof = off
		case "mdat":
			if moof < 0 {
				t.Fatalf("mdat at %d without a moof", off)
			}
			out = append(out, data[moof:off+size])
			moof = -1
		}
		off += size
	}
	return out
}

// TestSmoothFragmentsByteForByte fetches every fragment of the demo through the edge, for each
// origin kind (dir, http, s3), and checks each is exactly the file's moof+mdat bytes.
func TestSmoothFragmentsByteForByte(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	demo := filepath.Join(media, "demo")
	ismc, _ := os.ReadFile(filepath.Join(demo, "demo.ismc"))
	files := map[string]struct {
		name, stream string
	}{
		"150000": {"demo_180.ismv", "video"},
		"400000": {"demo_360.ismv", "video"},
		"64000":  {"demo_audio.isma", "audio"},
	}
	kinds := map[string]func(t *testing.T) *testEdge{
		"dir": func(t *testing.T) *testEdge {
			cfg := mustReplace(t, smoothConfig, httpOriginTOML, "kind = \"dir\"\npath = \""+media+"\"")
			return startEdge(t, cfg, 0)
		},
		"http": func(t *testing.T) *testEdge {
			o := newTestOrigin(t)
			o.serveDir(media)
			return startEdge(t, smoothConfig, o.port())
		},
		"s3": func(t *testing.T) *testEdge {
			srv := s3server.Start(t)
			srv.CreateBucket("media")
			for _, name := range []string{"demo.ism", "demo.ismc", "demo_180.ismv", "demo_360.ismv", "demo_audio.isma"} {
				b, err := os.ReadFile(filepath.Join(demo, name))
				if err != nil {
					t.Fatal(err)
				}
				srv.Put("media", "demo/"+name, b)
			}
			cfg := mustReplace(t, smoothConfig, httpOriginTOML,
				fmt.Sprintf("kind = \"s3\"\nbucket = \"media\"\nendpoint = %q\naccess_key_id = %q\nsecret_access_key = %q", srv.Endpoint, srv.AccessKey, srv.SecretKey))
			return startEdge(t, cfg, 0)
		},
	}
	for kind, start := range kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t)
			if _, b := e.get(t, "/demo/demo.ism/Manifest"); b != string(ismc) {
				t.Fatalf("Manifest is not the .ismc verbatim (%d bytes)", len(b))
			}
			// Objects that are not Smooth URLs are served as usual on a Smooth behavior.
			ism, _ := os.ReadFile(filepath.Join(demo, "demo.ism"))
			if r, b := e.get(t, "/demo/demo.ism"); r.StatusCode != 200 || b != string(ism) {
				t.Errorf("the .ism as a plain object: %d, %d bytes", r.StatusCode, len(b))
			}
			if r, _ := e.get(t, "/clientaccesspolicy.xml"); r.StatusCode != 404 && r.StatusCode != 403 {
				t.Errorf("a missing plain object: %d, want the origin's 404/403", r.StatusCode)
			}
			if r, _ := e.get(t, "/demo/demo.ism/QualityLevels(150000)/Fragments(video=12345)"); r.StatusCode != 404 {
				t.Errorf("unknown time: %d, want 404", r.StatusCode)
			}
			if r, _ := e.get(t, "/demo/demo.ism/QualityLevels(99)/Fragments(video=0)"); r.StatusCode != 404 {
				t.Errorf("unknown bitrate: %d, want 404", r.StatusCode)
			}
			if r, _ := e.get(t, "/demo/demo.ism/QualityLevels(99999999999)/Fragments(video=0)"); r.StatusCode != 400 {
				t.Errorf("bitrate over 2^32: %d, want 400", r.StatusCode)
			}
			n := 0
			for bitrate, f := range files {
				data, err := os.ReadFile(filepath.Join(demo, f.name))
				if err != nil {
					t.Fatal(err)
				}
				want := fragmentRanges(t, data)
				times := chunkTimes(t, filepath.Join(demo, "demo.ismc"), f.stream)
				if len(times) != len(want) {
					t.Fatalf("%s: %d chunks in the manifest, %d moof+mdat pairs in the file", f.name, len(times), len(want))
				}
				for i, ts := range times {
					u := fmt.Sprintf("/demo/demo.ism/QualityLevels(%s)/Fragments(%s=%d)", bitrate, f.stream, ts)
					r, b := e.get(t, u)
					if r.StatusCode != 200 || b != string(want[i]) {
						t.Fatalf("%s: %d, %d bytes; want the file's fragment %d (%d bytes)", u, r.StatusCode, len(b), i, len(want[i]))
					}
					ct := "video/mp4"
					if f.stream == "audio" {
						ct = "audio/mp4"
					}
					if r.Header.Get("Content-Type") != ct {
						t.Errorf("%s: Content-Type %q, want %s", u, r.Header.Get("Content-Type"), ct)
					}
					n++
				}
			}
			t.Logf("%s origin: %d fragments byte for byte", kind, n)
		})
	}
}

// TestSmoothGeneratedManifestAndBadMedia: without a .ismc the Manifest is generated from the media
// (and plays); media without a usable index gives 502, logged, and is never cached as content.
func TestSmoothGeneratedManifestAndBadMedia(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	root := t.TempDir()
	testkit.CopyDir(t, filepath.Join(media, "demo"), filepath.Join(root, "gen"))
	os.Remove(filepath.Join(root, "gen", "demo.ismc"))
	testkit.CopyDir(t, filepath.Join(media, "demo"), filepath.Join(root, "bad"))
	cut := filepath.Join(root, "bad", "demo_180.ismv")
	data, _ := os.ReadFile(cut)
	os.WriteFile(cut, data[:len(data)-200], 0o644) // the mfra index is gone
	o := newTestOrigin(t)
	o.serveDir(root)
	e, logs := startEdgeLogged(t, mustReplace(t, smoothConfig, "{{ORIGIN_PORT}}", fmt.Sprint(o.port())))

	r, body := e.get(t, "/gen/demo.ism/Manifest")
	want, _ := os.ReadFile(filepath.Join(media, "demo", "demo.ismc"))
	if r.StatusCode != 200 || body != string(want) {
		t.Fatalf("generated Manifest: %d, %d bytes; want the .ismc edge package writes (%d bytes)", r.StatusCode, len(body), len(want))
	}
	lastVideo, _ := testkit.GstPlay(t, fmt.Sprintf("http://127.0.0.1:%s/gen/demo.ism/Manifest", strings.Split(e.addr, ":")[1]))
	if lastVideo < 9*time.Second {
		t.Errorf("generated manifest played to %v of 10 s", lastVideo)
	}

	frag := "/bad/demo.ism/QualityLevels(150000)/Fragments(video=0)"
	for i := 0; i < 2; i++ {
		r, _ := e.get(t, frag)
		if r.StatusCode != 502 || xcache(r) != "Error from cloudfront" {
			t.Fatalf("fragment of a file without mfra (#%d): %d %s, want 502 Error", i, r.StatusCode, xcache(r))
		}
	}
	if l := logs.lines("smooth: cannot serve", "status=502", "demo_180.ismv"); len(l) == 0 {
		t.Errorf("no log line names the bad file")
	}
	if r, _ := e.get(t, "/bad/demo.ism/QualityLevels(400000)/Fragments(video=0)"); r.StatusCode != 200 {
		t.Errorf("the other files of the presentation still play: %d", r.StatusCode)
	}
}

// TestSmoothWithCachingDisabled: a Smooth behavior with CachingDisabled still answers Smooth URLs
// (nothing is cached: every request reads the origin).
func TestSmoothWithCachingDisabled(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	o := newTestOrigin(t)
	o.serveDir(media)
	cfg := mustReplace(t, smoothConfig, "smooth_streaming = true", "smooth_streaming = true\ncache_policy = \"CachingDisabled\"")
	e := startEdge(t, cfg, o.port())
	frag := "/demo/demo.ism/QualityLevels(150000)/Fragments(video=0)"
	for i := 0; i < 2; i++ {
		if r, b := e.get(t, frag); r.StatusCode != 200 || len(b) < 100 || xcache(r) != "Miss from cloudfront" {
			t.Fatalf("#%d: %d, %d bytes, %s", i, r.StatusCode, len(b), xcache(r))
		}
	}
	if n := o.count("/demo/demo_180.ismv"); n < 2 {
		t.Errorf("the media file was read %d times for two uncached fragment requests", n)
	}
}
