//go:build unix

package disk

import (
	"os"
	"syscall"
)

// fileID identifies a file (device and inode), to tell whether a path still names the file
// that was read.
type fileID struct{ dev, ino uint64 }

// openRead opens path read-only and returns it with its size, identity and whether it is a
// regular file. It costs three system calls (openat, fstat and os.NewFile's fcntl) where
// os.Open and Stat cost six on Linux (os.Open tries to register a regular file with the
// poller, which fails, and sets and clears O_NONBLOCK around it). The file is in blocking
// mode, as regular files are anyway, which is what sendfile wants.
func openRead(path string) (f *os.File, size int64, id fileID, regular bool, err error) {
	var fd int
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, 0, id, false, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, 0, id, false, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), st.Size, fileID{uint64(st.Dev), st.Ino}, st.Mode&syscall.S_IFMT == syscall.S_IFREG, nil
}

// statID returns the identity of the file at path.
func statID(path string) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileID{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return fileID{uint64(st.Dev), st.Ino}, nil
}

func (a fileID) same(b fileID) bool { return a.ino != 0 && a == b }
