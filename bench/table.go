package bench

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// caseRuns are the runs of one case (the part of the label before "/"), by target.
type caseRuns struct {
	name    string
	targets []string // in order of first appearance
	runs    map[string][]*Report
}

// groupReports groups reports by their "CASE/TARGET" labels, keeping first-seen order.
func groupReports(reps []*Report) ([]*caseRuns, error) {
	var cases []*caseRuns
	byName := map[string]*caseRuns{}
	for _, r := range reps {
		cs, tg, ok := strings.Cut(r.Label, "/")
		if !ok || cs == "" || tg == "" {
			return nil, fmt.Errorf("table: label %q: want CASE/TARGET", r.Label)
		}
		c := byName[cs]
		if c == nil {
			c = &caseRuns{name: cs, runs: map[string][]*Report{}}
			byName[cs] = c
			cases = append(cases, c)
		}
		if _, seen := c.runs[tg]; !seen {
			c.targets = append(c.targets, tg)
		}
		c.runs[tg] = append(c.runs[tg], r)
	}
	return cases, nil
}

// median returns the median of xs (the mean of the middle two for an even count; 0 when empty).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// medianOf is the median of f over runs.
func medianOf(runs []*Report, f func(*Report) float64) float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return median(xs)
}

// summary is the medians of one target in one case.
type summary struct {
	runs                 int
	rps, mibps, p50, p99 float64
	max                  float64
	errors               int64
}

func summarize(runs []*Report) summary {
	s := summary{runs: len(runs)}
	s.rps = medianOf(runs, func(r *Report) float64 { return r.RPS })
	s.mibps = medianOf(runs, func(r *Report) float64 { return r.MiBps })
	s.p50 = medianOf(runs, func(r *Report) float64 { return r.Latency.P50 })
	s.p99 = medianOf(runs, func(r *Report) float64 { return r.Latency.P99 })
	s.max = medianOf(runs, func(r *Report) float64 { return r.Latency.Max })
	for _, r := range runs {
		s.errors += r.Errors
	}
	return s
}

// ordered returns the case's targets: the subject, the peers, the ceiling, then the others in
// the order they were seen.
func (c *caseRuns) ordered(subject string, peers []string, ceilingName string) []string {
	var out []string
	for _, t := range append(append([]string{subject}, peers...), ceilingName) {
		if _, ok := c.runs[t]; ok && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, t := range c.targets {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// writeTable prints one markdown table per case: medians per target, then the subject's
// throughput over the best peer's and over the ceiling's, and its p99 against the best peer's.
func writeTable(w io.Writer, cases []*caseRuns, subject string, peers []string, ceilingName string) {
	for _, c := range cases {
		fmt.Fprintf(w, "### %s\n\n", c.name)
		fmt.Fprintln(w, "| target | runs | req/s (median) | MiB/s | p50 ms | p99 ms | max ms | errors |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		sums := map[string]summary{}
		for _, t := range c.ordered(subject, peers, ceilingName) {
			s := summarize(c.runs[t])
			sums[t] = s
			fmt.Fprintf(w, "| %s | %d | %.0f | %.1f | %.3f | %.3f | %.2f | %d |\n", t, s.runs, s.rps, s.mibps, s.p50, s.p99, s.max, s.errors)
		}
		fmt.Fprintln(w)
		sub, ok := sums[subject]
		if !ok {
			continue
		}
		best, bestName := summary{}, ""
		for _, p := range peers {
			if s, ok := sums[p]; ok && s.rps > best.rps {
				best, bestName = s, p
			}
		}
		if bestName != "" && best.rps > 0 {
			fmt.Fprintf(w, "- %s / faster of %s (%s): **%.2f×** req/s; p99 %.3f ms vs %.3f ms (%.2f×)\n",
				subject, strings.Join(peers, ", "), bestName, sub.rps/best.rps, sub.p99, best.p99, ratio(sub.p99, best.p99))
		}
		if s, ok := sums[ceilingName]; ok && s.rps > 0 {
			fmt.Fprintf(w, "- %s / %s: **%.2f×** req/s\n", subject, ceilingName, sub.rps/s.rps)
		}
		fmt.Fprintln(w)
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// mainTable is "edge bench table": it reads "edge bench -json" reports and prints the table.
func mainTable(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench table", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subject := fs.String("subject", "edge", "target whose ratios are printed")
	peers := fs.String("peers", "nginx,varnish", "comma-separated targets the subject must beat (the faster one counts)")
	ceil := fs.String("ceiling", "ceiling", "target that is the throughput ceiling")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "edge bench table: no report files given")
		return 2
	}
	var reps []*Report
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "edge bench table: %v\n", err)
			return 1
		}
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			fmt.Fprintf(stderr, "edge bench table: %s: %v\n", name, err)
			return 1
		}
		reps = append(reps, &r)
	}
	cases, err := groupReports(reps)
	if err != nil {
		fmt.Fprintf(stderr, "edge bench table: %v\n", err)
		return 1
	}
	writeTable(stdout, cases, *subject, strings.Split(*peers, ","), *ceil)
	return 0
}
