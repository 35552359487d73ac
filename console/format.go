package console

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"
)

// templateFuncs are the templates' formatting functions. static/console.js formats the live
// numbers the same way (fmtRate, fmtPct, fmtMs, fmtBytes).
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"rate":    fmtRate,
		"pct":     fmtPct,
		"ms":      fmtMs,
		"bytes":   fmtBytes,
		"count":   fmtCount,
		"ttl":     fmtTTL,
		"when":    fmtWhen,
		"redact":  redactURL,
		"results": func() []string { return results[:] },
		"idx":     func(a [numResults]float64, i int) float64 { return a[i] },
	}
}

// fmtRate is a per-second rate: one decimal below 100, none above.
func fmtRate(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// fmtPct is a ratio in percent, "–" when there is none.
func fmtPct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + " %"
}

// fmtMs is a duration in seconds shown in milliseconds.
func fmtMs(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 0.1:
		return strconv.FormatFloat(v*1000, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(v*1000, 'f', 2, 64) + " ms"
}

// fmtBytes is a byte count in binary units.
func fmtBytes(v any) string {
	var n float64
	switch x := v.(type) {
	case int64:
		n = float64(x)
	case float64:
		n = x
	case int:
		n = float64(x)
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(n, 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + " " + units[i]
}

// fmtCount is a counter's value: an integer.
func fmtCount(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	}
	return fmt.Sprint(v)
}

// fmtTTL is a TTL in the largest whole unit: "0 s", "1 s", "1 d", "365 d".
func fmtTTL(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s != 0 && s%86400 == 0:
		return strconv.FormatInt(s/86400, 10) + " d"
	case s != 0 && s%3600 == 0:
		return strconv.FormatInt(s/3600, 10) + " h"
	case s != 0 && s%60 == 0:
		return strconv.FormatInt(s/60, 10) + " min"
	}
	return strconv.FormatInt(s, 10) + " s"
}

// fmtWhen is an instant in UTC.
func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
