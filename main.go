// Audience Uploader: the desktop app by default, the command-line interface
// when given a subcommand (schema, preview, transform, upload, login, ...).
package main

import (
	"os"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/authcmd"
	"github.com/audience-uploader/audience-uploader/backend/cli/synccmd"
	"github.com/audience-uploader/audience-uploader/backend/cli/tiktokcmd"
	"github.com/audience-uploader/audience-uploader/backend/winconsole"
)

func main() {
	// Windows: a subcommand typed in cmd or PowerShell prints there (winconsole).
	winconsole.Attach(len(os.Args) > 1)
	if len(os.Args) > 1 {
		cli.Register(tiktokcmd.Commands)
		cli.Register(authcmd.Commands)
		cli.Register(synccmd.Commands)
		os.Exit(cli.Main(os.Args[1:]))
	}
	cli.CleanUpInterruptedTransforms(os.Stderr)
	runGUI()
}
