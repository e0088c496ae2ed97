package inputs

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEstimateRows(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.csv")
	var b strings.Builder
	b.WriteString("email\n")
	for i := 0; i < 40000; i++ {
		b.WriteString("someone.somewhere@example.com\n") // 30 bytes a line
	}
	os.WriteFile(big, []byte(b.String()), 0o600)
	jsonl := filepath.Join(dir, "a.jsonl")
	os.WriteFile(jsonl, []byte("{\"e\":1}\n{\"e\":2}\n{\"e\":3}"), 0o600)
	gz := filepath.Join(dir, "a.csv") // gzip told by its magic bytes, not the name
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(b.String()))
	zw.Close()
	os.WriteFile(gz, zb.Bytes(), 0o600)
	oneLine := filepath.Join(dir, "array.json") // a long JSON array on one line
	os.WriteFile(oneLine, []byte("["+strings.Repeat(`{"email":"someone@example.com"},`, 20000)+"{}]"), 0o600)
	tests := []struct {
		path     string
		min, max int64
	}{
		{big, 39000, 41000},
		{jsonl, 3, 3},
		{gz, -1, -1},
		{oneLine, -1, -1},
	}
	for _, tt := range tests {
		st, _ := os.Stat(tt.path)
		if got := EstimateFileRows(tt.path, st.Size()); got < tt.min || got > tt.max {
			t.Errorf("EstimateFileRows(%s) = %d, want %d..%d", filepath.Base(tt.path), got, tt.min, tt.max)
		}
	}
}
