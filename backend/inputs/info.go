package inputs

import (
	"bytes"
	"io"
	"os"
	"time"
)

// FileInfo describes a chosen input file (never its contents).
type FileInfo struct {
	Path     string    `json:"path"`
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	// EstimatedRows is extrapolated from the first 256 KiB; -1 when it
	// cannot be (compressed input, a JSON array on one line).
	EstimatedRows int64 `json:"estimated_rows"`
	// A folder, glob or s3:// prefix read as one list: how many part files
	// (Size is then their total) and the first few names.
	Parts     int      `json:"parts,omitempty"`
	PartNames []string `json:"part_names,omitempty"`
}

// EstimateHeadBytes is how much of a file's start EstimateRows looks at.
const EstimateHeadBytes = 256 << 10

// EstimateFileRows reads the start of a local file for EstimateRows.
func EstimateFileRows(path string, size int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	head := make([]byte, min(size, EstimateHeadBytes))
	n, _ := io.ReadFull(f, head)
	return EstimateRows(head[:n], size)
}

// EstimateRows guesses how many records a file of size bytes holds from its
// first bytes (head, up to EstimateHeadBytes): exact when head is the whole
// file, otherwise extrapolated from the line lengths. Enough for "fewer than
// 1,000 rows" warnings; -1 when it cannot tell (gzip input, or a first
// stretch with less than two lines, such as a JSON array on one line).
func EstimateRows(head []byte, size int64) int64 {
	n := int64(len(head))
	if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return -1 // gzip: the compressed size says little about the rows
	}
	lines := int64(bytes.Count(head, []byte{'\n'}))
	if n > 0 && head[n-1] != '\n' && n == size {
		lines++ // last line without a newline
	}
	first := bytes.TrimLeft(head, " \t\r\n\ufeff")
	header := int64(1)
	if len(first) > 0 && (first[0] == '{' || first[0] == '[') {
		header = 0 // JSON has no header line
	}
	if n == size {
		return max(lines-header, 0)
	}
	if lines < 2 {
		return -1
	}
	return size*lines/n - header
}
