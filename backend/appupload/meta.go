package appupload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/appmeta"
	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
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
	jobID  string // of the running upload
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
		path = filepath.Join(d, metaupload.JournalName)
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

// metaRows reads and checks a transform output's Meta rows file
// (metaupload.ReadRows), its errors worded for the window. Its schema goes
// to Meta as written, one key included: a one-key list is a multi-key
// schema of one key, as the command line and the syncs send it, so an
// audience fed by all three never mixes Meta's two kinds of schema.
func metaRows(outputDir string) (*metaupload.Rows, error) {
	rows, err := metaupload.ReadRows(outputDir)
	switch {
	case errors.Is(err, metaupload.ErrNoAcceptedRows):
		return nil, errors.New("No row of this list has a value Meta accepts, so there is nothing to send to Meta. Check the column types in Step 3.")
	case errors.Is(err, metaupload.ErrNotForMeta):
		return nil, errors.New("This output has no rows for Meta: choose Meta in Step 2 and run the transform again.")
	case err != nil:
		return nil, fmt.Errorf("The transform's output could not be read for Meta (%v). Run the transform again.", err)
	}
	return rows, nil
}

// MetaDestination connects to adAccount ("" means the settings') behind
// the destination seam, delivering through the app's one Meta journal: the
// sync engine's Meta deliveries can go through it too, so an upload and a
// sync never keep two journals of one audience.
func (s *Service) MetaDestination(ctx context.Context, adAccount string) (string, destination.Destination, error) {
	acct, d, err := s.metaDestination(ctx, adAccount, nil)
	if err != nil {
		return "", nil, err
	}
	return acct, d, nil
}

func (s *Service) metaDestination(ctx context.Context, adAccount string, log func(level, msg string)) (string, *metaupload.Destination, error) {
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
	rows, err := metaRows(req.OutputDir)
	if err != nil {
		return err
	}
	m := &metaRun{name: req.AudienceName, action: action}
	acct, dest, err := s.metaDestination(s.ctx, "", m.log(s))
	if err != nil {
		return err
	}
	m.acct, m.dest = acct, dest
	m.jobID = metaupload.JobID(rows, acct, action, req.AudienceName, req.AudienceID)
	m.send = func(ctx context.Context) (string, int, error) {
		res, err := dest.Deliver(ctx, destination.Delivery{JobID: m.jobID, AudienceID: req.AudienceID, AudienceName: req.AudienceName,
			Action: action, Schema: rows.Schema, RowsPath: rows.Path})
		return res.AudienceID, res.Rows, err
	}
	return s.startMeta(m)
}

// ResumeMetaUpload continues an upload to Meta that did not finish (the
// app was closed, the network went, it was cancelled) from the journal
// alone, as History offers it after a restart: the rows file, schema,
// action and audience it was started with; batches Meta has are not sent
// again and no second audience is made.
func (s *Service) ResumeMetaUpload(jobID string) error {
	if s.meta.openErr != nil {
		return fmt.Errorf("The Meta upload journal could not be opened (%v). Check that the app's data folder is writable, then restart the app.", s.meta.openErr)
	}
	j, err := s.meta.store.Job(s.ctx, jobID)
	switch {
	case err != nil:
		return fmt.Errorf("The Meta upload journal could not be read (%v). Restart the app; if it stays, check that its data folder is readable.", err)
	case j == nil:
		return errors.New("This upload to Meta is not in the journal any more. Upload the list again from New run.")
	case j.Done:
		return errors.New("This upload to Meta has already finished: nothing is left to send.")
	case !j.Resumable():
		return errors.New("This upload to Meta was started by an older version that did not record its rows file. Upload the list again from New run: batches Meta already has are not sent again.")
	}
	m := &metaRun{jobID: j.ID, name: j.AudienceName, action: destination.Action(j.Action)}
	acct, dest, err := s.metaDestination(s.ctx, j.AdAccount, m.log(s))
	if err != nil {
		return err
	}
	m.acct, m.dest = acct, dest
	m.send = func(ctx context.Context) (string, int, error) {
		res, err := dest.Uploader.Resume(ctx, j.ID)
		if errors.Is(err, metaupload.ErrJobDone) {
			// Finished by a run that started meanwhile (the CLI, a sync).
			return j.AudienceID, j.Rows, nil
		}
		return res.AudienceID, res.Rows, err
	}
	return s.startMeta(m)
}

// metaRun is one upload to Meta as the window follows it: a new one or a
// resumed one, told apart only by send.
type metaRun struct {
	jobID, acct, name string
	action            destination.Action
	dest              *metaupload.Destination
	send              func(ctx context.Context) (audienceID string, rows int, err error)
}

func (m *metaRun) log(s *Service) func(level, msg string) {
	return func(level, msg string) {
		s.events.Emit(EventMetaProgress, MetaEvent{JobID: m.jobID, Level: level, Message: msg})
	}
}

// startMeta runs m in the background, one upload to Meta at a time.
func (s *Service) startMeta(m *metaRun) error {
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
	s.meta.jobID = m.jobID
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		audienceID, rows, err := m.send(ctx)
		d := MetaDone{JobID: m.jobID}
		switch {
		case err != nil && errors.Is(err, context.Canceled):
			d.Cancelled = true
			d.Error = "The upload to Meta was cancelled. Upload again to continue where it stopped: batches Meta already has are not sent again."
		case err != nil:
			d.Error = appmeta.Problem("The upload to Meta did not finish", err).Error() +
				" Uploading again resumes it: batches Meta already has are not sent again."
		default:
			r := &MetaResult{JobID: m.jobID, AdAccount: m.acct, AudienceID: audienceID, AudienceName: m.name,
				Action: string(m.action), Rows: rows}
			if a, err := m.dest.Status(ctx, audienceID); err == nil {
				r.Status, r.Ready = a.Status, a.Ready
				r.Size = appmeta.SizeWords(int64(a.SizeLower), int64(a.SizeUpper))
			}
			d.Result = r
		}
		s.meta.mu.Lock()
		s.meta.cancel = nil
		s.meta.jobID = ""
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

// MetaStore is the app's Meta upload journal (nil when it could not be
// opened): Save as sync to Meta takes the wizard's upload from it.
func (s *Service) MetaStore() *metaupload.Store { return s.meta.store }
