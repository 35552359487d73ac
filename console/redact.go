package console

import (
	"net/url"
	"strings"
)

// signingParams are the query parameters that make a URL signed, which the console never
// shows: CloudFront's signed URLs (Expires, Signature, Key-Pair-Id, Policy;
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html)
// and S3's presigned ones (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token;
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html). Names are
// compared without case.
var signingParams = [...]string{"signature", "policy", "key-pair-id", "expires",
	"x-amz-signature", "x-amz-credential", "x-amz-security-token"}

func signingParam(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.TrimSpace(name)
	for _, p := range signingParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// redactURL returns a path or URL as the console may show it: without user information
// ("user:password@"), without fragment and without the query parameters that sign it; the
// other parameters stay, in their order. A parameter is a run of the query between '&'s, named by what comes
// before its first '='.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], "/?#") {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			s = s[:i+3] + rest[at+1:]
		}
	}
	s, _, _ = strings.Cut(s, "#") // a fragment is never sent, and could hold anything
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return s
	}
	base, query := s[:q], s[q+1:]
	var kept []string
	for _, part := range strings.Split(query, "&") {
		name, _, _ := strings.Cut(part, "=")
		if !signingParam(name) {
			kept = append(kept, part)
		}
	}
	if len(kept) == 0 || len(kept) == 1 && kept[0] == "" {
		return base
	}
	return base + "?" + strings.Join(kept, "&")
}

// secretName reports whether a name (of a fleet node's detail, say) suggests its value is a
// secret, which the console then doesn't show.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"secret", "token", "password", "passwd", "credential", "authorization", "key", "signature", "cookie"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
