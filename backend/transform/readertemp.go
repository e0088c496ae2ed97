package transform

import (
	"os"
	"path/filepath"
	"sync"
)

// Reading an Excel workbook can write temporary files that hold its raw cells (excelize decompresses a
// worksheet or shared-strings table over 16 MiB to disk). Reader.Close removes them, but a killed process
// cannot, so while any records reader is open, this process's readers put them in one private folder under
// the data folder, made like a run's staging folder (locked while this process lives, noted in the data
// folder): the next start's CleanUpInterrupted removes it when its process is dead. The folder is removed
// when the last reader closes. Without a data folder (CleanUpInterrupted not called: tests, library use)
// the system's temporary folder is used, as excelize does by default.
const readerTempFolder = "reader-temp"

var readerTemp struct {
	sync.Mutex
	users int
	st    *staging
}

// acquireReaderTemp returns the folder for a reader's temporary files ("" for the system's) and the
// function to call when that reader is closed.
func acquireReaderTemp() (string, func()) {
	notesDir.Lock()
	notes := notesDir.path
	notesDir.Unlock()
	if notes == "" {
		return "", func() {}
	}
	readerTemp.Lock()
	defer readerTemp.Unlock()
	if readerTemp.st == nil {
		parent := filepath.Join(filepath.Dir(notes), readerTempFolder)
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return "", func() {}
		}
		st, err := startStaging(filepath.Join(parent, "reader"), newRunID())
		if err != nil {
			return "", func() {}
		}
		readerTemp.st = st
	}
	readerTemp.users++
	dir := readerTemp.st.dir
	var once sync.Once
	return dir, func() { once.Do(releaseReaderTemp) }
}

func releaseReaderTemp() {
	readerTemp.Lock()
	defer readerTemp.Unlock()
	readerTemp.users--
	if readerTemp.users == 0 && readerTemp.st != nil {
		readerTemp.st.close()
		readerTemp.st = nil
	}
}

// isReaderTemp reports whether a noted staging folder is a reader's temporary folder (not a run's output).
func isReaderTemp(staging string) bool {
	return filepath.Base(filepath.Dir(staging)) == readerTempFolder
}
