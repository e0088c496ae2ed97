package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadMissingGivesDefault(t *testing.T) {
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if s.DefaultRegion != "US" || s.MaxFileMB != 50 || s.PhoneFormat != "digits" || s.OutputDir != d.OutputDir {
		t.Fatalf("Load() on a missing file = %+v, want defaults", s)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", dir)
	in := Default()
	in.DefaultRegion = "GB"
	in.PhoneFormat = "e164"
	in.OutputDir = "/tmp/out"
	in.MaxFileMB = 100
	in.Workers = 3
	in.RecentFiles = []string{"/a.csv", "/b.csv"}
	in.TikTok = TikTokSettings{Environment: "sandbox", AdvertiserID: "123"}
	in.AWS = AWSSettings{CredentialSource: "aws-chain", Profile: "p", Region: "eu-west-1", Bucket: "b"}
	if err := Save(in); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("settings file mode = %v, want 0600", st.Mode().Perm())
	}
	out, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if out.DefaultRegion != "GB" || out.PhoneFormat != "e164" || out.OutputDir != "/tmp/out" || out.MaxFileMB != 100 ||
		out.Workers != 3 || len(out.RecentFiles) != 2 || out.TikTok != in.TikTok || out.AWS != in.AWS {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("settings folder holds %d entries, want only settings.json (temp file left behind?)", len(entries))
	}
}

func TestLoadFillsBadValues(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", dir)
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(`{"default_region":"gb","max_file_mb":9999,"phone_format":"x","workers":-2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.DefaultRegion != "GB" || s.MaxFileMB != 250 || s.PhoneFormat != "digits" || s.Workers != 0 {
		t.Fatalf("Load() = %+v, want region GB, 250 MB, digits, 0 workers", s)
	}
}

func TestLoadCorruptFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", dir)
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(`{not json`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load()
	if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("Load() error = %v, want a 'not valid JSON' error", err)
	}
	if s.DefaultRegion != "US" {
		t.Errorf("Load() on a corrupt file should still return defaults, got %+v", s)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Settings)
		wantErr string
	}{
		{"default is valid", func(*Settings) {}, ""},
		{"region length", func(s *Settings) { s.DefaultRegion = "USA" }, "two-letter"},
		{"phone format", func(s *Settings) { s.PhoneFormat = "x" }, "phone format"},
		{"empty output", func(s *Settings) { s.OutputDir = "" }, "output folder"},
		{"max too big", func(s *Settings) { s.MaxFileMB = 251 }, "between 1 and 250"},
		{"max zero", func(s *Settings) { s.MaxFileMB = 0 }, "between 1 and 250"},
		{"workers negative", func(s *Settings) { s.Workers = -1 }, "workers"},
		{"custom without url", func(s *Settings) { s.TikTok.Environment = "custom" }, "base URL"},
		{"bad env", func(s *Settings) { s.TikTok.Environment = "x" }, "environment"},
		{"bad cred source", func(s *Settings) { s.AWS.CredentialSource = "x" }, "credential source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Default()
			tt.mod(&s)
			err := s.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestAddRecent(t *testing.T) {
	s := Default()
	for i := 0; i < 12; i++ {
		s.AddRecent(filepath.Join("/f", string(rune('a'+i))))
	}
	s.AddRecent("/f/c")
	if len(s.RecentFiles) != MaxRecentFiles {
		t.Fatalf("len = %d, want %d", len(s.RecentFiles), MaxRecentFiles)
	}
	if s.RecentFiles[0] != "/f/c" || s.RecentFiles[1] != "/f/l" {
		t.Fatalf("recent = %v, want /f/c first then /f/l", s.RecentFiles)
	}
	seen := map[string]bool{}
	for _, p := range s.RecentFiles {
		if seen[p] {
			t.Fatalf("duplicate %s in %v", p, s.RecentFiles)
		}
		seen[p] = true
	}
}

func TestMetaAdAccountIsCheckedAndOptional(t *testing.T) {
	s := Default()
	if err := s.Validate(); err != nil {
		t.Fatalf("a fresh install without Meta: %v", err)
	}
	s.Meta.AdAccount = "act_1234"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Meta.AdAccount = "1234"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "act_") {
		t.Fatalf("an account without act_: %v", err)
	}
}
