// Package winconsole lets the Windows build, a GUI-subsystem program that
// starts without a console, print like a console program when it is run as a
// command (audience-uploader.exe transform ... in cmd or PowerShell): it
// attaches to the console of the shell that started it and points standard
// output and error there, except where the shell redirected them to a file
// or a pipe, which already work and must stay as they are.
//
// The decision is plain Go, tested on every platform; the Windows calls are
// in winconsole_windows.go. On other systems Attach does nothing.
package winconsole

// Kind is what one standard handle of this process is.
type Kind int

const (
	// Missing: no usable handle, as for a GUI-subsystem program started from
	// a shell without redirection; writes to it go nowhere.
	Missing Kind = iota
	// Redirected: a file, a pipe or a character device (NUL, or a console
	// the process already has); leave it alone.
	Redirected
)

// Windows file types (GetFileType), spelled out so that the decision can be
// tested on any system.
const (
	fileTypeUnknown = 0x0000
	fileTypeDisk    = 0x0001
	fileTypeChar    = 0x0002
	fileTypePipe    = 0x0003
)

// Classify says what a standard handle is from what Windows reports about
// it: whether GetStdHandle gave a handle at all (not NULL or
// INVALID_HANDLE_VALUE) and, if so, its GetFileType.
func Classify(handleValid bool, fileType uint32) Kind {
	if !handleValid {
		return Missing
	}
	switch fileType {
	case fileTypeDisk, fileTypeChar, fileTypePipe:
		return Redirected
	default: // FILE_TYPE_UNKNOWN: a closed or unusable handle
		return Missing
	}
}

// Plan is what Attach does for one start of the program.
type Plan struct {
	Attach bool // call AttachConsole(ATTACH_PARENT_PROCESS)
	Stdout bool // point standard output at the console (CONOUT$)
	Stderr bool // point standard error at the console (CONOUT$)
}

// Decide returns the plan for a program started with or without a
// subcommand. The window (no subcommand) never attaches: double-clicking
// opens only the window, and a window started from a shell does not write
// into it. Standard input is never taken from the console: the shell that
// started a GUI program keeps reading the keyboard, so typed text (a token
// at a prompt) could go to the shell instead; secrets are piped in on
// Windows (README).
func Decide(subcommand bool, stdout, stderr Kind) Plan {
	if !subcommand {
		return Plan{}
	}
	p := Plan{Stdout: stdout == Missing, Stderr: stderr == Missing}
	p.Attach = p.Stdout || p.Stderr
	return p
}
