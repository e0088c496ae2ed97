package appsvc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// A list of bare e-mail addresses (no header row) goes through the app's steps with its first address read
// as data; neither the history nor the exported report holds any address, even when the person says the
// first row is a header and maps the "column" named after a customer.
func TestHeaderlessListHistoryAndReport(t *testing.T) {
	raw := []string{"janedoe", "jane.doe", "shopping", "fake_email", "doesnotexist"}
	path := filepath.Join(t.TempDir(), "customers.txt")
	if err := os.WriteFile(path, []byte("janedoe@gmail.com\n Jane.Doe+shopping@Gmail.com \n fake_email@doesnotexist.com \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noPII := func(where string, b []byte) {
		t.Helper()
		low := strings.ToLower(string(b))
		for _, r := range raw {
			if strings.Contains(low, r) {
				t.Errorf("%s holds %q:\n%s", where, r, b)
			}
		}
	}
	for _, tc := range []struct {
		header, column string
		rows           int64
		recorded       string
	}{
		{"auto", "column_1", 3, "column_1"},
		{"yes", "janedoe@gmail.com", 2, records.PersonalDataColumn},
	} {
		t.Run(tc.header, func(t *testing.T) {
			s, rec, _ := newService(t)
			sc, err := s.DiscoverWithHeader(path, "US", tc.header)
			if err != nil {
				t.Fatal(err)
			}
			if sc.HeaderRow == nil || *sc.HeaderRow != (tc.header == "yes") || sc.Fields[0].Name != tc.column {
				t.Fatalf("schema header_row %v, fields %+v", sc.HeaderRow, sc.Fields)
			}
			mapping := []Mapping{{tc.column, "email"}}
			pr, err := s.Preview(PreviewRequest{Path: path, Mappings: mapping, Header: tc.header})
			if err != nil || int64(len(pr.Rows)) != tc.rows {
				t.Fatalf("preview %+v, %v", pr, err)
			}
			info, err := s.StartRun(RunRequest{Path: path, Audience: "Headerless", Mappings: mapping, Header: tc.header})
			if err != nil {
				t.Fatal(err)
			}
			d := rec.wait(t)
			if d.Status != jobs.StatusSucceeded || d.Manifest.Counters.RowsRead != tc.rows || d.Manifest.Counters.Types["email"].Valid != tc.rows {
				t.Fatalf("done %+v", d)
			}
			hist, err := s.History(10)
			if err != nil || len(hist) != 1 || len(hist[0].Mappings) != 1 || hist[0].Mappings[0].Column != tc.recorded {
				t.Fatalf("history %+v, %v", hist, err)
			}
			rp := filepath.Join(t.TempDir(), "report.json")
			if err := s.WriteReport(info.JobID, rp); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(rp)
			noPII("report", b)
			// The history database, its WAL and the output folder, byte for byte.
			for _, dir := range []string{filepath.Dir(s.opts.HistoryPath), info.OutputDir} {
				filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
					if err == nil && !fi.IsDir() {
						b, _ := os.ReadFile(p)
						noPII(p, b)
					}
					return nil
				})
			}
		})
	}
	s, _, _ := newService(t)
	if _, err := s.DiscoverWithHeader(path, "US", "maybe"); err == nil {
		t.Fatal("header maybe accepted")
	}
}
