// Package httpcond implements HTTP conditional requests (RFC 9110 §13) and range requests
// (RFC 9110 §14) over raw field values: it evaluates If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since and If-Range against a representation's validators,
// parses Range into byte ranges, and formats Content-Range and multipart/byteranges bodies.
//
// It works on []byte values and small structs, knows no HTTP library, and allocates nothing
// except where a caller-supplied slice has to grow, so a server's hot path can use it as is.
package httpcond
