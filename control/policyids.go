package control

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/cfedge/edge/config"
)

// The one rule between a behavior's policy names (config) and the policy ids the API shows:
// a managed policy is its AWS id
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html,
// using-managed-origin-request-policies.html, using-managed-response-headers-policies.html),
// and a policy of the configuration ([[cache_policy]], [[origin_request_policy]],
// [[response_headers_policy]]) is nameUUID("<kind>/" + name), so its id is stable across
// restarts and the same wherever it is shown. The *Name functions invert the rule: they return
// the name config expects (a managed policy's console name), and false for an id that is
// neither managed nor the id of a policy of c.
//
// A policy created through the API has a random UUID, and the configuration the edge serves
// (mergeConfig) holds it under that id, lower case, as its name (apiPolicyName): its id and
// its name in the configuration are one string, so no rule is needed to go from one to the
// other, and a name of the configuration file cannot take it (checkConflicts). policyName
// resolves a behavior's policy id through the API's policies first, then the rule above.

// Kinds in the derived ids.
const (
	kindCachePolicy           = "cache-policy/"
	kindOriginRequestPolicy   = "origin-request-policy/"
	kindResponseHeadersPolicy = "response-headers-policy/"
)

// cachePolicyID returns the id of the cache policy a behavior names (by managed id, console
// name or API name, or a [[cache_policy]] name).
func cachePolicyID(_ *config.Config, name string) string {
	for _, m := range config.ManagedCachePolicies() {
		if name == m.ShortName || name == m.Policy.Name || name == "Managed-"+m.ShortName || strings.EqualFold(name, m.ID) {
			return m.ID
		}
	}
	return nameUUID(kindCachePolicy + name)
}

// cachePolicyName is the inverse of cachePolicyID.
func cachePolicyName(c *config.Config, id string) (string, bool) {
	for _, m := range config.ManagedCachePolicies() {
		if strings.EqualFold(id, m.ID) {
			return m.ShortName, true
		}
	}
	for _, p := range c.CachePolicies {
		if strings.EqualFold(id, nameUUID(kindCachePolicy+p.Name)) {
			return p.Name, true
		}
	}
	return "", false
}

// originRequestPolicyID is cachePolicyID for origin request policies.
func originRequestPolicyID(_ *config.Config, name string) string {
	for _, m := range config.ManagedOriginRequestPolicies() {
		if name == m.ShortName || name == m.Policy.Name || name == "Managed-"+m.ShortName || strings.EqualFold(name, m.ID) {
			return m.ID
		}
	}
	return nameUUID(kindOriginRequestPolicy + name)
}

// originRequestPolicyName is the inverse of originRequestPolicyID.
func originRequestPolicyName(c *config.Config, id string) (string, bool) {
	for _, m := range config.ManagedOriginRequestPolicies() {
		if strings.EqualFold(id, m.ID) {
			return m.ShortName, true
		}
	}
	for _, p := range c.OriginRequestPolicies {
		if strings.EqualFold(id, nameUUID(kindOriginRequestPolicy+p.Name)) {
			return p.Name, true
		}
	}
	return "", false
}

// responseHeadersPolicyID is cachePolicyID for response headers policies.
func responseHeadersPolicyID(_ *config.Config, name string) string {
	for _, m := range config.ManagedResponseHeadersPolicies() {
		if name == m.ShortName || name == m.Policy.Name || name == "Managed-"+m.ShortName || strings.EqualFold(name, m.ID) {
			return m.ID
		}
	}
	return nameUUID(kindResponseHeadersPolicy + name)
}

// responseHeadersPolicyName is the inverse of responseHeadersPolicyID.
func responseHeadersPolicyName(c *config.Config, id string) (string, bool) {
	for _, m := range config.ManagedResponseHeadersPolicies() {
		if strings.EqualFold(id, m.ID) {
			return m.ShortName, true
		}
	}
	for _, p := range c.ResponseHeadersPolicies {
		if strings.EqualFold(id, nameUUID(kindResponseHeadersPolicy+p.Name)) {
			return p.Name, true
		}
	}
	return "", false
}

// nameUUID derives a UUID-shaped id from s (SHA-256, version nibble 5, RFC 4122 variant).
func nameUUID(s string) string {
	sum := sha256.Sum256([]byte(s))
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// apiPolicyName is the name under which the configuration the edge serves holds the policy
// created through the API with id: the id, lower case.
func apiPolicyName(id string) string { return strings.ToLower(id) }

// policyName returns the name config expects for the policy of kind k with id, as a behavior
// names it: a policy of res (the API's; nil for none) by apiPolicyName, else a managed policy
// or one of base (cachePolicyName, originRequestPolicyName, responseHeadersPolicyName).
func policyName(k policyKind, base *config.Config, res *resources, id string) (string, bool) {
	if res != nil {
		if p := findID(res.policies[k], id); p != nil {
			return apiPolicyName(p.id), true
		}
	}
	switch k {
	case kindCache:
		return cachePolicyName(base, id)
	case kindOriginRequest:
		return originRequestPolicyName(base, id)
	}
	return responseHeadersPolicyName(base, id)
}
