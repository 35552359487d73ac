package behavior

import (
	"bytes"
	"encoding/binary"
	"net/textproto"
	"strings"
)

// HeaderGetter is what key building reads viewer request headers through.
// *fasthttp.RequestHeader satisfies it.
//
// PeekAll returns the value of every line of the header named key (case-insensitively), in
// the order received. A line sent empty is an empty element, so a header sent empty is told
// apart from one not sent (no elements). The result may live in a buffer the getter reuses
// (fasthttp's does, so it allocates nothing once warmed up): callers read it before the next
// PeekAll and never keep it.
type HeaderGetter interface {
	PeekAll(key string) [][]byte
}

// KeyPolicy builds cache keys for one behavior
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-the-cache-key.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html). It is
// immutable and safe for concurrent use; the zero value keys on method and path only.
type KeyPolicy struct {
	query   querySel
	headers []keyHeader // sorted by lower-case name
	cookies cookieSel
	gzip    bool // normalised Accept-Encoding in the key (gzip enabled)
	br      bool // same for Brotli
}

type keyHeader struct {
	canon string // "X-Custom-Header", what PeekAll is asked for
	lower string // "x-custom-header", what the key holds
}

// Section tags of a cache key. Each section is a tag byte, a 4-byte big-endian length and
// that many bytes, in this fixed order, so a key parses back into its parts unambiguously and
// two different requests never share a key by accident.
const (
	tagMethod = 'M' // the method, only when it is not GET or HEAD (OPTIONS)
	tagPath   = 'P' // the path, always
	tagQuery  = 'Q' // the selected parameters joined by '&', when any
	tagHeader = 'H' // one per line of a selected header, empty lines too: "lower-name:value"
	tagCookie = 'C' // the selected cookies of all Cookie lines, sorted by name, joined by ';'
	tagEncode = 'E' // the normalised Accept-Encoding: "br,gzip", "gzip" or "br"
)

// AppendKey appends to dst the cache key of one viewer request and returns the extended
// slice. It allocates nothing beyond growing dst. The key holds, in order:
//   - the method, only for methods other than GET and HEAD (GET and HEAD share a key);
//   - the path, as given;
//   - the query-string parameters the policy selects (none, whitelist, allExcept, all), raw
//     and in their original order; only '&' delimits; empty and signed-URL parameters
//     (Expires, Key-Pair-Id, Policy, Signature, Hash-Algorithm) are left out;
//   - the selected headers, sorted by lower-case name (so the order of different headers and
//     name case do not matter; values keep their case). Every line of a selected header is
//     one section, in the order received, because every line is forwarded: "X-Lang: en" plus
//     "X-Lang: evil" keys apart from "X-Lang: en" alone and from "X-Lang: en,evil", and a
//     header sent empty keys apart from one not sent (its section is "x-lang:"). Sections
//     are length-prefixed, so no value can splice itself into another;
//   - the selected cookies of every Cookie line, read as one list (RFC 9113 §8.2.3 lets a
//     client split the cookies over several lines; ForwardPolicy.AppendCookieLines forwards
//     the same list), sorted by name (cookie order does not matter);
//   - the normalised Accept-Encoding ("br,gzip", "gzip" or "br") when gzip or Brotli is
//     enabled, from the first Accept-Encoding line, exactly as ForwardPolicy's
//     AppendAcceptEncoding/AppendAcceptEncodingLines normalise it for the origin; a viewer
//     that accepts neither, or sends no Accept-Encoding, adds nothing.
//
// The distribution is not part of the key; callers that share one cache between
// distributions prefix it. h may be nil (no headers).
func (k *KeyPolicy) AppendKey(dst []byte, method, path, rawQuery []byte, h HeaderGetter) []byte {
	if m := MethodOf(method); m != MethodGet && m != MethodHead {
		dst, s := openSection(dst, tagMethod)
		dst = append(dst, method...)
		return k.appendRest(closeSection(dst, s), path, rawQuery, h)
	}
	return k.appendRest(dst, path, rawQuery, h)
}

func (k *KeyPolicy) appendRest(dst, path, rawQuery []byte, h HeaderGetter) []byte {
	dst, s := openSection(dst, tagPath)
	dst = append(dst, path...)
	dst = closeSection(dst, s)

	if k.query.mode != selNone && len(rawQuery) > 0 {
		dst, s = openSection(dst, tagQuery)
		dst = closeOptional(appendQuery(dst, rawQuery, &k.query, nil), s)
	}
	if h == nil {
		return dst
	}
	for i := range k.headers {
		// One section per line, empty lines included; each result is used up before the
		// next PeekAll reuses its buffer.
		for _, v := range h.PeekAll(k.headers[i].canon) {
			dst, s = openSection(dst, tagHeader)
			dst = append(dst, k.headers[i].lower...)
			dst = append(dst, ':')
			dst = append(dst, v...)
			dst = closeSection(dst, s)
		}
	}
	if k.cookies.mode != selNone {
		if lines := h.PeekAll("Cookie"); len(lines) > 0 {
			dst, s = openSection(dst, tagCookie)
			dst = closeOptional(appendCookies(dst, lines, &k.cookies, nil, ";"), s)
		}
	}
	if k.gzip || k.br {
		if norm, ok := NormalizeAcceptEncoding(firstLine(h.PeekAll("Accept-Encoding")), k.gzip, k.br); ok && norm != "identity" {
			dst, s = openSection(dst, tagEncode)
			dst = append(dst, norm...)
			dst = closeSection(dst, s)
		}
	}
	return dst
}

// firstLine returns the first of a header's lines, or nil when there is none.
func firstLine(lines [][]byte) []byte {
	if len(lines) == 0 {
		return nil
	}
	return lines[0]
}

func openSection(dst []byte, tag byte) ([]byte, int) {
	dst = append(dst, tag, 0, 0, 0, 0)
	return dst, len(dst)
}

func closeSection(dst []byte, start int) []byte {
	binary.BigEndian.PutUint32(dst[start-4:start], uint32(len(dst)-start))
	return dst
}

// closeOptional closes a section, or removes it when it stayed empty.
func closeOptional(dst []byte, start int) []byte {
	if len(dst) == start {
		return dst[:start-5]
	}
	return closeSection(dst, start)
}

// AcceptEncoding reports which codings are normalised into the key (and so may be produced
// by edge compression).
func (k *KeyPolicy) AcceptEncoding() (gzip, br bool) { return k.gzip, k.br }

// HasHeader reports whether the header (any case) is part of the key.
func (k *KeyPolicy) HasHeader(name string) bool {
	l := strings.ToLower(name)
	for _, kh := range k.headers {
		if kh.lower == l {
			return true
		}
	}
	return false
}

// HasCookies reports whether any cookie can be part of the key.
func (k *KeyPolicy) HasCookies() bool { return k.cookies.mode != selNone }

// HasQuery reports whether any query-string parameter can be part of the key.
func (k *KeyPolicy) HasQuery() bool { return k.query.mode != selNone }

// newKeyHeaders canonicalises, de-duplicates and sorts header names for the key.
func newKeyHeaders(names []string) []keyHeader {
	var hs []keyHeader
	for _, n := range names {
		kh := keyHeader{canon: textproto.CanonicalMIMEHeaderKey(n), lower: strings.ToLower(n)}
		dup := false
		for _, o := range hs {
			dup = dup || o.lower == kh.lower
		}
		if dup {
			continue
		}
		j := len(hs)
		hs = append(hs, kh)
		for j > 0 && hs[j].lower < hs[j-1].lower {
			hs[j], hs[j-1] = hs[j-1], hs[j]
			j--
		}
	}
	return hs
}

// NormalizeAcceptEncoding applies CloudFront's Accept-Encoding normalisation ("Cache compressed
// objects",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html#cache-policy-compressed-objects)
// to a viewer's header value, given which codings the policy enables:
//   - present is false when the header is absent or blank (then nothing is keyed or sent);
//   - otherwise norm is "br,gzip", "gzip" or "br" for the enabled codings the viewer accepts,
//     or "identity" when it accepts none of them.
//
// Coding names are case-insensitive; "x-gzip" counts as gzip; a coding with q=0 is refused;
// every other coding, "*" included, is ignored. It allocates nothing.
func NormalizeAcceptEncoding(v []byte, gzip, br bool) (norm string, present bool) {
	if !hasValue(v) {
		return "", false
	}
	vg, vb := acceptedCodings(v)
	switch g, b := gzip && vg, br && vb; {
	case g && b:
		return "br,gzip", true
	case g:
		return "gzip", true
	case b:
		return "br", true
	}
	return "identity", true
}

// acceptedCodings reports whether an Accept-Encoding value accepts gzip and br.
func acceptedCodings(v []byte) (gzip, br bool) {
	for len(v) > 0 {
		elem := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			elem, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		coding := elem
		var params []byte
		if i := bytes.IndexByte(elem, ';'); i >= 0 {
			coding, params = elem[:i], elem[i+1:]
		}
		coding = trimOWS(coding)
		isGzip := foldEq(coding, "gzip") || foldEq(coding, "x-gzip")
		isBr := foldEq(coding, "br")
		if !isGzip && !isBr || zeroQ(params) {
			continue
		}
		gzip = gzip || isGzip
		br = br || isBr
	}
	return gzip, br
}

// zeroQ reports whether the parameters of an Accept-Encoding element hold q=0 (0, 0.0, …).
func zeroQ(params []byte) bool {
	for len(params) > 0 {
		p := params
		if i := bytes.IndexByte(params, ';'); i >= 0 {
			p, params = params[:i], params[i+1:]
		} else {
			params = nil
		}
		p = trimOWS(p)
		if len(p) < 3 || (p[0] != 'q' && p[0] != 'Q') {
			continue
		}
		val := trimOWS(p[1:])
		if len(val) == 0 || val[0] != '=' {
			continue
		}
		val = trimOWS(val[1:])
		if len(val) == 0 || val[0] != '0' {
			return false
		}
		for _, c := range val[1:] {
			if c != '.' && c != '0' {
				return false
			}
		}
		return true
	}
	return false
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
