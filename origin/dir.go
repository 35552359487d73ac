package origin

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cfedge/edge/config"
)

// Dir is an origin that serves the regular files of a local folder, for development and the
// demo. It answers like a plain object store (S3-like XML errors): GET and HEAD only, no
// directory listing, no index files (the edge handles default_root_object), single byte
// ranges and preconditions. Every path is confined to the folder by os.Root, which refuses
// ".." and symlinks that resolve outside it (and absolute symlinks). Safe for concurrent use.
type Dir struct {
	id         string
	root       *os.Root
	originPath string
	now        func() time.Time
}

var _ Fetcher = (*Dir)(nil)

// NewDir opens cfg.Path (which must be a directory) as the folder to serve. cfg.OriginPath,
// when set, selects a sub-folder: it starts with "/" and is escaped like a request path.
func NewDir(cfg config.Origin, opts Options) (*Dir, error) {
	if cfg.Kind != "" && cfg.Kind != config.KindDir {
		return nil, fmt.Errorf("origin %q: kind %q: NewDir needs %q", cfg.ID, cfg.Kind, config.KindDir)
	}
	if cfg.Path == "" {
		return nil, fmt.Errorf("origin %q: path: empty", cfg.ID)
	}
	originPath := strings.TrimSuffix(cfg.OriginPath, "/")
	if originPath != "" && !strings.HasPrefix(originPath, "/") {
		return nil, fmt.Errorf("origin %q: origin_path %q: must start with \"/\"", cfg.ID, cfg.OriginPath)
	}
	root, err := os.OpenRoot(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("origin %q: path %q: %w", cfg.ID, cfg.Path, err)
	}
	return &Dir{id: cfg.ID, root: root, originPath: originPath, now: opts.now()}, nil
}

// ID returns the origin's id.
func (d *Dir) ID() string { return d.id }

// Close closes the folder; later fetches answer 404.
func (d *Dir) Close() error { return d.root.Close() }

// errBadPath marks a request path that can never name a file in the folder safely.
var errBadPath = errors.New("invalid path")

// cleanName turns an escaped request path into a name relative to the folder. It
// percent-decodes once and refuses (errBadPath) encoded slashes or backslashes, bad escapes,
// backslashes, NUL and ".." segments. A path that is valid but cannot name a regular file
// ("/", "/dir/", "a//b", "/./a") returns ok false.
func cleanName(escaped string) (name string, ok bool, err error) {
	if !strings.HasPrefix(escaped, "/") {
		return "", false, errBadPath
	}
	for i := 0; i+2 < len(escaped); i++ {
		if escaped[i] != '%' {
			continue
		}
		switch strings.ToLower(escaped[i+1 : i+3]) {
		case "2f", "5c":
			return "", false, errBadPath
		}
	}
	dec, err := url.PathUnescape(escaped)
	if err != nil {
		return "", false, errBadPath
	}
	if strings.ContainsAny(dec, "\\\x00") {
		return "", false, errBadPath
	}
	name = dec[1:]
	for seg := range strings.SplitSeq(name, "/") {
		if seg == ".." {
			return "", false, errBadPath
		}
	}
	if name == "" || name == "." || !fs.ValidPath(name) {
		return "", false, nil
	}
	return name, true, nil
}

// Fetch answers req from the folder. It never returns an *Error: missing files are 404
// responses, unreadable ones 403, bad paths 400.
func (d *Dir) Fetch(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, fmt.Errorf("origin %q: nil request", d.id)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("origin %q: %s %s: %w", d.id, req.Method, req.Path, err)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet && method != http.MethodHead {
		resp := d.xmlError(method, http.StatusMethodNotAllowed, "MethodNotAllowed",
			"The specified method is not allowed against this resource.", "")
		resp.Header.Set("Allow", "GET, HEAD")
		return resp, nil
	}
	name, ok, err := cleanName(d.originPath + req.Path)
	if err != nil {
		return d.xmlError(method, http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.", ""), nil
	}
	if !ok {
		return d.notFound(method, req.Path), nil
	}
	f, fi, err := d.open(name)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return d.xmlError(method, http.StatusForbidden, "AccessDenied", "Access Denied", ""), nil
		}
		return d.notFound(method, req.Path), nil
	}
	return d.serve(method, req.Header, name, f, fi), nil
}

// open opens a regular file inside the folder. Anything else (directory, device, FIFO,
// socket, escape) is fs.ErrNotExist. The mode is checked before opening so that opening a
// FIFO cannot block, and again on the opened file.
func (d *Dir) open(name string) (*os.File, fs.FileInfo, error) {
	fi, err := d.root.Stat(name)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fs.ErrNotExist
	}
	f, err := d.root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, nil, fs.ErrNotExist
	}
	return f, fi, nil
}

// serve answers with the file f: preconditions, then a single range, then the whole file.
// It owns f: the returned body closes it, or it is closed here when no body is sent.
func (d *Dir) serve(method string, reqHeader http.Header, name string, f *os.File, fi fs.FileInfo) *Response {
	size, mod := fi.Size(), fi.ModTime()
	etag := `"` + strconv.FormatInt(size, 16) + "-" + strconv.FormatInt(mod.UnixNano(), 16) + `"`
	h := http.Header{
		"Date":          {d.now().UTC().Format(http.TimeFormat)},
		"Etag":          {etag},
		"Last-Modified": {mod.UTC().Format(http.TimeFormat)},
		"Accept-Ranges": {"bytes"},
	}
	switch preconditions(reqHeader, etag, mod) {
	case http.StatusNotModified:
		_ = f.Close()
		return &Response{Status: http.StatusNotModified, Header: h, Body: http.NoBody}
	case http.StatusPreconditionFailed:
		_ = f.Close()
		return d.xmlError(method, http.StatusPreconditionFailed, "PreconditionFailed",
			"At least one of the pre-conditions you specified did not hold", "")
	}
	h.Set("Content-Type", contentType(name))
	status, start, length := http.StatusOK, int64(0), size
	if rng := reqHeader.Get("Range"); rng != "" && ifRangeAllows(reqHeader, etag, mod) {
		a, n, res := parseRange(rng, size)
		switch res {
		case rangeOK:
			status, start, length = http.StatusPartialContent, a, n
			h.Set("Content-Range", contentRange(a, n, size))
		case rangeUnsatisfiable:
			_ = f.Close()
			resp := d.xmlError(method, http.StatusRequestedRangeNotSatisfiable, "InvalidRange",
				"The requested range is not satisfiable", "")
			resp.Header.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			return resp
		}
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	resp := &Response{Status: status, Header: h, ContentLength: length, Body: http.NoBody}
	if method == http.MethodHead {
		_ = f.Close()
		return resp
	}
	resp.Body = &fileBody{SectionReader: io.NewSectionReader(f, start, length), f: f}
	return resp
}

// notFound is S3's NoSuchKey answer.
func (d *Dir) notFound(method, key string) *Response {
	return d.xmlError(method, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", key)
}

// xmlError builds an S3-style XML error response (no body for HEAD, like S3).
func (d *Dir) xmlError(method string, status int, code, msg, key string) *Response {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>")
	b.WriteString(code)
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(&b, []byte(msg))
	b.WriteString("</Message>")
	if key != "" {
		b.WriteString("<Key>")
		_ = xml.EscapeText(&b, []byte(key))
		b.WriteString("</Key>")
	}
	b.WriteString("</Error>")
	body := b.String()
	h := http.Header{
		"Date":           {d.now().UTC().Format(http.TimeFormat)},
		"Content-Type":   {"application/xml"},
		"Content-Length": {strconv.Itoa(len(body))},
	}
	resp := &Response{Status: status, Header: h, ContentLength: int64(len(body)), Body: http.NoBody}
	if method != http.MethodHead {
		resp.Body = io.NopCloser(strings.NewReader(body))
	}
	return resp
}

// fileBody streams a section of an open file and closes the file once.
type fileBody struct {
	*io.SectionReader
	f      *os.File
	closed atomic.Bool
}

// Close closes the file; later calls do nothing.
func (b *fileBody) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	return b.f.Close()
}
