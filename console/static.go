package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"path"

	"github.com/valyala/fasthttp"
)

// staticFS holds the console's script, stylesheet and icon: hand-written, no library, no build
// step.
//
//go:embed static
var staticFS embed.FS

// staticType is the Content-Type of a static file, by its extension ("" for none served).
func staticType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return ""
}

// serveStatic answers /static/name from staticFS, with an ETag (and 304 on If-None-Match), to
// be revalidated on each use: the files change with the binary.
func serveStatic(ctx *fasthttp.RequestCtx, name string) {
	ct := staticType(name)
	if ct == "" || name != path.Clean(name) || path.Dir(name) != "." {
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	ctx.Response.Header.Set("ETag", etag)
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	if bytes.Contains(ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch), []byte(etag)) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetContentType(ct)
	ctx.SetBody(b)
}
