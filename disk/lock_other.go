//go:build !unix

package disk

import (
	"fmt"
	"os"
)

// lockDir opens the lock file at path. Without flock(2) it takes no lock: the caller must not
// open one directory twice.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("disk: open: %w", err)
	}
	return f, nil
}
