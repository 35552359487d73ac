package behavior

import (
	"errors"
	"strings"
	"testing"

	"github.com/cfedge/edge/config"
)

func TestNewFunctionAssociations(t *testing.T) {
	b := mustNew(t, -1, Spec{Behavior: config.Behavior{TargetOriginID: "o"}})
	if b.ViewerRequestFunction != "" || b.ViewerResponseFunction != "" {
		t.Errorf("no associations, got %q %q", b.ViewerRequestFunction, b.ViewerResponseFunction)
	}
	b = mustNew(t, 0, Spec{Behavior: config.Behavior{PathPattern: "/a/*", TargetOriginID: "o",
		FunctionAssociations: []config.FunctionAssociation{
			{EventType: "viewer-response", Function: "headers"},
			{EventType: "viewer-request", Function: "spa"},
		}}})
	if b.ViewerRequestFunction != "spa" || b.ViewerResponseFunction != "headers" {
		t.Errorf("got %q %q, want spa headers", b.ViewerRequestFunction, b.ViewerResponseFunction)
	}

	for _, bad := range [][]config.FunctionAssociation{
		{{EventType: "origin-request", Function: "f"}},
		{{EventType: "", Function: "f"}},
		{{EventType: "viewer-request", Function: ""}},
		{{EventType: "viewer-request", Function: "f"}, {EventType: "viewer-request", Function: "g"}},
	} {
		_, err := New(-1, Spec{Behavior: config.Behavior{TargetOriginID: "o", FunctionAssociations: bad}})
		if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), "function_association") {
			t.Errorf("%+v: err = %v, want ErrInvalidPolicy naming function_association", bad, err)
		}
	}
}

func TestCompileFunctions(t *testing.T) {
	c := &config.Config{Functions: []config.Function{{Name: "spa"}, {Name: "headers"}}}
	d := &config.Distribution{
		Behaviors: []config.Behavior{{PathPattern: "/a/*", TargetOriginID: "o",
			FunctionAssociations: []config.FunctionAssociation{{EventType: "viewer-request", Function: "spa"}}}},
		DefaultBehavior: config.Behavior{TargetOriginID: "o",
			FunctionAssociations: []config.FunctionAssociation{{EventType: "viewer-response", Function: "headers"}}},
	}
	tbl, err := Compile(c, d)
	if err != nil {
		t.Fatal(err)
	}
	if b := tbl.Match([]byte("/a/x")); b.ViewerRequestFunction != "spa" || b.ViewerResponseFunction != "" {
		t.Errorf("/a/x: %q %q", b.ViewerRequestFunction, b.ViewerResponseFunction)
	}
	if b := tbl.Match([]byte("/b")); b.ViewerRequestFunction != "" || b.ViewerResponseFunction != "headers" {
		t.Errorf("/b: %q %q", b.ViewerRequestFunction, b.ViewerResponseFunction)
	}
	d.DefaultBehavior.FunctionAssociations[0].Function = "nope"
	if _, err := Compile(c, d); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown function: %v", err)
	}
}
