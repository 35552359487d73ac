package config

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Key-group quotas ("Quotas on key groups",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-key-groups)
// and the key sizes edge accepts.
const (
	maxKeysPerGroup      = 5
	maxGroupsPerBehavior = 4
	// MinPublicKeyBits is the smallest RSA key ParsePublicKey accepts (CloudFront's keys are 2048-bit).
	MinPublicKeyBits = 2048
	// MaxPublicKeyBits is the largest RSA key ParsePublicKey accepts.
	MaxPublicKeyBits = 4096
)

// ParsePublicKey decodes one PEM block holding an RSA public key, as CloudFront's
// PublicKeyConfig.EncodedKey does: type "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY" (PKCS #1),
// surrounded by nothing but white space, of MinPublicKeyBits to MaxPublicKeyBits bits. Lines
// may be indented (as in an indented TOML string). The error says what is wrong; it never
// panics.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	block, rest := pem.Decode([]byte(strings.Join(lines, "\n")))
	if block == nil {
		return nil, errors.New("is not a PEM block (want -----BEGIN PUBLIC KEY-----)")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("has data after the PEM block (one key per public_key)")
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PUBLIC KEY: %w", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("is a %T public key; only RSA keys are supported", k)
		}
		pub = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("RSA PUBLIC KEY: %w", err)
		}
		pub = k
	default:
		return nil, fmt.Errorf("PEM type %q is not a public key (want PUBLIC KEY or RSA PUBLIC KEY)", block.Type)
	}
	if bits := pub.N.BitLen(); bits < MinPublicKeyBits || bits > MaxPublicKeyBits {
		return nil, fmt.Errorf("is a %d-bit RSA key; it must have %d to %d bits", bits, MinPublicKeyBits, MaxPublicKeyBits)
	}
	return pub, nil
}

// validateKeyGroups checks the [[key_group]] tables and the behaviors' trusted_key_groups.
// Key files named by path are not read here (Validate opens no files); access.New reads them.
// A public key may be in several groups, as on CloudFront (a key group lists public key ids,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_KeyGroupConfig.html): its id
// then appears in each with the same encoded_key or path, since a Key-Pair-Id names one key.
func (c *Config) validateKeyGroups(e *errs) {
	groups := map[string]string{} // group id -> path of its id
	type seenKey struct {
		path  string // path of its id
		group int
		key   PublicKey
	}
	keys := map[string]seenKey{} // public key id -> where it was first seen
	for i := range c.KeyGroups {
		g := &c.KeyGroups[i]
		p := idx("key_group", i)
		switch {
		case g.ID == "":
			e.add(p+".id", "is required")
		case groups[g.ID] != "":
			e.add(p+".id", "duplicate key group id %q (also %s)", g.ID, groups[g.ID])
		default:
			groups[g.ID] = p + ".id"
		}
		switch n := len(g.PublicKey); {
		case n == 0:
			e.add(p+".public_key", "at least one [[key_group.public_key]] is required")
		case n > maxKeysPerGroup:
			e.add(p+".public_key", "at most %d public keys are allowed per key group, got %d", maxKeysPerGroup, n)
		}
		for j := range g.PublicKey {
			k := &g.PublicKey[j]
			kp := idx(p+".public_key", j)
			switch {
			case k.ID == "":
				e.add(kp+".id", "is required")
			case !allChars(k.ID, isIDChar):
				e.add(kp+".id", "must be letters, digits, '-' and '_' (like \"K2JCJMDEHXQW5F\"), not %q", k.ID)
			case keys[k.ID].path != "":
				prev := keys[k.ID]
				switch {
				case prev.group == i:
					e.add(kp+".id", "duplicate public key id %q (also %s)", k.ID, prev.path)
				case !sameKey(prev.key, *k):
					e.add(kp+".id", "duplicate public key id %q (also %s): a key in several groups must have the same encoded_key or path there",
						k.ID, prev.path)
				}
			default:
				keys[k.ID] = seenKey{path: kp + ".id", group: i, key: *k}
			}
			switch {
			case k.EncodedKey == "" && k.Path == "":
				e.add(kp+".encoded_key", "one of encoded_key (a PEM public key) or path is required")
			case k.EncodedKey != "" && k.Path != "":
				e.add(kp+".path", "cannot be set together with encoded_key; use one")
			case k.EncodedKey != "":
				if _, err := ParsePublicKey([]byte(k.EncodedKey)); err != nil {
					e.add(kp+".encoded_key", "%v", err)
				}
			}
		}
	}
	for i := range c.Distributions {
		d := &c.Distributions[i]
		p := idx("distribution", i)
		for j := range d.Behaviors {
			checkTrusted(e, idx(p+".behavior", j)+".trusted_key_groups", d.Behaviors[j].TrustedKeyGroups, groups)
		}
		checkTrusted(e, p+".default_behavior.trusted_key_groups", d.DefaultBehavior.TrustedKeyGroups, groups)
	}
}

// sameKey reports whether a and b name the same key material: the same PEM text (white space
// around it aside) or the same file.
func sameKey(a, b PublicKey) bool {
	return strings.TrimSpace(a.EncodedKey) == strings.TrimSpace(b.EncodedKey) && a.Path == b.Path
}

// checkTrusted checks one behavior's trusted_key_groups against the key group ids.
func checkTrusted(e *errs, p string, ids []string, groups map[string]string) {
	if len(ids) > maxGroupsPerBehavior {
		e.add(p, "at most %d key groups are allowed per behavior, got %d", maxGroupsPerBehavior, len(ids))
	}
	for i, id := range ids {
		ip := idx(p, i)
		switch {
		case id == "":
			e.add(ip, "must be a key group id")
		case groups[id] == "":
			e.add(ip, "%q is not the id of a [[key_group]]", id)
		default:
			for j := range i {
				if ids[j] == id {
					e.add(ip, "%q is listed twice (also %s)", id, idx(p, j))
					break
				}
			}
		}
	}
}

// resolveKeyPaths makes relative public key paths relative to base.
func (c *Config) resolveKeyPaths(base string) {
	for i := range c.KeyGroups {
		for j := range c.KeyGroups[i].PublicKey {
			k := &c.KeyGroups[i].PublicKey[j]
			if k.Path != "" && !filepath.IsAbs(k.Path) {
				k.Path = filepath.Join(base, k.Path)
			}
		}
	}
}
