//go:build !race

package edge

import (
	"io"
	"runtime"
	"testing"
)

// TestDiskHitsCopyNoBody: twenty 1 MiB hits from the disk tier allocate far less than one body:
// nothing of it is read into Go memory (left out of race builds, whose instrumentation
// allocates).
func TestDiskHitsCopyNoBody(t *testing.T) {
	body := bigBody(1 << 20)
	o := newTestOrigin(t)
	o.static("/big.bin", 200, map[string]string{"Cache-Control": "max-age=300"}, string(body))
	dir := t.TempDir()
	e := startDiskEdge(t, diskConfig(dir), dir, o.port(), nil)
	e.get(t, "/big.bin")
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for range 20 {
		resp, err := viewer.Do(e.request(t, "/big.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != int64(len(body)) || xcache(resp) != "Hit from cloudfront" {
			t.Fatalf("hit: %d bytes, %v, %q", n, err, xcache(resp))
		}
		resp.Body.Close()
	}
	runtime.ReadMemStats(&ms1)
	if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > uint64(len(body)) {
		t.Fatalf("20 disk hits of 1 MiB allocated %d bytes: the body went through Go memory", alloc)
	}
	if got := o.count("/big.bin"); got != 1 {
		t.Fatalf("origin saw %d requests, want 1", got)
	}
}
