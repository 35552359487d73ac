package config

import "strings"

// Wildcard alternate domain names ("Using the * wildcard in alternate domain names",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-wildcard):
// an alias may be "*." followed by a domain name, the * being the whole leftmost label
// ("*domain.example.com" and "subdomain.*.example.com" are refused), and a more specific
// alias wins over a wildcard that also covers the host. edge lets the * stand for exactly
// one label, as a TLS wildcard certificate does (RFC 6125 §6.4.3): "*.example.com" answers
// a.example.com but neither a.b.example.com nor example.com. (The page's own example also
// lists a deeper name, marketing.product-name.example.com; applying WildcardParent
// repeatedly, most specific parent first, gives that behaviour should edge adopt it.)

// wildcardProblem returns "" when s, which contains a "*", is a well-formed wildcard alias
// ("*." and a domain name; the domain name's labels are checked by hostProblem), else what
// is wrong with it.
func wildcardProblem(s string) string {
	first, rest, _ := strings.Cut(s, ".")
	switch {
	case first != "*" && strings.Contains(first, "*"):
		return `is not a valid wildcard: "*" must be the whole leftmost label, on its own, ` +
			`like "*.example.com" (not ` + quote(first) + `)`
	case first != "*" || strings.Contains(rest, "*"):
		return `is not a valid wildcard: "*" is allowed only as the whole leftmost label, like "*.example.com"`
	case rest == "":
		return `is not a valid wildcard: "*" must be followed by "." and a domain name, like "*.example.com"`
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }

// WildcardParent returns what a wildcard alias must name for host to match it: the part of
// host after its first label ("example.com" for "a.example.com"; "b.example.com" for
// "a.b.example.com", so "*.example.com" does not cover it). It returns nil when host has
// no parent to match: no dot, an empty first label, or nothing after the dot. host is a
// viewer's Host without port, lower-cased like the aliases it is compared with; the result
// shares its memory, so it allocates nothing.
//
// The edge looks a host up exactly first, and only then, with WildcardParent, among the
// parents of its wildcard aliases (WildcardAliasParent), so an exact alias wins.
func WildcardParent(host []byte) []byte {
	for i, c := range host {
		if c == '.' {
			if i == 0 || i == len(host)-1 {
				return nil
			}
			return host[i+1:]
		}
	}
	return nil
}

// WildcardAliasParent returns the domain a wildcard alias covers one label below
// ("example.com" for "*.example.com") and true, or "" and false when alias is not a
// wildcard. alias is assumed valid (Validate refuses malformed wildcards).
func WildcardAliasParent(alias string) (parent string, ok bool) {
	if rest, found := strings.CutPrefix(alias, "*."); found && rest != "" {
		return rest, true
	}
	return "", false
}
