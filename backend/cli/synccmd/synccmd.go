// Package synccmd holds the "sync" subcommands of the CLI: save, list,
// show, run and delete a saved sync that keeps a TikTok or Meta audience
// equal to a changing list (backend/syncs).
package synccmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/metacmd"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// Commands returns the sync command for the root command.
// Runs read the sync's input through sources.
func Commands(sources *inputs.Resolver) []*cobra.Command {
	c := &cobra.Command{
		Use:   "sync",
		Short: "Saved syncs: keep a TikTok or Meta audience equal to a changing list by uploading only the difference",
		Long: "A sync remembers a list (file, folder, glob or s3:// key or prefix), how to read it and which\n" +
			"audience it feeds. Each run transforms the list, compares its hashed rows with what earlier runs\n" +
			"put into the audience, and sends only the removed people's rows (REMOVE) and then the new rows (APPEND).\n" +
			"A sync feeds one audience, on TikTok or (--destination meta) on Meta: save two syncs of one list to feed both.\n" +
			"Exit codes: 0 done, 1 failed or stopped (another run holds the sync, TikTok would refuse), 2 usage.",
	}
	c.AddCommand(newSaveCmd(sources), newListCmd(), newShowCmd(), newRunCmd(sources), newDeleteCmd())
	return []*cobra.Command{c}
}

// session is the service with a TikTok connection from the settings,
// keychain and environment, opened on first use.
type session struct {
	svc    *syncs.Service
	sink   *printer
	stores []*upload.Store
	metas  []*metacmd.Session
}

func (s *session) Close() {
	for _, st := range s.stores {
		st.Close()
	}
	for _, ms := range s.metas {
		ms.Close()
	}
}

func newSession(stderr io.Writer, quiet bool, sources *inputs.Resolver) (*session, error) {
	s := &session{sink: &printer{w: stderr, quiet: quiet}}
	svc, err := syncs.New(syncs.Config{OpenSource: sources.Open, Connect: s.connect, ConnectMeta: s.connectMeta})
	if err != nil {
		return nil, err
	}
	s.svc = svc
	return s, nil
}

func (s *session) connect(ctx context.Context, adv string) (*syncs.Conn, error) {
	st, err := settings.Load()
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	conn, err := tiktok.Connect(ctx, tiktok.ConnectOptions{Settings: st.TikTok, AdvertiserID: adv, Secrets: secrets.Keychain()})
	if errors.Is(err, tiktok.ErrNoAdvertiser) {
		return nil, cli.UsageError(errors.New("no TikTok advertiser id: save the sync with --advertiser-id or set it in Settings > TikTok"))
	}
	if err != nil {
		return nil, err
	}
	path, err := upload.DefaultStatePath()
	if err != nil {
		return nil, err
	}
	store, err := upload.OpenStore(path)
	if err != nil {
		return nil, err
	}
	s.stores = append(s.stores, store)
	up, err := upload.New(upload.Config{Client: conn.Client, Store: store, Sink: s.sink})
	if err != nil {
		return nil, err
	}
	return &syncs.Conn{AdvertiserID: conn.AdvertiserID, Client: conn.Client, Uploader: up}, nil
}

// connectMeta connects a sync to Meta as 'upload --destination meta'
// does (metacmd.Open): the ad account (the sync's, else Settings > Meta),
// the token (META_ACCESS_TOKEN, else the keychain) and the one Meta upload
// journal, behind the destination seam.
func (s *session) connectMeta(ctx context.Context, acct string) (*syncs.MetaConn, error) {
	var log io.Writer
	if !s.sink.quiet {
		log = s.sink.w
	}
	ms, err := metacmd.Open(metacmd.Flags{AdAccount: acct}, log)
	if err != nil {
		return nil, err
	}
	s.metas = append(s.metas, ms)
	return &syncs.MetaConn{AdAccount: ms.AdAccount, Destination: ms.Dest}, nil
}

// printer shows upload progress on stderr, one line per file and step.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
}

func (p *printer) Emit(e upload.Event) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case upload.EventFileDone:
		fmt.Fprintf(p.w, "  uploaded %s (%d/%d)\n", e.File, e.FileIndex+1, e.Files)
	case upload.EventWarning, upload.EventRetry, upload.EventRateLimited:
		fmt.Fprintf(p.w, "  %s\n", e.Message)
	}
}

func (p *printer) stage(pr syncs.Progress) {
	if p.quiet || pr.Transform != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	words := map[string]string{"transform": "reading and hashing the list", "diff": "comparing with the audience",
		"upload": "uploading", "commit": "recording the new state"}
	fmt.Fprintf(p.w, "%s…\n", words[pr.Stage])
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

// usage turns the engine's usage errors into the CLI's (exit code 2).
func usage(err error) error {
	if err != nil && syncs.IsUsage(err) {
		return cli.UsageError(err)
	}
	return err
}

// newSaveCmd saves a sync; a cleanrooms://M/latest input is resolved
// through sources and saved kept to that query's analysis.
func newSaveCmd(sources *inputs.Resolver) *cobra.Command {
	var d syncs.Definition
	var maps []string
	var maxRemovals float64
	var dest string
	c := &cobra.Command{
		Use:   "save NAME --input PATH|s3://… --map COLUMN=TYPE [--map …] (--audience NAME | --audience-id ID) [--destination tiktok|meta]",
		Short: "Save (or change) a sync",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			d.Name = args[0]
			if (d.AudienceName == "") == (d.AudienceID == "") {
				return cli.UsageError(errors.New("give exactly one of --audience NAME (created on the first run) and --audience-id ID"))
			}
			if len(maps) == 0 {
				return cli.UsageError(errors.New("--map COLUMN=TYPE is required at least once"))
			}
			for _, s := range maps {
				m, err := transform.ParseMapping(s)
				if err != nil {
					return cli.UsageError(err)
				}
				d.Mappings = append(d.Mappings, m)
			}
			if c.Flags().Changed("max-removals") {
				d.MaxRemovals = &maxRemovals
			}
			switch p := destination.Platform(strings.ToLower(strings.TrimSpace(dest))); p {
			case destination.TikTok, destination.Meta:
				d.Destination = p
			default:
				return cli.UsageError(fmt.Errorf("--destination %q: use tiktok or meta", dest))
			}
			svc, err := syncs.New(syncs.Config{OpenSource: sources.Open})
			if err != nil {
				return err
			}
			pinned, err := svc.PinLatest(&d)
			if err != nil {
				return usage(err)
			}
			saved, err := svc.Save(d)
			if err != nil {
				return usage(err)
			}
			if pinned != "" {
				fmt.Fprintln(c.OutOrStdout(), pinned)
			}
			fmt.Fprintf(c.OutOrStdout(), "Saved sync %s: %s → %s (%s). Run it with: audience-uploader sync run %s\n",
				saved.Name, saved.Input, target(saved), saved.Mode, saved.Name)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&d.Input, "input", "", "the list: a file, folder of part files, glob, s3:// key or prefix ending in /, or cleanrooms://MEMBERSHIP/QUERY|latest (latest: kept to the analysis of the newest successful query)")
	f.StringArrayVar(&maps, "map", nil, "COLUMN=TYPE, TYPE one of email, phone, idfa, gaid (repeat for each column)")
	f.StringVar(&d.AudienceName, "audience", "", "name of a new audience, created on the first run")
	f.StringVar(&d.AudienceID, "audience-id", "", "id of an existing audience (the first run replaces its contents)")
	f.StringVar(&dest, "destination", "tiktok", "the platform of the audience: tiktok or meta (one sync feeds one audience: save two syncs of one list to feed both)")
	f.StringVar(&d.AdvertiserID, "advertiser-id", "", "TikTok advertiser id (default: Settings > TikTok)")
	f.StringVar(&d.AdAccount, "ad-account", "", "with --destination meta: the Meta ad account, act_ followed by digits (default: Settings > Meta)")
	f.StringVar(&d.Mode, "mode", "mirror", "mirror (add new rows, remove rows gone from the list), add-only or replace")
	f.StringVar(&d.Region, "region", "US", "default phone region for numbers without a country code")
	f.StringVar(&d.PhoneFormat, "phone-format", "digits", "phone string hashed: digits or e164")
	f.StringVar(&d.Layout, "layout", "auto", "auto, combined (one row per person) or separate (only with one identifier type)")
	f.StringVar(&d.Newest, "newest", "", "with a folder or prefix: read only the newest part matching this pattern (last by name, numbers as numbers: crm-1-10 after crm-1-9)")
	f.StringVar(&d.Format, "format", "auto", "input format: auto, jsonl, json, csv, parquet or xlsx")
	f.StringVar(&d.Header, "header", "auto", "CSV/TXT/Excel: does the first row name the columns? auto, yes or no")
	f.StringVar(&d.Sheet, "sheet", "", "Excel: the worksheet to read (default: the first)")
	f.Float64Var(&maxRemovals, "max-removals", syncs.DefaultMaxRemovals, "the most a run may remove, as a percent of the people this sync put into the audience; a run that would remove more stops before sending anything")
	return c
}

func target(d *syncs.Definition) string {
	where := "TikTok"
	if d.Destination == destination.Meta {
		where = "Meta"
		if d.AdAccount != "" {
			where += " " + d.AdAccount
		}
	}
	if d.AudienceID != "" {
		return where + " audience " + d.AudienceID
	}
	return fmt.Sprintf("new %s audience %q", where, d.AudienceName)
}

func newListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "List saved syncs and their last runs",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			svc, err := syncs.New(syncs.Config{})
			if err != nil {
				return err
			}
			list, err := svc.List()
			if err != nil {
				return err
			}
			return emit(c, asJSON, list, func(w io.Writer) {
				if len(list) == 0 {
					fmt.Fprintln(w, "No syncs saved yet: see 'audience-uploader sync save --help'.")
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tMODE\tAUDIENCE\tLAST RUN\tCHANGE\tSOURCE")
				for _, s := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Mode, target(&s.Definition), lastRun(&s), change(&s), s.Input)
				}
				tw.Flush()
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func lastRun(s *syncs.Summary) string {
	switch {
	case s.Pending:
		return "interrupted (finished by the next run)"
	case s.LastRun == nil:
		return "never"
	}
	return s.LastRun.At.Local().Format("2006-01-02 15:04") + " " + s.LastRun.Action
}

func change(s *syncs.Summary) string {
	if s.LastRun == nil {
		return "-"
	}
	return fmt.Sprintf("+%d −%d", s.LastRun.Added, s.LastRun.Removed)
}

func newShowCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show NAME [--json]",
		Short: "Show a sync's definition and last run",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := syncs.New(syncs.Config{})
			if err != nil {
				return err
			}
			s, err := svc.Get(args[0])
			if err != nil {
				return usage(err)
			}
			return emit(c, asJSON, s, func(w io.Writer) {
				fmt.Fprintf(w, "Sync %s (%s)\n  source:   %s", s.Name, s.Mode, s.Input)
				if s.Newest != "" {
					fmt.Fprintf(w, " (newest matching %s)", s.Newest)
				}
				var ms []string
				for _, m := range s.Mappings {
					ms = append(ms, m.Column+"="+m.TypeName)
				}
				fmt.Fprintf(w, "\n  columns:  %s (region %s, phone %s, layout %s)\n  audience: %s\n  in audience from this sync: %d rows\n",
					strings.Join(ms, ", "), s.Region, s.PhoneFormat, s.Layout, target(&s.Definition), s.StateRows)
				fmt.Fprintf(w, "  last run: %s", lastRun(s))
				if r := s.LastRun; r != nil {
					fmt.Fprintf(w, ", %d rows, +%d −%d: %s", r.RowsNow, r.Added, r.Removed, r.Reason)
				}
				fmt.Fprintln(w)
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a sync and its record (the audience stays on TikTok or Meta)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			svc, err := syncs.New(syncs.Config{})
			if err != nil {
				return err
			}
			where := "TikTok"
			if sum, err := svc.Get(args[0]); err == nil && sum.Destination == destination.Meta {
				where = "Meta"
			}
			if err := svc.Delete(args[0]); err != nil {
				return usage(err)
			}
			fmt.Fprintf(c.OutOrStdout(), "Deleted sync %s; its audience is still on %s.\n", args[0], where)
			return nil
		},
	}
}

// runOutput is the --json document of one run.
type runOutput struct {
	*syncs.Result
	DryRun bool                   `json:"dry_run"`
	Status *upload.AudienceStatus `json:"status,omitempty"` // --wait
	// MetaStatus is a sync to Meta's audience after --wait.
	MetaStatus *destination.Audience `json:"meta_status,omitempty"`
	Error      string                `json:"error,omitempty"` // --all: this sync's error
}

func newRunCmd(sources *inputs.Resolver) *cobra.Command {
	var dry, wait, asJSON, all, recreate bool
	var waitFor time.Duration
	var allow float64
	c := &cobra.Command{
		Use:   "run NAME [--dry-run] [--wait] [--json]   (or --all)",
		Short: "Bring the audience up to date with the list (or, with --dry-run, print the plan)",
		Long: "Transforms the list, compares it with what earlier runs put into the audience, and uploads only\n" +
			"the difference. An interrupted run is finished first. --dry-run prints the plan (rows now, added,\n" +
			"removed, unchanged, the action and why) and uploads nothing.",
		Args: func(c *cobra.Command, args []string) error {
			if all && len(args) > 0 || !all && len(args) != 1 {
				return cli.UsageError(errors.New("give one sync NAME, or --all"))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			s, err := newSession(c.ErrOrStderr(), asJSON, sources)
			if err != nil {
				return err
			}
			defer s.Close()
			names := args
			if all {
				list, err := s.svc.List()
				if err != nil {
					return err
				}
				names = nil
				for _, l := range list {
					names = append(names, l.Name)
				}
			}
			var opts syncs.RunOptions
			if c.Flags().Changed("allow-removals") {
				if allow < 0 || allow > 100 {
					return cli.UsageError(fmt.Errorf("--allow-removals %v: give a percent from 0 to 100", allow))
				}
				opts.AllowRemovals = &allow
			}
			if recreate {
				if all || dry {
					return cli.UsageError(errors.New("--recreate starts one sync over into a new audience: give its NAME, without --all or --dry-run"))
				}
				d, err := s.svc.Recreate(c.Context(), names[0], "")
				if err != nil {
					return usage(err)
				}
				fmt.Fprintf(c.ErrOrStderr(), "Sync %s starts over: its record of the deleted audience was discarded; this run creates audience %q with the whole list.\n", d.Name, d.AudienceName)
			}
			outs := []*runOutput{}
			var firstErr error
			for _, name := range names {
				out, err := runOne(c, s, name, opts, dry, wait, waitFor)
				err = removalHint(name, err)
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					if out == nil {
						out = &runOutput{Result: &syncs.Result{Plan: syncs.Plan{Sync: name}}, DryRun: dry}
					}
					out.Error = err.Error()
					if !all && !asJSON {
						return usage(err)
					}
					if !asJSON {
						fmt.Fprintf(c.ErrOrStderr(), "sync %s: %s\n", name, err)
					}
				}
				if !asJSON && err == nil {
					printRun(c.OutOrStdout(), out)
				}
				outs = append(outs, out)
			}
			if asJSON {
				var v any = outs
				if !all {
					v = outs[0]
				}
				if err := emit(c, true, v, nil); err != nil {
					return err
				}
			}
			return usage(firstErr)
		},
	}
	f := c.Flags()
	f.BoolVar(&dry, "dry-run", false, "print the plan without uploading")
	f.BoolVar(&wait, "wait", false, "after uploading, wait until TikTok has matched the audience (Meta: until Meta says it is ready)")
	f.DurationVar(&waitFor, "wait-timeout", 48*time.Hour, "longest --wait")
	f.BoolVar(&asJSON, "json", false, "print one JSON document with the plan, the audience id and the upload's counters")
	f.BoolVar(&all, "all", false, "run every saved sync, one after the other")
	f.BoolVar(&recreate, "recreate", false, "after the sync's audience was deleted at TikTok or Meta: discard the sync's record of it and create a new audience with the whole list")
	f.Float64Var(&allow, "allow-removals", 0, "let this run remove up to PCT percent of the audience's people (a run that would remove more than the sync's --max-removals, 10% unless saved otherwise, stops before sending anything)")
	return c
}

// removalHint adds to a removal stop the command that lets it through.
func removalHint(name string, err error) error {
	var r *syncs.RemovalError
	if !errors.As(err, &r) {
		return err
	}
	return fmt.Errorf("%w. If the list is right, run again with: audience-uploader sync run %s --allow-removals %g", err, name, r.Plan.Removals.AllowPercent())
}

func runOne(c *cobra.Command, s *session, name string, opts syncs.RunOptions, dry, wait bool, waitFor time.Duration) (*runOutput, error) {
	if dry {
		p, err := s.svc.PlanWith(c.Context(), name, opts, s.sink.stage)
		if err != nil {
			return nil, err
		}
		return &runOutput{Result: &syncs.Result{Plan: *p}, DryRun: true}, nil
	}
	res, err := s.svc.RunWith(c.Context(), name, opts, s.sink.stage)
	out := &runOutput{Result: res}
	if err != nil {
		if res == nil {
			out = nil
		}
		return out, err
	}
	if wait && res.AudienceID != "" && res.Action != syncs.ActionNone {
		if sum, gerr := s.svc.Get(name); gerr == nil && sum.Destination == destination.Meta {
			ctx, cancel := context.WithTimeout(c.Context(), waitFor)
			defer cancel()
			st, err := s.waitMeta(ctx, sum.AdAccount, res.AudienceID)
			out.MetaStatus = st
			return out, err
		}
		conn, err := s.connect(c.Context(), "")
		if sum, gerr := s.svc.Get(name); gerr == nil && sum.AdvertiserID != "" {
			conn, err = s.connect(c.Context(), sum.AdvertiserID)
		}
		if err != nil {
			return out, err
		}
		ctx, cancel := context.WithTimeout(c.Context(), waitFor)
		defer cancel()
		st, err := conn.Uploader.Follow(ctx, conn.AdvertiserID, res.AudienceID, 0)
		out.Status = st
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// waitMeta reads a Meta audience until Meta says it is ready for ads
// (delivery_status 200), at growing intervals; Meta says changes take up
// to a day.
func (s *session) waitMeta(ctx context.Context, acct, id string) (*destination.Audience, error) {
	mc, err := s.connectMeta(ctx, acct)
	if err != nil {
		return nil, err
	}
	wait := 10 * time.Second
	for {
		a, err := mc.Destination.Status(ctx, id)
		if err != nil || a.Ready {
			return &a, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &a, fmt.Errorf("audience %s is not ready on Meta yet (%s); it was uploaded, and Meta can take up to a day: check again later with 'sync show'", id, a.Status)
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Minute)
	}
}

func printRun(w io.Writer, out *runOutput) {
	r := out.Result
	if out.DryRun {
		fmt.Fprintf(w, "Plan for sync %s (nothing is uploaded):\n", r.Sync)
	} else {
		fmt.Fprintf(w, "Sync %s:\n", r.Sync)
	}
	if r.Resumed {
		if out.DryRun {
			fmt.Fprintln(w, "  an interrupted run is finished first; the numbers below come after it")
		} else {
			fmt.Fprintln(w, "  finished the interrupted run first")
		}
	}
	if r.Source != "" {
		fmt.Fprintf(w, "  source: %s\n", r.Source)
	}
	atMost := ""
	if r.PeopleNowAtMost {
		atMost = "at most "
	}
	fmt.Fprintf(w, "  rows now %d; people: added %d, removed %d, unchanged %d, changed %d (people now %s%d)\n", r.RowsNow, r.Added, r.Removed, r.Unchanged, r.Changed, atMost, r.PeopleNow)
	if r.AppendRows+r.RemoveRows > 0 && r.Action == syncs.ActionUpdate {
		fmt.Fprintf(w, "  sends %d row(s) with REMOVE, then %d with APPEND\n", r.RemoveRows, r.AppendRows)
	}
	fmt.Fprintf(w, "  action: %s: %s\n", r.Action, r.Reason)
	if out.DryRun {
		if g := r.Removals; g != nil && g.Over {
			fmt.Fprintf(w, "  warning: %s; a run stops here unless run with --allow-removals %g\n", strings.Replace(g.Warning, ", so nothing was sent", "", 1), g.AllowPercent())
		}
		return
	}
	if r.AudienceID != "" {
		fmt.Fprintf(w, "  audience %s\n", r.AudienceID)
	}
	if r.Action != syncs.ActionNone {
		fmt.Fprintf(w, "  uploaded %d file(s), %d bytes (a full upload: %d bytes)\n", r.FilesUploaded, r.BytesUploaded, r.FullBytes)
	}
	if a := out.MetaStatus; a != nil {
		fmt.Fprintf(w, "  audience %s on Meta: %d–%d people; %s\n", a.ID, a.SizeLower, a.SizeUpper, a.Status)
	}
	if st := out.Status; st != nil {
		state := "processing"
		if st.Ready {
			state = "ready"
		}
		fmt.Fprintf(w, "  audience %s: %s, %d matched users\n", st.AudienceID, state, st.MatchedUsers)
	}
}
