package smooth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
)

// headRead is how many bytes are read from the start of a media file to find its moov; a
// larger moov costs one more read of exactly its size.
const headRead = 64 << 10

// maxMoov bounds the moov size this package decodes.
const maxMoov = 16 << 20

// trackInfo is what a client manifest needs from one trak of a file's moov.
type trackInfo struct {
	id            uint32
	kind          string // "video", "audio" or "text"
	timescale     uint32
	fourCC        string
	codecPrivate  []byte
	width, height uint16
	samplingRate  uint32
	channels      uint16
	bitsPerSample uint16
	packetSize    uint32
	audioTag      uint32
	language      string // ISO 639-2/T, empty when unknown
	avgBitrate    uint32 // from btrt or esds; 0 when absent
	trexDuration  uint32 // default sample duration from trex
}

// findMoov locates the moov among the top-level boxes at the start of a file. head holds the
// first bytes of the file. It returns the moov's offset and size.
func findMoov(head []byte) (off, size int64, err error) {
	for pos := int64(0); pos < int64(len(head)); {
		bx, err := readBox(head[pos:])
		if err != nil {
			return 0, 0, fmt.Errorf("%w: looking for moov at %d: %v", ErrBadMedia, pos, err)
		}
		switch {
		case bx.is("moov"):
			if bx.size > maxMoov {
				return 0, 0, fmt.Errorf("%w: moov of %d bytes is over the %d-byte limit", ErrBadMedia, bx.size, maxMoov)
			}
			return pos, bx.size, nil
		case bx.is("moof"), bx.is("mdat"), bx.is("mfra"):
			return 0, 0, fmt.Errorf("%w: box %s at %d comes before any moov", ErrBadMedia, bx.name(), pos)
		}
		pos += bx.size
	}
	return 0, 0, fmt.Errorf("%w: no moov in the first %d bytes", ErrBadMedia, len(head))
}

// parseMoov decodes the moov box bytes into per-track information. Decoding goes through
// mp4ff; a panic inside it on hostile input is turned into an ErrBadMedia error.
func parseMoov(moov []byte) (tracks []trackInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			tracks, err = nil, fmt.Errorf("%w: moov: undecodable (%v)", ErrBadMedia, p)
		}
	}()
	b, err := mp4.DecodeBox(0, bytes.NewReader(moov))
	if err != nil {
		return nil, fmt.Errorf("%w: moov: %v", ErrBadMedia, err)
	}
	mv, ok := b.(*mp4.MoovBox)
	if !ok {
		return nil, fmt.Errorf("%w: box %q is not moov", ErrBadMedia, b.Type())
	}
	for _, trak := range mv.Traks {
		ti, err := trakInfo(trak)
		if err != nil {
			return nil, err
		}
		if mv.Mvex != nil {
			for _, trex := range mv.Mvex.Trexs {
				if trex.TrackID == ti.id {
					ti.trexDuration = trex.DefaultSampleDuration
				}
			}
		}
		tracks = append(tracks, ti)
	}
	if len(tracks) == 0 {
		return nil, fmt.Errorf("%w: moov has no trak", ErrBadMedia)
	}
	return tracks, nil
}

func trakInfo(trak *mp4.TrakBox) (trackInfo, error) {
	var ti trackInfo
	if trak.Tkhd == nil || trak.Mdia == nil || trak.Mdia.Mdhd == nil || trak.Mdia.Hdlr == nil ||
		trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil {
		return ti, fmt.Errorf("%w: trak lacks tkhd, mdhd, hdlr or stsd", ErrBadMedia)
	}
	ti.id = trak.Tkhd.TrackID
	ti.timescale = trak.Mdia.Mdhd.Timescale
	if ti.timescale == 0 {
		return ti, fmt.Errorf("%w: track %d: mdhd timescale is 0", ErrBadMedia, ti.id)
	}
	if lang := trak.Mdia.Mdhd.GetLanguage(); lang != "und" && len(lang) == 3 {
		ti.language = lang
	}
	stsd := trak.Mdia.Minf.Stbl.Stsd
	switch hdlr := trak.Mdia.Hdlr.HandlerType; hdlr {
	case "vide":
		ti.kind = "video"
		ve := stsd.AvcX
		if ve == nil || ve.AvcC == nil {
			return ti, fmt.Errorf("%w: video track %d is not H.264 with avcC", ErrUnsupported, ti.id)
		}
		ti.fourCC = "H264"
		ti.width, ti.height = ve.Width, ve.Height
		for _, sps := range ve.AvcC.SPSnalus {
			ti.codecPrivate = append(append(ti.codecPrivate, 0, 0, 0, 1), sps...)
		}
		for _, pps := range ve.AvcC.PPSnalus {
			ti.codecPrivate = append(append(ti.codecPrivate, 0, 0, 0, 1), pps...)
		}
		if ve.Btrt != nil {
			ti.avgBitrate = ve.Btrt.AvgBitrate
		}
	case "soun":
		ti.kind = "audio"
		ae := stsd.Mp4a
		if ae == nil || ae.Esds == nil || ae.Esds.DecConfigDescriptor == nil {
			return ti, fmt.Errorf("%w: audio track %d is not AAC with esds", ErrUnsupported, ti.id)
		}
		dcd := ae.Esds.DecConfigDescriptor
		ti.fourCC, ti.audioTag, ti.packetSize = "AACL", 255, 4
		ti.samplingRate, ti.channels, ti.bitsPerSample = uint32(ae.SampleRate), ae.ChannelCount, ae.SampleSize
		if ti.bitsPerSample == 0 {
			ti.bitsPerSample = 16
		}
		if dcd.DecSpecificInfo != nil {
			ti.codecPrivate = dcd.DecSpecificInfo.DecConfig
		}
		ti.avgBitrate = dcd.AvgBitrate
		if ae.Btrt != nil && ae.Btrt.AvgBitrate != 0 {
			ti.avgBitrate = ae.Btrt.AvgBitrate
		}
	default:
		return ti, fmt.Errorf("%w: track %d has handler %q (only video and audio are packaged)", ErrUnsupported, ti.id, hdlr)
	}
	return ti, nil
}

// fragmentDuration sums the sample durations of the moof at the start of b (the first traf
// only), using the tfhd default and then trexDefault for samples without their own.
func fragmentDuration(b []byte, trexDefault uint32) (uint64, error) {
	moof, err := readBox(b)
	if err != nil || !moof.is("moof") || moof.size > int64(len(b)) {
		return 0, fmt.Errorf("%w: fragment does not start with a complete moof", ErrBadMedia)
	}
	var (
		total    uint64
		sawTraf  bool
		defDur   = trexDefault
		trunSeen bool
	)
	err = eachBox(b[moof.hdr:moof.size], func(c box, traf []byte) error {
		if !c.is("traf") || sawTraf {
			return nil
		}
		sawTraf = true
		return eachBox(traf, func(t box, p []byte) error {
			switch {
			case t.is("tfhd"):
				d, ok, err := tfhdDefaultDuration(p)
				if err != nil {
					return err
				}
				if ok {
					defDur = d
				}
			case t.is("trun"):
				trunSeen = true
				d, err := trunDuration(p, defDur)
				if err != nil {
					return err
				}
				if total+d < total {
					return errors.New("the truns' durations overflow 64 bits")
				}
				total += d
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("%w: moof: %v", ErrBadMedia, err)
	}
	if !trunSeen {
		return 0, fmt.Errorf("%w: moof has no trun", ErrBadMedia)
	}
	return total, nil
}

func tfhdDefaultDuration(p []byte) (uint32, bool, error) {
	if len(p) < 8 {
		return 0, false, fmt.Errorf("tfhd: %d-byte payload is too short", len(p))
	}
	flags := binary.BigEndian.Uint32(p) & 0xffffff
	pos := 8
	if flags&0x01 != 0 {
		pos += 8
	}
	if flags&0x02 != 0 {
		pos += 4
	}
	if flags&0x08 == 0 {
		return 0, false, nil
	}
	if len(p) < pos+4 {
		return 0, false, fmt.Errorf("tfhd: flags %#06x need more than %d bytes", flags, len(p))
	}
	return binary.BigEndian.Uint32(p[pos:]), true, nil
}

func trunDuration(p []byte, def uint32) (uint64, error) {
	if len(p) < 8 {
		return 0, fmt.Errorf("trun: %d-byte payload is too short", len(p))
	}
	flags := binary.BigEndian.Uint32(p) & 0xffffff
	count := uint64(binary.BigEndian.Uint32(p[4:]))
	pos := uint64(8)
	if flags&0x01 != 0 {
		pos += 4
	}
	if flags&0x04 != 0 {
		pos += 4
	}
	per := uint64(0)
	for _, f := range []uint32{0x100, 0x200, 0x400, 0x800} {
		if flags&f != 0 {
			per += 4
		}
	}
	if pos+count*per > uint64(len(p)) {
		return 0, fmt.Errorf("trun: %d samples do not fit in %d bytes", count, len(p))
	}
	if flags&0x100 == 0 {
		return count * uint64(def), nil
	}
	var total uint64
	for i := uint64(0); i < count; i++ {
		total += uint64(binary.BigEndian.Uint32(p[pos+i*per:]))
	}
	return total, nil
}
