package control

import (
	"fmt"
	"strings"
	"sync"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/config"
	"github.com/cfedge/edge/smooth"
)

// rules is what an invalidation needs to know of a distribution: its behavior table, built by
// behavior.Compile exactly as the viewer pipeline builds it (so both agree on which behavior
// serves a path), and the path under which the edge caches the root URL. Its fields do not
// change after newRules, and it is safe for concurrent use.
type rules struct {
	table     *behavior.Table
	anySmooth bool      // some behavior, the default included, has Smooth Streaming on
	rootPath  string    // "/" + default_root_object, or "" when the distribution has none
	bufs      sync.Pool // *[]byte: scratch copies of paths for table.Match
}

// newRules compiles the behavior table of d (whose cache and origin request policies are
// looked up in cfg).
func newRules(cfg *config.Config, d *config.Distribution) (*rules, error) {
	t, err := behavior.Compile(cfg, d)
	if err != nil {
		return nil, fmt.Errorf("control: distribution %q: %w", d.ID, err)
	}
	r := &rules{table: t}
	for _, b := range t.Behaviors() {
		r.anySmooth = r.anySmooth || b.SmoothStreaming
	}
	if d.DefaultRootObject != "" {
		r.rootPath = "/" + d.DefaultRootObject
	}
	return r, nil
}

// smoothBehavior reports whether the behavior that serves path (the first pattern that matches,
// else the default behavior, as the viewer picks it) has Smooth Streaming on. It allocates
// nothing in the steady state: table.Match takes bytes, and a plain []byte(path) conversion
// would allocate for paths over 32 bytes (the compiler cannot prove that Match, which calls
// bytes.Index, leaves them alone), so path is copied into a pooled buffer instead.
func (r *rules) smoothBehavior(path string) bool {
	bp, _ := r.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = append((*bp)[:0], path...)
	b := r.table.Match(*bp)
	r.bufs.Put(bp)
	return b != nil && b.SmoothStreaming
}

// smoothMedia reports whether path names Smooth Streaming media served with Smooth Streaming
// on: its name is Smooth-shaped (smooth.IsMediaPath) and its behavior has smooth_streaming
// set. It allocates nothing; it is the exclusion predicate handed to the cache for wildcards.
func (r *rules) smoothMedia(path string) bool {
	return r.anySmooth && smooth.IsMediaPath(path) && r.smoothBehavior(path)
}

// underPresentation reports whether path holds a "name.ism/" segment, in any ASCII case.
func underPresentation(path string) bool {
	for i := 0; i+5 <= len(path); i++ {
		if strings.EqualFold(path[i:i+5], ".ism/") {
			return true
		}
	}
	return false
}

// wildcardRefused reports whether the wildcard prefix can cover nothing but Smooth media: the
// prefix already lies under a "name.ism/" folder and the prefix itself is served by a
// Smooth behavior. Such a wildcard would invalidate nothing, so it is refused like an exact
// Smooth path.
func (r *rules) wildcardRefused(prefix string) bool {
	return r.anySmooth && underPresentation(prefix) && r.smoothBehavior(prefix)
}

// mayCover reports whether the wildcard prefix* may cover Smooth media: some behavior with
// Smooth Streaming on (the default behavior included) has a pattern that matches at least one
// path starting with prefix.
//
// The rule is sound (it never answers false when a Smooth medium is covered) and may answer
// true too often: it ignores that an earlier behavior can shadow the Smooth one and that the
// covered paths may all lack Smooth names. Erring that way is harmless, because the exclusion
// itself is decided exactly, path by path, by smoothMedia when the cache looks an entry up.
func (r *rules) mayCover(prefix string) bool {
	if !r.anySmooth {
		return false
	}
	for _, b := range r.table.Behaviors() {
		if b.SmoothStreaming && (b.IsDefault() || prefixCompatible(b.PathPattern, prefix)) {
			return true
		}
	}
	return false
}

// prefixCompatible reports whether the CloudFront path pattern pat matches some path that
// starts with prefix (one leading "/" being optional on both). Before its first "*" a pattern
// is a fixed sequence of literal bytes and "?", so the question is decided by a single walk:
// when the walk reaches a "*" within the prefix, the "*" absorbs the rest of the prefix and the
// remainder of the pattern can be met by some suffix; when the prefix runs out first, some
// suffix completes the pattern; otherwise a literal differs or the pattern ends too early.
func prefixCompatible(pat, prefix string) bool {
	pat = strings.TrimPrefix(pat, "/")
	prefix = strings.TrimPrefix(prefix, "/")
	for i := 0; i < len(prefix); i++ {
		if i == len(pat) {
			return false
		}
		switch pat[i] {
		case '*':
			return true
		case '?':
		default:
			if pat[i] != prefix[i] {
				return false
			}
		}
	}
	return true
}

// plan is how an accepted batch reaches the cache.
type plan struct {
	plain  []string // exact paths and wildcards that cover no Smooth media
	except []string // wildcards that may cover Smooth media: invalidated with the exclusion
}

// planBatch maps paths onto registry forms (see cacheForms) and sorts them into plain and
// exclusion-needing ones. When a path names Smooth media of a Smooth behavior (or is a
// wildcard that covers nothing else), it returns InvalidArgument listing every such path.
func (r *rules) planBatch(paths []string) (plan, *apiError) {
	var pl plan
	var refused []string
	for _, p := range paths {
		bad := false
		for _, f := range r.cacheForms(p) {
			prefix, wild := strings.CutSuffix(f, "*")
			switch {
			case !wild && r.smoothMedia(f), wild && r.wildcardRefused(prefix):
				bad = true
			case wild && r.mayCover(prefix):
				pl.except = append(pl.except, f)
			default:
				pl.plain = append(pl.plain, f)
			}
		}
		if bad {
			refused = append(refused, p)
		}
	}
	if len(refused) > 0 {
		return plan{}, invalidArgument("You cannot invalidate Smooth Streaming media files while Smooth Streaming "+
			"is enabled for the cache behavior that serves them: %s. Rename the files instead "+
			"(for example add a version to their names) and update the references to them.",
			listSome(quoteAll(refused), 20))
	}
	return pl, nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", clip(v, 200))
	}
	return out
}
