//go:build !windows

package osfile

import (
	"errors"
	"syscall"
)

// heldOpen is false: Linux and macOS rename and remove open files.
func heldOpen(error) bool { return false }

// dirSyncUnsupported: some file systems (and FUSE mounts) refuse fsync of a
// folder; the rename is then as durable as that file system makes it.
func dirSyncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}

// noPosixDelete is false: unlink is POSIX.
func noPosixDelete(error) bool { return false }
