// Package metacmd is the command line's Meta side: `meta set-token`, and
// the session and delivery that upload and run carry out with
// --destination meta (tiktokcmd hands them over; status and audiences
// read through the session's Dest like TikTok's).
// Everything goes through the destination seam (metaupload.Destination):
// uploads are metaupload's exactly-once jobs, journaled in the data folder.
package metacmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// Commands returns the `meta` command group.
func Commands() []*cobra.Command {
	m := &cobra.Command{Use: "meta", Short: "Meta (Facebook, Instagram) ad account commands"}
	m.AddCommand(newSetTokenCmd())
	return []*cobra.Command{m}
}

var adAccountPattern = regexp.MustCompile(`^act_[0-9]+$`)

// Flags are what a command that talks to Meta takes besides its own.
type Flags struct {
	AdAccount string
	// Journal is the Meta upload journal (default metaupload.JournalName in the
	// data folder); tiktokcmd's --state names it for Meta.
	Journal string
	// BatchRows is the rows per request (default and most 10,000); tests
	// lower it to have many batches.
	BatchRows int
	// QPS is the ceiling of requests per second to Meta (tiktokcmd's
	// --qps); 0 means meta.DefaultQPS.
	QPS float64
}

// AddAdAccount registers --ad-account.
func (f *Flags) AddAdAccount(c *cobra.Command) {
	c.Flags().StringVar(&f.AdAccount, "ad-account", "", "with --destination meta: the Meta ad account, act_ followed by digits (default: Settings > Meta)")
}

// AddBatchRows registers the hidden --meta-batch-rows (tests).
func (f *Flags) AddBatchRows(c *cobra.Command) {
	c.Flags().IntVar(&f.BatchRows, "meta-batch-rows", 0, "rows per Meta request (default 10000)")
	c.Flags().MarkHidden("meta-batch-rows")
}

// Session is one Meta ad account behind the destination seam, with its
// upload journal open.
type Session struct {
	Dest      *metaupload.Destination
	AdAccount string
	store     *metaupload.Store
	batchRows int
}

// Close closes the journal.
func (s *Session) Close() {
	if s.store != nil {
		s.store.Close()
	}
}

// Open connects to the ad account (--ad-account, else the settings; the
// token from META_ACCESS_TOKEN, else the keychain; at most f.QPS requests
// a second) and opens the journal.
// The uploader's steps (ids and counts, never a cell) go to log unless it
// is nil.
func Open(f Flags, log io.Writer) (*Session, error) {
	st, err := settings.Load()
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	if f.QPS < 0 {
		return nil, cli.UsageError(errors.New("--qps must be positive"))
	}
	client, err := meta.Connect(context.Background(), meta.ConnectOptions{Settings: st.Meta, AdAccount: f.AdAccount, Secrets: secrets.Keychain(), QPS: f.QPS})
	if errors.Is(err, meta.ErrNoAdAccount) {
		return nil, cli.UsageError(errors.New("no Meta ad account: pass --ad-account act_ID or set it in Settings > Meta"))
	}
	if err != nil {
		return nil, err
	}
	path := f.Journal
	if path == "" {
		dir, err := datadir.Path()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, metaupload.JournalName)
	}
	store, err := metaupload.OpenStore(path)
	if err != nil {
		return nil, fmt.Errorf("opening the Meta upload journal: %w", err)
	}
	cfg := metaupload.Config{Store: store, Client: client}
	if log != nil {
		var mu sync.Mutex
		cfg.Log = func(level, msg string) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(log, "meta: %s\n", msg)
		}
	}
	up, err := metaupload.New(cfg)
	if err != nil {
		store.Close()
		return nil, err
	}
	return &Session{Dest: &metaupload.Destination{Client: client, Uploader: up}, AdAccount: client.AdAccount(), store: store, batchRows: f.BatchRows}, nil
}

// UploadRequest is one upload of a transform's Meta rows.
type UploadRequest struct {
	Manifest     string // manifest.json (or its folder)
	AudienceName string // a new audience
	AudienceID   string // or an existing one
	Action       string // for an existing audience: append (default), remove or replace
}

// UploadResult is what an upload did (upload --json).
type UploadResult struct {
	Platform     destination.Platform `json:"platform"`
	JobID        string               `json:"job_id"`
	AdAccount    string               `json:"ad_account"`
	AudienceID   string               `json:"audience_id"`
	AudienceName string               `json:"audience_name,omitempty"`
	Action       destination.Action   `json:"action"`
	Schema       []string             `json:"schema"`
	Rows         int                  `json:"rows"`
}

// Upload sends the manifest's Meta rows exactly once: the job is named by
// the transform run, its rows file, the account, the audience and the
// action, so the same command again resumes it (or finds it done) and
// never sends a batch twice or opens a second audience.
func (s *Session) Upload(ctx context.Context, req UploadRequest) (*UploadResult, error) {
	action, err := parseAction(req)
	if err != nil {
		return nil, err
	}
	rows, err := metaupload.ReadRows(req.Manifest)
	if errors.Is(err, metaupload.ErrNotForMeta) {
		return nil, fmt.Errorf("%w: transform the list with --destination meta (or tiktok,meta) into a new folder", err)
	}
	if err != nil {
		return nil, err
	}
	id := metaupload.JobID(rows, s.AdAccount, action, req.AudienceName, req.AudienceID)
	del := destination.Delivery{JobID: id, AudienceID: req.AudienceID, AudienceName: req.AudienceName, Action: action,
		Schema: rows.Schema, RowsPath: rows.Path}
	var res destination.Result
	if s.batchRows > 0 {
		// The seam has no batch size: the uploader is asked directly.
		r, err := s.Dest.Uploader.Run(ctx, metaupload.Job{ID: id, AudienceName: del.AudienceName, AudienceID: del.AudienceID,
			Action: metaupload.Action(action), Schema: del.Schema, RowsPath: del.RowsPath, BatchRows: s.batchRows})
		if err != nil {
			return nil, err
		}
		res = destination.Result{AudienceID: r.AudienceID, Rows: r.Rows}
	} else if res, err = s.Dest.Deliver(ctx, del); err != nil {
		return nil, err
	}
	return &UploadResult{Platform: destination.Meta, JobID: id, AdAccount: s.AdAccount, AudienceID: res.AudienceID,
		AudienceName: req.AudienceName, Action: action, Schema: rows.Schema, Rows: res.Rows}, nil
}

func parseAction(req UploadRequest) (destination.Action, error) {
	if (req.AudienceName == "") == (req.AudienceID == "") {
		return "", cli.UsageError(errors.New("give exactly one of --audience NAME (new audience) and --audience-id ID (existing audience)"))
	}
	switch strings.ToLower(req.Action) {
	case "", "append":
		return destination.Add, nil
	case "remove":
		return destination.Remove, nil
	case "replace":
		return destination.Replace, nil
	}
	return "", cli.UsageError(fmt.Errorf("--action %q: use append, remove or replace", req.Action))
}

// PrintUpload says what an upload did.
func PrintUpload(w io.Writer, r *UploadResult) {
	name := r.AudienceName
	if name == "" {
		name = "existing audience"
	}
	fmt.Fprintf(w, "Sent %d rows to Meta (job %s, ad account %s).\n", r.Rows, r.JobID, r.AdAccount)
	fmt.Fprintf(w, "%s %s: audience id %s (%s)\n", r.Action, name, r.AudienceID, strings.Join(r.Schema, ","))
	fmt.Fprintln(w, "Meta matches the rows within about 24 hours: see `audience-uploader status --destination meta --audience-id "+r.AudienceID+"`.")
}

func newSetTokenCmd() *cobra.Command {
	var acct string
	c := &cobra.Command{
		Use:   "set-token --ad-account act_ID   (token on stdin)",
		Short: "Save a Meta system-user access token in the OS keychain (read from stdin, never echoed)",
		Long: "Saves the token of a Meta system user with ads_management on the ad account, for that\n" +
			"account. META_ACCESS_TOKEN, when set, is used instead of the keychain.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if acct == "" {
				return cli.UsageError(errors.New("--ad-account is required (act_ followed by digits)"))
			}
			token, err := cli.ReadSecret(c, "Meta access token")
			if err != nil {
				return err
			}
			if token == "" {
				return cli.UsageError(errors.New("no token on stdin: pipe it in, e.g. `printenv TOKEN | audience-uploader meta set-token --ad-account act_ID`"))
			}
			if !adAccountPattern.MatchString(acct) {
				return cli.UsageError(fmt.Errorf("--ad-account %q is not act_ followed by digits (Business Settings > Ad accounts shows the id)", acct))
			}
			if err := meta.SaveToken(secrets.Keychain(), acct, token); err != nil {
				if errors.Is(err, secrets.ErrUnavailable) {
					return fmt.Errorf("%w (on a machine without a keychain set %s instead)", err, meta.EnvToken)
				}
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "Saved the Meta access token for ad account %s in the OS keychain.\n", acct)
			return nil
		},
	}
	c.Flags().StringVar(&acct, "ad-account", "", "ad account the token is for (act_ followed by digits)")
	return c
}
