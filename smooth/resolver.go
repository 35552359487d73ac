package smooth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
)

// Source reads bytes of origin objects for the resolver. The edge implements it through its
// cache and origin, so repeated reads of the same range are cheap.
type Source interface {
	// ReadRange reads [off, off+n) of the object at path. off < 0 with n < 0 reads the last
	// -off bytes (a suffix range); off = 0 with n < 0 reads the whole object. A range past the
	// end is clamped as HTTP does. It returns the object's total size and ETag (empty if the
	// origin has none), and an error wrapping ErrNotFound when the object does not exist.
	ReadRange(ctx context.Context, path string, off, n int64) (data []byte, size int64, etag string, err error)
}

// ResolverConfig configures a Resolver.
type ResolverConfig struct {
	// Source reads origin objects. Required.
	Source Source
	// Logger receives index builds and manifest generation at debug and info level; nil
	// discards.
	Logger *slog.Logger
	// MaxIndexes bounds how many media-file indexes are kept (default 1024); they also hold at
	// most MaxIndexEntries × 16 entries in all (about 200 MiB).
	MaxIndexes int
	// MaxManifests bounds how many parsed server manifests are kept (default 256).
	MaxManifests int
}

// Resolver turns Smooth Streaming requests into reads of origin objects.
//
// The split of work with the edge: the edge's cache holds raw bytes (the .ism, the mfro
// tail, the mfra, fragment ranges) and decides their freshness; the Resolver keeps only
// what is parsed from them: server manifests keyed by (path, ETag or content), and file
// indexes keyed by (path, ETag, size). An index is used optimistically: the fragment read
// returns the object's current ETag and size, and a mismatch drops the index and builds it
// again, so a replaced file is noticed on its first fragment request. Objects without ETag
// are compared by size only. Concurrent first requests for one index share one build.
//
// A Resolver is safe for concurrent use.
type Resolver struct {
	src       Source
	log       *slog.Logger
	manifests *memo[*manifestEntry]
	indexes   *memo[*fileIndex]
}

type manifestEntry struct {
	size int64
	etag string
	raw  []byte // kept only when etag is empty
	m    *ServerManifest
}

type fileIndex struct {
	size int64
	etag string
	ix   *Index
}

// entries weighs an index in the resolver's memo.
func (f *fileIndex) entries() int64 { return int64(f.ix.entries) }

func (f *fileIndex) matches(size int64, etag string) bool {
	return f.size == size && f.etag == etag
}

// Fragment is a resolved fragment: where its bytes are and what to send.
type Fragment struct {
	// Path is the origin object (.ismv/.isma) holding the fragment.
	Path string
	// Offset and Length are the fragment's range [Offset, Offset+Length) in that object.
	Offset, Length int64
	// ContentType is video/mp4 or audio/mp4 (application/mp4 for text streams,
	// application/octet-stream for RawFragments).
	ContentType string
	// Body is the checked response body: a sub-slice of the bytes the Source returned, to be
	// treated as read-only.
	Body []byte
}

// ManifestContentType is the default Content-Type of Manifest responses ("MIME types for MSS
// content", https://docs.aws.amazon.com/mediapackage/latest/userguide/mss-cdn-configuration.html).
const ManifestContentType = "text/xml"

// NewResolver returns a Resolver reading through cfg.Source.
func NewResolver(cfg ResolverConfig) (*Resolver, error) {
	if cfg.Source == nil {
		return nil, errors.New("smooth: resolver: Source is required")
	}
	if cfg.MaxIndexes < 0 || cfg.MaxManifests < 0 {
		return nil, fmt.Errorf("smooth: resolver: negative cache bound (indexes %d, manifests %d)", cfg.MaxIndexes, cfg.MaxManifests)
	}
	if cfg.MaxIndexes == 0 {
		cfg.MaxIndexes = 1024
	}
	if cfg.MaxManifests == 0 {
		cfg.MaxManifests = 256
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{src: cfg.Source, log: log, manifests: newMemo[*manifestEntry](cfg.MaxManifests), indexes: newWeighedMemo(cfg.MaxIndexes, (*fileIndex).entries, 16*MaxIndexEntries)}, nil
}

// Manifest returns the client manifest of the presentation pres (the ".ism" path): the
// .ismc named by the server manifest's clientManifestRelativePath, byte for byte, or, when
// the .ism names none or it does not exist, one generated from the media files.
func (r *Resolver) Manifest(ctx context.Context, pres string) ([]byte, error) {
	sm, err := r.serverManifest(ctx, pres)
	if err != nil {
		return nil, err
	}
	if rel := sm.ClientManifestRelativePath; rel != "" {
		p, err := join(pres, rel)
		if err != nil {
			return nil, err
		}
		data, _, _, err := r.src.ReadRange(ctx, p, 0, -1)
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("smooth: reading client manifest %s: %w", p, err)
		}
		r.log.InfoContext(ctx, "smooth: client manifest missing, generating it", "presentation", pres, "ismc", p)
	}
	return r.generate(ctx, pres, sm)
}

// Fragment resolves a Fragments, FragmentInfo or RawFragments request to one range of one
// media file, reads it and checks it (CheckFragment). KeyFrames gives ErrUnsupported.
func (r *Resolver) Fragment(ctx context.Context, req Request) (Fragment, error) {
	switch req.Kind {
	case Fragments, FragmentInfo, RawFragments:
	case KeyFrames:
		return Fragment{}, fmt.Errorf("%w: KeyFrames (trick play) is not served", ErrUnsupported)
	default:
		return Fragment{}, fmt.Errorf("%w: %v is not a fragment request", ErrUnsupported, req.Kind)
	}
	sm, err := r.serverManifest(ctx, req.Presentation)
	if err != nil {
		return Fragment{}, err
	}
	tr, err := sm.Resolve(req.Bitrate, req.Stream, req.Attributes)
	if err != nil {
		return Fragment{}, fmt.Errorf("%s: %w", req.Presentation, err)
	}
	src, err := join(req.Presentation, tr.Src)
	if err != nil {
		return Fragment{}, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		fi, err := r.index(ctx, src)
		if err != nil {
			return Fragment{}, err
		}
		off, n, err := fi.ix.Range(tr.TrackID, req.Time)
		if err != nil {
			return Fragment{}, fmt.Errorf("%s: %w", src, err)
		}
		data, size, etag, err := r.src.ReadRange(ctx, src, off, n)
		if err != nil {
			return Fragment{}, fmt.Errorf("smooth: reading fragment of %s at %d: %w", src, off, err)
		}
		if !fi.matches(size, etag) {
			r.log.InfoContext(ctx, "smooth: media file changed, rebuilding its index", "path", src, "etag", etag, "size", size)
			r.indexes.removeIf(src, func(v *fileIndex) bool { return v == fi })
			continue
		}
		if int64(len(data)) != n {
			return Fragment{}, fmt.Errorf("%w: %s: read %d bytes of the %d-byte fragment at %d", ErrBadMedia, src, len(data), n, off)
		}
		info, err := checkFragment(data)
		if err != nil {
			return Fragment{}, fmt.Errorf("%s at %d: %w", src, off, err)
		}
		if tr.TrackID != 0 && info.trafs == 1 && info.trackID != tr.TrackID {
			return Fragment{}, fmt.Errorf("%w: %s: tfra of track %d points at a fragment of track %d", ErrBadMedia, src, tr.TrackID, info.trackID)
		}
		body, err := fragmentBody(data, info, req.Kind)
		if err != nil {
			return Fragment{}, err
		}
		return Fragment{Path: src, Offset: off, Length: n, ContentType: contentType(tr.Type, req.Kind), Body: body}, nil
	}
	return Fragment{}, fmt.Errorf("%w: %s keeps changing while it is read", ErrBadMedia, src)
}

func contentType(elem string, kind Kind) string {
	switch {
	case kind == RawFragments:
		return "application/octet-stream"
	case elem == "audio":
		return "audio/mp4"
	case elem == "video":
		return "video/mp4"
	}
	return "application/mp4"
}

// serverManifest reads and parses the .ism at pres, reusing the parse of unchanged bytes.
func (r *Resolver) serverManifest(ctx context.Context, pres string) (*ServerManifest, error) {
	data, size, etag, err := r.src.ReadRange(ctx, pres, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("smooth: reading server manifest %s: %w", pres, err)
	}
	if e, ok := r.manifests.get(pres); ok && e.size == size && e.etag == etag && (etag != "" || bytes.Equal(e.raw, data)) {
		return e.m, nil
	}
	m, err := ParseServerManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadMedia, pres, err)
	}
	e := &manifestEntry{size: size, etag: etag, m: m}
	if etag == "" {
		e.raw = bytes.Clone(data)
	}
	r.manifests.put(pres, e)
	return m, nil
}

// index returns the index of the media file at p, building it with two reads when missing.
func (r *Resolver) index(ctx context.Context, p string) (*fileIndex, error) {
	return r.indexes.do(ctx, p, func() (*fileIndex, error) {
		for attempt := 0; attempt < 2; attempt++ {
			tail, size, etag, err := r.src.ReadRange(ctx, p, -MfroSize, -1)
			if err != nil {
				return nil, fmt.Errorf("smooth: reading the mfro of %s: %w", p, err)
			}
			mfraSize, err := ParseMfro(tail)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if int64(mfraSize) > size {
				return nil, fmt.Errorf("%w: %s: mfra of %d bytes in a %d-byte file", ErrBadMedia, p, mfraSize, size)
			}
			mfra, size2, etag2, err := r.src.ReadRange(ctx, p, size-int64(mfraSize), int64(mfraSize))
			if err != nil {
				return nil, fmt.Errorf("smooth: reading the mfra of %s: %w", p, err)
			}
			if size2 != size || etag2 != etag {
				continue // replaced between the two reads
			}
			ix, err := ParseIndex(mfra, size)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			r.log.DebugContext(ctx, "smooth: indexed media file", "path", p, "size", size, "etag", etag, "tracks", len(ix.tracks))
			return &fileIndex{size: size, etag: etag, ix: ix}, nil
		}
		return nil, fmt.Errorf("%w: %s keeps changing while it is read", ErrBadMedia, p)
	})
}

// generate builds a client manifest from the media files the server manifest names.
func (r *Resolver) generate(ctx context.Context, pres string, sm *ServerManifest) ([]byte, error) {
	if len(sm.Tracks) == 0 {
		return nil, fmt.Errorf("%w: %s lists no tracks", ErrBadMedia, pres)
	}
	// Elements naming the same file (one per bitrate of a multi-track file, or the same track
	// under several names) share its moov and its tracks' last-fragment durations: the origin
	// reads grow with the files, not the elements.
	type file struct {
		ix      *Index
		infos   []trackInfo
		lastDur map[uint32]uint64
	}
	files := map[string]*file{}
	var tracks []qualityTrack
	for _, el := range sm.Tracks {
		src, err := join(pres, el.Src)
		if err != nil {
			return nil, err
		}
		f := files[src]
		if f == nil {
			fi, err := r.index(ctx, src)
			if err != nil {
				return nil, err
			}
			infos, err := r.moov(ctx, src)
			if err != nil {
				return nil, err
			}
			f = &file{ix: fi.ix, infos: infos, lastDur: map[uint32]uint64{}}
			files[src] = f
		}
		qt, err := r.qualityTrack(ctx, src, f.ix, f.infos, f.lastDur, el)
		if err != nil {
			return nil, err
		}
		tracks = append(tracks, qt)
	}
	out, err := buildClientManifest(tracks)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadMedia, pres, err)
	}
	return out, nil
}

// qualityTrack describes the track el names in the file src. lastDur holds the durations of
// the file's last fragments already read, by track, and gains the one it reads.
func (r *Resolver) qualityTrack(ctx context.Context, src string, ix *Index, infos []trackInfo, lastDur map[uint32]uint64, el TrackElement) (qualityTrack, error) {
	info, ok := pickTrack(infos, el.TrackID)
	if !ok {
		return qualityTrack{}, fmt.Errorf("%w: %s has no track %d", ErrBadMedia, src, el.TrackID)
	}
	frags := ix.Fragments(info.id)
	if len(frags) == 0 {
		return qualityTrack{}, fmt.Errorf("%w: %s: track %d has no fragments in its mfra", ErrBadMedia, src, info.id)
	}
	dur, ok := lastDur[info.id]
	if !ok {
		last := frags[len(frags)-1]
		data, _, _, err := r.src.ReadRange(ctx, src, last.Offset, last.Length)
		if err != nil {
			return qualityTrack{}, fmt.Errorf("smooth: reading the last fragment of %s: %w", src, err)
		}
		if dur, err = fragmentDuration(data, info.trexDuration); err != nil {
			return qualityTrack{}, fmt.Errorf("%s at %d: %w", src, last.Offset, err)
		}
		lastDur[info.id] = dur
	}
	if info.language == "" {
		info.language = el.SystemLanguage
	}
	qt := qualityTrack{info: info, name: el.Name(), bitrate: el.SystemBitrate, custom: el.CustomAttributes(), lastDur: dur}
	for _, f := range frags {
		qt.times = append(qt.times, f.Time)
	}
	return qt, nil
}

// moov reads and decodes the moov of the media file at p.
func (r *Resolver) moov(ctx context.Context, p string) ([]trackInfo, error) {
	head, _, _, err := r.src.ReadRange(ctx, p, 0, headRead)
	if err != nil {
		return nil, fmt.Errorf("smooth: reading the head of %s: %w", p, err)
	}
	off, size, err := findMoov(head)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	moov := head[off:min(off+size, int64(len(head)))]
	if int64(len(moov)) < size {
		if moov, _, _, err = r.src.ReadRange(ctx, p, off, size); err != nil {
			return nil, fmt.Errorf("smooth: reading the moov of %s: %w", p, err)
		}
	}
	infos, err := parseMoov(moov)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return infos, nil
}

func pickTrack(infos []trackInfo, id uint32) (trackInfo, bool) {
	if id == 0 && len(infos) == 1 {
		return infos[0], true
	}
	for _, ti := range infos {
		if ti.id == id {
			return ti, true
		}
	}
	return trackInfo{}, false
}

// join resolves a server-manifest reference against the folder of the presentation.
func join(pres, ref string) (string, error) {
	ref = strings.ReplaceAll(ref, `\`, "/")
	if ref == "" || strings.Contains(ref, "://") {
		return "", fmt.Errorf("%w: %s refers to %q, which is not a relative file path", ErrBadMedia, pres, ref)
	}
	if strings.HasPrefix(ref, "/") {
		return path.Clean(ref), nil
	}
	return path.Join(path.Dir(pres), ref), nil
}

// ManifestCharset returns "utf-16" for a client manifest with a UTF-16 byte-order mark and
// "utf-8" otherwise, for the charset parameter of the Manifest Content-Type.
func ManifestCharset(body []byte) string {
	if bytes.HasPrefix(body, []byte{0xFF, 0xFE}) || bytes.HasPrefix(body, []byte{0xFE, 0xFF}) {
		return "utf-16"
	}
	return "utf-8"
}
