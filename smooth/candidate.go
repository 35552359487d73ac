package smooth

// IsURLCandidate reports whether path may be a Smooth Streaming URL: it holds a ".ism/" or
// ".isml/" segment boundary, in any ASCII case. Every URL ParseURL accepts (or reports as
// live or malformed) passes; most other paths fail, so callers parse only these. It allocates
// nothing.
func IsURLCandidate(path []byte) bool { return urlCandidate(path) }

// urlCandidate is IsURLCandidate for both string and []byte paths.
func urlCandidate[T ~string | ~[]byte](path T) bool {
	for i := 0; i+5 <= len(path); i++ {
		if path[i] == '.' && path[i+1]|0x20 == 'i' && path[i+2]|0x20 == 's' && path[i+3]|0x20 == 'm' {
			if path[i+4] == '/' || (i+5 < len(path) && path[i+4]|0x20 == 'l' && path[i+5] == '/') {
				return true
			}
		}
	}
	return false
}

// IsMediaPath reports whether path names Smooth Streaming media or lies under a presentation:
// it ends in .ism, .ismc, .ismv or .isma, or holds a "name.ism/" segment, in any ASCII case
// (as the viewer side recognises them). It allocates nothing.
func IsMediaPath(path string) bool {
	// The server manifest, the client manifest, and the video and audio media.
	for _, ext := range [...]string{".ism", ".ismc", ".ismv", ".isma"} {
		if hasSuffixFold(path, ext) {
			return true
		}
	}
	return containsFold(path, ".ism/")
}

// containsFold reports whether s holds sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if hasPrefixFold(s[i:], sub) {
			return true
		}
	}
	return false
}
