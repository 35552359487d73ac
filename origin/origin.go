// Package origin fetches objects from the places a distribution's content lives: a custom
// HTTP origin, a local folder, or a failover group of two origins. It knows nothing of caching
// or behaviors: the edge decides which headers to send and what to do with the answer.
//
// Every kind implements [Fetcher]. A Fetch returns a [*Response] for any HTTP answer, 404 and
// 503 included, and an error only when there is no answer at all; such errors are [*Error]
// values whose [ErrorKind] names the CloudFront log result type.
package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/cfedge/edge/config"
)

// Request is one origin request. The edge fills it; origin only adds what the origin itself
// needs (origin_path, Host, custom headers, framing).
type Request struct {
	// Method is the HTTP method (GET, HEAD, …).
	Method string
	// Path is the escaped request path as the viewer sent it, starting with "/". The origin
	// prefixes its origin_path.
	Path string
	// Query is the raw query to send, without "?"; "" for none.
	Query string
	// Header holds the headers to send, already filtered by the edge (may be nil). It never
	// contains Host. Content-Length and hop-by-hop headers (Connection, Keep-Alive, Proxy-*,
	// TE, Trailer, Transfer-Encoding, Upgrade) in it are ignored: origin frames the request.
	Header http.Header
	// Host, when non-empty, is sent as Host instead of the origin's domain (viewer Host
	// forwarded).
	Host string
	// ViewerHTTPS tells an origin_protocol_policy of "match-viewer" to use https.
	ViewerHTTPS bool
	// LowerTier is set when the request came from a lower-tier edge (this edge is its shield):
	// a shielded origin then asks the origin itself.
	LowerTier bool
	// Body is the request body (POST, PUT, …); nil for none. It is not sent with GET or HEAD.
	// Body and BodyStream are exclusive: Fetch refuses a request with both.
	Body []byte
	// BodyStream, when non-nil, is the request body read as it is written to the origin, so
	// that a large upload is never held whole in memory. Like Body it is not sent with GET or
	// HEAD, and the dir kind ignores it. Fetch reads it at most once and never after it
	// returns; it does not close it. A stream whose first byte has been read is never sent
	// again: connection attempts (http, s3) and group failover retry a request only while
	// no Read of BodyStream has been made (a connect or DNS failure); after that a failure
	// is final. An error from BodyStream itself fails the Fetch with an error wrapping it
	// (not an [*Error]: the origin did not fail). The s3 kind signs a streamed body as
	// UNSIGNED-PAYLOAD.
	BodyStream io.Reader
	// ContentLength is BodyStream's length, used only with BodyStream. When >= 0, exactly
	// that many bytes are read from BodyStream and sent with Content-Length (0 sends an empty
	// body without reading); a stream that ends sooner fails the Fetch. When < 0 (use -1)
	// the length is unknown: BodyStream is read to io.EOF and sent chunked, which S3 refuses
	// for PUT (it needs a length).
	ContentLength int64
	// OnInformational, when non-nil, is called for each informational (1xx) response the
	// origin sends before its final response, in order, with the status and the 1xx's
	// headers (canonical keys, hop-by-hop headers removed), e.g. 103 Early Hints and its
	// Link headers. 100 Continue (which concerns the upload to this hop) and 101 Switching
	// Protocols (a final response) are not reported. It is called from the goroutine
	// reading the origin's answer, never concurrently with itself for one Fetch and never
	// after Fetch returns. An origin that sends more than [MaxInformational] 1xx responses
	// (100 Continue included) fails with a KindProtocol [*Error], and a request is never
	// retried once a 1xx was read. Only the http and s3 kinds call it (S3 sends none).
	OnInformational func(status int, header http.Header)
}

// MaxInformational is how many informational (1xx) responses an origin may send before its
// final response; one more is a protocol error (a hostile origin could otherwise keep a
// request waiting forever). Each 1xx is bounded in size like the final response's headers.
const MaxInformational = 10

// Response is an origin's answer. Body is never nil and must always be closed by the caller.
//
// Reading Body returns an error wrapping [ErrTruncated] when the origin closes, resets or
// stalls (no byte within the origin read timeout) before Content-Length bytes or before the
// end of a chunked body. A body with no length that ends by connection close just ends
// (io.EOF).
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers with canonical keys, as received, hop-by-hop headers
	// removed (Connection and the headers it names, Keep-Alive, Proxy-*, TE, Trailer,
	// Transfer-Encoding, Upgrade). Content-Length is kept when the origin sent it.
	Header http.Header
	// ContentLength is the length announced by Content-Length, -1 when unknown (chunked, or
	// delimited by connection close), 0 for 1xx, 204 and 304. Like net/http, a HEAD response
	// keeps the announced length although its Body is empty.
	ContentLength int64
	// Chunked reports that the origin used Transfer-Encoding: chunked.
	Chunked bool
	// ShieldHit reports the answer of a shield edge (shield.go), true when the shield answered
	// from its cache, as its X-Cache says; ShieldMiss when the shield asked the origin.
	ShieldHit, ShieldMiss bool
	// Body streams the response body.
	Body io.ReadCloser
}

// Fetcher is one origin (or group). Implementations are safe for concurrent use.
type Fetcher interface {
	// Fetch sends req to the origin and returns its answer, whatever the status. It returns an
	// error only when there is no answer: an [*Error], or the context's error when ctx ends
	// first. Fetch does not modify req.
	Fetch(ctx context.Context, req *Request) (*Response, error)
}

// ErrRequestBody is wrapped by the error Fetch returns when reading Request.BodyStream failed
// (the viewer's upload broke, or ended before Request.ContentLength bytes). The origin is not
// to blame: such an error is not an [*Error].
var ErrRequestBody = errors.New("origin: request body stream failed")

// ErrTruncated is wrapped by the error a Response Body returns when the origin's body ends
// before its announced length (or before the last chunk). Such a body must not be cached.
var ErrTruncated = errors.New("origin: body truncated")

// ErrorKind classifies a failure to get a response at all.
type ErrorKind int

// Error kinds. Each maps to a CloudFront x-edge-detailed-result-type (see String).
const (
	// KindConnect: connection refused or connect timeout after all attempts.
	KindConnect ErrorKind = iota + 1
	// KindDNS: the origin's domain name did not resolve.
	KindDNS
	// KindTimeout: no first byte within the origin read timeout after all attempts.
	KindTimeout
	// KindTLS: the TLS handshake failed (bad, self-signed or expired certificate, …).
	KindTLS
	// KindProtocol: the origin's answer is not valid HTTP/1.1.
	KindProtocol
	// KindComm: the connection broke before a response (reset, closed without answering).
	KindComm
	// KindHeaderTooBig: the response headers exceed the read buffer.
	KindHeaderTooBig
)

// String returns the kind's CloudFront log name, e.g. "OriginConnectError". CloudFront's
// log has no TLS-specific type; KindTLS logs as "OriginCommError".
func (k ErrorKind) String() string {
	switch k {
	case KindConnect:
		return "OriginConnectError"
	case KindDNS:
		return "OriginDnsError"
	case KindTimeout:
		return "OriginReadError"
	case KindTLS, KindComm:
		return "OriginCommError"
	case KindProtocol:
		return "OriginInvalidResponseError"
	case KindHeaderTooBig:
		return "OriginHeaderTooBigError"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is a failure to get any response from an origin. The edge maps it to 502/504 and to
// the log's x-edge-detailed-result-type; groups fail over on it.
type Error struct {
	// Kind classifies the failure.
	Kind ErrorKind
	// Origin is the id of the origin that failed.
	Origin string
	// Attempts is how many attempts were made (1 to connection_attempts).
	Attempts int
	// Err is the last attempt's underlying error.
	Err error
}

// Error describes the failure with the origin id, kind and attempt count.
func (e *Error) Error() string {
	return fmt.Sprintf("origin %q: %s after %d attempt(s): %v", e.Origin, e.Kind, e.Attempts, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Options are the dependencies shared by every kind of origin. The zero value is usable.
type Options struct {
	// Logger receives retries and failovers. If nil, nothing is logged.
	Logger *slog.Logger
	// Now is the clock (Date headers of dir origins). If nil, time.Now.
	Now func() time.Time
	// OnShieldFallback, if set, is called when a shielded origin's shield can't be reached and
	// the request goes to the origin (shield.go).
	OnShieldFallback func(originID string)
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o Options) now() func() time.Time {
	if o.Now == nil {
		return time.Now
	}
	return o.Now
}

// New builds the Fetcher for one configured origin, dispatching on cfg.Kind ("http", "s3" or
// "dir"). The result also implements io.Closer.
func New(cfg config.Origin, opts Options) (Fetcher, error) {
	switch cfg.Kind {
	case config.KindHTTP:
		h, err := NewHTTP(cfg, opts)
		if err != nil {
			return nil, err
		}
		return h, nil
	case config.KindDir:
		d, err := NewDir(cfg, opts)
		if err != nil {
			return nil, err
		}
		return d, nil
	case config.KindS3:
		return s3Fetcher(NewS3(cfg, opts))
	}
	return nil, fmt.Errorf("origin %q: kind %q: want %q, %q or %q", cfg.ID, cfg.Kind,
		config.KindHTTP, config.KindS3, config.KindDir)
}

// hopByHop reports whether a header (canonical key) is hop-by-hop and so never forwarded
// (RFC 9110 §7.6.1; net/http/httputil's list).
func hopByHop(key string) bool {
	switch key {
	case "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return strings.HasPrefix(key, "Proxy-")
}

// removeHopByHop deletes hop-by-hop headers from h, including those named by Connection.
func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for k := range h {
		if hopByHop(k) {
			delete(h, k)
		}
	}
}

// sendsBody reports whether a request with this method carries its body: every method but
// GET and HEAD ("" is GET).
func sendsBody(method string) bool {
	return method != "" && method != http.MethodGet && method != http.MethodHead
}

// checkBody refuses a request that sets both Body and BodyStream.
func checkBody(id string, req *Request) error {
	if req.Body != nil && req.BodyStream != nil {
		return fmt.Errorf("origin %q: %s %s: Body and BodyStream are both set", id, req.Method, req.Path)
	}
	return nil
}

// errUploadDetached is what an upload's Read returns once the Fetch that owns it returned.
var errUploadDetached = errors.New("origin: request body read after Fetch returned")

// upload wraps a Request's BodyStream for one Fetch. It records whether BodyStream was read
// at all (after which the request must not be sent again), reads at most the announced
// length, tells the stream's own failure apart from the origin's, and, once detached,
// never touches BodyStream again.
type upload struct {
	mu       sync.Mutex
	r        io.Reader
	length   int64 // announced length, -1 when unknown
	n        int64 // bytes read so far
	used     bool  // a Read of r was made
	err      error // r's failure, or its early end
	detached bool
}

// newUpload wraps r, announced as length bytes (< 0: unknown, read to io.EOF).
func newUpload(r io.Reader, length int64) *upload {
	if length < 0 {
		length = -1
	}
	return &upload{r: r, length: length}
}

// Read reads from the stream, stopping at the announced length. An early io.EOF is
// io.ErrUnexpectedEOF. Reads after detach fail without touching the stream.
func (u *upload) Read(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.detached:
		return 0, errUploadDetached
	case u.err != nil:
		return 0, u.err
	case u.length >= 0 && u.n >= u.length:
		return 0, io.EOF
	}
	if u.length >= 0 && int64(len(p)) > u.length-u.n {
		p = p[:u.length-u.n]
	}
	u.used = true
	n, err := u.r.Read(p)
	u.n += int64(n)
	switch {
	case err == io.EOF && u.length >= 0 && u.n < u.length:
		u.err = fmt.Errorf("body stream ended after %d of %d bytes: %w", u.n, u.length, io.ErrUnexpectedEOF)
		return n, u.err
	case err != nil && err != io.EOF:
		u.err = err
		return n, err
	}
	return n, err
}

// touched reports whether the stream was read, so the request can no longer be resent.
func (u *upload) touched() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.used
}

// failure returns the stream's own error, if it failed.
func (u *upload) failure() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// detach makes every later Read fail without touching the stream; it waits for a Read in
// progress to return, so that the caller may reuse the stream once detach returns.
func (u *upload) detach() {
	u.mu.Lock()
	u.detached = true
	u.mu.Unlock()
}
