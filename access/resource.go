package access

import "strings"

// matchResource reports whether a custom policy's Resource admits the URL
// scheme://host path[?query] (query already without the signing parameters).
//
// The pattern is read in sections, [protocol]://[domain]/[path]\?[query] (Resource in
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html):
// "*" matches any run of characters and "?" exactly one, and neither crosses from
// one section into the next, except that:
//   - "*" alone matches every URL;
//   - a pattern with no "://" that starts with "*" has the protocol "*" (any);
//   - the protocol is http, https or * (and http*, for cookies only), case-insensitive;
//   - the domain is case-insensitive; a domain with no path after it that ends in "*" also
//     matches any path and query, and one that does not stands for the path "/";
//   - a "*" ending the path also matches "?" and any query;
//   - the path ends at "\?" (a literal "?"), or at a "?" that stands for the query
//     separator; a "?" may equally be a one-character wildcard inside the path.
func matchResource(pat, scheme string, host, path, query []byte, cookie bool) bool {
	if pat == "*" {
		return true
	}
	proto, rest, ok := strings.Cut(pat, "://")
	if !ok {
		if !strings.HasPrefix(pat, "*") {
			return false
		}
		proto, rest = "*", pat
	}
	switch {
	case strings.EqualFold(proto, "http"), strings.EqualFold(proto, "https"), proto == "*":
	case strings.EqualFold(proto, "http*") && cookie:
	default:
		return false
	}
	if !glob(proto, scheme, true) {
		return false
	}
	dom, pq := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		dom, pq = rest[:i], rest[i:]
	} else if strings.HasSuffix(dom, "*") {
		return glob(dom, host, true)
	}
	if !glob(dom, host, true) {
		return false
	}
	return matchPathQuery(pq, path, query)
}

// matchPathQuery matches the path-and-query part of a Resource against a request path and
// (stripped) query; see matchResource.
func matchPathQuery(pq string, path, query []byte) bool {
	if len(query) == 0 {
		if glob(pq, path, false) {
			return true
		}
	} else if strings.HasSuffix(pq, "*") && glob(pq, path, false) {
		return true // a trailing "*" in the path implies \?*
	}
	// Try each place where the pattern may pass from the path to the query.
	for k := 0; k < len(pq); k++ {
		switch {
		case pq[k] == '\\' && k+1 < len(pq) && pq[k+1] == '?':
			if glob(pq[:k], path, false) && glob(pq[k+2:], query, false) {
				return true
			}
			k++
		case pq[k] == '?' && len(query) > 0:
			if glob(pq[:k], path, false) && glob(pq[k+1:], query, false) {
				return true
			}
		}
	}
	return false
}

// glob matches s against p, where "*" is any run of bytes, "?" is one byte and "\?" is a
// literal "?". With fold, ASCII letters match regardless of case.
func glob[T string | []byte](p string, s T, fold bool) bool {
	px, sx := 0, 0
	nextPx, nextSx := 0, 0 // where to resume after the last "*"; nextSx 0: no "*" yet
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; {
			case c == '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case c == '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			case c == '\\' && px+1 < len(p) && p[px+1] == '?':
				if sx < len(s) && s[sx] == '?' {
					px += 2
					sx++
					continue
				}
			default:
				if sx < len(s) && sameByte(c, s[sx], fold) {
					px++
					sx++
					continue
				}
			}
		}
		if 0 < nextSx && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

func sameByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}
