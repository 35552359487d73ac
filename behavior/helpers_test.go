package behavior

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
)

// headers is a HeaderGetter over fixed pairs, in order (a name may repeat). PeekAll is
// case-insensitive and, like fasthttp's, returns a buffer it reuses, so it allocates nothing
// once warmed up.
type headers struct {
	names  []string
	values [][]byte
	buf    [][]byte
}

func hdr(kv ...string) *headers {
	h := &headers{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.names = append(h.names, kv[i])
		h.values = append(h.values, []byte(kv[i+1]))
	}
	return h
}

func (h *headers) PeekAll(key string) [][]byte {
	h.buf = h.buf[:0]
	for i, n := range h.names {
		if strings.EqualFold(n, key) {
			h.buf = append(h.buf, h.values[i])
		}
	}
	return h.buf
}

// renderKey turns a cache key back into its sections, one per line, for golden files and
// error messages. It fails the test when the key does not parse.
func renderKey(t testing.TB, key []byte) string {
	t.Helper()
	var b strings.Builder
	for len(key) > 0 {
		if len(key) < 5 {
			t.Fatalf("truncated key section %q", key)
		}
		n := int(binary.BigEndian.Uint32(key[1:5]))
		if len(key) < 5+n {
			t.Fatalf("section %c claims %d bytes, %d left", key[0], n, len(key)-5)
		}
		fmt.Fprintf(&b, "%c %q\n", key[0], key[5:5+n])
		key = key[5+n:]
	}
	return b.String()
}

func i64(v int64) *int64 { return &v }

// mustNew compiles a behavior or fails the test.
func mustNew(t testing.TB, index int, s Spec) *Behavior {
	t.Helper()
	b, err := New(index, s)
	if err != nil {
		t.Fatalf("New(%d): %v", index, err)
	}
	return b
}

// policyBehavior builds a behavior on a cache policy and an optional origin request policy.
func policyBehavior(t testing.TB, cp config.CachePolicy, orp *config.OriginRequestPolicy) *Behavior {
	t.Helper()
	return mustNew(t, -1, Spec{
		Behavior:            config.Behavior{TargetOriginID: "o", CachePolicy: cp.Name, Compress: true},
		CachePolicy:         &cp,
		OriginRequestPolicy: orp,
	})
}

// legacyBehavior builds a legacy-mode behavior from forwarded_values.
func legacyBehavior(t testing.TB, fv *config.ForwardedValues, compress bool) *Behavior {
	t.Helper()
	return mustNew(t, -1, Spec{Behavior: config.Behavior{TargetOriginID: "o", ForwardedValues: fv, Compress: compress}})
}
