package cache

import (
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestEntryFreshAge(t *testing.T) {
	e := &Entry{Stored: t0, Expires: t0.Add(10 * time.Second)}
	tests := []struct {
		name  string
		e     *Entry
		now   time.Time
		fresh bool
		age   int64
	}{
		{"at store", e, t0, true, 0},
		{"sub-second", e, t0.Add(999 * time.Millisecond), true, 0},
		{"one second", e, t0.Add(time.Second), true, 1},
		{"just before expiry", e, t0.Add(10*time.Second - 1), true, 9},
		{"at expiry", e, t0.Add(10 * time.Second), false, 10},
		{"long stale", e, t0.Add(time.Hour), false, 3600},
		{"clock behind store", e, t0.Add(-5 * time.Second), true, 0},
		{"zero ttl", &Entry{Stored: t0, Expires: t0}, t0, false, 0},
		{"nil entry", nil, t0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Fresh(tt.now); got != tt.fresh {
				t.Errorf("Fresh: got %v, want %v", got, tt.fresh)
			}
			if got := tt.e.Age(tt.now); got != tt.age {
				t.Errorf("Age: got %d, want %d", got, tt.age)
			}
		})
	}
}

func TestEntrySize(t *testing.T) {
	tests := []struct {
		name string
		e    *Entry
		want int64
	}{
		{"nil", nil, 0},
		{"empty", &Entry{}, entryOverhead},
		{"body", &Entry{Body: make([]byte, 1000)}, entryOverhead + 1000},
		{
			"everything",
			&Entry{
				Key:          []byte("key"),                                    // 3
				Dist:         "D1",                                             // 2
				Path:         "/a.jpg",                                         // 6
				Header:       []Field{{[]byte("Content-Type"), []byte("a/b")}}, // 48+12+3
				Body:         []byte("hello"),                                  // 5
				ETag:         []byte(`"x"`),                                    // 3
				LastModified: []byte("Mon"),                                    // 3
			},
			entryOverhead + 3 + 2 + 6 + fieldOverhead + 12 + 3 + 5 + 3 + 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Size(); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
