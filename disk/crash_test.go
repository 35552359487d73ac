//go:build unix

package disk

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashSize is the body size of key i in the crash test: 1 KiB to ~600 KiB, so that most of a
// child's time goes into writing bodies.
func crashSize(key string) int { return 1024 + int(hashKey([]byte(key))%(600<<10)) }

// TestCrashKill9 runs a child process (this test binary) that stores objects from several
// goroutines in a loop, kills it with SIGKILL at a random moment, and opens the directory:
// every object the child reported stored is there, every object Get returns is byte-exact,
// nothing partial was ever visible (nothing found corrupt) and no temporary file remains. It
// does so 20 times on the same directory, so that the later rounds start from what the
// earlier crashes left.
func TestCrashKill9(t *testing.T) {
	if os.Getenv("DISK_CRASH_DIR") != "" { // this process is the child the test kills
		crashChild(t)
		return
	}
	rounds := 20
	if testing.Short() || raceEnabled {
		rounds = 5 // the race-instrumented child is slow; the crashes are the same
	}
	dir := t.TempDir()
	cfg := Config{Dir: dir, MaxBytes: 1 << 30}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	stored := make(map[string]bool) // reported by a child as stored
	var attempted []string          // every key a child may have been writing
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKill9$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DISK_CRASH_DIR="+dir, "DISK_CRASH_ROUND="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of reported Puts (each line is one, so the child is in
		// the middle of its next writes on every goroutine).
		killAfter := 1 + r.IntN(40)
		lines := bufio.NewScanner(out)
		n := 0
		for n < killAfter && lines.Scan() {
			line := lines.Text()
			if key, ok := strings.CutPrefix(line, "stored "); ok {
				stored[key] = true
				n++
			} else if !strings.HasPrefix(line, "started") {
				t.Logf("child: %s", line)
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for lines.Scan() { // what it printed before it died counts too
			if key, ok := strings.CutPrefix(lines.Text(), "stored "); ok {
				stored[key] = true
			}
		}
		cmd.Wait()
		for g := range crashGoroutines {
			for i := range crashMaxPerGoroutine {
				attempted = append(attempted, crashKey(round, g, i))
			}
		}

		tmpLeft := tmpFiles(t, dir) // the crash's leftovers, before Open cleans them
		s := openStore(t, cfg)
		if left := tmpFiles(t, dir); len(left) != 0 {
			t.Fatalf("round %d: Open left temporary files %v", round, left)
		}
		hits := 0
		for _, key := range attempted {
			o, err := s.Get([]byte(key))
			if err != nil {
				t.Fatalf("round %d: Get %s: %v", round, key, err)
			}
			if o == nil {
				if stored[key] {
					t.Errorf("round %d: %s was reported stored and is gone", round, key)
				}
				continue
			}
			hits++
			if got := readBody(t, o); !bytes.Equal(got, bodyFor(key, crashSize(key))) {
				t.Errorf("round %d: %s: %d bytes served, not what was written", round, key, len(got))
			}
		}
		<-s.Loaded()
		st := s.Stats()
		if st.Corrupt != 0 {
			t.Errorf("round %d: %d corrupt files found: an incomplete file was visible", round, st.Corrupt)
		}
		checkConsistent(t, s)
		t.Logf("round %d: killed after %d puts; %d temporary files left by the crash; %d objects held, %d hits",
			round, killAfter, len(tmpLeft), st.Objects, hits)
		s.Close()
		// Only keep the keys that matter for the next rounds' checks.
		attempted = attempted[:0]
		for key := range stored {
			attempted = append(attempted, key)
		}
	}
}

const (
	crashGoroutines      = 4
	crashMaxPerGoroutine = 200
)

func crashKey(round, g, i int) string { return fmt.Sprintf("/crash/%d/%d/%d", round, g, i) }

// crashChild is TestCrashKill9 in its child process: it stores objects until it is killed.
func crashChild(t *testing.T) {
	dir := os.Getenv("DISK_CRASH_DIR")
	round, _ := strconv.Atoi(os.Getenv("DISK_CRASH_ROUND"))
	s, err := Open(Config{Dir: dir, MaxBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fmt.Println("started")
	var wg sync.WaitGroup
	for g := range crashGoroutines {
		wg.Go(func() {
			for i := range crashMaxPerGoroutine {
				key := crashKey(round, g, i)
				n := crashSize(key)
				size := int64(n)
				if i%2 == 1 {
					size = -1
				}
				if err := s.Put(metaFor(key, time.Now()), bytes.NewReader(bodyFor(key, n)), size); err != nil {
					fmt.Println("error", err)
					continue
				}
				mu.Lock()
				fmt.Println("stored", key)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.Close()
}
