package records

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/records/hostile"
)

// readHostile opens path as the app does (a local file, by offset) and frames every record: the good
// records' count, the counted bad rows, and the sentence reading ended with.
func readHostile(t *testing.T, path string) (good int, bad []*RecordError, err error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r, err := Open(f, Options{Name: filepath.Base(path), At: f, Size: st.Size(), Path: path})
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	var c Chunk
	for {
		err := r.NextChunk(&c, 1000)
		if errors.Is(err, io.EOF) {
			return good, bad, nil
		}
		if err != nil {
			return good, bad, err
		}
		good += len(c.Records)
		bad = append(bad, c.Errors...)
	}
}

// Every hostile file (one or more per bound of xlsxlimits.go, parquetlimits.go and textlimits.go) ends
// cleanly through the public reader: with a sentence naming the file and what is wrong, or with its bad
// row counted (file, row, column) and the good rows read, and the heap never near what the file states.
func TestHostileFilesEndCleanly(t *testing.T) {
	for _, hc := range hostile.Cases() {
		t.Run(hc.Name, func(t *testing.T) {
			dir := t.TempDir()
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp) // what the system's temporary folder is while the file is read
			path, err := hc.Write(dir)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			good, bad, err := readHostile(t, path)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			switch {
			case hc.Want == "":
				if err != nil || len(bad) != 0 || good != hc.GoodRows {
					t.Fatalf("read %d rows, bad %v, error %v; want %d rows and nothing bad", good, bad, err, hc.GoodRows)
				}
			case hc.Counted:
				if err != nil {
					t.Fatalf("reading ended with %v; want the bad row counted and reading to go on", err)
				}
				if len(bad) != 1 || good != hc.GoodRows || !strings.Contains(bad[0].Error(), hc.Want) || bad[0].File != hc.Name || bad[0].Line == 0 {
					t.Fatalf("read %d rows, bad %v; want %d rows and one bad row naming %s, its row, and %q", good, bad, hc.GoodRows, hc.Name, hc.Want)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), hc.Want) || !strings.Contains(err.Error(), hc.Name) {
					t.Fatalf("reading ended with %v; want a sentence naming %s and saying %q", err, hc.Name, hc.Want)
				}
			}
			if grew := int64(after.HeapSys) - int64(before.HeapSys); grew > 256<<20 {
				t.Errorf("the heap grew by %d MiB reading %s; want under 256 MiB", grew>>20, hc.Name)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("%d temporary files left", len(left))
			}
		})
	}
}
