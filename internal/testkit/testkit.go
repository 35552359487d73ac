// Package testkit holds what tests of several packages share: playing a Smooth Streaming
// presentation with GStreamer, and copying test media. It is for tests only.
package testkit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// GstPlay plays a Smooth manifest URL with GStreamer's playbin (mssdemux) into fakesinks and
// returns the last video and audio buffer timestamps that reached the sinks. It fails the test
// when gst-launch-1.0 is missing, fails, or does not reach the end of the stream.
func GstPlay(t testing.TB, uri string) (lastVideo, lastAudio time.Duration) {
	t.Helper()
	gst, err := exec.LookPath("gst-launch-1.0")
	if err != nil {
		t.Fatalf("gst-launch-1.0 not found: install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav (scripts/test-deps.sh does)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, gst, "-v", "playbin", "uri="+uri,
		"video-sink=fakesink name=vsink sync=false silent=false",
		"audio-sink=fakesink name=asink sync=false silent=false").CombinedOutput()
	if err != nil {
		t.Fatalf("gst-launch-1.0 %s: %v\n%s", uri, err, Tail(string(out), 40))
	}
	if !strings.Contains(string(out), "Got EOS") {
		t.Fatalf("playback of %s did not reach EOS:\n%s", uri, Tail(string(out), 40))
	}
	for _, m := range sinkBuffer.FindAllStringSubmatch(string(out), -1) {
		h, _ := strconv.Atoi(m[2])
		mi, _ := strconv.Atoi(m[3])
		s, _ := strconv.Atoi(m[4])
		ns, _ := strconv.Atoi(m[5])
		d := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s)*time.Second + time.Duration(ns)
		if m[1] == "vsink" {
			lastVideo = max(lastVideo, d)
		} else {
			lastAudio = max(lastAudio, d)
		}
	}
	return lastVideo, lastAudio
}

// sinkBuffer matches a buffer reaching a fakesink in gst-launch-1.0 -v output, with its pts.
var sinkBuffer = regexp.MustCompile(`\((vsink|asink):sink\) \(\d+ bytes, dts: [^,]*, pts: (\d+):(\d+):(\d+)\.(\d+)`)

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// CopyDir copies the files of the folder from into the folder to (created if missing).
func CopyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		b, err := os.ReadFile(filepath.Join(from, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, ent.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
