package edge

import (
	"mime"
	"net/http"
	"strings"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/cache"
	"github.com/valyala/fasthttp"
)

// CloudFront compresses bodies of this size range only
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html).
const (
	minCompressBytes = 1000
	maxCompressBytes = 10_000_000
)

// compressible reports whether CloudFront compresses a media type (the list in "File types
// that CloudFront compresses",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html,
// matched without parameters).
func compressible(mediaType string) bool {
	switch mediaType {
	case "application/dash+xml", "application/eot", "application/font", "application/font-sfnt",
		"application/javascript", "application/json", "application/opentype", "application/otf",
		"application/pkcs7-mime", "application/protobuf", "application/rss+xml", "application/truetype",
		"application/ttf", "application/vnd.apple.mpegurl", "application/vnd.mapbox-vector-tile",
		"application/vnd.ms-fontobject", "application/xhtml+xml", "application/xml",
		"application/x-font-opentype", "application/x-font-truetype", "application/x-font-ttf",
		"application/x-httpd-cgi", "application/x-javascript", "application/x-mpegurl",
		"application/x-opentype", "application/x-otf", "application/x-perl", "application/x-ttf",
		"font/eot", "font/opentype", "font/otf", "font/ttf", "image/svg+xml",
		"text/css", "text/csv", "text/html", "text/javascript", "text/js", "text/plain", "text/richtext",
		"text/tab-separated-values", "text/xml", "text/x-component", "text/x-java-source", "text/x-script",
		"vnd.apple.mpegurl":
		return true
	}
	return false
}

// compressEntry compresses a freshly fetched entry in place when CloudFront would (§7): the
// behavior compresses, the viewer (by the normalised Accept-Encoding sent to the origin) takes
// Brotli (preferred) or gzip, the origin sent no Content-Encoding, the body has a valid length of
// 1,000 to 10,000,000 bytes, the status is 200, 403 or 404, and the type is on CloudFront's list.
// A strong ETag becomes weak, an invalid one is dropped. It reports whether it compressed.
func compressEntry(e *cache.Entry, b *behavior.Behavior, acceptEncoding string, h http.Header, contentLength int64) bool {
	gz, br := b.Compression()
	if !gz && !br {
		return false
	}
	useBr := br && strings.Contains(acceptEncoding, "br")
	useGz := gz && strings.Contains(acceptEncoding, "gzip")
	if !useBr && !useGz {
		return false
	}
	switch e.Status {
	case fasthttp.StatusOK, fasthttp.StatusForbidden, fasthttp.StatusNotFound:
	default:
		return false
	}
	if h.Get("Content-Encoding") != "" || contentLength != int64(len(e.Body)) ||
		contentLength < minCompressBytes || contentLength > maxCompressBytes {
		return false
	}
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !compressible(mt) {
		return false
	}
	coding := "gzip"
	if useBr {
		coding = "br"
		e.Body = fasthttp.AppendBrotliBytesLevel(nil, e.Body, fasthttp.CompressBrotliDefaultCompression)
	} else {
		e.Body = fasthttp.AppendGzipBytesLevel(nil, e.Body, fasthttp.CompressDefaultCompression)
	}
	out := e.Header[:0:0]
	vary := false
	for _, f := range e.Header {
		switch string(f.Key) {
		case "Etag":
			etag := string(f.Value)
			switch {
			case strings.HasPrefix(etag, "W/"):
			case strings.HasPrefix(etag, `"`):
				f.Value = []byte("W/" + etag)
			default:
				continue // invalid: removed
			}
			e.ETag = f.Value
		case "Vary":
			vary = vary || strings.Contains(strings.ToLower(string(f.Value)), "accept-encoding")
		}
		out = append(out, f)
	}
	if len(e.ETag) > 0 && e.ETag[0] != 'W' {
		e.ETag = nil // the invalid ETag was removed
	}
	out = append(out, cache.Field{Key: []byte("Content-Encoding"), Value: []byte(coding)})
	if !vary {
		out = append(out, cache.Field{Key: []byte("Vary"), Value: []byte("Accept-Encoding")})
	}
	e.Header = out
	return true
}
