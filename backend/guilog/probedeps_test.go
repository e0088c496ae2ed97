package guilog

// TestWailsDispatchNeverLogsArguments builds Wails' dispatcher, which
// imports these two modules; the app's own test build does not (Wails
// compiles its real frontend only under its desktop tags). Importing them
// here has `go test` put them in the module cache with this test's other
// dependencies, so the probe builds with GOPROXY=off: nothing is fetched
// while the test runs.
import (
	_ "github.com/samber/lo"
	_ "github.com/tkrajina/go-reflector/reflector"
)
