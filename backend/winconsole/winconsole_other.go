//go:build !windows

package winconsole

// Attach does nothing outside Windows: a program there always starts with
// the standard handles its shell gave it.
func Attach(subcommand bool) {}
