package edge

import (
	"bytes"
	"net"
	"strconv"
)

// CloudFront-* request headers
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html):
// the edge generates the ones a behavior's policies name, for the cache key, the origin request
// and functions. A viewer's own CloudFront-* headers are never trusted: they are removed first.

var cfPrefix = []byte("cloudfront-")

// setCloudFrontHeaders removes the viewer's CloudFront-* headers and adds the ones the behavior
// asks for, with the values this edge knows (no geolocation: the country is server.viewer_country).
func (s *Server) setCloudFrontHeaders(x *exchange) {
	rh := &x.ctx.Request.Header
	if x.facts.cloudfront {
		var names [][]byte
		for k := range rh.All() {
			if len(k) >= len(cfPrefix) && bytes.EqualFold(k[:len(cfPrefix)], cfPrefix) {
				names = append(names, append([]byte(nil), k...))
			}
		}
		for _, n := range names {
			rh.DelBytes(n)
		}
	}
	for _, name := range x.beh.Forward.CloudFrontHeaders() {
		if v := s.cloudFrontValue(x, name); v != "" {
			rh.Set(name, v)
		}
	}
}

// cloudFrontValue is the value of a CloudFront-* header (lower-case name) for x's viewer, "" for
// one the edge cannot know.
func (s *Server) cloudFrontValue(x *exchange, name string) string {
	ctx := x.ctx
	switch name {
	case "cloudfront-viewer-country":
		return s.viewerCountry
	case "cloudfront-viewer-address":
		ip := ctx.RemoteIP()
		port := 0
		if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
			port = a.Port
		}
		if ip.To4() == nil {
			return "[" + ip.String() + "]:" + strconv.Itoa(port)
		}
		return ip.String() + ":" + strconv.Itoa(port)
	case "cloudfront-forwarded-proto":
		if ctx.IsTLS() {
			return "https"
		}
		return "http"
	case "cloudfront-viewer-http-version":
		if ctx.Request.Header.IsHTTP11() {
			return "1.1"
		}
		return "1.0"
	case "cloudfront-is-desktop-viewer", "cloudfront-is-mobile-viewer", "cloudfront-is-tablet-viewer",
		"cloudfront-is-smarttv-viewer", "cloudfront-is-ios-viewer", "cloudfront-is-android-viewer":
		return strconv.FormatBool(deviceIs(name, ctx.Request.Header.UserAgent()))
	}
	return ""
}

// deviceIs answers one of the CloudFront-Is-*-Viewer headers from the User-Agent, with the
// common markers (CloudFront's own detection is not published).
func deviceIs(name string, ua []byte) bool {
	lua := bytes.ToLower(ua)
	has := func(s string) bool { return bytes.Contains(lua, []byte(s)) }
	tablet := has("ipad") || has("tablet") || has("android") && !has("mobile")
	mobile := !tablet && (has("mobi") || has("iphone") || has("ipod") || has("android"))
	smarttv := has("smart-tv") || has("smarttv") || has("googletv") || has("appletv") || has("hbbtv")
	switch name {
	case "cloudfront-is-tablet-viewer":
		return tablet
	case "cloudfront-is-mobile-viewer":
		return mobile
	case "cloudfront-is-smarttv-viewer":
		return smarttv
	case "cloudfront-is-ios-viewer":
		return has("iphone") || has("ipad") || has("ipod")
	case "cloudfront-is-android-viewer":
		return has("android")
	}
	return !tablet && !mobile && !smarttv // desktop
}
