package accesslog

import (
	"math"
	"strconv"
	"time"
)

// Record is one viewer request's log fields, filled by the edge. The writer only reads the
// byte slices during [Writer.Write] and keeps no reference to them, so the caller may reuse its
// buffers afterwards. Empty text fields are logged "-". Fields are listed in log order; the
// two field-level-encryption fields (fle-status, fle-encrypted-fields) are always "-".
type Record struct {
	Time          time.Time     // date, time: when the response finished; zero means Config.Now(). Logged in UTC.
	EdgeLocation  string        // x-edge-location, e.g. "DEV1-C1"
	BytesSent     int64         // sc-bytes: bytes to the viewer, headers included; negative is "-"
	ClientIP      []byte        // c-ip, in text form
	Method        []byte        // cs-method
	Host          string        // cs(Host): the distribution's domain name
	URIStem       []byte        // cs-uri-stem: the path, without "?" and query
	Status        int           // sc-status; 0 (the viewer left before the response) is logged "000"
	Referer       []byte        // cs(Referer)
	UserAgent     []byte        // cs(User-Agent)
	Query         []byte        // cs-uri-query, without the "?"
	Cookie        []byte        // cs(Cookie); nil unless cookie logging is on
	ResultType    string        // x-edge-result-type: Hit, RefreshHit, Miss, Error, Redirect, LimitExceeded, …
	RequestID     []byte        // x-edge-request-id: the X-Amz-Cf-Id value
	HostHeader    []byte        // x-host-header: the Host the viewer sent
	Protocol      string        // cs-protocol: http, https, ws, wss
	BytesReceived int64         // cs-bytes: request bytes, headers included; negative is "-"
	TimeTaken     time.Duration // time-taken: request received to last byte sent; logged in seconds ("0.082")
	ForwardedFor  []byte        // x-forwarded-for: the viewer's X-Forwarded-For; nil is "-"
	SSLProtocol   string        // ssl-protocol, e.g. "TLSv1.2"; empty for http
	SSLCipher     string        // ssl-cipher, e.g. "ECDHE-RSA-AES128-GCM-SHA256"; empty for http

	ResponseResultType string        // x-edge-response-result-type: classified before sending
	ProtocolVersion    []byte        // cs-protocol-version: "HTTP/1.1"
	ClientPort         int           // c-port: the viewer's source port; 0 or less is "-"
	TimeToFirstByte    time.Duration // time-to-first-byte: request received to first byte sent
	DetailedResultType string        // x-edge-detailed-result-type
	ContentType        []byte        // sc-content-type
	ContentLength      int64         // sc-content-len; negative is "-"
	RangeStart         int64         // sc-range-start, from Content-Range; negative is "-" (0 is a real offset)
	RangeEnd           int64         // sc-range-end; negative is "-"
}

// escapeTable marks with 'E' the bytes that are percent-encoded inside a value, 32 bytes a
// row: ASCII 0–32, 127–255 and < > " # % { } | \ ^ ~ [ ] ` '
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html).
const escapeTable = "" +
	"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" + // 0x00–0x1f
	"E.EE.E.E....................E.E." + // 0x20–0x3f
	"...........................EEEE." + // 0x40–0x5f
	"E..........................EEEEE" + // 0x60–0x7f
	"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" + // 0x80–0x9f
	"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" + // 0xa0–0xbf
	"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" + // 0xc0–0xdf
	"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE" // 0xe0–0xff

// needsEscape reports whether c is percent-encoded inside a value.
func needsEscape(c byte) bool {
	return escapeTable[c] == 'E'
}

const hexDigits = "0123456789ABCDEF"

// AppendValue appends v encoded as a log value: "-" when v is empty, "%2D" when v is exactly
// "-", otherwise v with every byte CloudFront encodes written as %XX (upper-case hex). The
// result never holds a byte below 33 or above 126. It allocates only if dst must grow.
func AppendValue(dst, v []byte) []byte {
	switch {
	case len(v) == 0:
		return append(dst, '-')
	case len(v) == 1 && v[0] == '-':
		return append(dst, "%2D"...)
	}
	start := 0
	for i, c := range v {
		if needsEscape(c) {
			dst = append(dst, v[start:i]...)
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&0xf])
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}

// appendString is AppendValue for a string, without converting it.
func appendString(dst []byte, v string) []byte {
	switch {
	case len(v) == 0:
		return append(dst, '-')
	case v == "-":
		return append(dst, "%2D"...)
	}
	start := 0
	for i := range len(v) {
		if c := v[i]; needsEscape(c) {
			dst = append(dst, v[start:i]...)
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&0xf])
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}

// AppendRecord appends r as one log line, with the trailing newline, taking t as the record's
// time (the caller resolves a zero r.Time). It allocates only if dst must grow.
func AppendRecord(dst []byte, r *Record, t time.Time) []byte {
	b := appendDateTime(dst, t.UTC())
	b = append(b, '\t')
	b = appendString(b, r.EdgeLocation)
	b = append(b, '\t')
	b = appendOptional(b, r.BytesSent)
	b = append(b, '\t')
	b = AppendValue(b, r.ClientIP)
	b = append(b, '\t')
	b = AppendValue(b, r.Method)
	b = append(b, '\t')
	b = appendString(b, r.Host)
	b = append(b, '\t')
	b = AppendValue(b, r.URIStem)
	b = append(b, '\t')
	b = appendStatus(b, r.Status)
	b = append(b, '\t')
	b = AppendValue(b, r.Referer)
	b = append(b, '\t')
	b = AppendValue(b, r.UserAgent)
	b = append(b, '\t')
	b = AppendValue(b, r.Query)
	b = append(b, '\t')
	b = AppendValue(b, r.Cookie)
	b = append(b, '\t')
	b = appendString(b, r.ResultType)
	b = append(b, '\t')
	b = AppendValue(b, r.RequestID)
	b = append(b, '\t')
	b = AppendValue(b, r.HostHeader)
	b = append(b, '\t')
	b = appendString(b, r.Protocol)
	b = append(b, '\t')
	b = appendOptional(b, r.BytesReceived)
	b = append(b, '\t')
	b = appendSeconds(b, r.TimeTaken)
	b = append(b, '\t')
	b = AppendValue(b, r.ForwardedFor)
	b = append(b, '\t')
	b = appendString(b, r.SSLProtocol)
	b = append(b, '\t')
	b = appendString(b, r.SSLCipher)
	b = append(b, '\t')
	b = appendString(b, r.ResponseResultType)
	b = append(b, '\t')
	b = AppendValue(b, r.ProtocolVersion)
	b = append(b, "\t-\t-\t"...) // fle-status, fle-encrypted-fields: no field-level encryption
	if r.ClientPort > 0 {
		b = strconv.AppendInt(b, int64(r.ClientPort), 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, '\t')
	b = appendSeconds(b, r.TimeToFirstByte)
	b = append(b, '\t')
	b = appendString(b, r.DetailedResultType)
	b = append(b, '\t')
	b = AppendValue(b, r.ContentType)
	b = append(b, '\t')
	b = appendOptional(b, r.ContentLength)
	b = append(b, '\t')
	b = appendOptional(b, r.RangeStart)
	b = append(b, '\t')
	b = appendOptional(b, r.RangeEnd)
	return append(b, '\n')
}

// appendDateTime appends "YYYY-MM-DD\tHH:MM:SS" for t, which is already in UTC.
func appendDateTime(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 0 || y > 9999 {
		b = strconv.AppendInt(b, int64(y), 10)
	} else {
		b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	}
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, '\t')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	return append2(b, s)
}

// append2 appends n (0–99) as two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendStatus appends an HTTP status; 0 (no response) is "000", as CloudFront logs it.
func appendStatus(b []byte, status int) []byte {
	if status <= 0 {
		return append(b, "000"...)
	}
	return strconv.AppendInt(b, int64(status), 10)
}

// appendOptional appends n, or "-" when n is negative (unknown length, no range).
func appendOptional(b []byte, n int64) []byte {
	if n < 0 {
		return append(b, '-')
	}
	return strconv.AppendInt(b, n, 10)
}

// appendSeconds appends d in seconds with three decimals, rounded to the nearest millisecond
// ("0.082"). A negative duration is "0.000".
func appendSeconds(b []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	if d <= math.MaxInt64-time.Millisecond/2 {
		d += time.Millisecond / 2
	}
	ms := int64(d / time.Millisecond)
	b = strconv.AppendInt(b, ms/1000, 10)
	f := ms % 1000
	return append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}
