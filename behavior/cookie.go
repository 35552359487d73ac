package behavior

import "bytes"

// cookie is one "name=value" piece of a Cookie header, as offsets into the header.
type cookie struct {
	start, nameEnd, end int32
}

// stackCookies is how many selected cookies are sorted in a stack array; more than that are
// emitted by repeated minimum scans, which is slower but allocates nothing either.
const stackCookies = 128

// nextCookie returns the bounds of the piece starting at off (trimmed of whitespace) and the
// offset after its ';'. An empty piece has start == end.
func nextCookie(h []byte, off int) (c cookie, next int) {
	end := off
	for end < len(h) && h[end] != ';' {
		end++
	}
	next = end + 1
	s := off
	for s < end && isOWS(h[s]) {
		s++
	}
	for end > s && isOWS(h[end-1]) {
		end--
	}
	ne := s
	for ne < end && h[ne] != '=' {
		ne++
	}
	n := ne
	for n > s && isOWS(h[n-1]) {
		n--
	}
	return cookie{int32(s), int32(n), int32(end)}, next
}

func (c cookie) name(h []byte) []byte  { return h[c.start:c.nameEnd] }
func (c cookie) piece(h []byte) []byte { return h[c.start:c.end] }

// less orders cookies by name (bytewise, "natural order"), then by position.
func (c cookie) less(d cookie, h []byte) bool {
	if r := bytes.Compare(c.name(h), d.name(h)); r != 0 {
		return r < 0
	}
	return c.start < d.start
}

// appendCookies appends the cookies of the Cookie header value h that a or b (b may be nil)
// selects, sorted by name (ties keep their order), each as sent ("name=value"), separated by
// sep. It returns dst unchanged when none is selected and allocates nothing.
func appendCookies(dst, h []byte, a, b *cookieSel, sep string) []byte {
	if len(h) > 1<<30 {
		return dst
	}
	var refs [stackCookies]cookie
	n := 0
	for off := 0; off < len(h); {
		c, next := nextCookie(h, off)
		off = next
		if c.start == c.end || !selects(c.name(h), a, b) {
			continue
		}
		if n == len(refs) {
			return appendCookiesScan(dst, h, a, b, sep)
		}
		// Insertion sort as we go.
		j := n
		for j > 0 && c.less(refs[j-1], h) {
			refs[j] = refs[j-1]
			j--
		}
		refs[j] = c
		n++
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, sep...)
		}
		dst = append(dst, refs[i].piece(h)...)
	}
	return dst
}

func selects(name []byte, a, b *cookieSel) bool {
	return a.match(name) || b != nil && b.match(name)
}

// appendCookiesScan is appendCookies for headers with more than stackCookies selected
// cookies: each round scans the header for the smallest cookie after the last one emitted.
func appendCookiesScan(dst, h []byte, a, b *cookieSel, sep string) []byte {
	var prev cookie
	havePrev := false
	for {
		var best cookie
		haveBest := false
		for off := 0; off < len(h); {
			c, next := nextCookie(h, off)
			off = next
			if c.start == c.end || !selects(c.name(h), a, b) {
				continue
			}
			if havePrev && !prev.less(c, h) {
				continue
			}
			if !haveBest || c.less(best, h) {
				best, haveBest = c, true
			}
		}
		if !haveBest {
			return dst
		}
		if havePrev {
			dst = append(dst, sep...)
		}
		dst = append(dst, best.piece(h)...)
		prev, havePrev = best, true
	}
}
