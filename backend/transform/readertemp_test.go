package transform

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// bigWorkbook writes, with excelize's own stream writer (quicker than openpyxl for 24 MiB of XML), an
// .xlsx whose only worksheet is over 16 MiB uncompressed: the size above which excelize decompresses a
// worksheet to a temporary file that holds its cells.
func bigWorkbook(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile(excelize.Options{TmpDir: t.TempDir()})
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"email", "phone"}); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 200_000; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("person%06d@example.com", i), fmt.Sprintf("+1613%07d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// The killed process: it sets up as the app and CLI do at start, opens the workbook and stops mid-read,
// to be killed.
func init() {
	if os.Getenv("READER_TEMP_CHILD") == "" {
		return
	}
	if _, err := CleanUpInterrupted(os.Getenv("READER_TEMP_DATA")); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	src, err := inputs.LocalFile(os.Getenv("READER_TEMP_FILE"))
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	rd, _, err := openRecords(context.Background(), src, records.FormatAuto, records.HeaderAuto, nil)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	var c records.Chunk
	if err := rd.NextChunk(&c, 100); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("READING")
	select {} // until killed
}

// Excel's temporary files hold raw cells; a process killed while reading a workbook cannot remove them.
// They go to a private folder under the data folder that the next start removes: nothing is left in the
// system's temporary folder, and nothing under the data folder after the next start.
func TestExcelTemporaryFilesAreRemovedAfterAKill(t *testing.T) {
	dir := t.TempDir()
	book := filepath.Join(dir, "big.xlsx")
	bigWorkbook(t, book)
	data, sysTemp := filepath.Join(dir, "data"), filepath.Join(dir, "tmp")
	for _, d := range []string{data, sysTemp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "READER_TEMP_CHILD=1", "READER_TEMP_DATA="+data, "READER_TEMP_FILE="+book, "TMPDIR="+sysTemp)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "READING" {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("the child said %q", line)
	}
	// Mid-read, the worksheet's cells are on disk in the readers' folder under the data folder.
	spilled, _ := filepath.Glob(filepath.Join(data, readerTempFolder, stagingPrefix+"*", "excelize-*"))
	inSystemTemp, _ := filepath.Glob(filepath.Join(sysTemp, "*"))
	if len(spilled) == 0 || len(inSystemTemp) != 0 {
		t.Errorf("mid-read: temporary files %v under the data folder, %v in the system's temporary folder; want them under the data folder only", spilled, inSystemTemp)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	// The next start.
	t.Cleanup(func() { notesDir.Lock(); notesDir.path = ""; notesDir.Unlock() })
	removed, err := CleanUpInterrupted(data)
	if err != nil || len(removed) != 0 {
		t.Errorf("CleanUpInterrupted: removed %v (%v); the readers' folder is not a transform's output to report", removed, err)
	}
	var left []string
	for _, d := range []string{sysTemp, data} {
		filepath.Walk(d, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				left = append(left, path)
			}
			return nil
		})
	}
	if len(left) != 0 {
		t.Fatalf("left after the next start: %v", left)
	}
}
