package edge

import "testing"

// TestSelfAddress: a shield address that is this edge's own viewer listener is recognised,
// whatever spelling of loopback either side uses; another port or host is not.
func TestSelfAddress(t *testing.T) {
	for _, c := range []struct {
		addr, listen string
		want         bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8080", "0.0.0.0:8080", true},
		{"127.0.0.1:8080", ":8080", true},
		{"localhost:8080", "127.0.0.1:8080", true},
		{"[::1]:8080", "[::]:8080", true},
		{"127.0.0.2:8080", "127.0.0.1:8080", true}, // 127.0.0.0/8 is all this machine
		{"shield.internal:8080", "shield.internal:8080", true},
		{"127.0.0.1:8081", "127.0.0.1:8080", false},
		{"10.0.0.5:8080", "127.0.0.1:8080", false},
		{"10.0.0.5:8080", "0.0.0.0:8080", false}, // maybe this machine, maybe not: not assumed
		{"127.0.0.1:0", "127.0.0.1:0", false},
		{"nonsense", "127.0.0.1:8080", false},
	} {
		if got := selfAddress(c.addr, c.listen); got != c.want {
			t.Errorf("selfAddress(%q, %q) = %v, want %v", c.addr, c.listen, got, c.want)
		}
	}
}
