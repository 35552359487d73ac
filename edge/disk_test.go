package edge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfedge/edge/accesslog"
	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/disk"
	"github.com/cfedge/edge/internal/testkit"
	"github.com/prometheus/client_golang/prometheus"
)

// diskConfig is baseConfig with a small memory tier (1 MiB, max_object_size 64 KiB) and a
// disk tier in dir (64 MiB, objects up to 8 MiB).
func diskConfig(dir string) string {
	cfg := strings.Replace(baseConfig(""), "memory = \"64MiB\"\nmax_object_size = \"8MiB\"\n",
		fmt.Sprintf("memory = \"1MiB\"\nmax_object_size = \"64KiB\"\ndisk_path = %q\ndisk_size = \"64MiB\"\ndisk_max_object_size = \"8MiB\"\n", dir), 1)
	if !strings.Contains(cfg, "disk_path") {
		panic("diskConfig: baseConfig's [cache] changed")
	}
	return cfg
}

// diskEdge is a test edge whose cache has a disk tier in dir, opened on the edge's clock.
type diskEdge struct {
	*testEdge
	store *cache.Store
	disk  *disk.Store
}

// startDiskEdge starts an edge on cfg (diskConfig) with its disk tier in dir; adjust may set
// more of the edge's Config. The edge, its cache and the disk tier are closed at cleanup, in
// that order, or earlier by stop.
func startDiskEdge(t *testing.T, cfg, dir string, originPort int, adjust func(*Config)) *diskEdge {
	t.Helper()
	de := &diskEdge{}
	de.testEdge = startEdgeWith(t, cfg, originPort, func(c *Config) {
		cc := c.Config.Cache
		d, err := disk.Open(disk.Config{Dir: dir, MaxBytes: int64(cc.DiskSize), MaxObjectSize: int64(cc.DiskMaxObjectSize), Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		c.Store.Close()
		st, err := cache.New(cache.Config{MaxBytes: int64(c.Config.Cache.Memory), Now: c.Now, Disk: d})
		if err != nil {
			t.Fatal(err)
		}
		c.Store, de.store, de.disk = st, st, d
		t.Cleanup(func() { d.Close() })
		t.Cleanup(st.Close)
		if adjust != nil {
			adjust(c)
		}
	})
	return de
}

// stop shuts the edge down and closes its cache and disk tier (as edge serve does on SIGTERM).
func (de *diskEdge) stop(t *testing.T) {
	t.Helper()
	if err := de.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	de.store.Close()
	if err := de.disk.Close(); err != nil {
		t.Fatal(err)
	}
}

// bigBody is a body of n bytes that differs at every offset that matters to a range.
func bigBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestDiskLargeObjectCollapsed: 50 concurrent cold viewers of an object larger than the memory
// tier holds cost one origin request and one file write, and all get the whole body; later
// hits come from the file: ranges, 304s and HEAD answered from it, and no body copied through
// Go memory.
func TestDiskLargeObjectCollapsed(t *testing.T) {
	body := bigBody(1 << 20)
	o := newTestOrigin(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	o.handle("/big.bin", func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		w.Header().Set("Cache-Control", "max-age=300")
		w.Header().Set("ETag", `"big-1"`)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	dir := t.TempDir()
	var out syncBuffer
	alog, err := accesslog.New(accesslog.Config{W: &out})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := startDiskEdge(t, diskConfig(dir), dir, o.port(), func(c *Config) { c.AccessLog, c.Metrics = alog, reg })
	ln := watchListener(t)
	go e.srv.Serve(ln)
	ev := e.via(ln)
	const n = 50
	var wg sync.WaitGroup
	open := sync.OnceFunc(func() { close(release) })
	t.Cleanup(open)
	xc := make([]string, n)
	sums := make([][32]byte, n)
	for i := range n {
		wg.Go(func() {
			r, b := ev.get(t, "/big.bin")
			xc[i], sums[i] = xcache(r), sha256.Sum256([]byte(b))
		})
	}
	waitFor(t, arrived, "the origin request")
	for i := range n {
		waitFor(t, ln.heads, fmt.Sprintf("request %d of %d at the edge", i+1, n))
	}
	open()
	wg.Wait()
	if got := o.count("/big.bin"); got != 1 {
		t.Fatalf("origin saw %d requests for %d concurrent viewers, want 1", got, n)
	}
	want := sha256.Sum256(body)
	misses := 0
	for i := range n {
		if sums[i] != want {
			t.Fatalf("viewer %d got a different body", i)
		}
		if xc[i] == "Miss from cloudfront" {
			misses++
		} else if xc[i] != "Hit from cloudfront" {
			t.Fatalf("viewer %d: X-Cache %q", i, xc[i])
		}
	}
	if misses != 1 {
		t.Fatalf("%d viewers saw a Miss, want 1", misses)
	}
	if st := e.store.DiskStats(); st.Puts != 1 {
		t.Fatalf("disk writes %d, want 1 (stats %+v)", st.Puts, st)
	}

	// Hits from the file, with no file left open whatever the answer.
	fds := openFiles(t)
	r, b := e.do(t, "GET", "/big.bin", map[string]string{"Range": "bytes=1000-1999"})
	if r.StatusCode != 206 || b != string(body[1000:2000]) || r.Header.Get("Content-Range") != "bytes 1000-1999/1048576" {
		t.Fatalf("range: %d %q, %d bytes", r.StatusCode, r.Header.Get("Content-Range"), len(b))
	}
	r, b = e.do(t, "GET", "/big.bin", map[string]string{"Range": "bytes=-10"})
	if r.StatusCode != 206 || b != string(body[len(body)-10:]) {
		t.Fatalf("suffix range: %d, %q", r.StatusCode, b)
	}
	r, b = e.do(t, "GET", "/big.bin", map[string]string{"Range": "bytes=0-1,5-6"})
	if r.StatusCode != 200 || b != string(body) {
		t.Fatalf("multiple ranges from disk: %d, %d bytes (want the whole object)", r.StatusCode, len(b))
	}
	r, _ = e.do(t, "GET", "/big.bin", map[string]string{"If-None-Match": `"big-1"`})
	if r.StatusCode != 304 || xcache(r) != "Hit from cloudfront" {
		t.Fatalf("conditional: %d %q", r.StatusCode, xcache(r))
	}
	r, b = e.do(t, "HEAD", "/big.bin", nil)
	if r.StatusCode != 200 || r.ContentLength != int64(len(body)) || b != "" {
		t.Fatalf("HEAD: %d, length %d, %d body bytes", r.StatusCode, r.ContentLength, len(b))
	}
	r, _ = e.do(t, "GET", "/big.bin", map[string]string{"Range": "bytes=2000000-"})
	if r.StatusCode != 416 {
		t.Fatalf("unsatisfiable range: %d", r.StatusCode)
	}
	for range 20 {
		e.do(t, "HEAD", "/big.bin", nil)
		e.do(t, "GET", "/big.bin", map[string]string{"If-None-Match": `"big-1"`})
	}
	viewer.CloseIdleConnections()
	if now := openFiles(t); now > fds+2 {
		t.Fatalf("%d files open after disk hits, %d before: a disk file leaked", now, fds)
	}

	for range 20 {
		if r, b := e.get(t, "/big.bin"); xcache(r) != "Hit from cloudfront" || len(b) != len(body) {
			t.Fatalf("hit: %q, %d bytes", xcache(r), len(b))
		}
	}
	if got := o.count("/big.bin"); got != 1 {
		t.Fatalf("origin saw %d requests, want 1", got)
	}
	if v := metricValue(t, reg, "edge_cache_disk_hits_total"); v < 20 {
		t.Fatalf("edge_cache_disk_hits_total %v, want ≥ 20", v)
	}
	if v := metricValue(t, reg, "edge_cache_disk_bytes"); v < float64(len(body)) {
		t.Fatalf("edge_cache_disk_bytes %v, want ≥ %d", v, len(body))
	}
	alog.Close()
	details := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		f, err := accesslog.ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		details[f["x-edge-result-type"]+"/"+f["x-edge-detailed-result-type"]]++
	}
	if details["Hit/DiskHit"] < 20 || details["Miss/Miss"] != 1 {
		t.Fatalf("access log result types %v: want disk hits logged as Hit/DiskHit", details)
	}
}

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// metricValue is the value of a registered metric without labels.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			return m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// request is a GET for uri with the distribution's Host.
func (e *testEdge) request(t *testing.T, uri string) *http.Request {
	req, err := http.NewRequest("GET", "http://"+e.addr+uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = e.host
	return req
}

// TestDiskSurvivesRestart: after the edge stops (its cache with it) and starts again on the
// same disk tier, every object it had cached is a hit at once, with its Age (including the
// time it spent on disk), ETag and body intact and no origin request; what was invalidated
// before the stop stays invalidated; and the hot objects come back from disk too (they were
// written through).
func TestDiskSurvivesRestart(t *testing.T) {
	small := strings.Repeat("s", 2000)
	big := bigBody(300 << 10)
	o := newTestOrigin(t)
	for i := range 20 {
		o.static(fmt.Sprintf("/s/%d", i), 200, map[string]string{"Cache-Control": "max-age=3600", "ETag": fmt.Sprintf(`"s%d"`, i), "Age": "5"}, small)
	}
	o.static("/big", 200, map[string]string{"Cache-Control": "max-age=3600", "ETag": `"big"`}, string(big))
	o.static("/gone", 200, map[string]string{"Cache-Control": "max-age=3600"}, "to be invalidated")
	dir := t.TempDir()
	cfg := diskConfig(dir)
	e := startDiskEdge(t, cfg, dir, o.port(), nil)
	paths := []string{"/big", "/gone"}
	for i := range 20 {
		paths = append(paths, fmt.Sprintf("/s/%d", i))
	}
	for _, p := range paths {
		if r, _ := e.get(t, p); xcache(r) != "Miss from cloudfront" {
			t.Fatalf("%s: %q", p, xcache(r))
		}
	}
	e.store.Flush()
	e.store.Invalidate(e.srv.snap.Load().dists[0].id, []string{"/gone"}, time.Time{})
	e.stop(t)
	before := o.requests()

	// Restart on the same directory, 100 s later.
	e2 := startDiskEdge(t, cfg, dir, o.port(), func(c *Config) {})
	e2.clock.Advance(100 * time.Second)
	for i := range 20 {
		r, b := e2.get(t, fmt.Sprintf("/s/%d", i))
		if xcache(r) != "Hit from cloudfront" || b != small || r.Header.Get("ETag") != fmt.Sprintf(`"s%d"`, i) {
			t.Fatalf("/s/%d after restart: %q, ETag %q, %d bytes", i, xcache(r), r.Header.Get("ETag"), len(b))
		}
		// The origin said Age 5; the clocks of both edges start at "now" (their own fake
		// clocks), so the second edge's age is at least 5 + 100.
		if age, _ := strconv.Atoi(r.Header.Get("Age")); age < 105 || age > 110 {
			t.Fatalf("/s/%d after restart: Age %d, want ≥ 105", i, age)
		}
	}
	r, b := e2.get(t, "/big")
	if xcache(r) != "Hit from cloudfront" || b != string(big) {
		t.Fatalf("/big after restart: %q, %d bytes", xcache(r), len(b))
	}
	if got := o.requests(); got != before {
		t.Fatalf("the origin saw %d requests after the restart, want 0", got-before)
	}
	if r, _ := e2.get(t, "/gone"); xcache(r) != "Miss from cloudfront" {
		t.Fatalf("/gone, invalidated before the restart: %q", xcache(r))
	}
}

// objectFiles lists the object files of a disk tier directory.
func objectFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type().IsRegular() && strings.Count(rel, string(filepath.Separator)) == 2 && !strings.HasPrefix(rel, "tmp") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDiskDamageNeverServed: a disk file truncated or removed by hand while the edge runs, and
// one bit-flipped while it is stopped, are never served: each is dropped and fetched again.
// A disk tier whose folder vanished degrades to memory only: viewers are served all the same.
func TestDiskDamageNeverServed(t *testing.T) {
	big := bigBody(200 << 10)
	o := newTestOrigin(t)
	o.static("/big", 200, map[string]string{"Cache-Control": "max-age=3600"}, string(big))
	dir := t.TempDir()
	cfg := diskConfig(dir)
	e := startDiskEdge(t, cfg, dir, o.port(), nil)
	check := func(e *diskEdge, wantOrigin int, what string) {
		t.Helper()
		r, b := e.get(t, "/big")
		if r.StatusCode != 200 || b != string(big) {
			t.Fatalf("%s: %d, %d bytes, body intact %v", what, r.StatusCode, len(b), b == string(big))
		}
		if got := o.count("/big"); got != wantOrigin {
			t.Fatalf("%s: origin saw %d requests, want %d", what, got, wantOrigin)
		}
	}
	check(e, 1, "fill")
	check(e, 1, "hit")
	files := objectFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("%d object files, want 1", len(files))
	}
	if err := os.Truncate(files[0], 150<<10); err != nil {
		t.Fatal(err)
	}
	check(e, 2, "after truncation")
	if err := os.Remove(objectFiles(t, dir)[0]); err != nil {
		t.Fatal(err)
	}
	check(e, 3, "after removal")
	e.stop(t)

	// A bit flipped in the body while the edge is down: found on the first read after start.
	f := objectFiles(t, dir)[0]
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1000] ^= 0x10
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	e2 := startDiskEdge(t, cfg, dir, o.port(), nil)
	check(e2, 4, "after a bit flip and a restart")
	if st := e2.store.DiskStats(); st.Corrupt != 1 {
		t.Fatalf("corrupt files counted %d, want 1", st.Corrupt)
	}

	// The whole folder removed: memory only, with errors counted, viewers served.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	o.static("/other", 200, map[string]string{"Cache-Control": "max-age=3600"}, string(big))
	r, b := e2.get(t, "/other")
	if r.StatusCode != 200 || !bytes.Equal([]byte(b), big) {
		t.Fatalf("with the disk gone: %d, %d bytes", r.StatusCode, len(b))
	}
	if st := e2.store.DiskStats(); st.Errors == 0 {
		t.Fatalf("no disk error counted with the folder gone: %+v", st)
	}
}

// TestSmoothFromDiskTier: the Smooth demo through an edge whose memory tier holds almost
// nothing (1 MiB, objects up to 16 KiB): every fragment is right byte for byte, the second
// pass is all hits with no origin request, and after a restart on the same disk GStreamer plays
// the presentation to the end without the origin being asked for anything.
func TestSmoothFromDiskTier(t *testing.T) {
	media, _ := filepath.Abs("../testdata/media")
	demo := filepath.Join(media, "demo")
	o := newTestOrigin(t)
	o.serveDir(media)
	dir := t.TempDir()
	cfg := mustReplace(t, smoothConfig, "memory = \"64MiB\"\nmax_object_size = \"8MiB\"\n",
		fmt.Sprintf("memory = \"1MiB\"\nmax_object_size = \"16KiB\"\ndisk_path = %q\ndisk_size = \"64MiB\"\n", dir))
	e := startDiskEdge(t, cfg, dir, o.port(), nil)
	files := map[string]struct{ name, stream string }{
		"150000": {"demo_180.ismv", "video"},
		"400000": {"demo_360.ismv", "video"},
		"64000":  {"demo_audio.isma", "audio"},
	}
	type frag struct {
		url  string
		want []byte
	}
	var frags []frag
	for bitrate, f := range files {
		data, err := os.ReadFile(filepath.Join(demo, f.name))
		if err != nil {
			t.Fatal(err)
		}
		want := fragmentRanges(t, data)
		for i, ts := range chunkTimes(t, filepath.Join(demo, "demo.ismc"), f.stream) {
			frags = append(frags, frag{fmt.Sprintf("/demo/demo.ism/QualityLevels(%s)/Fragments(%s=%d)", bitrate, f.stream, ts), want[i]})
		}
	}
	for pass := range 2 {
		before := o.requests()
		for _, f := range frags {
			r, b := e.get(t, f.url)
			if r.StatusCode != 200 || b != string(f.want) {
				t.Fatalf("pass %d %s: %d, %d bytes, want %d", pass, f.url, r.StatusCode, len(b), len(f.want))
			}
			if pass == 1 && xcache(r) != "Hit from cloudfront" {
				t.Fatalf("pass 2 %s: %q", f.url, xcache(r))
			}
		}
		if pass == 1 && o.requests() != before {
			t.Fatalf("the second pass asked the origin %d times", o.requests()-before)
		}
	}
	e.store.Flush() // the fragments memory took are written through in the background
	if st := e.store.DiskStats(); st.Objects < int64(len(frags)) {
		t.Fatalf("the disk holds %d objects for %d fragments", st.Objects, len(frags))
	}
	e.get(t, "/demo/demo.ism/Manifest")
	e.store.Flush()
	e.stop(t)

	e2 := startDiskEdge(t, cfg, dir, o.port(), nil)
	ln := watchListener(t)
	go e2.srv.Serve(ln)
	before := o.requests()
	lastVideo, _ := testkit.GstPlay(t, "http://"+ln.Addr().String()+"/demo/demo.ism/Manifest")
	if lastVideo < 9*time.Second {
		t.Errorf("played to %v of 10 s from the disk tier", lastVideo)
	}
	if n := o.requests() - before; n != 0 {
		t.Errorf("playing after the restart asked the origin %d times, want 0", n)
	}
}

// TestDiskFullStaysUnderBudget: a disk tier of 2 MiB filled with 60 objects of 100 KiB keeps
// its files under the budget (evicting), and every viewer is served whole all along.
func TestDiskFullStaysUnderBudget(t *testing.T) {
	o := newTestOrigin(t)
	bodies := map[string][]byte{}
	for i := range 60 {
		p := fmt.Sprintf("/o/%d", i)
		bodies[p] = bigBody(100<<10 + i)
		o.static(p, 200, map[string]string{"Cache-Control": "max-age=3600"}, string(bodies[p]))
	}
	dir := t.TempDir()
	cfg := mustReplace(t, diskConfig(dir), `disk_size = "64MiB"`, `disk_size = "2MiB"`)
	cfg = mustReplace(t, cfg, `disk_max_object_size = "8MiB"`, `disk_max_object_size = "1MiB"`)
	e := startDiskEdge(t, cfg, dir, o.port(), nil)
	for round := range 2 {
		for i := range 60 {
			p := fmt.Sprintf("/o/%d", i)
			r, b := e.get(t, p)
			if r.StatusCode != 200 || b != string(bodies[p]) {
				t.Fatalf("round %d %s: %d, %d bytes", round, p, r.StatusCode, len(b))
			}
		}
	}
	e.store.Flush()
	var used int64
	for _, f := range objectFiles(t, dir) {
		if fi, err := os.Stat(f); err == nil {
			used += (fi.Size() + 4095) &^ 4095
		}
	}
	st := e.store.DiskStats()
	if used > 2<<20 || st.Bytes > 2<<20 {
		t.Fatalf("the disk tier holds %d bytes of files (counted %d) over its 2 MiB budget", used, st.Bytes)
	}
	if st.Evictions+st.Rejected == 0 {
		t.Fatalf("a full disk tier neither evicted nor refused anything: %+v", st)
	}
}
