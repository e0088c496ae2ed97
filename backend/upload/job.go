// A job: its key, its checks and its rows in the state database.

package upload

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// jobKey identifies "the same upload" across runs: the transform run and
// its files' MD5s, so a moved folder is still the same job (manifests
// without a run id: the manifest's path and creation time), then the
// advertiser, target and action.
func jobKey(manifestPath string, m *Manifest, req Request, action string) string {
	h := sha256.New()
	parts := []string{manifestPath, m.CreatedAt.UTC().Format(time.RFC3339Nano)}
	if m.RunID != "" {
		parts = []string{"run", m.RunID}
		for _, f := range m.Files {
			parts = append(parts, f.CalculateType, f.MD5)
		}
	}
	for _, s := range append(parts, req.AdvertiserID, req.AudienceName, req.AudienceID, action) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func typeSuffix(calc string) string {
	return strings.ToLower(strings.TrimSuffix(calc, "_SHA256"))
}

// validate checks a request before any state is written.
func (req *Request) validate() (string, error) {
	if req.AdvertiserID == "" {
		return "", errors.New("no advertiser id: pass --advertiser-id or set it in Settings > TikTok")
	}
	switch {
	case req.AudienceName != "" && req.AudienceID != "":
		return "", errors.New("give either a new audience name or an existing audience id, not both")
	case req.AudienceName == "" && req.AudienceID == "":
		return "", errors.New("give a new audience name (--audience) or an existing audience id (--audience-id)")
	case req.AudienceName != "":
		if req.Action != "" && !strings.EqualFold(req.Action, "create") {
			return "", fmt.Errorf("action %s needs an existing audience (--audience-id), not a new name", req.Action)
		}
		if n := len([]rune(req.AudienceName)); n > 120 {
			return "", fmt.Errorf("audience name is %d characters; TikTok allows 128 and a type suffix may be added: use at most 120", n)
		}
		return tiktok.ActionCreate, nil
	}
	a := strings.ToUpper(req.Action)
	if a == "" {
		a = tiktok.ActionAppend
	}
	switch a {
	case tiktok.ActionAppend, tiktok.ActionRemove, tiktok.ActionReplace:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q: use append, remove or replace", req.Action)
}

// findOrCreateJob looks the job up by key and creates it if new, under the
// state database's lock.
func (u *Uploader) findOrCreateJob(ctx context.Context, key string, m *Manifest, req Request, action string) (*Job, bool, error) {
	lock, err := u.cfg.Store.lockState(ctx)
	if err != nil {
		return nil, false, err
	}
	defer lock.unlock()
	job, err := u.cfg.Store.jobByKey(ctx, key)
	if err != nil || job != nil {
		return job, job != nil, err
	}
	job, err = u.newJob(ctx, m.path, key, m, req, action)
	return job, false, err
}

// checkFileLimit stops before anything is sent when an audience would get
// more files than TikTok takes in one request and keeps per audience.
func checkFileLimit(m *Manifest) error {
	for _, calc := range m.CalculateTypes() {
		n := 0
		for _, f := range m.Files {
			if f.CalculateType == calc {
				n++
			}
		}
		if n > tiktok.MaxFilePaths {
			return fmt.Errorf("the manifest has %d %s files, but TikTok keeps at most %d files per audience: transform the list again with larger files (--max-file-mb up to 250, or Maximum file size in the app) so it fits in %d files, or split the list into several audiences; nothing was sent",
				n, calc, tiktok.MaxFilePaths, tiktok.MaxFilePaths)
		}
	}
	return nil
}

func (u *Uploader) newJob(ctx context.Context, abs, key string, m *Manifest, req Request, action string) (*Job, error) {
	job := &Job{ID: newID(), Key: key, ManifestPath: abs, AdvertiserID: req.AdvertiserID, AudienceName: req.AudienceName,
		AudienceID: req.AudienceID, Action: action, Step: StepUploading}
	types := m.CalculateTypes()
	if action != tiktok.ActionCreate && len(types) > 1 {
		return nil, fmt.Errorf("the manifest has files of %d identifier types (%s) but an audience holds one: transform with --layout combined, or create new audiences", len(types), strings.Join(types, ", "))
	}
	for _, calc := range types {
		t := Target{CalculateType: calc, AudienceID: req.AudienceID, Rows: m.Rows(calc)}
		if action == tiktok.ActionCreate {
			t.AudienceName = req.AudienceName
			if len(types) > 1 {
				// One audience per identifier type: TikTok requires one
				// calculate_type per audience.
				t.AudienceName = fmt.Sprintf("%s (%s)", req.AudienceName, typeSuffix(calc))
			}
		}
		job.Targets = append(job.Targets, t)
	}
	var files []fileState
	var batches []batchState
	for _, calc := range types {
		n := 0
		for i, f := range m.Files {
			if f.CalculateType != calc {
				continue
			}
			files = append(files, fileState{idx: i, path: f.Path, calculateType: calc, rows: f.Rows, bytes: f.Bytes, md5: strings.ToLower(f.MD5), batch: n / BatchSize})
			n++
		}
		for b := 0; b*BatchSize < n; b++ {
			a := action
			switch {
			case action == tiktok.ActionCreate && b == 0:
				a = tiktok.ActionCreate
			case action == tiktok.ActionCreate, action == tiktok.ActionReplace && b > 0:
				// The rest of a new audience, and of a REPLACE past its first
				// 50 files, are appended.
				a = tiktok.ActionAppend
			}
			batches = append(batches, batchState{calculateType: calc, no: b, action: a})
		}
	}
	if err := u.cfg.Store.createJob(ctx, job, files, batches); err != nil {
		return nil, err
	}
	return job, nil
}
