package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/buildinfo"
)

// stampBuild sets what -ldflags -X would, for one test.
func stampBuild(t *testing.T, version, commit, date string) {
	t.Helper()
	old := [3]string{buildinfo.Version, buildinfo.Commit, buildinfo.Date}
	buildinfo.Version, buildinfo.Commit, buildinfo.Date = version, commit, date
	t.Cleanup(func() { buildinfo.Version, buildinfo.Commit, buildinfo.Date = old[0], old[1], old[2] })
}

func TestVersionFlagPrintsTheStampedBuild(t *testing.T) {
	stampBuild(t, "1.4.2", "0123abcd", "2026-01-02T03:04:05Z")
	code, out, errs := execute(t, "--version")
	if code != ExitOK || errs != "" {
		t.Fatalf("--version: exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"audience-uploader 1.4.2", "commit 0123abcd", "built 2026-01-02T03:04:05Z", runtime.Version()} {
		if !strings.Contains(out, want) {
			t.Errorf("--version printed %q, want it to contain %q", out, want)
		}
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("--version printed %q, want one line", out)
	}
}

func TestVersionCommandJSON(t *testing.T) {
	stampBuild(t, "0.0.0-dev+0123abcd", "0123abcd", "2026-01-02T03:04:05Z")
	code, out, errs := execute(t, "version", "--json")
	if code != ExitOK || errs != "" {
		t.Fatalf("version --json: exit %d, stderr %q", code, errs)
	}
	var got buildinfo.Info
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("version --json printed %q: %v", out, err)
	}
	want := buildinfo.Info{Version: "0.0.0-dev+0123abcd", Commit: "0123abcd", Date: "2026-01-02T03:04:05Z", Go: runtime.Version(),
		Wails: "unknown"} // a test binary of this package does not link Wails
	if got != want {
		t.Errorf("version --json = %+v, want %+v", got, want)
	}
	code, out, _ = execute(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "audience-uploader 0.0.0-dev+0123abcd (commit 0123abcd") {
		t.Errorf("version: exit %d, printed %q", code, out)
	}
}

func TestUnstampedBuildSaysDev(t *testing.T) {
	code, out, _ := execute(t, "--version")
	if code != ExitOK || !strings.HasPrefix(out, "audience-uploader dev (commit unknown, built unknown") {
		t.Errorf("--version of an unstamped build: exit %d, printed %q", code, out)
	}
}
