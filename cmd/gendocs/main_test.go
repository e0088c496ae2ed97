package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cli/commands"
)

// TestEveryCommandHasItsPageAndCompletion walks the tree the binary runs
// (backend/cli/commands.Root): every command has its man page, and every
// subcommand is offered by the completion every script asks for (cobra's
// bash, zsh and fish scripts call the binary's __complete, so a command is
// in the completions when __complete lists it). Before the one tree,
// gendocs registered its own list, which lacked sync.
func TestEveryCommandHasItsPageAndCompletion(t *testing.T) {
	out := t.TempDir()
	if err := generate(out); err != nil {
		t.Fatal(err)
	}
	root := commands.Root(new(bytes.Buffer), new(bytes.Buffer))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, want := range []string{"sync", "run", "upload", "login", "schema", "transform"} {
		if c, _, err := root.Find([]string{want}); err != nil || c.Name() != want {
			t.Fatalf("the command tree has no %q command", want)
		}
	}

	for name, launcher := range map[string]string{
		"audience-uploader.bash": "__complete",
		"_audience-uploader":     "__complete",
		"audience-uploader.fish": "__complete",
	} {
		b, err := os.ReadFile(filepath.Join(out, "completions", name))
		if err != nil || !bytes.Contains(b, []byte(launcher)) || !bytes.Contains(b, []byte("audience-uploader")) {
			t.Errorf("completion script %s does not ask audience-uploader %s (%v)", name, launcher, err)
		}
	}

	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c != root {
			return
		}
		page := filepath.Join(out, "man1", strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		if _, err := os.Stat(page); err != nil {
			t.Errorf("%s has no man page: %v", c.CommandPath(), err)
		}
		var subs []*cobra.Command
		for _, s := range c.Commands() {
			if s.IsAvailableCommand() {
				subs = append(subs, s)
			}
		}
		if len(subs) > 0 {
			offered := complete(t, append(strings.Fields(c.CommandPath())[1:], ""))
			for _, s := range subs {
				if !offered[s.Name()] {
					t.Errorf("completing %q does not offer %s (got %v)", c.CommandPath()+" ", s.Name(), offered)
				}
			}
		}
		for _, s := range subs {
			walk(s)
		}
	}
	walk(root)
}

// complete is what the completion scripts print for the words typed so far.
func complete(t *testing.T, words []string) map[string]bool {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := commands.Root(&stdout, &stderr)
	root.SetArgs(append([]string{cobra.ShellCompRequestCmd}, words...))
	if err := root.Execute(); err != nil {
		t.Fatalf("__complete %v: %v (%s)", words, err, stderr.String())
	}
	got := map[string]bool{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		name, _, _ := strings.Cut(line, "\t")
		got[name] = true
	}
	return got
}
