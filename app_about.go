package main

import "github.com/audience-uploader/audience-uploader/backend/buildinfo"

// About is what the About dialog shows: version, commit, build date, Go and
// Wails versions, and the Go modules compiled into this binary.
func (a *App) About() buildinfo.About { return buildinfo.GetAbout() }
