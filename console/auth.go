package console

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/cfedge/edge/config"
)

// authenticator decides who may read the console (see the package doc).
type authenticator struct {
	off  bool      // api.auth = "none": no credentials, so no console beyond loopback
	keys []keyPair // the [[api.key]] pairs, as digests
}

// keyPair is an API key, kept as digests of its id and secret so that every comparison takes
// the same time whatever the lengths.
type keyPair struct{ id, secret [sha256.Size]byte }

func newAuthenticator(api config.API) (authenticator, error) {
	var a authenticator
	switch api.Auth {
	case "", "sigv4":
	case "none":
		a.off = true
	default:
		return a, fmt.Errorf("api.auth %q: want sigv4 or none", api.Auth)
	}
	for _, k := range api.Keys {
		if k.AccessKeyID != "" && k.SecretAccessKey != "" {
			a.keys = append(a.keys, keyPair{sha256.Sum256([]byte(k.AccessKeyID)), sha256.Sum256([]byte(k.SecretAccessKey))})
		}
	}
	return a, nil
}

// basic reports whether an Authorization header holds HTTP basic credentials (RFC 7617) that
// are an API key's id and secret. Every key is compared, in constant time.
func (a authenticator) basic(h []byte) bool {
	scheme, cred, ok := bytes.Cut(bytes.TrimSpace(h), []byte(" "))
	if !ok || !bytes.EqualFold(scheme, []byte("Basic")) || len(a.keys) == 0 {
		return false
	}
	dec, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(cred)))
	if err != nil {
		return false
	}
	id, secret, ok := strings.Cut(string(dec), ":")
	if !ok {
		return false
	}
	idSum, secretSum := sha256.Sum256([]byte(id)), sha256.Sum256([]byte(secret))
	match := 0
	for _, k := range a.keys {
		match |= subtle.ConstantTimeCompare(idSum[:], k.id[:]) & subtle.ConstantTimeCompare(secretSum[:], k.secret[:])
	}
	return match == 1
}

// loopback reports whether addr, a connection's local address, is a loopback address: the
// API listener listens on loopback, or the viewer of this connection reached it through
// loopback, so it is on this machine.
func loopback(addr net.Addr) bool {
	a, ok := addr.(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// loopbackHost reports whether a Host header value names this machine through loopback:
// localhost (or a name under .localhost, RFC 6761 §6.3), an IPv4 loopback address or [::1],
// with any port.
func loopbackHost(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// allowed applies the console's access rule to a request and answers it when refused.
func (c *Console) allowed(ctx *fasthttp.RequestCtx) bool {
	authz := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if loopback(ctx.LocalAddr()) {
		if loopbackHost(string(ctx.Host())) || c.auth.basic(authz) {
			return true
		}
		c.log.Warn("console: refused a request on loopback whose Host is not a loopback name (DNS rebinding?)",
			"host", clip(string(ctx.Host()), 100), "remote", ctx.RemoteAddr().String())
		c.plain(ctx, fasthttp.StatusForbidden,
			"The console on a loopback listener answers to localhost, 127.0.0.1 or [::1] only (or with an API key's id and secret, as HTTP basic authentication).")
		return false
	}
	if c.auth.off {
		c.plain(ctx, fasthttp.StatusForbidden,
			"The console is off for connections from other machines while api.auth = \"none\": it has no credentials to ask for.")
		return false
	}
	if c.auth.basic(authz) {
		return true
	}
	if len(authz) > 0 {
		c.log.Warn("console: refused credentials", "remote", ctx.RemoteAddr().String())
	}
	ctx.Response.Header.Set("WWW-Authenticate", `Basic realm="edge console", charset="UTF-8"`)
	c.plain(ctx, fasthttp.StatusUnauthorized,
		"The console asks for an API key ([[api.key]]): its access key id as the user name, its secret access key as the password.")
	return false
}

// clip shortens s to n bytes for a log line.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
