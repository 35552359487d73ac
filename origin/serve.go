package origin

import (
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/cfedge/edge/httpcond"
)

// This file holds the HTTP semantics a dir origin serves with: single byte ranges
// (RFC 9110 §14), preconditions (RFC 9110 §13) and content types. The rules themselves live in
// package httpcond; these are the dir origin's adapters to net/http values.

// rangeResult is the outcome of parsing a Range header against a representation's size.
type rangeResult int

const (
	// rangeNone: no usable Range (absent, another unit, invalid, unsorted or overlapping, or
	// more than one satisfiable range): serve the whole representation with 200.
	rangeNone rangeResult = iota
	// rangeOK: serve [start, start+length) with 206.
	rangeOK
	// rangeUnsatisfiable: answer 416 with Content-Range: bytes */size.
	rangeUnsatisfiable
)

// parseRange parses a Range header value for a representation of size bytes with
// httpcond.ParseRanges. A dir origin sends one part only, so a Range that leaves several
// satisfiable ranges is ignored (rangeNone), as RFC 9110 §14.2 allows; one that leaves exactly
// one is served as that single range.
func parseRange(s string, size int64) (start, length int64, res rangeResult) {
	var arr [2]httpcond.Range
	rs, r := httpcond.ParseRanges(arr[:0], []byte(s), size)
	switch {
	case r == httpcond.Unsatisfiable:
		return 0, 0, rangeUnsatisfiable
	case r == httpcond.Satisfiable && len(rs) == 1:
		return rs[0].Start, rs[0].Length(), rangeOK
	}
	return 0, 0, rangeNone
}

// contentRange formats a Content-Range value for a satisfied range.
func contentRange(start, length, size int64) string {
	var b [64]byte
	return string(httpcond.AppendContentRange(b[:0], httpcond.Range{Start: start, End: start + length - 1}, size))
}

// validators returns a representation's validators as httpcond takes them: the strong etag
// and the modification time as an IMF-fixdate (whole seconds, like Last-Modified).
func validators(etag string, mod time.Time, buf []byte) httpcond.Validators {
	return httpcond.Validators{ETag: []byte(etag), LastModified: mod.UTC().AppendFormat(buf, http.TimeFormat)}
}

// preconditions evaluates the request's preconditions against a representation's strong
// etag and modification time with httpcond.EvaluatePreconditions (RFC 9110 §13.2.2 order). It
// returns 0 to proceed, 304 or 412. Only GET and HEAD reach it, so a matching If-None-Match
// gives 304.
func preconditions(h http.Header, etag string, mod time.Time) int {
	var buf [32]byte
	c := httpcond.Conditions{
		IfMatch:           headerList(h, "If-Match"),
		IfNoneMatch:       headerList(h, "If-None-Match"),
		IfModifiedSince:   []byte(h.Get("If-Modified-Since")),
		IfUnmodifiedSince: []byte(h.Get("If-Unmodified-Since")),
	}
	switch httpcond.EvaluatePreconditions(c, validators(etag, mod, buf[:0])) {
	case httpcond.NotModified:
		return http.StatusNotModified
	case httpcond.PreconditionFailed:
		return http.StatusPreconditionFailed
	}
	return 0
}

// ifRangeAllows reports whether a Range may be honoured under If-Range (RFC 9110 §13.1.5),
// with httpcond.IfRange: yes without If-Range, when it is our strong etag, or when it is our
// Last-Modified instant.
func ifRangeAllows(h http.Header, etag string, mod time.Time) bool {
	var buf [32]byte
	return httpcond.IfRange([]byte(h.Get("If-Range")), validators(etag, mod, buf[:0]))
}

// headerList returns every field line of a list-valued header as one value joined with commas
// (RFC 9110 §5.3), nil when absent.
func headerList(h http.Header, key string) []byte {
	vs := h.Values(key)
	if len(vs) == 1 {
		return []byte(vs[0])
	}
	return []byte(strings.Join(vs, ","))
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
