package syncs

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
)

// PinLatest keeps a sync saved with cleanrooms://M/latest to one analysis:
// it resolves latest now and sets d.Input to latest?like= the query found,
// so later runs read the newest result of the analysis that query ran,
// never a newer result of another analysis in the same collaboration. The
// sentence says what was pinned ("" when d.Input is not a bare latest).
// Save does not pin (it stores what it is given); the CLI's sync save and
// the app's Save call PinLatest first, and a run pins a definition an
// older version saved (pinRead).
func (s *Service) PinLatest(d *Definition) (string, error) {
	if !cleanrooms.IsBareLatest(d.Input) {
		return "", nil
	}
	src, err := s.cfg.OpenSource(d.Input)
	if err != nil {
		return "", fmt.Errorf("sync %s: %s must be resolved now, to keep the sync to one analysis: %w", d.Name, d.Input, err)
	}
	if src.Pin == "" {
		return src.Resolved + ".", nil
	}
	d.Input = src.Pin
	return fmt.Sprintf("%s; the sync keeps to that analysis: saved as %s, its newest successful result on each run.", src.Resolved, src.Pin), nil
}

// pinRead is the run's side of PinLatest, for a definition saved with a
// bare latest by an older version: once a run has gone through, the
// definition keeps to the analysis of the query that run read. A run that
// stopped (a removal guard, TikTok's floor) pins nothing: the query read
// may be another analysis's. The run's result says which it was.
func (s *Service) pinRead(d *Definition, w *work, res *Result) {
	if w.pin == "" {
		return
	}
	d.Input = w.pin
	d.UpdatedAt = time.Now().UTC()
	if err := writeJSONFile(filepath.Join(s.syncDir(d.Name), defFile), d); err != nil {
		res.Source = fmt.Sprintf("%s; keeping this sync to that analysis failed (%v): the next run tries again", w.source, err)
		return
	}
	res.Source = fmt.Sprintf("%s; this sync now keeps to that analysis: saved as %s", w.source, w.pin)
}

// planSource is the plan's sentence about what the input read: for a bare
// latest that a run pins, what a run that goes through will save.
func planSource(resolved, pin string) string {
	if pin == "" {
		return resolved
	}
	return fmt.Sprintf("%s; the sync was saved with a bare latest (an older version): a run that goes through keeps it to that analysis as %s", resolved, pin)
}
