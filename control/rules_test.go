package control

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/config"
)

// testRules compiles a distribution whose behaviors have the patterns pats ("S:" marks one with
// Smooth Streaming on), in order, and whose default behavior has Smooth Streaming set to def.
func testRules(t testing.TB, def bool, pats ...string) *rules {
	t.Helper()
	d := &config.Distribution{ID: "E1", DefaultBehavior: config.Behavior{TargetOriginID: "o", SmoothStreaming: def}}
	for _, p := range pats {
		smooth := strings.HasPrefix(p, "S:")
		d.Behaviors = append(d.Behaviors, config.Behavior{PathPattern: strings.TrimPrefix(p, "S:"),
			TargetOriginID: "o", SmoothStreaming: smooth})
	}
	r, err := newRules(&config.Config{}, d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSmoothMedia(t *testing.T) {
	// "/live/x.ism*" (Smooth off) shadows the Smooth "/live/*" for its own paths.
	b := testRules(t, false, "/live/x.ism*", "S:/live/*", "S:*.ismv", "/plain/*")
	tests := []struct {
		path string
		want bool
	}{
		{"/live/a.ism", true},
		{"/live/a.ismc", true},
		{"/live/a.ismv", true},
		{"/live/a.isma", true},
		{"/live/a.ISMV", true},
		{"/live/a.ism/Manifest", true},
		{"/live/a.Ism/QualityLevels(1)/Fragments(video=0)", true},
		{"/live/a.ism.txt", false},
		{"/live/a.mp4", false},
		{"/live/ism", false},
		{"/live/x.ism", false}, // first match: the non-Smooth behavior
		{"/anywhere/else.ismv", true},
		{"/anywhere/else.ism", false}, // default behavior: Smooth off
		{"/plain/a.ismv", true},       // "*.ismv" comes before "/plain/*"
		{"", false},
	}
	for _, tt := range tests {
		if got := b.smoothMedia(tt.path); got != tt.want {
			t.Errorf("smoothMedia(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	none := testRules(t, false, "/a/*")
	if none.smoothMedia("/a/x.ismv") {
		t.Error("smoothMedia true in a distribution without Smooth behaviors")
	}
	all := testRules(t, true)
	if !all.smoothMedia("/x.ismv") || all.smoothMedia("/x.mp4") {
		t.Error("Smooth default behavior misclassified")
	}
}

func TestPrefixCompatible(t *testing.T) {
	tests := []struct {
		pat, prefix string
		want        bool
	}{
		{"/video/*", "/", true},
		{"/video/*", "/vi", true},
		{"/video/*", "/video/", true},
		{"/video/*", "/video/a/b", true},
		{"/video/*", "/videos", false},
		{"/video/*", "/img/", false},
		{"video/*", "/video/x", true}, // leading "/" optional
		{"/video/*", "video/x", true},
		{"/v?deo/*", "/vXdeo/a", true},
		{"/v?deo/*", "/vXdeX", false},
		{"*.ismv", "/anything/at/all", true},
		{"/a.ismv", "/a.ismv", true},
		{"/a.ismv", "/a.ismvx", false},
		{"/a", "/ab", false},
		{"/ab", "/a", true},
		{"*", "/", true},
	}
	for _, tt := range tests {
		if got := prefixCompatible(tt.pat, tt.prefix); got != tt.want {
			t.Errorf("prefixCompatible(%q, %q) = %v, want %v", tt.pat, tt.prefix, got, tt.want)
		}
	}
}

func TestPlanBatch(t *testing.T) {
	b := testRules(t, false, "S:/video/*", "/static/*")
	tests := []struct {
		paths         []string
		plain, except []string
		refused       bool
	}{
		{paths: []string{"/a", "/static/*"}, plain: []string{"/a", "/static/*"}},
		{paths: []string{"/*"}, except: []string{"/*"}},
		{paths: []string{"/v*"}, except: []string{"/v*"}},
		{paths: []string{"/video/*"}, except: []string{"/video/*"}},
		{paths: []string{"/video/a.ism*"}, except: []string{"/video/a.ism*"}},
		{paths: []string{"/x*"}, plain: []string{"/x*"}},
		{paths: []string{"/video/a.txt"}, plain: []string{"/video/a.txt"}},
		{paths: []string{"/q.jpg?a=*"}, plain: []string{"/q.jpg"}},
		{paths: []string{"/a%20b"}, plain: []string{"/a%20b", "/a b"}},
		{paths: []string{"/video/a.ism/*"}, refused: true},
		{paths: []string{"/a", "/video/a.ismv"}, refused: true},
		{paths: []string{"/video/a.ismv?v=2"}, refused: true},
	}
	for _, tt := range tests {
		pl, aerr := b.planBatch(tt.paths)
		if tt.refused {
			if aerr == nil || aerr.code != CodeInvalidArgument {
				t.Errorf("planBatch(%q) = %+v, want InvalidArgument", tt.paths, pl)
			}
			continue
		}
		if aerr != nil || !slices.Equal(pl.plain, tt.plain) || !slices.Equal(pl.except, tt.except) {
			t.Errorf("planBatch(%q) = plain %q except %q (%v), want %q %q", tt.paths, pl.plain, pl.except, aerr, tt.plain, tt.except)
		}
	}
}

func TestCheckPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"/", true},
		{"/*", true},
		{"/images/*", true},
		{"/images*", true},
		{"/a.jpg?x=1", true},
		{"/ünïcode", true},
		{"/" + strings.Repeat("é", MaxPathLen-1), true}, // 4,000 characters, more bytes
		{"/" + strings.Repeat("a", MaxPathLen), false},
		{"", false},
		{"a", false},
		{"*", false},
		{"/*/a", false},
		{"/a**", false},
		{"/a\nb", false},
		{"/a\x7f", false},
	}
	for _, tt := range tests {
		if got := checkPath(tt.path) == ""; got != tt.ok {
			t.Errorf("checkPath(%q): ok %v, want %v (%s)", clip(tt.path, 20), got, tt.ok, checkPath(tt.path))
		}
	}
}

func TestCheckCallerRef(t *testing.T) {
	tests := []struct {
		ref string
		ok  bool
	}{
		{"deploy-42", true},
		{"déploiement 42", true},
		{strings.Repeat("r", maxCallerRefBytes), true},
		{strings.Repeat("r", maxCallerRefBytes+1), false},
		{"", false},
		{"deploy\t42", false},
		{"deploy\n42", false},
		{"deploy\x7f", false},
	}
	for _, tt := range tests {
		if got := checkCallerRef(tt.ref) == ""; got != tt.ok {
			t.Errorf("checkCallerRef(%q): ok %v, want %v (%s)", clip(tt.ref, 20), got, tt.ok, checkCallerRef(tt.ref))
		}
	}
}

func TestCacheForms(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"/a", []string{"/a"}},
		{"/a*", []string{"/a*"}},
		{"/a?x=1", []string{"/a"}},
		{"/a?x=*", []string{"/a"}},
		{"/caf%C3%A9", []string{"/caf%C3%A9", "/café"}},
		{"/x%2*", []string{"/x%2*"}},
		{"/100%", []string{"/100%"}},
		// An encoded "*" is a character of the name: its decoded form is kept from being a
		// wildcard by becoming the prefix of itself.
		{"/x%2A", []string{"/x%2A", "/x**"}},
		{"/x%2a?v=1", []string{"/x%2a", "/x**"}},
		{"/x%2A*", []string{"/x%2A*", "/x**"}},
		{"/a%2Ab", []string{"/a%2Ab", "/a*b"}},
	}
	for _, tt := range tests {
		if got := cacheForms(tt.path); !slices.Equal(got, tt.want) {
			t.Errorf("cacheForms(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestParseMaxItems(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"", 100, true}, {"1", 1, true}, {"1000", 1000, true}, {"5000", 1000, true},
		{"99999999999999999999999", 1000, true}, {"0", 0, false}, {"-1", 0, false}, {"x", 0, false}, {"1.5", 0, false},
	}
	for _, tt := range tests {
		got, aerr := parseMaxItems([]byte(tt.in))
		if (aerr == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseMaxItems(%q) = %d, %v; want %d ok=%v", tt.in, got, aerr, tt.want, tt.ok)
		}
	}
}

func TestInvalidationIDs(t *testing.T) {
	taken := map[string]*invalidation{}
	for range 1000 {
		id := newInvalidationID(taken)
		if !idShape.MatchString(id) {
			t.Fatalf("id %q", id)
		}
		if taken[id] != nil {
			t.Fatalf("duplicate id %q", id)
		}
		taken[id] = &invalidation{}
	}
}

func TestRecordsPage(t *testing.T) {
	r := newRecords()
	t0 := time.Unix(1e9, 0)
	for i, id := range []string{"I1", "I2", "I3"} {
		r.add(&invalidation{id: id, callerRef: id, created: t0, done: t0.Add(time.Duration(i) * time.Second)}, t0, 100, 1<<20)
	}
	got, more, _ := r.page("", 2)
	if len(got) != 2 || got[0].id != "I3" || got[1].id != "I2" || !more {
		t.Errorf("first page: %v more %v", got, more)
	}
	got, more, _ = r.page("I2", 2)
	if len(got) != 1 || got[0].id != "I1" || more {
		t.Errorf("second page: %v more %v", got, more)
	}
	got, more, _ = r.page("I1", 2)
	if len(got) != 0 || more {
		t.Errorf("after the last: %v more %v", got, more)
	}
	if _, _, aerr := r.page("I9", 2); aerr == nil {
		t.Error("unknown marker accepted")
	}
	exact, wild, batches := r.inProgress(t0)
	if exact != 0 || wild != 0 || batches != 2 { // I2 and I3 finish later
		t.Errorf("inProgress = %d %d %d", exact, wild, batches)
	}
}

func FuzzParseBatch(f *testing.F) {
	f.Add([]byte(batchXML(2, "r", "/a", "/b*")))
	f.Add([]byte(batchXML(1, "r", "a")))
	f.Add([]byte(`<InvalidationBatch xmlns="` + Namespace + `"><Paths><Quantity>x</Quantity></Paths></InvalidationBatch>`))
	f.Add([]byte("<a><b></a>"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, aerr := parseBatch(body)
		if aerr != nil {
			if aerr.status < 400 || aerr.code == "" || aerr.message == "" {
				t.Errorf("malformed error %+v", aerr)
			}
			return
		}
		if b.callerRef == "" || len(b.paths) == 0 || len(b.paths) > MaxBatchPaths {
			t.Errorf("accepted batch %+v", b)
		}
		for _, p := range b.paths {
			if why := checkPath(p); why != "" {
				t.Errorf("accepted path %q: %s", p, why)
			}
		}
	})
}

// FuzzPrefixCompatible checks soundness: whenever a pattern matches prefix+suffix,
// prefixCompatible(pattern, prefix) must be true.
func FuzzPrefixCompatible(f *testing.F) {
	f.Add("/video/*", "/vid", "eo/a.ismv")
	f.Add("*.ismv", "/a/b", ".ismv")
	f.Add("/a?c/*", "/abc", "/x")
	f.Fuzz(func(t *testing.T, pat, prefix, suffix string) {
		p, err := behavior.CompilePattern(pat)
		if err != nil {
			return
		}
		if p.Match([]byte(prefix+suffix)) && !prefixCompatible(pat, prefix) {
			t.Errorf("%q matches %q but prefixCompatible(%q, %q) is false", pat, prefix+suffix, pat, prefix)
		}
	})
}

func BenchmarkSmoothMedia(b *testing.B) {
	t := testRules(b, false, "/api/*", "/static/*", "S:/video/*")
	paths := []string{
		"/video/demo.ism/QualityLevels(300000)/Fragments(video=20000000)",
		"/static/js/app.4f3c2a.js",
		"/video/poster.jpg",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t.smoothMedia(paths[i%len(paths)])
	}
}

func BenchmarkParseBatch(b *testing.B) {
	body := []byte(batchXML(3, "ref", "/index.html", "/img/*", "/a/b/c.js"))
	b.ReportAllocs()
	for b.Loop() {
		if _, aerr := parseBatch(body); aerr != nil {
			b.Fatal(aerr)
		}
	}
}

// TestSmoothMediaAllocatesNothing: the exclusion predicate runs on cache lookups, so it must not
// allocate, also for paths longer than the compiler's 32-byte stack buffer.
func TestSmoothMediaAllocatesNothing(t *testing.T) {
	r := testRules(t, false, "/api/*", "/static/*", "S:/video/*")
	paths := []string{
		"/video/demo.ism/QualityLevels(300000)/Fragments(video=20000000)",
		"/static/js/app.4f3c2a.js" + strings.Repeat("/x", 100),
		"/video/poster.jpg",
		"/" + strings.Repeat("long/", 200) + "a.ismv",
	}
	for _, p := range paths {
		if a := testing.AllocsPerRun(100, func() { r.smoothMedia(p) }); a != 0 {
			t.Errorf("smoothMedia(%.40q…): %v allocs, want 0", p, a)
		}
	}
}

// TestRootForms: "/" also stands for the default root object's path, unless that object is
// Smooth media of a Smooth behavior (never invalidated) or there is none.
func TestRootForms(t *testing.T) {
	withRoot := func(root string, def bool, pats ...string) *rules {
		r := testRules(t, def, pats...)
		if root != "" {
			r.rootPath = "/" + root
		}
		return r
	}
	tests := []struct {
		name string
		r    *rules
		path string
		want []string
	}{
		{"root object", withRoot("index.html", false), "/", []string{"/", "/index.html"}},
		{"root with query", withRoot("index.html", false), "/?a=1", []string{"/", "/index.html"}},
		{"nested root object", withRoot("app/main.html", false), "/", []string{"/", "/app/main.html"}},
		{"no root object", withRoot("", false), "/", []string{"/"}},
		{"other path", withRoot("index.html", false), "/index.htm", []string{"/index.htm"}},
		{"wildcard", withRoot("index.html", false), "/*", []string{"/*"}},
		{"Smooth root object", withRoot("show.ismv", false, "S:*.ismv"), "/", []string{"/"}},
		{"root object under a non-Smooth behavior", withRoot("show.ismv", false, "S:/video/*"), "/", []string{"/", "/show.ismv"}},
	}
	for _, tt := range tests {
		if got := tt.r.cacheForms(tt.path); !slices.Equal(got, tt.want) {
			t.Errorf("%s: cacheForms(%q) = %q, want %q", tt.name, tt.path, got, tt.want)
		}
	}
}

// TestRecordsAdd: Completed invalidations beyond the count or byte bound go, oldest first;
// InProgress ones and the newest Completed one always stay.
func TestRecordsAdd(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	mk := func(id string, pathBytes int, done time.Duration) *invalidation {
		b := batch{callerRef: id, paths: []string{"/" + strings.Repeat("p", pathBytes-1)}}
		return newInvalidation(id, &b, t0, t0.Add(done))
	}
	tests := []struct {
		name        string
		keep, bytes int
		add         []*invalidation
		want        []string // ids kept, oldest first
	}{
		{"under both bounds", 10, 1 << 20, []*invalidation{mk("I1", 10, 0), mk("I2", 10, 0)}, []string{"I1", "I2"}},
		{"count", 2, 1 << 20, []*invalidation{mk("I1", 10, 0), mk("I2", 10, 0), mk("I3", 10, 0)}, []string{"I2", "I3"}},
		{"bytes", 10, 40, []*invalidation{mk("I1", 20, 0), mk("I2", 20, 0), mk("I3", 20, 0)}, []string{"I3"}},
		{"newest kept however large", 10, 50, []*invalidation{mk("I1", 10, 0), mk("I2", 500, 0)}, []string{"I2"}},
		{"in progress kept", 1, 1 << 20, []*invalidation{mk("I1", 10, time.Hour), mk("I2", 10, 0), mk("I3", 10, 0)}, []string{"I1", "I3"}},
	}
	for _, tt := range tests {
		r := newRecords()
		for _, v := range tt.add {
			r.add(v, t0, tt.keep, tt.bytes)
		}
		var got []string
		for _, v := range r.list {
			got = append(got, v.id)
		}
		if !slices.Equal(got, tt.want) || len(r.byID) != len(tt.want) || len(r.byRef) != len(tt.want) {
			t.Errorf("%s: kept %q (%d by id, %d by ref), want %q", tt.name, got, len(r.byID), len(r.byRef), tt.want)
		}
	}
	// A batch's paths come back as sent.
	paths := []string{"/a", "/b*", "/c?x=1", "/a"}
	v := newInvalidation("I", &batch{callerRef: "r", paths: paths}, t0, t0)
	if got := v.pathList(); !slices.Equal(got, paths) || v.count != 4 || v.wildcards != 1 {
		t.Errorf("pathList = %q (count %d, wildcards %d), want %q", got, v.count, v.wildcards, paths)
	}
}
