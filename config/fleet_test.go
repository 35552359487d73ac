package config

import (
	"strings"
	"testing"
	"time"
)

// TestFleetSettings: [fleet] as Parse reads, defaults and validates it.
func TestFleetSettings(t *testing.T) {
	const dist = `
[[distribution]]
id = "E1"
[[distribution.origin]]
id = "o"
kind = "http"
domain_name = "127.0.0.1"
[distribution.default_behavior]
target_origin_id = "o"
`
	for _, c := range []struct {
		name, fleet, wantErr string
	}{
		{"none", ``, ""},
		{"minimal", `nats_url = "nats://127.0.0.1:4222"`, ""},
		{"cluster and auth", `nats_url = "nats://a:4222, tls://b:4222"
node = "edge-1_a"
user = "u"
password = "p"
tls_ca = "ca.pem"
invalidation_timeout = "5s"`, ""},
		{"shields without nats", `origin_shields = { "us-east-1" = "127.0.0.1:9090" }
shield_secret = "s"`, ""},
		{"bad scheme", `nats_url = "http://127.0.0.1:4222"`, "fleet.nats_url"},
		{"bad node", `nats_url = "nats://127.0.0.1:4222"
node = "edge.1"`, "fleet.node"},
		{"node without url", `node = "edge1"`, "fleet.nats_url"},
		{"token and user", `nats_url = "nats://h:4222"
token = "t"
user = "u"`, "fleet.token"},
		{"password without user", `nats_url = "nats://h:4222"
password = "p"`, "fleet.password"},
		{"cert without key", `nats_url = "nats://h:4222"
tls_cert = "c.pem"`, "fleet.tls_cert"},
		{"negative timeout", `nats_url = "nats://h:4222"
invalidation_timeout = "-1s"`, "fleet.invalidation_timeout"},
		{"bad region", `origin_shields = { "mars" = "127.0.0.1:9090" }`, "fleet.origin_shields"},
		{"bad shield address", `origin_shields = { "us-east-1" = "nowhere" }`, "fleet.origin_shields.us-east-1"},
		{"secret with a space", `shield_secret = "a b"`, "fleet.shield_secret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte("[fleet]\n"+c.fleet+"\n"+dist), "test.toml")
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Fleet.Enabled() && (cfg.Fleet.Node == "" || !ValidNodeName(cfg.Fleet.Node)) {
					t.Errorf("node name %q after defaults", cfg.Fleet.Node)
				}
				if cfg.Fleet.Enabled() && cfg.Fleet.InvalidationTimeout.D() <= 0 {
					t.Errorf("invalidation_timeout %v after defaults", cfg.Fleet.InvalidationTimeout.D())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one about %s", err, c.wantErr)
			}
		})
	}
	cfg, err := Parse([]byte("[fleet]\nnats_url = \"nats://h:4222\"\n"+dist), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fleet.InvalidationTimeout.D() != 60*time.Second {
		t.Errorf("default invalidation_timeout %v", cfg.Fleet.InvalidationTimeout.D())
	}
}

// TestNodeNameFromHost: a host name becomes a node name.
func TestNodeNameFromHost(t *testing.T) {
	for in, want := range map[string]string{"web-1.example.com": "web-1", "": "edge", "a b": "a-b",
		strings.Repeat("x", 80): strings.Repeat("x", 64)} {
		if got := NodeNameFromHost(in); got != want || !ValidNodeName(got) {
			t.Errorf("NodeNameFromHost(%q) = %q, want %q", in, got, want)
		}
	}
}
