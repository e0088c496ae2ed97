package authcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// queryStatuses are the protected-query statuses --status accepts.
var queryStatuses = []string{"SUBMITTED", "STARTED", "CANCELLING", "CANCELLED", "FAILED", "SUCCESS", "TIMED_OUT"}

// queryDetails bounds the GetProtectedQuery calls one listing makes for
// duration, format and error: the newest ones are the ones people pick.
const queryDetails = 25

// openCleanRoomsSource resolves --input cleanrooms://MEMBERSHIP_ID/QUERY_ID
// (or .../latest) to its result's parts on S3, with the same credentials as
// s3:// inputs.
func (d deps) openCleanRoomsSource(url string) (inputs.Source, error) {
	if _, _, err := cleanrooms.ParseURL(url); err != nil {
		return inputs.Source{}, cli.UsageError(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := d.awsConfig(ctx, poolFlags{})
	if err != nil {
		return inputs.Source{}, err
	}
	// The source outlives this call: its reads use the transform's context.
	src, _, err := cleanrooms.New(cfg, cleanrooms.Options{}).Source(ctx, url)
	return src, err
}

func (d deps) cleanroomsCmd() *cobra.Command {
	top := &cobra.Command{Use: "cleanrooms", Short: "AWS Clean Rooms: your memberships, their protected queries, and results as --input cleanrooms://MEMBERSHIP_ID/QUERY_ID"}
	var f poolFlags
	var membership, status string
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls [--membership ID] [--status success] [--json]",
		Short: "List your Clean Rooms memberships, or one membership's protected queries (newest first)",
		Long: "Without --membership, lists the collaborations you are a member of and whether you can receive\n" +
			"their results. With --membership, lists its protected queries, newest first; a successful one\n" +
			"is read with --input cleanrooms://MEMBERSHIP_ID/QUERY_ID, and cleanrooms://MEMBERSHIP_ID/latest\n" +
			"is the newest successful one. Credentials are those of s3:// inputs (sign-in or the AWS chain).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !slices.Contains(queryStatuses, strings.ToUpper(status)) {
				return cli.UsageError(fmt.Errorf("--status %q is not a protected-query status: use one of %s", status,
					strings.ToLower(strings.Join(queryStatuses, ", "))))
			}
			if status != "" && membership == "" {
				return cli.UsageError(errors.New("--status filters one membership's queries: pass --membership ID too"))
			}
			ctx := cmd.Context()
			cfg, err := d.awsConfig(ctx, f)
			if err != nil {
				return err
			}
			client := cleanrooms.New(cfg, cleanrooms.Options{})
			if membership == "" {
				return listMemberships(cmd, client, asJSON)
			}
			return listQueries(cmd, client, membership, strings.ToUpper(status), asJSON)
		},
	}
	ls.Flags().StringVar(&membership, "membership", "", "membership id: list its protected queries")
	ls.Flags().StringVar(&status, "status", "", "only queries with this status (success, failed, started, ...)")
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	f.add(ls)
	top.AddCommand(ls)
	return top
}

func listMemberships(cmd *cobra.Command, client *cleanrooms.Client, asJSON bool) error {
	ms, err := client.Memberships(cmd.Context())
	if err != nil {
		return err
	}
	_, noReceiver := cleanrooms.Receivers(ms)
	if asJSON {
		if ms == nil {
			ms = []cleanrooms.Membership{}
		}
		return writeJSON(cmd, ms, noReceiver)
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "MEMBERSHIP ID\tCOLLABORATION\tCREATED BY\tSTATUS\tRECEIVES RESULTS")
	for _, m := range ms {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.CollaborationName, m.CreatorDisplayName, m.Status, yesNo(m.CanReceiveResults))
	}
	w.Flush()
	if noReceiver != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), sentence(noReceiver.Error()))
	}
	return nil
}

func listQueries(cmd *cobra.Command, client *cleanrooms.Client, membership, status string, asJSON bool) error {
	ctx := cmd.Context()
	var qs []cleanrooms.Query
	var err error
	if status != "" {
		qs, err = client.QueriesWithStatus(ctx, membership, status)
	} else {
		qs, err = client.Queries(ctx, membership)
	}
	if err != nil {
		return err
	}
	for i := range qs[:min(len(qs), queryDetails)] {
		q, err := client.Query(ctx, membership, qs[i].ID)
		if cleanrooms.KindOf(err) == cleanrooms.KindNoReceiver || cleanrooms.KindOf(err) == cleanrooms.KindNoLocation {
			continue // listed all the same; reading it says why it cannot be
		}
		if err != nil {
			return err
		}
		qs[i] = *q
	}
	if asJSON {
		if qs == nil {
			qs = []cleanrooms.Query{}
		}
		return writeJSON(cmd, qs, nil)
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "QUERY ID\tSTATUS\tSTARTED\tDURATION\tFORMAT\tRESULT / ERROR")
	for _, q := range qs {
		dur := ""
		if q.DurationMillis > 0 {
			dur = (time.Duration(q.DurationMillis) * time.Millisecond).Round(time.Second).String()
		}
		detail := q.Location
		if q.ErrorMessage != "" {
			detail = q.ErrorMessage
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", q.ID, q.Status, q.Created.Local().Format(time.DateTime), dur, q.Format, detail)
	}
	w.Flush()
	stderr := cmd.ErrOrStderr()
	switch {
	case len(qs) == 0 && status != "":
		fmt.Fprintf(stderr, "Membership %s has no protected query with status %s.\n", membership, status)
	case len(qs) == 0:
		fmt.Fprintf(stderr, "Membership %s has no protected queries yet.\n", membership)
	default:
		if len(qs) > queryDetails {
			fmt.Fprintf(stderr, "Duration, format and result are shown for the newest %d queries.\n", queryDetails)
		}
		fmt.Fprintf(stderr, "Read a successful one with --input cleanrooms://%s/QUERY_ID, or the newest with --input cleanrooms://%s/latest.\n", membership, membership)
	}
	return nil
}

func writeJSON(cmd *cobra.Command, v any, note error) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if note != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), sentence(note.Error()))
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// sentence starts a message with a capital and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
