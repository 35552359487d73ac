package control

import (
	"testing"

	"github.com/cfedge/edge/config"
)

// TestPolicyIDRoundTrip: every managed policy and every policy of the configuration file maps
// to an id and back to a name that designates the same policy; other ids are unknown.
func TestPolicyIDRoundTrip(t *testing.T) {
	c := &config.Config{
		CachePolicies:           []config.CachePolicy{{Name: "cp1"}},
		OriginRequestPolicies:   []config.OriginRequestPolicy{{Name: "orp1"}},
		ResponseHeadersPolicies: []config.ResponseHeadersPolicy{{Name: "rhp1"}},
	}
	type kind struct {
		name   string
		id     func(*config.Config, string) string
		back   func(*config.Config, string) (string, bool)
		names  []string
		wantID map[string]string
	}
	var cps, orps, rhps []string
	managed := map[string]string{}
	for _, m := range config.ManagedCachePolicies() {
		cps = append(cps, m.ShortName, m.Policy.Name, m.ID)
		managed[m.ShortName] = m.ID
	}
	for _, m := range config.ManagedOriginRequestPolicies() {
		orps = append(orps, m.ShortName, "Managed-"+m.ShortName)
		managed[m.ShortName] = m.ID
	}
	for _, m := range config.ManagedResponseHeadersPolicies() {
		rhps = append(rhps, m.ShortName, m.Policy.Name)
		managed[m.ShortName] = m.ID
	}
	kinds := []kind{
		{"cache", cachePolicyID, cachePolicyName, append(cps, "cp1"), map[string]string{"cp1": nameUUID("cache-policy/cp1")}},
		{"origin request", originRequestPolicyID, originRequestPolicyName, append(orps, "orp1"), map[string]string{"orp1": nameUUID("origin-request-policy/orp1")}},
		{"response headers", responseHeadersPolicyID, responseHeadersPolicyName, append(rhps, "rhp1"), map[string]string{"rhp1": nameUUID("response-headers-policy/rhp1")}},
	}
	for _, k := range kinds {
		for _, n := range k.names {
			id := k.id(c, n)
			back, ok := k.back(c, id)
			if !ok || k.id(c, back) != id {
				t.Errorf("%s %q: id %q maps back to %q (%v)", k.name, n, id, back, ok)
			}
			if want, custom := k.wantID[n]; custom && id != want {
				t.Errorf("%s %q: id %q, want %q", k.name, n, id, want)
			}
			if want, isManaged := managed[back]; isManaged && id != want {
				t.Errorf("%s %q: id %q, want the managed id %q", k.name, n, id, want)
			}
		}
		if name, ok := k.back(c, "00000000-0000-4000-8000-000000000000"); ok {
			t.Errorf("%s: an unknown id maps to %q", k.name, name)
		}
	}
}
