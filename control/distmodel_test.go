package control

import (
	"testing"
	"time"
)

func TestSeconds(t *testing.T) {
	tests := []struct {
		n, maxSec int64
		want      time.Duration
		ok        bool
	}{
		{0, 10, 0, true}, // unset: config defaults fill it in
		{1, 10, time.Second, true},
		{10, 10, 10 * time.Second, true},
		{60, maxOriginReadTimeout, time.Minute, true},
		{11, 10, 0, false},
		{-1, 10, 0, false},
		{1<<55 + 5, 10, 0, false}, // wraps to 5 s as a Duration
		{9223372036854775807, 60, 0, false},
	}
	for _, tt := range tests {
		got, aerr := seconds("o1", "ConnectionTimeout", tt.n, tt.maxSec)
		switch {
		case tt.ok && (aerr != nil || got.D() != tt.want):
			t.Errorf("seconds(%d, max %d) = %v, %v; want %v", tt.n, tt.maxSec, got.D(), aerr, tt.want)
		case !tt.ok && (aerr == nil || aerr.code != CodeInvalidArgument):
			t.Errorf("seconds(%d, max %d) = %v, %v; want InvalidArgument", tt.n, tt.maxSec, got.D(), aerr)
		}
	}
}
