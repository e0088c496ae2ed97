// Package privatefs makes the app's own folders and files private to the
// user: folders 0700 and files 0600, including ones that already existed
// with wider modes (an older version, a folder made by hand or by another
// program). The modes are set explicitly, so they do not depend on the umask.
// On Windows, where the user's profile folders are already private by their
// ACLs, os.Chmod only toggles the read-only bit: folders get the harmless
// call, files are left alone (Restrict says why).
package privatefs

import (
	"fmt"
	"os"
	"runtime"
)

const (
	// DirMode is the mode of the app's data and config folders.
	DirMode os.FileMode = 0o700
	// FileMode is the mode of every file the app keeps in them.
	FileMode os.FileMode = 0o600
)

// MkdirAll creates dir (and missing parents) and makes dir itself 0700,
// even if it already existed. Parents that existed are left alone: they
// belong to the user (their home, ~/.config), not to the app.
func MkdirAll(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	if err := os.Chmod(dir, DirMode); err != nil {
		return fmt.Errorf("making %s private to its owner: %w", dir, err)
	}
	return nil
}

// TouchFile creates path as an empty 0600 file if it is missing, and makes
// an existing one 0600. Its contents are left as they are.
func TouchFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return Restrict(path)
}

// Restrict makes an existing file 0600; a missing file is not an error.
// On Windows it does nothing: there are no modes (the profile's ACLs keep
// the file private), and the chmod, which only clears the read-only bit,
// failed with a sharing violation under Wine while another process had the
// file open (a second upload opening the state database's -shm file).
func Restrict(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	err := os.Chmod(path, FileMode)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("making %s private to its owner: %w", path, err)
	}
	return nil
}
