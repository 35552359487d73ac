package origin

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// Origin protocol policies (CloudFront's CustomOriginConfig/OriginProtocolPolicy).
const (
	policyHTTPOnly    = "http-only"
	policyHTTPSOnly   = "https-only"
	policyMatchViewer = "match-viewer"
)

// readBufferSize is the per-connection read buffer, which also bounds the response header
// size (CloudFront answers OriginHeaderTooBigError beyond its own limit).
const readBufferSize = 32 << 10

// HTTP is a custom origin: HTTP/1.1 over a keep-alive pool, plain or TLS according to
// origin_protocol_policy. It never follows redirects, streams response bodies, streams
// request bodies given as Request.BodyStream, and reports 1xx responses.
// Safe for concurrent use.
type HTTP struct {
	id         string
	originPath string
	attempts   int
	custom     []config.CustomHeader // canonical names
	customSet  map[string]bool
	plain      *endpoint // nil for https-only
	secure     *endpoint // nil for http-only
	log        *slog.Logger
}

// endpoint is one scheme of an origin: its connection pool and its default Host header.
type endpoint struct {
	client *fasthttp.HostClient
	host   string
}

var _ Fetcher = (*HTTP)(nil)

// NewHTTP builds a custom origin from cfg. Zero timeouts, attempts, ports and policy take
// CloudFront's defaults (config.Default…); negative values and an empty or port-carrying
// domain_name are errors. It opens no connection.
func NewHTTP(cfg config.Origin, opts Options) (*HTTP, error) {
	if cfg.Kind != "" && cfg.Kind != config.KindHTTP {
		return nil, fmt.Errorf("origin %q: kind %q: NewHTTP needs %q", cfg.ID, cfg.Kind, config.KindHTTP)
	}
	domain, err := originDomain(cfg.DomainName)
	if err != nil {
		return nil, fmt.Errorf("origin %q: domain_name %q: %w", cfg.ID, cfg.DomainName, err)
	}
	policy := cfg.OriginProtocolPolicy
	if policy == "" {
		policy = config.DefaultOriginProtocolPolicy
	}
	if policy != policyHTTPOnly && policy != policyHTTPSOnly && policy != policyMatchViewer {
		return nil, fmt.Errorf("origin %q: origin_protocol_policy %q: want %q, %q or %q",
			cfg.ID, policy, policyHTTPOnly, policyHTTPSOnly, policyMatchViewer)
	}
	httpPort, err := port("http_port", cfg.HTTPPort, config.DefaultHTTPPort)
	if err != nil {
		return nil, fmt.Errorf("origin %q: %w", cfg.ID, err)
	}
	httpsPort, err := port("https_port", cfg.HTTPSPort, config.DefaultHTTPSPort)
	if err != nil {
		return nil, fmt.Errorf("origin %q: %w", cfg.ID, err)
	}
	attempts := cfg.ConnectionAttempts
	switch {
	case attempts < 0:
		return nil, fmt.Errorf("origin %q: connection_attempts %d: must be positive", cfg.ID, attempts)
	case attempts == 0:
		attempts = config.DefaultConnectionAttempts
	}
	var t timeouts
	for _, d := range []struct {
		name string
		v    config.Duration
		def  config.Duration
		dst  *time.Duration
	}{
		{"connection_timeout", cfg.ConnectionTimeout, config.DefaultConnectionTimeout, &t.connect},
		{"origin_read_timeout", cfg.OriginReadTimeout, config.DefaultOriginReadTimeout, &t.read},
		{"origin_keepalive_timeout", cfg.OriginKeepaliveTimeout, config.DefaultOriginKeepaliveTimeout, &t.keepalive},
	} {
		if d.v < 0 {
			return nil, fmt.Errorf("origin %q: %s %s: must be positive", cfg.ID, d.name, d.v)
		}
		*d.dst = d.v.D()
		if d.v == 0 {
			*d.dst = d.def.D()
		}
	}
	h := &HTTP{
		id:         cfg.ID,
		originPath: strings.TrimSuffix(cfg.OriginPath, "/"),
		attempts:   attempts,
		customSet:  make(map[string]bool, len(cfg.CustomHeaders)),
		log:        opts.logger(),
	}
	for i, ch := range cfg.CustomHeaders {
		name := http.CanonicalHeaderKey(strings.TrimSpace(ch.Name))
		if name == "" || strings.ContainsAny(name, " \t\r\n:") || strings.ContainsAny(ch.Value, "\r\n") {
			return nil, fmt.Errorf("origin %q: custom_header[%d] %q: invalid name or value", cfg.ID, i, ch.Name)
		}
		if name == "Host" || name == "Content-Length" || hopByHop(name) {
			return nil, fmt.Errorf("origin %q: custom_header[%d] %q: not allowed as a custom header", cfg.ID, i, ch.Name)
		}
		h.custom = append(h.custom, config.CustomHeader{Name: name, Value: ch.Value})
		h.customSet[name] = true
	}
	if policy != policyHTTPSOnly {
		h.plain = newEndpoint(domain, httpPort, config.DefaultHTTPPort, nil, t)
	}
	if policy != policyHTTPOnly {
		tlsCfg := &tls.Config{
			ServerName:         domain,
			InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // opt-in for local origins
			MinVersion:         tls.VersionTLS12,
		}
		h.secure = newEndpoint(domain, httpsPort, config.DefaultHTTPSPort, tlsCfg, t)
	}
	return h, nil
}

// timeouts are an origin's resolved connection settings.
type timeouts struct {
	connect, read, keepalive time.Duration
}

func newEndpoint(domain string, port, defaultPort int, tlsCfg *tls.Config, t timeouts) *endpoint {
	d := &dialer{connect: t.connect, read: t.read, tls: tlsCfg}
	host := domain
	if strings.Contains(domain, ":") {
		host = "[" + domain + "]"
	}
	if port != defaultPort {
		host = net.JoinHostPort(domain, strconv.Itoa(port))
	}
	return &endpoint{
		host: host,
		client: &fasthttp.HostClient{
			Addr: net.JoinHostPort(domain, strconv.Itoa(port)),
			// The dialer does TCP, TLS and the per-read and per-write deadlines itself, so
			// fasthttp sees a plain connection (IsTLS false) and sets no deadline of its own;
			// the transport reads 1xx responses and hands the body stream over.
			Dial:                      d.dial,
			Transport:                 transport{},
			MaxIdleConnDuration:       t.keepalive,
			MaxConnWaitTimeout:        t.connect,
			MaxIdemponentCallAttempts: 2,
			RetryIfErr:                retryStaleConn,
			ReadBufferSize:            readBufferSize,
			NoDefaultUserAgentHeader:  true,
			DisablePathNormalizing:    true,
			StreamResponseBody:        true,
		},
	}
}

// originDomain checks a domain_name: a host name or IP literal without port or path.
func originDomain(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	switch {
	case s == "":
		return "", fmt.Errorf("empty")
	case strings.ContainsAny(s, "/?#@ \t\r\n"):
		return "", fmt.Errorf("want a host name without scheme or path")
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return "", fmt.Errorf("must not carry a port (use http_port / https_port)")
	}
	return s, nil
}

func port(name string, v, def int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 0 || v > 65535:
		return 0, fmt.Errorf("%s %d: want 1-65535", name, v)
	}
	return v, nil
}

// ID returns the origin's id.
func (h *HTTP) ID() string { return h.id }

// Close releases idle connections. The HTTP stays usable (it dials again when needed).
func (h *HTTP) Close() error {
	for _, ep := range []*endpoint{h.plain, h.secure} {
		if ep != nil {
			ep.client.CloseIdleConnections()
		}
	}
	return nil
}

// Fetch sends req and returns the origin's answer with its body streaming. Connect and DNS
// failures are retried up to connection_attempts for every method (nothing was sent); read
// timeouts (no first byte within origin_read_timeout) only for GET and HEAD; nothing once a
// byte of req.BodyStream has been read. A request body stream is written as it is read
// (Content-Length, or chunked when its length is unknown); reading it fails the Fetch with an
// error wrapping [ErrRequestBody]. Informational responses go to req.OnInformational. When
// ctx ends, Fetch returns ctx's error (once a BodyStream Read or OnInformational call in
// progress has returned) and a streaming body is cut.
func (h *HTTP) Fetch(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, fmt.Errorf("origin %q: nil request", h.id)
	}
	if !strings.HasPrefix(req.Path, "/") {
		return nil, fmt.Errorf("origin %q: path %q: must start with \"/\"", h.id, req.Path)
	}
	if err := checkBody(h.id, req); err != nil {
		return nil, err
	}
	ep := h.secure
	if h.plain != nil && (h.secure == nil || !req.ViewerHTTPS) {
		ep = h.plain
	}
	var up *upload
	if req.BodyStream != nil && sendsBody(req.Method) {
		up = newUpload(req.BodyStream, req.ContentLength)
		defer up.detach()
	}
	idempotent := req.Method == "" || req.Method == http.MethodGet || req.Method == http.MethodHead
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("origin %q: %s %s: %w", h.id, req.Method, req.Path, err)
		}
		resp, err := h.attempt(ctx, ep, req, up)
		if err == nil {
			return resp, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("origin %q: %s %s: %w", h.id, req.Method, req.Path, ctxErr)
		}
		if up != nil {
			if bodyErr := up.failure(); bodyErr != nil {
				return nil, fmt.Errorf("origin %q: %s %s: %w: %w", h.id, req.Method, req.Path, ErrRequestBody, bodyErr)
			}
		}
		kind := classify(err)
		// A body stream is read once: after its first Read the request cannot be resent.
		if attempt >= h.attempts || !retryable(kind, idempotent) || (up != nil && up.touched()) {
			return nil, &Error{Kind: kind, Origin: h.id, Attempts: attempt, Err: err}
		}
		h.log.Debug("origin attempt failed, retrying", "origin", h.id, "attempt", attempt,
			"kind", kind.String(), "method", req.Method, "path", req.Path, "err", err)
	}
}

// retryable reports whether a failed attempt is tried again: connection failures always
// (the request was not sent), read timeouts for GET/HEAD only (CloudFront DG, "Origin
// response timeout").
func retryable(k ErrorKind, idempotent bool) bool {
	switch k {
	case KindConnect, KindDNS:
		return true
	case KindTimeout:
		return idempotent
	}
	return false
}

// attempt makes one request, its body streamed from up when up is non-nil. On error every
// fasthttp object is released (or will be, by a goroutine finishing an abandoned call).
func (h *HTTP) attempt(ctx context.Context, ep *endpoint, req *Request, up *upload) (*Response, error) {
	freq := fasthttp.AcquireRequest()
	fresp := fasthttp.AcquireResponse()
	ex := &exchange{onInfo: req.OnInformational}
	h.build(freq, ep, req, up)
	freq.SetUserValue(exchangeKey{}, ex)
	fresp.Header.SetNoDefaultContentType(true)
	if ctx.Done() == nil {
		err := ep.client.Do(freq, fresp)
		fasthttp.ReleaseRequest(freq)
		return h.response(ctx, fresp, ex, err)
	}
	done := make(chan error, 1)
	go func() { done <- ep.client.Do(freq, fresp) }()
	select {
	case err := <-done:
		fasthttp.ReleaseRequest(freq)
		return h.response(ctx, fresp, ex, err)
	case <-ctx.Done():
		// The call goes on in the background: cut it off from the caller's callback and
		// stream before returning.
		ex.detach()
		if up != nil {
			up.detach()
		}
		go func() {
			if err := <-done; err == nil && ex.body != nil {
				_ = ex.body.Close()
			}
			fasthttp.ReleaseRequest(freq)
			fasthttp.ReleaseResponse(fresp)
		}()
		return nil, ctx.Err()
	}
}

// build fills freq from req: origin_path, query, Host, the edge's headers, custom headers
// (which overwrite same-named ones), Connection: keep-alive and the body (up when non-nil).
func (h *HTTP) build(freq *fasthttp.Request, ep *endpoint, req *Request, up *upload) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	freq.Header.SetMethod(method)
	uri := h.originPath + req.Path
	if req.Query != "" {
		uri += "?" + req.Query
	}
	freq.SetRequestURI(uri)
	host := ep.host
	if req.Host != "" {
		host = req.Host
	}
	freq.Header.SetHost(host)
	freq.UseHostHeader = true
	for k, vs := range req.Header {
		k = http.CanonicalHeaderKey(k)
		if k == "Host" || k == "Content-Length" || hopByHop(k) || h.customSet[k] {
			continue
		}
		for _, v := range vs {
			freq.Header.Add(k, v)
		}
	}
	for _, ch := range h.custom {
		freq.Header.Add(ch.Name, ch.Value)
	}
	freq.Header.Set("Connection", "keep-alive")
	switch {
	case !sendsBody(method):
	case up != nil:
		// fasthttp writes the stream as it reads it: with Content-Length when the length
		// is known (-1 frames it chunked).
		freq.SetBodyStream(up, int(up.length))
	case len(req.Body) > 0:
		freq.SetBody(req.Body)
	}
}

// response turns a finished fasthttp call into a Response that owns fresp.
func (h *HTTP) response(ctx context.Context, fresp *fasthttp.Response, ex *exchange, err error) (*Response, error) {
	if err != nil {
		fasthttp.ReleaseResponse(fresp)
		return nil, err
	}
	status := fresp.StatusCode()
	header := make(http.Header, fresp.Header.Len())
	for k, v := range fresp.Header.All() {
		header.Add(string(k), string(v))
	}
	removeHopByHop(header)
	n := int64(fresp.Header.ContentLength())
	chunked := n == -1
	switch {
	case status < 200 || status == http.StatusNoContent || status == http.StatusNotModified:
		n = 0
	case n < 0:
		n = -1
	}
	return &Response{
		Status:        status,
		Header:        header,
		ContentLength: n,
		Chunked:       chunked,
		Body:          newHTTPBody(ctx, h.id, fresp, ex.body, n),
	}, nil
}
