//go:build !race

package function

import (
	"runtime"
	"strings"
	"testing"
)

// The allocation bounds of refused work (the race detector allocates on its own, so these run
// without it). Before the limits, compiling a 7 KB regular expression literal allocated
// 233 MB, and 1n << 1000000000n 241 MB.
const (
	refusedRunAlloc     = 4 << 20
	refusedCompileAlloc = 4 << 20
)

// TestRegexpRefusedAllocation: a refused match or pattern allocates next to nothing (the
// subject itself is 100 KB).
func TestRegexpRefusedAllocation(t *testing.T) {
	for _, tc := range regexpRefusals {
		t.Run(tc.name, func(t *testing.T) {
			f := mustCompile(t, "function handler(e) { "+tc.code+"\n; return e.request }", Options{})
			alloc, _, err := runMeasured(f)
			if err == nil {
				t.Fatal("not refused")
			}
			if alloc > refusedRunAlloc {
				t.Errorf("allocated %d KB", alloc>>10)
			}
		})
	}
}

// TestCompileRefusedAllocation: a regular expression literal over the limits, or a BigInt
// literal, fails Compile allocating little.
func TestCompileRefusedAllocation(t *testing.T) {
	for _, code := range []string{
		"function handler(e) {\n  var r = /" + strings.Repeat("a{1000}", 1000) + "/;\n  return e.request }",
		"function handler(e) { return /" + strings.Repeat("[ab]{999}", 1100) + "/.test(e.request.uri) }",
		"function handler(e) { return 1n << 1000000000n }",
	} {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err := Compile("fn", []byte(code), Options{})
		runtime.ReadMemStats(&m1)
		if err == nil {
			t.Errorf("%.60s: compiled", code)
		}
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > refusedCompileAlloc {
			t.Errorf("%.60s: allocated %d KB", code, alloc>>10)
		}
	}
}
