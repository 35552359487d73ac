package behavior

import "bytes"

// cookie is one "name=value" piece of a Cookie header line, as offsets into that line.
type cookie struct {
	line, start, nameEnd, end int32
}

// stackCookies is how many selected cookies are sorted in a stack array; more than that are
// emitted by repeated minimum scans, which is slower but allocates nothing either.
const stackCookies = 128

// nextCookie returns the bounds of the piece of line l (the line's bytes h) starting at off,
// trimmed of whitespace, and the offset after its ';'. An empty piece has start == end.
func nextCookie(h []byte, l, off int) (c cookie, next int) {
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
	return cookie{int32(l), int32(s), int32(n), int32(end)}, next
}

func (c cookie) name(lines [][]byte) []byte  { return lines[c.line][c.start:c.nameEnd] }
func (c cookie) piece(lines [][]byte) []byte { return lines[c.line][c.start:c.end] }

// less orders cookies by name (bytewise, "natural order"), then by position (line, then
// offset), so equal names keep the order they were sent in.
func (c cookie) less(d cookie, lines [][]byte) bool {
	if r := bytes.Compare(c.name(lines), d.name(lines)); r != 0 {
		return r < 0
	}
	if c.line != d.line {
		return c.line < d.line
	}
	return c.start < d.start
}

// cookieIter walks the pieces of all Cookie lines in order, skipping empty ones.
type cookieIter struct {
	lines     [][]byte
	line, off int
}

func (it *cookieIter) next() (cookie, bool) {
	for it.line < len(it.lines) {
		h := it.lines[it.line]
		if it.off >= len(h) {
			it.line++
			it.off = 0
			continue
		}
		c, next := nextCookie(h, it.line, it.off)
		it.off = next
		if c.start != c.end {
			return c, true
		}
	}
	return cookie{}, false
}

// appendCookies appends the cookies of the Cookie header lines that a or b (b may be nil)
// selects, read as one list (RFC 9113 §8.2.3: the lines are joined with "; "), sorted by name
// (ties keep their order), each as sent ("name=value"), separated by sep. It returns dst
// unchanged when none is selected and allocates nothing.
func appendCookies(dst []byte, lines [][]byte, a, b *cookieSel, sep string) []byte {
	total := 0
	for _, h := range lines {
		total += len(h)
		if total > 1<<30 || len(lines) > 1<<30 {
			return dst
		}
	}
	var refs [stackCookies]cookie
	n := 0
	it := cookieIter{lines: lines}
	for c, ok := it.next(); ok; c, ok = it.next() {
		if !selects(c.name(lines), a, b) {
			continue
		}
		if n == len(refs) {
			return appendCookiesScan(dst, lines, a, b, sep)
		}
		// Insertion sort as we go.
		j := n
		for j > 0 && c.less(refs[j-1], lines) {
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
		dst = append(dst, refs[i].piece(lines)...)
	}
	return dst
}

func selects(name []byte, a, b *cookieSel) bool {
	return a.match(name) || b != nil && b.match(name)
}

// appendCookiesScan is appendCookies for headers with more than stackCookies selected
// cookies: each round scans the lines for the smallest cookie after the last one emitted.
func appendCookiesScan(dst []byte, lines [][]byte, a, b *cookieSel, sep string) []byte {
	var prev cookie
	havePrev := false
	for {
		var best cookie
		haveBest := false
		it := cookieIter{lines: lines}
		for c, ok := it.next(); ok; c, ok = it.next() {
			if !selects(c.name(lines), a, b) {
				continue
			}
			if havePrev && !prev.less(c, lines) {
				continue
			}
			if !haveBest || c.less(best, lines) {
				best, haveBest = c, true
			}
		}
		if !haveBest {
			return dst
		}
		if havePrev {
			dst = append(dst, sep...)
		}
		dst = append(dst, best.piece(lines)...)
		prev, havePrev = best, true
	}
}
