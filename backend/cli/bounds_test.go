package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/records/hostile"
)

// maxHostileRSS is the most memory the CLI may take on any hostile file (issue 18): well under what a
// 600 MB cell or a DECIMAL scale of 2e9 would cost if believed.
const maxHostileRSS = 512 << 20

// Every hostile file, one or more per bound of the readers' limits files, ends cleanly in `schema` and
// in `transform` run as the real CLI process: with exit 1 and a sentence naming the file and what is
// wrong, or with the bad row counted in the report (file, row, column) and the run going on (exit 0);
// the process's peak resident memory stays under 512 MiB, and nothing is left in its temporary folder.
func TestHostileFilesEndCleanlyInTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads files that unpack to 600 MB")
	}
	for _, hc := range hostile.Cases() {
		t.Run(hc.Name, func(t *testing.T) {
			dir := t.TempDir()
			path, err := hc.Write(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"schema", "--input", path},
				{"transform", "--input", path, "--map", "email=email", "--out", filepath.Join(dir, "out")},
			} {
				tmp := t.TempDir()
				cmd := cliChild(t.TempDir(), args...)
				cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				runErr := cmd.Run()
				code := cmd.ProcessState.ExitCode()
				rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
				t.Logf("%s %s: exit %d, peak RSS %d MiB", args[0], hc.Name, code, rss>>20)
				out := stdout.String() + stderr.String()
				switch {
				case hc.Want == "" || hc.Counted:
					if code != 0 || (hc.Counted && !(strings.Contains(out, hc.Name) && strings.Contains(out, hc.Want))) {
						t.Errorf("%s: exit %d (%v); want 0 with the bad row counted, saying %q:\n%s", args[0], code, runErr, hc.Want, clip(out))
					}
				default:
					if code != ExitFailure || !strings.Contains(stderr.String(), hc.Name) || !strings.Contains(stderr.String(), hc.Want) {
						t.Errorf("%s: exit %d; want %d and a sentence naming %s and saying %q:\n%s", args[0], code, ExitFailure, hc.Name, hc.Want, clip(out))
					}
				}
				if rss > maxHostileRSS {
					t.Errorf("%s %s: peak RSS %d MiB, over %d MiB", args[0], hc.Name, rss>>20, maxHostileRSS>>20)
				}
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Errorf("%s left %d files in its temporary folder", args[0], len(left))
				}
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
