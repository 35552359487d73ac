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
	// Body is the request body (POST, PUT, …); nil for none. It is not sent with GET or HEAD.
	Body []byte
}

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
