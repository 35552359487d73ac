package smooth

import (
	"errors"
	"strings"
	"testing"
)

func TestIsURLCandidate(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/demo/demo.ism/Manifest", true},
		{"/demo/demo.ISM/QualityLevels(1)/Fragments(video=0)", true},
		{"/demo/demo.IsM/", true},
		{"/live/pub.isml/Manifest", true},
		{"/live/pub.ISML/Manifest", true},
		{".ism/", true},
		{".isml/", true},
		{"/a.ism", false},  // no segment after the presentation
		{"/a.isml", false}, // idem
		{"/a.ismv", false},
		{"/a.ismc", false},
		{"/a.ism.txt/x", false},
		{"/a.ismx/x", false},
		{"/a-ism/x", false},
		{"/a.ims/x", false},
		{"/a.is/m/", false},
		{"", false},
		{"/", false},
		{".ism", false},
		{".isml", false},
		{"\x00ism/", false},
		{"/a.\xc9sm/x", false}, // 0xC9|0x20 is not 'i'
	}
	for _, tt := range tests {
		if got := IsURLCandidate([]byte(tt.path)); got != tt.want {
			t.Errorf("IsURLCandidate(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestIsMediaPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/v/a.ism", true},
		{"/v/a.ismc", true},
		{"/v/a.ismv", true},
		{"/v/a.isma", true},
		{"/v/a.ISMV", true},
		{"/v/a.IsMa", true},
		{"/v/a.ism/Manifest", true},
		{"/v/a.Ism/QualityLevels(1)/Fragments(video=0)", true},
		{"/v/a.ism/", true},
		{".ism", true},
		{"/v/a.ism.txt", false},
		{"/v/a.ismx", false},
		{"/v/a.mp4", false},
		{"/v/ism", false},
		{"/v/a.isml", false},          // a live presentation is not stored media
		{"/v/a.isml/Manifest", false}, // nor are its URLs
		{"/v/a.ism?x", false},         // paths come without a query string
		{"", false},
		{"/", false},
	}
	for _, tt := range tests {
		if got := IsMediaPath(tt.path); got != tt.want {
			t.Errorf("IsMediaPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestPredicatesAllocateNothing(t *testing.T) {
	long := []byte(strings.Repeat("/segment", 64) + "/pres.ISM/QualityLevels(300000)/Fragments(video=0)")
	if a := testing.AllocsPerRun(100, func() { IsURLCandidate(long) }); a != 0 {
		t.Errorf("IsURLCandidate: %v allocs, want 0", a)
	}
	s := string(long[:len(long)-40]) + ".jpg"
	if a := testing.AllocsPerRun(100, func() { IsMediaPath(s) }); a != 0 {
		t.Errorf("IsMediaPath: %v allocs, want 0", a)
	}
}

// FuzzIsURLCandidate checks IsURLCandidate against a plain reference and against ParseURL:
// a path ParseURL does not reject as ErrNotSmooth is always a candidate.
func FuzzIsURLCandidate(f *testing.F) {
	for _, s := range []string{"/a.ism/Manifest", "/a.isml/x", "/a.ISM", ".iSmL/", "/x.ism/QualityLevels(1)/Fragments(v=0)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		lower := asciiLower(path)
		want := strings.Contains(lower, ".ism/") || strings.Contains(lower, ".isml/")
		got := IsURLCandidate([]byte(path))
		if got != want {
			t.Fatalf("IsURLCandidate(%q) = %v, want %v", path, got, want)
		}
		if _, err := ParseURL(path); !errors.Is(err, ErrNotSmooth) && !got {
			t.Fatalf("ParseURL(%q) = %v, but the path is not a candidate", path, err)
		}
		wantMedia := strings.HasSuffix(lower, ".ism") || strings.HasSuffix(lower, ".ismc") ||
			strings.HasSuffix(lower, ".ismv") || strings.HasSuffix(lower, ".isma") || strings.Contains(lower, ".ism/")
		if got := IsMediaPath(path); got != wantMedia {
			t.Fatalf("IsMediaPath(%q) = %v, want %v", path, got, wantMedia)
		}
	})
}

// asciiLower lower-cases ASCII letters only (strings.ToLower also folds non-ASCII runes).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
