// Audience Uploader: the desktop app by default, the command-line interface
// when given a subcommand (schema, preview, transform, upload, login, ...).
package main

import (
	"os"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/commands"
	"github.com/audience-uploader/audience-uploader/backend/winconsole"
)

func main() {
	// Windows: a subcommand typed in cmd or PowerShell prints there (winconsole).
	winconsole.Attach(len(os.Args) > 1)
	if len(os.Args) > 1 {
		os.Exit(commands.Main(os.Args[1:]))
	}
	cli.CleanUpInterruptedTransforms(os.Stderr)
	runGUI()
}
