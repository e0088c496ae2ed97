package appsvc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// InspectFile checks that path is a readable file, folder of part files or
// glob (or s3:// object or prefix) and remembers a local one as recent.
func (s *Service) InspectFile(path string) (inputs.FileInfo, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return inputs.FileInfo{}, errors.New("No file was chosen. Choose a CSV, JSON or JSON Lines file.")
	}
	if inputs.IsRemote(path) {
		return s.inspectRemote(path)
	}
	if !filepath.IsAbs(path) {
		return inputs.FileInfo{}, fmt.Errorf("%q is not a full path. Choose the file with Browse or drop it on the window.", path)
	}
	st, err := os.Stat(path)
	if (err == nil && st.IsDir()) || (errors.Is(err, fs.ErrNotExist) && inputs.IsGlob(path)) {
		src, err := inputs.Local(path)
		if err != nil {
			return inputs.FileInfo{}, sentence(err, "Choose a folder that holds the part files of one list.")
		}
		s.updateRecent(func(set *settings.Settings) { set.AddRecent(path) })
		fi := listInfo(path, src)
		if st != nil {
			fi.Modified = st.ModTime()
		}
		return fi, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		s.forgetRecent(path)
		return inputs.FileInfo{}, fmt.Errorf("The file %s does not exist any more. Choose another file.", filepath.Base(path))
	}
	if err != nil {
		return inputs.FileInfo{}, fmt.Errorf("The file %s cannot be read (%v). Check its permissions and try again.", filepath.Base(path), err)
	}
	f, err := os.Open(path)
	if err != nil {
		return inputs.FileInfo{}, fmt.Errorf("The file %s cannot be opened (%v). Check its permissions and try again.", filepath.Base(path), err)
	}
	f.Close()
	if st.Size() == 0 {
		return inputs.FileInfo{}, fmt.Errorf("The file %s is empty. Choose a file with a header and rows.", filepath.Base(path))
	}
	s.updateRecent(func(set *settings.Settings) { set.AddRecent(path) })
	return inputs.FileInfo{Path: path, Name: filepath.Base(path), Size: st.Size(), Modified: st.ModTime(),
		EstimatedRows: inputs.EstimateFileRows(path, st.Size())}, nil
}

// forgetRecent drops a file that no longer exists from the recent files.
func (s *Service) forgetRecent(path string) {
	s.updateRecent(func(set *settings.Settings) {
		set.RecentFiles = slices.DeleteFunc(set.RecentFiles, func(p string) bool { return p == path })
	})
}

// updateRecent changes the recent files in the one settings writer, so the
// change applies to the latest settings. A failed save only costs the
// list's update, so it is logged rather than shown.
func (s *Service) updateRecent(change func(*settings.Settings)) {
	if _, err := s.settings.Update(func(set *settings.Settings) error { change(set); return nil }); err != nil {
		s.opts.Log("saving recent files: %v", err)
	}
}

// RecentFile is one entry of the recent files list.
type RecentFile struct {
	Path     string    `json:"path"`
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Exists   bool      `json:"exists"`
}

// RecentFiles lists the recent files, most recent first.
func (s *Service) RecentFiles() []RecentFile {
	paths := s.Settings().RecentFiles
	out := make([]RecentFile, 0, len(paths))
	for _, p := range paths {
		r := RecentFile{Path: p, Name: filepath.Base(p)}
		if st, err := os.Stat(p); err == nil { // a file, or a folder of part files
			r.Exists, r.Size, r.Modified = true, st.Size(), st.ModTime()
		}
		out = append(out, r)
	}
	return out
}
