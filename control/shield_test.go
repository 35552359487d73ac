package control

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/cfedge/edge/config"
)

// TestOriginShieldRegions: an API distribution whose origin enables Origin Shield in a region
// that [fleet] origin_shields maps is served through that shield edge with the shield secret;
// in a region not mapped it is served without one; both read back as they were sent.
func TestOriginShieldRegions(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Fleet.OriginShields = map[string]string{"us-east-1": "127.0.0.1:9090"}
		c.Fleet.ShieldSecret = "tier-secret"
	}, nil)
	for _, c := range []struct {
		region  string
		enabled bool
		addr    string
	}{
		{"us-east-1", true, "127.0.0.1:9090"},
		{"eu-west-1", false, ""},
	} {
		dc := minimalDistConfig("shield-"+c.region, "shielded")
		dc.Origins.Items[0].OriginShield = &types.OriginShield{Enabled: aws.Bool(true), OriginShieldRegion: aws.String(c.region)}
		out := h.create(dc)
		id := aws.ToString(out.Distribution.Id)
		var served *config.Origin
		for _, d := range h.srv.Config().Distributions {
			if d.ID == id {
				served = &d.Origins[0]
			}
		}
		if served == nil || served.OriginShield == nil {
			t.Fatalf("%s: the served origin has no origin shield: %+v", c.region, served)
		}
		sh := served.OriginShield
		if sh.Enabled != c.enabled || sh.Address != c.addr || sh.Region != c.region ||
			(c.enabled && sh.Secret != "tier-secret") || (!c.enabled && sh.Secret != "") {
			t.Errorf("%s: served origin shield %+v", c.region, *sh)
		}
		got, err := h.cf().GetDistributionConfig(context.Background(), &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		x := got.DistributionConfig.Origins.Items[0].OriginShield
		if x == nil || !aws.ToBool(x.Enabled) || aws.ToString(x.OriginShieldRegion) != c.region {
			t.Errorf("%s: GetDistributionConfig's OriginShield %+v", c.region, x)
		}
	}
}
