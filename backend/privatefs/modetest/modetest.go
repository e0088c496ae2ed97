//go:build unix

// Package modetest helps tests check that files are private to the user:
// a path's permission bits, under the umask a desktop usually has.
package modetest

import (
	"os"
	"syscall"
	"testing"
)

// Perm is path's permission bits.
func Perm(t testing.TB, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// Umask022 sets the usual desktop umask until the test ends: files must
// come out private without a strict umask's help.
func Umask022(t testing.TB) {
	t.Helper()
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}
