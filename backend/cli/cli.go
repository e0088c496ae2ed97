// Package cli is the command-line interface: the same binary as the desktop
// app runs it when given a subcommand.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/guilog"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError marks an error as the caller's mistake (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// UsageError wraps err so that the command exits with code 2.
func UsageError(err error) error { return &usageError{err: err} }

// IsUsage reports whether err is a usage problem, ours or the transform's.
func IsUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u) || transform.IsUsageError(err)
}

// NewRoot builds the root command writing to stdout and stderr, with the
// transform commands (schema, preview, transform) reading --input through
// sources (nil: local paths only) and the commands of other packages in
// more. The whole program's tree is built in one place, backend/cli/commands,
// which main and cmd/gendocs both call; this package depends on none of them.
func NewRoot(stdout, stderr io.Writer, sources *inputs.Resolver, more ...*cobra.Command) *cobra.Command {
	root := &cobra.Command{
		Use:   "audience-uploader",
		Short: "Normalize and hash customer lists locally, and upload them to TikTok as custom audiences",
		Long: "Audience Uploader turns a customer list into TikTok custom-audience files without raw\n" +
			"personal data leaving this machine. Run it without arguments for the desktop app.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var cpuProfile string
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile to this file (for performance work)")
	root.PersistentFlags().MarkHidden("cpuprofile")
	var profileFile *os.File
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("creating the CPU profile: %w", err)
		}
		profileFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if profileFile != nil {
			pprof.StopCPUProfile()
			profileFile.Close()
		}
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return UsageError(fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	root.AddCommand(newSchemaCmd(sources), newPreviewCmd(sources), newTransformCmd(sources))
	setVersion(root)
	root.AddCommand(more...)
	return root
}

// RootFunc builds the program's root command writing to stdout and stderr
// (backend/cli/commands.Root).
type RootFunc func(stdout, stderr io.Writer) *cobra.Command

// Main runs the CLI with args (without the program name) and returns the
// process exit code.
func Main(args []string, root RootFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	CleanUpInterruptedTransforms(os.Stderr)
	return Execute(ctx, root, args, os.Stdout, os.Stderr)
}

// Execute runs the CLI and maps the outcome to an exit code. A panic in a
// command ends in a generic message and the stack, never the panic's own
// words or the flags: those may hold a token or a secret that was typed.
func Execute(ctx context.Context, newRoot RootFunc, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "error: audience-uploader stopped on an internal error (%s), a bug: please report it with the lines below (they hold no arguments or typed values)\n%s",
				guilog.Describe(r), guilog.Stack())
			code = ExitFailure
		}
	}()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "error: %s\n", err)
	if IsUsage(err) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitFailure
}

// isCobraUsage recognises cobra's own argument errors, which it does not type.
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.Contains(s, "accepts ") || strings.HasPrefix(s, "required flag")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
