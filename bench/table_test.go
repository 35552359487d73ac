package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 100}, 3.5},
	}
	for _, tc := range tests {
		in := append([]float64(nil), tc.in...)
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("median reordered its input")
			}
		}
	}
}

func rep(label string, rps, p99 float64) *Report {
	return &Report{Label: label, RPS: rps, Latency: Latency{P50: p99 / 2, P99: p99}}
}

func TestWriteTable(t *testing.T) {
	reps := []*Report{
		rep("1KiB/edge", 1000, 2), rep("1KiB/nginx", 800, 3), rep("1KiB/varnish", 500, 4), rep("1KiB/ceiling", 1250, 1),
		rep("1KiB/edge", 1200, 2), rep("1KiB/nginx", 900, 3), rep("1KiB/varnish", 700, 4), rep("1KiB/ceiling", 1250, 1),
		rep("1KiB/edge", 1100, 4), rep("1KiB/nginx", 1000, 3), rep("1KiB/varnish", 600, 4), rep("1KiB/ceiling", 1250, 1),
		rep("1MiB/edge", 50, 20), rep("1MiB/varnish", 100, 10),
	}
	cases, err := groupReports(reps)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || cases[0].name != "1KiB" || strings.Join(cases[0].targets, ",") != "edge,nginx,varnish,ceiling" {
		t.Fatalf("cases %+v", cases)
	}
	if got := strings.Join(cases[0].ordered("varnish", []string{"ceiling", "x"}, "nginx"), ","); got != "varnish,ceiling,nginx,edge" {
		t.Fatalf("ordered: %s", got)
	}
	var out bytes.Buffer
	writeTable(&out, cases, "edge", []string{"nginx", "varnish"}, "ceiling")
	s := out.String()
	for _, want := range []string{
		"### 1KiB", "| edge | 3 | 1100 |", "| nginx | 3 | 900 |",
		"edge / faster of nginx, varnish (nginx): **1.22×** req/s; p99 2.000 ms vs 3.000 ms (0.67×)",
		"edge / ceiling: **0.88×** req/s",
		"### 1MiB", "(varnish): **0.50×** req/s",
	} {
		if !strings.Contains(s, want) {
			t.Fatalf("table lacks %q:\n%s", want, s)
		}
	}
	if _, err := groupReports([]*Report{rep("nolabel", 1, 1)}); err == nil {
		t.Fatal("a label without / was accepted")
	}
}

func TestMainTable(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i, r := range []*Report{rep("a/edge", 10, 1), rep("a/nginx", 5, 1)} {
		b, _ := json.Marshal(r)
		f := filepath.Join(dir, string(rune('0'+i))+".json")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var out, errb bytes.Buffer
	if code := Main(append([]string{"table", "-peers", "nginx"}, files...), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "**2.00×**") {
		t.Fatalf("table:\n%s", out.String())
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	if code := Main([]string{"table", bad}, &out, &errb); code != 1 {
		t.Fatalf("bad JSON: exit %d", code)
	}
}
