package cache

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

func metaEntry() *Entry {
	at := time.Date(2026, 12, 6, 7, 0, 0, 123, time.UTC)
	return &Entry{
		Key: []byte("EDIST\x00fp\x00/a.jpg"), Dist: "EDIST", Path: "/a.jpg", Status: 200,
		Header: []Field{{Key: []byte("Content-Type"), Value: []byte("image/jpeg")}, {Key: []byte("Vary"), Value: nil}},
		Stored: at, Expires: at.Add(time.Hour), InitialAge: 3 * time.Second,
		Date: []byte("Sun, 06 Dec 2026 07:00:00 GMT"), ETag: []byte(`"x"`), LastModified: nil,
		StaleWhileRevalidate: time.Minute, StaleIfError: 2 * time.Minute, HasStaleIfError: true,
		Body: []byte("not kept"), HeadSize: 99,
	}
}

// TestMetaRoundTrip: every field but Body and Head comes back equal.
func TestMetaRoundTrip(t *testing.T) {
	for _, e := range []*Entry{metaEntry(), {Key: []byte("k"), Status: 404, Stored: time.Unix(0, 0), Expires: time.Unix(0, 0)}} {
		got, err := ParseMeta(e.AppendMeta(nil))
		if err != nil {
			t.Fatal(err)
		}
		want := *e
		want.Body, want.Head, want.HeadSize = nil, nil, 0
		if !got.Stored.Equal(want.Stored) || !got.Expires.Equal(want.Expires) {
			t.Fatalf("times: %v %v", got.Stored, got.Expires)
		}
		got.Stored, got.Expires, want.Stored, want.Expires = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, &want)
		}
	}
}

// TestMetaRefused: a changed version, every truncation, trailing bytes and out-of-range values
// are errors wrapping ErrMeta, never a panic.
func TestMetaRefused(t *testing.T) {
	good := metaEntry().AppendMeta(nil)
	cases := map[string][]byte{
		"version":  append([]byte{2}, good[1:]...),
		"trailing": append(bytes.Clone(good), 0),
		"empty":    nil,
	}
	for i := range len(good) {
		if _, err := ParseMeta(good[:i]); err == nil {
			t.Errorf("truncated at %d: accepted", i)
		}
	}
	bad := (&Entry{Key: []byte("k"), Status: 42}).AppendMeta(nil)
	cases["status"] = bad
	for name, b := range cases {
		if _, err := ParseMeta(b); !errors.Is(err, ErrMeta) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseMeta: hostile bytes (a disk can hold anything) never panic, and what parses
// re-encodes to the same bytes.
func FuzzParseMeta(f *testing.F) {
	f.Add(metaEntry().AppendMeta(nil))
	f.Add([]byte{1, 1, 'k', 0, 0, 200, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseMeta(b)
		if err != nil {
			return
		}
		if again := e.AppendMeta(nil); !bytes.Equal(again, b) {
			// Non-minimal varints are the only other spelling; they must still decode equal.
			e2, err := ParseMeta(again)
			if err != nil || !bytes.Equal(e2.Key, e.Key) || e2.Status != e.Status {
				t.Fatalf("re-encoding differs: %v", err)
			}
		}
	})
}
