package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/buildinfo"
)

// setVersion gives root a --version flag (cobra's) printing one line, and a
// version command that can also print JSON for scripts.
func setVersion(root *cobra.Command) {
	root.Version = buildinfo.Get().String()
	root.SetVersionTemplate("{{.Version}}\n")
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date, and the Go and Wails versions",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			if asJSON {
				return writeJSON(c.OutOrStdout(), info)
			}
			_, err := fmt.Fprintln(c.OutOrStdout(), info)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object (version, commit, date, go, wails)")
	root.AddCommand(cmd)
}
