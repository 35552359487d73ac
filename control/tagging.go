package control

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// Tags on distributions
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ListTagsForResource.html,
// API_TagResource.html, API_UntagResource.html, API_Tag.html): the resource is named by its ARN
// in ?Resource=. Only distributions created through the API carry tags; those of the
// configuration file list none and refuse changes (IllegalUpdate), like every other change.

const taggingPath = "/2020-05-31/tagging"

// Tag limits: keys of 1 to 128 characters, values of 0 to 256, both from letters, digits,
// white space and _ . : / = + - @ (the TagKey and TagValue patterns of API_Tag.html), no
// "aws:" prefix (reserved for AWS), and at most 50 tags per resource
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/tagging.html).
const (
	maxTagKey   = 128
	maxTagValue = 256
	maxTags     = 50
)

var tagCharsRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func invalidTagging(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, CodeInvalidTagging, format, args...)
}

// checkTagKey refuses a key outside the limits.
func checkTagKey(k string) *apiError {
	switch n := utf8.RuneCountInString(k); {
	case n < 1 || n > maxTagKey:
		return invalidTagging("Tag key %q must be 1 to %d characters long.", clip(k, 140), maxTagKey)
	case !tagCharsRE.MatchString(k):
		return invalidTagging("Tag key %q holds characters other than letters, digits, spaces and _ . : / = + - @.", clip(k, 140))
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return invalidTagging("Tag key %q: the aws: prefix is reserved.", clip(k, 140))
	}
	return nil
}

// applyTags returns cur with add set (a key already there takes the new value, in place; a
// new key goes last) and the keys in remove taken away, refusing what breaks the limits.
func applyTags(cur, add []xmlTag, remove []string) ([]xmlTag, *apiError) {
	out := append([]xmlTag(nil), cur...)
	for _, t := range add {
		if aerr := checkTagKey(t.Key); aerr != nil {
			return nil, aerr
		}
		if t.Value != nil {
			if utf8.RuneCountInString(*t.Value) > maxTagValue || !tagCharsRE.MatchString(*t.Value) {
				return nil, invalidTagging("The value of tag %q must be at most %d letters, digits, spaces and _ . : / = + - @.", t.Key, maxTagValue)
			}
		}
		replaced := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i], replaced = t, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	for _, k := range remove {
		if aerr := checkTagKey(k); aerr != nil {
			return nil, aerr
		}
		kept := out[:0]
		for _, t := range out {
			if t.Key != k {
				kept = append(kept, t)
			}
		}
		out = kept
	}
	if len(out) > maxTags {
		return nil, invalidTagging("A distribution can have at most %d tags; this would give it %d.", maxTags, len(out))
	}
	return out, nil
}

// routeTagging dispatches ListTagsForResource (GET), TagResource and UntagResource (POST with
// Operation=Tag or Untag).
func (s *Server) routeTagging(ctx *fasthttp.RequestCtx) *apiError {
	args := ctx.QueryArgs()
	v := s.cur.Load()
	switch op := string(args.Peek("Operation")); {
	case ctx.IsGet() && op == "":
		d, aerr := tagTarget(v, string(args.Peek("Resource")))
		if aerr != nil {
			return aerr
		}
		x := xmlTags{Xmlns: Namespace}
		if d.api != nil {
			x.Items.Tag = d.api.tags
		}
		reply(ctx, http.StatusOK, marshalDoc(x))
		return nil
	case ctx.IsPost() && (op == "Tag" || op == "Untag"):
		return s.changeTags(ctx, op == "Tag", string(args.Peek("Resource")))
	}
	return unsupported(ctx)
}

// tagTarget returns the distribution whose ARN is arn: InvalidArgument when arn is not a
// CloudFront ARN, NoSuchResource when it names nothing that exists here.
func tagTarget(v *view, arn string) (*dist, *apiError) {
	if arn == "" {
		return nil, invalidArgument("The Resource parameter (the ARN of a distribution) is required.")
	}
	rest, ok := strings.CutPrefix(arn, "arn:aws:cloudfront::")
	if !ok {
		return nil, invalidArgument("Resource %q is not the ARN of a CloudFront resource.", clip(arn, 200))
	}
	id, ok := strings.CutPrefix(rest, accountID+":distribution/")
	d := v.byID[id]
	if !ok || d == nil {
		return nil, errorf(http.StatusNotFound, CodeNoSuchResource, "The specified resource does not exist: %q.", clip(arn, 200))
	}
	return d, nil
}

// changeTags is TagResource (tag) and UntagResource: 204.
func (s *Server) changeTags(ctx *fasthttp.RequestCtx, tag bool, arn string) *apiError {
	var add []xmlTag
	var remove []string
	body := ctx.Request.Body()
	if tag {
		var x xmlTags
		if aerr := decodeTagBody(body, &x, "Tags"); aerr != nil {
			return aerr
		}
		add = x.Items.Tag
	} else {
		var x xmlTagKeys
		if aerr := decodeTagBody(body, &x, "TagKeys"); aerr != nil {
			return aerr
		}
		remove = x.Items.Key
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur := s.cur.Load()
	d, aerr := tagTarget(cur, arn)
	if aerr != nil {
		return aerr
	}
	if d.api == nil {
		return errorf(http.StatusBadRequest, CodeIllegalUpdate,
			"Distribution %s is defined in edge's configuration file and is read-only through the API (tags included).", d.id)
	}
	tags, aerr := applyTags(d.api.tags, add, remove)
	if aerr != nil {
		return aerr
	}
	api := *d.api
	api.tags = tags
	nd := *d
	nd.api = &api
	next := cur.with(&nd, "")
	next.merged = cur.merged // tags are not served: the edge's configuration stays as it is
	if err := s.save(next, s.fns.snapshot()); err != nil {
		s.log.Error("control API: the state could not be saved; the tags are not changed", "err", err)
		return saveError(err)
	}
	s.cur.Store(next)
	ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func decodeTagBody(body []byte, v any, root string) *apiError {
	if len(strings.TrimSpace(string(body))) == 0 {
		return errorf(http.StatusBadRequest, CodeMissingBody, "This operation requires a body: a %s document.", root)
	}
	sc, aerr := scanDoc(body)
	if aerr != nil {
		return aerr
	}
	if sc.root != root {
		return malformed("The request body is a %s document; this operation takes %s.", clip(sc.root, 64), root)
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return malformed("The request body could not be read: %v.", err)
	}
	return nil
}
