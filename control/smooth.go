package control

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/cfedge/edge/behavior"
	"github.com/cfedge/edge/config"
)

// behaviors is a distribution's behavior table reduced to what the Smooth rule needs: the
// compiled path patterns in list order, which of them have Smooth Streaming on, and the
// default behavior's setting. It is immutable after newBehaviors.
type behaviors struct {
	patterns  []*behavior.Pattern
	srcs      []string
	smooth    []bool
	defSmooth bool
	anySmooth bool
}

func newBehaviors(d *config.Distribution) (behaviors, error) {
	t := behaviors{defSmooth: d.DefaultBehavior.SmoothStreaming, anySmooth: d.DefaultBehavior.SmoothStreaming}
	for i := range d.Behaviors {
		b := &d.Behaviors[i]
		p, err := behavior.CompilePattern(b.PathPattern)
		if err != nil {
			return behaviors{}, fmt.Errorf("control: distribution %q: behavior[%d]: %w", d.ID, i, err)
		}
		t.patterns = append(t.patterns, p)
		t.srcs = append(t.srcs, b.PathPattern)
		t.smooth = append(t.smooth, b.SmoothStreaming)
		t.anySmooth = t.anySmooth || b.SmoothStreaming
	}
	return t, nil
}

// smoothBehavior reports whether the behavior that serves path (the first pattern that matches,
// else the default behavior, as the viewer picks it) has Smooth Streaming on. It allocates
// nothing.
func (t *behaviors) smoothBehavior(path string) bool {
	// Match only reads its argument: viewing the string's bytes without a copy is safe.
	b := unsafe.Slice(unsafe.StringData(path), len(path))
	for i, p := range t.patterns {
		if p.Match(b) {
			return t.smooth[i]
		}
	}
	return t.defSmooth
}

// smoothMedia reports whether path names Smooth Streaming media served with Smooth Streaming
// on: its name is Smooth-shaped (see smoothName) and its behavior has smooth_streaming set.
// It allocates nothing; it is the exclusion predicate handed to the cache for wildcards.
func (t *behaviors) smoothMedia(path string) bool {
	return t.anySmooth && smoothName(path) && t.smoothBehavior(path)
}

// smoothName reports whether path ends in .ism, .ismc, .ismv or .isma, or lies under a
// "name.ism/" presentation folder, ignoring case (the viewer side recognises ".ism" in any
// case).
func smoothName(path string) bool {
	for _, ext := range [...]string{".ism", ".ismc", ".ismv", ".isma"} {
		if len(path) >= len(ext) && strings.EqualFold(path[len(path)-len(ext):], ext) {
			return true
		}
	}
	return indexFold(path, ".ism/") >= 0
}

// indexFold returns the index of the first instance of the ASCII string sub in s, ignoring
// ASCII case, or -1.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// wildcardRefused reports whether the wildcard prefix can cover nothing but Smooth media: the
// prefix already lies under a "name.ism/" folder and the prefix itself is served by a
// Smooth behavior. Such a wildcard would invalidate nothing, so it is refused like an exact
// Smooth path.
func (t *behaviors) wildcardRefused(prefix string) bool {
	return t.anySmooth && indexFold(prefix, ".ism/") >= 0 && t.smoothBehavior(prefix)
}

// mayCover reports whether the wildcard prefix* may cover Smooth media: some behavior with
// Smooth Streaming on (the default behavior included) has a pattern that matches at least one
// path starting with prefix.
//
// The rule is sound (it never answers false when a Smooth medium is covered) and may answer
// true too often: it ignores that an earlier behavior can shadow the Smooth one and that the
// covered paths may all lack Smooth names. Erring that way is harmless, because the exclusion
// itself is decided exactly, path by path, by smoothMedia when the cache looks an entry up.
func (t *behaviors) mayCover(prefix string) bool {
	if !t.anySmooth {
		return false
	}
	if t.defSmooth {
		return true
	}
	for i, src := range t.srcs {
		if t.smooth[i] && prefixCompatible(src, prefix) {
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
func (t *behaviors) planBatch(paths []string) (plan, *apiError) {
	var pl plan
	var refused []string
	for _, p := range paths {
		bad := false
		for _, f := range cacheForms(p) {
			prefix, wild := strings.CutSuffix(f, "*")
			switch {
			case !wild && t.smoothMedia(f), wild && t.wildcardRefused(prefix):
				bad = true
			case wild && t.mayCover(prefix):
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
