// Package selfexec lets a command's test binary play the command itself, so
// tests run the real main (flags, exit status, output) as a separate
// process: TestMain calls Main, and tests start the command with Command.
package selfexec

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

const (
	envMain = "SELFEXEC_MAIN"
	envArgs = "SELFEXEC_ARGS"
)

// Main runs main as the command called name when Command started this test
// binary, and the tests otherwise. Call it from TestMain.
func Main(m *testing.M, name string, main func()) {
	if os.Getenv(envMain) == "1" {
		os.Args = append([]string{name}, strings.Fields(os.Getenv(envArgs))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Command is the command with args (split on white space), with env added
// to this process's environment.
func Command(args string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envMain+"=1", envArgs+"="+args), env...)
	return cmd
}

// Start starts cmd, which prints its URL as its first line, and returns that
// line without its line end; the command is sent SIGTERM and waited for when
// the test ends.
func Start(t testing.TB, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the command's first line: %v", err)
	}
	return strings.TrimSpace(line)
}
