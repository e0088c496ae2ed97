package cli

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/sampledata"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// childArgs carries a child process's CLI arguments, separated by \x1f.
const childArgs = "AUDIENCE_UPLOADER_TEST_CLI_ARGS"

// TestCLIChild is the CLI itself when the test binary runs as a child of
// TestKilledTransformLeavesNothingThatLooksComplete (cli.Main, as the app's
// binary calls it); on its own it has nothing to do.
func TestCLIChild(t *testing.T) {
	args := os.Getenv(childArgs)
	if args == "" {
		t.Skip("runs only as a child process of another test")
	}
	os.Exit(Main(strings.Split(args, "\x1f"), localRoot))
}

func cliChild(dataDir string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCLIChild$")
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(args, "\x1f"), "AUDIENCE_UPLOADER_DATA_DIR="+dataDir)
	return cmd
}

// checkNothingLooksComplete fails unless out is absent, or holds a manifest
// and exactly the files it lists, each with its size and MD5.
func checkNothingLooksComplete(t *testing.T, out string) (published bool) {
	t.Helper()
	entries, err := os.ReadDir(out)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, transform.ManifestName))
	if err != nil {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("%s exists without a manifest: %v", out, names)
	}
	var m transform.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: manifest does not parse: %v", out, err)
	}
	if len(entries) != len(m.Files)+1 {
		t.Errorf("%s holds %d entries, the manifest lists %d files", out, len(entries), len(m.Files))
	}
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(out, f.Path))
		if err != nil {
			t.Fatalf("%s: a listed file is missing: %v", out, err)
		}
		sum := md5.Sum(b)
		if int64(len(b)) != f.Bytes || hex.EncodeToString(sum[:]) != f.MD5 {
			t.Fatalf("%s: %s does not match its size and MD5 in the manifest", out, f.Path)
		}
	}
	return true
}

// A transform killed with SIGKILL at random points leaves either no output
// folder or a complete one; and the next start of the CLI removes whatever
// else the run left (its staging folder of hashes and spill files).
func TestKilledTransformLeavesNothingThatLooksComplete(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a Unix signal")
	}
	if testing.Short() {
		t.Skip("runs 22 child processes")
	}
	input := filepath.Join(t.TempDir(), "customers.jsonl")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.WriteJSONL(f, sampledata.Options{Rows: 60000, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	small := writeInput(t, "small.csv", "email\na@example.com\n")
	data := t.TempDir()
	transformArgs := func(out string) []string {
		// Small parts (many renames) and a small dedup budget (spill files).
		return []string{"transform", "--input", input, "--map", "email=email", "--map", "phone=phone", "--map", "idfa=idfa",
			"--out", out, "--max-file-mb", "1", "--dedup-memory-mb", "1", "--workers", "2"}
	}

	// One whole run, to know how long one takes.
	began := time.Now()
	if out, err := cliChild(data, transformArgs(filepath.Join(t.TempDir(), "whole"))...).CombinedOutput(); err != nil {
		t.Fatalf("an uninterrupted run failed: %v\n%s", err, out)
	}
	whole := time.Since(began)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, one run takes %v", seed, whole)
	rnd := rand.New(rand.NewPCG(seed, 0))
	var parents []string
	published := 0
	for range 20 {
		parent := t.TempDir()
		parents = append(parents, parent)
		out := filepath.Join(parent, "out")
		cmd := cliChild(data, transformArgs(out)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill points spread over the whole run, its start-up and its end.
		time.Sleep(time.Duration(rnd.Float64() * 1.2 * float64(whole)))
		cmd.Process.Kill() // SIGKILL: no clean-up of any kind runs
		cmd.Wait()
		if checkNothingLooksComplete(t, out) {
			published++
		}
	}
	t.Logf("%d of 20 killed runs had published their output", published)

	// The next start: any command.
	if out, err := cliChild(data, "schema", "--input", small).CombinedOutput(); err != nil {
		t.Fatalf("next start: %v\n%s", err, out)
	}
	for _, parent := range parents {
		var left []string
		filepath.Walk(parent, func(path string, info os.FileInfo, err error) error {
			name := filepath.Base(path)
			if strings.HasPrefix(name, ".audience-uploader-staging-") || strings.HasPrefix(name, ".spill-") || strings.HasSuffix(name, ".partial") {
				left = append(left, path)
			}
			return nil
		})
		if len(left) > 0 {
			t.Errorf("left after the next start: %v", left)
		}
		checkNothingLooksComplete(t, filepath.Join(parent, "out"))
	}
	notes, _ := os.ReadDir(filepath.Join(data, "transform-runs"))
	var names []string
	for _, n := range notes {
		names = append(names, n.Name())
	}
	sort.Strings(names)
	if len(names) > 0 {
		t.Errorf("notes of dead runs left in the data folder: %v", names)
	}
}
