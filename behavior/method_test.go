package behavior

import (
	"errors"
	"testing"
)

func TestParseMethods(t *testing.T) {
	tests := []struct {
		names []string
		want  MethodSet
		str   string
	}{
		{nil, 0, ""},
		{[]string{"GET", "HEAD"}, GetHead, "GET, HEAD"},
		{[]string{"HEAD", "GET", "GET"}, GetHead, "GET, HEAD"},
		{[]string{"OPTIONS", "GET", "HEAD"}, GetHeadOptions, "GET, HEAD, OPTIONS"},
		{[]string{"DELETE", "PATCH", "POST", "PUT", "OPTIONS", "HEAD", "GET"}, AllMethods,
			"GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE"},
		{[]string{"POST", "GET"}, MethodSet(MethodGet | MethodPost), "GET, POST"},
	}
	for _, tt := range tests {
		got, err := ParseMethods(tt.names)
		if err != nil {
			t.Fatalf("ParseMethods(%q): %v", tt.names, err)
		}
		if got != tt.want || got.String() != tt.str {
			t.Errorf("ParseMethods(%q) = %v %q, want %v %q", tt.names, uint8(got), got, uint8(tt.want), tt.str)
		}
	}
	for _, bad := range [][]string{{"get"}, {"GET", "TRACE"}, {""}, {"CONNECT"}} {
		if _, err := ParseMethods(bad); !errors.Is(err, ErrInvalidMethod) {
			t.Errorf("ParseMethods(%q) error = %v, want ErrInvalidMethod", bad, err)
		}
	}
}

func TestMethodSetHas(t *testing.T) {
	tests := []struct {
		set    MethodSet
		method string
		want   bool
	}{
		{GetHead, "GET", true},
		{GetHead, "HEAD", true},
		{GetHead, "OPTIONS", false},
		{GetHead, "get", false}, // exact upper-case only
		{GetHead, "", false},
		{GetHead, "GETX", false},
		{GetHeadOptions, "OPTIONS", true},
		{GetHeadOptions, "POST", false},
		{AllMethods, "DELETE", true},
		{AllMethods, "PATCH", true},
		{AllMethods, "TRACE", false},
		{0, "GET", false},
	}
	for _, tt := range tests {
		if got := tt.set.Has([]byte(tt.method)); got != tt.want {
			t.Errorf("%q.Has(%q) = %v, want %v", tt.set, tt.method, got, tt.want)
		}
	}
	if !AllMethods.Contains(MethodPut) || GetHead.Contains(MethodPut) || GetHead.Contains(0) {
		t.Error("Contains is wrong")
	}
	if MethodPatch.String() != "PATCH" || Method(3).String() != "" {
		t.Error("Method.String is wrong")
	}
}
