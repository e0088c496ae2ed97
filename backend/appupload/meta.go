package appupload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/appmeta"
	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// The wizard's upload to Meta (issue 21): a transform's meta-rows.tsv sent
// through metaupload's exactly-once uploader, behind the destination seam,
// with its journal in the data folder (the one the CLI's `upload
// --destination meta` keeps), while TikTok's files go as before. It runs
// beside a TikTok upload, so a run for both sends both at once.

// Meta's event names.
const (
	EventMetaProgress = "upload:meta-event" // a MetaEvent: one line of the uploader's (ids and counts, no cell)
	EventMetaDone     = "upload:meta-done"  // a MetaDone: the upload to Meta ended
)

// MetaJournalName is the journal of Meta uploads in the data folder,
// shared with the command line's.
const MetaJournalName = "meta-upload.db"

// MetaUploadRequest sends a transform's Meta rows to a new audience
// (AudienceName) or an existing one (AudienceID, Action ADD, REMOVE or
// REPLACE; "" is ADD).
type MetaUploadRequest struct {
	OutputDir    string `json:"output_dir"`
	AudienceName string `json:"audience_name"`
	AudienceID   string `json:"audience_id"`
	Action       string `json:"action"`
}

// MetaEvent is one step of a Meta upload.
type MetaEvent struct {
	JobID   string `json:"job_id"`
	Level   string `json:"level"`
	Message string `json:"message"`
}

// MetaResult is what a finished Meta upload did, with the audience as Meta
// lists it just after.
type MetaResult struct {
	JobID        string `json:"job_id"`
	AdAccount    string `json:"ad_account"`
	AudienceID   string `json:"audience_id"`
	AudienceName string `json:"audience_name,omitempty"`
	Action       string `json:"action"`
	Rows         int    `json:"rows"`
	// Status and Size are the audience's, in words ("" when it could not
	// be read just after).
	Status string `json:"status"`
	Size   string `json:"size"`
	Ready  bool   `json:"ready"`
}

// MetaDone ends a Meta upload: Result on success, Error (a sentence) otherwise.
type MetaDone struct {
	JobID     string      `json:"job_id"`
	Result    *MetaResult `json:"result,omitempty"`
	Error     string      `json:"error,omitempty"`
	Cancelled bool        `json:"cancelled"`
}

// metaSide is the Service's Meta state: the journal and the running upload.
type metaSide struct {
	store   *metaupload.Store
	openErr error
	secrets secrets.Store

	mu     sync.Mutex
	cancel context.CancelFunc
}

func openMeta(cfg Config) *metaSide {
	m := &metaSide{secrets: cfg.Secrets}
	path := cfg.MetaJournalPath
	if path == "" {
		d, err := datadir.Path()
		if err != nil {
			m.openErr = err
			return m
		}
		path = filepath.Join(d, MetaJournalName)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		m.openErr = err
		return m
	}
	m.store, m.openErr = metaupload.OpenStore(path)
	return m
}

// MetaUploading reports whether an upload to Meta runs.
func (s *Service) MetaUploading() bool {
	s.meta.mu.Lock()
	defer s.meta.mu.Unlock()
	return s.meta.cancel != nil
}

// CancelMetaUpload stops the running upload to Meta; false if none runs.
func (s *Service) CancelMetaUpload() bool {
	s.meta.mu.Lock()
	defer s.meta.mu.Unlock()
	if s.meta.cancel == nil {
		return false
	}
	s.meta.cancel()
	return true
}

// metaRows finds the Meta rows file of a transform's output and its schema
// as the uploader takes it (one key: Meta's single-key schema name).
func metaRows(outputDir string) (path string, schema []string, err error) {
	manifest := outputDir
	if filepath.Base(manifest) != transform.ManifestName {
		manifest = filepath.Join(outputDir, transform.ManifestName)
	}
	b, err := os.ReadFile(manifest)
	if err != nil {
		return "", nil, fmt.Errorf("The transform's manifest could not be read (%v). Run the transform again.", err)
	}
	var m transform.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return "", nil, fmt.Errorf("The manifest %s is not valid JSON (%v). Run the transform again.", manifest, err)
	}
	files := m.FilesFor(destination.Meta)
	switch {
	case len(files) == 0 && m.Meta != nil:
		return "", nil, errors.New("No row of this list has a value Meta accepts, so there is nothing to send to Meta. Check the column types in Step 3.")
	case len(files) == 0:
		return "", nil, errors.New("This output has no rows for Meta: choose Meta in Step 2 and run the transform again.")
	case len(files) > 1 || len(files[0].Schema) == 0:
		return "", nil, fmt.Errorf("The manifest %s does not list one Meta rows file with its schema. Run the transform again.", manifest)
	}
	schema = files[0].Schema
	if len(schema) == 1 {
		k, err := identifiers.ParseMetaKey(schema[0])
		if err != nil || k.SingleKeySchema() == "" {
			return "", nil, fmt.Errorf("Meta takes %s only beside another key, and this list maps no other. Map an e-mail, phone or mobile advertiser ID column too, then run again.", schema[0])
		}
		schema = []string{k.SingleKeySchema()}
	}
	return filepath.Join(filepath.Dir(manifest), files[0].Path), schema, nil
}

// metaJobID names an upload by its rows file (path and content), the ad
// account, the audience and the action: the same upload asked again
// resumes the journal's job (or finds it done) and never sends a batch
// twice or opens a second audience.
func metaJobID(rowsPath, acct, name, audienceID, action string) (string, error) {
	f, err := os.Open(rowsPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	abs, _ := filepath.Abs(rowsPath)
	for _, s := range []string{abs, acct, name, audienceID, action} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	content := sha256.New()
	if _, err := io.Copy(content, f); err != nil {
		return "", err
	}
	h.Write(content.Sum(nil))
	return "app-" + hex.EncodeToString(h.Sum(nil))[:24], nil
}

// MetaDestination connects to adAccount ("" means the settings') behind
// the destination seam, delivering through the app's one Meta journal: the
// sync engine's Meta deliveries can go through it too, so an upload and a
// sync never keep two journals of one audience.
func (s *Service) MetaDestination(ctx context.Context, adAccount string) (string, destination.Destination, error) {
	return s.metaDestination(ctx, adAccount, nil)
}

func (s *Service) metaDestination(ctx context.Context, adAccount string, log func(level, msg string)) (string, destination.Destination, error) {
	if s.meta.openErr != nil {
		return "", nil, fmt.Errorf("The Meta upload journal could not be opened (%v). Check that the app's data folder is writable, then restart the app.", s.meta.openErr)
	}
	st, err := s.load()
	if err != nil {
		return "", nil, fmt.Errorf("The settings could not be read (%v). Open Settings and save them again.", err)
	}
	client, err := appmeta.Connect(ctx, st.Meta, adAccount, s.meta.secrets)
	if err != nil {
		return "", nil, err
	}
	up, err := metaupload.New(metaupload.Config{Store: s.meta.store, Client: client, Log: log})
	if err != nil {
		return "", nil, err
	}
	return client.AdAccount(), &metaupload.Destination{Client: client, Uploader: up}, nil
}

// StartMetaUpload sends a transform's Meta rows in the background;
// progress arrives as upload:meta-event, the end as upload:meta-done.
func (s *Service) StartMetaUpload(req MetaUploadRequest) error {
	if s.meta.openErr != nil {
		return fmt.Errorf("The Meta upload journal could not be opened (%v). Check that the app's data folder is writable, then restart the app.", s.meta.openErr)
	}
	if strings.TrimSpace(req.OutputDir) == "" {
		return errors.New("There is no transform output to upload. Run the transform first.")
	}
	action := destination.Action(strings.ToUpper(strings.TrimSpace(req.Action)))
	switch {
	case req.AudienceID == "":
		action, req.AudienceName = destination.Add, strings.TrimSpace(req.AudienceName)
		if req.AudienceName == "" {
			return errors.New("The Meta audience needs a name. Type one in Step 2.")
		}
	case action == "" || action == "APPEND":
		action, req.AudienceName = destination.Add, ""
	case action == destination.Remove || action == destination.Replace:
		req.AudienceName = ""
	default:
		return fmt.Errorf("The action %q is unknown for Meta. Choose add, remove or replace.", req.Action)
	}
	rowsPath, schema, err := metaRows(req.OutputDir)
	if err != nil {
		return err
	}
	var jobID string
	log := func(level, msg string) {
		s.events.Emit(EventMetaProgress, MetaEvent{JobID: jobID, Level: level, Message: msg})
	}
	acct, dest, err := s.metaDestination(s.ctx, "", log)
	if err != nil {
		return err
	}
	if jobID, err = metaJobID(rowsPath, acct, req.AudienceName, req.AudienceID, string(action)); err != nil {
		return fmt.Errorf("The Meta rows file could not be read (%v). Run the transform again.", err)
	}

	s.meta.mu.Lock()
	defer s.meta.mu.Unlock()
	if s.meta.cancel != nil {
		return errors.New("An upload to Meta is already running. Wait for it to finish or cancel it first.")
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("The app is closing; start the upload again after it restarts.")
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.meta.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		res, err := dest.Deliver(ctx, destination.Delivery{JobID: jobID, AudienceID: req.AudienceID, AudienceName: req.AudienceName,
			Action: action, Schema: schema, RowsPath: rowsPath})
		d := MetaDone{JobID: jobID}
		switch {
		case err != nil && errors.Is(err, context.Canceled):
			d.Cancelled = true
			d.Error = "The upload to Meta was cancelled. Upload again to continue where it stopped: batches Meta already has are not sent again."
		case err != nil:
			d.Error = appmeta.Problem("The upload to Meta did not finish", err).Error() +
				" Uploading again resumes it: batches Meta already has are not sent again."
		default:
			r := &MetaResult{JobID: jobID, AdAccount: acct, AudienceID: res.AudienceID, AudienceName: req.AudienceName,
				Action: string(action), Rows: res.Rows}
			if a, err := dest.Status(ctx, res.AudienceID); err == nil {
				r.Status, r.Ready = a.Status, a.Ready
				r.Size = appmeta.SizeWords(int64(a.SizeLower), int64(a.SizeUpper))
			}
			d.Result = r
		}
		s.meta.mu.Lock()
		s.meta.cancel = nil
		s.meta.mu.Unlock()
		s.events.Emit(EventMetaDone, d)
	}()
	return nil
}

// MetaStatus reads a Meta audience once (the result's Refresh).
func (s *Service) MetaStatus(audienceID string) (*MetaResult, error) {
	st, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("The settings could not be read (%v). Open Settings and save them again.", err)
	}
	client, err := appmeta.Connect(s.ctx, st.Meta, "", s.meta.secrets)
	if err != nil {
		return nil, err
	}
	a, err := (&metaupload.Destination{Client: client}).Status(s.ctx, audienceID)
	if err != nil {
		return nil, appmeta.Problem("The Meta audience could not be read", err)
	}
	return &MetaResult{AdAccount: client.AdAccount(), AudienceID: a.ID, AudienceName: a.Name, Status: a.Status, Ready: a.Ready,
		Size: appmeta.SizeWords(int64(a.SizeLower), int64(a.SizeUpper))}, nil
}
