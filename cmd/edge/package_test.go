package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRunWritesCommittedDemo(t *testing.T) {
	dir := t.TempDir()
	src := "../../testdata/media/demo"
	for _, name := range []string{"demo_180.ismv", "demo_360.ismv", "demo_audio.isma"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := packageFiles([]string{"-o", filepath.Join(dir, "demo.ism"),
		filepath.Join(dir, "demo_180.ismv") + ",bitrate=150000",
		filepath.Join(dir, "demo_360.ismv") + ",bitrate=400000",
		filepath.Join(dir, "demo_audio.isma") + ",bitrate=64000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"demo.ism", "demo.ismc"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed one:\n%s", name, got)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	media := "../../testdata/media/demo/demo_audio.isma"
	for name, args := range map[string][]string{
		"no -o":          {media},
		"not .ism":       {"-o", filepath.Join(dir, "x.txt"), media},
		"no files":       {"-o", filepath.Join(dir, "x.ism")},
		"missing file":   {"-o", filepath.Join(dir, "x.ism"), filepath.Join(dir, "nope.ismv")},
		"unknown option": {"-o", filepath.Join(dir, "x.ism"), media + ",speed=2"},
		"bad bitrate":    {"-o", filepath.Join(dir, "x.ism"), media + ",bitrate=fast"},
		"zero bitrate":   {"-o", filepath.Join(dir, "x.ism"), media + ",bitrate=0"},
		"bad flag":       {"-x"},
	} {
		if err := packageFiles(args, io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.ism")); !os.IsNotExist(err) {
		t.Errorf("failed runs wrote x.ism: %v", err)
	}
}

// TestValidateCommand checks "edge validate" on the embedded default and on a broken config.
func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[[distribution]]\nid = \"E1\"\n[distribution.default_behavior]\ntarget_origin_id = \"nope\"\npath_patern = \"/x\"\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "-config", bad}, &out, &errb); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	for _, want := range []string{"distribution[0].default_behavior.path_patern", "target_origin_id"} {
		if !bytes.Contains(errb.Bytes(), []byte(want)) {
			t.Errorf("validate output lacks %q:\n%s", want, errb.String())
		}
	}
	// Valid TOML that cannot start: a key group whose key file is missing.
	nostart := filepath.Join(dir, "nostart.toml")
	os.WriteFile(nostart, []byte("[[key_group]]\nid = \"kg\"\n[[key_group.public_key]]\nid = \"K1\"\npath = \"missing.pem\"\n"+
		"[[distribution]]\nid = \"E1\"\n[[distribution.origin]]\nid = \"o\"\nkind = \"dir\"\npath = \".\"\n"+
		"[distribution.default_behavior]\ntarget_origin_id = \"o\"\ntrusted_key_groups = [\"kg\"]\n"), 0o644)
	errb.Reset()
	if code := run([]string{"validate", "-config", nostart}, &out, &errb); code != 1 || !bytes.Contains(errb.Bytes(), []byte("missing.pem")) {
		t.Errorf("config whose key file is missing: exit %d, %s", code, errb.String())
	}
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte("[[distribution]]\nid = \"E1\"\n[[distribution.origin]]\nid = \"o\"\nkind = \"dir\"\npath = \".\"\n[distribution.default_behavior]\ntarget_origin_id = \"o\"\n"), 0o644)
	out.Reset()
	errb.Reset()
	if code := run([]string{"validate", "-config", good}, &out, &errb); code != 0 {
		t.Fatalf("good config: exit %d: %s", code, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("good config: warnings %s", errb.String())
	}
	// A function that does not compile: the TOML path, and the file's line and column.
	fnDir := filepath.Join(dir, "functions")
	os.MkdirAll(fnDir, 0o755)
	os.WriteFile(filepath.Join(fnDir, "bad.js"), []byte("function handler(event) {\n  return event.request;\n  var x = ;\n}\n"), 0o644)
	badfn := filepath.Join(dir, "badfn.toml")
	os.WriteFile(badfn, []byte("[[function]]\nname = \"bad\"\ncode_file = \"functions/bad.js\"\n"+
		"[[distribution]]\nid = \"E1\"\n[[distribution.origin]]\nid = \"o\"\nkind = \"dir\"\npath = \".\"\n"+
		"[distribution.default_behavior]\ntarget_origin_id = \"o\"\n[[distribution.default_behavior.function_association]]\n"+
		"event_type = \"viewer-request\"\nfunction = \"bad\"\n"), 0o644)
	errb.Reset()
	if code := run([]string{"validate", "-config", badfn}, &out, &errb); code != 1 ||
		!bytes.Contains(errb.Bytes(), []byte("function[0].code_file")) || !bytes.Contains(errb.Bytes(), []byte("bad:3:")) {
		t.Errorf("function with a syntax error: exit %d, stderr %q", code, errb.String())
	}
	// Valid, with a warning: Authorization forwarded to the origin for GET but not in the key.
	authz := filepath.Join(dir, "authz.toml")
	os.WriteFile(authz, []byte("[[distribution]]\nid = \"E1\"\n[[distribution.origin]]\nid = \"o\"\nkind = \"dir\"\npath = \".\"\n"+
		"[distribution.default_behavior]\ntarget_origin_id = \"o\"\ncache_policy = \"CachingOptimized\"\norigin_request_policy = \"AllViewer\"\n"), 0o644)
	out.Reset()
	errb.Reset()
	if code := run([]string{"validate", "-config", authz}, &out, &errb); code != 0 ||
		!bytes.Contains(errb.Bytes(), []byte("warning: distribution[0].default_behavior")) || !bytes.Contains(errb.Bytes(), []byte("Authorization")) {
		t.Errorf("Authorization forwarded but not keyed: exit %d, stderr %q", code, errb.String())
	}
}

// TestExamplesValidate: every example config in examples/ loads, validates and builds.
func TestExamplesValidate(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.toml")
	more, _ := filepath.Glob("../../examples/*/*.toml")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		var out, errb bytes.Buffer
		if code := run([]string{"validate", "-config", f}, &out, &errb); code != 0 {
			t.Errorf("%s: exit %d\n%s", f, code, errb.String())
		}
	}
}
