package config

import "strings"

// Warnings returns what in c is legal but probably wrong, each tied to its TOML path like a
// FieldError, in the order of the configuration; nil when there is nothing to say. It is
// meant for a config that Validate accepts: references that do not resolve are skipped
// (Validate reports them). Like Validate, it gives the same answer before and after
// ApplyDefaults. `edge validate` prints them without failing.
//
// Today it warns about one thing: a behavior whose origin request policy forwards every
// viewer header (allViewer or allViewerAndWhitelistCloudFront, as Managed-AllViewer does),
// and with it Authorization, while its cache policy can cache (MaxTTL > 0) and does not put
// Authorization in the cache key. The origin then answers one viewer's authorised GET or
// HEAD, and the edge serves that response to the next viewer, whatever Authorization that
// viewer sends or lacks. CloudFront requires Authorization in the cache key for this reason
// ("How can I configure CloudFront to forward the Authorization header to the origin?",
// https://repost.aws/knowledge-center/cloudfront-authorization-header: "The header must be a
// part of the cache key to prevent the cache from satisfying unauthorized requests"; see also
// "Understand origin request policies", Headers,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-request-understand-origin-request-policy.html).
func (c *Config) Warnings() []FieldError {
	if c == nil {
		return nil
	}
	var out []FieldError
	for i := range c.Distributions {
		d := &c.Distributions[i]
		p := idx("distribution", i)
		for j := range d.Behaviors {
			out = c.behaviorWarnings(out, idx(p+".behavior", j), &d.Behaviors[j])
		}
		out = c.behaviorWarnings(out, p+".default_behavior", &d.DefaultBehavior)
	}
	return out
}

func (c *Config) behaviorWarnings(out []FieldError, p string, b *Behavior) []FieldError {
	if b.CachePolicy == "" || b.OriginRequestPolicy == "" {
		return out // legacy settings key every header they forward
	}
	cp, ok1 := c.CachePolicyByName(b.CachePolicy)
	orp, ok2 := c.OriginRequestPolicyByName(b.OriginRequestPolicy)
	if !ok1 || !ok2 {
		return out
	}
	switch orp.Headers.Behavior {
	case "allViewer", "allViewerAndWhitelistCloudFront":
	default:
		return out // whitelist cannot name Authorization (Validate refuses it); allExcept does not forward it
	}
	if _, _, maxTTL := defaultTTLs(cp.MinTTL, cp.DefaultTTL, cp.MaxTTL); *maxTTL <= 0 {
		return out // nothing is cached (CachingDisabled): every viewer goes to the origin
	}
	if cp.Headers.Behavior == "whitelist" {
		for _, n := range cp.Headers.Names {
			if strings.EqualFold(n, "Authorization") {
				return out
			}
		}
	}
	return append(out, FieldError{Path: p + ".origin_request_policy", Msg: "origin request policy " +
		quote(b.OriginRequestPolicy) + " forwards the viewer's Authorization header, but cache policy " +
		quote(b.CachePolicy) + " does not key on it: one viewer's authorised GET or HEAD response would be " +
		"served from the cache to the next viewer; add Authorization to the cache policy's headers, " +
		"or use a cache policy that caches nothing (CachingDisabled)"})
}
