package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The layers README's "Architecture" section draws, from the bottom up. A
// package may import its own layer's packages and those of the layers
// below, never one above; only the root package (this one: the window and
// the wiring) imports Wails. A new package is placed here, or this test
// fails and says so.
var layers = []struct {
	name     string
	packages []string // below backend/
}{
	{"leaf", []string{"bigmem", "buildinfo", "datadir", "destination", "directio", "guilog", "identifiers", "inputs", "osfile", "privatefs", "records",
		"sampledata", "secrets", "secureurl", "settings", "sqlitefile", "standinserve", "window", "winconsole", "auth/srp"}},
	{"adapter", []string{"auth", "cleanrooms", "jobs", "meta", "storage", "tiktok"}},
	{"engine", []string{"transform", "upload", "metaupload", "syncs"}},
	{"app service", []string{"appsvc", "appupload", "appaudiences", "appsyncs", "cloud"}},
	{"command line", []string{"cli", "cli/authcmd", "cli/metacmd", "cli/synccmd", "cli/tiktokcmd", "cli/commands"}},
}

// Stand-ins and test helpers speak the outside services' protocols for
// tests; they sit beside the layers and only the Wails rule applies.
var testSupport = []string{"auth/cognitostandin", "cleanrooms/standin", "tiktok/standin", "tiktok/standin/standintest", "meta/standin", "meta/standin/standintest",
	"storage/s3test", "secureurl/securetest", "privatefs/modetest", "records/hostile"}

const module = "github.com/audience-uploader/audience-uploader"

// TestLayers reads every package's dependencies (go list -deps, all of
// them, not only direct imports) and fails when a leaf reaches an adapter
// or engine, an engine reaches an app service, a service reaches the
// command line, or anything below the root reaches Wails.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	level := map[string]int{}
	for i, l := range layers {
		for _, p := range l.packages {
			level[module+"/backend/"+p] = i
		}
	}
	support := map[string]bool{}
	for _, p := range testSupport {
		support[module+"/backend/"+p] = true
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, "|")
		if pkg == module {
			continue // the root: the window, the wiring, Wails
		}
		for _, d := range strings.Fields(deps) {
			if strings.HasPrefix(d, "github.com/wailsapp/wails") {
				t.Errorf("%s reaches Wails (%s): only the root package may", short(pkg), d)
				break
			}
		}
		if !strings.HasPrefix(pkg, module+"/backend/") || support[pkg] {
			continue // cmd/* tools, build helpers, stand-ins
		}
		from, ok := level[pkg]
		if !ok {
			t.Errorf("%s is in no layer: add it to architecture_test.go's layers and README's Architecture section", short(pkg))
			continue
		}
		seen++
		for _, d := range strings.Fields(deps) {
			if to, ok := level[d]; ok && to > from {
				t.Errorf("%s (%s) imports %s (%s), a layer above it", short(pkg), layers[from].name, short(d), layers[to].name)
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d layered packages listed; go list output:\n%s", seen, out)
	}
}

func short(pkg string) string { return strings.TrimPrefix(pkg, module+"/") }
