package edge

import (
	"bytes"

	"strconv"

	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/origin"

	"github.com/valyala/fasthttp"
)

// CloudFront's request limits: request line plus headers, and URL length
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html,
// "General quotas"). One byte over either gets 413 and the connection is closed.
const (
	maxRequestHeaderBytes = 20480
	maxURLBytes           = 8192
)

// checkRequest checks what fasthttp's parser lets through but the edge refuses, before anything
// else is done for the request: a URL over CloudFront's limit (413), an HTTP version other than
// 1.0 and 1.1 (505, RFC 9110 §15.6.6: this listener speaks HTTP/1.x), and a header field name
// that is not an RFC 9110 §5.1 token (400; fasthttp tolerates a space inside a name). It
// returns 0 when the request may go on.
func checkRequest(ctx *fasthttp.RequestCtx, facts headerFacts) (int, string) {
	rh := &ctx.Request.Header
	uri := rh.RequestURI()
	if len(uri) > maxURLBytes {
		return fasthttp.StatusRequestEntityTooLarge, msgTooLarge
	}
	if bytes.IndexByte(uri, '#') >= 0 {
		// A fragment is never part of a request-target (RFC 9112 §3.2; RFC 3986 §3.5: a client
		// strips it). Refused, because the parts of the edge that read the target would not
		// agree on it: the behavior and the origin see the path cut at '#', a signed policy's
		// resource would see what follows ("/private/secret.txt#.mp4" against "/private/*.mp4").
		return fasthttp.StatusBadRequest, msgBadReq
	}
	if p := rh.Protocol(); !bytes.Equal(p, strHTTP11) && !bytes.Equal(p, strHTTP10) {
		return fasthttp.StatusHTTPVersionNotSupported, msgBadVersion
	}
	if facts.badName {
		return fasthttp.StatusBadRequest, msgBadReq
	}
	return 0, ""
}

var (
	strHTTP11 = []byte("HTTP/1.1")
	strHTTP10 = []byte("HTTP/1.0")
)

// headerFacts is what one pass over a request's raw header block tells the pipeline, so that the
// hit path reads the block once.
type headerFacts struct {
	// badName: a field name that is not a token (fasthttp refuses every other byte outside
	// tchar; a space or tab inside a name, or a folded line, is what is left to catch).
	badName bool
	// conditional: an If-* or Range field, which the answer from the cache must evaluate.
	conditional bool
	// connection: a Connection field, whose options may name headers to drop.
	connection bool
	// origin: an Origin field (a CORS request), whose value originValue is (the first one's,
	// a slice of the raw block); pragma: a Pragma field; cloudfront: a CloudFront-* field,
	// which a viewer may not send (setCloudFrontHeaders removes it).
	origin, pragma, cloudfront bool
	originValue                []byte
	// hop: an X-Edge-Shield-Hop field (origin.ShieldHopHeader), which hopTrust weighs.
	hop bool
}

// flags is f without the Origin value, for comparisons.
func (f headerFacts) flags() [7]bool {
	return [7]bool{f.badName, f.conditional, f.connection, f.origin, f.pragma, f.cloudfront, f.hop}
}

// scanHeaders reads a raw header block (lines "name: value", as fasthttp keeps them). A request
// built in memory has no raw block: then every fact that sends the request down a slower path
// is assumed.
func scanHeaders(raw []byte) headerFacts {
	if len(raw) == 0 {
		return headerFacts{conditional: true, connection: true, origin: true, pragma: true, cloudfront: true, hop: true}
	}
	var f headerFacts
	for len(raw) > 0 {
		if raw[0] == '\r' || raw[0] == '\n' {
			break // the empty line that ends the block
		}
		colon := bytes.IndexByte(raw, ':')
		if colon <= 0 || raw[0] == ' ' || raw[0] == '\t' {
			f.badName = true
			return f
		}
		name := raw[:colon]
		for _, c := range name {
			if c == ' ' || c == '\t' {
				f.badName = true
				return f
			}
		}
		switch name[0] | 0x20 {
		case 'i':
			f.conditional = f.conditional || len(name) > 3 && name[1]|0x20 == 'f' && name[2] == '-'
		case 'r':
			f.conditional = f.conditional || bytes.EqualFold(name, strRange)
		case 'c':
			f.connection = f.connection || bytes.EqualFold(name, strConnection)
			f.cloudfront = f.cloudfront || len(name) > len(cfPrefix) && bytes.EqualFold(name[:len(cfPrefix)], cfPrefix)
		case 'o':
			if !f.origin && bytes.EqualFold(name, hOrigin) {
				f.origin, f.originValue = true, fieldValue(raw[colon+1:])
			}
		case 'p':
			f.pragma = f.pragma || bytes.EqualFold(name, strPragma)
		case 'x':
			f.hop = f.hop || bytes.EqualFold(name, strHop)
		}
		nl := bytes.IndexByte(raw[colon:], '\n')
		if nl < 0 {
			break
		}
		raw = raw[colon+nl+1:]
	}
	return f
}

// fieldValue returns the value of a raw field line that starts at v (just after the colon),
// without the surrounding whitespace and the line end.
func fieldValue(v []byte) []byte {
	if i := bytes.IndexByte(v, '\n'); i >= 0 {
		v = v[:i]
	}
	return bytes.Trim(v, " \t\r")
}

var (
	strRange      = []byte("Range")
	strConnection = []byte("Connection")
	strPragma     = []byte("Pragma")
	strHop        = []byte(origin.ShieldHopHeader)
)

// lookupHost finds the distribution for a Host header value (case-insensitive, port ignored): an
// exact domain name or alias first, then a wildcard alias "*.parent" for a host one label below
// parent (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html, "Using
// the * wildcard in alternate domain names": the * stands for exactly one label, and a more
// specific alias wins).
func (s *Server) lookupHost(host []byte, x *exchange) *distribution {
	// A pooled exchange remembers its last answer: most requests repeat the previous Host.
	if x.hostDist != nil && x.hostSnap == x.snap && bytes.Equal(host, x.hostRaw) {
		return x.hostDist
	}
	d := s.findHost(host, x)
	if d != nil {
		x.hostRaw, x.hostDist, x.hostSnap = append(x.hostRaw[:0], host...), d, x.snap
	}
	return d
}

// findHost is lookupHost without the exchange's memory.
func (s *Server) findHost(host []byte, x *exchange) *distribution {
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.IndexByte(host[i:], ']') < 0 {
		host = host[:i]
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	buf := x.buf[:0]
	for _, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	x.buf = buf
	sn := x.snap
	if d := sn.byHost[string(buf)]; d != nil || !sn.wildcards {
		return d
	}
	parent := config.WildcardParent(buf)
	if parent == nil {
		return nil
	}
	n := len(buf)
	buf = append(append(buf, '*', '.'), parent...)
	x.buf = buf
	return sn.byHost[string(buf[n:])]
}

// httpsPolicy answers an http request on a redirect-to-https or https-only behavior
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html).
func (s *Server) httpsPolicy(x *exchange) {
	ctx := x.ctx
	if x.beh.ViewerProtocolPolicy == "https-only" {
		s.cfError(x, fasthttp.StatusForbidden, msgHTTPS)
		return
	}
	status := fasthttp.StatusMovedPermanently
	if !ctx.IsGet() && !ctx.IsHead() {
		if !ctx.Request.Header.IsHTTP11() {
			s.cfError(x, fasthttp.StatusForbidden, msgHTTPS)
			return
		}
		status = fasthttp.StatusTemporaryRedirect
	}
	// The https URL of the same resource: the viewer's host on the edge's HTTPS port (443, as
	// on CloudFront, unless a local TLS listener is elsewhere).
	host := ctx.Host()
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.IndexByte(host[i:], ']') < 0 {
		host = host[:i]
	}
	loc := append([]byte("https://"), host...)
	if p := s.tlsPort.Load(); p != 0 && p != 443 {
		loc = strconv.AppendInt(append(loc, ':'), int64(p), 10)
	}
	loc = append(loc, rawPath(ctx.Request.Header.RequestURI())...)
	if q := ctx.URI().QueryString(); len(q) > 0 {
		loc = append(append(loc, '?'), q...)
	}
	ctx.Response.Header.SetCanonical([]byte("Location"), loc)
	ctx.Response.Header.SetCanonical(hServer, vCloudFront)
	ctx.Response.Header.SetContentTypeBytes(vTextHTML)
	ctx.SetStatusCode(status)
	ctx.SetBodyString(redirectBody)
	x.xcache = xRedirect
}

const redirectBody = "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n"

// dropConnectionHeaders removes the headers a viewer named in Connection: they are hop-by-hop
// (RFC 9110 §7.6.1), so they are neither forwarded nor part of the cache key, which both read the
// request after this. The framing and routing headers stay (fasthttp has used them already).
// It allocates nothing for the usual "keep-alive" or "close".
func dropConnectionHeaders(rh *fasthttp.RequestHeader, facts headerFacts) {
	if !facts.connection {
		return
	}
	v := rh.Peek(fasthttp.HeaderConnection)
	for len(v) > 0 {
		var tok []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			tok, v = v, nil
		}
		if tok = bytes.TrimSpace(tok); len(tok) > 0 && !keptConnectionToken(tok) {
			rh.DelBytes(tok)
		}
	}
}

// keptConnectionToken reports whether a Connection token names no header to drop: the
// connection options, and the framing and routing headers fasthttp has already used.
func keptConnectionToken(tok []byte) bool {
	for _, k := range [...]string{"keep-alive", "close", "host", "content-length", "transfer-encoding", "connection"} {
		if len(tok) == len(k) && bytes.EqualFold(tok, []byte(k)) {
			return true
		}
	}
	return false
}

// rawPath returns the path of a request URI as the viewer sent it (still escaped), without the
// query; for an absolute-form target ("http://host/p"), its path. It allocates nothing.
func rawPath(uri []byte) []byte {
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if len(uri) > 0 && uri[0] == '/' {
		return uri
	}
	if i := bytes.Index(uri, []byte("://")); i >= 0 {
		rest := uri[i+3:]
		if j := bytes.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
	}
	return slash
}

var slash = []byte("/")
