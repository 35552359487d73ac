package config

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Fleet is [fleet]: the edges that share invalidations and the API's changes through a NATS
// server (https://docs.nats.io/nats-concepts/jetstream). Without NATSURL the edge stands alone.
type Fleet struct {
	// NATSURL is the NATS server ("nats://127.0.0.1:4222"; several, comma-separated, for a
	// cluster). Its JetStream must be enabled.
	NATSURL string `toml:"nats_url"`
	// Node names this edge in the fleet: unique among its edges, letters, digits, '-' and '_'
	// (at most 64). Default: the host name's first label, cleaned to that alphabet.
	Node string `toml:"node"`
	// Credentials is a NATS credentials file (a user JWT and its NKey seed), optional.
	Credentials string `toml:"credentials"`
	// User and Password, or Token, authenticate to the NATS server when it wants them.
	User     string `toml:"user"`
	Password string `toml:"password"`
	Token    string `toml:"token"`
	// TLSCA, TLSCert and TLSKey are PEM files for a NATS server that speaks TLS: the CA that
	// signed its certificate, and this edge's client certificate and key when it wants one.
	TLSCA   string `toml:"tls_ca"`
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// InvalidationTimeout is how long an invalidation may wait for every live edge's
	// acknowledgement before it reads Completed anyway, with the missing edges named in the log
	// and in GetInvalidation's X-Edge-Fleet-Pending header. Default 60s.
	InvalidationTimeout Duration `toml:"invalidation_timeout"`
	// OriginShields maps CloudFront's OriginShieldRegion values to shield edges ("us-east-1" =
	// "HOST:PORT"): a distribution created through the API whose origin enables Origin Shield in
	// a region listed here is served through that shield, with ShieldSecret; one in a region not
	// listed is accepted and shown, and served without a shield.
	OriginShields map[string]string `toml:"origin_shields"`
	// ShieldSecret is the origin_shield.secret of the origins OriginShields shields.
	ShieldSecret string `toml:"shield_secret"`
}

// DefaultFleetInvalidationTimeout is [fleet] invalidation_timeout's default.
const DefaultFleetInvalidationTimeout = 60 * time.Second

// Enabled reports whether the edge is part of a fleet.
func (f *Fleet) Enabled() bool { return f.NATSURL != "" }

// shieldRegionRE is an AWS Region name, as OriginShieldRegion takes.
var shieldRegionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// nodeNameRE is a fleet node name: a NATS key and consumer name token.
var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidNodeName reports whether name can name a fleet node.
func ValidNodeName(name string) bool { return nodeNameRE.MatchString(name) }

// NodeNameFromHost makes a node name of a host name: its first label, with every character
// outside the node alphabet replaced by '-', at most 64 characters; "edge" when nothing is left.
func NodeNameFromHost(host string) string {
	host, _, _ = strings.Cut(host, ".")
	b := []byte(host)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	if len(b) == 0 {
		return "edge"
	}
	return string(b)
}

func (c *Config) validateFleet(e *errs) {
	f := &c.Fleet
	for region, addr := range f.OriginShields {
		if !shieldRegionRE.MatchString(region) {
			e.add("fleet.origin_shields", "%q is not an AWS Region name (like \"us-east-1\")", region)
		}
		if h, p, err := net.SplitHostPort(addr); err != nil || h == "" || p == "" {
			e.add("fleet.origin_shields."+region, "must be HOST:PORT, not %q", addr)
		}
	}
	if strings.ContainsFunc(f.ShieldSecret, func(r rune) bool { return r <= ' ' || r >= 0x7f }) || len(f.ShieldSecret) > 256 {
		e.add("fleet.shield_secret", "must be at most 256 visible ASCII characters")
	}
	if !f.Enabled() {
		if f.Node != "" || f.Credentials != "" || f.User != "" || f.Password != "" || f.Token != "" || f.TLSCA != "" ||
			f.TLSCert != "" || f.TLSKey != "" || f.InvalidationTimeout != 0 {
			e.add("fleet.nats_url", "is required when other [fleet] settings are given")
		}
		return
	}
	for _, u := range strings.Split(f.NATSURL, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") {
			e.add("fleet.nats_url", "must be nats://HOST:PORT (or tls://, ws://, wss://), comma-separated for several, not %q", u)
		}
	}
	if f.Node != "" && !ValidNodeName(f.Node) {
		e.add("fleet.node", "must be 1 to 64 letters, digits, '-' or '_', not %q", f.Node)
	}
	if f.Token != "" && (f.User != "" || f.Credentials != "") {
		e.add("fleet.token", "cannot be combined with fleet.user or fleet.credentials")
	}
	if f.Password != "" && f.User == "" {
		e.add("fleet.password", "needs fleet.user")
	}
	if (f.TLSCert == "") != (f.TLSKey == "") {
		e.add("fleet.tls_cert", "and fleet.tls_key go together")
	}
	if f.InvalidationTimeout < 0 {
		e.add("fleet.invalidation_timeout", "must not be negative, got %s", f.InvalidationTimeout)
	}
}
