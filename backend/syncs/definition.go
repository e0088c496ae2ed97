// Package syncs keeps a TikTok audience equal to a changing customer list:
// a saved sync transforms the list, compares its hashed rows with what this
// app has already put into the audience (the sync's state), and uploads
// only the difference (APPEND and REMOVE), falling back to REPLACE when the
// state cannot be trusted. The name avoids the standard library's sync.
package syncs

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// Modes.
const (
	ModeMirror  = "mirror"   // add new rows, remove rows gone from the list
	ModeAddOnly = "add-only" // add new rows, never remove
	ModeReplace = "replace"  // send the whole list with REPLACE every run
)

// Definition is a saved sync. It holds no customer data: only where the
// list is and how to read it, and which audience it feeds.
type Definition struct {
	Name         string              `json:"name"`
	Input        string              `json:"input"`            // file, folder, glob, s3://bucket/key or s3://bucket/prefix/
	Newest       string              `json:"newest,omitempty"` // with a folder or prefix: read only the newest (last by name) part matching this pattern
	Format       string              `json:"format,omitempty"`
	Header       string              `json:"header,omitempty"`
	Sheet        string              `json:"sheet,omitempty"`
	Mappings     []transform.Mapping `json:"mappings"`
	Region       string              `json:"region"`
	PhoneFormat  string              `json:"phone_format"`
	Layout       string              `json:"layout"`
	AdvertiserID string              `json:"advertiser_id,omitempty"` // "" = the one in Settings
	// Destination is the platform the audience is on; "" in definitions
	// saved before Meta means TikTok (meta.go has the Meta side).
	Destination  destination.Platform `json:"destination,omitempty"`
	AdAccount    string               `json:"ad_account,omitempty"` // Meta's act_<digits>; "" = the one in Settings
	AudienceID   string               `json:"audience_id,omitempty"`
	AudienceName string               `json:"audience_name,omitempty"` // created on the first run; audience_id is then filled in
	// AudienceGone is an audience id TikTok said no longer exists: saving
	// again never takes it back (see Recreate).
	AudienceGone string `json:"audience_gone,omitempty"`
	Mode         string `json:"mode"`
	// MaxRemovals is the share (percent) of the audience's people a run
	// may remove without --allow-removals; nil means DefaultMaxRemovals.
	MaxRemovals *float64  `json:"max_removals,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// windowsDevices are names Windows keeps for devices, with any extension
// and in any letter case: a folder named so cannot be made there.
var windowsDevices = regexp.MustCompile(`(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$`)

// checkName refuses names that are not a plain file name on every system:
// Windows also refuses device names and drops a trailing '.'.
func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return &UsageError{fmt.Errorf("sync name %q: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)}
	}
	if windowsDevices.MatchString(name) || strings.HasSuffix(name, ".") {
		return &UsageError{fmt.Errorf("sync name %q cannot be a folder name on Windows (a device name, or a '.' at the end): choose another", name)}
	}
	return nil
}

// normalize fills defaults and checks every field; the error says which.
func (d *Definition) normalize() error {
	if err := checkName(d.Name); err != nil {
		return err
	}
	d.Input = strings.TrimSpace(d.Input)
	if d.Input == "" {
		return usagef("sync %s: no input: give a file, folder, glob or s3:// key or prefix", d.Name)
	}
	if d.Newest != "" {
		if _, err := path.Match(d.Newest, ""); err != nil {
			return usagef("--newest %q is not a valid pattern: %v", d.Newest, err)
		}
	}
	if len(d.Mappings) == 0 {
		return usagef("sync %s: map at least one column (--map COLUMN=TYPE)", d.Name)
	}
	for i, m := range d.Mappings {
		t, err := identifiers.ParseType(m.TypeName)
		if err != nil {
			return usagef("mapping %s: %v", records.SafeColumnName(m.Column), err)
		}
		if m.Column == "" {
			return usagef("a mapping has no column name")
		}
		d.Mappings[i].Type, d.Mappings[i].TypeName = t, t.String()
	}
	if _, err := records.ParseFormat(d.Format); err != nil {
		return &UsageError{err}
	}
	if _, err := records.ParseHeaderMode(d.Header); err != nil {
		return &UsageError{err}
	}
	if d.Region == "" {
		d.Region = "US"
	}
	d.Region = strings.ToUpper(d.Region)
	if d.PhoneFormat == "" {
		d.PhoneFormat = "digits"
	}
	if _, err := identifiers.ParsePhoneFormat(d.PhoneFormat); err != nil {
		return &UsageError{err}
	}
	layout, err := transform.ParseLayout(d.Layout)
	if err != nil {
		return &UsageError{err}
	}
	d.Layout = string(layout)
	if layout == transform.LayoutSeparate && distinctTypes(d.Mappings) > 1 {
		return usagef("sync %s: the separate layout makes one audience per identifier type, but a sync feeds one audience: use --layout combined (or auto)", d.Name)
	}
	if err := d.normalizeDestination(); err != nil {
		return err
	}
	// Both are set once the first run has created the named audience.
	if d.AudienceID == "" && d.AudienceName == "" {
		return usagef("sync %s: give --audience NAME (created on the first run) or --audience-id ID", d.Name)
	}
	if n := len([]rune(d.AudienceName)); n > 120 {
		return usagef("audience name is %d characters; TikTok allows 128 and a suffix may be added: use at most 120", n)
	}
	if m := d.MaxRemovals; m != nil && (*m < 0 || *m > 100 || *m != *m) {
		return usagef("--max-removals %v: give a percent from 0 to 100", *m)
	}
	switch d.Mode {
	case "":
		d.Mode = ModeMirror
	case ModeMirror, ModeAddOnly, ModeReplace:
	default:
		return usagef("mode %q: use mirror, add-only or replace", d.Mode)
	}
	return nil
}

func distinctTypes(ms []transform.Mapping) int {
	seen := map[string]bool{}
	for _, m := range ms {
		seen[m.Type.CalculateType()] = true
	}
	return len(seen)
}

// fingerprint names what decides the hashed rows besides the list itself:
// if it changes, earlier rows cannot be compared with new ones.
func (d *Definition) fingerprint() string {
	var b strings.Builder
	for _, m := range d.Mappings {
		b.WriteString(m.TypeName + ",")
	}
	fmt.Fprintf(&b, "|%s|%s|%s", d.Region, d.PhoneFormat, d.Layout)
	if d.isMeta() {
		b.WriteString("|meta") // Meta's normalization hashes other strings
	}
	return b.String()
}

// sameTarget reports whether two definitions feed the same audience.
func sameTarget(a, b *Definition) bool {
	return a.AdvertiserID == b.AdvertiserID && a.AudienceID == b.AudienceID && a.AudienceName == b.AudienceName &&
		a.platform() == b.platform() && a.AdAccount == b.AdAccount
}

// UsageError marks a mistake in what was asked (exit code 2 in the CLI).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// IsUsage reports whether err is a UsageError (ours or the transform's).
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u) || transform.IsUsageError(err)
}
