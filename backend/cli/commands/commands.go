// Package commands is the one command tree of the audience-uploader CLI:
// main runs it and cmd/gendocs writes the man pages and completions from it,
// so both describe the same commands. The --input resolver (local paths,
// s3://, cleanrooms://) is built here once and handed to every command that
// reads an input. A new command is added here, nowhere else.
package commands

import (
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/authcmd"
	"github.com/audience-uploader/audience-uploader/backend/cli/metacmd"
	"github.com/audience-uploader/audience-uploader/backend/cli/synccmd"
	"github.com/audience-uploader/audience-uploader/backend/cli/tiktokcmd"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// Root is the program's root command writing to stdout and stderr.
func Root(stdout, stderr io.Writer) *cobra.Command {
	sources := inputs.NewResolver(authcmd.Openers())
	return cli.NewRoot(stdout, stderr, sources, slices.Concat(
		tiktokcmd.Commands(sources),
		metacmd.Commands(),
		authcmd.Commands(),
		synccmd.Commands(sources),
	)...)
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code.
func Main(args []string) int { return cli.Main(args, Root) }
