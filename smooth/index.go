package smooth

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
)

// MfroSize is the size of the mfro box that ends an indexed file: read the last MfroSize bytes
// of a file and hand them to ParseMfro.
const MfroSize = 16

// Index is the fragment index of one media file, built from its mfra box (mfra, tfra and mfro:
// ISO/IEC 14496-12 §8.8.9–§8.8.11).
// It is immutable after ParseIndex and safe for concurrent use.
type Index struct {
	fileSize  int64
	mfraStart int64
	tracks    []trackIndex // sorted by id
	offsets   []int64      // sorted unique moof offsets of all tracks, then mfraStart
	entries   int          // tfra entries of all tracks
}

type trackIndex struct {
	id    uint32
	times []uint64 // sorted ascending, unique
	offs  []int64  // moof offset of times[i]
}

// FragmentRef is one fragment of a track: its start time and the byte range it occupies.
type FragmentRef struct {
	Time   uint64
	Offset int64
	Length int64
}

// Bounds on a file's fragment index, checked before it is read or decoded: MaxMfra on the mfra
// box's size and MaxIndexEntries on the tfra entries of all its tracks. A day of 2-second
// fragments in 12 tracks is 518,400 entries, about 6 to 15 MiB of mfra; the index keeps 24 bytes
// an entry.
const (
	MaxMfra         = 16 << 20
	MaxIndexEntries = 1 << 19
)

// ParseMfro reads the mfro box from the last 16 bytes of a file and returns the size of the
// mfra box, mfro included. A tail that is not an mfro box gives ErrNoMfra; an mfra over MaxMfra
// gives ErrBadMedia.
func ParseMfro(tail16 []byte) (mfraSize uint32, err error) {
	if len(tail16) < MfroSize {
		return 0, fmt.Errorf("%w: file is only %d bytes", ErrNoMfra, len(tail16))
	}
	b := tail16[len(tail16)-MfroSize:]
	if string(b[4:8]) != "mfro" || binary.BigEndian.Uint32(b) != MfroSize {
		return 0, fmt.Errorf("%w: last box is not a 16-byte mfro", ErrNoMfra)
	}
	hdr := mp4.BoxHeader{Name: "mfro", Size: MfroSize, Hdrlen: 8}
	bx, err := mp4.DecodeMfroSR(hdr, 0, bits.NewFixedSliceReader(b[8:]))
	if err != nil {
		return 0, fmt.Errorf("%w: mfro: %v", ErrBadMedia, err)
	}
	size := bx.(*mp4.MfroBox).ParentSize
	if size < 8+MfroSize {
		return 0, fmt.Errorf("%w: mfro: mfra size %d is smaller than its mfro", ErrBadMedia, size)
	}
	if size > MaxMfra {
		return 0, fmt.Errorf("%w: mfro: mfra of %d bytes is over the %d-byte limit", ErrBadMedia, size, MaxMfra)
	}
	return size, nil
}

// ParseIndex builds the index from the bytes of the mfra box (the last mfraSize bytes of a
// file of fileSize bytes). Every tfra entry must point before the mfra; times must be unique
// per track. Corrupt or truncated boxes, an mfra over MaxMfra and more than MaxIndexEntries
// entries give an ErrBadMedia error naming the box.
func ParseIndex(mfra []byte, fileSize int64) (*Index, error) {
	if len(mfra) > MaxMfra {
		return nil, fmt.Errorf("%w: mfra of %d bytes is over the %d-byte limit", ErrBadMedia, len(mfra), MaxMfra)
	}
	bx, err := readBox(mfra)
	if err != nil {
		return nil, fmt.Errorf("%w: mfra: %v", ErrBadMedia, err)
	}
	if !bx.is("mfra") {
		return nil, fmt.Errorf("%w: mfro points at box %s, not mfra", ErrBadMedia, bx.name())
	}
	if bx.size != int64(len(mfra)) {
		return nil, fmt.Errorf("%w: mfra: box size %d, have %d bytes", ErrBadMedia, bx.size, len(mfra))
	}
	if fileSize < int64(len(mfra)) {
		return nil, fmt.Errorf("%w: mfra: %d bytes in a %d-byte file", ErrBadMedia, len(mfra), fileSize)
	}
	ix := &Index{fileSize: fileSize, mfraStart: fileSize - int64(len(mfra))}
	sawMfro := false
	err = eachBox(mfra[bx.hdr:], func(c box, payload []byte) error {
		switch {
		case sawMfro:
			return fmt.Errorf("box %s after mfro", c.name())
		case c.is("tfra"):
			return ix.addTfra(c, payload)
		case c.is("mfro"):
			sawMfro = true
			if len(payload) != 8 || binary.BigEndian.Uint32(payload[4:]) != uint32(len(mfra)) {
				return fmt.Errorf("mfro does not give the mfra size %d", len(mfra))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: mfra: %v", ErrBadMedia, err)
	}
	if len(ix.offsets) == 0 {
		return nil, fmt.Errorf("%w: mfra lists no fragments", ErrBadMedia)
	}
	slices.SortFunc(ix.tracks, func(a, b trackIndex) int { return int(int64(a.id) - int64(b.id)) })
	slices.Sort(ix.offsets)
	ix.offsets = append(slices.Compact(ix.offsets), ix.mfraStart)
	return ix, nil
}

func (ix *Index) addTfra(c box, payload []byte) error {
	// number_of_entry follows version/flags, track_ID and the field sizes (ISO/IEC 14496-12
	// §8.8.10.2); checked here so that no entry is decoded past the bound.
	if len(payload) >= 16 {
		if n := int64(binary.BigEndian.Uint32(payload[12:16])); n > MaxIndexEntries-int64(ix.entries) {
			return fmt.Errorf("tfra lists %d entries, over the %d-entry limit of a file's index", int64(ix.entries)+n, MaxIndexEntries)
		}
	}
	hdr := mp4.BoxHeader{Name: "tfra", Size: uint64(c.size), Hdrlen: c.hdr}
	decoded, err := mp4.DecodeTfraSR(hdr, 0, bits.NewFixedSliceReader(payload))
	if err != nil {
		return err
	}
	tfra := decoded.(*mp4.TfraBox)
	for _, t := range ix.tracks {
		if t.id == tfra.TrackID {
			return fmt.Errorf("tfra: track %d indexed twice", tfra.TrackID)
		}
	}
	ti := trackIndex{id: tfra.TrackID, times: make([]uint64, len(tfra.Entries)), offs: make([]int64, len(tfra.Entries))}
	order := make([]int, len(tfra.Entries))
	for i, e := range tfra.Entries {
		if e.MoofOffset >= uint64(ix.mfraStart) {
			return fmt.Errorf("tfra track %d: moof offset %d is not before the mfra at %d", tfra.TrackID, e.MoofOffset, ix.mfraStart)
		}
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ta, tb := tfra.Entries[a].Time, tfra.Entries[b].Time
		switch {
		case ta < tb:
			return -1
		case ta > tb:
			return 1
		}
		return 0
	})
	for i, j := range order {
		e := tfra.Entries[j]
		if i > 0 && ti.times[i-1] == e.Time {
			return fmt.Errorf("tfra track %d: time %d listed twice", tfra.TrackID, e.Time)
		}
		ti.times[i], ti.offs[i] = e.Time, int64(e.MoofOffset)
		ix.offsets = append(ix.offsets, int64(e.MoofOffset))
	}
	ix.tracks = append(ix.tracks, ti)
	ix.entries += len(tfra.Entries)
	return nil
}

// FileSize returns the size of the indexed file.
func (ix *Index) FileSize() int64 { return ix.fileSize }

// MfraStart returns the file offset of the mfra box, which ends the last fragment.
func (ix *Index) MfraStart() int64 { return ix.mfraStart }

// TrackIDs returns the indexed track IDs in ascending order.
func (ix *Index) TrackIDs() []uint32 {
	ids := make([]uint32, len(ix.tracks))
	for i, t := range ix.tracks {
		ids[i] = t.id
	}
	return ids
}

// Fragments returns the fragments of a track in time order, or nil for an unknown track.
func (ix *Index) Fragments(trackID uint32) []FragmentRef {
	t := ix.track(trackID)
	if t == nil {
		return nil
	}
	out := make([]FragmentRef, len(t.times))
	for i := range t.times {
		out[i] = FragmentRef{Time: t.times[i], Offset: t.offs[i], Length: ix.next(t.offs[i]) - t.offs[i]}
	}
	return out
}

// track returns the track with the ID, or the only track when trackID is 0 and the file has
// exactly one.
func (ix *Index) track(trackID uint32) *trackIndex {
	if trackID == 0 && len(ix.tracks) == 1 {
		return &ix.tracks[0]
	}
	for i := range ix.tracks {
		if ix.tracks[i].id == trackID {
			return &ix.tracks[i]
		}
	}
	return nil
}

// next returns the first offset after off: the next moof of any track, or the mfra.
func (ix *Index) next(off int64) int64 {
	i, found := slices.BinarySearch(ix.offsets, off)
	if found {
		i++
	}
	if i >= len(ix.offsets) {
		return ix.mfraStart
	}
	return ix.offsets[i]
}

// Range returns the byte range [off, off+length) of the fragment of the track that starts at
// time t: from its moof to the next top-level fragment of any track, or to the mfra
// (tfra's moof offsets, ISO/IEC 14496-12 §8.8.10). The time must match a tfra entry exactly, or be one tick away from one
// (the off-by-one rounding clients are known for); an exact match always wins. trackID 0 means
// the only track of a single-track file. An unknown track or time gives ErrNotFound.
func (ix *Index) Range(trackID uint32, t uint64) (off, length int64, err error) {
	tr := ix.track(trackID)
	if tr == nil {
		return 0, 0, fmt.Errorf("%w: track %d is not in the file's index", ErrNotFound, trackID)
	}
	i, found := slices.BinarySearch(tr.times, t)
	if !found {
		switch {
		case i > 0 && tr.times[i-1] == t-1:
			i--
		case i < len(tr.times) && tr.times[i] == t+1 && t != ^uint64(0):
		default:
			return 0, 0, fmt.Errorf("%w: track %d has no fragment at time %d", ErrNotFound, tr.id, t)
		}
	}
	off = tr.offs[i]
	return off, ix.next(off) - off, nil
}
