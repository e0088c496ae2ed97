// Audience Uploader: the desktop app by default, the command-line interface
// when given a subcommand (schema, preview, transform, ...).
package main

import (
	"os"

	"github.com/audience-uploader/audience-uploader/backend/cli"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(cli.Main(os.Args[1:]))
	}
	runGUI()
}
