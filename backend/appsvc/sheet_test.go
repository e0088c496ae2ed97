package appsvc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/jobs"
)

// The sheet the person picks in the app reaches the reader in every step: DiscoverInput lists the
// workbook's sheets and reads the chosen one, and Preview and StartRun read that sheet too (the
// fixture's second sheet, "Phones only", is a headerless list of 40 phone numbers 1613555xxxx).
func TestSheetPickedInTheAppIsRead(t *testing.T) {
	book, err := filepath.Abs(filepath.Join("..", "records", "testdata", "binary", "list.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	s, rec, _ := newService(t)

	first, err := s.DiscoverInput(DiscoverRequest{Path: book, Region: "US"})
	if err != nil {
		t.Fatal(err)
	}
	if first.Sheet != "Customers" || strings.Join(first.Sheets, "|") != "Customers|Phones only|Empty" {
		t.Fatalf("first sheet %q of %q", first.Sheet, first.Sheets)
	}
	sc, err := s.DiscoverInput(DiscoverRequest{Path: book, Region: "US", Sheet: "Phones only"})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Sheet != "Phones only" || sc.Records != 40 || len(sc.Fields) != 1 || sc.Fields[0].Name != "column_1" {
		t.Fatalf("second sheet: %+v", sc)
	}

	mapping := []Mapping{{"column_1", "phone"}}
	pr, err := s.Preview(PreviewRequest{Path: book, Mappings: mapping, Region: "US", Sheet: "Phones only"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Rows) == 0 || pr.Rows[0].Cells[0].Hash != sha("16135550000") {
		t.Fatalf("preview of the second sheet: %+v", pr.Rows)
	}
	// Without the sheet, the first sheet has no column_1: the sheet is what made the difference.
	if _, err := s.Preview(PreviewRequest{Path: book, Mappings: mapping, Region: "US"}); err == nil {
		t.Fatal("preview of the first sheet with column_1 mapped: no error")
	}

	info, err := s.StartRun(RunRequest{Path: book, Audience: "Sheet", Mappings: mapping, Region: "US", Layout: "combined", Sheet: "Phones only"})
	if err != nil {
		t.Fatal(err)
	}
	d := rec.wait(t)
	if d.Status != jobs.StatusSucceeded || d.Manifest.Counters.RowsRead != 40 {
		t.Fatalf("done %+v", d)
	}
	got := map[string]bool{}
	for _, f := range d.Manifest.Files {
		for _, row := range readCSV(t, filepath.Join(info.OutputDir, f.Path))[1:] {
			for _, v := range row {
				got[v] = true
			}
		}
	}
	for i := 0; i < 40; i++ {
		if h := sha(fmt.Sprintf("1613555%04d", i)); !got[h] {
			t.Fatalf("output lacks the hash of row %d (%s)", i, h)
		}
	}

	// A sheet that is not there: a sentence naming the sheets.
	_, err = s.DiscoverInput(DiscoverRequest{Path: book, Sheet: "Customerz"})
	if err == nil || !strings.Contains(err.Error(), `"Customers", "Phones only", "Empty"`) {
		t.Fatalf("unknown sheet: %v", err)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
