//go:build !linux

package s3server

import "syscall"

// sysProcAttr has nothing to add outside Linux (no parent-death signal there).
func sysProcAttr() *syscall.SysProcAttr { return nil }
