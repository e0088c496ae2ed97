package guilog

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const probeSecret = "Sup3r-Secret-Pa55" // testdata/probe/main.go.txt's argument

// TestWailsDispatchNeverLogsArguments calls bound methods with a secret
// argument through Wails v2's own dispatcher (internal/frontend/dispatcher,
// reached from a probe package added to a temporary copy of the Wails
// module): methods that panic with the secret in the panic, guarded by
// Recover or not, a nil dereference, a call with a wrong argument type, and
// a result logged at trace level. With guilog's Logger the secret appears
// nowhere on stdout or stderr while each failure is still reported by the
// method's name; with Wails' default logger it does appear (so the probe
// does see leaks).
func TestWailsDispatchNeverLogsArguments(t *testing.T) {
	probe := buildProbe(t)

	out := runProbe(t, probe, "redacting")
	if strings.Contains(out, probeSecret) {
		t.Fatalf("the secret argument reached the log:\n%s", out)
	}
	for _, want := range []string{
		"A call from the window to main.Secrets.Unguarded failed",
		"A call from the window to main.Secrets.NilDeref failed",
		"A call from the window to main.Secrets.SignIn failed",
		"Guarded stopped on an internal error (a panic of type string)",
		"GuardedNoError stopped on an internal error (a panic of type *errors.errorString)",
		"probe done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}

	if def := runProbe(t, probe, "default"); !strings.Contains(def, probeSecret) {
		t.Fatalf("with Wails' default logger the probe should show the leak it guards against:\n%s", def)
	}
}

// buildProbe copies the Wails module the app builds with, adds the probe
// package to the copy, and builds testdata/probe against it and this module.
func buildProbe(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	goCmd := func(dir string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return strings.TrimSpace(out.String())
	}
	wails := strings.Fields(goCmd(root, []string{"GOFLAGS="}, "list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/wailsapp/wails/v2"))
	if len(wails) != 2 || wails[0] == "" {
		t.Fatalf("the Wails module is not in the module cache: %q (run go mod download)", wails)
	}
	work := t.TempDir()
	copyTree(t, wails[0], filepath.Join(work, "wails"))
	copyFile(t, filepath.Join("testdata", "probe", "export.go.txt"), filepath.Join(work, "wails", "pkg", "guilogprobe", "export.go"))
	copyFile(t, filepath.Join("testdata", "probe", "main.go.txt"), filepath.Join(work, "probe", "main.go"))
	// The probe's module requires exactly what this module does (its
	// go.mod lists every module the app's packages come from, Wails' own
	// included), so the build reads only modules the app's build already put
	// in the module cache, and never the network (GOPROXY=off, -mod=readonly).
	rootMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mod, ok := strings.CutPrefix(string(rootMod), "module github.com/audience-uploader/audience-uploader\n")
	if !ok {
		t.Fatalf("%s does not start with the module line", filepath.Join(root, "go.mod"))
	}
	mod = "module guilogprobe\n" + mod +
		"\nrequire github.com/audience-uploader/audience-uploader v0.0.0\n" +
		"\nreplace github.com/wailsapp/wails/v2 => ../wails\n\nreplace github.com/audience-uploader/audience-uploader => " + root + "\n"
	if err := os.WriteFile(filepath.Join(work, "probe", "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(root, "go.sum"), filepath.Join(work, "probe", "go.sum"))
	bin := filepath.Join(work, "probe-bin")
	goCmd(filepath.Join(work, "probe"), []string{"GOFLAGS=-mod=readonly", "GOWORK=off", "GOPROXY=off"}, "build", "-o", bin, ".")
	return bin
}

func runProbe(t *testing.T, bin, logger string) string {
	t.Helper()
	cmd := exec.Command(bin, logger)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the probe with the %s logger: %v\n%s", logger, err, out.String())
	}
	return out.String()
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("the repository root: %v", err)
	}
	return dir
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying the Wails module: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
