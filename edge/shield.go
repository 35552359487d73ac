package edge

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/netip"

	"github.com/cfedge/edge/origin"
)

// Origin Shield, the shield's side
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-shield.html): a
// lower-tier edge sends its misses here with origin.ShieldHopHeader, and this edge then asks the
// origin itself (origin.Request.LowerTier) instead of going to a shield of its own. A viewer
// must not be able to claim to be a lower tier: it would skip the lower edge's shield and reach
// the origin with every request.

// Access-log detailed result types of a miss a shield answered (see shieldDetail in fetch.go);
// Server-Timing names the layer from them.
const (
	detailShieldHit  = "ShieldHit"
	detailShieldMiss = "ShieldMiss"
)

// hopTrust reports whether x comes from a lower-tier edge (believed): it carries the hop header,
// and the header's value is the origin_shield.secret of the origin the behavior targets (of
// either member, for an origin group), compared in constant time. When none of those origins
// has a secret, the hop header is believed only from a loopback peer: a lower edge on this
// machine. bySecret says the belief rests on the secret: only then does this edge skip what the
// lower tier did for the viewer already (the protocol policy, signed URLs, viewer functions). A
// hop header that is not believed is ignored (and, like every X-Edge-* header, never forwarded
// to an origin: see originRequest). admit judges once per request (exchange.lowerTier).
func hopTrust(x *exchange) (believed, bySecret bool) {
	v := x.ctx.Request.Header.Peek(origin.ShieldHopHeader)
	if len(v) == 0 {
		return false, false
	}
	d := x.dist
	ids := [2]string{x.beh.TargetOriginID}
	if members, ok := d.groups[ids[0]]; ok {
		ids = members
	}
	configured, matched := false, 0
	got := sha256.Sum256(v) // equal lengths for the comparison: it tells nothing of the secret's length
	for _, id := range ids {
		oc, ok := d.originConfs[id]
		if !ok || oc.OriginShield == nil || oc.OriginShield.Secret == "" {
			continue
		}
		configured = true
		want := sha256.Sum256([]byte(oc.OriginShield.Secret))
		matched |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	if configured {
		return matched == 1, matched == 1
	}
	return x.ctx.RemoteIP().IsLoopback(), false
}

// selfAddress reports whether addr (an origin shield's HOST:PORT) names the listener at listen
// (server.listen): the same port, and the same host, or a loopback host when listen's is
// loopback or unspecified. An edge whose configuration points its shield at itself would send
// its misses to itself, where they would wait on the very fill that sent them.
func selfAddress(addr, listen string) bool {
	ah, ap, err1 := net.SplitHostPort(addr)
	lh, lp, err2 := net.SplitHostPort(listen)
	if err1 != nil || err2 != nil || ap != lp || lp == "0" {
		return false
	}
	if ah == lh {
		return true
	}
	a, err := netip.ParseAddr(ah)
	if err != nil {
		return ah == "localhost" && (lh == "" || isLoopbackOrAny(lh))
	}
	return a.IsLoopback() && (lh == "" || isLoopbackOrAny(lh))
}

func isLoopbackOrAny(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && (a.IsLoopback() || a.IsUnspecified())
}
