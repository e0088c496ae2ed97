package buildinfo

import (
	"reflect"
	"runtime/debug"
	"testing"
)

// The About dialog lists what the binary records: sorted by path, a replace
// directive's target shown (that is the code compiled in), and a licence link
// only where there is a published version to link to.
func TestModulesListsWhatTheBinaryRecords(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "golang.org/x/text", Version: "v0.21.0"},
		{Path: "github.com/wailsapp/wails/v2", Version: "v2.10.1"},
		{Path: "example.com/forked", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1"}},
		{Path: "example.com/local", Version: "v0.0.0", Replace: &debug.Module{Path: "../local", Version: ""}},
	}}
	want := []Module{
		{Path: "../local"},
		{Path: "example.com/fork", Version: "v1.0.1", LicenseURL: "https://pkg.go.dev/example.com/fork@v1.0.1?tab=licenses"},
		{Path: "github.com/wailsapp/wails/v2", Version: "v2.10.1", LicenseURL: "https://pkg.go.dev/github.com/wailsapp/wails/v2@v2.10.1?tab=licenses"},
		{Path: "golang.org/x/text", Version: "v0.21.0", LicenseURL: "https://pkg.go.dev/golang.org/x/text@v0.21.0?tab=licenses"},
	}
	if got := modules(bi); !reflect.DeepEqual(got, want) {
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
