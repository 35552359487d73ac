package edge

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfedge/edge/internal/testkit"
)

// smoothConfig serves testdata/media through an http origin with Smooth Streaming on every path.
const smoothConfig = `
[cache]
memory = "64MiB"
max_object_size = "8MiB"
[api]
auth = "none"
[[distribution]]
id = "ESMOOTH"
domain_name = "dsmooth00000001.cloudfront.net"
aliases = ["127.0.0.1"]
[[distribution.origin]]
id = "media"
kind = "http"
domain_name = "127.0.0.1"
http_port = {{ORIGIN_PORT}}
[distribution.default_behavior]
target_origin_id = "media"
smooth_streaming = true
`

// manifestShape reads a client manifest: its duration and the number of chunks per stream.
type manifestShape struct {
	Duration int64 `xml:"Duration,attr"`
	Streams  []struct {
		Type   string `xml:"Type,attr"`
		Name   string `xml:"Name,attr"`
		Chunks int    `xml:"Chunks,attr"`
		Levels []struct {
			Bitrate int `xml:"Bitrate,attr"`
		} `xml:"QualityLevel"`
	} `xml:"StreamIndex"`
}

func readManifestShape(t *testing.T, path string) manifestShape {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifestShape
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestSmoothPlaysInGStreamer plays the committed presentations through the edge with a real
// Smooth Streaming client and checks decoded video reaches the end, and the origin-request budget:
// a first playback costs at most F + 2K + 2 origin requests, a second one none.
func TestSmoothPlaysInGStreamer(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	cases := []struct {
		name  string
		pres  string
		files int
	}{
		{"demo: two video bitrates and one audio", "demo/demo", 3},
		{"one ismv holding several tracks", "multi/multi", 1},
		{"audio named by language", "lang/lang", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newTestOrigin(t)
			o.serveDir(media)
			e := startEdge(t, smoothConfig, o.port())
			shape := readManifestShape(t, filepath.Join(media, c.pres+".ismc"))
			uri := fmt.Sprintf("http://127.0.0.1:%s/%s.ism/Manifest", strings.Split(e.addr, ":")[1], c.pres)
			lastVideo, _ := testkit.GstPlay(t, uri)
			dur := time.Duration(shape.Duration) * 100
			if lastVideo < dur-time.Second {
				t.Errorf("decoded video ended at %v, presentation lasts %v", lastVideo, dur)
			}
			// F = the fragments one playback can ask for: the chunks of each stream at one bitrate
			// (the player may switch, so count every level as an upper bound).
			f := 0
			for _, s := range shape.Streams {
				f += s.Chunks * len(s.Levels)
			}
			first := o.requests()
			if limit := f + 2*c.files + 2; first > limit {
				t.Errorf("first playback cost %d origin requests, budget F+2K+2 = %d", first, limit)
			}
			testkit.GstPlay(t, uri)
			if again := o.requests() - first; again != 0 {
				t.Errorf("second playback cost %d origin requests, want 0", again)
			}
			t.Logf("first playback: %d origin requests (F=%d, K=%d); video to %v of %v", first, f, c.files, lastVideo, dur)
		})
	}
}

// TestSmoothConcurrentViewersOneOriginRead has many viewers ask for every fragment of the demo at
// once: each fragment costs exactly one origin read, and every answer is the file's byte range.
func TestSmoothConcurrentViewersOneOriginRead(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	o := newTestOrigin(t)
	o.serveDir(media)
	e := startEdge(t, smoothConfig, o.port())
	shape := readManifestShape(t, filepath.Join(media, "demo/demo.ismc"))
	var urls []string
	for _, s := range shape.Streams {
		for _, l := range s.Levels {
			for _, ts := range chunkTimes(t, filepath.Join(media, "demo/demo.ismc"), s.Type) {
				urls = append(urls, fmt.Sprintf("/demo/demo.ism/QualityLevels(%d)/Fragments(%s=%d)", l.Bitrate, s.Type, ts))
			}
		}
	}
	const viewers = 8
	var wg sync.WaitGroup
	bodies := make([][]string, viewers)
	for v := range viewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range urls {
				r, b := e.get(t, u)
				if r.StatusCode != 200 {
					t.Errorf("%s: %d", u, r.StatusCode)
				}
				bodies[v] = append(bodies[v], b)
			}
		}()
	}
	wg.Wait()
	for v := 1; v < viewers; v++ {
		for i := range urls {
			if bodies[v][i] != bodies[0][i] {
				t.Fatalf("viewer %d got different bytes for %s", v, urls[i])
			}
		}
	}
	// One read per fragment, plus the .ism and each file's two index reads.
	if got, limit := o.requests(), len(urls)+1+2*3; got > limit {
		t.Errorf("%d fragments for %d concurrent viewers cost %d origin requests, want at most %d", len(urls), viewers, got, limit)
	}
}

// chunkTimes lists the start times of a stream's chunks from a client manifest.
func chunkTimes(t *testing.T, path, streamType string) []uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Streams []struct {
			Type   string `xml:"Type,attr"`
			Chunks []struct {
				T *uint64 `xml:"t,attr"`
				D uint64  `xml:"d,attr"`
			} `xml:"c"`
		} `xml:"StreamIndex"`
	}
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, s := range m.Streams {
		if s.Type != streamType {
			continue
		}
		var next uint64
		for _, c := range s.Chunks {
			if c.T != nil {
				next = *c.T
			}
			out = append(out, next)
			next += c.D
		}
	}
	return out
}
