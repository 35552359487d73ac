package behavior

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidMethod is wrapped by every error ParseMethods returns.
var ErrInvalidMethod = errors.New("invalid method")

// Method is one HTTP method CloudFront knows, as a single bit.
type Method uint8

// The methods of CloudFront's Method enum, in the order MethodSet.String lists them.
const (
	MethodGet Method = 1 << iota
	MethodHead
	MethodOptions
	MethodPut
	MethodPost
	MethodPatch
	MethodDelete
)

// The method sets CloudFront accepts.
const (
	// GetHead is the default for both allowed and cached methods.
	GetHead = MethodSet(MethodGet | MethodHead)
	// GetHeadOptions is the middle allowed set and the larger cached set.
	GetHeadOptions = MethodSet(MethodGet | MethodHead | MethodOptions)
	// AllMethods is the largest allowed set.
	AllMethods = MethodSet(MethodGet | MethodHead | MethodOptions | MethodPut | MethodPost | MethodPatch | MethodDelete)
)

// MethodOf returns the Method for an exact upper-case method name, or 0 for any other name.
// It allocates nothing.
func MethodOf(name []byte) Method {
	switch string(name) {
	case "GET":
		return MethodGet
	case "HEAD":
		return MethodHead
	case "OPTIONS":
		return MethodOptions
	case "PUT":
		return MethodPut
	case "POST":
		return MethodPost
	case "PATCH":
		return MethodPatch
	case "DELETE":
		return MethodDelete
	}
	return 0
}

// String returns the method's upper-case name ("" for 0 or a combination of bits).
func (m Method) String() string {
	switch m {
	case MethodGet:
		return "GET"
	case MethodHead:
		return "HEAD"
	case MethodOptions:
		return "OPTIONS"
	case MethodPut:
		return "PUT"
	case MethodPost:
		return "POST"
	case MethodPatch:
		return "PATCH"
	case MethodDelete:
		return "DELETE"
	}
	return ""
}

// MethodSet is a set of Methods as a bitmask.
type MethodSet uint8

// ParseMethods builds a set from method names as written in CloudFront's API (exact
// upper-case names; duplicates are fine). An unknown name is an error that quotes it and
// wraps ErrInvalidMethod. An empty list gives the empty set; callers apply defaults.
func ParseMethods(names []string) (MethodSet, error) {
	var s MethodSet
	for _, n := range names {
		m := MethodOf([]byte(n))
		if m == 0 {
			return 0, fmt.Errorf("behavior: method %q: not one of GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE: %w",
				n, ErrInvalidMethod)
		}
		s |= MethodSet(m)
	}
	return s, nil
}

// Has reports whether the set contains the method named by the exact upper-case bytes
// method. It allocates nothing.
func (s MethodSet) Has(method []byte) bool {
	m := MethodOf(method)
	return m != 0 && s&MethodSet(m) != 0
}

// Contains reports whether the set contains m.
func (s MethodSet) Contains(m Method) bool { return m != 0 && s&MethodSet(m) == MethodSet(m) }

// String lists the set as an Allow header value: "GET, HEAD, OPTIONS" (CloudFront's order:
// GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE). The empty set gives "".
func (s MethodSet) String() string {
	switch s {
	case GetHead:
		return "GET, HEAD"
	case GetHeadOptions:
		return "GET, HEAD, OPTIONS"
	case AllMethods:
		return "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE"
	}
	var b strings.Builder
	for m := MethodGet; m != 0 && m <= MethodDelete; m <<= 1 {
		if s&MethodSet(m) != 0 {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m.String())
		}
	}
	return b.String()
}
