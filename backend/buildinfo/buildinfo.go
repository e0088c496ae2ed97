// Package buildinfo says which build this is: the version, commit and date
// the build stamped in with -ldflags -X (see mk/app.mk), and the Go and Wails
// versions read from the binary itself.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the build:
//
//	-ldflags "-X github.com/audience-uploader/audience-uploader/backend/buildinfo.Version=1.2.3 ..."
//
// A plain `go build` leaves them as they are here.
var (
	Version = "dev"
	Commit  = ""
	Date    = "" // RFC 3339, UTC: the commit's time, so rebuilds are identical
)

const wailsModule = "github.com/wailsapp/wails/v2"

// Info is what `audience-uploader version --json` prints.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
	Wails   string `json:"wails"`
}

// Get returns this binary's build information; unknown parts are "unknown".
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info.Wails = wailsVersion(bi)
	}
	for _, s := range []*string{&info.Version, &info.Commit, &info.Date, &info.Wails} {
		if *s == "" {
			*s = "unknown"
		}
	}
	return info
}

// wailsVersion is the Wails module's version linked into the binary, or ""
// when it is not linked in (a test binary of a package without the GUI).
func wailsVersion(bi *debug.BuildInfo) string {
	for _, d := range bi.Deps {
		if d.Path == wailsModule {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}

// String is the one line `--version` prints.
func (i Info) String() string {
	return fmt.Sprintf("audience-uploader %s (commit %s, built %s, %s, Wails %s)", i.Version, i.Commit, i.Date, i.Go, i.Wails)
}
