package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testPublicKeyPEM returns a fresh 2048-bit RSA public key as a "PUBLIC KEY" PEM block.
func testPublicKeyPEM(t testing.TB) (string, *rsa.PublicKey) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), &k.PublicKey
}

// fakeRSAPEM returns a PKCS #1 "RSA PUBLIC KEY" block whose modulus has exactly bits bits
// (not a product of two primes: parsing only looks at the size).
func fakeRSAPEM(bits int) string {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.SetBit(n, 0, 1)
	der := x509.MarshalPKCS1PublicKey(&rsa.PublicKey{N: n, E: 65537})
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: der}))
}

func TestParsePublicKey(t *testing.T) {
	pkix, want := testPublicKeyPEM(t)
	block, _ := pem.Decode([]byte(pkix))
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY",
		Bytes: x509.MarshalPKCS1PublicKey(parsed.(*rsa.PublicKey))}))
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))

	tests := []struct {
		name    string
		pem     string
		wantErr string // "" for success
	}{
		{"PKIX", pkix, ""},
		{"PKIX with surrounding white space", "\n  " + pkix + "\n\n", ""},
		{"PKIX indented, CRLF", "    " + strings.ReplaceAll(pkix, "\n", "\r\n    "), ""},
		{"PKCS1", pkcs1, ""},
		{"4096 bits", fakeRSAPEM(4096), ""},
		{"empty", "", "not a PEM block"},
		{"base64 without PEM armour", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "not a PEM block"},
		{"two blocks", pkix + pkix, "data after the PEM block"},
		{"private key type", strings.ReplaceAll(pkix, "PUBLIC KEY", "PRIVATE KEY"), `"PRIVATE KEY" is not a public key`},
		{"certificate type", strings.ReplaceAll(pkix, "PUBLIC KEY", "CERTIFICATE"), `"CERTIFICATE" is not a public key`},
		{"PKIX body labelled PKCS1", strings.ReplaceAll(pkix, "PUBLIC KEY", "RSA PUBLIC KEY"), "RSA PUBLIC KEY:"},
		{"PKCS1 body labelled PKIX", strings.ReplaceAll(pkcs1, "RSA PUBLIC KEY", "PUBLIC KEY"), "PUBLIC KEY:"},
		{"ECDSA", ecPEM, "only RSA keys"},
		{"1024 bits", fakeRSAPEM(1024), "1024-bit RSA key; it must have 2048 to 4096 bits"},
		{"4097 bits", fakeRSAPEM(4097), "4097-bit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePublicKey([]byte(tc.pem))
			if tc.wantErr == "" {
				if err != nil || k == nil {
					t.Fatalf("ParsePublicKey() = %v, %v; want a key", k, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParsePublicKey() error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	if k, _ := ParsePublicKey([]byte(pkix)); k == nil || !k.Equal(want) {
		t.Error("PKIX key parsed to a different key")
	}
	if k, _ := ParsePublicKey([]byte(pkcs1)); k == nil || !k.Equal(want) {
		t.Error("PKCS1 key parsed to a different key")
	}
}

// addKeyGroups gives full.toml two valid key groups and makes two behaviors trust them:
// "players" (keys K1 inline, K2 by path) and "partners" (key K3).
func addKeyGroups(pemKey string) func(c *Config) {
	return func(c *Config) {
		c.KeyGroups = []KeyGroup{
			{ID: "players", PublicKey: []PublicKey{{ID: "K1", EncodedKey: pemKey}, {ID: "K2", Path: "keys/k2.pem"}}},
			{ID: "partners", Comment: "b2b", PublicKey: []PublicKey{{ID: "K3", EncodedKey: pemKey}}},
		}
		d0(c).Behaviors[1].TrustedKeyGroups = []string{"players", "partners"}
		d0(c).DefaultBehavior.TrustedKeyGroups = []string{"players"}
	}
}

func TestValidateKeyGroups(t *testing.T) {
	pemKey, _ := testPublicKeyPEM(t)
	setup := addKeyGroups(pemKey)
	c := fullConfig(t)
	setup(c)
	if err := c.Validate(); err != nil {
		t.Fatalf("valid key groups: Validate() = %v", err)
	}
	with := func(f func(c *Config)) func(c *Config) {
		return func(c *Config) { setup(c); f(c) }
	}
	g := func(c *Config, i int) *KeyGroup { return &c.KeyGroups[i] }
	k := func(c *Config, i, j int) *PublicKey { return &c.KeyGroups[i].PublicKey[j] }
	key := func(id string) PublicKey { return PublicKey{ID: id, EncodedKey: pemKey} }
	runValidateCases(t, false, []validateCase{
		{"no public keys", with(func(c *Config) { g(c, 1).PublicKey = nil }), "key_group[1].public_key", "at least one"},
		{"six public keys", with(func(c *Config) {
			g(c, 1).PublicKey = []PublicKey{key("A1"), key("A2"), key("A3"), key("A4"), key("A5"), key("A6")}
		}), "key_group[1].public_key", "at most 5 public keys are allowed per key group, got 6"},
		{"key id missing", with(func(c *Config) { k(c, 0, 1).ID = "" }), "key_group[0].public_key[1].id", "required"},
		{"key id chars", with(func(c *Config) { k(c, 0, 1).ID = "K2&x" }), "key_group[0].public_key[1].id", "letters, digits"},
		{"key id duplicate within group", with(func(c *Config) { k(c, 0, 1).ID = "K1" }),
			"key_group[0].public_key[1].id", `duplicate public key id "K1" (also key_group[0].public_key[0].id)`},
		{"key id duplicate across groups", with(func(c *Config) { k(c, 1, 0).ID = "K2" }),
			"key_group[1].public_key[0].id", "also key_group[0].public_key[1].id"},
		{"neither encoded_key nor path", with(func(c *Config) { k(c, 0, 1).Path = "" }),
			"key_group[0].public_key[1].encoded_key", "one of encoded_key (a PEM public key) or path is required"},
		{"both encoded_key and path", with(func(c *Config) { k(c, 0, 0).Path = "k1.pem" }),
			"key_group[0].public_key[0].path", "cannot be set together with encoded_key"},
		{"encoded_key not PEM", with(func(c *Config) { k(c, 1, 0).EncodedKey = "K3" }), "key_group[1].public_key[0].encoded_key", "not a PEM block"},
		{"encoded_key too small", with(func(c *Config) { k(c, 1, 0).EncodedKey = fakeRSAPEM(1024) }),
			"key_group[1].public_key[0].encoded_key", "1024-bit"},
		{"trusted group unknown", with(func(c *Config) { d0(c).Behaviors[1].TrustedKeyGroups[1] = "nobody" }),
			"distribution[0].behavior[1].trusted_key_groups[1]", `"nobody" is not the id of a [[key_group]]`},
		{"trusted group unknown on default behavior", with(func(c *Config) { c.Distributions[1].DefaultBehavior.TrustedKeyGroups = []string{"x"} }),
			"distribution[1].default_behavior.trusted_key_groups[0]", `"x" is not the id`},
		{"trusted group empty", with(func(c *Config) { d0(c).DefaultBehavior.TrustedKeyGroups = []string{""} }),
			"distribution[0].default_behavior.trusted_key_groups[0]", "must be a key group id"},
		{"trusted group listed twice", with(func(c *Config) {
			d0(c).Behaviors[1].TrustedKeyGroups = []string{"players", "partners", "players"}
		}), "distribution[0].behavior[1].trusted_key_groups[2]", `"players" is listed twice (also distribution[0].behavior[1].trusted_key_groups[0])`},
		{"trusted groups without any key group", func(c *Config) { d0(c).Behaviors[0].TrustedKeyGroups = []string{"players"} },
			"distribution[0].behavior[0].trusted_key_groups[0]", "not the id"},
		{"five trusted groups", with(func(c *Config) {
			for _, id := range []string{"g3", "g4", "g5"} {
				c.KeyGroups = append(c.KeyGroups, KeyGroup{ID: id, PublicKey: []PublicKey{key("K" + id)}})
			}
			d0(c).Behaviors[1].TrustedKeyGroups = []string{"players", "partners", "g3", "g4", "g5"}
		}), "distribution[0].behavior[1].trusted_key_groups", "at most 4 key groups are allowed per behavior, got 5"},
	})
	// A broken group id also breaks the trusted_key_groups that name it.
	runValidateCases(t, true, []validateCase{
		{"group id missing", with(func(c *Config) { g(c, 1).ID = "" }), "key_group[1].id", "required"},
		{"group id duplicate", with(func(c *Config) { g(c, 1).ID = "players" }), "key_group[1].id", `duplicate key group id "players" (also key_group[0].id)`},
		{"duplicate group id still checks its keys", with(func(c *Config) {
			g(c, 1).ID = "players"
			k(c, 1, 0).EncodedKey = "junk"
		}), "key_group[1].public_key[0].encoded_key", "not a PEM block"},
	})
}

// keyGroupTOML is a minimal config with two key groups, in TOML, so the tests see the
// real key names (key_group, public_key, encoded_key, path, trusted_key_groups).
func keyGroupTOML(pemKey, path string) string {
	return base + `trusted_key_groups = ["players"]

[[distribution.behavior]]
path_pattern = "/partners/*"
target_origin_id = "o"
trusted_key_groups = ["players", "partners"]

[[key_group]]
id = "players"
comment = "rotation: K1 old, K2 new"
[[key_group.public_key]]
id = "K1"
encoded_key = """
` + pemKey + `"""
[[key_group.public_key]]
id = "K2"
path = "` + path + `"

[[key_group]]
id = "partners"
[[key_group.public_key]]
id = "K3"
path = "/etc/edge/k3.pem"
`
}

func TestKeyGroupsFromTOML(t *testing.T) {
	pemKey, _ := testPublicKeyPEM(t)
	doc := keyGroupTOML(pemKey, "keys/k2.pem")
	c, err := Parse([]byte(doc), "t.toml")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if len(c.KeyGroups) != 2 || len(c.KeyGroups[0].PublicKey) != 2 || c.KeyGroups[0].PublicKey[1].Path != "keys/k2.pem" {
		t.Fatalf("key groups decoded as %+v", c.KeyGroups)
	}
	if got := c.Distributions[0].Behaviors[0].TrustedKeyGroups; len(got) != 2 || got[1] != "partners" {
		t.Errorf("behavior trusted_key_groups = %q", got)
	}
	if got := c.Distributions[0].DefaultBehavior.TrustedKeyGroups; len(got) != 1 || got[0] != "players" {
		t.Errorf("default behavior trusted_key_groups = %q", got)
	}

	bad := strings.Replace(doc, `id = "K3"`, `id = "K1"`, 1)
	bad = strings.Replace(bad, `trusted_key_groups = ["players", "partners"]`, `trusted_key_groups = ["players", "partner"]`, 1)
	bad = strings.Replace(bad, "-----BEGIN PUBLIC KEY-----", "-----BEGIN PUBLIK KEY-----", 1)
	es := parseErrors(t, bad)
	want := []string{
		"key_group[0].public_key[0].encoded_key",
		"key_group[1].public_key[0].id",
		"distribution[0].behavior[0].trusted_key_groups[1]",
	}
	if got := paths(es); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("error paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	es = parseErrors(t, base+"[[key_group]]\nid = \"g\"\n[[key_group.public_key]]\nid = \"K\"\nencoded_kee = \"x\"\n")
	if got := paths(es); len(got) != 2 || got[0] != "key_group[0].public_key[0].encoded_kee" ||
		got[1] != "key_group[0].public_key[0].encoded_key" {
		t.Errorf("misspelt key: error paths %q", got)
	}
}

func TestLoadResolvesKeyPaths(t *testing.T) {
	pemKey, _ := testPublicKeyPEM(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "edge.toml")
	if err := os.WriteFile(file, []byte(keyGroupTOML(pemKey, "keys/k2.pem")), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.KeyGroups[0].PublicKey[1].Path, filepath.Join(dir, "keys", "k2.pem"); got != want {
		t.Errorf("relative key path = %q, want %q", got, want)
	}
	if got := c.KeyGroups[1].PublicKey[0].Path; got != "/etc/edge/k3.pem" {
		t.Errorf("absolute key path = %q, want it unchanged", got)
	}
	if got := c.KeyGroups[0].PublicKey[0].Path; got != "" {
		t.Errorf("inline key got a path %q", got)
	}
	c, err = Parse([]byte(keyGroupTOML(pemKey, "keys/k2.pem")), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.KeyGroups[0].PublicKey[1].Path; got != "keys/k2.pem" {
		t.Errorf("Parse changed the key path to %q", got)
	}
}

// FuzzParsePublicKey: any input gives a key or an error, never a panic, and an accepted
// key is RSA of an allowed size.
func FuzzParsePublicKey(f *testing.F) {
	pemKey, _ := testPublicKeyPEM(f)
	f.Add(pemKey)
	f.Add(fakeRSAPEM(2048))
	f.Add("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePublicKey([]byte(s))
		if (k == nil) == (err == nil) {
			t.Fatalf("ParsePublicKey() = %v, %v: want exactly one of key and error", k, err)
		}
		if k != nil && (k.N.BitLen() < MinPublicKeyBits || k.N.BitLen() > MaxPublicKeyBits) {
			t.Fatalf("accepted a %d-bit key", k.N.BitLen())
		}
	})
}

// TestKeyInSeveralGroups: one public key may be in several key groups when each lists it with
// the same key; with another key under the same id it is an error.
func TestKeyInSeveralGroups(t *testing.T) {
	pemKey, _ := testPublicKeyPEM(t)
	c := fullConfig(t)
	addKeyGroups(pemKey)(c)
	c.KeyGroups[1].PublicKey = append(c.KeyGroups[1].PublicKey, PublicKey{ID: "K1", EncodedKey: "\n" + pemKey + "\n"})
	if err := c.Validate(); err != nil {
		t.Fatalf("K1 in two groups with the same key: Validate() = %v", err)
	}
	c.KeyGroups[1].PublicKey[1] = PublicKey{ID: "K2", EncodedKey: pemKey} // K2 is keys/k2.pem in players
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `key_group[1].public_key[1].id: duplicate public key id "K2" (also key_group[0].public_key[1].id)`) ||
		!strings.Contains(err.Error(), "same encoded_key or path") {
		t.Errorf("K2 in two groups with different keys: Validate() = %v", err)
	}
}
