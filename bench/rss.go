package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// rssWatch samples a process's resident set size from /proc until stopped.
type rssWatch struct {
	rep  RSSReport
	stop chan struct{}
	done chan struct{}
}

// readRSS returns the VmRSS of pid in bytes, from /proc/<pid>/status (Linux).
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("rss of pid %d: %w", pid, err)
	}
	return parseVmRSS(b)
}

// parseVmRSS finds "VmRSS: N kB" in a /proc status file.
func parseVmRSS(status []byte) (int64, error) {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("rss: VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("rss: VmRSS line %q", line)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("rss: no VmRSS line")
}

// watchRSS checks that pid can be read and then samples it every interval.
func watchRSS(pid int, interval time.Duration) (*rssWatch, error) {
	rss, err := readRSS(pid)
	if err != nil {
		return nil, err
	}
	w := &rssWatch{rep: RSSReport{PID: pid, MaxRSS: rss, LastRSS: rss, Samples: 1}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.sample()
			}
		}
	}()
	return w, nil
}

func (w *rssWatch) sample() {
	rss, err := readRSS(w.rep.PID)
	if err != nil {
		return
	}
	w.rep.Samples++
	w.rep.LastRSS = rss
	w.rep.MaxRSS = max(w.rep.MaxRSS, rss)
}

// finish takes a last sample and returns the report.
func (w *rssWatch) finish() *RSSReport {
	close(w.stop)
	<-w.done
	w.sample()
	rep := w.rep
	return &rep
}
