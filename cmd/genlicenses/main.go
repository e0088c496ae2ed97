// Command genlicenses writes backend/buildinfo/licenses.json: every Go module
// compiled into the app with the licence identifiers github.com/google/licensecheck
// finds in its LICENSE/COPYING files in the module cache, for the About
// dialog. The build runs it (mk/app.mk); a module whose licence file is not
// recognised gets no identifier rather than a guessed one.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/licensecheck"

	"github.com/audience-uploader/audience-uploader/backend/buildinfo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genlicenses OUT.json (run in the repository root)")
		os.Exit(2)
	}
	mods, err := compiledModules(".")
	if err == nil {
		err = writeJSON(os.Args[1], licences(mods))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "genlicenses: %v\n", err)
		os.Exit(1)
	}
}

// listedModule is the part of `go list -json`'s Module we use.
type listedModule struct {
	Path    string
	Version string
	Dir     string
	Main    bool
	Replace *listedModule
}

// compiledModules lists the modules whose packages the app's main package
// imports, directly or not (with the GUI's build tags from GOFLAGS).
func compiledModules(pkg string) ([]listedModule, error) {
	cmd := exec.Command("go", "list", "-deps", "-json=Module", pkg)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps %s: %w", pkg, err)
	}
	seen := map[string]listedModule{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct{ Module *listedModule }
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if p.Module == nil || p.Module.Main {
			continue // the standard library, or this module
		}
		m := *p.Module
		if m.Replace != nil {
			m = *m.Replace
		}
		seen[m.Path+"@"+m.Version] = m
	}
	mods := make([]listedModule, 0, len(seen))
	for _, m := range seen {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, nil
}

// licences scans each module's top-level licence files.
func licences(mods []listedModule) []buildinfo.ModuleLicense {
	out := make([]buildinfo.ModuleLicense, 0, len(mods))
	for _, m := range mods {
		out = append(out, buildinfo.ModuleLicense{Path: m.Path, Version: m.Version, License: detect(m.Dir)})
	}
	return out
}

// detect returns the licence identifiers found in dir's LICENSE*, LICENCE*
// and COPYING* files, joined with " AND ", or "" when none is recognised.
func detect(dir string) string {
	if dir == "" {
		return ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	ids := map[string]bool{}
	for _, e := range entries {
		name := strings.ToUpper(e.Name())
		if e.IsDir() || !(strings.HasPrefix(name, "LICENSE") || strings.HasPrefix(name, "LICENCE") || strings.HasPrefix(name, "COPYING")) {
			continue
		}
		text, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for _, match := range licensecheck.Scan(text).Match {
			ids[match.ID] = true
		}
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	return strings.Join(list, " AND ")
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
