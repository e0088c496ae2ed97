package tiktokcmd

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// openDestination connects to --destination's account behind the seam
// (status and audiences read both platforms through it).
func openDestination(f *connFlags, stderr io.Writer) (destination.Platform, destination.Destination, func(), error) {
	p, err := f.platform()
	if err != nil {
		return "", nil, nil, err
	}
	if p == destination.Meta {
		s, err := openMeta(f, stderr, true)
		if err != nil {
			return "", nil, nil, err
		}
		return p, s.Dest, s.Close, nil
	}
	s, err := open(f, stderr, true)
	if err != nil {
		return "", nil, nil, err
	}
	return p, &upload.Destination{Conn: &tiktok.Connection{AdvertiserID: s.adv, Client: s.client}, Uploader: s.up}, s.Close, nil
}

func newAudiencesCmd() *cobra.Command {
	var f connFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "audiences [--advertiser-id ID | --destination meta --ad-account act_ID]",
		Short: "List the advertiser's TikTok audiences, or the ad account's Meta audiences (every page)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			p, d, closeDest, err := openDestination(&f, c.ErrOrStderr())
			if err != nil {
				return err
			}
			defer closeDest()
			all, err := d.List(c.Context())
			if err != nil {
				return err
			}
			list := make([]cli.Audience, 0, len(all))
			for _, a := range all {
				list = append(list, cli.AudienceOf(p, a))
			}
			return emit(c, asJSON, list, func(w io.Writer) { cli.PrintAudiences(w, list) })
		},
	}
	f.add(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON on stdout")
	return c
}

func newStatusCmd() *cobra.Command {
	var f connFlags
	var id string
	var wait, asJSON bool
	var waitFor time.Duration
	c := &cobra.Command{
		Use:   "status --audience-id ID [--wait]",
		Short: "Show an audience's state and size (TikTok: matched users and match rate; Meta: size range and status in words)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if id == "" {
				return cli.UsageError(errors.New("--audience-id is required"))
			}
			p, err := f.platform()
			if err != nil {
				return err
			}
			if p == destination.Meta && wait {
				return cli.UsageError(errMetaWait)
			}
			if wait { // TikTok's processing, followed until it ends
				s, err := open(&f, c.ErrOrStderr(), asJSON)
				if err != nil {
					return err
				}
				ctx, cancel := context.WithTimeout(c.Context(), waitFor)
				_, err = s.up.Follow(ctx, s.adv, id, 0)
				cancel()
				s.Close()
				if err != nil {
					return err
				}
			}
			p, d, closeDest, err := openDestination(&f, c.ErrOrStderr())
			if err != nil {
				return err
			}
			defer closeDest()
			st, err := d.Status(c.Context(), id)
			if err != nil {
				return err
			}
			a := cli.AudienceOf(p, st)
			return emit(c, asJSON, a, func(w io.Writer) { cli.PrintAudience(w, a) })
		},
	}
	f.add(c)
	c.Flags().StringVar(&id, "audience-id", "", "audience id")
	c.Flags().BoolVar(&wait, "wait", false, "TikTok: poll until TikTok reports the audience ready")
	c.Flags().DurationVar(&waitFor, "wait-timeout", 48*time.Hour, "longest --wait")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON on stdout")
	return c
}
