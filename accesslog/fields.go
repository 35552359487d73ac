package accesslog

import (
	"errors"
	"fmt"
	"strings"
)

// NumFields is the number of fields in every record line.
const NumFields = 33

// fieldList is the W3C #Fields directive's value: CloudFront's 33 standard-log fields, in
// order (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html).
const fieldList = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status " +
	"cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id " +
	"x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher " +
	"x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port " +
	"time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len " +
	"sc-range-start sc-range-end"

// Header is the two directive lines that open every log, each ending in a newline.
const Header = "#Version: 1.0\n#Fields: " + fieldList + "\n"

// Fields returns the names of the [NumFields] fields of a record line, in order, as the
// #Fields directive lists them. The slice is new on every call; the caller may keep it.
func Fields() []string {
	return strings.Split(fieldList, " ")
}

// ParseLine splits one record line into its fields, keyed by field name (see [Fields]). A
// trailing "\n" or "\r\n" is ignored. Values are returned as written, still encoded ("-" for
// absent, "%20" for a space); [Decode] reverses that. It returns an error for a directive
// line ("#…"), for a line that does not have exactly [NumFields] tab-separated fields, and
// for an empty field (the format writes "-" instead).
func ParseLine(line string) (map[string]string, error) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if strings.HasPrefix(line, "#") {
		return nil, errors.New("accesslog: line is a directive, not a record")
	}
	if n := strings.Count(line, "\t") + 1; n != NumFields {
		return nil, fmt.Errorf("accesslog: line has %d fields, want %d", n, NumFields)
	}
	m := make(map[string]string, NumFields)
	names := fieldList
	for i := range NumFields {
		var name, value string
		name, names, _ = strings.Cut(names, " ")
		value, line, _ = strings.Cut(line, "\t")
		if value == "" {
			return nil, fmt.Errorf("accesslog: field %d (%s) is empty", i+1, name)
		}
		m[name] = value
	}
	return m, nil
}

// Decode reverses the encoding of one text value: "-" (absent) becomes "" and each %XX becomes
// the byte it stands for; every other byte is kept. It returns an error for a "%" not followed
// by two hex digits. Decode(string(AppendValue(nil, v))) == string(v) for every v.
func Decode(s string) (string, error) {
	if s == "-" {
		return "", nil
	}
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s, nil
	}
	orig := s
	var b strings.Builder
	b.Grow(len(s))
	for ; i >= 0; i = strings.IndexByte(s, '%') {
		b.WriteString(s[:i])
		if i+2 >= len(s) {
			return "", fmt.Errorf("accesslog: value %q: truncated %%-escape", orig)
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("accesslog: value %q: bad %%-escape %q", orig, s[i:i+3])
		}
		b.WriteByte(hi<<4 | lo)
		s = s[i+3:]
	}
	b.WriteString(s)
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
