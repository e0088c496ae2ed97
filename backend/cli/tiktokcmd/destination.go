package tiktokcmd

import (
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/metacmd"
	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// platform is --destination, checked against the account flags given.
func (f *connFlags) platform() (destination.Platform, error) {
	p, err := cli.ParseDestination(f.Destination)
	if err != nil {
		return "", err
	}
	if p == destination.Meta && f.AdvertiserID != "" {
		return "", cli.UsageError(errors.New("--advertiser-id is TikTok's: for Meta pass --ad-account act_ID"))
	}
	if p == destination.TikTok && f.meta.AdAccount != "" {
		return "", cli.UsageError(errors.New("--ad-account is Meta's: add --destination meta, or for TikTok pass --advertiser-id"))
	}
	return p, nil
}

// openMeta connects to Meta's ad account; its steps are printed on stderr
// unless quiet.
func openMeta(f *connFlags, stderr io.Writer, quiet bool) (*metacmd.Session, error) {
	if f.QPS <= 0 {
		return nil, cli.UsageError(errors.New("--qps must be positive"))
	}
	mf := f.meta
	mf.Journal, mf.QPS = f.StatePath, f.QPS
	var log io.Writer
	if !quiet {
		log = stderr
	}
	return metacmd.Open(mf, log)
}

// errMetaWait: Meta has no processing state to follow, only counts that
// catch up within about a day.
var errMetaWait = errors.New("--wait follows TikTok's processing: Meta updates an audience's size within about 24 hours, so run `status --destination meta` later")

// metaUpload sends the manifest's Meta rows and prints the result (with
// the transform's manifest, when run made one).
func metaUpload(c *cobra.Command, f *uploadFlags, manifest string, tm *transform.Manifest) error {
	if f.Wait {
		return cli.UsageError(errMetaWait)
	}
	s, err := openMeta(&f.conn, c.ErrOrStderr(), f.JSON)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Upload(c.Context(), metacmd.UploadRequest{Manifest: manifest, AudienceName: f.Audience, AudienceID: f.AudienceID, Action: f.Action})
	if err != nil {
		return err
	}
	human := func(w io.Writer) { metacmd.PrintUpload(w, res) }
	if tm == nil {
		return emit(c, f.JSON, res, human)
	}
	return emit(c, f.JSON, struct {
		Transform *transform.Manifest   `json:"transform,omitempty"`
		Upload    *metacmd.UploadResult `json:"upload"`
	}{tm, res}, human)
}
