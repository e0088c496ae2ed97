package appsvc

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// Settings returns the settings in use.
func (s *Service) Settings() settings.Settings { return s.settings.Get() }

// SaveSettings validates and stores new settings; recent files are kept
// from the current ones (the frontend does not own that list).
func (s *Service) SaveSettings(in settings.Settings) (settings.Settings, error) {
	in.DefaultRegion = strings.ToUpper(strings.TrimSpace(in.DefaultRegion))
	in.OutputDir = strings.TrimSpace(in.OutputDir)
	if err := in.Validate(); err != nil {
		return s.Settings(), fmt.Errorf("The settings were not saved: %w.", err)
	}
	if _, ok := phonenumbers.GetSupportedRegions()[in.DefaultRegion]; !ok {
		return s.Settings(), fmt.Errorf("The settings were not saved: %q is not a region with phone numbers; pick one from the list.", in.DefaultRegion)
	}
	cur, err := s.settings.Update(func(next *settings.Settings) error {
		recent := next.RecentFiles
		*next = in
		next.RecentFiles = recent
		return nil
	})
	if err != nil {
		return cur, fmt.Errorf("The settings could not be saved (%v). Check that the folder is writable and try again.", err)
	}
	return cur, nil
}

// Region is a phone region the person can choose.
type Region struct {
	Code        string `json:"code"`
	CallingCode int    `json:"calling_code"`
}

// Regions lists every region libphonenumber knows, by code.
func (s *Service) Regions() []Region {
	sup := phonenumbers.GetSupportedRegions()
	out := make([]Region, 0, len(sup))
	for code := range sup {
		out = append(out, Region{Code: code, CallingCode: phonenumbers.GetCountryCodeForRegion(code)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
