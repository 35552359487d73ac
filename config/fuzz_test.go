package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, must return exactly one
// of a config or an error, and a returned config must validate. Seeds are the embedded
// default and every config under testdata.
func FuzzParse(f *testing.F) {
	f.Add([]byte(defaultTOML))
	f.Add([]byte(minimalTOML))
	files, _ := filepath.Glob("testdata/*/*.toml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.toml")
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", c != nil, err)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
		c.ApplyDefaults()
		if err := c.Validate(); err != nil {
			t.Fatalf("ApplyDefaults broke a valid config: %v", err)
		}
	})
}
