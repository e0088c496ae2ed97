// Package tiktokcmd holds the upload subcommands of the CLI: upload, run
// (transform then upload), audiences, status and tiktok set-token. They
// talk to TikTok, or with --destination meta hand over to metacmd.
package tiktokcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/metacmd"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Commands returns the TikTok commands for the root command; run reads
// --input through sources.
func Commands(sources *inputs.Resolver) []*cobra.Command {
	tk := &cobra.Command{Use: "tiktok", Short: "TikTok account commands"}
	tk.AddCommand(newSetTokenCmd())
	return []*cobra.Command{newUploadCmd(), newRunCmd(sources), newAudiencesCmd(), newStatusCmd(), tk}
}

// connFlags are the flags every command that talks to a platform has.
type connFlags struct {
	Destination  string
	AdvertiserID string
	QPS          float64
	StatePath    string
	Concurrency  int
	meta         metacmd.Flags
}

func (f *connFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.Destination, "destination", "tiktok", "platform: tiktok or meta")
	c.Flags().StringVar(&f.AdvertiserID, "advertiser-id", "", "TikTok advertiser id (default: Settings > TikTok)")
	f.meta.AddAdAccount(c)
	f.meta.AddBatchRows(c)
	c.Flags().Float64Var(&f.QPS, "qps", 5, "ceiling of requests per second to TikTok and Meta (slows down further on their rate limits)")
	c.Flags().StringVar(&f.StatePath, "state", "", "upload state database (default: upload-state.db, for Meta meta-upload.db, in the user data folder)")
	c.Flags().IntVar(&f.Concurrency, "concurrency", 2, "TikTok: files uploaded at once")
}

// session is a client, state store and uploader built from flags, settings,
// keychain and environment.
type session struct {
	adv    string
	client *tiktok.Client
	store  *upload.Store
	up     *upload.Uploader
	sink   *printer
}

func (s *session) Close() {
	if s.store != nil {
		s.store.Close()
	}
}

func open(f *connFlags, stderr io.Writer, quiet bool) (*session, error) {
	st, err := settings.Load()
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	if f.QPS <= 0 {
		return nil, cli.UsageError(errors.New("--qps must be positive"))
	}
	conn, err := tiktok.Connect(context.Background(), tiktok.ConnectOptions{Settings: st.TikTok, AdvertiserID: f.AdvertiserID, Secrets: secrets.Keychain(), QPS: f.QPS})
	if errors.Is(err, tiktok.ErrNoAdvertiser) {
		return nil, cli.UsageError(errors.New("no TikTok advertiser id: pass --advertiser-id or set it in Settings > TikTok"))
	}
	if err != nil {
		return nil, err
	}
	if f.Concurrency < 1 || f.Concurrency > 16 {
		return nil, cli.UsageError(errors.New("--concurrency must be between 1 and 16"))
	}
	path := f.StatePath
	if path == "" {
		if path, err = upload.DefaultStatePath(); err != nil {
			return nil, err
		}
	}
	store, err := upload.OpenStore(path)
	if err != nil {
		return nil, err
	}
	s := &session{adv: conn.AdvertiserID, store: store, sink: newPrinter(stderr, quiet), client: conn.Client}
	up, err := upload.New(upload.Config{Client: s.client, Store: store, Sink: s.sink, Concurrency: f.Concurrency})
	if err != nil {
		store.Close()
		return nil, err
	}
	s.up = up
	return s, nil
}

// uploadFlags select the audience and action.
type uploadFlags struct {
	conn       connFlags
	Audience   string
	AudienceID string
	Action     string
	Wait       bool
	WaitFor    time.Duration
	JSON       bool
}

func (f *uploadFlags) add(c *cobra.Command) {
	f.conn.add(c)
	c.Flags().StringVar(&f.Audience, "audience", "", "name of a new audience to create")
	c.Flags().StringVar(&f.AudienceID, "audience-id", "", "id of an existing audience to update")
	c.Flags().StringVar(&f.Action, "action", "", "for --audience-id: append (default), remove or replace")
	c.Flags().BoolVar(&f.Wait, "wait", false, "after uploading, wait until TikTok has matched the audience")
	c.Flags().DurationVar(&f.WaitFor, "wait-timeout", 48*time.Hour, "longest --wait (TikTok can take up to 48 hours)")
	c.Flags().BoolVar(&f.JSON, "json", false, "print a machine-readable result on stdout")
}

func (f *uploadFlags) check() error {
	if (f.Audience == "") == (f.AudienceID == "") {
		return cli.UsageError(errors.New("give exactly one of --audience NAME (new audience) and --audience-id ID (existing audience)"))
	}
	if f.Audience != "" && f.Action != "" {
		return cli.UsageError(errors.New("--action applies to an existing audience (--audience-id)"))
	}
	switch strings.ToLower(f.Action) {
	case "", "append", "remove", "replace":
	default:
		return cli.UsageError(fmt.Errorf("--action %q: use append, remove or replace", f.Action))
	}
	return nil
}

// uploadOutput is the --json result of upload and run.
type uploadOutput struct {
	*upload.Result
	Status []*upload.AudienceStatus `json:"status,omitempty"`
}

func doUpload(c *cobra.Command, f *uploadFlags, manifest string) (*uploadOutput, error) {
	s, err := open(&f.conn, c.ErrOrStderr(), f.JSON)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	res, err := s.up.Run(c.Context(), upload.Request{ManifestPath: manifest, AdvertiserID: s.adv,
		AudienceName: f.Audience, AudienceID: f.AudienceID, Action: f.Action})
	s.sink.finish()
	if err != nil {
		return nil, err
	}
	out := &uploadOutput{Result: res}
	if f.Wait {
		ctx, cancel := context.WithTimeout(c.Context(), f.WaitFor)
		defer cancel()
		for _, t := range res.Targets {
			st, err := s.up.Follow(ctx, s.adv, t.AudienceID, 0)
			if err != nil {
				return out, err
			}
			out.Status = append(out.Status, st)
		}
	}
	return out, nil
}

func printUpload(w io.Writer, out *uploadOutput) {
	r := out.Result
	switch {
	case r.AlreadyOK:
		fmt.Fprintf(w, "This upload was already finished (job %s).\n", r.JobID)
	case r.Resumed:
		fmt.Fprintf(w, "Resumed and finished job %s: %d file(s) uploaded now, %d by an earlier run.\n", r.JobID, r.Uploaded, r.Reused)
	default:
		fmt.Fprintf(w, "Uploaded %d file(s), %d rows (job %s).\n", r.Uploaded, r.Rows, r.JobID)
	}
	for _, t := range r.Targets {
		name := t.AudienceName
		if name == "" {
			name = "existing audience"
		}
		fmt.Fprintf(w, "%s %s: audience id %s (%s, %d rows)\n", r.Action, name, t.AudienceID, t.CalculateType, t.Rows)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	for _, st := range out.Status {
		printStatus(w, st)
	}
}

func printStatus(w io.Writer, st *upload.AudienceStatus) {
	state := "processing"
	if st.Ready {
		state = "ready"
	}
	fmt.Fprintf(w, "Audience %s (%s): %s, %d matched users", st.AudienceID, st.Name, state, st.MatchedUsers)
	if st.MatchRate > 0 {
		fmt.Fprintf(w, ", match rate %.1f%% of %d rows", st.MatchRate*100, st.RowsUploaded)
	}
	fmt.Fprintln(w)
	for _, m := range st.Messages {
		fmt.Fprintf(w, "  TikTok: %s\n", m)
	}
}

func emit(c *cobra.Command, asJSON bool, v any, human func(io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(c.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	human(c.OutOrStdout())
	return nil
}

func newUploadCmd() *cobra.Command {
	var f uploadFlags
	var manifest string
	c := &cobra.Command{
		Use:   "upload --manifest DIR/manifest.json (--audience NAME | --audience-id ID)",
		Short: "Upload a transform's output to TikTok (or Meta) as a new audience or into an existing one (resumable)",
		Long: "Uploads the files listed in a transform's manifest, then creates the audience or updates an\n" +
			"existing one. Run the same command again after an interruption: finished files are not\n" +
			"uploaded again and no second audience is created. With --destination meta the manifest's\n" +
			"meta-rows.tsv goes to the --ad-account in batches, each exactly once.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if manifest == "" {
				return cli.UsageError(errors.New("--manifest is required"))
			}
			if err := f.check(); err != nil {
				return err
			}
			if st, err := os.Stat(manifest); err == nil && st.IsDir() {
				manifest = filepath.Join(manifest, transform.ManifestName)
			}
			p, err := f.conn.platform()
			if err != nil {
				return err
			}
			if p == destination.Meta {
				return metaUpload(c, &f, manifest, nil)
			}
			out, err := doUpload(c, &f, manifest)
			if err != nil {
				return err
			}
			return emit(c, f.JSON, out, func(w io.Writer) { printUpload(w, out) })
		},
	}
	c.Flags().StringVar(&manifest, "manifest", "", "manifest.json written by transform (or its folder)")
	f.add(c)
	return c
}

func newRunCmd(sources *inputs.Resolver) *cobra.Command {
	tf := cli.TransformFlags{Sources: sources}
	var f uploadFlags
	c := &cobra.Command{
		Use:   "run --input PATH --map COLUMN=TYPE --out DIR (--audience NAME | --audience-id ID)",
		Short: "Transform a customer list and upload it to TikTok (or Meta) in one go (resumable)",
		Long: "Runs transform, then upload. If DIR already holds a finished transform (manifest.json),\n" +
			"the transform is skipped and the upload resumes, so re-running an interrupted command\n" +
			"never uploads twice.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if tf.OutDir == "" {
				return cli.UsageError(errors.New("--out is required"))
			}
			p, err := f.conn.platform()
			if err != nil {
				return err
			}
			if p == destination.Meta && f.Wait {
				return cli.UsageError(errMetaWait)
			}
			tf.Destinations = []string{string(p)}
			manifest := filepath.Join(tf.OutDir, transform.ManifestName)
			var tm *transform.Manifest
			if _, err := os.Stat(manifest); err == nil {
				if !f.JSON {
					fmt.Fprintf(c.ErrOrStderr(), "%s already holds a finished transform: uploading it.\n", tf.OutDir)
				}
			} else {
				bar := cli.NewProgressBar(c.ErrOrStderr(), "transforming")
				o, err := tf.Options(bar.Update)
				if err != nil {
					return err
				}
				tm, err = transformStaged(c.Context(), o)
				bar.Finish()
				if err != nil {
					return err
				}
				if !f.JSON {
					cli.PrintManifest(c.OutOrStdout(), tf.OutDir, tm)
					fmt.Fprintln(c.OutOrStdout())
				}
			}
			if p == destination.Meta {
				return metaUpload(c, &f, manifest, tm)
			}
			out, err := doUpload(c, &f, manifest)
			if err != nil {
				return err
			}
			return emit(c, f.JSON, struct {
				Transform *transform.Manifest `json:"transform,omitempty"`
				Upload    *uploadOutput       `json:"upload"`
			}{tm, out}, func(w io.Writer) { printUpload(w, out) })
		},
	}
	tf.AddInput(c)
	tf.AddOutput(c)
	f.add(c)
	return c
}

// transformStaged runs the transform into OUT. transform.Run writes into a
// staging folder of its own and publishes it as OUT with one rename, so a
// run killed mid-transform leaves no half-written OUT (the next run starts
// the transform again) and a run killed after it finds OUT/manifest.json and
// resumes the upload. Nothing else is removed here: a folder beside OUT
// (OUT.partial included) is not this run's.
func transformStaged(ctx context.Context, o transform.Options) (*transform.Manifest, error) {
	out := filepath.Clean(o.OutDir)
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return nil, cli.UsageError(fmt.Errorf("output folder %s is not empty and holds no manifest.json: choose a new --out", out))
	}
	o.OutDir = out
	return transform.Run(ctx, o)
}

func newSetTokenCmd() *cobra.Command {
	var adv string
	c := &cobra.Command{
		Use:   "set-token --advertiser-id ID   (token on stdin)",
		Short: "Save a TikTok access token in the OS keychain (read from stdin, never echoed)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if adv == "" {
				return cli.UsageError(errors.New("--advertiser-id is required"))
			}
			token, err := cli.ReadSecret(c, "TikTok access token")
			if err != nil {
				return err
			}
			return save(c, adv, token)
		},
	}
	c.Flags().StringVar(&adv, "advertiser-id", "", "advertiser the token is for")
	return c
}

func save(c *cobra.Command, adv, token string) error {
	if strings.TrimSpace(token) == "" {
		return cli.UsageError(errors.New("no token on stdin: pipe it in, e.g. `printenv TOKEN | audience-uploader tiktok set-token --advertiser-id ID`"))
	}
	// The token is saved for the environment in the settings (or
	// TIKTOK_API_BASE_URL), and is sent only there.
	st, err := settings.Load()
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	base, err := tiktok.ResolveBaseURL(st.TikTok.Environment, st.TikTok.BaseURL)
	if err != nil {
		return err
	}
	if err := tiktok.SaveToken(secrets.Keychain(), base, adv, token); err != nil {
		return err
	}
	fmt.Fprintf(c.OutOrStdout(), "Saved the TikTok access token for advertiser %s (%s) in the OS keychain.\n", adv, tiktok.Environment(base))
	return nil
}

// printer shows upload progress on stderr: a bar on a terminal, otherwise
// one line per finished file and every warning and wait.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	quiet bool
	bar   *progressbar.ProgressBar
	sent  map[int]int64
	total map[int]int64
}

func newPrinter(w io.Writer, quiet bool) *printer {
	p := &printer{w: w, quiet: quiet, sent: map[int]int64{}, total: map[int]int64{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *printer) Emit(e upload.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case upload.EventWarning:
		fmt.Fprintf(p.w, "warning: %s\n", e.Message)
		return
	case upload.EventRetry, upload.EventRateLimited:
		if !p.quiet && !p.tty {
			fmt.Fprintf(p.w, "%s\n", e.Message)
		}
		return
	}
	if p.quiet {
		return
	}
	switch e.Kind {
	case upload.EventFileStart, upload.EventFileBytes, upload.EventFileDone:
		p.sent[e.FileIndex] = e.BytesSent
		p.total[e.FileIndex] = e.BytesTotal
		if !p.tty {
			if e.Kind == upload.EventFileDone {
				fmt.Fprintf(p.w, "uploaded %s (%d of %d)\n", e.File, len(p.doneFiles()), e.Files)
			}
			return
		}
		var sent int64
		for _, v := range p.sent {
			sent += v
		}
		if p.bar == nil {
			p.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(p.w), progressbar.OptionShowBytes(true),
				progressbar.OptionSetDescription("uploading"), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		p.bar.Describe(fmt.Sprintf("uploading %d/%d files", len(p.doneFiles()), e.Files))
		p.bar.Set64(sent)
	case upload.EventAudience:
		if !p.tty {
			fmt.Fprintf(p.w, "audience %s: %s\n", e.AudienceID, e.Message)
		}
	case upload.EventStatus:
		st := e.Status
		if st != nil && !p.tty {
			fmt.Fprintf(p.w, "audience %s: ready=%v matched=%d\n", st.AudienceID, st.Ready, st.MatchedUsers)
		}
	}
}

func (p *printer) doneFiles() []int {
	var out []int
	for i, s := range p.sent {
		if t := p.total[i]; t > 0 && s >= t {
			out = append(out, i)
		}
	}
	return out
}

func (p *printer) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
