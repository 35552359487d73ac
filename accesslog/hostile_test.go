package accesslog

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type hostileBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (h *hostileBuf) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.b.Write(p)
}

// TestHostileLogEveryByteEveryField: whatever bytes a record's text fields hold (every byte
// 0–255, CR, LF, tab, "#Fields:" at a line start, lone "-"), the Writer's output is the header
// and then exactly one line of 33 fields per record, none holding a byte outside 33–126, and
// each value decodes to what was written (AccessLogs.html, "Standard log file fields": values
// are URL-encoded; "-" means absent).
func TestHostileLogEveryByteEveryField(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	values := [][]byte{all, []byte("\n#Fields: date\r\n"), []byte("-"), []byte("\t-\t"), []byte("%zz%"), []byte("\xff\xfe<script>")}
	var out hostileBuf
	w, err := New(Config{W: &out, BufferSize: 512, MaxPending: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, v := range values {
		s := string(v)
		w.Write(&Record{Time: when, EdgeLocation: s, BytesSent: 1, ClientIP: v, Method: v, Host: s, URIStem: v, Status: 200,
			Referer: v, UserAgent: v, Query: v, Cookie: v, ResultType: s, RequestID: v, HostHeader: v, Protocol: s,
			BytesReceived: 1, ForwardedFor: v, SSLProtocol: s, SSLCipher: s, ResponseResultType: s, ProtocolVersion: v,
			ClientPort: 1, DetailedResultType: s, ContentType: v, ContentLength: 1, RangeStart: -1, RangeEnd: -1})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != 0 {
		t.Fatalf("%d dropped", w.Dropped())
	}
	text := out.b.String()
	if !strings.HasPrefix(text, Header) {
		t.Fatalf("no header: %q", text[:min(len(text), 80)])
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(text, Header), "\n"), "\n")
	if len(lines) != len(values) {
		t.Fatalf("%d lines for %d records", len(lines), len(values))
	}
	textFields := []string{"x-edge-location", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "cs(Referer)", "cs(User-Agent)",
		"cs-uri-query", "cs(Cookie)", "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol",
		"x-forwarded-for", "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version",
		"x-edge-detailed-result-type", "sc-content-type"}
	for i, line := range lines {
		for j := range len(line) {
			if c := line[j]; c != '\t' && (c < 33 || c > 126) {
				t.Fatalf("line %d holds %#x at %d", i, c, j)
			}
		}
		m, err := ParseLine(line)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		for _, f := range textFields {
			if got, err := Decode(m[f]); err != nil || got != string(values[i]) {
				t.Errorf("line %d %s = %q: decodes to %q, %v", i, f, m[f], got, err)
			}
		}
		if m["date"] != "2024-05-06" || m["time"] != "07:08:09" || m["fle-status"] != "-" {
			t.Errorf("line %d: date %q time %q fle %q", i, m["date"], m["time"], m["fle-status"])
		}
	}
}
