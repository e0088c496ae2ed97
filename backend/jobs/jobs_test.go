package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sub", "history.db")
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

func TestStartFinishListGet(t *testing.T) {
	ctx := context.Background()
	s, p := openTemp(t)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("history mode = %v, want 0600", st.Mode().Perm())
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id1, err := s.Start(ctx, Job{StartedAt: t0, Audience: "Spring buyers", Input: "a.csv", InputBytes: 10, Format: "csv", Layout: "auto", Region: "US",
		PhoneFormat: "digits", Mappings: []Mapping{{"email", "email"}, {"phone", "phone"}}, OutputDir: "/out/a"})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.Start(ctx, Job{StartedAt: t0.Add(time.Hour), Input: "b.csv"})
	if err != nil {
		t.Fatal(err)
	}
	counters := map[string]any{"rows_read": 3, "types": map[string]any{"email": map[string]any{"valid": 2}}}
	if err := s.Finish(ctx, id1, Result{Status: StatusSucceeded, Layout: "combined", RowsRead: 3, RowsWritten: 2, Counters: counters}); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, id2, Result{Status: StatusFailed, Error: "The file could not be read."}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != id2 || list[1].ID != id1 {
		t.Fatalf("List = %+v, want newest (id %d) first", list, id2)
	}
	j, err := s.Get(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusSucceeded || j.Layout != "combined" || j.RowsRead != 3 || j.RowsWritten != 2 ||
		!j.StartedAt.Equal(t0) || j.FinishedAt == nil || len(j.Mappings) != 2 || j.Mappings[1].Column != "phone" || j.OutputDir != "/out/a" || j.Audience != "Spring buyers" {
		t.Fatalf("Get = %+v", j)
	}
	var c map[string]any
	if err := json.Unmarshal(j.Counters, &c); err != nil || c["rows_read"].(float64) != 3 {
		t.Fatalf("counters = %s (%v)", j.Counters, err)
	}
	if j2, _ := s.Get(ctx, id2); j2.Status != StatusFailed || j2.Error == "" || j2.Counters != nil || j2.Layout != "" {
		t.Fatalf("failed job = %+v", j2)
	}
	if lim, _ := s.List(ctx, 1); len(lim) != 1 {
		t.Fatalf("List(1) returned %d jobs", len(lim))
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	tests := []struct {
		name string
		f    func() error
	}{
		{"get", func() error { _, err := s.Get(ctx, 99); return err }},
		{"finish", func() error { return s.Finish(ctx, 99, Result{Status: StatusFailed}) }},
		{"delete", func() error { return s.Delete(ctx, 99) }},
	}
	for _, tt := range tests {
		if err := tt.f(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tt.name, err)
		}
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	id, err := s.Start(ctx, Job{Input: "x.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.List(ctx, 0); len(l) != 0 {
		t.Fatalf("after delete List = %+v", l)
	}
}

func TestReopenMarksRunningInterrupted(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Start(ctx, Job{Input: "x.csv"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	j, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusInterrupted || j.Error == "" {
		t.Fatalf("after reopen job = %+v, want interrupted with a reason", j)
	}
}
