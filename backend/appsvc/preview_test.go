package appsvc

import (
	"path/filepath"
	"strings"
	"testing"
)

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
