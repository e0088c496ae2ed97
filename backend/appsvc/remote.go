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

// Remote opens inputs that are not local files: s3:// URLs picked in Step 1's
// S3 tab (backend/cloud implements it).
type Remote interface {
	Stat(ctx context.Context, url string) (FileInfo, error)
	Source(ctx context.Context, url string) (inputs.Source, error)
}

// Originer is a Remote that can name where an input came from beyond its
// URL (backend/cloud: an AWS Clean Rooms collaboration and query), for the
// run's history and report.
type Originer interface {
	Origin(ctx context.Context, url string) (*jobs.Origin, error)
}

// isRemote tells an s3:// URL (or a cleanrooms://MEMBERSHIP/QUERY result)
// from a local path.
func isRemote(path string) bool {
	return strings.HasPrefix(path, "s3://") || strings.HasPrefix(path, "cleanrooms://")
}

// origin names a run's input beyond its URL; nil for files. A failure only
// leaves the history without the names: the run reads the same data.
func (s *Service) origin(name string) *jobs.Origin {
	o, ok := s.opts.Remote.(Originer)
	if !ok || !isRemote(name) {
		return nil
	}
	out, err := o.Origin(s.ctx, name)
	if err != nil {
		s.opts.Log("history: naming the input %s: %v", name, err)
	}
	return out
}

// openSource is the transform input for a local file, folder or glob of
// part files, or an s3:// object or prefix (ending in "/").
func (s *Service) openSource(path string) (inputs.Source, error) {
	if !isRemote(path) {
		src, err := inputs.Local(path)
		if err != nil {
			return src, sentence(fmt.Errorf("%s could not be opened: %w", filepath.Base(path), err), "Choose the file again.")
		}
		return src, nil
	}
	if s.opts.Remote == nil {
		return inputs.Source{}, errors.New("This build cannot read from S3. Download the file and choose it from this computer.")
	}
	return s.opts.Remote.Source(s.ctx, path)
}

// inspectRemote describes an s3:// object or prefix; it is not added to the
// recent files, which list files on this computer.
func (s *Service) inspectRemote(url string) (FileInfo, error) {
	if s.opts.Remote == nil {
		return FileInfo{}, errors.New("This build cannot read from S3. Download the file and choose it from this computer.")
	}
	if strings.HasPrefix(url, "s3://") && !strings.HasSuffix(url, "/") {
		return s.opts.Remote.Stat(s.ctx, url)
	}
	src, err := s.opts.Remote.Source(s.ctx, url)
	if err != nil {
		return FileInfo{}, err
	}
	return listInfo(url, src), nil
}

// partNamesShown is how many part names a FileInfo lists.
const partNamesShown = 5

// listInfo describes a list of part files (a folder, glob or prefix): their
// total size and how many there are; the rows are estimated at discovery.
func listInfo(path string, src inputs.Source) FileInfo {
	fi := FileInfo{Path: path, Name: src.Name, Size: src.Size, EstimatedRows: -1, Parts: len(src.Parts)}
	for i, p := range src.Parts {
		if i == partNamesShown {
			break
		}
		fi.PartNames = append(fi.PartNames, p.Name)
	}
	return fi
}
