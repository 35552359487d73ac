package control

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/cfedge/edge/config"
)

// apiResources creates one resource of every kind and a distribution using them all, and
// returns the paths of their config documents.
func apiResources(t *testing.T, h *harness) (paths []string, distID string) {
	t.Helper()
	ctx := context.Background()
	cf := h.cf()
	cp, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("state-cp")})
	if err != nil {
		t.Fatal(err)
	}
	orp, err := cf.CreateOriginRequestPolicy(ctx, &cloudfront.CreateOriginRequestPolicyInput{OriginRequestPolicyConfig: orpConfig("state-orp")})
	if err != nil {
		t.Fatal(err)
	}
	rhp, err := cf.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: rhpConfig("state-rhp")})
	if err != nil {
		t.Fatal(err)
	}
	key := createKey(t, cf, "state-key", 0)
	kg, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("state-kg"),
		Items: []string{aws.ToString(key.PublicKey.Id)}}})
	if err != nil {
		t.Fatal(err)
	}
	oac, err := cf.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{OriginAccessControlConfig: oacConfig("state-oac", "always")})
	if err != nil {
		t.Fatal(err)
	}
	c := s3Dist("state-dist", "media.s3.us-east-1.amazonaws.com", aws.ToString(oac.OriginAccessControl.Id))
	b := c.DefaultCacheBehavior
	b.ForwardedValues, b.MinTTL = nil, nil
	b.CachePolicyId, b.OriginRequestPolicyId, b.ResponseHeadersPolicyId = cp.CachePolicy.Id, orp.OriginRequestPolicy.Id, rhp.ResponseHeadersPolicy.Id
	b.TrustedKeyGroups = &types.TrustedKeyGroups{Enabled: aws.Bool(true), Quantity: aws.Int32(1), Items: []string{aws.ToString(kg.KeyGroup.Id)}}
	d := h.create(c)
	return []string{
		"/2020-05-31/cache-policy/" + aws.ToString(cp.CachePolicy.Id),
		"/2020-05-31/origin-request-policy/" + aws.ToString(orp.OriginRequestPolicy.Id),
		"/2020-05-31/response-headers-policy/" + aws.ToString(rhp.ResponseHeadersPolicy.Id),
		"/2020-05-31/public-key/" + aws.ToString(key.PublicKey.Id),
		"/2020-05-31/key-group/" + aws.ToString(kg.KeyGroup.Id),
		"/2020-05-31/origin-access-control/" + aws.ToString(oac.OriginAccessControl.Id),
	}, aws.ToString(d.Distribution.Id)
}

// TestStateRestartResources: a Server started on the state folder of another shows the same
// policies, public keys, key groups and origin access controls (documents, ETags, times), and
// hands them to the edge at start with the distribution that uses them.
func TestStateRestartResources(t *testing.T) {
	dir := t.TempDir()
	withState := func(c *config.Config) {
		c.API.StateDir = dir
		c.API.S3Endpoint = "http://127.0.0.1:9000"
	}
	h1 := newHarnessWith(t, withState, nil, &recordingApplier{}, nil)
	paths, distID := apiResources(t, h1)
	snapshot := func(h *harness) map[string]string {
		out := map[string]string{}
		for _, p := range paths {
			doc, etag := h.rawDoc(p)
			cfgDoc, cfgETag := h.rawDoc(p + "/config")
			out[p] = doc + etag + cfgDoc + cfgETag
		}
		return out
	}
	before := snapshot(h1)
	app2 := &recordingApplier{}
	h2 := newHarnessWith(t, withState, nil, app2, h1.clock)
	after := snapshot(h2)
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s after restart:\n%s\nbefore:\n%s", p, after[p], v)
		}
	}
	merged, n := app2.last()
	if n != 1 || len(merged.CachePolicies) != 1 || len(merged.OriginRequestPolicies) != 1 || len(merged.ResponseHeadersPolicies) != 1 ||
		len(merged.KeyGroups) != 1 {
		t.Fatalf("at start the edge got %d configurations: %+v", n, merged)
	}
	d := merged.Distribution(distID)
	if o := d.Origins[0]; o.Kind != config.KindS3 || o.Access != "sigv4" || o.Endpoint != "http://127.0.0.1:9000" ||
		d.DefaultBehavior.CachePolicy != merged.CachePolicies[0].Name || d.DefaultBehavior.TrustedKeyGroups[0] != merged.KeyGroups[0].ID {
		t.Errorf("restored distribution: %+v", d)
	}
	state := readFile(t, filepath.Join(dir, stateFileName))
	for _, key := range []string{`"version": 2`, `"cache_policies"`, `"origin_request_policies"`, `"response_headers_policies"`,
		`"public_keys"`, `"key_groups"`, `"origin_access_controls"`} {
		if !strings.Contains(state, key) {
			t.Errorf("the state file lacks %s", key)
		}
	}
}

// TestStateResourceConflicts: a name or id that the configuration file and the state both
// claim, a damaged resource in the state, and a key group whose public key is gone are
// start-up errors naming both sides.
func TestStateResourceConflicts(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, nil, nil)
	ctx := context.Background()
	cf := h.cf()
	cp, err := cf.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("shared-name")})
	if err != nil {
		t.Fatal(err)
	}
	key := createKey(t, cf, "k", 0)
	kg, err := cf.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &types.KeyGroupConfig{Name: aws.String("group"),
		Items: []string{aws.ToString(key.PublicKey.Id)}}})
	if err != nil {
		t.Fatal(err)
	}
	cpID, keyID, kgID := aws.ToString(cp.CachePolicy.Id), aws.ToString(key.PublicKey.Id), aws.ToString(kg.KeyGroup.Id)
	good, err := os.ReadFile(filepath.Join(dir, stateFileName))
	if err != nil {
		t.Fatal(err)
	}
	_, pemKey := testKey(t, 1)
	tests := []struct {
		name   string
		state  func() string
		mutate func(*config.Config)
		want   []string
	}{
		{"a file policy with the same name", nil, func(c *config.Config) {
			c.CachePolicies = []config.CachePolicy{{Name: "shared-name", MinTTL: aws.Int64(0)}}
		}, []string{"shared-name", cpID, "configuration file"}},
		{"a file policy named like an API policy's id", nil, func(c *config.Config) {
			c.CachePolicies = []config.CachePolicy{{Name: cpID, MinTTL: aws.Int64(0)}}
		}, []string{cpID}},
		{"a file key group named like the API's", nil, func(c *config.Config) {
			c.KeyGroups = []config.KeyGroup{{ID: "group", PublicKey: []config.PublicKey{{ID: "KFILE", EncodedKey: pemKey}}}}
		}, []string{"group", kgID}},
		{"a file public key with the API key's id", nil, func(c *config.Config) {
			c.KeyGroups = []config.KeyGroup{{ID: "file", PublicKey: []config.PublicKey{{ID: keyID, EncodedKey: pemKey}}}}
		}, []string{keyID, "configuration file"}},
		{"a key group's key gone", func() string {
			var doc stateDoc
			if err := json.Unmarshal(good, &doc); err != nil {
				t.Fatal(err)
			}
			doc.PublicKeys = nil
			b, _ := json.Marshal(doc)
			return string(b)
		}, nil, []string{kgID, keyID}},
		{"a damaged policy", func() string {
			return strings.Replace(string(good), "<MinTTL>5</MinTTL>", "<MinTTL>x</MinTTL>", 1)
		}, nil, []string{cpID, stateFileName}},
		{"a bad id", func() string { return strings.Replace(string(good), `"id": "`+cpID, `"id": "not-a-uuid`, 1) }, nil,
			[]string{"cache_policies[0]", "not-a-uuid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			state := string(good)
			if tt.state != nil {
				state = tt.state()
			}
			if err := os.WriteFile(filepath.Join(d, stateFileName), []byte(state), 0o600); err != nil {
				t.Fatal(err)
			}
			err := newServerErr(t, func(c *config.Config) {
				c.API.StateDir = d
				if tt.mutate != nil {
					tt.mutate(c)
					c.ApplyDefaults()
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
	// The same conflict on a reload: refused, nothing changes.
	err = h.srv.Reload(loadConfig(t, func(c *config.Config) {
		c.API.StateDir = dir
		c.CachePolicies = []config.CachePolicy{{Name: "shared-name", MinTTL: aws.Int64(0)}}
		c.ApplyDefaults()
	}))
	if err == nil || !strings.Contains(err.Error(), "shared-name") {
		t.Errorf("Reload with a conflicting policy = %v", err)
	}
	if _, err := cf.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String(cpID)}); err != nil {
		t.Errorf("the API policy after a refused reload: %v", err)
	}
}

// TestStateVersion1: a state file of version 1 (distributions and functions only) loads, and
// the next change writes version 2.
func TestStateVersion1(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = dir }, nil, nil, nil)
	out := h.create(minimalDistConfig("v1", "v1"))
	id := aws.ToString(out.Distribution.Id)
	v2 := readFile(t, filepath.Join(dir, stateFileName))
	var doc map[string]any
	if err := json.Unmarshal([]byte(v2), &doc); err != nil {
		t.Fatal(err)
	}
	doc["version"] = 1
	v1, _ := json.MarshalIndent(doc, "", "  ")
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, stateFileName), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	h2 := newHarnessWith(t, func(c *config.Config) { c.API.StateDir = d }, nil, nil, nil)
	if _, err := h2.cf().GetDistribution(context.Background(), &cloudfront.GetDistributionInput{Id: aws.String(id)}); err != nil {
		t.Fatalf("a distribution of a version 1 state: %v", err)
	}
	if _, err := h2.cf().CreateCachePolicy(context.Background(), &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cachePolicyConfig("p")}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(d, stateFileName)); !strings.Contains(got, `"version": 2`) || !strings.Contains(got, `"cache_policies"`) {
		t.Errorf("the state after a change:\n%s", got)
	}
}

// TestReloadKeepsAPIResources: a reload of the configuration file keeps what the API created.
func TestReloadKeepsAPIResources(t *testing.T) {
	app := &recordingApplier{}
	h := newHarnessWith(t, nil, nil, app, nil)
	paths, distID := apiResources(t, h)
	if err := h.srv.Reload(loadConfig(t, func(c *config.Config) { c.Distributions[0].Comment = "reloaded" })); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	for _, p := range paths {
		h.rawDoc(p)
	}
	merged, _ := app.last()
	if merged.Distribution(distID) == nil || len(merged.CachePolicies) != 1 || len(merged.KeyGroups) != 1 {
		t.Errorf("merged after reload: %+v", merged)
	}
}
