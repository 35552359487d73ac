package h2

import (
	"encoding/binary"
	"errors"
	"io"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// headerBlock is a request's header block as the loop decodes it: a HEADERS frame and its
// CONTINUATIONs (RFC 9113 §4.3), HPACK-decoded fragment by fragment into fields the connection
// keeps from block to block (no allocation per request beyond the strings HPACK makes for
// literals). It does what x/net's Framer does with ReadMetaHeaders — the same checks of names,
// values and pseudo-field order, the same bound on the list and on the bytes offered past it —
// without its per-frame allocations.
type headerBlock struct {
	StreamID  uint32
	endStream bool
	selfDep   bool // the HEADERS frame made the stream depend on itself (RFC 9113 §5.3.1)
	// Truncated: the list was over MaxHeaderListSize; the rest was decoded and dropped.
	Truncated  bool
	invalid    error
	sawRegular bool
	remain     uint32
	fields     []hpack.HeaderField
	npseudo    int
}

// StreamEnded reports whether the HEADERS frame ended the stream (a request without a body).
func (b *headerBlock) StreamEnded() bool { return b.endStream }

// PseudoFields are the block's pseudo-header fields (they come first).
func (b *headerBlock) PseudoFields() []hpack.HeaderField { return b.fields[:b.npseudo] }

// RegularFields are the block's other fields.
func (b *headerBlock) RegularFields() []hpack.HeaderField { return b.fields[b.npseudo:] }

var (
	errPseudoAfterRegular = errors.New("h2: pseudo-header field after a regular one")
	errFieldName          = errors.New("h2: invalid header field name")
	errFieldValue         = errors.New("h2: invalid header field value")
)

// emit takes one decoded field (the HPACK decoder's emit function).
func (c *conn) emit(hf hpack.HeaderField) {
	b := &c.block
	if !httpguts.ValidHeaderFieldValue(hf.Value) {
		b.invalid = errFieldValue
	} else if len(hf.Name) > 0 && hf.Name[0] == ':' {
		if b.sawRegular {
			b.invalid = errPseudoAfterRegular
		}
	} else {
		b.sawRegular = true
		if !validFieldName(hf.Name) {
			b.invalid = errFieldName
		}
	}
	if b.invalid != nil {
		c.dec.SetEmitEnabled(false)
		return
	}
	size := hf.Size()
	if size > b.remain {
		c.dec.SetEmitEnabled(false)
		b.Truncated, b.remain = true, 0
		return
	}
	b.remain -= size
	b.fields = append(b.fields, hf)
	if !b.sawRegular {
		b.npseudo++
	}
}

// validFieldName reports whether a regular field's name is a lower-case token (RFC 9113
// §8.2.1: a name with upper-case letters is malformed).
func validFieldName(s string) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !httpguts.IsTokenRune(rune(c)) || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// readHeaders reads the payload of a HEADERS frame whose header the Framer read (and checked
// for size and for CONTINUATION order), and starts its header block: what x/net's
// parseHeadersFrame does (RFC 9113 §6.2), into the connection's buffer instead of a new frame
// per request. A frame too short for its fields, or padded past its end, ends the connection:
// its block can't be decoded, and HPACK's state is lost with it (§4.3).
func (c *conn) readHeaders(fh http2.FrameHeader) error {
	if cap(c.payload) < int(fh.Length) {
		c.payload = make([]byte, fh.Length)
	}
	p := c.payload[:fh.Length]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return err
	}
	if fh.StreamID == 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	pad := 0
	if fh.Flags.Has(http2.FlagHeadersPadded) {
		if len(p) < 1 {
			return http2.ConnectionError(http2.ErrCodeFrameSize)
		}
		pad, p = int(p[0]), p[1:]
	}
	selfDep := false
	if fh.Flags.Has(http2.FlagHeadersPriority) {
		if len(p) < 5 {
			return http2.ConnectionError(http2.ErrCodeFrameSize)
		}
		selfDep = binary.BigEndian.Uint32(p)&0x7fffffff == fh.StreamID
		p = p[5:]
	}
	if pad > len(p) {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	b := &c.block
	clear(b.fields) // drop the strings of the last block
	*b = headerBlock{
		StreamID:  fh.StreamID,
		endStream: fh.Flags.Has(http2.FlagHeadersEndStream),
		selfDep:   selfDep,
		remain:    c.srv.cfg.MaxHeaderListSize,
		fields:    b.fields[:0],
	}
	c.dec.SetEmitEnabled(true)
	return c.fragment(p[:len(p)-pad], fh.Flags.Has(http2.FlagHeadersEndHeaders))
}

// fragment decodes one fragment of the block; at the block's end the request (or trailers) is
// taken. The Framer has checked that CONTINUATIONs follow their HEADERS without interleaving.
func (c *conn) fragment(frag []byte, end bool) error {
	b := &c.block
	// Bytes offered well past the list's bound (a CONTINUATION flood: a fragment over twice
	// what is left of it and of a trailers' list, or any fragment once it is exceeded), or
	// more fragments after an invalid field, end the connection, as x/net's Framer does.
	bound := int64(0)
	if !b.Truncated {
		bound = 2 * (int64(b.remain) + int64(c.srv.cfg.MaxHeaderListSize))
	}
	if int64(len(frag)) > bound || b.invalid != nil && len(frag) > 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	if _, err := c.dec.Write(frag); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	if !end {
		return nil
	}
	if err := c.dec.Close(); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	if b.invalid != nil {
		return http2.StreamError{StreamID: b.StreamID, Code: http2.ErrCodeProtocol, Cause: b.invalid}
	}
	return c.headers(b)
}
