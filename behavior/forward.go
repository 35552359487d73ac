package behavior

import "strings"

// ForwardPolicy says what of a viewer request reaches the origin
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html;
// legacy settings: https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ForwardedValues.html
// and "HTTP request headers and CloudFront behavior",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-headers-behavior):
// everything in the cache key, plus what the origin request policy (or, in legacy
// mode, forwarded_values and the legacy header table) adds. It is immutable and safe for
// concurrent use. The zero value forwards only the always-passed headers of policy mode.
//
// Header rules, in order:
//  1. Never forwarded as a plain copy: hop-by-hop headers (Connection, Keep-Alive,
//     Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
//     Transfer-Encoding, Upgrade), the always-stripped X-Edge-*, X-Forwarded-Proto and
//     X-Real-IP, viewer-sent CloudFront-* headers (see CloudFrontHeader), and the headers the
//     edge builds itself: Host (ForwardHost), User-Agent (ForwardUserAgent), Accept-Encoding
//     (AppendAcceptEncoding), Cookie (AppendCookies), X-Forwarded-For and Via (appended to),
//     X-Amz-Cf-Id. Headers named in the viewer's Connection header are the caller's to drop.
//  2. Headers in the cache key are forwarded.
//  3. Legacy mode (no cache policy): with headers ["*"] everything else is forwarded;
//     otherwise Accept, Accept-Charset, Accept-Language, Referer, Authorization, Expect and
//     X-HTTP-Method-Override are stripped unless listed, and every other header passes
//     (the legacy table's "other-defined headers").
//  4. Policy mode: headers the origin request policy selects pass (whitelist, allViewer,
//     allViewerAndWhitelistCloudFront, allExcept; Authorization only through the key or
//     allViewer), plus the always-passed set: Cache-Control, Content-Length, Content-MD5,
//     Content-Type, Date, From, If-Match, If-Modified-Since, If-None-Match, If-Range,
//     If-Unmodified-Since, Max-Forwards, Pragma, Range, Request-Range, Warning. Origin is not
//     in that set: under the policy model it reaches the origin only through the key or an
//     origin request policy (which is what the managed CORS policies exist for). Everything
//     else is dropped. The edge may still drop If-* and Range on misses it wants to cache
//     whole; this policy only says what the viewer is entitled to send.
type ForwardPolicy struct {
	legacy    bool
	legacyAll bool      // legacy headers ["*"]
	keyHdrs   headerSel // headers in the key (legacy: the listed headers)
	orpHdrs   headerSel // policy mode: the origin request policy's selection
	cfHdrs    []string  // lower-case CloudFront-* headers the edge should generate
	qa, qb    querySel  // forwarded query parameters: qa ∪ qb
	hasQB     bool
	ca, cb    cookieSel // forwarded cookies: ca ∪ cb
	hasCB     bool
	gzip, br  bool // Accept-Encoding is normalised (compression caching on)
	host, ua  bool
}

// Header reports whether the viewer header name (any case) is copied verbatim onto the
// origin request. It allocates nothing. See ForwardPolicy for the rules.
func (f *ForwardPolicy) Header(name []byte) bool {
	if neverForward(name) {
		return false
	}
	if f.keyHdrs.listed(name) {
		return true
	}
	if f.legacy {
		return f.legacyAll || !legacyStripped(name)
	}
	if f.orpHdrs.match(name) && (f.orpHdrs.mode == selAll || !foldEq(name, "authorization")) {
		return true
	}
	return alwaysPassed(name)
}

// ForwardHost reports whether the viewer's Host goes to the origin (Host in the key, in the
// origin request policy, allViewer, or legacy headers listing Host or "*"); otherwise the
// origin request carries the origin's domain name.
func (f *ForwardPolicy) ForwardHost() bool { return f.host }

// ForwardUserAgent reports whether the viewer's User-Agent goes to the origin; otherwise the
// origin request carries "User-Agent: Amazon CloudFront".
func (f *ForwardPolicy) ForwardUserAgent() bool { return f.ua }

// CloudFrontHeader reports whether the edge should generate the CloudFront-* header name
// (any case) for the origin, because the key, the origin request policy
// (whitelist or allViewerAndWhitelistCloudFront) or the legacy header list names it.
func (f *ForwardPolicy) CloudFrontHeader(name string) bool {
	for _, n := range f.cfHdrs {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// CloudFrontHeaders lists, in lower case, the CloudFront-* headers the edge should generate.
// The caller must not modify the slice.
func (f *ForwardPolicy) CloudFrontHeaders() []string { return f.cfHdrs }

// AppendQuery appends the query string to send to the origin (no '?'): the parameters of
// rawQuery that the key or the origin request policy selects, raw and in their original
// order, joined by '&'. Empty and signed-URL parameters (Expires, Key-Pair-Id, Policy,
// Signature, Hash-Algorithm) are never forwarded. It allocates nothing beyond growing dst.
func (f *ForwardPolicy) AppendQuery(dst, rawQuery []byte) []byte {
	if f.qa.mode == selNone && (!f.hasQB || f.qb.mode == selNone) {
		return dst
	}
	var b *querySel
	if f.hasQB {
		b = &f.qb
	}
	return appendQuery(dst, rawQuery, &f.qa, b)
}

// AppendCookies is AppendCookieLines for a viewer that sent one Cookie line. A viewer that
// sent several must go through AppendCookieLines, or the origin would not see the cookies
// the key holds.
func (f *ForwardPolicy) AppendCookies(dst, cookieHeader []byte) []byte {
	lines := [1][]byte{cookieHeader}
	return f.AppendCookieLines(dst, lines[:])
}

// AppendCookieLines appends the one Cookie header value to send to the origin, given every
// Cookie line of the viewer request in the order received (HeaderGetter.PeekAll("Cookie")):
// the cookies of all lines, read as one list (RFC 9113 §8.2.3), that the key or the origin
// request policy selects, sorted by name, joined by "; ". These are the cookies
// KeyPolicy.AppendKey keys on, so key and origin request agree. It returns dst unchanged
// when no cookie is forwarded, and allocates nothing beyond growing dst.
func (f *ForwardPolicy) AppendCookieLines(dst []byte, lines [][]byte) []byte {
	if !f.ForwardsCookies() {
		return dst
	}
	var b *cookieSel
	if f.hasCB {
		b = &f.cb
	}
	return appendCookies(dst, lines, &f.ca, b, "; ")
}

// ForwardsCookies reports whether any cookie can reach the origin (which also turns request
// collapsing off: "Simultaneous requests for the same object (request collapsing)",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-traffic-spikes).
func (f *ForwardPolicy) ForwardsCookies() bool {
	return f.ca.mode != selNone || f.hasCB && f.cb.mode != selNone
}

// AppendAcceptEncoding appends the Accept-Encoding value to send to the origin, given the
// viewer's value v, and reports whether to send one at all. With gzip or Brotli caching on,
// it is the normalised value of NormalizeAcceptEncoding ("identity" when the viewer accepts
// neither; nothing when the viewer sent none). With both off, Accept-Encoding is an ordinary
// header: v is sent verbatim only when the key, the origin request policy or the legacy
// header list selects it.
//
// A viewer may send several Accept-Encoding lines; normalisation reads only the first, as
// KeyPolicy.AppendKey does, so key and origin request agree. Callers that forward the
// header verbatim should use AppendAcceptEncodingLines, which forwards every line.
func (f *ForwardPolicy) AppendAcceptEncoding(dst, v []byte) ([]byte, bool) {
	if f.gzip || f.br {
		norm, ok := NormalizeAcceptEncoding(v, f.gzip, f.br)
		if !ok {
			return dst, false
		}
		return append(dst, norm...), true
	}
	if !hasValue(v) {
		return dst, false
	}
	const ae = "accept-encoding"
	if f.keyHdrs.listedName(ae) || f.legacyAll || !f.legacy && f.orpHdrs.matchName(ae) {
		return append(dst, v...), true
	}
	return dst, false
}

// AppendAcceptEncodingLines is AppendAcceptEncoding given every Accept-Encoding line of the
// viewer request in the order received (HeaderGetter.PeekAll("Accept-Encoding")). With gzip
// or Brotli caching on, the normalised value comes from the first line, as in the key. With
// both off, when the header is selected, every line is sent, joined by ", " into one value
// (RFC 9110 §5.3), blank lines left out; send is false when nothing is left. It allocates
// nothing beyond growing dst.
func (f *ForwardPolicy) AppendAcceptEncodingLines(dst []byte, lines [][]byte) ([]byte, bool) {
	if f.gzip || f.br || len(lines) <= 1 {
		return f.AppendAcceptEncoding(dst, firstLine(lines))
	}
	start, send := len(dst), false
	for _, v := range lines {
		if !hasValue(v) {
			continue
		}
		if send {
			dst = append(dst, ", "...)
		}
		var ok bool
		if dst, ok = f.AppendAcceptEncoding(dst, v); !ok {
			return dst[:start], false // not selected: no line is
		}
		send = true
	}
	return dst, send
}

// lowerName copies an ASCII header name into buf in lower case; ok is false when it does not
// fit (no fixed-name rule applies to such a long name).
func lowerName(buf *[32]byte, name []byte) (int, bool) {
	if len(name) > len(buf) {
		return 0, false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return len(name), true
}

// foldHasPrefix reports whether name starts with the lower-case prefix, ignoring ASCII case.
func foldHasPrefix(name []byte, prefix string) bool {
	return len(name) >= len(prefix) && foldEq(name[:len(prefix)], prefix)
}

func neverForward(name []byte) bool {
	if foldHasPrefix(name, "x-edge-") || foldHasPrefix(name, "cloudfront-") {
		return true
	}
	var buf [32]byte
	n, ok := lowerName(&buf, name)
	if !ok {
		return false
	}
	switch string(buf[:n]) {
	case "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
		"x-forwarded-proto", "x-real-ip",
		"host", "user-agent", "accept-encoding", "cookie", "x-forwarded-for", "via", "x-amz-cf-id",
		"expect": // the edge answers the viewer's expectation itself (RFC 9110 §10.1.1)
		return true
	}
	return false
}

func legacyStripped(name []byte) bool {
	var buf [32]byte
	n, ok := lowerName(&buf, name)
	if !ok {
		return false
	}
	switch string(buf[:n]) {
	case "accept", "accept-charset", "accept-language", "referer", "authorization",
		"expect", "x-http-method-override":
		return true
	}
	return false
}

func alwaysPassed(name []byte) bool {
	var buf [32]byte
	n, ok := lowerName(&buf, name)
	if !ok {
		return false
	}
	switch string(buf[:n]) {
	case "cache-control", "content-length", "content-md5", "content-type", "date", "from",
		"if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
		"max-forwards", "pragma", "range", "request-range", "warning":
		return true
	}
	return false
}
