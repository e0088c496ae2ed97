package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/buildinfo"
)

// The committed backend/buildinfo/licenses.json matches the modules the app
// compiles in today: a module added or bumped without `make licenses` fails here.
func TestCommittedLicensesAreCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the app's dependencies")
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	t.Chdir(root)
	mods, err := compiledModules(".")
	if err != nil {
		t.Fatal(err)
	}
	got := licences(mods)
	data, err := os.ReadFile(filepath.Join("backend", "buildinfo", "licenses.json"))
	if err != nil {
		t.Fatal(err)
	}
	var committed []buildinfo.ModuleLicense
	if err := json.Unmarshal(data, &committed); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, committed) {
		t.Errorf("backend/buildinfo/licenses.json is out of date: run make licenses and commit it.\ngenerated now: %+v\ncommitted:     %+v", got, committed)
	}
}

// A recognised licence file yields its SPDX identifier; a folder without one
// yields "" (shown as unknown, never guessed).
func TestDetect(t *testing.T) {
	dir := t.TempDir()
	if got := detect(dir); got != "" {
		t.Errorf("detect(empty folder) = %q, want \"\"", got)
	}
	mit := `Copyright (c) 2020 Someone

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`
	if err := os.WriteFile(filepath.Join(dir, "LICENSE"), []byte(mit), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := detect(dir); got != "MIT" {
		t.Errorf("detect(MIT licence) = %q, want MIT", got)
	}
}
