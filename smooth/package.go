package smooth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// PackageOptions describes a presentation to package: the media files and what to call it.
type PackageOptions struct {
	// ClientManifest is the .ismc file name written into the .ism's
	// clientManifestRelativePath, relative to the .ism (e.g. "demo.ismc"). Required.
	ClientManifest string
	// Files are the .ismv/.isma files, in the order their tracks appear in the manifests.
	Files []PackageFile
}

// PackageFile is one fragmented media file with an mfra index (FFmpeg's -f ismv output).
type PackageFile struct {
	// Src is the file's path relative to the .ism, as written into the .ism's src.
	Src string
	// Data reads the file; Size is its length in bytes.
	Data io.ReaderAt
	Size int64
	// Bitrate, when non-zero, is the bitrate of the file's only track. When zero, each track's
	// bitrate comes from its btrt box, else the esds average bitrate, else mdat bytes × 8 /
	// duration.
	Bitrate uint32
	// TrackName, when set, names the file's only track (e.g. "audio_eng"); default is its type.
	TrackName string
}

// Package writes the server manifest (.ism, SMIL per
// https://learn.microsoft.com/en-us/previous-versions/iis/smooth-streaming-client/iis-smooth-streaming-on-demand-server-manifest-format)
// and the client manifest (.ismc, [MS-SSTR] §2.2.2,
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-sstr/) for fragmented media files: codec private data from avcC/esds, sizes, sample
// rates, chunk times from tfra, chunk durations from the differences of start times and, for
// the last chunk, from the sample durations of the last fragment. Every fragment is read and
// checked as the edge would serve it. Only H.264 video and AAC audio tracks are accepted.
func Package(opts PackageOptions) (ism, ismc []byte, err error) {
	if opts.ClientManifest == "" {
		return nil, nil, errors.New("smooth: package: the client manifest name is required")
	}
	if len(opts.Files) == 0 {
		return nil, nil, errors.New("smooth: package: no media files")
	}
	var (
		tracks []qualityTrack
		elems  []TrackElement
	)
	for _, f := range opts.Files {
		qts, err := packageFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("smooth: package %s: %w", f.Src, err)
		}
		for _, qt := range qts {
			el := TrackElement{Type: defaultName(qt.info.kind), Src: f.Src, SystemBitrate: qt.bitrate,
				SystemLanguage: qt.info.language, TrackID: qt.info.id}
			if qt.name != el.Type {
				el.TrackName = qt.name
			}
			for _, other := range elems {
				if other.SystemBitrate == el.SystemBitrate && other.Name() == el.Name() {
					return nil, nil, fmt.Errorf("smooth: package: %s track %d and %s track %d are both %q at %d bps; give one a different bitrate or track name",
						other.Src, other.TrackID, el.Src, el.TrackID, el.Name(), el.SystemBitrate)
				}
			}
			elems = append(elems, el)
		}
		tracks = append(tracks, qts...)
	}
	ismc, err = buildClientManifest(tracks)
	if err != nil {
		return nil, nil, err
	}
	return writeServerManifest(opts.ClientManifest, elems), ismc, nil
}

// writeServerManifest writes the SMIL the way ismindex does, with IIS's lowercase valuetype.
func writeServerManifest(ismc string, elems []TrackElement) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
	b.WriteString("<smil xmlns=\"http://www.w3.org/2001/SMIL20/Language\">\n")
	b.WriteString("\t<head>\n")
	fmt.Fprintf(&b, "\t\t<meta name=\"clientManifestRelativePath\" content=\"%s\" />\n", xmlText(ismc))
	b.WriteString("\t</head>\n\t<body>\n\t\t<switch>\n")
	for _, el := range elems {
		fmt.Fprintf(&b, "\t\t\t<%s src=\"%s\" systemBitrate=\"%d\"", el.Type, xmlText(el.Src), el.SystemBitrate)
		if el.SystemLanguage != "" {
			fmt.Fprintf(&b, " systemLanguage=\"%s\"", xmlText(el.SystemLanguage))
		}
		b.WriteString(">\n")
		fmt.Fprintf(&b, "\t\t\t\t<param name=\"trackID\" value=\"%d\" valuetype=\"data\" />\n", el.TrackID)
		if el.TrackName != "" {
			fmt.Fprintf(&b, "\t\t\t\t<param name=\"trackName\" value=\"%s\" valuetype=\"data\" />\n", xmlText(el.TrackName))
		}
		fmt.Fprintf(&b, "\t\t\t</%s>\n", el.Type)
	}
	b.WriteString("\t\t</switch>\n\t</body>\n</smil>\n")
	return b.Bytes()
}

// packageFile reads one media file's index, moov and fragments.
func packageFile(f PackageFile) ([]qualityTrack, error) {
	if f.Data == nil || f.Size <= 0 {
		return nil, errors.New("no data")
	}
	read := func(off, n int64) ([]byte, error) {
		if off < 0 || n < 0 || off+n > f.Size {
			return nil, fmt.Errorf("%w: range [%d, %d) is outside the %d-byte file", ErrBadMedia, off, off+n, f.Size)
		}
		buf := make([]byte, n)
		if _, err := f.Data.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return nil, err
		}
		return buf, nil
	}
	tail, err := read(f.Size-min(f.Size, MfroSize), min(f.Size, MfroSize))
	if err != nil {
		return nil, err
	}
	mfraSize, err := ParseMfro(tail)
	if err != nil {
		return nil, err
	}
	mfra, err := read(f.Size-int64(mfraSize), int64(mfraSize))
	if err != nil {
		return nil, err
	}
	ix, err := ParseIndex(mfra, f.Size)
	if err != nil {
		return nil, err
	}
	head, err := read(0, min(f.Size, headRead))
	if err != nil {
		return nil, err
	}
	off, size, err := findMoov(head)
	if err != nil {
		return nil, err
	}
	moov, err := read(off, size)
	if err != nil {
		return nil, err
	}
	infos, err := parseMoov(moov)
	if err != nil {
		return nil, err
	}
	if len(infos) > 1 && (f.Bitrate != 0 || f.TrackName != "") {
		return nil, fmt.Errorf("a bitrate or track name can only be given for a single-track file; this one has %d tracks", len(infos))
	}
	var out []qualityTrack
	for _, info := range infos {
		frags := ix.Fragments(info.id)
		if len(frags) == 0 {
			return nil, fmt.Errorf("%w: track %d has no fragments in the mfra", ErrBadMedia, info.id)
		}
		qt := qualityTrack{info: info, name: defaultName(info.kind), bitrate: f.Bitrate}
		if f.TrackName != "" {
			qt.name = f.TrackName
		}
		var payload uint64
		for i, fr := range frags {
			data, err := read(fr.Offset, fr.Length)
			if err != nil {
				return nil, err
			}
			fi, err := checkFragment(data)
			if err != nil {
				return nil, fmt.Errorf("fragment at %d: %w", fr.Offset, err)
			}
			if fi.trackID != info.id {
				return nil, fmt.Errorf("%w: tfra of track %d points at a fragment of track %d (at %d)", ErrBadMedia, info.id, fi.trackID, fr.Offset)
			}
			payload += uint64(fr.Length - fi.moofSize - fi.mdatHdr)
			qt.times = append(qt.times, fr.Time)
			if i == len(frags)-1 {
				if qt.lastDur, err = fragmentDuration(data, info.trexDuration); err != nil {
					return nil, fmt.Errorf("fragment at %d: %w", fr.Offset, err)
				}
			}
		}
		if qt.bitrate == 0 {
			qt.bitrate = info.avgBitrate
		}
		if qt.bitrate == 0 {
			span := qt.times[len(qt.times)-1] + qt.lastDur - qt.times[0]
			qt.bitrate = measuredBitrate(payload, span, info.timescale)
		}
		if qt.bitrate == 0 {
			return nil, fmt.Errorf("track %d: cannot tell its bitrate; give one", info.id)
		}
		out = append(out, qt)
	}
	return out, nil
}

// measuredBitrate is bytes × 8 × timescale / ticks, rounded, saturating at 2^32-1.
func measuredBitrate(n, ticks uint64, timescale uint32) uint32 {
	if ticks == 0 {
		return 0
	}
	hi, lo := bits.Mul64(n, 8*uint64(timescale))
	if hi >= ticks {
		return ^uint32(0)
	}
	q, r := bits.Div64(hi, lo, ticks)
	if r >= ticks-r {
		q++
	}
	if q > 1<<32-1 {
		return ^uint32(0)
	}
	return uint32(q)
}
