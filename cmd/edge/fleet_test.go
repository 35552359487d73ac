package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
	"github.com/cfedge/edge/internal/natstest"
)

// fleetProc is an edge serve of a fleet, started from the binary.
type fleetProc struct {
	name, cfg string
	cmd       *exec.Cmd
	viewer    string // http://127.0.0.1:PORT
	api       string
	log       *bytes.Buffer
	cf        *cloudfront.Client
}

var (
	apiLine   = regexp.MustCompile(`CloudFront API on (http://\S+)/`)
	fleetLine = regexp.MustCompile(`fleet node "[^"]+" on `)
)

// startFleetProc starts bin serve -config cfg and waits until it has joined the fleet (which
// it says once it has caught up with it, just before it serves).
func startFleetProc(t *testing.T, bin, name, cfg string) *fleetProc {
	t.Helper()
	p := &fleetProc{name: name, cfg: cfg}
	p.cmd, p.log = launch(t, bin, cfg, func(line string) bool {
		if m := viewersLine.FindStringSubmatch(line); m != nil && p.viewer == "" {
			p.viewer = m[1]
		}
		if m := apiLine.FindStringSubmatch(line); m != nil {
			p.api = m[1]
		}
		return fleetLine.MatchString(line)
	})
	if p.viewer == "" || p.api == "" {
		t.Fatalf("%s did not start; log:\n%s", name, p.log)
	}
	p.cf = cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.api),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), RetryMaxAttempts: 1})
	return p
}

// kill ends the process with SIGKILL.
func (p *fleetProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// fleetConfig is the configuration of one member: the distribution EFLEET on origin port,
// reached through the shield at shield (none when empty), in the fleet at natsURL as node.
// Bodies over 1 KiB go to the disk tier when disk is set.
func fleetConfig(t *testing.T, dir, node, natsURL, port, shield string, disk bool) string {
	sh := `origin_shield = { enabled = false, secret = "fleet-secret" }`
	if shield != "" {
		sh = fmt.Sprintf(`origin_shield = { enabled = true, address = %q, secret = "fleet-secret" }`, shield)
	}
	cache := "memory = \"8MiB\"\n"
	if !disk {
		cache += "max_object_size = \"1MiB\"\n"
	}
	if disk {
		cache += "max_object_size = \"1KiB\"\ndisk_path = \"cache-" + node + "\"\ndisk_size = \"64MiB\"\n"
	}
	toml := fmt.Sprintf(`[server]
listen = "127.0.0.1:0"
api_listen = "127.0.0.1:0"
[cache]
%s[api]
auth = "none"
invalidation_delay = "0s"
[fleet]
nats_url = %q
node = %q
invalidation_timeout = "30s"
[[distribution]]
id = "EFLEET"
aliases = ["127.0.0.1"]
[[distribution.origin]]
id = "o"
kind = "http"
domain_name = "127.0.0.1"
http_port = %s
%s
[distribution.default_behavior]
target_origin_id = "o"
`, cache, natsURL, node, port, sh)
	path := filepath.Join(dir, node+".toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFleet runs a fleet of real processes on 127.0.0.1: an embedded NATS server, a shield and
// three edges (the third with a disk tier), in front of one origin.
//   - Origin requests equal the distinct objects requested through any edge.
//   - An invalidation through edge 1 reads Completed within 1 s, and is then a Miss on all
//     three (the shield applied it too: one origin request refills them).
//   - Edge 3 killed, an object invalidated through edge 2 (pending on edge 3 until its
//     heartbeat stops), edge 3 restarted: before it serves, it applied the invalidation (a
//     Miss), while what it kept on disk is still a Hit.
//   - An API change (a cache policy) made on edge 2 is readable on edges 1 and 3.
//   - NATS killed: viewers see no error; CreateInvalidation and API changes answer 503
//     ServiceUnavailable; NATS restarted: the fleet converges, invalidations work again.
func TestFleet(t *testing.T) {
	srv := natstest.Start(t)
	origin, originReqs := diskOrigin(t)
	port := origin.URL[strings.LastIndexByte(origin.URL, ':')+1:]
	dir := t.TempDir()
	bin := buildBinary(t)
	shield := startFleetProc(t, bin, "shield", fleetConfig(t, dir, "shield", srv.URL(), port, "", false))
	shieldAddr := strings.TrimPrefix(shield.viewer, "http://")
	edges := make([]*fleetProc, 3)
	for i := range edges {
		name := fmt.Sprintf("edge%d", i+1)
		edges[i] = startFleetProc(t, bin, name, fleetConfig(t, dir, name, srv.URL(), port, shieldAddr, i == 2))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(p *fleetProc, path string) (int, string, error) {
		resp, err := client.Get(p.viewer + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode == 200 && !bytes.Equal(b, diskBody(objNum(path), 2<<10)) {
			err = fmt.Errorf("%s from %s: wrong body (%d bytes)", path, p.name, len(b))
		}
		return resp.StatusCode, resp.Header.Get("X-Cache"), err
	}
	mustXCache := func(p *fleetProc, path, want string) {
		t.Helper()
		code, xc, err := get(p, path)
		if err != nil || code != 200 || xc != want {
			t.Errorf("%s %s: %d %q %v, want 200 %q", p.name, path, code, xc, err, want)
		}
	}

	// Every edge asks for the same 10 objects at once: the origin sees each once.
	var wg sync.WaitGroup
	for _, e := range edges {
		for i := range 10 {
			wg.Go(func() {
				if code, _, err := get(e, fmt.Sprintf("/small/%d", i)); err != nil || code != 200 {
					t.Errorf("%s /small/%d: %d %v", e.name, i, code, err)
				}
			})
		}
	}
	wg.Wait()
	if n := originReqs.Load(); n != 10 {
		t.Fatalf("origin requests %d for 10 distinct objects through 3 edges", n)
	}

	// An invalidation through edge 1: Completed within 1 s, then a Miss everywhere.
	ctx := context.Background()
	invalidate := func(p *fleetProc, ref string, paths ...string) (string, time.Duration, error) {
		start := time.Now()
		out, err := p.cf.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{DistributionId: aws.String("EFLEET"),
			InvalidationBatch: &types.InvalidationBatch{CallerReference: aws.String(ref),
				Paths: &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths}}})
		if err != nil {
			return "", 0, err
		}
		id := aws.ToString(out.Invalidation.Id)
		for {
			g, err := p.cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String("EFLEET"), Id: aws.String(id)})
			if err != nil {
				return id, 0, err
			}
			if aws.ToString(g.Invalidation.Status) == "Completed" {
				return id, time.Since(start), nil
			}
			if time.Since(start) > 10*time.Second {
				return id, 0, fmt.Errorf("invalidation %s still %s after 10 s", id, aws.ToString(g.Invalidation.Status))
			}
			time.Sleep(10 * time.Millisecond) // polling the API, as a client does
		}
	}
	var worst time.Duration
	for i := range 5 {
		_, took, err := invalidate(edges[0], fmt.Sprintf("first-%d", i), fmt.Sprintf("/small/%d", i))
		if err != nil {
			t.Fatal(err)
		}
		worst = max(worst, took)
	}
	t.Logf("5 invalidations through edge1: Completed on the fleet within %v at worst", worst)
	if worst > time.Second {
		t.Errorf("an invalidation took %v to complete on 3 edges and a shield (budget 1 s)", worst)
	}
	before := originReqs.Load()
	for _, e := range edges {
		mustXCache(e, "/small/1", "Miss from cloudfront")
		mustXCache(e, "/small/7", "Hit from cloudfront")
	}
	if n := originReqs.Load() - before; n != 1 {
		t.Errorf("refilling an invalidated object on 3 edges cost the origin %d requests, want 1", n)
	}

	// Edge 3 goes away; an invalidation made meanwhile waits for it, then applies on its return.
	edges[2].kill()
	out, err := edges[1].cf.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{DistributionId: aws.String("EFLEET"),
		InvalidationBatch: &types.InvalidationBatch{CallerReference: aws.String("while-edge3-is-down"),
			Paths: &types.Paths{Quantity: aws.Int32(1), Items: []string{"/small/2"}}}})
	if err != nil {
		t.Fatal(err)
	}
	raw := aws.ToString(out.Invalidation.Id)
	// The others acknowledge within milliseconds; edge3 stays pending until its heartbeat
	// stops (3 s), or it returns.
	for start := time.Now(); ; {
		resp, err := client.Get(edges[1].api + "/2020-05-31/distribution/EFLEET/invalidation/" + raw)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p := resp.Header.Get("X-Edge-Fleet-Pending")
		if p == "edge3" && bytes.Contains(body, []byte("<Status>InProgress</Status>")) {
			break
		}
		if time.Since(start) > 2*time.Second || !strings.Contains(p, "edge3") {
			t.Fatalf("an invalidation made just after edge3 died: pending %q, %s", p, body)
		}
		time.Sleep(5 * time.Millisecond) // polling the API, as a client does
	}
	edges[2] = startFleetProc(t, bin, "edge3", edges[2].cfg)
	mustXCache(edges[2], "/small/2", "Miss from cloudfront")
	mustXCache(edges[2], "/small/7", "Hit from cloudfront") // kept on disk across the kill
	if _, err := edges[2].cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String("EFLEET"),
		Id: aws.String(raw)}); err != nil {
		t.Errorf("edge3 does not know the invalidation it applied on return: %v", err)
	}

	// An API change on edge 2 reaches the others.
	cp, err := edges[1].cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: &types.CachePolicyConfig{
		Name: aws.String("fleet-shared"), MinTTL: aws.Int64(1), DefaultTTL: aws.Int64(60), MaxTTL: aws.Int64(600),
		ParametersInCacheKeyAndForwardedToOrigin: &types.ParametersInCacheKeyAndForwardedToOrigin{
			EnableAcceptEncodingGzip: aws.Bool(true),
			HeadersConfig:            &types.CachePolicyHeadersConfig{HeaderBehavior: types.CachePolicyHeaderBehaviorNone},
			CookiesConfig:            &types.CachePolicyCookiesConfig{CookieBehavior: types.CachePolicyCookieBehaviorNone},
			QueryStringsConfig:       &types.CachePolicyQueryStringsConfig{QueryStringBehavior: types.CachePolicyQueryStringBehaviorNone},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*fleetProc{edges[0], edges[2]} {
		deadline := time.Now().Add(5 * time.Second)
		for {
			g, err := e.cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: cp.CachePolicy.Id})
			if err == nil {
				if aws.ToString(g.ETag) != aws.ToString(cp.ETag) {
					t.Errorf("%s: the policy's ETag %q, edge2's %q", e.name, aws.ToString(g.ETag), aws.ToString(cp.ETag))
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never saw the cache policy made on edge2: %v", e.name, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// NATS goes away: viewers are served; changes fail clearly.
	srv.Stop()
	for _, e := range edges {
		mustXCache(e, "/small/8", "Hit from cloudfront")
		if code, _, err := get(e, "/small/40"); err != nil || code != 200 {
			t.Errorf("%s: a miss while NATS is down: %d %v", e.name, code, err)
		}
	}
	_, _, err = invalidate(edges[0], "nats-down", "/small/8")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" {
		t.Errorf("CreateInvalidation while NATS is down: %v, want ServiceUnavailable", err)
	}
	_, err = edges[0].cf.DeleteCachePolicy(ctx, &cloudfront.DeleteCachePolicyInput{Id: cp.CachePolicy.Id, IfMatch: cp.ETag})
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" {
		t.Errorf("DeleteCachePolicy while NATS is down: %v, want ServiceUnavailable", err)
	}
	if _, err := edges[0].cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: cp.CachePolicy.Id}); err != nil {
		t.Errorf("a read while NATS is down: %v", err)
	}

	// NATS comes back: the same request succeeds once the edge has reconnected.
	srv.Restart()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, took, err := invalidate(edges[0], "nats-back", "/small/8")
		if err == nil {
			t.Logf("after NATS came back: an invalidation completed in %v", took)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fleet did not come back with NATS: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, e := range edges {
		mustXCache(e, "/small/8", "Miss from cloudfront")
	}
	if t.Failed() {
		for _, p := range append([]*fleetProc{shield}, edges...) {
			t.Logf("%s log:\n%s", p.name, p.log)
		}
	}
}

// objNum is N of /small/N.
func objNum(path string) int {
	n := 0
	for _, c := range path[strings.LastIndexByte(path, '/')+1:] {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestFleetShieldKilledMidFill: the shield process is killed with SIGKILL while it streams an
// object to an edge: the edge gets the rest from the origin, the viewer the whole object, and
// what the edge caches is whole (the next request is a Hit with the same bytes).
func TestFleetShieldKilledMidFill(t *testing.T) {
	srv := natstest.Start(t)
	const size = 256 << 10
	body := diskBody(7, size)
	started := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("ETag", `"slow-7"`)
		w.Header().Set("Content-Length", fmt.Sprint(size))
		if !first {
			w.Write(body)
			return
		}
		w.Write(body[:size/4])
		w.(http.Flusher).Flush()
		close(started)
		select { // the shield dies meanwhile; its connection goes with it
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(origin.Close)
	t.Cleanup(func() { close(release) })
	port := origin.URL[strings.LastIndexByte(origin.URL, ':')+1:]
	dir := t.TempDir()
	bin := buildBinary(t)
	shield := startFleetProc(t, bin, "shield", fleetConfig(t, dir, "shield", srv.URL(), port, "", false))
	edge := startFleetProc(t, bin, "edge1", fleetConfig(t, dir, "edge1", srv.URL(), port,
		strings.TrimPrefix(shield.viewer, "http://"), false))

	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(edge.viewer + "/slow/7")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{b, err}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second): // a bound on a broken setup
		t.Fatal("the origin was never asked")
	}
	shield.kill()
	r := <-done
	if r.err != nil || !bytes.Equal(r.b, body) {
		t.Fatalf("the viewer got %d bytes (%v), want the whole %d", len(r.b), r.err, size)
	}
	resp, err := http.Get(edge.viewer + "/slow/7")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(b, body) || resp.Header.Get("X-Cache") != "Hit from cloudfront" {
		t.Errorf("after the shield died: %q, %d bytes (%v); want a Hit with the whole object", resp.Header.Get("X-Cache"), len(b), err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("the origin was asked %d times, want 2 (the shield's fill, then the edge's resumption)", calls)
	}
}
