package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/cache"
	"github.com/cfedge/edge/config"
)

// withFunctionDist returns config c with the default behavior associating fn at viewer-request.
func withFunctionDist(c *types.DistributionConfig, fn string) *types.DistributionConfig {
	c.DefaultCacheBehavior.FunctionAssociations = &types.FunctionAssociations{Quantity: aws.Int32(1),
		Items: []types.FunctionAssociation{{FunctionARN: aws.String(fnARN(fn)), EventType: types.EventTypeViewerRequest}}}
	return c
}

// snapshotAPI records what the API shows of the distributions ids and of the functions: the
// config documents, ETags, statuses, times and tags.
func snapshotAPI(t *testing.T, h *harness, ids []string, fns []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	cf := h.cf()
	out := map[string]string{}
	for _, id := range ids {
		doc, etag := h.configXML(id)
		g, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		l, err := cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: g.Distribution.ARN})
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, tg := range l.Tags.Items {
			tags = append(tags, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		out[id] = strings.Join([]string{doc, etag, aws.ToString(g.Distribution.DomainName), aws.ToString(g.Distribution.Status),
			g.Distribution.LastModifiedTime.UTC().Format(time.RFC3339Nano), strings.Join(tags, ",")}, "\n")
	}
	for _, name := range fns {
		for _, stage := range []types.FunctionStage{types.FunctionStageDevelopment, types.FunctionStageLive} {
			d, err := cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(name), Stage: stage})
			if err != nil {
				t.Fatal(err)
			}
			m := d.FunctionSummary.FunctionMetadata
			out[name+string(stage)] = strings.Join([]string{aws.ToString(d.ETag), aws.ToString(d.FunctionSummary.Status),
				m.CreatedTime.UTC().String(), m.LastModifiedTime.UTC().String()}, " ")
		}
	}
	return out
}

// TestStateRestart: a Server started on the state folder of another shows what the other's API
// created and changed, and hands it to the edge at start.
func TestStateRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	withState := func(c *config.Config) { c.API.StateDir = dir }
	h1 := newHarnessWith(t, withState, nil, &recordingApplier{}, nil)
	ctx := context.Background()
	cf := h1.cf()
	full := h1.create(fullDistConfig("restart-full"))
	createFn(t, cf, "stamp", addHeaderCode)
	d, err := cf.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("stamp")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cf.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("stamp"), IfMatch: d.ETag}); err != nil {
		t.Fatal(err)
	}
	withFn := h1.create(withFunctionDist(minimalDistConfig("restart-fn", "with a function", "fn.example.com"), "stamp"))
	h1.clock.Advance(time.Minute)
	c := fullDistConfig("restart-full")
	c.Comment = aws.String("updated")
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: full.Distribution.Id, IfMatch: full.ETag,
		DistributionConfig: c}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.TagResource(ctx, &cloudfront.TagResourceInput{Resource: withFn.Distribution.ARN,
		Tags: &types.Tags{Items: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}); err != nil {
		t.Fatal(err)
	}
	ids := []string{aws.ToString(full.Distribution.Id), aws.ToString(withFn.Distribution.Id)}
	before := snapshotAPI(t, h1, ids, []string{"stamp"})

	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, stateFileName): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, fi.Mode().Perm(), want)
		}
	}

	app2 := &recordingApplier{}
	h2 := newHarnessWith(t, withState, nil, app2, h1.clock) // one clock, so statuses compare
	after := snapshotAPI(t, h2, ids, []string{"stamp"})
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s after restart:\n%s\nbefore:\n%s", k, after[k], v)
		}
	}
	merged, n := app2.last()
	if n != 1 || len(merged.Distributions) != 4 {
		t.Fatalf("at start the edge got %d configurations, the last with %d distributions", n, len(merged.Distributions))
	}
	if f, ok := merged.FunctionByName("stamp"); !ok || string(f.Code) != addHeaderCode {
		t.Errorf("the merged configuration lacks the API function: %+v", f)
	}
	l, err := h2.cf().ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil || aws.ToInt32(l.DistributionList.Quantity) != 4 {
		t.Errorf("list after restart: %v", err)
	}
	// The restored state can be changed further: the ETag is the one from before the restart.
	_, etag := h1.configXML(ids[0])
	c.Comment = aws.String("after restart")
	if _, err := h2.cf().UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: full.Distribution.Id,
		IfMatch: aws.String(etag), DistributionConfig: c}); err != nil {
		t.Errorf("update after restart: %v", err)
	}
}

// newServerErr runs New on testdata/edge.toml changed by mutate, and returns its error.
func newServerErr(t *testing.T, mutate func(*config.Config)) error {
	t.Helper()
	store, err := cache.New(cache.Config{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, err = New(Config{Config: loadConfig(t, mutate), Invalidator: store})
	return err
}

// TestStateRefusedAtStart: a state file that does not load, and an id or alias the
// configuration file and the state both claim, are start-up errors naming both.
func TestStateRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, nil, nil)
	out := h.create(minimalDistConfig("conflict", "c", "shared.example.com"))
	id := aws.ToString(out.Distribution.Id)
	good, err := os.ReadFile(filepath.Join(dir, stateFileName))
	if err != nil {
		t.Fatal(err)
	}
	version := fmt.Sprintf(`"version": %d`, stateVersion)
	if !strings.Contains(string(good), version) {
		t.Fatalf("the state file does not hold %s:\n%s", version, good)
	}
	// The state loads as it is.
	if err := newServerErr(t, func(c *config.Config) { c.API.StateDir = dir }); err != nil {
		t.Fatalf("New on a good state: %v", err)
	}
	tests := []struct {
		name   string
		state  string
		mutate func(*config.Config)
		want   []string
	}{
		{"truncated", string(good[:len(good)/2]), nil, []string{stateFileName, "truncated"}},
		{"empty", "", nil, []string{stateFileName, "not a valid state file"}},
		{"other version", strings.Replace(string(good), version, `"version": 9`, 1), nil, []string{"version 9"}},
		{"unknown field", strings.Replace(string(good), version, version+`, "extra": true`, 1), nil, []string{"extra"}},
		{"damaged config", strings.Replace(string(good), "<Comment>c</Comment>", "<Comment>c</Coment>", 1), nil, []string{id}},
		{"id in the file too", string(good), func(c *config.Config) {
			extra := c.Distributions[1]
			extra.ID, extra.DomainName = id, ""
			c.Distributions = append(c.Distributions, extra)
		}, []string{id, "configuration file", stateFileName}},
		{"alias in the file too", string(good), func(c *config.Config) {
			c.Distributions[0].Aliases = append(c.Distributions[0].Aliases, "shared.example.com")
		}, []string{"shared.example.com", distMain, id}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, stateFileName), []byte(tt.state), 0o600); err != nil {
				t.Fatal(err)
			}
			err := newServerErr(t, func(c *config.Config) {
				c.API.StateDir = d
				if tt.mutate != nil {
					tt.mutate(c)
				}
			})
			if err == nil || !errors.Is(err, ErrConfig) {
				t.Fatalf("New = %v, want a start-up error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// TestStateLeftovers: a temporary file a crash left in the folder is removed at start, and the
// state file is what counts.
func TestStateLeftovers(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, nil, nil)
	h.create(minimalDistConfig("left", "left"))
	tmp := filepath.Join(dir, ".state-123.tmp")
	if err := os.WriteFile(tmp, []byte(`{"version": 1, "distri`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := newServerErr(t, func(c *config.Config) { c.API.StateDir = dir }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leftover temporary file is still there: %v", err)
	}
}

// TestAPIFunctionInDistribution: a distribution may run a function created through the API
// once it is published; the merged configuration carries its LIVE code, a new publication
// reaches the edge, and a function in use cannot be deleted.
func TestAPIFunctionInDistribution(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, nil, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	cr := createFn(t, cf, "greeter", addHeaderCode)
	_, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
		DistributionConfig: withFunctionDist(minimalDistConfig("fn-1", "fn"), "greeter")})
	wantAPIErr(t, "association before publishing", err, CodeInvalidFunctionAssociation, 400)
	if _, err := cf.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("greeter"), IfMatch: cr.ETag}); err != nil {
		t.Fatal(err)
	}
	out := h.create(withFunctionDist(minimalDistConfig("fn-1", "fn"), "greeter"))
	merged, n := app.last()
	f, ok := merged.FunctionByName("greeter")
	if !ok || string(f.Code) != addHeaderCode || merged.Distribution(aws.ToString(out.Distribution.Id)).DefaultBehavior.FunctionFor("viewer-request") != "greeter" {
		t.Fatalf("merged configuration: function %+v", f)
	}

	// A new DEVELOPMENT stage does not reach the edge; publishing it does.
	const v2 = "function handler(event) { return event.request; }"
	upd, err := cf.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: aws.String("greeter"), IfMatch: cr.ETag,
		FunctionConfig: &types.FunctionConfig{Comment: aws.String("v2"), Runtime: types.FunctionRuntimeCloudfrontJs20}, FunctionCode: []byte(v2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, m := app.last(); m != n {
		t.Errorf("UpdateFunction applied a configuration")
	}
	if _, err := cf.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String("greeter"), IfMatch: upd.ETag}); err != nil {
		t.Fatal(err)
	}
	merged, m := app.last()
	if f, _ := merged.FunctionByName("greeter"); m != n+1 || string(f.Code) != v2 {
		t.Errorf("after publishing v2: %d configurations, code %q", m, f.Code)
	}

	// In use: not deleted.
	_, err = cf.DeleteFunction(ctx, &cloudfront.DeleteFunctionInput{Name: aws.String("greeter"), IfMatch: upd.ETag})
	msg := wantAPIErr(t, "delete in use", err, CodeFunctionInUse, 409)
	if !strings.Contains(msg, aws.ToString(out.Distribution.Id)) {
		t.Errorf("FunctionInUse message %q does not name the distribution", msg)
	}
}

// TestReload: a new configuration file is merged with what the API created and applied;
// conflicts and configurations the API's distributions cannot live with are refused, and
// nothing changes then.
func TestReload(t *testing.T) {
	withPolicy := func(c *config.Config) {
		c.CachePolicies = append(c.CachePolicies, config.CachePolicy{Name: "custom-cp"})
		c.ApplyDefaults()
	}
	app := &recordingApplier{}
	h := newHarnessWith(t, withPolicy, nil, app, nil)
	ctx := context.Background()
	cf := h.cf()
	c := minimalDistConfig("reload-1", "uses the file's policy", "api.example.com")
	c.DefaultCacheBehavior.CachePolicyId = aws.String(nameUUID("cache-policy/custom-cp"))
	c.DefaultCacheBehavior.ForwardedValues, c.DefaultCacheBehavior.MinTTL = nil, nil
	out := h.create(c)
	apiID := aws.ToString(out.Distribution.Id)
	if merged, _ := app.last(); merged.Distribution(apiID).DefaultBehavior.CachePolicy != "custom-cp" {
		t.Fatalf("a [[cache_policy]] id did not map back to its name: %+v", merged.Distribution(apiID).DefaultBehavior)
	}
	if _, err := cf.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{DistributionId: aws.String(distMain),
		InvalidationBatch: &types.InvalidationBatch{CallerReference: aws.String("r1"), Paths: &types.Paths{Quantity: aws.Int32(1), Items: []string{"/x"}}}}); err != nil {
		t.Fatal(err)
	}
	ids := func() string {
		l, err := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range l.DistributionList.Items {
			out = append(out, aws.ToString(s.Id))
		}
		return strings.Join(out, " ")
	}

	refused := []struct {
		name   string
		mutate func(*config.Config)
		want   string
	}{
		{"alias taken", func(c *config.Config) {
			withPolicy(c)
			c.Distributions[1].Aliases = []string{"api.example.com"}
		}, "api.example.com"},
		{"policy gone", nil, "custom-cp"},
	}
	for _, tt := range refused {
		_, applied := app.last()
		err := h.srv.Reload(loadConfig(t, tt.mutate))
		if err == nil || !strings.Contains(err.Error(), apiID) {
			t.Errorf("%s: Reload = %v, want an error naming %s", tt.name, err, apiID)
		}
		if _, n := app.last(); n != applied {
			t.Errorf("%s: a refused reload was applied", tt.name)
		}
		if got := ids(); got != distMain+" "+distSmooth+" "+apiID {
			t.Errorf("%s: distributions after a refused reload: %s", tt.name, got)
		}
	}

	// Accepted: distSmooth removed from the file, distMain changed.
	err := h.srv.Reload(loadConfig(t, func(c *config.Config) {
		withPolicy(c)
		c.Distributions = c.Distributions[:1]
		c.Distributions[0].Comment = "reloaded"
	}))
	if err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got := ids(); got != distMain+" "+apiID {
		t.Errorf("distributions after reload: %s", got)
	}
	merged, _ := app.last()
	if len(merged.Distributions) != 2 || merged.Distributions[0].Comment != "reloaded" || merged.Distributions[1].ID != apiID {
		t.Errorf("applied after reload: %+v", merged.Distributions)
	}
	g, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(distMain)})
	if err != nil || aws.ToString(g.DistributionConfig.Comment) != "reloaded" {
		t.Errorf("file distribution after reload: %v %+v", err, g)
	}
	inv, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(distMain)})
	if err != nil || aws.ToInt32(inv.InvalidationList.Quantity) != 1 {
		t.Errorf("invalidations of a file distribution after reload: %v", err)
	}
	_, err = cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(distSmooth)})
	wantAPIErr(t, "a distribution removed from the file", err, CodeNoSuchDistribution, 404)
}

// TestActiveTrustedKeyGroups: a behavior trusting a key group of the configuration file shows
// it, with its key ids, in ActiveTrustedKeyGroups.
func TestActiveTrustedKeyGroups(t *testing.T) {
	pem, err := os.ReadFile("../examples/keys/example-public.pem")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *config.Config) {
		c.KeyGroups = []config.KeyGroup{{ID: "signers", PublicKey: []config.PublicKey{{ID: "K1EXAMPLE", EncodedKey: string(pem)}}}}
	}, nil)
	c := minimalDistConfig("kg", "kg")
	c.DefaultCacheBehavior.TrustedKeyGroups = &types.TrustedKeyGroups{Enabled: aws.Bool(true), Quantity: aws.Int32(1), Items: []string{"signers"}}
	out := h.create(c)
	a := out.Distribution.ActiveTrustedKeyGroups
	if !aws.ToBool(a.Enabled) || aws.ToInt32(a.Quantity) != 1 || aws.ToString(a.Items[0].KeyGroupId) != "signers" ||
		a.Items[0].KeyPairIds.Items[0] != "K1EXAMPLE" {
		t.Errorf("ActiveTrustedKeyGroups %+v", a)
	}
}
