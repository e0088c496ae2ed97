// Package cloud is the desktop app's AWS side: sign-in (backend/auth) and
// the data bucket (backend/storage) behind methods the GUI binds through
// app_auth.go, plus the s3:// inputs appsvc hands to the transform.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage"
	"github.com/audience-uploader/audience-uploader/backend/window"
)

// Service reads the settings afresh for each call, so edits in Settings
// apply at once; the S3 client is kept while the settings and the session
// stay the same (identity-pool credentials are fetched once, then refreshed).
type Service struct {
	Auth *auth.Service
	load func() (settings.Settings, error)
	opts storage.Options

	mu     sync.Mutex
	client *storage.Client
	key    clientKey
}

type clientKey struct {
	aws     settings.AWSSettings
	session *auth.Session
}

// New uses the sign-in service and a settings loader (settings.Load in the app).
func New(a *auth.Service, load func() (settings.Settings, error), opts storage.Options) *Service {
	return &Service{Auth: a, load: load, opts: opts}
}

// Status says what the S3 side can do now.
type Status struct {
	CredentialSource string `json:"credential_source"` // cognito | aws-chain
	// CognitoConfigured: region, user pool and app client are set, so the
	// sign-in screen applies.
	CognitoConfigured bool `json:"cognito_configured"`
	// S3Ready: a bucket is set and credentials are available (signed in,
	// or the AWS credential chain).
	S3Ready bool `json:"s3_ready"`
	// AWSReady: AWS credentials are available (signed in with an identity
	// pool, or the AWS credential chain), bucket or not: the Clean Rooms tab.
	AWSReady bool   `json:"aws_ready"`
	Bucket   string `json:"bucket"`
	Prefix   string `json:"prefix"`
	// Why S3 is not ready, as a sentence ("" when it is).
	Reason string     `json:"reason,omitempty"`
	Auth   auth.State `json:"auth"`
}

// Status reports the configuration and the sign-in state together.
func (s *Service) Status() Status {
	st := Status{Auth: s.Auth.State()}
	set, err := s.load()
	if err != nil {
		st.Reason = fmt.Sprintf("The settings could not be read (%v). Open Settings and save them again.", err)
		return st
	}
	a := set.AWS
	st.CredentialSource, st.Bucket, st.Prefix = orDefault(a.CredentialSource, auth.SourceCognito), a.Bucket, a.Prefix
	st.CognitoConfigured = st.CredentialSource == auth.SourceCognito && a.Region != "" && a.UserPoolID != "" && a.AppClientID != ""
	switch {
	case a.Bucket == "":
		st.Reason = "No data bucket is set. Add it in Settings > AWS."
	case st.CredentialSource == auth.SourceAWSChain:
		st.S3Ready = true
	case !st.CognitoConfigured:
		st.Reason = "Sign-in is not set up. Fill in the region, user pool and app client in Settings > AWS."
	case a.IdentityPoolID == "":
		st.Reason = "No identity pool is set, so there are no credentials for S3. Add it in Settings > AWS."
	case !st.Auth.SignedIn:
		st.Reason = "Sign in to browse the data bucket."
	default:
		st.S3Ready = true
	}
	st.AWSReady = st.CredentialSource == auth.SourceAWSChain || (st.CognitoConfigured && a.IdentityPoolID != "" && st.Auth.SignedIn)
	return st
}

// Restore resumes a remembered sign-in, then reports the status.
func (s *Service) Restore(ctx context.Context) (Status, error) {
	if _, err := s.Auth.Restore(ctx); err != nil {
		return s.Status(), sentence(err, "Sign in again.")
	}
	return s.Status(), nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// storage returns the S3 client for the current settings and session.
func (s *Service) storage(ctx context.Context) (*storage.Client, settings.AWSSettings, error) {
	set, err := s.load()
	if err != nil {
		return nil, settings.AWSSettings{}, fmt.Errorf("The settings could not be read (%v). Open Settings and save them again.", err)
	}
	key := clientKey{aws: set.AWS, session: s.Auth.Session()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil && s.key == key {
		return s.client, set.AWS, nil
	}
	cfg, err := s.Auth.AWSConfig(ctx)
	if err != nil {
		return nil, set.AWS, sentence(err, "Then try again.")
	}
	s.client, s.key = storage.New(cfg, s.opts), key
	return s.client, set.AWS, nil
}

// folderIn returns the S3 client, the data bucket and the folder to look in:
// prefix, or the configured prefix when prefix is "".
func (s *Service) folderIn(ctx context.Context, prefix string) (*storage.Client, string, string, error) {
	c, a, err := s.storage(ctx)
	if err != nil {
		return nil, "", "", err
	}
	if a.Bucket == "" {
		return nil, "", "", errors.New("No data bucket is set. Add it in Settings > AWS.")
	}
	if prefix == "" {
		prefix = folder(a.Prefix)
	}
	return c, a.Bucket, prefix, nil
}

// List lists one folder of the data bucket; prefix "" is the configured
// prefix (the bucket's root when none is set).
func (s *Service) List(ctx context.Context, prefix, token string) (*storage.Page, error) {
	c, bucket, prefix, err := s.folderIn(ctx, prefix)
	if err != nil {
		return nil, err
	}
	p, err := c.List(ctx, bucket, prefix, token, 0)
	if err != nil {
		return nil, sentence(err, "Check the connection and the bucket in Settings > AWS, then press Refresh.")
	}
	return p, nil
}

// Search finds objects whose name starts with name, in the folder and below.
func (s *Service) Search(ctx context.Context, prefix, name, token string) (*storage.Page, error) {
	c, bucket, prefix, err := s.folderIn(ctx, prefix)
	if err != nil {
		return nil, err
	}
	p, err := c.Search(ctx, bucket, storage.Query{Prefix: prefix, NamePrefix: strings.TrimSpace(name), Recursive: true}, token)
	if err != nil {
		return nil, sentence(err, "Check the connection, then search again.")
	}
	return p, nil
}

// folder makes a configured prefix a folder ("lists" -> "lists/").
func folder(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// Stat describes an s3:// object for Step 1 (appsvc.Remote).
func (s *Service) Stat(ctx context.Context, url string) (inputs.FileInfo, error) {
	bucket, key, err := storage.ParseURL(url)
	if err != nil {
		return inputs.FileInfo{}, sentence(err, "Pick the file again from the S3 tab.")
	}
	c, _, err := s.storage(ctx)
	if err != nil {
		return inputs.FileInfo{}, err
	}
	obj, err := c.Stat(ctx, bucket, key)
	if err != nil {
		return inputs.FileInfo{}, sentence(err, "Press Refresh in the S3 tab and pick the file again.")
	}
	// The row estimate costs one small ranged GET; without it (a read
	// error that discovery will then explain) the row count shows as unknown.
	estimate := int64(-1)
	if head, err := c.ReadHead(ctx, *obj, inputs.EstimateHeadBytes); err == nil {
		estimate = inputs.EstimateRows(head, obj.Size)
	}
	return inputs.FileInfo{Path: obj.URL(), Name: path.Base(obj.Key), Size: obj.Size, Modified: obj.LastModified, EstimatedRows: estimate}, nil
}

// Openers are the input schemes this service reads (s3:// and cleanrooms://),
// for the one inputs.Resolver the app builds at start-up; ctx bounds them.
func (s *Service) Openers(ctx context.Context) map[string]inputs.Opener {
	open := func(url string) (inputs.Source, error) { return s.Source(ctx, url) }
	return map[string]inputs.Opener{inputs.SchemeS3: open, inputs.SchemeCleanRooms: open}
}

// Source streams an s3:// object (or a cleanrooms:// result) into discovery, preview or a run.
func (s *Service) Source(ctx context.Context, url string) (inputs.Source, error) {
	if cleanrooms.IsURL(url) {
		return s.cleanRoomsSource(ctx, url)
	}
	c, _, err := s.storage(ctx)
	if err != nil {
		return inputs.Source{}, err
	}
	src, err := c.Source(ctx, url)
	if err != nil {
		return inputs.Source{}, sentence(err, "Press Refresh in the S3 tab and pick the file again.")
	}
	return src, nil
}

// ImportRuntimeConfig reads the AWS solution's runtimeConfig.json over the
// given AWS settings (nothing is saved: the person reviews and saves).
func ImportRuntimeConfig(data []byte, current settings.AWSSettings) (settings.AWSSettings, error) {
	if err := auth.ImportRuntimeConfig(data, &current); err != nil {
		return current, sentence(err, "Choose the runtimeConfig.json of the Audience Uploader web solution.")
	}
	return current, nil
}

// sentence makes err read as a sentence that ends with what to do.
func sentence(err error, todo string) error {
	if auth.CodeOf(err) != "" {
		return err // sign-in errors are already sentences that say what to do
	}
	return window.Sentence(err, todo)
}
