package osfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// These tests run on Linux in `go test` and, cross-compiled, under Wine in
// the Windows suite (build/windows/test-cli.sh), where the open-file rules
// differ.

// TestFlushFileAndFolder: a file just written is flushed (on Windows through
// a handle opened for writing: a read-only one is refused), and so is its
// folder (a no-op on Windows).
func TestFlushFileAndFolder(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "rows.bin")
	if err := os.WriteFile(path, []byte("rows"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Flush(path); err != nil {
		t.Errorf("Flush(file): %v", err)
	}
	if err := Flush(dir); err != nil {
		t.Errorf("Flush(folder): %v", err)
	}
	if err := Flush(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("Flush(missing) = %v, want not-exist", err)
	}
}

func TestWriteFileReplacesAndLeavesNoTemporaryFile(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "state.json")
	for _, body := range []string{"one\n", "two\n"} {
		if err := WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != body {
			t.Fatalf("read %q, %v; want %q", b, err, body)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only state.json", len(entries))
	}
}

// TestWriteFileFailsWithoutLeavingTemporaryFile: the folder is missing, so
// nothing can be written and nothing is left.
func TestWriteFileIntoMissingFolder(t *testing.T) {
	if err := WriteFile(filepath.Join(tempDir(t), "no", "state.json"), []byte("x"), 0o600); err == nil {
		t.Fatal("WriteFile into a missing folder succeeded")
	}
}

// tempDir is t.TempDir removed with RemoveDir: the testing package's own
// cleanup (os.RemoveAll) fails under Wine.
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "osfile-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := RemoveDir(dir); err != nil {
			t.Errorf("removing the test folder: %v", err)
		}
	})
	return dir
}

// holdOpen opens path and closes it after d, as another reader would.
func holdOpen(t *testing.T, path string, d time.Duration) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		time.Sleep(d)
		f.Close()
		close(done)
	}()
	t.Cleanup(func() { <-done })
}

// TestReplaceWhileAReaderHasTheFileOpen: a reader holding the old file for a
// moment does not make the replace fail (Windows refuses the rename while it
// is open; Linux replaces at once).
func TestReplaceWhileAReaderHasTheFileOpen(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	holdOpen(t, path, 300*time.Millisecond)
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatalf("WriteFile while a reader holds the file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file holds %q, want new", b)
	}
}

// TestRemoveDirWhileAFileInItIsOpen: a file in the folder still open for a
// moment does not make the removal fail; a folder already gone is fine.
func TestRemoveDirWhileAFileInItIsOpen(t *testing.T) {
	dir := filepath.Join(tempDir(t), "run-1")
	if err := os.MkdirAll(filepath.Join(dir, "parts"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "parts", "rows.bin")
	if err := os.WriteFile(path, []byte("rows"), 0o600); err != nil {
		t.Fatal(err)
	}
	holdOpen(t, path, 300*time.Millisecond)
	if err := RemoveDir(dir); err != nil {
		t.Fatalf("RemoveDir while a file in it is open: %v", err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("folder still there: %v", err)
	}
	if err := RemoveDir(dir); err != nil {
		t.Errorf("RemoveDir of a folder already gone: %v", err)
	}
}
