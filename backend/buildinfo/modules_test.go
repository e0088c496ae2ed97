package buildinfo

import (
	"reflect"
	"runtime/debug"
	"testing"
)

// The About dialog lists what the binary records: sorted by path, a replace
// directive's target shown (that is the code compiled in), its licence when
// licenses.json has that exact version (wails here has none: left empty, not
// guessed), and a licence link only where there is a published version.
func TestModulesListsWhatTheBinaryRecords(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "golang.org/x/text", Version: "v0.21.0"},
		{Path: "github.com/wailsapp/wails/v2", Version: "v2.10.1"},
		{Path: "example.com/forked", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1"}},
		{Path: "example.com/local", Version: "v0.0.0", Replace: &debug.Module{Path: "../local", Version: ""}},
	}}
	known := map[string]string{"golang.org/x/text@v0.21.0": "BSD-3-Clause", "example.com/fork@v1.0.1": "MIT"}
	want := []Module{
		{Path: "../local"},
		{Path: "example.com/fork", Version: "v1.0.1", License: "MIT", LicenseURL: "https://pkg.go.dev/example.com/fork@v1.0.1?tab=licenses"},
		{Path: "github.com/wailsapp/wails/v2", Version: "v2.10.1", LicenseURL: "https://pkg.go.dev/github.com/wailsapp/wails/v2@v2.10.1?tab=licenses"},
		{Path: "golang.org/x/text", Version: "v0.21.0", License: "BSD-3-Clause", LicenseURL: "https://pkg.go.dev/golang.org/x/text@v0.21.0?tab=licenses"},
	}
	if got := modules(bi, known); !reflect.DeepEqual(got, want) {
		t.Errorf("modules() = %+v\nwant %+v", got, want)
	}
}

// GetAbout always hands the frontend a list (JSON [] rather than null).
func TestGetAboutCarriesTheBuild(t *testing.T) {
	a := GetAbout()
	if a.Modules == nil {
		t.Error("GetAbout().Modules is nil; the dialog expects a list")
	}
	if a.Build != Get() {
		t.Errorf("GetAbout().Build = %+v, want %+v", a.Build, Get())
	}
}

// The embedded licenses.json (cmd/genlicenses) parses and names licences.
func TestEmbeddedLicensesParse(t *testing.T) {
	known := knownLicenses()
	if len(known) == 0 {
		t.Fatal("licenses.json lists no modules; run make licenses")
	}
	for mod, id := range known {
		if id == "" {
			t.Logf("%s: no licence recognised", mod)
		}
	}
}
