package settings

import (
	"slices"
	"sync"
)

// Store is the process's one writer of the settings file. Every change is a
// read-modify-write under its lock, saved before the lock is released, so a
// copy taken before another change can never be written over it.
type Store struct {
	mu      sync.Mutex
	current Settings
	loadErr error
}

// NewStore loads the settings file. A file that cannot be read leaves the
// defaults in use; LoadErr says why until a save replaces the file.
func NewStore() *Store {
	s, err := Load()
	return &Store{current: s, loadErr: err}
}

// Get returns a copy of the settings in use.
func (st *Store) Get() Settings {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.current.clone()
}

// LoadErr is why the settings file could not be read, nil if it could or
// once a save has replaced it.
func (st *Store) LoadErr() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.loadErr
}

// Update applies change to a copy of the settings in use and saves the
// result, all under the lock. If change or the save fails, nothing changes
// and the error is returned with the settings still in use.
func (st *Store) Update(change func(*Settings) error) (Settings, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	next := st.current.clone()
	if err := change(&next); err != nil {
		return st.current.clone(), err
	}
	next.fill() // what Save writes, so memory and file agree
	if err := Save(next); err != nil {
		return st.current.clone(), err
	}
	st.current, st.loadErr = next, nil
	return next.clone(), nil
}

// clone is a copy that shares no slice with s.
func (s Settings) clone() Settings {
	s.RecentFiles = slices.Clone(s.RecentFiles)
	if s.RecentFiles == nil {
		s.RecentFiles = []string{}
	}
	return s
}
