// Package settings reads and writes the user's settings file
// (settings.json in the user's config directory). It never holds a secret:
// tokens and passwords live in backend/secrets.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/privatefs"
)

// Settings is everything the app remembers between runs.
type Settings struct {
	DefaultRegion string         `json:"default_region"` // ISO 3166 region for phones without a country code
	PhoneFormat   string         `json:"phone_format"`   // "digits" | "e164"
	OutputDir     string         `json:"output_dir"`     // parent folder for output folders
	MaxFileMB     int            `json:"max_file_mb"`    // per output file, 1..250
	Workers       int            `json:"workers"`        // 0 = all cores
	RecentFiles   []string       `json:"recent_files"`   // most recent first
	TikTok        TikTokSettings `json:"tiktok"`
	Meta          MetaSettings   `json:"meta"`
	AWS           AWSSettings    `json:"aws"`
}

// TikTokSettings says which TikTok API the app talks to; the token is a secret.
type TikTokSettings struct {
	Environment  string `json:"environment"` // production | sandbox | custom
	BaseURL      string `json:"base_url"`    // custom only
	AdvertiserID string `json:"advertiser_id"`
}

// MetaSettings say which Meta ad account the app sends to; the system-user
// token is a secret (keychain entry meta.TokenKey). A settings file from
// before Meta has no "meta" object: the zero value, no account, which
// leaves every TikTok setting as it was.
type MetaSettings struct {
	AdAccount string `json:"ad_account"` // "act_<digits>", "" = not set up
	BaseURL   string `json:"base_url"`   // "" = meta.DefaultBaseURL
}

// AWSSettings says where the data bucket is and how to get credentials for it.
type AWSSettings struct {
	CredentialSource string `json:"credential_source"` // cognito | aws-chain
	Profile          string `json:"profile"`
	Region           string `json:"region"`
	UserPoolID       string `json:"user_pool_id"`
	AppClientID      string `json:"app_client_id"`
	IdentityPoolID   string `json:"identity_pool_id"`
	Bucket           string `json:"bucket"`
	Prefix           string `json:"prefix"`
}

const (
	// MaxRecentFiles is how many recent files are kept.
	MaxRecentFiles = 10
	// MaxFileMBLimit is TikTok's stated upload limit per file.
	MaxFileMBLimit = 250
	fileName       = "settings.json"
)

// Default returns the settings of a fresh install.
func Default() Settings {
	return Settings{
		DefaultRegion: "US",
		PhoneFormat:   "digits",
		OutputDir:     defaultOutputDir(),
		MaxFileMB:     50,
		Workers:       0,
		RecentFiles:   []string{},
		TikTok:        TikTokSettings{Environment: "production"},
		AWS:           AWSSettings{CredentialSource: "cognito"},
	}
}

func defaultOutputDir() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "."
	}
	docs := filepath.Join(home, "Documents")
	if st, err := os.Stat(docs); err == nil && st.IsDir() {
		return filepath.Join(docs, "Audience Uploader")
	}
	return filepath.Join(home, "Audience Uploader")
}

// Dir is the folder holding settings.json: $AUDIENCE_UPLOADER_CONFIG_DIR if
// set, else os.UserConfigDir()/audience-uploader.
func Dir() (string, error) {
	if d := os.Getenv("AUDIENCE_UPLOADER_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user's config directory: %w", err)
	}
	return filepath.Join(base, "audience-uploader"), nil
}

// Path is the settings file's full path.
func Path() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, fileName), nil
}

// Load reads the settings file; a missing file gives Default(). Fields the
// file leaves out keep their defaults.
func Load() (Settings, error) {
	p, err := Path()
	if err != nil {
		return Default(), err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return Default(), fmt.Errorf("reading settings from %s: %w", p, err)
	}
	s := Default()
	if err := json.Unmarshal(b, &s); err != nil {
		return Default(), fmt.Errorf("settings file %s is not valid JSON (fix or delete it to start from defaults): %w", p, err)
	}
	s.fill()
	return s, nil
}

// fill replaces empty or out-of-range values with defaults so a hand-edited
// file cannot make the app misbehave.
func (s *Settings) fill() {
	d := Default()
	if s.DefaultRegion == "" {
		s.DefaultRegion = d.DefaultRegion
	}
	s.DefaultRegion = strings.ToUpper(s.DefaultRegion)
	if s.PhoneFormat != "digits" && s.PhoneFormat != "e164" {
		s.PhoneFormat = d.PhoneFormat
	}
	if s.OutputDir == "" {
		s.OutputDir = d.OutputDir
	}
	if s.MaxFileMB <= 0 {
		s.MaxFileMB = d.MaxFileMB
	}
	if s.MaxFileMB > MaxFileMBLimit {
		s.MaxFileMB = MaxFileMBLimit
	}
	if s.Workers < 0 {
		s.Workers = 0
	}
	if s.RecentFiles == nil {
		s.RecentFiles = []string{}
	}
	if len(s.RecentFiles) > MaxRecentFiles {
		s.RecentFiles = s.RecentFiles[:MaxRecentFiles]
	}
	if s.TikTok.Environment == "" {
		s.TikTok.Environment = d.TikTok.Environment
	}
	s.Meta.AdAccount = strings.TrimSpace(s.Meta.AdAccount)
	if s.AWS.CredentialSource == "" {
		s.AWS.CredentialSource = d.AWS.CredentialSource
	}
}

var metaAdAccount = regexp.MustCompile(`^act_[0-9]+$`)

// Validate reports the first setting that cannot be used, as a sentence.
func (s Settings) Validate() error {
	if len(s.DefaultRegion) != 2 {
		return fmt.Errorf("the default phone region %q is not a two-letter country code: pick one from the list", s.DefaultRegion)
	}
	if s.PhoneFormat != "digits" && s.PhoneFormat != "e164" {
		return fmt.Errorf("the phone format %q is unknown: choose digits or +E.164", s.PhoneFormat)
	}
	if s.OutputDir == "" {
		return errors.New("the output folder is empty: choose a folder for the hashed files")
	}
	if s.MaxFileMB < 1 || s.MaxFileMB > MaxFileMBLimit {
		return fmt.Errorf("the maximum file size must be between 1 and %d MB (TikTok's upload limit), not %d", MaxFileMBLimit, s.MaxFileMB)
	}
	if s.Workers < 0 || s.Workers > 256 {
		return fmt.Errorf("the number of workers must be between 0 (all cores) and 256, not %d", s.Workers)
	}
	switch s.TikTok.Environment {
	case "production", "sandbox":
	case "custom":
		if s.TikTok.BaseURL == "" {
			return errors.New("the custom TikTok environment needs a base URL")
		}
	default:
		return fmt.Errorf("the TikTok environment %q is unknown: choose production, sandbox or custom", s.TikTok.Environment)
	}
	if a := s.Meta.AdAccount; a != "" && !metaAdAccount.MatchString(a) {
		return fmt.Errorf("the Meta ad account %q is not of the form act_ followed by digits: Business Settings > Ad accounts shows the id", a)
	}
	switch s.AWS.CredentialSource {
	case "cognito", "aws-chain":
	default:
		return fmt.Errorf("the AWS credential source %q is unknown: choose cognito or aws-chain", s.AWS.CredentialSource)
	}
	return nil
}

// Save writes the settings file with mode 0600, in a folder made 0700,
// through a temporary file and a rename, so a crash never leaves half a
// file. In the app, Store.Update is the one caller: it keeps concurrent
// changes from overwriting each other.
func Save(s Settings) error {
	s.fill()
	dir, err := Dir()
	if err != nil {
		return err
	}
	if err := privatefs.MkdirAll(dir); err != nil {
		return fmt.Errorf("creating the settings folder %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding settings: %w", err)
	}
	if err := osfile.WriteFile(filepath.Join(dir, fileName), append(b, '\n'), privatefs.FileMode); err != nil {
		return fmt.Errorf("saving settings in %s: %w", dir, err)
	}
	return nil
}

// AddRecent puts path first in the recent files list, without duplicates,
// keeping at most MaxRecentFiles.
func (s *Settings) AddRecent(path string) {
	out := make([]string, 0, MaxRecentFiles)
	out = append(out, path)
	for _, p := range s.RecentFiles {
		if p != path && len(out) < MaxRecentFiles {
			out = append(out, p)
		}
	}
	s.RecentFiles = out
}
