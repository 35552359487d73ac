package function

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html

func (s *vmState) throw(format string) {
	panic(s.vm.NewGoError(errors.New(format)))
}

func (s *vmState) typeError(msg string) {
	panic(s.vm.NewTypeError(msg))
}

// --- console ---

func (s *vmState) consoleLog(call goja.FunctionCall) goja.Value {
	var b strings.Builder
	for i, a := range call.Arguments {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.logString(a))
	}
	line := b.String()
	room := MaxLogBytes - s.logBytes
	if room <= 0 {
		return goja.Undefined()
	}
	if len(line) > room {
		line = line[:room]
	}
	s.logBytes += len(line)
	s.logs = append(s.logs, line)
	if s.f.opts.Log != nil {
		s.f.opts.Log(line)
	}
	return goja.Undefined()
}

func (s *vmState) logString(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(o); !isFn && o.ClassName() != "Error" {
			if b, err := o.MarshalJSON(); err == nil {
				return string(b)
			}
		}
	}
	return v.String()
}

// --- Go helpers for the prelude ---

func (s *vmState) goHelpers() *goja.Object {
	vm := s.vm
	g := vm.NewObject()
	_ = g.Set("now", func() goja.Value { return s.nowMs })
	_ = g.Set("isEnc", func(e goja.Value) bool { _, ok := encoding(e); return ok })
	_ = g.Set("enc", func(b goja.Value, e goja.Value) string {
		enc, ok := encoding(e)
		if !ok {
			s.typeError("Unknown encoding: " + e.String())
		}
		return encodeBytes(s.bytes(b), enc)
	})
	_ = g.Set("dec", func(str string, e goja.Value) goja.Value {
		enc, ok := encoding(e)
		if !ok {
			s.typeError("Unknown encoding: " + e.String())
		}
		return vm.ToValue(vm.NewArrayBuffer(decodeString(str, enc)))
	})
	_ = g.Set("utf8", func(b goja.Value, fatal, ignoreBOM bool) string {
		p := s.bytes(b)
		if !ignoreBOM {
			p = trimBOM(p)
		}
		if fatal && !utf8.Valid(p) {
			s.typeError("The encoded data was not valid for encoding utf-8")
		}
		return strings.ToValidUTF8(string(p), "\uFFFD")
	})
	_ = g.Set("unescape", func(str string) string { return qsUnescape(str) })
	_ = g.Set("rxCost", s.regexpCost)
	_ = g.Set("rxForget", s.regexpForget)
	_ = g.Set("exec", s.matchGuard("RegExp.prototype.exec", &s.rx.exec))
	_ = g.Set("test", s.matchGuard("RegExp.prototype.test", &s.rx.test))
	_ = g.Set("rxSplit", s.regexpSplit)
	_ = g.Set("rxMatch", s.regexpMatch)
	_ = g.Set("rxReplace", s.regexpReplace)
	_ = g.Set("atob", func(call goja.FunctionCall) goja.Value {
		if len(call.Arguments) == 0 {
			s.typeError("atob requires 1 argument")
		}
		out, err := atob(call.Arguments[0].String())
		if err != nil {
			panic(s.vm.NewGoError(err))
		}
		return vm.ToValue(out)
	})
	_ = g.Set("btoa", func(call goja.FunctionCall) goja.Value {
		if len(call.Arguments) == 0 {
			s.typeError("btoa requires 1 argument")
		}
		out, err := btoa(call.Arguments[0].String())
		if err != nil {
			panic(s.vm.NewGoError(err))
		}
		return vm.ToValue(out)
	})
	return g
}

func trimBOM(p []byte) []byte {
	if len(p) >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf {
		return p[3:]
	}
	return p
}

// bytes reads a string (UTF-8), Buffer, typed array or ArrayBuffer.
func (s *vmState) bytes(v goja.Value) []byte {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		s.typeError("expected a string, Buffer, TypedArray or ArrayBuffer")
	}
	switch x := v.Export().(type) {
	case []byte:
		return x
	case goja.ArrayBuffer:
		return x.Bytes()
	case string:
		return []byte(x)
	}
	if o, ok := v.(*goja.Object); ok {
		var b []byte
		if !shortArray(o, MaxMemory) {
			s.typeError("expected a string, Buffer, TypedArray or ArrayBuffer of at most 2 MiB")
		}
		if err := s.vm.ExportTo(o, &b); err == nil {
			return b
		}
		s.typeError("expected a string, Buffer, TypedArray or ArrayBuffer")
	}
	return []byte(v.String())
}

type enc int

const (
	encUTF8 enc = iota
	encHex
	encBase64
	encBase64URL
	encLatin1
)

func encoding(v goja.Value) (enc, bool) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return encUTF8, true
	}
	switch strings.ToLower(v.String()) {
	case "utf8", "utf-8":
		return encUTF8, true
	case "hex":
		return encHex, true
	case "base64":
		return encBase64, true
	case "base64url":
		return encBase64URL, true
	case "latin1", "binary", "ascii":
		return encLatin1, true
	}
	return 0, false
}

func encodeBytes(p []byte, e enc) string {
	switch e {
	case encHex:
		return hex.EncodeToString(p)
	case encBase64:
		return base64.StdEncoding.EncodeToString(p)
	case encBase64URL:
		return base64.RawURLEncoding.EncodeToString(p)
	case encLatin1:
		return latin1(p)
	}
	return strings.ToValidUTF8(string(p), "\uFFFD")
}

func latin1(p []byte) string {
	ascii := true
	for _, c := range p {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(p)
	}
	r := make([]rune, len(p))
	for i, c := range p {
		r[i] = rune(c)
	}
	return string(r)
}

// decodeString is Node's Buffer.from(string, encoding): lenient, decoding up to the first
// invalid character.
func decodeString(str string, e enc) []byte {
	switch e {
	case encHex:
		n := len(str) / 2 * 2
		out := make([]byte, 0, n/2)
		for i := 0; i+1 < len(str); i += 2 {
			b, err := hex.DecodeString(str[i : i+2])
			if err != nil {
				break
			}
			out = append(out, b[0])
		}
		return out
	case encBase64, encBase64URL:
		return lenientBase64(str)
	case encLatin1:
		out := make([]byte, 0, len(str))
		for _, r := range str {
			out = append(out, byte(r))
		}
		return out
	}
	return []byte(str)
}

func lenientBase64(str string) []byte {
	var b strings.Builder
	for i := 0; i < len(str); i++ {
		c := str[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			b.WriteByte(c)
		case c == '-':
			b.WriteByte('+')
		case c == '_':
			b.WriteByte('/')
		case c == '=':
			i = len(str)
		}
	}
	t := b.String()
	if len(t)%4 == 1 {
		t = t[:len(t)-1]
	}
	out, _ := base64.RawStdEncoding.DecodeString(t)
	return out
}

func decodeStrictBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	return base64.RawStdEncoding.DecodeString(s)
}

// atob and btoa follow the HTML standard (forgiving base64).
func atob(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\f', '\r':
			return -1
		}
		return r
	}, s)
	if len(s)%4 == 0 {
		s = strings.TrimSuffix(s, "=")
		s = strings.TrimSuffix(s, "=")
	}
	if len(s)%4 == 1 {
		return "", errors.New("InvalidCharacterError: the string to be decoded is not correctly encoded")
	}
	p, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return "", errors.New("InvalidCharacterError: the string to be decoded is not correctly encoded")
	}
	return latin1(p), nil
}

func btoa(s string) (string, error) {
	p := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return "", errors.New("InvalidCharacterError: the string to be encoded contains characters outside of the Latin1 range")
		}
		p = append(p, byte(r))
	}
	return base64.StdEncoding.EncodeToString(p), nil
}

// qsUnescape is Node's querystring.unescape: percent-decoding that keeps malformed escapes;
// bad UTF-8 becomes U+FFFD.
func qsUnescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s)+0 && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// --- crypto ---

func newHash(alg string) func() hash.Hash {
	switch strings.ToLower(alg) {
	case "md5":
		return md5.New
	case "sha1":
		return sha1.New
	case "sha256":
		return sha256.New
	}
	return nil
}

func (s *vmState) cryptoModule() *goja.Object {
	vm := s.vm
	m := vm.NewObject()
	_ = m.Set("createHash", func(alg string) *goja.Object {
		nh := newHash(alg)
		if nh == nil {
			s.throw("Digest method not supported: " + alg)
		}
		return s.hashObject(nh())
	})
	_ = m.Set("createHmac", func(alg string, key goja.Value) *goja.Object {
		nh := newHash(alg)
		if nh == nil {
			s.throw("Invalid digest: " + alg)
		}
		return s.hashObject(hmac.New(nh, s.bytes(key)))
	})
	return m
}

func (s *vmState) hashObject(h hash.Hash) *goja.Object {
	vm := s.vm
	o := vm.NewObject()
	done := false
	_ = o.Set("update", func(call goja.FunctionCall) goja.Value {
		if done {
			s.throw("Digest already called")
		}
		data := call.Argument(0)
		var p []byte
		if _, isStr := data.Export().(string); isStr && len(call.Arguments) > 1 {
			e, ok := encoding(call.Argument(1))
			if !ok {
				s.typeError("Unknown encoding: " + call.Argument(1).String())
			}
			p = decodeString(data.String(), e)
		} else {
			p = s.bytes(data)
		}
		h.Write(p)
		return o
	})
	_ = o.Set("digest", func(call goja.FunctionCall) goja.Value {
		if done {
			s.throw("Digest already called")
		}
		done = true
		sum := h.Sum(nil)
		if e := call.Argument(0); present(e) {
			enc, ok := encoding(e)
			if !ok || enc == encUTF8 {
				s.typeError("Unknown digest encoding: " + e.String())
			}
			return vm.ToValue(encodeBytes(sum, enc))
		}
		if !s.f.v2 {
			return vm.ToValue(latin1(sum)) // 1.0: a byte string
		}
		return s.newBuffer(sum)
	})
	return o
}

func (s *vmState) newBuffer(p []byte) goja.Value {
	ctor := s.buffer.(*goja.Object)
	b, err := s.vm.New(ctor, s.vm.ToValue(s.vm.NewArrayBuffer(p)))
	if err != nil {
		panic(err)
	}
	return b
}

// --- cloudfront ---

func (s *vmState) cloudfrontModule() *goja.Object {
	vm := s.vm
	m := vm.NewObject()
	_ = m.Set("kvs", func(call goja.FunctionCall) goja.Value {
		if s.kvs == nil {
			s.throw("KVSNamespaceNotFound: no key value store is associated with this function")
		}
		return s.kvsHandle(s.kvs)
	})
	_ = m.Set("updateRequestOrigin", func(call goja.FunctionCall) goja.Value {
		s.originHelper("updateRequestOrigin")
		s.origin = s.parseUpdate(call.Argument(0))
		return goja.Undefined()
	})
	_ = m.Set("selectRequestOriginById", func(call goja.FunctionCall) goja.Value {
		s.originHelper("selectRequestOriginById")
		id := call.Argument(0)
		if !present(id) || id.String() == "" {
			s.typeError("selectRequestOriginById: an origin id is required")
		}
		oc := &OriginChange{Kind: OriginSelect, SelectID: id.String()}
		if o, ok := call.Argument(1).(*goja.Object); ok {
			oc.HostHeader = s.optString(o, "hostHeader", 253)
			oc.SNI = s.optString(o, "sni", 253)
			oc.AllowedCertificateNames = s.optStrings(o, "allowedCertificateNames", 20)
		}
		s.origin = oc
		return goja.Undefined()
	})
	_ = m.Set("createRequestOriginGroup", func(call goja.FunctionCall) goja.Value {
		s.originHelper("createRequestOriginGroup")
		s.origin = s.parseGroup(call.Argument(0))
		return goja.Undefined()
	})
	return m
}

func (s *vmState) originHelper(name string) {
	if s.eventType == ViewerResponse {
		s.throw(name + " can only be called in a viewer-request function")
	}
}

func (s *vmState) kvsHandle(store KeyValueStore) *goja.Object {
	vm := s.vm
	h := vm.NewObject()
	settle := func(v goja.Value, err error) goja.Value {
		p, resolve, reject := vm.NewPromise()
		if err != nil {
			_ = reject(vm.NewGoError(err))
		} else {
			_ = resolve(v)
		}
		return vm.ToValue(p)
	}
	key := func(call goja.FunctionCall) (string, error) {
		k := call.Argument(0)
		if !present(k) {
			return "", errors.New("a key is required")
		}
		if len(k.String()) > 512 {
			return "", errors.New("key is longer than 512 bytes")
		}
		return k.String(), nil
	}
	_ = h.Set("get", func(call goja.FunctionCall) goja.Value {
		k, err := key(call)
		if err != nil {
			return settle(nil, err)
		}
		format := "string"
		if o, ok := call.Argument(1).(*goja.Object); ok {
			if f := o.Get("format"); present(f) {
				format = f.String()
			}
		}
		val, ok := store.Get(k)
		if !ok {
			return settle(nil, errors.New("KeyNotFound: key "+k+" not found"))
		}
		switch format {
		case "string":
			return settle(vm.ToValue(strings.ToValidUTF8(string(val), "\uFFFD")), nil)
		case "json":
			v, err := s.parse(goja.Undefined(), vm.ToValue(string(val)))
			if err != nil {
				return settle(nil, errors.New("value of key "+k+" is not valid JSON"))
			}
			return settle(v, nil)
		case "bytes":
			c := make([]byte, len(val))
			copy(c, val)
			return settle(s.newBuffer(c), nil)
		}
		return settle(nil, errors.New("unknown format "+format))
	})
	_ = h.Set("exists", func(call goja.FunctionCall) goja.Value {
		k, err := key(call)
		if err != nil {
			return settle(nil, err)
		}
		_, ok := store.Get(k)
		return settle(vm.ToValue(ok), nil)
	})
	_ = h.Set("meta", func(call goja.FunctionCall) goja.Value {
		m := store.Meta()
		o := vm.NewObject()
		_ = o.Set("creationDateTime", m.CreationTime.UTC().Format(time.RFC3339))
		_ = o.Set("lastUpdatedDateTime", m.LastUpdatedTime.UTC().Format(time.RFC3339))
		_ = o.Set("keyCount", m.KeyCount)
		return settle(o, nil)
	})
	return h
}

func (s *vmState) optString(o *goja.Object, k string, max int) string {
	v := o.Get(k)
	if !present(v) {
		return ""
	}
	str := v.String()
	if len(str) > max {
		s.typeError(k + " is too long")
	}
	return str
}

// shortArray reports whether o's length is a number no greater than max, read before any
// conversion that would allocate for each element (an array-like's length is the code's
// choice: {length: 1e9} must not become a billion-element slice).
func shortArray(o *goja.Object, max int) bool {
	n, ok := intValue(o.Get("length"))
	return ok && n >= 0 && n <= max
}

func (s *vmState) optStrings(o *goja.Object, k string, max int) []string {
	v := o.Get(k)
	if !present(v) {
		return nil
	}
	var out []string
	if o, ok := v.(*goja.Object); !ok || !shortArray(o, max) {
		s.typeError(k + " must be an array of at most " + itoa(max) + " strings")
	}
	if err := s.vm.ExportTo(v, &out); err != nil || len(out) > max {
		s.typeError(k + " must be an array of at most " + itoa(max) + " strings")
	}
	return out
}

func (s *vmState) optInt(o *goja.Object, k string, lo, hi int) int {
	v := o.Get(k)
	if !present(v) {
		return 0
	}
	n, ok := intValue(v)
	if !ok || n < lo || n > hi {
		s.typeError(k + " is out of range")
	}
	return n
}

func noColonNoIP(str string) bool {
	if strings.Contains(str, ":") {
		return false
	}
	for _, c := range str {
		if (c < '0' || c > '9') && c != '.' {
			return true
		}
	}
	return str == ""
}

func (s *vmState) parseUpdate(v goja.Value) *OriginChange {
	o, ok := v.(*goja.Object)
	if !ok {
		s.typeError("updateRequestOrigin: an object is required")
	}
	oc := &OriginChange{Kind: OriginUpdate}
	oc.DomainName = s.optString(o, "domainName", 253)
	if !noColonNoIP(oc.DomainName) {
		s.typeError("domainName must be a host name without a port")
	}
	oc.HostHeader = s.optString(o, "hostHeader", 253)
	oc.SNI = s.optString(o, "sni", 253)
	if !noColonNoIP(oc.HostHeader) || !noColonNoIP(oc.SNI) {
		s.typeError("hostHeader and sni must be host names without a port")
	}
	oc.OriginPath = s.optString(o, "originPath", 255)
	if oc.OriginPath != "" && (!strings.HasPrefix(oc.OriginPath, "/") || strings.HasSuffix(oc.OriginPath, "/")) {
		s.typeError("originPath must start with / and not end with /")
	}
	if ch, ok := o.Get("customHeaders").(*goja.Object); ok {
		oc.HasCustomHeaders = true
		oc.CustomHeaders = Fields{}
		for _, k := range ch.Keys() {
			name := strings.ToLower(k)
			if !validToken(name) || hidden(name) || readOnlyRequest(name) {
				s.typeError("customHeaders: " + k + " is not allowed")
			}
			val := ch.Get(k).String()
			if strings.ContainsAny(val, "\r\n\x00") {
				s.typeError("customHeaders: bad value for " + k)
			}
			oc.CustomHeaders = append(oc.CustomHeaders, Field{Name: name, Values: []FieldValue{{Value: val}}})
		}
	}
	oc.ConnectionAttempts = s.optInt(o, "connectionAttempts", 1, 3)
	if t, ok := o.Get("timeouts").(*goja.Object); ok {
		oc.Timeouts = OriginTimeouts{
			ReadTimeout:               s.optInt(t, "readTimeout", 1, 120),
			ResponseCompletionTimeout: s.optInt(t, "responseCompletionTimeout", 1, 1<<31-1),
			KeepAliveTimeout:          s.optInt(t, "keepAliveTimeout", 1, 120),
			ConnectionTimeout:         s.optInt(t, "connectionTimeout", 1, 10),
		}
		if r, c := oc.Timeouts.ReadTimeout, oc.Timeouts.ResponseCompletionTimeout; r > 0 && c > 0 && c < r {
			s.typeError("responseCompletionTimeout must be at least readTimeout")
		}
	}
	if sh, ok := o.Get("originShield").(*goja.Object); ok {
		oc.OriginShield = &OriginShield{Enabled: sh.Get("enabled").ToBoolean(), Region: s.optString(sh, "region", 64)}
	}
	if a, ok := o.Get("originAccessControlConfig").(*goja.Object); ok {
		oac := &OriginAccessControl{Enabled: a.Get("enabled").ToBoolean(),
			SigningBehavior: s.optString(a, "signingBehavior", 32), SigningProtocol: s.optString(a, "signingProtocol", 32),
			OriginType: s.optString(a, "originType", 32)}
		switch oac.SigningBehavior {
		case "", "always", "never", "no-override":
		default:
			s.typeError("signingBehavior must be always, never or no-override")
		}
		if oac.SigningProtocol != "" && oac.SigningProtocol != "sigv4" {
			s.typeError("signingProtocol must be sigv4")
		}
		switch oac.OriginType {
		case "", "s3", "mediapackagev2", "mediastore", "lambda":
		default:
			s.typeError("originType must be s3, mediapackagev2, mediastore or lambda")
		}
		oc.OriginAccess = oac
	}
	if c, ok := o.Get("customOriginConfig").(*goja.Object); ok {
		coc := &CustomOriginConfig{Port: s.optInt(c, "port", 1, 65535), Protocol: s.optString(c, "protocol", 5),
			SSLProtocols: s.optStrings(c, "sslProtocols", 4), IPAddressType: s.optString(c, "ipAddressType", 16)}
		if coc.Protocol != "" && coc.Protocol != "http" && coc.Protocol != "https" {
			s.typeError("protocol must be http or https")
		}
		for _, p := range coc.SSLProtocols {
			switch p {
			case "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2":
			default:
				s.typeError("unknown sslProtocols entry " + p)
			}
		}
		switch coc.IPAddressType {
		case "", "ipv4", "ipv6", "dualstack":
		default:
			s.typeError("ipAddressType must be ipv4, ipv6 or dualstack")
		}
		if coc.IPAddressType != "" && oc.DomainName == "" {
			s.typeError("ipAddressType requires a new domainName")
		}
		oc.CustomOrigin = coc
	}
	oc.AllowedCertificateNames = s.optStrings(o, "allowedCertificateNames", 20)
	return oc
}

// parseGroup accepts both shapes AWS documents: originIds as strings or as
// [{originId, originOverrides}], and failoverCriteria as an array of status codes or as
// {statusCodes: [...]}.
func (s *vmState) parseGroup(v goja.Value) *OriginChange {
	o, ok := v.(*goja.Object)
	if !ok {
		s.typeError("createRequestOriginGroup: an object is required")
	}
	oc := &OriginChange{Kind: OriginGroup, SelectionCriteria: "default"}
	ids, ok := o.Get("originIds").(*goja.Object)
	if !ok {
		s.typeError("createRequestOriginGroup: originIds is required")
	}
	n, _ := intValue(ids.Get("length"))
	if n != 2 {
		s.typeError("createRequestOriginGroup: originIds must hold two origins")
	}
	for i := 0; i < 2; i++ {
		e := ids.Get(itoa(i))
		if eo, ok := e.(*goja.Object); ok {
			e = eo.Get("originId")
		}
		if !present(e) || e.String() == "" {
			s.typeError("createRequestOriginGroup: bad origin id")
		}
		oc.Group[i] = e.String()
	}
	if sc := o.Get("selectionCriteria"); present(sc) {
		switch sc.String() {
		case "default", "media-quality-score":
			oc.SelectionCriteria = sc.String()
		default:
			s.typeError("selectionCriteria must be default or media-quality-score")
		}
	}
	fc, _ := o.Get("failoverCriteria").(*goja.Object)
	if fc != nil && fc.ClassName() != "Array" {
		fc, _ = fc.Get("statusCodes").(*goja.Object)
	}
	if fc == nil {
		s.typeError("createRequestOriginGroup: failoverCriteria status codes are required")
	}
	var codes []int
	if !shortArray(fc, 16) {
		s.typeError("createRequestOriginGroup: failoverCriteria must list at most 16 status codes")
	}
	if err := s.vm.ExportTo(fc, &codes); err != nil || len(codes) == 0 {
		s.typeError("createRequestOriginGroup: failoverCriteria must list status codes")
	}
	for _, c := range codes {
		if c < 400 || c > 599 {
			s.typeError("createRequestOriginGroup: failover status codes are 4xx or 5xx")
		}
	}
	oc.FailoverCodes = codes
	return oc
}
