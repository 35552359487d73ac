package bench

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// target is a parsed, loopback-only base URL.
type target struct {
	addr string // host:port to dial
	path string // base path without a trailing "/" ("" for the root)
}

// isLoopbackHost reports whether host (a name or an IP literal, without port or brackets) is
// "localhost" or an address in 127.0.0.0/8 or ::1. Names other than localhost are refused
// without being resolved.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// parseTarget parses a load target such as "http://127.0.0.1:8080" and refuses anything that
// is not plain HTTP to a loopback host.
func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "http" {
		return target{}, fmt.Errorf("url %q: scheme must be http", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return target{}, fmt.Errorf("url %q: want scheme, host, port and an optional path only", raw)
	}
	host := u.Hostname()
	if !isLoopbackHost(host) {
		return target{}, fmt.Errorf("url %q: host %q is not loopback (127.0.0.0/8, ::1 or localhost): bench only loads this machine", raw, host)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return target{addr: net.JoinHostPort(host, port), path: strings.TrimRight(u.EscapedPath(), "/")}, nil
}

// checkListen refuses a listen address whose host is not loopback (":8080" and "0.0.0.0:80"
// included), so that bench servers are never reachable from outside the machine.
func checkListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen %q: %w", addr, err)
	}
	if !isLoopbackHost(host) {
		return fmt.Errorf("listen %q: host must be loopback (127.0.0.0/8, ::1 or localhost)", addr)
	}
	return nil
}
