// Prints buildinfo.Get() as JSON: the test builds it with and without -ldflags.
package main

import (
	"encoding/json"
	"os"

	"github.com/audience-uploader/audience-uploader/backend/buildinfo"
)

func main() { json.NewEncoder(os.Stdout).Encode(buildinfo.Get()) }
