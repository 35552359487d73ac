package disk

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"time"
)

// The object file: a fixed header, the metadata, then the body.
//
//	offset  size  field
//	0       4     magic "EDGD"
//	4       2     format version (1)
//	6       2     header length (64)
//	8       8     generation: random, new for every Put (tells two versions of a key apart)
//	16      8     key hash (the file name; checked against the name and the key)
//	24      4     metadata length
//	28      4     metadata CRC-32C
//	32      8     body length
//	40      4     body CRC-32C
//	44      16    reserved, zero
//	60      4     CRC-32C of bytes 0–59
//	64      …     metadata (encodeMeta), then the body
//
// Integers are little-endian. The file's length must be exactly 64 + metadata + body.
const (
	headerLen   = 64
	fileVersion = 1
	// maxMetaLen bounds the metadata (key, distribution, path, head): a header claiming more
	// is corrupt, and Put refuses more, so a read never allocates an absurd buffer.
	maxMetaLen = 1 << 20
	// metaFixed is the fixed part of the metadata: two times and four lengths.
	metaFixed = 8 + 8 + 4*4
	// blockSize is the allocation unit an object's cost is rounded up to, so that MaxBytes
	// bounds the space files take on a filesystem with 4 KiB blocks (as nginx's max_size
	// counts blocks), not only the sum of their lengths.
	blockSize = 4096
	// readAhead is how much of a file Get reads at once: the header and, almost always, the
	// whole metadata in one pread.
	readAhead = 4096
)

// magic starts every object file.
const magic = "EDGD"

// errCorrupt marks a file whose header, metadata, length or body checksum is wrong.
var errCorrupt = errors.New("corrupt object file")

// header is the decoded fixed header of an object file.
type header struct {
	gen     uint64
	hash    uint64
	metaLen uint32
	metaCRC uint32
	bodyLen int64
	bodyCRC uint32
}

// fileLen is the length the file must have.
func (h *header) fileLen() int64 { return headerLen + int64(h.metaLen) + h.bodyLen }

// bodyOff is the offset of the body's first byte.
func (h *header) bodyOff() int64 { return headerLen + int64(h.metaLen) }

func crc(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

func crcUpdate(c uint32, b []byte) uint32 {
	return crc32.Update(c, crc32.MakeTable(crc32.Castagnoli), b)
}

// encode writes h into b[:headerLen].
func (h *header) encode(b []byte) {
	_ = b[headerLen-1]
	clear(b[:headerLen])
	copy(b[0:4], magic)
	binary.LittleEndian.PutUint16(b[4:], fileVersion)
	binary.LittleEndian.PutUint16(b[6:], headerLen)
	binary.LittleEndian.PutUint64(b[8:], h.gen)
	binary.LittleEndian.PutUint64(b[16:], h.hash)
	binary.LittleEndian.PutUint32(b[24:], h.metaLen)
	binary.LittleEndian.PutUint32(b[28:], h.metaCRC)
	binary.LittleEndian.PutUint64(b[32:], uint64(h.bodyLen))
	binary.LittleEndian.PutUint32(b[40:], h.bodyCRC)
	binary.LittleEndian.PutUint32(b[60:], crc(b[:60]))
}

// decodeHeader parses and checks the header in b (at least headerLen bytes).
func decodeHeader(b []byte) (header, error) {
	var h header
	if len(b) < headerLen {
		return h, fmt.Errorf("%w: %d bytes, short header", errCorrupt, len(b))
	}
	if string(b[0:4]) != magic {
		return h, fmt.Errorf("%w: bad magic %q", errCorrupt, b[0:4])
	}
	if crc(b[:60]) != binary.LittleEndian.Uint32(b[60:]) {
		return h, fmt.Errorf("%w: header checksum", errCorrupt)
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != fileVersion {
		return h, fmt.Errorf("%w: format version %d", errCorrupt, v)
	}
	if n := binary.LittleEndian.Uint16(b[6:]); n != headerLen {
		return h, fmt.Errorf("%w: header length %d", errCorrupt, n)
	}
	h.gen = binary.LittleEndian.Uint64(b[8:])
	h.hash = binary.LittleEndian.Uint64(b[16:])
	h.metaLen = binary.LittleEndian.Uint32(b[24:])
	h.metaCRC = binary.LittleEndian.Uint32(b[28:])
	body := binary.LittleEndian.Uint64(b[32:])
	h.bodyCRC = binary.LittleEndian.Uint32(b[40:])
	if h.metaLen < metaFixed || h.metaLen > maxMetaLen {
		return h, fmt.Errorf("%w: metadata length %d", errCorrupt, h.metaLen)
	}
	if body > 1<<62 {
		return h, fmt.Errorf("%w: body length %d", errCorrupt, body)
	}
	h.bodyLen = int64(body)
	return h, nil
}

// encodeMeta appends the metadata of m, with the given Stored and Deadline, to b.
func encodeMeta(b []byte, m *Meta, stored, deadline time.Time) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(stored.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, uint64(deadline.UnixNano()))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Key)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Dist)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Path)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Head)))
	b = append(b, m.Key...)
	b = append(b, m.Dist...)
	b = append(b, m.Path...)
	return append(b, m.Head...)
}

// metaLen is the length encodeMeta produces for m.
func metaLen(m *Meta) int {
	return metaFixed + len(m.Key) + len(m.Dist) + len(m.Path) + len(m.Head)
}

// decodeMeta parses metadata. Key and Head are copied into one new allocation, so the result
// does not keep b.
func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) < metaFixed {
		return m, fmt.Errorf("%w: metadata of %d bytes", errCorrupt, len(b))
	}
	stored := int64(binary.LittleEndian.Uint64(b[0:]))
	deadline := int64(binary.LittleEndian.Uint64(b[8:]))
	var n [4]uint64
	total := uint64(metaFixed)
	for i := range n {
		n[i] = uint64(binary.LittleEndian.Uint32(b[16+4*i:]))
		total += n[i]
	}
	if total != uint64(len(b)) {
		return m, fmt.Errorf("%w: metadata lengths add up to %d, have %d", errCorrupt, total, len(b))
	}
	if n[0] == 0 {
		return m, fmt.Errorf("%w: empty key", errCorrupt)
	}
	rest := b[metaFixed:]
	own := make([]byte, n[0]+n[3])
	m.Key = own[:n[0]:n[0]]
	copy(m.Key, rest[:n[0]])
	rest = rest[n[0]:]
	m.Dist = string(rest[:n[1]])
	rest = rest[n[1]:]
	m.Path = string(rest[:n[2]])
	rest = rest[n[2]:]
	if n[3] > 0 {
		m.Head = own[n[0]:]
		copy(m.Head, rest)
	}
	m.Stored = time.Unix(0, stored)
	m.Deadline = time.Unix(0, deadline)
	return m, nil
}

// hashKey is the key's 64-bit hash: the first 8 bytes of its SHA-256. It names the file and
// indexes the object. A cryptographic hash (as nginx names files by the MD5 of the key) means
// viewers cannot craft keys that collide on purpose; a chance collision among ten million
// objects has odds of about 3 in a million, and Get compares the whole key anyway.
// SHA-256 of a short key costs well under a microsecond (with SHA-NI, ~100 ns), small next to
// the open(2) it precedes.
func hashKey(key []byte) uint64 {
	sum := sha256.Sum256(key)
	return binary.BigEndian.Uint64(sum[:8])
}

// relPath is the object file of hash h relative to the store's directory: "a/bc/abc…" (nginx's
// levels=1:2, https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_cache_path),
// with the 16 hex digits of h as the name.
func relPath(h uint64) string {
	var name [16]byte
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], h)
	hex.Encode(name[:], raw[:])
	s := string(name[:])
	return filepath.Join(s[0:1], s[1:3], s)
}

// parseName returns the hash a file name encodes, if it is one (16 lowercase hex digits).
func parseName(name string) (uint64, bool) {
	if len(name) != 16 {
		return 0, false
	}
	var raw [8]byte
	for i := range len(name) {
		if c := name[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return 0, false
		}
	}
	if _, err := hex.Decode(raw[:], []byte(name)); err != nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(raw[:]), true
}

// isHexName reports whether name is n lowercase hex digits (a level directory).
func isHexName(name string, n int) bool {
	if len(name) != n {
		return false
	}
	for i := range len(name) {
		if c := name[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// costOf is the budget an object file of n bytes takes: n rounded up to whole blocks.
func costOf(n int64) int64 { return (n + blockSize - 1) / blockSize * blockSize }
