// Command gendocs writes the man pages (cobra/doc, one per command) and the
// bash, zsh and fish completions of the audience-uploader CLI into a folder,
// for the Linux packages (mk/package.mk). It documents the tree main.go runs
// (backend/cli/commands.Root), so the pages describe exactly what the binary runs.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/audience-uploader/audience-uploader/backend/buildinfo"
	"github.com/audience-uploader/audience-uploader/backend/cli/commands"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs OUTDIR (writes OUTDIR/man1/*.1 and OUTDIR/completions/*)")
		os.Exit(2)
	}
	if err := generate(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

func generate(out string) error {
	root := commands.Root(os.Stdout, os.Stderr)
	root.DisableAutoGenTag = true // no generation date: the same pages every build
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.InitDefaultCompletionCmd()

	man := filepath.Join(out, "man1")
	if err := os.MkdirAll(man, 0o755); err != nil {
		return err
	}
	header := &doc.GenManHeader{
		Title:   "AUDIENCE-UPLOADER",
		Section: "1",
		Source:  "Audience Uploader " + buildinfo.Version,
		Manual:  "User Commands",
		Date:    sourceDate(),
	}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}

	comp := filepath.Join(out, "completions")
	if err := os.MkdirAll(comp, 0o755); err != nil {
		return err
	}
	for name, gen := range map[string]func(*cobra.Command, *bytes.Buffer) error{
		"audience-uploader.bash": func(c *cobra.Command, b *bytes.Buffer) error { return c.GenBashCompletionV2(b, true) },
		"_audience-uploader":     func(c *cobra.Command, b *bytes.Buffer) error { return c.GenZshCompletion(b) },
		"audience-uploader.fish": func(c *cobra.Command, b *bytes.Buffer) error { return c.GenFishCompletion(b, true) },
	} {
		var b bytes.Buffer
		if err := gen(root, &b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(comp, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH (the commit's time, set by the build), so
// pages built twice from one commit are identical; else now.
func sourceDate() *time.Time {
	t := time.Now().UTC()
	var sec int64
	if _, err := fmt.Sscan(os.Getenv("SOURCE_DATE_EPOCH"), &sec); err == nil {
		t = time.Unix(sec, 0).UTC()
	}
	return &t
}
