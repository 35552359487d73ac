//go:build !unix

package disk

import "os"

// fileID identifies a file, to tell whether a path still names the file that was read.
type fileID struct{ fi os.FileInfo }

// openRead opens path read-only and returns it with its size, identity and whether it is a
// regular file.
func openRead(path string) (f *os.File, size int64, id fileID, regular bool, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, 0, id, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, id, false, err
	}
	return f, fi.Size(), fileID{fi}, fi.Mode().IsRegular(), nil
}

// statID returns the identity of the file at path.
func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	return fileID{fi}, err
}

func (a fileID) same(b fileID) bool { return a.fi != nil && b.fi != nil && os.SameFile(a.fi, b.fi) }
