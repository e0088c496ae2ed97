package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestPanicKeepsFlagsAndInput runs a subcommand that panics with the value
// of its secret flag and of its standard input in the panic: the CLI exits
// with a failure, says it was an internal error, prints the stack, and
// neither secret appears on stdout or stderr.
func TestPanicKeepsFlagsAndInput(t *testing.T) {
	const flagSecret, inputSecret = "Flag-Secret-T0ken", "Typed-Secret-Pa55"
	panicking := func() *cobra.Command {
		var token string
		c := &cobra.Command{Use: "test-panic", Hidden: true, RunE: func(c *cobra.Command, _ []string) error {
			buf := new(bytes.Buffer)
			buf.ReadFrom(c.InOrStdin())
			panic("cannot use " + token + " with " + strings.TrimSpace(buf.String()))
		}}
		c.Flags().StringVar(&token, "token", "", "a secret")
		return c
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(inputSecret + "\n")
	w.Close()
	oldStdin := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = oldStdin; r.Close() }()

	var stdout, stderr bytes.Buffer
	code := Execute(context.Background(), func(o, e io.Writer) *cobra.Command { return NewRoot(o, e, nil, panicking()) },
		[]string{"test-panic", "--token", flagSecret}, &stdout, &stderr)
	if code != ExitFailure {
		t.Fatalf("exit code %d, want %d", code, ExitFailure)
	}
	out := stdout.String() + stderr.String()
	if strings.Contains(out, flagSecret) || strings.Contains(out, inputSecret) {
		t.Fatalf("a secret reached the output:\n%s", out)
	}
	if !strings.Contains(stderr.String(), "stopped on an internal error (a panic of type string)") || !strings.Contains(stderr.String(), "panic_test.go") {
		t.Fatalf("no internal-error message with the stack:\n%s", stderr.String())
	}
}
