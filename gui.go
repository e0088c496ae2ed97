package main

import (
	"embed"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
)

// The built frontend (make build runs vite into frontend/dist first).
//
//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var appIcon []byte

// processStart is taken as early as package initialisation allows; the
// start-up figure is measured from here to the frontend's first call.
var processStart = time.Now()

// version is set by the build: -ldflags "-X main.version=...".
var version = "dev"

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
