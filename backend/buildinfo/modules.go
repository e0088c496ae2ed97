package buildinfo

import (
	_ "embed"
	"encoding/json"
	"runtime/debug"
	"sort"
)

// ModuleLicense is one entry of licenses.json, which cmd/genlicenses writes
// at build time from each module's licence files.
type ModuleLicense struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	License string `json:"license"` // SPDX identifiers; "" when not recognised
}

//go:embed licenses.json
var licensesJSON []byte

// knownLicenses maps "path@version" to the identifiers genlicenses found.
func knownLicenses() map[string]string {
	var list []ModuleLicense
	known := map[string]string{}
	if json.Unmarshal(licensesJSON, &list) != nil {
		return known
	}
	for _, l := range list {
		known[l.Path+"@"+l.Version] = l.License
	}
	return known
}

// Module is one Go module compiled into this binary, for the About dialog's
// list of bundled components.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	// License is the SPDX identifiers licensecheck found in the module's
	// licence files when the build ran cmd/genlicenses; "" when unknown.
	License string `json:"license"`
	// LicenseURL is where the module's licence text can be read at exactly
	// this version: the binary carries no licence texts of its own, and the
	// module's source (which pkg.go.dev shows) is where the text lives.
	LicenseURL string `json:"license_url"`
}

// About is what the About dialog shows: the build and the modules in it.
type About struct {
	Build   Info     `json:"build"`
	Modules []Module `json:"modules"`
}

// GetAbout returns this binary's build information and the Go modules
// linked into it (empty when the binary has no module information).
func GetAbout() About {
	about := About{Build: Get(), Modules: []Module{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		about.Modules = modules(bi, knownLicenses())
	}
	return about
}

// modules lists the dependencies as the binary records them, a replacement
// standing in for the module it replaces, sorted by path.
func modules(bi *debug.BuildInfo, known map[string]string) []Module {
	out := make([]Module, 0, len(bi.Deps))
	for _, d := range bi.Deps {
		path, version := d.Path, d.Version
		if d.Replace != nil {
			path, version = d.Replace.Path, d.Replace.Version
		}
		m := Module{Path: path, Version: version, License: known[path+"@"+version]}
		if version != "" && version != "(devel)" {
			m.LicenseURL = "https://pkg.go.dev/" + path + "@" + version + "?tab=licenses"
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
