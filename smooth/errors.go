package smooth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors callers branch on. Errors returned by this package wrap at most one of them
// (ErrNoMfra and ErrLive wrap ErrBadMedia and ErrNotFound respectively); StatusOf maps them to
// HTTP statuses.
var (
	// ErrNotSmooth means the path is not a Smooth Streaming URL: serve it as a normal object.
	ErrNotSmooth = errors.New("smooth: not a Smooth Streaming URL")
	// ErrNotFound means a presentation, file, track, bitrate or fragment time does not exist (404).
	ErrNotFound = errors.New("smooth: not found")
	// ErrAmbiguous means a request matches more than one track of the server manifest (404: the
	// request does not name exactly one track).
	ErrAmbiguous = errors.New("smooth: request matches more than one track")
	// ErrBadMedia means origin content cannot be served as Smooth Streaming: no or corrupt mfra
	// index, base-data-offset in tfhd, a range that does not hold exactly moof+mdat (502).
	ErrBadMedia = errors.New("smooth: bad media")
	// ErrNoMfra means the media file does not end with an mfra/mfro index. It is an ErrBadMedia.
	ErrNoMfra = fmt.Errorf("%w: no mfra index at the end of the file", ErrBadMedia)
	// ErrLive means the URL names a live (".isml") presentation, which an on-demand edge does not
	// serve. It is an ErrNotFound.
	ErrLive = fmt.Errorf("%w: live presentations (.isml) are not served", ErrNotFound)
	// ErrUnsupported means a well-formed request for a feature the edge does not implement
	// (KeyFrames); answered with 400 as nginx-vod does.
	ErrUnsupported = errors.New("smooth: unsupported request")
)

// StatusOf returns the HTTP status for an error from this package: 200 for nil, 400 for a
// *URLError or ErrUnsupported, 404 for ErrNotFound and ErrAmbiguous, 502 for ErrBadMedia and
// 500 for anything else (including ErrNotSmooth, which callers must handle before asking).
// An expired context deadline maps to 504.
func StatusOf(err error) int {
	var ue *URLError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &ue), errors.Is(err, ErrUnsupported):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrAmbiguous):
		return http.StatusNotFound
	case errors.Is(err, ErrBadMedia):
		return http.StatusBadGateway
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}
