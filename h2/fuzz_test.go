package h2_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cfedge/edge/h2"
	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// fuzzHandler answers every request with a fixed small body; /detach detaches first (without
// waiting), and a request with a body has up to 1 KiB of it read.
func fuzzHandler() *handler {
	answer := func(ctx *fasthttp.RequestCtx) {
		if r := ctx.RequestBodyStream(); r != nil {
			_, _ = io.CopyN(io.Discard, r, 1<<10)
		}
		ctx.SetBodyString("fuzz")
	}
	return &handler{routes: map[string]func(*fasthttp.RequestCtx){
		"/": answer,
		"/detach": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).Detach()
			answer(ctx)
		},
		"/hints": func(ctx *fasthttp.RequestCtx) {
			stream(ctx).EarlyHints([]string{"</a.css>; rel=preload"})
			answer(ctx)
		},
	}}
}

// seedFrames writes frames with a fresh HPACK encoder (the server's decoder is fresh on every
// connection) and returns their bytes.
func seedFrames(write func(fr *http2.Framer, block func(kv ...string) []byte)) []byte {
	var out, hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	block := func(kv ...string) []byte {
		hb.Reset()
		for i := 0; i+1 < len(kv); i += 2 {
			_ = enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		return append([]byte(nil), hb.Bytes()...)
	}
	write(http2.NewFramer(&out, nil), block)
	return out.Bytes()
}

// FuzzServeConn feeds arbitrary bytes, after a valid client preface and SETTINGS, to a
// connection served by the server, then closes it. It proves that no input panics the server,
// that the connection's goroutines all end once the client is gone (ServeConn returns, and the
// count of goroutines comes back to what it was: nothing is left waiting, nothing piles up), and
// that each input is handled within bounded time.
func FuzzServeConn(f *testing.F) {
	get := func(path string) []string {
		return []string{":method", "GET", ":scheme", "https", ":authority", "a.example", ":path", path}
	}
	post := []string{":method", "POST", ":scheme", "https", ":authority", "a.example", ":path", "/", "content-length", "5"}
	f.Add([]byte{})
	f.Add(seedFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(get("/")...), EndStream: true, EndHeaders: true})
	}))
	f.Add(seedFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(post...), EndHeaders: true})
		_ = fr.WriteData(1, false, []byte("hel"))
		_ = fr.WriteData(1, true, []byte("lo"))
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: block(get("/detach")...), EndStream: true, EndHeaders: true})
	}))
	f.Add(seedFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteWindowUpdate(0, 1<<20)
		_ = fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1}, http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 14})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(get("/hints")...), EndStream: true, EndHeaders: true})
		_ = fr.WriteWindowUpdate(1, 3)
		_ = fr.WriteRSTStream(1, http2.ErrCodeCancel)
	}))
	f.Add(seedFrames(func(fr *http2.Framer, block func(...string) []byte) {
		b := block(append(get("/"), "cookie", "a=1", "cookie", "b=2", "x-long", strings.Repeat("v", 300))...)
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:10], EndStream: true})
		_ = fr.WriteContinuation(1, false, b[10:20])
		_ = fr.WriteContinuation(1, true, b[20:])
		_ = fr.WritePriority(3, http2.PriorityParam{StreamDep: 1, Weight: 10})
	}))
	f.Add(seedFrames(func(fr *http2.Framer, block func(...string) []byte) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(post...), EndHeaders: true})
		_ = fr.WriteData(1, false, []byte("hello"))
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block("x-trailer", "t"), EndStream: true, EndHeaders: true})
		_ = fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	}))

	f.Fuzz(func(t *testing.T, data []byte) {
		base := runtime.NumGoroutine()
		srv := h2.NewServer(h2.Config{
			MaxConcurrentStreams: 8,
			MaxHeaderListSize:    4096,
			ReadTimeout:          time.Second,
			WriteTimeout:         2 * time.Second,
			IdleTimeout:          2 * time.Second,
		}, fuzzHandler())
		client, server := net.Pipe()
		served := make(chan struct{})
		go func() {
			defer close(served)
			srv.ServeConn(server)
		}()
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			_, _ = io.Copy(io.Discard, client)
		}()
		// Each iteration is bounded: a server that stops reading fails the write here.
		_ = client.SetWriteDeadline(time.Now().Add(2 * time.Second))
		var pre bytes.Buffer
		pre.WriteString(http2.ClientPreface)
		_ = http2.NewFramer(&pre, nil).WriteSettings()
		if _, err := client.Write(pre.Bytes()); err == nil && len(data) > 0 {
			_, _ = client.Write(data)
		}
		client.Close()
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Fatalf("ServeConn still running 5 s after the client closed\n%s", stacks())
		}
		select {
		case <-drained:
		case <-time.After(5 * time.Second):
			t.Fatal("the client's reader did not end")
		}
		// Everything the connection started (a detached loop, handlers, writers) ends too.
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines, %d before the connection\n%s", runtime.NumGoroutine(), base, stacks())
			}
			runtime.Gosched()
		}
	})
}

func stacks() string {
	b := make([]byte, 1<<20)
	return fmt.Sprintf("%s", b[:runtime.Stack(b, true)])
}
