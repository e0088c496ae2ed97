package buildinfo

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The -X flags mk/app.mk passes must name these variables exactly: build a
// program with them, as the release build does, and read what it reports.
func TestLdflagsStampTheBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	const pkg = "github.com/audience-uploader/audience-uploader/backend/buildinfo"
	stamped := buildAndRun(t, "-X "+pkg+".Version=2.3.4 -X "+pkg+".Commit=89abcdef -X "+pkg+".Date=2026-05-06T07:08:09Z")
	want := Info{Version: "2.3.4", Commit: "89abcdef", Date: "2026-05-06T07:08:09Z", Go: runtime.Version(), Wails: "unknown"}
	if stamped != want {
		t.Errorf("stamped build reports %+v, want %+v", stamped, want)
	}
	plain := buildAndRun(t, "")
	want = Info{Version: "dev", Commit: "unknown", Date: "unknown", Go: runtime.Version(), Wails: "unknown"}
	if plain != want {
		t.Errorf("unstamped build reports %+v, want %+v", plain, want)
	}
}

func buildAndRun(t *testing.T, ldflags string) Info {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "printinfo")
	build := exec.Command("go", "build", "-o", bin, "-ldflags", ldflags, "./testdata/printinfo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	var info Info
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("program printed %q: %v", out, err)
	}
	return info
}
