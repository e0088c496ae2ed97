package syncs

import (
	"crypto/sha256"
	"fmt"
	"io"
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
