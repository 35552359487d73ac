package behavior

import (
	"fmt"

	"github.com/cfedge/edge/config"
)

// Compile builds a distribution's behavior table from its configuration: each behavior with its
// cache, origin request and response headers policies looked up by name in c (managed or
// custom) and its associated functions checked to exist in c, in list order, then the default
// behavior. The viewer pipeline and the control API both match paths through the table Compile
// returns, so they can never disagree on which behavior serves a path.
func Compile(c *config.Config, dc *config.Distribution) (*Table, error) {
	compile := func(i int, bc config.Behavior) (*Behavior, error) {
		spec := Spec{Behavior: bc}
		if bc.CachePolicy != "" {
			cp, ok := c.CachePolicyByName(bc.CachePolicy)
			if !ok {
				return nil, fmt.Errorf("unknown cache_policy %q", bc.CachePolicy)
			}
			spec.CachePolicy = &cp
		}
		if bc.OriginRequestPolicy != "" {
			orp, ok := c.OriginRequestPolicyByName(bc.OriginRequestPolicy)
			if !ok {
				return nil, fmt.Errorf("unknown origin_request_policy %q", bc.OriginRequestPolicy)
			}
			spec.OriginRequestPolicy = &orp
		}
		for _, a := range bc.FunctionAssociations {
			if _, ok := c.FunctionByName(a.Function); !ok {
				return nil, fmt.Errorf("unknown function %q (function_association %s)", a.Function, a.EventType)
			}
		}
		if bc.ResponseHeadersPolicy != "" {
			rhp, ok := c.ResponseHeadersPolicyByName(bc.ResponseHeadersPolicy)
			if !ok {
				return nil, fmt.Errorf("unknown response_headers_policy %q", bc.ResponseHeadersPolicy)
			}
			spec.ResponseHeadersPolicy = &rhp
		}
		return New(i, spec)
	}
	ordered := make([]*Behavior, 0, len(dc.Behaviors))
	for i, bc := range dc.Behaviors {
		b, err := compile(i, bc)
		if err != nil {
			return nil, fmt.Errorf("behavior %d: %w", i, err)
		}
		ordered = append(ordered, b)
	}
	def, err := compile(-1, dc.DefaultBehavior)
	if err != nil {
		return nil, fmt.Errorf("default behavior: %w", err)
	}
	return NewTable(ordered, def), nil
}
