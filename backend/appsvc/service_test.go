package appsvc

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// recorder is the test event sink: it keeps every event in order.
type recorder struct {
	mu     sync.Mutex
	events []event
	done   chan DoneEvent
}

type event struct {
	name string
	at   time.Time
	data any
}

func newRecorder() *recorder { return &recorder{done: make(chan DoneEvent, 4)} }

func (r *recorder) Emit(name string, data any) {
	r.mu.Lock()
	r.events = append(r.events, event{name, time.Now(), data})
	r.mu.Unlock()
	if d, ok := data.(DoneEvent); ok {
		r.done <- d
	}
}

func (r *recorder) named(name string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if e.name == name {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) wait(t *testing.T) DoneEvent {
	t.Helper()
	select {
	case d := <-r.done:
		return d
	case <-time.After(60 * time.Second):
		t.Fatal("no run:done event within 60 s")
		return DoneEvent{}
	}
}

// sample is the e2e sample file: it carries the spec's test vectors.
func sample(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "e2e", "testdata", "customers-sample.csv")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func newService(t *testing.T) (*Service, *recorder, string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", filepath.Join(dir, "cfg"))
	out := filepath.Join(dir, "out")
	set := settings.Default()
	set.OutputDir = out
	set.Workers = 1
	if err := settings.Save(set); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	var opened []string
	s := New(context.Background(), rec, Options{
		Version:     "test",
		HistoryPath: filepath.Join(dir, "data", "history.db"),
		OpenFolder:  func(p string) error { opened = append(opened, p); return nil },
	})
	t.Cleanup(s.Shutdown)
	return s, rec, out
}

var vectors = map[string][]string{
	"email": {
		"d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69",
		"831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982",
		"f93ca5969ffbf9d8c9dff54992b7ec422d948252cc907365a0a05aa799ab8db9",
	},
	"phone": {
		"65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4",
		"8dcdcb191dd89fbef91b063d9f8f75ccca8d2c9059b47386c3f46d5f88bb5068",
		"dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383",
	},
	"maid": {
		"b1788682345e37f504a685d799b0855ba23cf0df76b80695ce6a240203606ecd",
		"83dc3f5f32b9472613b0f038d36f22585a609d018af6f6067f50da318bf354bd",
	},
}

const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

var allMappings = []Mapping{{"email", "email"}, {"phone", "phone"}, {"idfa", "idfa"}, {"gaid", "gaid"}}

func TestHelloMeasuresFirstCall(t *testing.T) {
	s, _, _ := newService(t)
	info := s.Hello()
	if info.Version != "test" || info.Settings.DefaultRegion != "US" || info.HistoryPath == "" || len(info.Warnings) != 0 {
		t.Fatalf("Hello = %+v", info)
	}
	again := s.Hello()
	if again.StartupMillis != info.StartupMillis {
		t.Errorf("start-up figure changed between calls: %d then %d", info.StartupMillis, again.StartupMillis)
	}
}

func TestInspectFileAndRecent(t *testing.T) {
	s, _, _ := newService(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o600)
	tests := []struct {
		name, path, wantErr string
	}{
		{"empty path", "", "No file was chosen"},
		{"relative", "x.csv", "not a full path"},
		{"missing", filepath.Join(dir, "missing.csv"), "does not exist"},
		{"folder", dir, "is a folder"},
		{"empty file", empty, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.InspectFile(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("InspectFile(%q) = %v, want %q", tt.path, err, tt.wantErr)
			}
		})
	}
	p := sample(t)
	fi, err := s.InspectFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name != "customers-sample.csv" || fi.Size == 0 || fi.EstimatedRows != 38 {
		t.Fatalf("InspectFile = %+v, want 38 estimated rows", fi)
	}
	rec := s.RecentFiles()
	if len(rec) != 1 || rec[0].Path != p || !rec[0].Exists {
		t.Fatalf("RecentFiles = %+v", rec)
	}
	// The recent list survives a restart.
	if loaded, _ := settings.Load(); len(loaded.RecentFiles) != 1 {
		t.Fatalf("recent files not saved: %+v", loaded.RecentFiles)
	}
}

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
		if got := estimateRows(tt.path, st.Size()); got < tt.min || got > tt.max {
			t.Errorf("estimateRows(%s) = %d, want %d..%d", filepath.Base(tt.path), got, tt.min, tt.max)
		}
	}
}

func TestDiscoverAndPreview(t *testing.T) {
	s, _, _ := newService(t)
	sc, err := s.Discover(sample(t), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"email": "email", "phone": "phone", "idfa": "idfa", "gaid": "gaid"}
	for _, f := range sc.Fields {
		if w, ok := want[f.Name]; ok {
			if f.Suggestion == nil || f.Suggestion.TypeName != w {
				t.Errorf("column %s: suggestion %+v, want %s", f.Name, f.Suggestion, w)
			}
		}
	}
	res, err := s.Preview(PreviewRequest{Path: sample(t), Mappings: allMappings, Region: "US", PhoneFormat: "digits", Rows: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 20 {
		t.Fatalf("preview rows = %d, want 20", len(res.Rows))
	}
	first := res.Rows[0].Cells
	if first[0].Hash != vectors["email"][0] || first[1].Hash != vectors["phone"][1] {
		t.Fatalf("first row cells = %+v", first)
	}

	if _, err := s.Preview(PreviewRequest{Path: sample(t)}); err == nil || !strings.Contains(err.Error(), "No column is marked") {
		t.Fatalf("Preview without mappings: %v", err)
	}
	if _, err := s.Preview(PreviewRequest{Path: sample(t), Mappings: []Mapping{{"email", "fax"}}}); err == nil || !strings.Contains(err.Error(), "no valid PII type") {
		t.Fatalf("Preview with a bad type: %v", err)
	}
	if _, err := s.Discover(filepath.Join(t.TempDir(), "nope.csv"), ""); err == nil || !strings.HasSuffix(err.Error(), "Choose the file again.") {
		t.Fatalf("Discover of a missing file: %v", err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

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

func TestSaveSettings(t *testing.T) {
	s, _, _ := newService(t)
	in := s.Settings()
	in.DefaultRegion = "gb"
	in.MaxFileMB = 100
	got, err := s.SaveSettings(in)
	if err != nil {
		t.Fatal(err)
	}
	if got.DefaultRegion != "GB" {
		t.Fatalf("region = %q", got.DefaultRegion)
	}
	in.DefaultRegion = "ZZ"
	if _, err := s.SaveSettings(in); err == nil || !strings.Contains(err.Error(), "not a region") {
		t.Fatalf("SaveSettings(ZZ) = %v", err)
	}
	in.DefaultRegion = "US"
	in.MaxFileMB = 999
	if _, err := s.SaveSettings(in); err == nil || !strings.Contains(err.Error(), "were not saved") {
		t.Fatalf("SaveSettings(999 MB) = %v", err)
	}
	if l, _ := settings.Load(); l.DefaultRegion != "GB" || l.MaxFileMB != 100 {
		t.Fatalf("saved settings = %+v", l)
	}
}

func TestRegions(t *testing.T) {
	s, _, _ := newService(t)
	rs := s.Regions()
	found := map[string]int{}
	for _, r := range rs {
		found[r.Code] = r.CallingCode
	}
	if found["US"] != 1 || found["GB"] != 44 || found["AM"] != 374 || len(rs) < 200 {
		t.Fatalf("Regions: %d entries, US=%d GB=%d AM=%d", len(rs), found["US"], found["GB"], found["AM"])
	}
}

func TestThrottle(t *testing.T) {
	now := time.Unix(0, 0)
	var got []int64
	th := newThrottle(100*time.Millisecond, func(p transform.Progress) { got = append(got, p.Rows) })
	th.now = func() time.Time { return now }
	for i := int64(1); i <= 25; i++ { // 25 reports 20 ms apart = 0.5 s
		th.offer(transform.Progress{Rows: i})
		now = now.Add(20 * time.Millisecond)
	}
	th.flush()
	if len(got) > 7 {
		t.Fatalf("%d events for 0.5 s, want at most ~6: %v", len(got), got)
	}
	if got[len(got)-1] != 25 {
		t.Fatalf("last event %d, want the final count 25", got[len(got)-1])
	}
	th.flush()
	if got[len(got)-1] != 25 || len(got) > 7 {
		t.Fatalf("second flush re-sent: %v", got)
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
