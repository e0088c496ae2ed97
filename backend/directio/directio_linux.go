package directio

import (
	"os"

	"golang.org/x/sys/unix"
)

// Enable switches f to direct writes. It reports false, leaving f as it was,
// where the file system does not support them (tmpfs before Linux 6.6, some
// network file systems).
func Enable(f *os.File) bool {
	return setDirect(f, true) == nil
}

// Disable switches f back to buffered writes, for a last piece of any length.
func Disable(f *os.File) error {
	return setDirect(f, false)
}

func setDirect(f *os.File, on bool) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	err = raw.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			opErr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, opErr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	return opErr
}
