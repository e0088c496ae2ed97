package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// ReadSecret reads a secret for a command that stores one (a token, a
// client secret): asked for on the terminal with echo off when standard
// input is one, else the first line of standard input. It is trimmed and
// may be empty; it is never echoed or logged.
func ReadSecret(c *cobra.Command, prompt string) (string, error) {
	in := c.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.ErrOrStderr(), prompt+": ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("reading the %s: %w", strings.ToLower(prompt), err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the %s from standard input: %w", strings.ToLower(prompt), err)
	}
	return strings.TrimSpace(line), nil
}
