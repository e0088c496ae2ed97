package appsvc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/jobs"
	"github.com/audience-uploader/audience-uploader/backend/osfile"
	"github.com/audience-uploader/audience-uploader/backend/records"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// History lists earlier runs, newest first.
func (s *Service) History(limit int) ([]jobs.Job, error) {
	if s.store == nil {
		return nil, fmt.Errorf("The run history is unavailable (%v).", s.histErr)
	}
	l, err := s.store.List(s.ctx, limit)
	if err != nil {
		return nil, sentence(err, "Restart the app; if it persists, delete the history file.")
	}
	return l, nil
}

// DeleteHistory removes one run from the history; its files stay.
func (s *Service) DeleteHistory(id int64) error {
	if s.store == nil {
		return fmt.Errorf("The run history is unavailable (%v).", s.histErr)
	}
	if err := s.store.Delete(s.ctx, id); err != nil {
		return sentence(err, "Refresh the history and try again.")
	}
	return nil
}

// Report is the exportable summary of a run. It holds no PII: the input's
// name, the mapping (column names and types), counters and file list.
type Report struct {
	GeneratedAt time.Time           `json:"generated_at"`
	AppVersion  string              `json:"app_version"`
	Job         jobs.Job            `json:"job"`
	Manifest    *transform.Manifest `json:"manifest,omitempty"`
}

// BuildReport gathers a run's report from the history and its manifest.
func (s *Service) BuildReport(jobID int64) (Report, error) {
	if s.store == nil {
		return Report{}, fmt.Errorf("The run history is unavailable (%v).", s.histErr)
	}
	j, err := s.store.Get(s.ctx, jobID)
	if err != nil {
		return Report{}, sentence(err, "Refresh the history and try again.")
	}
	r := Report{GeneratedAt: time.Now().UTC(), AppVersion: s.opts.Version, Job: j}
	if b, err := os.ReadFile(filepath.Join(j.OutputDir, transform.ManifestName)); err == nil {
		var m transform.Manifest
		if err := json.Unmarshal(b, &m); err == nil {
			for i := range m.Mappings { // a manifest written before column names were checked
				m.Mappings[i].Column = records.SafeColumnName(m.Mappings[i].Column)
			}
			r.Manifest = &m
		}
	}
	return r, nil
}

// WriteReport writes a run's report as JSON to path (0600).
func (s *Service) WriteReport(jobID int64, path string) error {
	r, err := s.BuildReport(jobID)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("The report could not be encoded (%v).", err)
	}
	if err := osfile.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("The report could not be written to %s (%v). Choose another place.", path, err)
	}
	return nil
}
