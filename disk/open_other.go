//go:build !unix

package disk

import "os"

// fileID identifies a file, to tell whether a path still names the file that was read.
type fileID struct{ fi os.FileInfo }

// openRead opens path read-only and returns it with its size and identity, or an error
// wrapping errNotRegular (with the identity) when path names something other than a regular
// file.
func openRead(path string) (f *os.File, size int64, id fileID, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, 0, id, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, id, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fileID{fi}, &os.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return f, fi.Size(), fileID{fi}, nil
}

// statID returns the identity of the file at path.
func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	return fileID{fi}, err
}

func (a fileID) same(b fileID) bool { return a.fi != nil && b.fi != nil && os.SameFile(a.fi, b.fi) }
