// Package osfile holds the few file operations whose plain os calls behave
// differently on Windows than on Linux and macOS, written once so that every
// package gets them right on all three:
//
//   - Flush: Windows flushes a file only through a handle opened for
//     writing (FlushFileBuffers answers "Access denied" to a read-only one),
//     and a folder not at all.
//   - Replace / WriteFile: a rename over a file that another process has
//     open (a reader, the indexer, an antivirus scan) fails on Windows for a
//     moment, where Linux always succeeds; it is retried briefly.
//   - RemoveDir: Windows refuses to delete a file while any handle is open,
//     also for a moment after a process closed it; retried briefly, and a
//     folder already gone is not an error.
//
// Callers close their own handles before Replace or RemoveDir: an open file
// of this process is never removed or renamed over on Windows.
package osfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// retryFor is how long a rename or removal refused because another process
// has the file open is retried (Windows only).
const retryFor = 2 * time.Second

// Flush writes a file's data to disk (fsync). For a folder it flushes the
// folder's entries where the system can (Linux, macOS), so a rename in it
// survives a power cut; Windows cannot flush a folder, which is not an error.
func Flush(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return flushDir(path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func flushDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !dirSyncUnsupported(err) {
		return err
	}
	return nil
}

// Replace renames from over to (both on one volume) and flushes to's folder,
// so that to is either its old or its new contents after a crash, never a
// mix. from's data should be flushed first (WriteFile does).
func Replace(from, to string) error {
	if err := retry(func() error { return os.Rename(from, to) }); err != nil {
		return err
	}
	if err := flushDir(filepath.Dir(to)); err != nil {
		return fmt.Errorf("saving %s: %w", to, err)
	}
	return nil
}

// WriteFile writes data to path atomically with mode perm: a temporary file
// beside it, flushed, closed, then Replace. Readers see the old contents or
// the new ones; a failed write leaves the old file and no temporary file.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = Replace(name, path)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// RemoveDir removes a folder the app made and everything in it. A folder
// that is already gone is not an error.
func RemoveDir(dir string) error {
	err := retry(func() error { return os.RemoveAll(dir) })
	if err != nil && noPosixDelete(err) {
		err = retry(func() error { return removeOneByOne(dir) })
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// removeOneByOne removes dir's tree with one os.Remove per entry, deepest
// first: os.RemoveAll's Windows way (delete with POSIX semantics) is not
// implemented everywhere (Wine answers "Invalid function"); DeleteFile and
// RemoveDirectory are.
func removeOneByOne(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Remove(paths[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// retry runs op until it succeeds, fails for another reason than a file held
// open by someone else, or retryFor has passed.
func retry(op func() error) error {
	deadline := time.Now().Add(retryFor)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := op()
		if err == nil || !heldOpen(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}
