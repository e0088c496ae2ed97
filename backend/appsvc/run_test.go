package appsvc

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

func TestRunCombinedWritesVectorsAndHistory(t *testing.T) {
	s, rec, out := newService(t)
	info, err := s.StartRun(RunRequest{Path: sample(t), Audience: "Spring / buyers", Mappings: allMappings, Region: "US", PhoneFormat: "digits", Layout: "combined"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.OutputDir, filepath.Join(out, "Spring-buyers-")) {
		t.Errorf("output dir %s, want under %s named after the audience", info.OutputDir, out)
	}
	d := rec.wait(t)
	if d.Status != jobs.StatusSucceeded || d.Manifest == nil || d.JobID != info.JobID {
		t.Fatalf("done = %+v", d)
	}
	if s.Running() {
		t.Error("Running() after done")
	}
	// Every hash column holds the spec's vectors; the empty string's hash never appears.
	got := map[string]map[string]bool{"email": {}, "phone": {}, "maid": {}}
	for _, f := range d.Manifest.Files {
		recs := readCSV(t, filepath.Join(info.OutputDir, f.Path))
		header := recs[0]
		for _, row := range recs[1:] {
			for i, v := range row {
				if v == emptyHash {
					t.Fatalf("the empty string's hash is in %s", f.Path)
				}
				if v == "" {
					continue
				}
				switch header[i] {
				case "Email_SHA256":
					got["email"][v] = true
				case "Phone_SHA256":
					got["phone"][v] = true
				case "MAID_SHA256":
					got["maid"][v] = true
				}
			}
		}
	}
	for typ, hs := range vectors {
		for _, h := range hs {
			if !got[typ][h] {
				t.Errorf("%s vector %s missing from the output", typ, h)
			}
		}
	}
	c := d.Manifest.Counters
	if c.RowsRead != 38 || c.DuplicateRows != 1 || c.Types["email"].Invalid["invalid_email"] != 2 {
		t.Errorf("counters = %+v, email %+v", c, c.Types["email"])
	}
	// The final progress event reports every row; events are at most 10 a second.
	prog := rec.named(EventProgress)
	for i := 1; i < len(prog); i++ {
		if gap := prog[i].at.Sub(prog[i-1].at); gap < 90*time.Millisecond && i != len(prog)-1 {
			t.Errorf("progress events %d and %d only %v apart", i-1, i, gap)
		}
	}
	hist, err := s.History(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Status != jobs.StatusSucceeded || hist[0].Input != "customers-sample.csv" ||
		hist[0].Audience != "Spring / buyers" || hist[0].RowsRead != 38 || hist[0].Layout != "combined" || len(hist[0].Mappings) != 4 {
		t.Fatalf("history = %+v", hist)
	}
	// The report names the file and counts, and holds no identifier (checked
	// by strings no MD5, id or timestamp can contain by chance).
	rp := filepath.Join(t.TempDir(), "report.json")
	if err := s.WriteReport(info.JobID, rp); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(rp)
	var r Report
	if err := json.Unmarshal(b, &r); err != nil || r.Manifest == nil || r.Job.ID != info.JobID {
		t.Fatalf("report = %s (%v)", b, err)
	}
	for _, pii := range []string{"janedoe", "gmail", "6134444444", "(613)", "444-4444", "918f1d4f", "5f3a2b18", "Jane"} {
		if strings.Contains(strings.ToLower(string(b)), strings.ToLower(pii)) {
			t.Errorf("report contains %q", pii)
		}
	}
	if err := s.OpenFolder(info.OutputDir); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenFolder(filepath.Join(out, "gone")); err == nil {
		t.Fatal("OpenFolder of a missing folder succeeded")
	}
}

func TestRunSeparatePhoneE164(t *testing.T) {
	s, rec, _ := newService(t)
	info, err := s.StartRun(RunRequest{Path: sample(t), Audience: "Phones", Mappings: []Mapping{{"phone", "phone"}}, PhoneFormat: "e164", Layout: "separate"})
	if err != nil {
		t.Fatal(err)
	}
	d := rec.wait(t)
	if d.Status != jobs.StatusSucceeded || len(d.Manifest.Files) != 1 || d.Manifest.Files[0].CalculateType != "PHONE_SHA256" {
		t.Fatalf("done = %+v", d)
	}
	recs := readCSV(t, filepath.Join(info.OutputDir, d.Manifest.Files[0].Path))
	for _, r := range recs {
		for _, h := range vectors["phone"] {
			if r[0] == h {
				t.Fatalf("+E.164 output contains the digits-only hash %s", h)
			}
		}
	}
}

func TestStartRunValidation(t *testing.T) {
	s, _, _ := newService(t)
	p := sample(t)
	tests := []struct {
		name    string
		req     RunRequest
		wantErr string
	}{
		{"no audience", RunRequest{Path: p, Mappings: allMappings}, "audience name is empty"},
		{"long audience", RunRequest{Path: p, Audience: strings.Repeat("é", 129), Mappings: allMappings}, "129 characters"},
		{"no mapping", RunRequest{Path: p, Audience: "a"}, "No column is marked"},
		{"bad layout", RunRequest{Path: p, Audience: "a", Mappings: allMappings, Layout: "diagonal"}, "combined or separate"},
		{"bad phone format", RunRequest{Path: p, Audience: "a", Mappings: allMappings, PhoneFormat: "x"}, "digits or +E.164"},
		{"missing file", RunRequest{Path: p + ".missing", Audience: "a", Mappings: allMappings}, "Choose the file again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.StartRun(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("StartRun = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if h, _ := s.History(0); len(h) != 0 {
		t.Fatalf("rejected runs reached the history: %+v", h)
	}
	if s.CancelRun() {
		t.Fatal("CancelRun with nothing running returned true")
	}
}

func TestCancelRun(t *testing.T) {
	s, rec, _ := newService(t)
	// A file big enough that the run is still going when we cancel.
	dir := t.TempDir()
	big := filepath.Join(dir, "big.csv")
	f, _ := os.Create(big)
	f.WriteString("email\n")
	for i := 0; i < 300000; i++ {
		f.WriteString("person" + strings.Repeat("x", i%7) + "@example.com\n")
	}
	f.Close()
	info, err := s.StartRun(RunRequest{Path: big, Audience: "Big", Mappings: []Mapping{{"email", "email"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartRun(RunRequest{Path: big, Audience: "Big", Mappings: []Mapping{{"email", "email"}}}); !errors.Is(err, ErrRunning) {
		t.Fatalf("second StartRun = %v, want ErrRunning", err)
	}
	s.CancelRun()
	d := rec.wait(t)
	if d.Status == jobs.StatusSucceeded {
		t.Skip("the run finished before the cancel arrived")
	}
	if d.Status != jobs.StatusCancelled {
		t.Fatalf("done = %+v, want cancelled", d)
	}
	if _, err := os.Stat(info.OutputDir); !os.IsNotExist(err) {
		t.Errorf("partial output %s left after cancel (%v)", info.OutputDir, err)
	}
	h, _ := s.History(1)
	if len(h) != 1 || h[0].Status != jobs.StatusCancelled {
		t.Fatalf("history = %+v", h)
	}
}

func TestProgressEvent(t *testing.T) {
	e := progressEvent(7, transform.Progress{Rows: 1000, BytesRead: 250, BytesTotal: 1000, Elapsed: 2 * time.Second})
	if e.JobID != 7 || e.RowsPerSecond != 500 || e.Fraction != 0.25 || e.ETASeconds != 6 {
		t.Fatalf("progressEvent = %+v", e)
	}
	u := progressEvent(1, transform.Progress{Rows: 10, BytesTotal: -1, Elapsed: time.Second})
	if u.Fraction != -1 || u.ETASeconds != -1 {
		t.Fatalf("unknown size: %+v", u)
	}
}

func TestNewOutputDir(t *testing.T) {
	parent := t.TempDir()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a, err := newOutputDir(parent, "  Spring: buyers ", at)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(a) != "Spring-buyers-20260304-050607" {
		t.Fatalf("dir = %s", a)
	}
	os.Mkdir(a, 0o700)
	b, _ := newOutputDir(parent, "Spring: buyers", at)
	if b == a || filepath.Base(b) != "Spring-buyers-20260304-050607-2" {
		t.Fatalf("second dir = %s", b)
	}
	if c, _ := newOutputDir(parent, "///", at); filepath.Base(c) != "audience-20260304-050607" {
		t.Fatalf("dir for a name with no safe characters = %s", c)
	}
}
