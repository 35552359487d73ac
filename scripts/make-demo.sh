#!/usr/bin/env bash
# make-demo.sh: build the small Smooth Streaming presentations committed under testdata/media,
# from FFmpeg's synthetic sources (testsrc2 + sine), so tests and the default config need no
# FFmpeg. Run from anywhere; needs ffmpeg (libx264, aac) and go.
#
#   testdata/media/demo/   10 s: video 320x180 @150 kbps + 640x360 @400 kbps (one file each,
#                          keyframes every 2 s, aligned), AAC 64 kbps; 2 s fragments.
#                          Served by the default config at /demo/demo.ism/Manifest.
#   testdata/media/multi/  6 s: ONE .ismv holding two video tracks and one audio track
#                          (fragments of the tracks interleaved in the file).
#   testdata/media/lang/   6 s: a video and two audio files whose streams are named by
#                          language (trackName audio_eng 440 Hz, audio_deu 660 Hz).
#
# Each .ism/.ismc is written by the smooth package (`edge package`, formerly the future
# `edge package`). Output is deterministic for a given FFmpeg/x264 build (single-threaded,
# bitexact, no metadata).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v ffmpeg >/dev/null || { echo "make-demo: ffmpeg not found (apt-get install -y ffmpeg)" >&2; exit 1; }

media=testdata/media
ff=(ffmpeg -hide_banner -loglevel error -y)
# Common video options: H.264 Main, 25 fps, a keyframe exactly every 50 frames (2 s), no scene
# cuts, so fragments start at the same times in every bitrate.
x264=(-c:v libx264 -threads 1 -preset veryfast -profile:v main -pix_fmt yuv420p
	-g 50 -keyint_min 50 -sc_threshold 0 -flags:v +bitexact)
aac=(-c:a aac -ac 2 -ar 48000 -flags:a +bitexact)
common=(-fflags +bitexact -map_metadata -1 -movflags +frag_keyframe -f ismv)

video() { # video OUT SIZE RATE SECONDS
	"${ff[@]}" -f lavfi -i "testsrc2=size=$2:rate=25:duration=$4" "${x264[@]}" \
		-b:v "$3" -maxrate "$3" -bufsize "$3" -an "${common[@]}" "$1"
}
audio() { # audio OUT FREQ SECONDS LANG
	"${ff[@]}" -f lavfi -i "sine=frequency=$2:sample_rate=48000:duration=$3" "${aac[@]}" -b:a 64k \
		-metadata:s:a:0 "language=$4" -frag_duration 2000000 -vn "${common[@]}" "$1"
}
pkg() { go run ./cmd/edge package "$@"; }

rm -rf "$media/demo" "$media/multi" "$media/lang"
mkdir -p "$media/demo" "$media/multi" "$media/lang"

# demo: one file per rendition.
video "$media/demo/demo_180.ismv" 320x180 150k 10
video "$media/demo/demo_360.ismv" 640x360 400k 10
audio "$media/demo/demo_audio.isma" 440 10 und
pkg -o "$media/demo/demo.ism" \
	"$media/demo/demo_180.ismv,bitrate=150000" \
	"$media/demo/demo_360.ismv,bitrate=400000" \
	"$media/demo/demo_audio.isma,bitrate=64000"

# multi: two video tracks and one audio track in one file (bitrates measured from the file).
"${ff[@]}" -f lavfi -i "testsrc2=size=320x180:rate=25:duration=6" \
	-f lavfi -i "sine=frequency=550:sample_rate=48000:duration=6" \
	-filter_complex "[0:v]split=2[hi][lo0];[lo0]scale=160:90[lo]" \
	-map "[hi]" -map "[lo]" -map 1:a "${x264[@]}" \
	-b:v:0 120k -maxrate:v:0 120k -bufsize:v:0 120k \
	-b:v:1 50k -maxrate:v:1 50k -bufsize:v:1 50k \
	"${aac[@]}" -b:a 48k "${common[@]}" "$media/multi/multi.ismv"
pkg -o "$media/multi/multi.ism" "$media/multi/multi.ismv"

# lang: audio streams named by language, same bitrate.
video "$media/lang/lang_video.ismv" 320x180 100k 6
audio "$media/lang/lang_eng.isma" 440 6 eng
audio "$media/lang/lang_deu.isma" 660 6 deu
pkg -o "$media/lang/lang.ism" \
	"$media/lang/lang_video.ismv,bitrate=100000" \
	"$media/lang/lang_eng.isma,bitrate=64000,name=audio_eng" \
	"$media/lang/lang_deu.isma,bitrate=64000,name=audio_deu"

du -sh "$media/demo" "$media/multi" "$media/lang"
