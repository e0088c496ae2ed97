//go:build unix

package upload

import "syscall"

// noFollow makes opening a file fail if its last component is a symlink
// (one swapped in after ReadManifest checked the folder).
const noFollow = syscall.O_NOFOLLOW
