package control

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"github.com/valyala/fasthttp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CloudFront's invalidation limits
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-invalidations).
const (
	// MaxPathLen is the longest invalidation path, in characters.
	MaxPathLen = 4000
	// MaxBatchPaths is the most paths one batch may hold; more gives BatchTooLarge (413).
	MaxBatchPaths = 3000
	// MaxInProgressPaths is the most individual (non-wildcard) paths in progress per
	// distribution; going over gives TooManyInvalidationsInProgress.
	MaxInProgressPaths = 3000
	// MaxInProgressWildcards is the most wildcard paths in progress per distribution; going
	// over gives TooManyInvalidationsInProgress.
	MaxInProgressWildcards = 15
)

// batch is a parsed, validated InvalidationBatch.
type batch struct {
	callerRef string
	paths     []string
}

// wildcards returns how many of b's paths end in "*".
func (b *batch) wildcards() int {
	n := 0
	for _, p := range b.paths {
		if strings.HasSuffix(p, "*") {
			n++
		}
	}
	return n
}

// xmlBatchIn is the request body of CreateInvalidation. Pointers tell a missing element from an
// empty one.
type xmlBatchIn struct {
	XMLName xml.Name `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ InvalidationBatch"`
	Paths   *struct {
		Quantity *string `xml:"Quantity"`
		Items    *struct {
			Path []string `xml:"Path"`
		} `xml:"Items"`
	} `xml:"Paths"`
	CallerReference *string `xml:"CallerReference"`
}

// parseBatch decodes and checks a CreateInvalidation body: MissingBody when it is empty,
// InvalidArgument when it is not an InvalidationBatch in CloudFront's namespace, lacks a
// member or has a CallerReference that checkCallerRef refuses, InconsistentQuantities when
// Quantity differs from the number of paths, BatchTooLarge over MaxBatchPaths, and
// InvalidArgument naming every path that breaks the path rules. It never panics.
func parseBatch(body []byte) (batch, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return batch{}, errorf(http.StatusBadRequest, CodeMissingBody,
			"This operation requires a body: an InvalidationBatch document.")
	}
	var in xmlBatchIn
	if err := xml.Unmarshal(body, &in); err != nil {
		return batch{}, invalidArgument("The request body is not an InvalidationBatch document in namespace %s: %v.",
			Namespace, err)
	}
	if in.Paths == nil {
		return batch{}, invalidArgument("InvalidationBatch: Paths is required.")
	}
	if in.Paths.Quantity == nil {
		return batch{}, invalidArgument("InvalidationBatch: Paths.Quantity is required.")
	}
	q, err := strconv.Atoi(strings.TrimSpace(*in.Paths.Quantity))
	if err != nil || q < 0 {
		return batch{}, invalidArgument("InvalidationBatch: Paths.Quantity %q is not a non-negative integer.",
			*in.Paths.Quantity)
	}
	var paths []string
	if in.Paths.Items != nil {
		paths = in.Paths.Items.Path
	}
	if q != len(paths) {
		return batch{}, errorf(http.StatusBadRequest, CodeInconsistentQuantities,
			"The value of Quantity (%d) and the size of Items (%d) do not match.", q, len(paths))
	}
	if len(paths) == 0 {
		return batch{}, invalidArgument("InvalidationBatch: Paths must hold at least one path.")
	}
	if len(paths) > MaxBatchPaths {
		return batch{}, errorf(http.StatusRequestEntityTooLarge, CodeBatchTooLarge,
			"Invalidation batch specified is too large: %d paths, at most %d per batch.", len(paths), MaxBatchPaths)
	}
	if in.CallerReference == nil || *in.CallerReference == "" {
		return batch{}, invalidArgument("InvalidationBatch: CallerReference is required.")
	}
	if why := checkCallerRef(*in.CallerReference); why != "" {
		return batch{}, invalidArgument("InvalidationBatch: CallerReference %q %s.", clip(*in.CallerReference, 80), why)
	}
	var bad []string
	for _, p := range paths {
		if why := checkPath(p); why != "" {
			bad = append(bad, fmt.Sprintf("%q %s", clip(p, 80), why))
		}
	}
	if len(bad) > 0 {
		return batch{}, invalidArgument("Invalid invalidation path%s: %s.", plural(len(bad)), listSome(bad, 10))
	}
	return batch{callerRef: *in.CallerReference, paths: paths}, nil
}

// maxCallerRefBytes bounds an invalidation's CallerReference. CloudFront documents it as a
// string without a length
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_InvalidationBatch.html);
// edge keeps it to what its records and fleet messages carry.
const maxCallerRefBytes = 4096

// checkCallerRef returns why ref is not a CallerReference edge takes, or "" when it is: it must
// be non-empty, at most maxCallerRefBytes bytes, and hold no control characters. It is the one
// rule for both a request's batch (parseBatch) and a batch from the fleet (badBatch), so that
// every edge applies what one accepted.
func checkCallerRef(ref string) string {
	switch {
	case ref == "":
		return "is empty"
	case len(ref) > maxCallerRefBytes:
		return fmt.Sprintf("is %d bytes; at most %d are allowed", len(ref), maxCallerRefBytes)
	case strings.ContainsFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "holds a control character"
	}
	return ""
}

// checkPath returns why p is not a valid invalidation path, or "" when it is: it must begin
// with "/", hold "*" only as its last character, be at most MaxPathLen characters long and hold
// no control characters.
func checkPath(p string) string {
	switch {
	case p == "":
		return "is empty"
	case p[0] != '/':
		return `must begin with "/"`
	case utf8.RuneCountInString(p) > MaxPathLen:
		return fmt.Sprintf("is longer than %d characters", MaxPathLen)
	}
	if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
		return `may hold "*" only as its last character`
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return "holds a control character"
		}
	}
	return ""
}

// cacheForms is the package-level cacheForms, plus the path of the distribution's default root
// object when p stands for "/": the edge answers "/" with that object and caches it under the
// object's own path ("/index.html"), so invalidating "/" must reach that path too. (CloudFront
// serves the root object for "/" in the same way,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html.)
// A root object that is Smooth Streaming media served by a Smooth behavior is left out, as
// every Smooth medium is: naming "/" is not a request to invalidate it.
func (r *rules) cacheForms(p string) []string {
	forms := cacheForms(p)
	if r.rootPath != "" && forms[0] == "/" && !r.smoothMedia(r.rootPath) {
		forms = append(forms, r.rootPath)
	}
	return forms
}

// cacheForms returns the registry paths that stand for the invalidation path p: p itself, or,
// when p has a query string, its path part as an exact path (the registry keys on paths only,
// so every query variant is invalidated); plus the percent-decoded form when it differs (the
// viewer side keys objects by the decoded path). A form ending in "*" is a prefix.
//
// Only a literal "*" ending p is a wildcard; "%2A" is the character "*" in an object's name
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html,
// "Specifying the objects to invalidate": the * wildcard character goes at the end of the
// path). When decoding makes a form that p's own ending does not make a wildcard end in "*"
// ("/x%2A" → "/x*"), the registry, which has no exact form ending in "*", gets that path as a
// prefix of itself ("/x**", the prefix "/x*"): it reaches the object "/x*" and, beyond it, only
// objects whose names begin with "/x*", never the "/x…" a wildcard would.
func cacheForms(p string) []string {
	base := p
	if i := strings.IndexByte(p, '?'); i >= 0 {
		base = p[:i]
	}
	forms := []string{base}
	if dec := decodePercent(base); dec != base {
		if strings.HasSuffix(dec, "*") && !strings.HasSuffix(base, "*") {
			dec += "*"
		}
		forms = append(forms, dec)
	}
	return forms
}

// decodePercent returns s as the viewer side sees a request path: percent-decoded and normalised
// by fasthttp's own URI code, so that invalidation paths and cache entries agree byte for byte.
func decodePercent(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var u fasthttp.URI
	u.SetPath(s)
	return string(u.Path())
}

// samePaths reports whether a and b hold the same paths, in any order, duplicates counted.
func samePaths(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// clip shortens s to at most n bytes (at a rune boundary), marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// listSome joins up to max items with ", " and says how many more there are.
func listSome(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
