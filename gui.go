package main

import (
	"embed"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"github.com/audience-uploader/audience-uploader/backend/buildinfo"
	"github.com/audience-uploader/audience-uploader/backend/guilog"
)

// The built frontend (make build runs vite into frontend/dist first).
//
//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var appIcon []byte

// processStart is when the OS started this process (Linux: from
// /proc/self/stat), else package initialisation; the start-up figure is
// measured from here to the frontend's first call into Go.
var processStart = osProcessStart(time.Now())

// osProcessStart reads the process's start time in clock ticks since boot
// and the system uptime; USER_HZ is 100 on every Linux architecture Go targets.
func osProcessStart(fallback time.Time) time.Time {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return fallback
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return fallback
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(stat), ')')
	f := strings.Fields(string(stat[i+1:]))
	uf := strings.Fields(string(up))
	if i < 0 || len(f) < 20 || len(uf) < 1 {
		return fallback
	}
	ticks, err1 := strconv.ParseFloat(f[19], 64) // field 22 overall: starttime
	uptime, err2 := strconv.ParseFloat(uf[0], 64)
	if err1 != nil || err2 != nil {
		return fallback
	}
	age := time.Duration((uptime - ticks/100) * float64(time.Second))
	if age < 0 || age > time.Minute {
		return fallback
	}
	return fallback.Add(-age)
}

// version is stamped by the build (backend/buildinfo, mk/app.mk).
var version = buildinfo.Version

// runGUI opens the desktop window and returns when it closes.
func runGUI() {
	logger := log.New(os.Stderr, "", log.LstdFlags)
	app := NewApp(version, processStart, logger)
	err := wails.Run(&options.App{
		Title:            "Audience Uploader",
		Width:            1200,
		Height:           820,
		MinWidth:         980,
		MinHeight:        660,
		BackgroundColour: &options.RGBA{R: 246, G: 247, B: 249, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets},
		OnStartup:        app.startup,
		OnBeforeClose:    app.beforeClose,
		OnShutdown:       app.shutdown,
		DragAndDrop: &options.DragAndDrop{
			EnableFileDrop:     true,
			DisableWebViewDrop: true, // a dropped file must not navigate the page away
		},
		Bind: []any{app},
		// Wails logs a failed call's message, arguments included; this
		// logger writes the method's name only (backend/guilog).
		Logger: guilog.New(os.Stderr),
		Linux: &linux.Options{
			Icon:             appIcon,
			ProgramName:      "audience-uploader",
			WebviewGpuPolicy: linux.WebviewGpuPolicyOnDemand,
		},
		Windows: &windows.Options{Theme: windows.SystemDefault},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "Audience Uploader could not open its window: %v\n", err)
		os.Exit(1)
	}
}
