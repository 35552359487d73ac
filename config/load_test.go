package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// base is a valid distribution that the decoding tests append keys to.
const base = `
[[distribution]]
id = "E1"
[[distribution.origin]]
id = "o"
kind = "dir"
path = "www"
[distribution.default_behavior]
target_origin_id = "o"
`

// parseErrors parses doc and returns its Errors, failing the test if there are none.
func parseErrors(t *testing.T, doc string) Errors {
	t.Helper()
	c, err := Parse([]byte(doc), "t.toml")
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse() error = %v (%T), want Errors", err, err)
	}
	if c != nil {
		t.Errorf("Parse() returned a config along with errors")
	}
	return es
}

func paths(es Errors) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"top level", "lissten = 1\n" + base, []string{"lissten"}},
		{"in table", "[server]\nlissten = \"x\"\n" + base, []string{"server.lissten"}},
		{"in array of tables, with indices", base + `
[[distribution.behavior]]
path_pattern = "/a"
target_origin_id = "o"
[[distribution.behavior]]
path_pattern = "/b"
target_origin_id = "o"
[[distribution.behavior]]
path_patern = "/c"
target_origin_id = "o"
`, []string{"distribution[0].behavior[2].path_patern", "distribution[0].behavior[2].path_pattern"}},
		{"second distribution", base + `
[[distribution]]
id = "E2"
colour = "red"
[[distribution.origin]]
id = "o"
kind = "dir"
path = "www"
[distribution.default_behavior]
target_origin_id = "o"
`, []string{"distribution[1].colour"}},
		{"unknown table reported once", "[extra]\na = 1\nb = 2\n" + base, []string{"extra"}},
		{"inline table", base + "[[cache_policy]]\nname = \"p\"\nheaders = { behaviour = \"none\" }\n",
			[]string{"cache_policy[0].headers.behaviour"}},
		{"quoted key", "\"odd key\" = 1\n" + base, []string{`"odd key"`}},
		{"field name instead of tag", "[server]\nAPIListen = \"x:1\"\n" + base, []string{"server.APIListen"}},
		{"in document order", "zzz = 1\naaa = 2\n" + base, []string{"zzz", "aaa"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.doc)
			got := paths(es)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("error paths = %q, want %q\n%v", got, tt.want, es)
			}
			for _, e := range es {
				if e.Msg != "unknown key" && !strings.HasSuffix(e.Path, "path_pattern") {
					t.Errorf("%s: msg %q, want \"unknown key\"", e.Path, e.Msg)
				}
			}
		})
	}
}

func TestTypeErrors(t *testing.T) {
	tests := []struct {
		name, doc, path, msg string
	}{
		{"string for int", base + "[[distribution.origin]]\nid = \"h\"\nkind = \"http\"\ndomain_name = \"x\"\nhttp_port = \"80\"\n",
			"distribution[0].origin[1].http_port", `must be an integer, not string "80"`},
		{"int for string", "[server]\nlisten = 8080\n" + base, "server.listen", "must be a string, not integer 8080"},
		{"bad size", "[cache]\nmemory = \"lots\"\n" + base, "cache.memory", `invalid size "lots"`},
		{"negative size", "[cache]\nmemory = -5\n" + base, "cache.memory", `invalid size "-5": negative`},
		{"bad duration", "[server]\nread_timeout = \"1 minute\"\n" + base, "server.read_timeout", `invalid duration "1 minute"`},
		{"bool for size", "[cache]\nmemory = true\n" + base, "cache.memory", "must be a size"},
		{"table for array", "[distribution]\nid = \"x\"\n", "distribution", "must be an array of tables, not table"},
		{"string for array", base + "[[distribution.behavior]]\nallowed_methods = \"GET\"\n",
			"distribution[0].behavior[0].allowed_methods", "must be an array of strings"},
		{"int in string array", base + "[[distribution.behavior]]\nallowed_methods = [\"GET\", 1]\n",
			"distribution[0].behavior[0].allowed_methods[1]", "must be a string, not integer 1"},
		{"datetime", "[server]\npop = 2024-01-01\n" + base, "server.pop", "not datetime"},
		{"bool for pointer int", base + "[[distribution.behavior]]\nmin_ttl = true\n", "distribution[0].behavior[0].min_ttl", "must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.doc)
			for _, e := range es {
				if e.Path == tt.path {
					if !strings.Contains(e.Msg, tt.msg) {
						t.Errorf("%s: msg %q, want it to contain %q", e.Path, e.Msg, tt.msg)
					}
					return
				}
			}
			t.Errorf("no error at %s:\n%v", tt.path, es)
		})
	}
	// Type errors and unknown keys come together, in document order.
	es := parseErrors(t, "[server]\nlisten = 1\nbogus = 2\n[cache]\nmemory = \"x\"\n"+base)
	if got, want := paths(es), []string{"server.listen", "server.bogus", "cache.memory"}; !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %q, want %q", got, want)
	}
}

func TestSyntaxErrors(t *testing.T) {
	// Positions are the TOML decoder's (line and column where it noticed the problem).
	tests := []struct {
		name, doc, path, msg string
	}{
		{"missing value", "[server]\nlisten = \n", "t.toml:2:10", "expected value"},
		{"unterminated string", "[server]\npop = \"abc\n", "t.toml:2:11", "strings cannot contain newlines"},
		{"duplicate key", "[server]\npop = \"A\"\npop = \"B\"\n", "t.toml:3:11", "already been defined"},
		{"bad table header", "[server\n", "t.toml:2:8", "to end table name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.doc)
			if len(es) != 1 || es[0].Path != tt.path || !strings.Contains(es[0].Msg, tt.msg) {
				t.Errorf("got %q, want one error at %s containing %q", es, tt.path, tt.msg)
			}
		})
	}
	_, err := Parse([]byte("a = "), "")
	if err == nil || !strings.HasPrefix(err.Error(), "line 1, column 4: ") {
		t.Errorf("unnamed syntax error = %v, want a \"line 1, column 5: \" prefix", err)
	}
}

func TestParseCollectsUnknownAndValidationErrors(t *testing.T) {
	es := parseErrors(t, base+"[[distribution.behavior]]\npath_patern = \"/x\"\ntarget_origin_id = \"o\"\n")
	want := []string{"distribution[0].behavior[0].path_patern", "distribution[0].behavior[0].path_pattern"}
	if got := paths(es); !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %q, want %q", got, want)
	}
}

func TestLoadResolvesDirPaths(t *testing.T) {
	dir := t.TempDir()
	doc := base + "[[distribution.origin]]\nid = \"abs\"\nkind = \"dir\"\npath = \"/srv/abs\"\n"
	file := filepath.Join(dir, "edge.toml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	origins := c.Distributions[0].Origins
	if got, want := origins[0].Path, filepath.Join(dir, "www"); got != want {
		t.Errorf("relative path = %q, want %q", got, want)
	}
	if got := origins[1].Path; got != "/srv/abs" {
		t.Errorf("absolute path = %q, want it unchanged", got)
	}
	// Parse leaves paths as written.
	c, err = Parse([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Distributions[0].Origins[0].Path; got != "www" {
		t.Errorf("Parse changed the path to %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	file := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(file, []byte("[server\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(file)
	var es Errors
	if !errors.As(err, &es) || !strings.HasPrefix(es[0].Path, file+":2:8") {
		t.Errorf("Load(bad) = %v, want a syntax error naming %s", err, file)
	}
}

func TestDefaultConfig(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("Default() = %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if c.Server.Listen != "127.0.0.1:8080" || c.Server.APIListen != "127.0.0.1:8081" {
		t.Errorf("listeners = %q, %q", c.Server.Listen, c.Server.APIListen)
	}
	d := c.Distribution("EDFDVBD6EXAMPLE")
	if d == nil {
		t.Fatal("no distribution EDFDVBD6EXAMPLE")
	}
	if d.DomainName != "d111111abcdef8.cloudfront.net" || !reflect.DeepEqual(d.Aliases, []string{"localhost", "127.0.0.1"}) ||
		d.DefaultRootObject != "index.html" {
		t.Errorf("distribution = %q %q %q", d.DomainName, d.Aliases, d.DefaultRootObject)
	}
	local, ok := d.OriginByID("local")
	if !ok || local.Kind != KindDir || local.Path != "testdata/www" {
		t.Errorf("origin local = %+v", local)
	}
	media, ok := d.OriginByID("media")
	if !ok || media.Kind != KindDir || media.Path != "testdata/media" {
		t.Errorf("origin media = %+v", media)
	}
	if len(d.Behaviors) != 1 || d.Behaviors[0].PathPattern != "/demo/*" || !d.Behaviors[0].SmoothStreaming ||
		d.Behaviors[0].TargetOriginID != "media" {
		t.Errorf("behaviors = %+v", d.Behaviors)
	}
	if d.DefaultBehavior.TargetOriginID != "local" {
		t.Errorf("default behavior targets %q", d.DefaultBehavior.TargetOriginID)
	}
	if c.API.Auth != "sigv4" || len(c.API.Keys) != 1 || c.API.Keys[0].AccessKeyID != "AKIAEDGEDEVEXAMPLE01" ||
		c.API.Keys[0].SecretAccessKey != "edgeDevSecretKeyDoNotUseInProduction0001" {
		t.Errorf("api = %+v", c.API)
	}
	if !strings.Contains(string(DefaultTOML()), "DEVELOPMENT-ONLY KEY") {
		t.Error("the development key is not marked as such in default.toml")
	}
	// Each call returns its own copy.
	c.Distributions[0].ID = "changed"
	if again, _ := Default(); again.Distributions[0].ID != "EDFDVBD6EXAMPLE" {
		t.Error("Default() shares state between calls")
	}
}

func TestLookups(t *testing.T) {
	c := fullConfig(t)
	if c.Distribution("E2TESTDIST0002") != &c.Distributions[1] {
		t.Error("Distribution(E2TESTDIST0002) is not the second distribution")
	}
	if c.Distribution("nope") != nil || (*Config)(nil).Distribution("x") != nil {
		t.Error("Distribution of an unknown id is not nil")
	}
	d := c.Distribution("E1TESTDIST0001")
	if o, ok := d.OriginByID("bucket"); !ok || o != &d.Origins[1] {
		t.Errorf("OriginByID(bucket) = %v, %v", o, ok)
	}
	if _, ok := d.OriginByID("failover"); ok {
		t.Error("OriginByID found an origin group")
	}
	if g, ok := d.OriginGroupByID("failover"); !ok || g != &d.OriginGroups[0] {
		t.Errorf("OriginGroupByID(failover) = %v, %v", g, ok)
	}
	if _, ok := d.OriginGroupByID("web"); ok {
		t.Error("OriginGroupByID found an origin")
	}
	var nd *Distribution
	if _, ok := nd.OriginByID("x"); ok {
		t.Error("nil distribution found an origin")
	}
	if _, ok := nd.OriginGroupByID("x"); ok {
		t.Error("nil distribution found a group")
	}
}

// TestDiskTierConfig: the disk tier's folder is relative to the config file, and its largest
// object defaults to an eighth of its size.
func TestDiskTierConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.toml")
	toml := "[cache]\ndisk_path = \"cache\"\ndisk_size = \"8GiB\"\n[[distribution]]\nid = \"E1\"\n[[distribution.origin]]\nid = \"o\"\nkind = \"http\"\ndomain_name = \"example.com\"\n[distribution.default_behavior]\ntarget_origin_id = \"o\"\n"
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cache.DiskPath != filepath.Join(dir, "cache") || c.Cache.DiskMaxObjectSize != GiB {
		t.Fatalf("disk_path %q, disk_max_object_size %s", c.Cache.DiskPath, c.Cache.DiskMaxObjectSize)
	}
}
