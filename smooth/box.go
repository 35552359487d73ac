package smooth

import (
	"encoding/binary"
	"fmt"
)

// box is one ISO BMFF box header read from a byte slice.
type box struct {
	typ  [4]byte
	size int64 // whole box, header included
	hdr  int   // header length: 8, or 16 with a 64-bit size
}

func (b box) is(t string) bool { return string(b.typ[:]) == t }

func (b box) name() string { return fmt.Sprintf("%q", b.typ[:]) }

// readBox reads the box header at the start of b. A size of 0 ("to the end") is taken as
// the rest of b. The box may extend past b; callers check that it fits when they need to.
func readBox(b []byte) (box, error) {
	if len(b) < 8 {
		return box{}, fmt.Errorf("box header truncated: %d bytes", len(b))
	}
	var bx box
	copy(bx.typ[:], b[4:8])
	size := uint64(binary.BigEndian.Uint32(b))
	bx.hdr = 8
	switch size {
	case 0:
		size = uint64(len(b))
	case 1:
		if len(b) < 16 {
			return box{}, fmt.Errorf("box %s: 64-bit size truncated", bx.name())
		}
		size = binary.BigEndian.Uint64(b[8:16])
		bx.hdr = 16
	}
	if size < uint64(bx.hdr) || size > 1<<62 {
		return box{}, fmt.Errorf("box %s: size %d is impossible", bx.name(), size)
	}
	bx.size = int64(size)
	return bx, nil
}

// eachBox calls fn for every box in b, in order, with the box header and its payload. It fails
// when a box does not fit in b or fn fails.
func eachBox(b []byte, fn func(bx box, payload []byte) error) error {
	for len(b) > 0 {
		bx, err := readBox(b)
		if err != nil {
			return err
		}
		if bx.size > int64(len(b)) {
			return fmt.Errorf("box %s: size %d runs past its container (%d bytes left)", bx.name(), bx.size, len(b))
		}
		if err := fn(bx, b[bx.hdr:bx.size]); err != nil {
			return err
		}
		b = b[bx.size:]
	}
	return nil
}
