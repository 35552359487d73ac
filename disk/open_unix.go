//go:build unix

package disk

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileID identifies a file (device and inode), to tell whether a path still names the file
// that was read.
type fileID struct{ dev, ino uint64 }

// openRead opens path read-only and returns it with its size and identity, or an error
// wrapping errNotRegular (with the identity) when path names something other than a regular
// file. It costs four system calls (openat, fstat and two fcntl, one of them os.NewFile's)
// where os.Open and Stat cost six on Linux (os.Open tries to register a regular file with the
// poller, which fails, and sets and clears O_NONBLOCK around it).
//
// The file is opened with O_NONBLOCK: without it, open(2) of a FIFO blocks until a writer
// opens it, and open of some devices waits for them ("O_NONBLOCK ... an open() for
// reading-only shall return without delay", POSIX open(2); fifo(7)). Such a file is closed
// unread once fstat says it is not regular. A regular file is put back in blocking mode
// (F_SETFL with no flags: it clears O_NONBLOCK, and we set no other status flag; POSIX
// fcntl(2)) before os.NewFile, which then does not try the poller: the *os.File reads,
// seeks and goes to sendfile(2) exactly as one opened without O_NONBLOCK.
func openRead(path string) (f *os.File, size int64, id fileID, err error) {
	var fd int
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, 0, id, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, 0, id, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	id = fileID{uint64(st.Dev), st.Ino}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, 0, id, &os.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, 0); err != nil {
		syscall.Close(fd)
		return nil, 0, id, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), st.Size, id, nil
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
