package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// An entry's metadata — everything but its body and its prepared head — in a compact binary
// form, for a tier that keeps the body elsewhere (the disk tier keeps it beside the body in the
// object's file). The form is versioned; ParseMeta refuses anything it did not write, so bytes
// read back from a disk are checked before any of them is used.

// metaVersion is the first byte of the encoding.
const metaVersion = 1

// maxMetaFields bounds the header fields ParseMeta accepts (an entry has a few dozen).
const maxMetaFields = 1024

// ErrMeta is wrapped by every error ParseMeta returns.
var ErrMeta = errors.New("cache: bad entry metadata")

// AppendMeta appends e's metadata (every field but Body, Head and HeadSize) to b.
func (e *Entry) AppendMeta(b []byte) []byte {
	b = append(b, metaVersion)
	b = appendBytes(b, e.Key)
	b = appendBytes(b, []byte(e.Dist))
	b = appendBytes(b, []byte(e.Path))
	b = binary.AppendUvarint(b, uint64(e.Status))
	b = binary.AppendUvarint(b, uint64(len(e.Header)))
	for _, f := range e.Header {
		b = appendBytes(b, f.Key)
		b = appendBytes(b, f.Value)
	}
	b = binary.AppendVarint(b, e.Stored.UnixNano())
	b = binary.AppendVarint(b, e.Expires.UnixNano())
	b = binary.AppendVarint(b, int64(e.InitialAge))
	b = appendBytes(b, e.Date)
	b = appendBytes(b, e.ETag)
	b = appendBytes(b, e.LastModified)
	b = binary.AppendVarint(b, int64(e.StaleWhileRevalidate))
	b = binary.AppendVarint(b, int64(e.StaleIfError))
	if e.HasStaleIfError {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// ParseMeta reads metadata written by AppendMeta into a new Entry (without Body or Head). The
// entry's slices are copies: b may be reused. Anything malformed, truncated or followed by
// extra bytes is an error wrapping ErrMeta.
func ParseMeta(b []byte) (*Entry, error) {
	r := metaReader{b: b}
	if v := r.byte(); v != metaVersion {
		return nil, fmt.Errorf("%w: version %d", ErrMeta, v)
	}
	e := &Entry{}
	e.Key = r.bytes()
	e.Dist = string(r.bytes())
	e.Path = string(r.bytes())
	status := r.uvarint()
	if status < 100 || status > 999 {
		r.fail("status")
	}
	e.Status = int(status)
	n := r.uvarint()
	if n > maxMetaFields {
		r.fail("header count")
	}
	if n > 0 && r.err == nil {
		e.Header = make([]Field, 0, n)
		for range n {
			k, v := r.bytes(), r.bytes()
			if r.err != nil {
				break
			}
			e.Header = append(e.Header, Field{Key: k, Value: v})
		}
	}
	e.Stored = time.Unix(0, r.varint())
	e.Expires = time.Unix(0, r.varint())
	e.InitialAge = time.Duration(r.varint())
	e.Date = r.bytes()
	e.ETag = r.bytes()
	e.LastModified = r.bytes()
	e.StaleWhileRevalidate = time.Duration(r.varint())
	e.StaleIfError = time.Duration(r.varint())
	switch r.byte() {
	case 0:
	case 1:
		e.HasStaleIfError = true
	default:
		r.fail("stale-if-error flag")
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(e.Key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrMeta)
	}
	return e, nil
}

// metaReader reads AppendMeta's fields, remembering the first error (later reads return zero
// values).
type metaReader struct {
	b   []byte
	err error
}

func (r *metaReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrMeta, what)
	}
	r.b = nil
}

func (r *metaReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *metaReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *metaReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("truncated or overlong number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes reads a length-prefixed byte string (a copy; nil when empty).
func (r *metaReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("truncated")
		return nil
	}
	if n == 0 {
		return nil
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v
}
