package osfile

import (
	"errors"
	"syscall"
)

// Windows error codes the syscall package does not name.
const (
	errorInvalidFunction  syscall.Errno = 1
	errorSharingViolation syscall.Errno = 32
	errorLockViolation    syscall.Errno = 33
)

// heldOpen: Windows refuses a rename or removal of a file another handle has
// open with ERROR_SHARING_VIOLATION, or ERROR_ACCESS_DENIED while a deleted
// file's last handle is still open.
func heldOpen(err error) bool {
	return errors.Is(err, errorSharingViolation) || errors.Is(err, syscall.ERROR_ACCESS_DENIED) ||
		errors.Is(err, errorLockViolation)
}

// dirSyncUnsupported: a folder opened for reading cannot be flushed on Windows.
func dirSyncUnsupported(err error) bool {
	return errors.Is(err, syscall.ERROR_ACCESS_DENIED) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, errorInvalidFunction)
}

// noPosixDelete: os.RemoveAll's delete with POSIX semantics is not
// implemented (Wine 8: STATUS_NOT_IMPLEMENTED, "Invalid function").
func noPosixDelete(err error) bool { return errors.Is(err, errorInvalidFunction) }
