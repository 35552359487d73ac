package control

import (
	"net/http"
	"runtime"
	"slices"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestSplitSegments(t *testing.T) {
	tests := []struct {
		rest string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"/", nil, true},
		{"/E1", []string{"E1"}, true},
		{"/E1/", []string{"E1"}, true},
		{"/E1/config", []string{"E1", "config"}, true},
		{"/E1%2Fconfig", []string{"E1/config"}, true},
		{"/..%2Fdistribution%2FE1", []string{"../distribution/E1"}, true},
		{"/%66n/describe", []string{"fn", "describe"}, true},
		{"/a%20b", []string{"a b"}, true},
		{"/a+b", []string{"a+b"}, true},
		{"/E1//config", []string{"E1", "", "config"}, true},
		{"/%zz", nil, false},
		{"/100%", nil, false},
	}
	for _, tt := range tests {
		got, aerr := splitSegments(tt.rest)
		switch {
		case tt.ok && (aerr != nil || !slices.Equal(got, tt.want)):
			t.Errorf("splitSegments(%q) = %q, %v; want %q", tt.rest, got, aerr, tt.want)
		case !tt.ok && (aerr == nil || aerr.code != CodeInvalidArgument):
			t.Errorf("splitSegments(%q) = %q, %v; want InvalidArgument", tt.rest, got, aerr)
		}
	}
}

// TestEncodedLabels: a label the client percent-encodes more than it needs to names the same
// resource, and an encoded "/" stays inside its label (a bad encoding, which net/http does not
// send, is in TestSplitSegments).
func TestEncodedLabels(t *testing.T) {
	h := newHarness(t, nil, nil)
	createFn(t, h.cf(), "fn", "function handler(event) { return event.request; }")
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"function name with an encoded letter", fnPrefix + "/%66n/describe", http.StatusOK, ""},
		{"distribution id with an encoded letter", apiPrefix + "/%" + "45" + distMain[1:], http.StatusOK, ""},
		{"distribution config with an encoded letter", apiPrefix + "/" + distMain + "/%63onfig", http.StatusOK, ""},
		{"id followed by an encoded slash", apiPrefix + "/" + distMain + "%2F", http.StatusNotFound, CodeNoSuchDistribution},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, resp := h.hostileSend("GET", tt.path, "", nil)
			if status != tt.status {
				t.Fatalf("GET %s: status %d, want %d\n%.400s", tt.path, status, tt.status, resp)
			}
			if tt.code != "" {
				checkErrorDoc(t, hdr, resp, tt.code)
			}
		})
	}
}

func TestBodyHeads(t *testing.T) {
	var bh bodyHeads
	var a, b fasthttp.RequestHeader
	if _, ok := bh.take(&a); ok {
		t.Fatal("take on an empty set found a head")
	}
	bh.put(&a, bodyHead{invalidation: true})
	bh.put(&b, bodyHead{aerr: invalidArgument("no")})
	if got, ok := bh.take(&a); !ok || !got.invalidation || got.aerr != nil {
		t.Errorf("take(a) = %+v, %v; want the invalidation head", got, ok)
	}
	if _, ok := bh.take(&a); ok {
		t.Error("a second take(a) found a head")
	}
	if got, ok := bh.take(&b); !ok || got.aerr == nil {
		t.Errorf("take(b) = %+v, %v; want the refused head", got, ok)
	}
	// Full of heads whose requests are gone: they are swept to make room.
	for range maxBodyHeads {
		bh.put(new(fasthttp.RequestHeader), bodyHead{})
	}
	runtime.GC()
	bh.put(&a, bodyHead{invalidation: true})
	if _, ok := bh.take(&a); !ok {
		t.Error("a full set of dead heads was not swept")
	}
	runtime.KeepAlive(&b)
}
