//go:build tools

// Package tools pins the command-line tools the tests and the demo run, in a
// module of its own so the application's go.mod does not carry their
// dependencies. Build one with: go build -o BIN github.com/versity/versitygw/cmd/versitygw
package tools

import (
	_ "github.com/versity/versitygw/cmd/versitygw"
)
