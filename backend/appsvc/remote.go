package appsvc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
)

// Remote describes s3:// objects picked in Step 1's S3 tab (backend/cloud
// implements it); the Resolver in Options.Sources opens them.
type Remote interface {
	Stat(ctx context.Context, url string) (inputs.FileInfo, error)
}

// Originer is a Remote that can name where an input came from beyond its
// URL (backend/cloud: an AWS Clean Rooms collaboration and query), for the
// run's history and report.
type Originer interface {
	Origin(ctx context.Context, url string) (*jobs.Origin, error)
}

// origin names a run's input beyond its URL; nil for files. A failure only
// leaves the history without the names: the run reads the same data.
func (s *Service) origin(name string) *jobs.Origin {
	o, ok := s.opts.Remote.(Originer)
	if !ok || !inputs.IsRemote(name) {
		return nil
	}
	out, err := o.Origin(s.ctx, name)
	if err != nil {
		s.opts.Log("history: naming the input %s: %v", name, err)
	}
	return out
}

// noRemote is the sentence for an s3:// or cleanrooms:// input in a build
// or session without AWS.
const noRemote = "This build cannot read from S3. Download the file and choose it from this computer."

// openSource is the transform input for a local file, folder or glob of
// part files, or an s3:// object or prefix (ending in "/") or cleanrooms://
// result, through the shared Resolver.
func (s *Service) openSource(path string) (inputs.Source, error) {
	src, err := s.opts.Sources.Open(path)
	switch {
	case err == nil:
		return src, nil
	case errors.Is(err, inputs.ErrSchemeUnavailable):
		return src, errors.New(noRemote)
	case !inputs.IsRemote(path):
		return src, sentence(fmt.Errorf("%s could not be opened: %w", filepath.Base(path), err), "Choose the file again.")
	}
	return src, err
}

// inspectRemote describes an s3:// object or prefix; it is not added to the
// recent files, which list files on this computer.
func (s *Service) inspectRemote(url string) (inputs.FileInfo, error) {
	if strings.HasPrefix(url, inputs.SchemeS3) && !strings.HasSuffix(url, "/") {
		if s.opts.Remote == nil {
			return inputs.FileInfo{}, errors.New(noRemote)
		}
		return s.opts.Remote.Stat(s.ctx, url)
	}
	src, err := s.openSource(url)
	if err != nil {
		return inputs.FileInfo{}, err
	}
	return listInfo(url, src), nil
}

// partNamesShown is how many part names a inputs.FileInfo lists.
const partNamesShown = 5

// listInfo describes a list of part files (a folder, glob or prefix): their
// total size and how many there are; the rows are estimated at discovery.
func listInfo(path string, src inputs.Source) inputs.FileInfo {
	fi := inputs.FileInfo{Path: path, Name: src.Name, Size: src.Size, EstimatedRows: -1, Parts: len(src.Parts)}
	for i, p := range src.Parts {
		if i == partNamesShown {
			break
		}
		fi.PartNames = append(fi.PartNames, p.Name)
	}
	return fi
}
