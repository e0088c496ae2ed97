package appsvc

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/settings"
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
