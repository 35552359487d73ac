package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadFunctionFiles(t *testing.T) {
	c, err := Load("testdata/good/functions.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	spa, ok := c.FunctionByName("spa")
	if !ok {
		t.Fatal("no function spa")
	}
	if want := filepath.Join(dir, "functions", "spa.js"); spa.CodeFile != want {
		t.Errorf("CodeFile = %q, want %q", spa.CodeFile, want)
	}
	want, err := os.ReadFile("testdata/good/functions/spa.js")
	if err != nil {
		t.Fatal(err)
	}
	if string(spa.Code) != string(want) {
		t.Errorf("Code = %q, want the file's contents", spa.Code)
	}
	if spa.Runtime != RuntimeJS20 || spa.KeyValueStoreName() != "routes" {
		t.Errorf("runtime %q, store %q", spa.Runtime, spa.KeyValueStoreName())
	}
	if h, _ := c.FunctionByName("security_headers"); h.Runtime != RuntimeJS10 || h.KeyValueStoreName() != "" || len(h.Code) == 0 {
		t.Errorf("security_headers = %+v", h)
	}

	s, ok := c.KeyValueStoreByName(spa.KeyValueStoreName())
	if !ok {
		t.Fatal("no store routes")
	}
	if want := filepath.Join(dir, "kvs", "routes.json"); s.DataFile != want {
		t.Errorf("DataFile = %q, want %q", s.DataFile, want)
	}
	wantData := []KeyValue{
		{"/app/old", "/app/new/index.html"},
		{"/app/about-us", "/app/about/index.html"},
		{"/app/émoji", `{"json": "text is fine"}`},
	}
	if !reflect.DeepEqual(s.Data, wantData) {
		t.Errorf("Data = %q, want %q", s.Data, wantData)
	}

	d := &c.Distributions[0]
	if got := d.Behaviors[0].FunctionFor(EventViewerRequest); got != "spa" {
		t.Errorf("behavior[0] viewer-request = %q", got)
	}
	if got := d.Behaviors[0].FunctionFor(EventViewerResponse); got != "security_headers" {
		t.Errorf("behavior[0] viewer-response = %q", got)
	}
	if got := d.DefaultBehavior.FunctionFor(EventViewerRequest); got != "" {
		t.Errorf("default viewer-request = %q, want none", got)
	}
	if c.FunctionCodePath(0) != "function[0].code_file" || fullConfig(t).FunctionCodePath(1) != "function[1].code" {
		t.Errorf("FunctionCodePath = %q", c.FunctionCodePath(0))
	}
	if _, ok := c.FunctionByName("nope"); ok {
		t.Error("FunctionByName found an unknown name")
	}
	var nilConfig *Config
	if _, ok := nilConfig.KeyValueStoreByName("routes"); ok {
		t.Error("lookup on a nil Config")
	}
}

// Parse resolves files against the working directory; Load against the file's directory,
// wherever the process runs.
func TestFunctionFilesRelativeTo(t *testing.T) {
	doc := `
[[function]]
name = "f"
code_file = "testdata/good/functions/headers.js"
[[key_value_store]]
name = "s"
data_file = "testdata/good/kvs/routes.json"
[[distribution]]
id = "E1"
[[distribution.origin]]
id = "o"
kind = "dir"
path = "/srv"
[distribution.default_behavior]
target_origin_id = "o"
[[distribution.default_behavior.function_association]]
event_type = "viewer-response"
function = "f"
`
	c, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Functions[0].CodeFile != "testdata/good/functions/headers.js" || len(c.Functions[0].Code) == 0 ||
		len(c.KeyValueStores[0].Data) != 3 {
		t.Errorf("Parse: %+v %+v", c.Functions[0], c.KeyValueStores[0])
	}

	// The same document in another directory: Load looks beside it, where nothing is.
	file := filepath.Join(t.TempDir(), "edge.toml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(file)
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 || es[0].Path != "function[0].code_file" || es[1].Path != "key_value_store[0].data_file" ||
		!strings.Contains(es[0].Msg, filepath.Join(filepath.Dir(file), "testdata/good/functions/headers.js")) {
		t.Errorf("Load elsewhere = %v, want the two files missing beside %s", err, file)
	}
}

func TestFunctionDefaults(t *testing.T) {
	c := &Config{Functions: []Function{{Name: "f", InlineCode: "function handler(e) { return e.request; }"}}}
	c.ApplyDefaults()
	if c.Functions[0].Runtime != DefaultFunctionRuntime || DefaultFunctionRuntime != "cloudfront-js-2.0" {
		t.Errorf("runtime = %q", c.Functions[0].Runtime)
	}
}

func TestValidateFunctions(t *testing.T) {
	big := strings.Repeat("x", MaxFunctionCodeSize+1)
	runValidateCases(t, false, []validateCase{
		{"long name", func(c *Config) {
			c.Functions[1].Name = strings.Repeat("a", 65)
			c.Distributions[0].Behaviors[2].FunctionAssociations = nil
			c.Distributions[0].DefaultBehavior.FunctionAssociations = c.Distributions[0].DefaultBehavior.FunctionAssociations[:1]
		}, "function[1].name", "1 to 64"},
		{"runtime", func(c *Config) { c.Functions[0].Runtime = "cloudfront-js-3.0" }, "function[0].runtime", "cloudfront-js-2.0 or cloudfront-js-1.0"},
		{"inline code too large", func(c *Config) { c.Functions[0].InlineCode = big }, "function[0].code", "is 10241 bytes"},
		{"loaded code too large", func(c *Config) {
			c.Functions[0].InlineCode, c.Functions[0].Code = "", []byte(big)
		}, "function[0].code", "at most 10240 bytes"},
		{"no code", func(c *Config) { c.Functions[0].InlineCode, c.Functions[0].Code = "", nil }, "function[0].code", "one of code"},
		{"both", func(c *Config) { c.Functions[0].CodeFile = "x.js" }, "function[0].code_file", "cannot be set together with code"},
		{"two stores", func(c *Config) {
			c.Functions[0].KeyValueStores = NameList{"routes", "routes"}
		}, "function[0].key_value_store", "at most 1 key value store, got 2"},
		{"unknown store", func(c *Config) { c.Functions[0].KeyValueStores = NameList{"nope"} }, "function[0].key_value_store", `"nope" is not the name`},
		{"empty store name", func(c *Config) { c.Functions[0].KeyValueStores = NameList{""} }, "function[0].key_value_store", "must be the name"},
		{"store on 1.0", func(c *Config) { c.Functions[1].KeyValueStores = NameList{"routes"} }, "function[1].key_value_store", "needs runtime cloudfront-js-2.0"},

		{"store name chars", func(c *Config) {
			c.KeyValueStores = append(c.KeyValueStores, KeyValueStore{Name: "é"})
		}, "key_value_store[1].name", "letters, digits"},
		{"duplicate store", func(c *Config) {
			c.KeyValueStores = append(c.KeyValueStores, KeyValueStore{Name: "routes"})
		}, "key_value_store[1].name", `duplicate key value store name "routes"`},
		{"store comment", func(c *Config) { c.KeyValueStores[0].Comment = strings.Repeat("c", 129) }, "key_value_store[0].comment", "at most 128"},
		{"store too large", func(c *Config) {
			v := strings.Repeat("v", MaxKeyValueValueSize)
			for i := 0; i*(len(v)+8) <= MaxKeyValueStoreSize; i++ {
				c.KeyValueStores[0].Data = append(c.KeyValueStores[0].Data, KeyValue{fmt.Sprintf("%08d", i), v})
			}
		}, "key_value_store[0].data_file", "a store may hold at most 5242880 bytes"},

		{"association event", func(c *Config) {
			c.Distributions[0].Behaviors[2].FunctionAssociations[0].EventType = "origin-request"
		}, "distribution[0].behavior[2].function_association[0].event_type", "only run at viewer events"},
		{"association twice", func(c *Config) {
			c.Distributions[0].DefaultBehavior.FunctionAssociations[1].EventType = EventViewerRequest
		}, "distribution[0].default_behavior.function_association[1].event_type",
			"already associated by distribution[0].default_behavior.function_association[0]"},
		{"association function", func(c *Config) {
			c.Distributions[0].Behaviors[2].FunctionAssociations[0].Function = "missing"
		}, "distribution[0].behavior[2].function_association[0].function", `"missing" is not the name of a [[function]]`},
	})
}

// Renaming a function or store leaves its users pointing at nothing: more errors follow.
func TestValidateFunctionNames(t *testing.T) {
	runValidateCases(t, true, []validateCase{
		{"no name", func(c *Config) { c.Functions[1].Name = "" }, "function[1].name", "is required"},
		{"bad name", func(c *Config) { c.Functions[1].Name = "a/b" }, "function[1].name", "letters, digits"},
		{"duplicate name", func(c *Config) { c.Functions[1].Name = "rewrite" }, "function[1].name", `duplicate function name "rewrite" (also function[0].name)`},
		{"store name", func(c *Config) { c.KeyValueStores[0].Name = "" }, "key_value_store[0].name", "is required"},
	})
}

// A function given only Code (built in Go, not decoded from TOML) is valid.
func TestValidateFunctionCodeOnly(t *testing.T) {
	c := fullConfig(t)
	c.Functions[0].InlineCode = ""
	c.Functions[0].Code = []byte("async function handler(e) { return e.request; }")
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestKeyValueStoreErrorsAreCapped(t *testing.T) {
	c := fullConfig(t)
	for range 25 {
		c.KeyValueStores[0].Data = append(c.KeyValueStores[0].Data, KeyValue{"", "v"})
	}
	var es Errors
	if !errors.As(c.Validate(), &es) || len(es) != maxKeyValueStoreErrors+1 {
		t.Fatalf("got %d errors, want %d:\n%v", len(es), maxKeyValueStoreErrors+1, es)
	}
	if last := es[len(es)-1]; last.Path != "key_value_store[0].data_file" || last.Msg != "and 15 more problems" {
		t.Errorf("last error = %v", last)
	}
}

func TestKeyValueStoreFileLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	huge := write("huge.json", make([]byte, MaxKeyValueStoreSize+1))
	empty := write("empty.json", nil)
	unicode := write("u.json", []byte(`{"data":[{"key":"caf\u00e9","value":"\ud83d\ude00"}]}`))
	c := &Config{KeyValueStores: []KeyValueStore{{Name: "a", DataFile: huge}, {Name: "b", DataFile: empty}, {Name: "c", DataFile: unicode}}}
	c.loadFunctionFiles()
	if got := c.KeyValueStores[0].loadErrs; len(got) != 1 || !strings.Contains(got[0], "is 5242881 bytes; an import file may be at most 5242880 bytes") {
		t.Errorf("huge file: %q", got)
	}
	if got := c.KeyValueStores[1].loadErrs; len(got) != 1 || !strings.Contains(got[0], "is empty") {
		t.Errorf("empty file: %q", got)
	}
	if got := c.KeyValueStores[2].Data; !reflect.DeepEqual(got, []KeyValue{{"café", "😀"}}) {
		t.Errorf("escapes: %q", got)
	}
}

func TestNameListTOML(t *testing.T) {
	base := `
[[distribution]]
id = "E1"
[[distribution.origin]]
id = "o"
kind = "dir"
path = "/srv"
[distribution.default_behavior]
target_origin_id = "o"
[[key_value_store]]
name = "s"
[[function]]
name = "f"
code = "function handler(e) { return e.request; }"
`
	for _, tc := range []struct {
		line string
		want NameList
		err  string
	}{
		{`key_value_store = "s"`, NameList{"s"}, ""},
		{`key_value_store = ["s"]`, NameList{"s"}, ""},
		{`key_value_store = []`, NameList{}, ""},
		{`key_value_store = 5`, nil, "function[0].key_value_store: must be a string or an array of strings, not integer 5"},
		{`key_value_store = ["s", 5]`, nil, "function[0].key_value_store[1]: must be a string, not integer 5"},
	} {
		c, err := Parse([]byte(base+tc.line+"\n"), "")
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		if got := c.Functions[0].KeyValueStores; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.line, got, tc.want)
		}
	}
}
