package winconsole

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		name     string
		valid    bool
		fileType uint32
		want     Kind
	}{
		{"no handle (GUI program started from a shell)", false, fileTypeUnknown, Missing},
		{"handle of unknown type (closed)", true, fileTypeUnknown, Missing},
		{"redirected to a file (> out.txt)", true, fileTypeDisk, Redirected},
		{"piped (| findstr, PowerShell pipeline)", true, fileTypePipe, Redirected},
		{"character device (> NUL, or a console already there)", true, fileTypeChar, Redirected},
		{"remote file type is not a usable stream", true, 0x8000, Missing},
	}
	for _, c := range cases {
		if got := Classify(c.valid, c.fileType); got != c.want {
			t.Errorf("%s: Classify(%v, %#x) = %v, want %v", c.name, c.valid, c.fileType, got, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name           string
		subcommand     bool
		stdout, stderr Kind
		want           Plan
	}{
		{"double-clicked: only the window", false, Missing, Missing, Plan{}},
		{"window started from a shell: never attaches", false, Redirected, Redirected, Plan{}},
		{"subcommand typed in cmd: both to the console", true, Missing, Missing, Plan{Attach: true, Stdout: true, Stderr: true}},
		{"subcommand > out.txt: errors to the console, output stays in the file", true, Redirected, Missing, Plan{Attach: true, Stderr: true}},
		{"subcommand 2> err.txt: output to the console", true, Missing, Redirected, Plan{Attach: true, Stdout: true}},
		{"subcommand > out.txt 2>&1: nothing to attach", true, Redirected, Redirected, Plan{}},
	}
	for _, c := range cases {
		if got := Decide(c.subcommand, c.stdout, c.stderr); got != c.want {
			t.Errorf("%s: Decide = %+v, want %+v", c.name, got, c.want)
		}
	}
}
