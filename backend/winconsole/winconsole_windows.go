//go:build windows

package winconsole

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachParentProcess is ATTACH_PARENT_PROCESS ((DWORD)-1).
const attachParentProcess = ^uint32(0)

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// Attach, when the program runs a subcommand, attaches to the parent's
// console and points the standard handles that have nowhere to go at it
// (Decide). When the parent has no console (started from Explorer with
// arguments) nothing changes and output is lost, as before.
func Attach(subcommand bool) {
	p := Decide(subcommand, probe(windows.STD_OUTPUT_HANDLE), probe(windows.STD_ERROR_HANDLE))
	if !p.Attach {
		return
	}
	if ok, _, _ := procAttachConsole.Call(uintptr(attachParentProcess)); ok == 0 {
		return
	}
	if p.Stdout {
		if f := openConsoleOutput(windows.STD_OUTPUT_HANDLE); f != nil {
			os.Stdout = f
		}
	}
	if p.Stderr {
		if f := openConsoleOutput(windows.STD_ERROR_HANDLE); f != nil {
			os.Stderr = f
		}
	}
}

// probe classifies one standard handle of this process.
func probe(std uint32) Kind {
	h, err := windows.GetStdHandle(std)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return Classify(false, 0)
	}
	t, err := windows.GetFileType(h)
	if err != nil {
		return Classify(true, fileTypeUnknown)
	}
	return Classify(true, t)
}

// openConsoleOutput opens the attached console's screen buffer and makes it
// the process's std handle too, for code that asks Windows rather than os.
func openConsoleOutput(std uint32) *os.File {
	f, err := os.OpenFile("CONOUT$", os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	_ = windows.SetStdHandle(std, windows.Handle(f.Fd()))
	return f
}
