package origin

import (
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// This file holds the HTTP semantics a dir origin serves with: single byte ranges
// (RFC 9110 §14), preconditions (RFC 9110 §13) and content types. They are pure functions.

// rangeResult is the outcome of parsing a Range header against a representation's size.
type rangeResult int

const (
	// rangeNone: no usable Range (absent, another unit, invalid, or several ranges): serve
	// the whole representation with 200.
	rangeNone rangeResult = iota
	// rangeOK: serve [start, start+length) with 206.
	rangeOK
	// rangeUnsatisfiable: answer 416 with Content-Range: bytes */size.
	rangeUnsatisfiable
)

// parseRange parses a Range header value for a representation of size bytes. It accepts
// one range spec ("bytes=a-b", "bytes=a-", "bytes=-n"); a value with several ranges, another
// unit or invalid syntax is ignored (rangeNone), as RFC 9110 §14.2 allows. A last position
// past the end is clamped; a first position at or past the end, or a zero-length suffix, is
// unsatisfiable.
func parseRange(s string, size int64) (start, length int64, res rangeResult) {
	s = strings.TrimSpace(s)
	const unit = "bytes="
	if len(s) < len(unit) || !strings.EqualFold(s[:len(unit)], unit) {
		return 0, 0, rangeNone
	}
	spec := strings.TrimSpace(s[len(unit):])
	if strings.IndexByte(spec, ',') >= 0 {
		return 0, 0, rangeNone
	}
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return 0, 0, rangeNone
	}
	first, last := strings.TrimSpace(spec[:dash]), strings.TrimSpace(spec[dash+1:])
	if first == "" {
		n, ok := parseDigits(last)
		switch {
		case !ok:
			return 0, 0, rangeNone
		case n == 0 || size <= 0:
			return 0, 0, rangeUnsatisfiable
		}
		n = min(n, size)
		return size - n, n, rangeOK
	}
	a, ok := parseDigits(first)
	if !ok {
		return 0, 0, rangeNone
	}
	b := int64(-1)
	if last != "" {
		if b, ok = parseDigits(last); !ok || b < a {
			return 0, 0, rangeNone
		}
	}
	if a >= size {
		return 0, 0, rangeUnsatisfiable
	}
	if b < 0 || b >= size {
		b = size - 1
	}
	return a, b - a + 1, rangeOK
}

// parseDigits parses a non-empty run of ASCII digits; values past int64 saturate.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil { // only ErrRange is possible here
		return 1<<63 - 1, true
	}
	return n, true
}

// contentRange formats a Content-Range value for a satisfied range.
func contentRange(start, length, size int64) string {
	return "bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(start+length-1, 10) +
		"/" + strconv.FormatInt(size, 10)
}

// preconditions evaluates the request's preconditions against a representation's strong
// etag and modification time, in RFC 9110 §13.2.2 order. It returns 0 to proceed, 304 or
// 412. Only GET and HEAD reach it, so a matching If-None-Match gives 304.
func preconditions(h http.Header, etag string, mod time.Time) int {
	mod = mod.Truncate(time.Second)
	if im := headerList(h, "If-Match"); im != "" {
		if !etagListMatch(im, etag, true) {
			return http.StatusPreconditionFailed
		}
	} else if t, ok := headerTime(h, "If-Unmodified-Since"); ok && mod.After(t) {
		return http.StatusPreconditionFailed
	}
	if inm := headerList(h, "If-None-Match"); inm != "" {
		if etagListMatch(inm, etag, false) {
			return http.StatusNotModified
		}
	} else if t, ok := headerTime(h, "If-Modified-Since"); ok && !mod.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// ifRangeAllows reports whether a Range may be honoured under If-Range (RFC 9110 §13.1.5):
// yes without If-Range, when it is our strong etag, or when it is exactly our Last-Modified.
func ifRangeAllows(h http.Header, etag string, mod time.Time) bool {
	v := strings.TrimSpace(h.Get("If-Range"))
	switch {
	case v == "":
		return true
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "W/"):
		return v == etag
	}
	t, err := http.ParseTime(v)
	return err == nil && mod.Truncate(time.Second).Equal(t)
}

func headerList(h http.Header, key string) string {
	vs := h.Values(key)
	if len(vs) == 1 {
		return strings.TrimSpace(vs[0])
	}
	return strings.TrimSpace(strings.Join(vs, ","))
}

func headerTime(h http.Header, key string) (time.Time, bool) {
	v := h.Get(key)
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}

// etagListMatch reports whether a list of entity tags ("*" or `"a", W/"b"`) matches etag
// (a strong tag). Strong comparison refuses weak tags; weak comparison ignores W/. A
// malformed list matches nothing after the point where it breaks.
func etagListMatch(list, etag string, strong bool) bool {
	for {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return false
		}
		if list[0] == '*' {
			return true
		}
		weak := false
		if strings.HasPrefix(list, "W/") {
			weak, list = true, list[2:]
		}
		if len(list) < 2 || list[0] != '"' {
			return false
		}
		end := strings.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		tag := list[:end+2]
		if tag == etag && (!weak || !strong) {
			return true
		}
		list = list[end+2:]
	}
}

// knownType is the table a dir origin consults before mime.TypeByExtension; it fixes the
// streaming and web types whatever the host's mime database says. Smooth Streaming manifests
// (.ism server, .ismc client) are text/xml, as AWS MediaPackage and nginx-vod serve them.
func knownType(ext string) string {
	switch ext {
	case ".ism", ".ismc":
		return "text/xml"
	case ".ismv", ".mp4", ".m4v":
		return "video/mp4"
	case ".isma", ".m4a":
		return "audio/mp4"
	case ".m4s":
		return "video/iso.segment"
	case ".m3u8":
		return "application/vnd.apple.mpegurl"
	case ".mpd":
		return "application/dash+xml"
	case ".ts":
		return "video/mp2t"
	case ".webm":
		return "video/webm"
	case ".mp3":
		return "audio/mpeg"
	case ".vtt":
		return "text/vtt"
	case ".json":
		return "application/json"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html", ".htm":
		return "text/html; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".xml":
		return "application/xml"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	case ".ico":
		return "image/x-icon"
	case ".wasm":
		return "application/wasm"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".pdf":
		return "application/pdf"
	}
	return ""
}

// contentType returns the Content-Type for a file name: knownType, then
// mime.TypeByExtension, then application/octet-stream. Extensions are case-insensitive.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct := knownType(ext); ct != "" {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}
