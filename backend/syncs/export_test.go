package syncs

import (
	"crypto/sha256"
	"fmt"
	"io"
	"path/filepath"
)

// StateDigest sums up a sync's committed state as a set of rows: its
// counts and a SHA-256 of its rows in order. Two stores that keep the same
// logical state give the same digest, however they lay it out on disk.
func StateDigest(s *Service, name string) (string, error) {
	st, err := s.loadState(name)
	if err != nil || st == nil {
		return "", fmt.Errorf("no state: %v", err)
	}
	src, closeState, err := s.openState(name, st)
	if err != nil {
		return "", err
	}
	defer closeState()
	h, n := sha256.New(), 0
	for {
		row, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		h.Write(row)
		n++
	}
	return fmt.Sprintf("rows %d links %d identifiers %d people %d set %d %x", st.Rows, st.Links, st.Identifiers, st.People, n, h.Sum(nil)[:12]), nil
}

// SetCompaction sets when a commit merges the state's deltas into a new
// base (more than runs deltas, or their bytes past 1/share of the base's;
// share 0: never by size) and returns a function that restores the defaults.
func SetCompaction(runs, share int) func() {
	r, s := compactRuns, compactShare
	compactRuns, compactShare = runs, share
	return func() { compactRuns, compactShare = r, s }
}

// StateLayout is the files a sync's state is kept in: its base, and the
// files of its deltas in order (links: an earlier version's links file).
func StateLayout(s *Service, name string) (base string, layers []string, err error) {
	st, err := s.loadState(name)
	if err != nil || st == nil {
		return "", nil, fmt.Errorf("no state: %v", err)
	}
	for _, l := range st.layers() {
		kind := "add "
		if l.del {
			kind = "del "
		}
		if l.file == st.LinksFile {
			kind = "links "
		}
		layers = append(layers, kind+l.file)
	}
	return st.RowsFile, layers, nil
}

// WriteLegacyState rewrites a sync's committed state the way versions
// before sorted runs kept it: the rows of list (its hashed lines, as a
// transform writes them) in a rows file, the state's other rows (links) in
// a links file, no deltas.
func WriteLegacyState(s *Service, name string, list []string) error {
	st, err := s.loadState(name)
	if err != nil || st == nil {
		return fmt.Errorf("no state: %v", err)
	}
	inList := map[string]bool{}
	for _, l := range list {
		row, err := parseLine(nil, []byte(l), st.Columns)
		if err != nil {
			return err
		}
		inList[string(row)] = true
	}
	src, closeState, err := s.openState(name, st)
	if err != nil {
		return err
	}
	defer closeState()
	id := newRunID()
	rowsName, linksName := "rows-"+id+".bin", "rows-"+id+"-links.bin"
	rw, err := createRows(filepath.Join(s.syncDir(name), rowsName))
	if err != nil {
		return err
	}
	lw, err := createRows(filepath.Join(s.syncDir(name), linksName))
	if err != nil {
		return err
	}
	for {
		row, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if inList[string(row)] {
			rw.add(row)
		} else {
			lw.add(row)
		}
	}
	if err := rw.close(true); err != nil {
		return err
	}
	if err := lw.close(true); err != nil {
		return err
	}
	old := *st
	old.Version, old.RowsFile, old.LinksFile, old.Deltas = 1, rowsName, linksName, nil
	old.Rows, old.Links = rw.rows, lw.rows
	if err := writeJSONFile(filepath.Join(s.syncDir(name), stateFile), &old); err != nil {
		return err
	}
	return s.sweep(name, &old, nil)
}

// StateBytesPerIdentifier is the bytes of a sync's state files over the
// identifiers of its rows.
func StateBytesPerIdentifier(s *Service, name string) (float64, error) {
	st, err := s.loadState(name)
	if err != nil || st == nil {
		return 0, fmt.Errorf("no state: %v", err)
	}
	var ids int64
	err = s.scanState(name, st)(func(row []byte) { ids += int64((len(row) - 2) / hashLen) })
	if err != nil || ids == 0 {
		return 0, fmt.Errorf("state rows: %v", err)
	}
	return float64(s.stateBytes(name, st)) / float64(ids), nil
}
