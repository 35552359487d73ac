package control

import (
	"errors"
	"strings"
	"testing"

	"github.com/cfedge/edge/fleet"
)

// TestApplyInvalidationErrors: a batch from the fleet that this edge cannot apply is an error
// (the fleet then does not count this edge as having applied it) and changes nothing; one for a
// distribution this edge does not have is skipped without error; a good one is applied.
func TestApplyInvalidationErrors(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.put(distMain, "k", "/stale.html")
	inv := func(dist, id, ref string, paths ...string) *fleet.Invalidation {
		return &fleet.Invalidation{Distribution: dist, ID: id, CallerReference: ref, Paths: paths, Created: h.clock.Now(), Node: "edge-b"}
	}
	tests := []struct {
		name    string
		inv     *fleet.Invalidation
		wantErr string // "" for nil
	}{
		{"caller reference with a tab", inv(distMain, "I1", "a\tb", "/stale.html"), "caller reference holds a control character"},
		{"caller reference too long", inv(distMain, "I2", strings.Repeat("r", maxCallerRefBytes+1), "/stale.html"), "caller reference is"},
		{"no paths", inv(distMain, "I3", "r"), "0 paths"},
		{"bad path", inv(distMain, "I4", "r", "stale.html"), `must begin with "/"`},
		{"unknown distribution", inv("ENOSUCHDIST000", "I5", "r", "/stale.html"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.srv.ApplyInvalidation(tt.inv)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ApplyInvalidation: %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, fleet.ErrRejected)):
				t.Errorf("ApplyInvalidation: %v, want a fleet.ErrRejected error with %q", err, tt.wantErr)
			}
			if !h.cached("k") {
				t.Fatal("a batch that was not applied invalidated /stale.html")
			}
		})
	}
	if err := h.srv.ApplyInvalidation(inv(distMain, "I6", "good", "/stale.html")); err != nil {
		t.Fatalf("a good batch: %v", err)
	}
	if h.cached("k") {
		t.Error("a good batch from the fleet left /stale.html cached")
	}
}
