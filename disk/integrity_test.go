package disk

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
	"time"
)

// damage describes one way a file goes bad. b is the file; key is its key.
type damage struct {
	name string
	do   func(b []byte) []byte
}

func damages(metaLen int) []damage {
	flip := func(off int) func([]byte) []byte {
		return func(b []byte) []byte {
			if off < 0 {
				off += len(b)
			}
			b[off] ^= 0x10
			return b
		}
	}
	cut := func(n int) func([]byte) []byte {
		return func(b []byte) []byte {
			if n < 0 {
				n += len(b)
			}
			return b[:n]
		}
	}
	body := headerLen + metaLen
	return []damage{
		{"empty", cut(0)},
		{"truncated in the header", cut(headerLen / 2)},
		{"truncated after the header", cut(headerLen)},
		{"truncated in the metadata", cut(headerLen + metaLen/2)},
		{"truncated before the body", cut(body)},
		{"truncated in the body", cut(body + 1000)},
		{"last byte missing", cut(-1)},
		{"a byte appended", func(b []byte) []byte { return append(b, 0) }},
		{"magic", flip(0)},
		{"version", flip(4)},
		{"generation", flip(8)},
		{"key hash", flip(16)},
		{"metadata length", flip(24)},
		{"body length", flip(32)},
		{"body checksum", flip(40)},
		{"header checksum", flip(60)},
		{"metadata time", flip(headerLen + 3)},
		{"key byte", flip(headerLen + metaFixed)},
		{"first body byte", flip(body)},
		{"a middle body byte", flip(body + 2000)},
		{"last body byte", flip(-1)},
		{"body length and checksum consistent with a longer file", func(b []byte) []byte {
			// A valid header for a body one byte longer: the file is then too short.
			hd, _ := decodeHeader(b)
			hd.bodyLen++
			hd.encode(b)
			return b
		}},
		{"metadata lengths rewritten with a valid metadata checksum", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[headerLen+16:], 9999) // key length
			hd, _ := decodeHeader(b)
			hd.metaCRC = crc(b[headerLen : headerLen+int(hd.metaLen)])
			hd.encode(b)
			return b
		}},
	}
}

// TestCorruptFileNeverServed damages a file in every way above and checks that Get returns
// nothing, removes the file and counts it, in the three ways Get meets a file: just after a
// restart before the start-up scan (Get opens it directly), after the scan (indexed,
// unverified), and while running (the object was verified when written: only the checks made
// on every open apply, see TestRunningBodyFlipNotDetected).
func TestCorruptFileNeverServed(t *testing.T) {
	const key, n = "/D1/corrupt", 8000
	m := metaFor(key, time.Now())
	good := encodeFile(m, bodyFor(key, n))
	for _, d := range damages(metaLen(&m)) {
		for _, when := range []string{"before the scan", "after the scan", "running, rewritten", "running, in place"} {
			inPlace := when == "running, in place"
			if inPlace && hasPrefixAny(d.name, "first body", "a middle body", "last body") {
				continue // not detected while running: TestRunningBodyFlipNotDetected
			}
			t.Run(d.name+"/"+when, func(t *testing.T) {
				cfg := testConfig(t)
				path := objectPath(cfg.Dir, key)
				write := func(b []byte) {
					if err := os.WriteFile(path, d.do(bytes.Clone(b)), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				var s *Store
				switch when {
				case "running, rewritten":
					// Another writer replaced the file: Get must verify it as new.
					s = openLoaded(t, cfg)
					mustPut(t, s, key, n)
					write(good)
				case "running, in place":
					s = openLoaded(t, cfg)
					mustPut(t, s, key, n)
					own, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					write(own)
				case "before the scan":
					writeRaw(t, cfg.Dir, m, nil) // creates the directories
					write(good)
					s = openGated(t, cfg, make(chan struct{}))
				default:
					writeRaw(t, cfg.Dir, m, nil) // creates the directories
					write(good)
					s = openLoaded(t, cfg)
				}
				o, err := s.Get([]byte(key))
				if o != nil {
					t.Fatalf("Get served a damaged file (%d bytes)", len(readBody(t, o)))
				}
				if err != nil {
					t.Fatalf("Get: %v, want nil, nil", err)
				}
				if _, err := os.Stat(path); err == nil {
					t.Error("the damaged file is still there")
				}
				st := s.Stats()
				if st.Corrupt != 1 {
					t.Errorf("Corrupt %d, want 1", st.Corrupt)
				}
				if st.Errors != 0 {
					t.Errorf("Errors %d, want 0 (corruption is not an I/O error)", st.Errors)
				}
				mustMiss(t, s, key)
				// The key can be stored again.
				mustPut(t, s, key, 10)
				if got, _ := mustGet(t, s, key); !bytes.Equal(got, bodyFor(key, 10)) {
					t.Error("the object stored after the corrupt one reads wrong")
				}
			})
		}
	}
}

// TestRunningBodyFlipNotDetected pins what the package documents: once an object has been
// verified (written here, or read once since Open), a bit flipped inside its body in place is
// not noticed until the next restart (Get checks the header, metadata and length on every
// open, not the body). A truncation is noticed at once.
func TestRunningBodyFlipNotDetected(t *testing.T) {
	cfg := testConfig(t)
	s := openLoaded(t, cfg)
	const key = "k"
	mustPut(t, s, key, 5000)
	path := objectPath(cfg.Dir, key)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := mustGet(t, s, key); bytes.Equal(got, bodyFor(key, 5000)) {
		t.Fatal("expected the flipped byte to be served while running (documented limitation)")
	}
	s.Close()
	s = openLoaded(t, cfg)
	mustMiss(t, s, key)
	if s.Stats().Corrupt != 1 {
		t.Error("the flip was not caught after a restart")
	}
}
