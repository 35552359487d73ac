package disk

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const fuzzKey = "/D1/fuzz"

// fixChecksums rewrites what checksums a file's header claims so that they are right for the
// bytes it has (the key hash, header and metadata checksums; the body checksum only when
// body is set), letting the fuzzer reach the metadata decoder and the length and body checks.
func fixChecksums(b []byte, body bool) []byte {
	if len(b) < headerLen {
		return b
	}
	binary.LittleEndian.PutUint64(b[16:], hashKey([]byte(fuzzKey)))
	ml := int(binary.LittleEndian.Uint32(b[24:]))
	if ml >= 0 && headerLen+ml <= len(b) {
		binary.LittleEndian.PutUint32(b[28:], crc(b[headerLen:headerLen+ml]))
		if body {
			binary.LittleEndian.PutUint32(b[40:], crc(b[headerLen+ml:]))
		}
	}
	binary.LittleEndian.PutUint32(b[60:], crc(b[:60]))
	return b
}

// FuzzGet writes arbitrary bytes as the file at fuzzKey's hashed path and calls Get, before
// the start-up scan (a direct open) or after it (an indexed, unverified object). Get must not
// panic, and an object it returns must be exactly what the file's header describes: the key,
// a body whose length and CRC-32C match the header.
func FuzzGet(f *testing.F) {
	m := metaFor(fuzzKey, time.Now())
	good := encodeFile(m, bodyFor(fuzzKey, 3000))
	f.Add(good, false, false, false)
	f.Add(good, false, false, true)
	f.Add(good[:len(good)-1], true, false, false)
	f.Add(good[:headerLen+10], true, false, true)
	flipped := bytes.Clone(good)
	flipped[len(flipped)-100] ^= 4
	f.Add(flipped, true, false, false)
	f.Add(flipped, true, true, true)
	f.Add([]byte{}, false, false, false)
	f.Add([]byte("EDGD"), true, false, false)
	// One Store for all the inputs (an Open per input would make fuzzing crawl): each input is
	// written at the key's path, then read as the start-up scan and Get would read it, and
	// deleted.
	s, err := Open(Config{Dir: f.TempDir(), MaxBytes: 1 << 20, Now: func() time.Time { return m.Stored }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	<-s.Loaded()
	h := hashKey([]byte(fuzzKey))
	path := filepath.Join(s.dir, relPath(h))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, fix, fixBody, indexed bool) {
		if fix {
			data = fixChecksums(bytes.Clone(data), fixBody)
		}
		defer s.Delete([]byte(fuzzKey))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		get := func() (*Object, error) { return s.getUnindexed([]byte(fuzzKey), h) } // before the scan
		if indexed {
			s.scanFile(h) // the start-up scan's read: the object is then indexed, unverified
			get = func() (*Object, error) { return s.Get([]byte(fuzzKey)) }
		}
		o, err := get()
		if err != nil {
			t.Fatalf("Get: %v (a damaged file is a miss, not an error)", err)
		}
		if o == nil {
			return
		}
		defer o.Close()
		body, err := io.ReadAll(o.Body())
		if err != nil {
			t.Fatal(err)
		}
		hd, err := decodeHeader(data)
		if err != nil {
			t.Fatalf("served a file whose header does not decode: %v", err)
		}
		switch {
		case string(o.Meta.Key) != fuzzKey:
			t.Fatalf("served key %q", o.Meta.Key)
		case int64(len(data)) != hd.fileLen() || o.Size != hd.bodyLen || int64(len(body)) != hd.bodyLen:
			t.Fatalf("served a body of %d bytes; header says %d, file holds %d", len(body), hd.bodyLen, len(data))
		case crc(body) != hd.bodyCRC:
			t.Fatal("served a body that does not match its checksum")
		case !bytes.Equal(body, data[hd.bodyOff():]):
			t.Fatal("served bytes that are not the file's body")
		}
	})
}

// FuzzJournal opens a Store whose invalidation journal holds arbitrary bytes: Open must not
// fail or panic, and must leave a journal it can read back whole.
func FuzzJournal(f *testing.F) {
	var rec []byte
	rec = appendRecord(rec, record{kind: kindPlain, at: time.Unix(1_750_000_000, 0), dist: "D1", paths: []string{"/a", "/b*"}})
	rec = appendRecord(rec, record{kind: kindGuardedFloor, at: time.Unix(1_750_000_001, 0), dist: "D2"})
	f.Add(rec)
	f.Add(rec[:len(rec)-3])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		jpath := filepath.Join(dir, "invalidations")
		if err := os.WriteFile(jpath, data, 0o600); err != nil {
			t.Fatal(err)
		}
		now := func() time.Time { return time.Unix(1_750_000_100, 0) }
		s, err := Open(Config{Dir: dir, MaxBytes: 1 << 20, Now: now})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		s.Close()
		r := newRegistry()
		if st, err := readJournal(jpath, r, time.Time{}); err != nil || st.torn || st.skipped > 0 {
			t.Fatalf("the journal after Open: %+v, %v", st, err)
		}
	})
}
