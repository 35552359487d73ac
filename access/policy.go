package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// appendResource appends the URL the viewer asked for, as a signer writes it:
// scheme://host/path, then "?" and the query without the signing parameters if any is
// left. This is the Resource of a canned policy ([SIGN] signs the URL it is given, as is).
func appendResource(dst []byte, r *Request) []byte {
	dst = append(dst, r.Scheme...)
	dst = append(dst, "://"...)
	dst = append(dst, r.Host...)
	dst = append(dst, r.Path...)
	n := len(dst)
	dst = StripSignature(append(dst, '?'), r.RawQuery)
	if len(dst) == n+1 {
		dst = dst[:n]
	}
	return dst
}

// appendCanned appends the canned policy for r expiring at expires, byte for byte as [SIGN]
// (encoding/json, HTML escaping off) serializes it.
func appendCanned(dst []byte, r *Request, expires int64) []byte {
	var buf [512]byte
	res := appendResource(buf[:0], r)
	dst = append(dst, `{"Statement":[{"Resource":"`...)
	dst = appendJSONString(dst, res)
	dst = append(dst, `","Condition":{"DateLessThan":{"AWS:EpochTime":`...)
	dst = strconv.AppendInt(dst, expires, 10)
	return append(dst, `}}}]}`...)
}

// appendJSONString appends s escaped as encoding/json does with SetEscapeHTML(false),
// without the quotes: '"' and '\\' escaped, \b \f \n \r \t by name, other control bytes as
// \u00XX, invalid UTF-8 as \ufffd, and U+2028/U+2029 as \u2028/\u2029.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRune(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// statement is the one statement of a custom policy.
type statement struct {
	resource    *string // nil: any resource
	lessThan    int64
	greaterThan *int64
	sourceIP    *netip.Prefix
}

type jsonEpoch struct {
	Time *int64 `json:"AWS:EpochTime"`
}

type jsonStatement struct {
	Resource  *string
	Condition *struct {
		DateLessThan    *jsonEpoch
		DateGreaterThan *jsonEpoch
		IPAddress       *struct {
			SourceIP *string `json:"AWS:SourceIp"`
		} `json:"IpAddress"`
	}
}

var errPolicy = errors.New("malformed policy")

// parsePolicy reads a custom policy: {"Statement": [ {…} ]} or {"Statement": {…}} with
// exactly one statement, a Condition with DateLessThan.AWS:EpochTime, and optionally
// DateGreaterThan and IpAddress.AWS:SourceIp (one IPv4 address or CIDR). Numbers must be
// integers; unknown keys are ignored. The policy's own keys are matched exactly and once
// (checkKeys): encoding/json alone would let "resource" override "Resource".
func parsePolicy(b []byte) (statement, error) {
	if err := checkKeys(b); err != nil {
		return statement{}, err
	}
	var doc struct{ Statement json.RawMessage }
	if err := json.Unmarshal(b, &doc); err != nil {
		return statement{}, err
	}
	var js jsonStatement
	switch raw := bytes.TrimSpace(doc.Statement); {
	case len(raw) > 0 && raw[0] == '[':
		var list []jsonStatement
		if err := json.Unmarshal(raw, &list); err != nil {
			return statement{}, err
		}
		if len(list) != 1 {
			return statement{}, errPolicy
		}
		js = list[0]
	case len(raw) > 0 && raw[0] == '{':
		if err := json.Unmarshal(raw, &js); err != nil {
			return statement{}, err
		}
	default:
		return statement{}, errPolicy
	}
	c := js.Condition
	if c == nil || c.DateLessThan == nil || c.DateLessThan.Time == nil {
		return statement{}, errPolicy
	}
	st := statement{resource: js.Resource, lessThan: *c.DateLessThan.Time}
	if g := c.DateGreaterThan; g != nil {
		if g.Time == nil {
			return statement{}, errPolicy
		}
		st.greaterThan = g.Time
	}
	if ip := c.IPAddress; ip != nil {
		if ip.SourceIP == nil {
			return statement{}, errPolicy
		}
		p, ok := parseSourceIP(*ip.SourceIP)
		if !ok {
			return statement{}, errPolicy
		}
		st.sourceIP = &p
	}
	return st, nil
}

// policyKeys are the keys a custom policy gives meaning to
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html).
var policyKeys = []string{"Statement", "Resource", "Condition", "DateLessThan", "DateGreaterThan",
	"IpAddress", "AWS:EpochTime", "AWS:SourceIp"}

// checkKeys refuses a policy in which an object holds a key twice, or a key that differs from
// one of policyKeys only in case: what a reader of the policy sees must be what is enforced.
func checkKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	type object struct{ keys map[string]bool }
	var stack []*object // nil entries for arrays
	expectKey := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &object{keys: map[string]bool{}})
				expectKey = true
				continue
			case '[':
				stack = append(stack, nil)
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		case string:
			if expectKey {
				o := stack[len(stack)-1]
				if o.keys[t] {
					return errPolicy
				}
				o.keys[t] = true
				for _, k := range policyKeys {
					if t != k && strings.EqualFold(t, k) {
						return errPolicy
					}
				}
				expectKey = false
				continue
			}
		}
		// After a value inside an object, the next string is a key.
		expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
	}
}

// parseSourceIP accepts an IPv4 address ("192.0.2.1", meaning /32) or an IPv4 CIDR.
func parseSourceIP(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, p.Addr().Is4()
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, 32), true
}

// allows reports whether the statement's conditions admit r at now. Resource patterns
// with the "http*" protocol are accepted only for cookies.
func (st *statement) allows(r *Request, now time.Time, cookie bool) bool {
	// Compared as whole seconds, never through time.Unix, which overflows past year 292 billion
	// and would put a DateGreaterThan of 2^63-1 in the past: now < L, and now > G.
	sec := now.Unix()
	if sec >= st.lessThan {
		return false
	}
	if g := st.greaterThan; g != nil && (sec < *g || sec == *g && now.Nanosecond() == 0) {
		return false
	}
	if st.sourceIP != nil {
		ip := r.ClientIP.Unmap()
		if !ip.Is4() || !st.sourceIP.Contains(ip) {
			return false
		}
	}
	if st.resource == nil {
		return true
	}
	var buf [512]byte
	query := StripSignature(buf[:0], r.RawQuery)
	return matchResource(*st.resource, r.Scheme, r.Host, r.Path, query, cookie)
}
