//go:build !linux

package directio

import "os"

// Enable reports false: direct writes are only used on Linux. (macOS's
// F_NOCACHE and Windows' FILE_FLAG_NO_BUFFERING would need their own
// measurements first.)
func Enable(f *os.File) bool { return false }

// Disable does nothing where Enable never succeeds.
func Disable(f *os.File) error { return nil }
