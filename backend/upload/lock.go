package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked means another process (or another upload in this one) holds the
// job or the state database; the error's text says who.
var ErrLocked = errors.New("held by another upload")

// lockHolder is written into a lock file by the process holding it, so a
// second process can say who it is waiting for.
type lockHolder struct {
	PID     int       `json:"pid"`
	Program string    `json:"program"`
	Since   time.Time `json:"since"`
}

// fileLock is an OS advisory lock (flock on Unix, LockFileEx on Windows):
// the OS drops it when the holder exits or is killed, so a crash never
// leaves a job locked.
type fileLock struct{ fl *flock.Flock }

// holderOffset: Windows locks byte 0 of the file against every other
// handle, so the holder is written (and read) after it.
const holderOffset = 1

// tryLock takes the lock at path without waiting; what says what is
// locked ("upload job 1a2b…") in the error naming the holder.
func tryLock(path, what string) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create lock folder for %s: %w", what, err)
	}
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s (%s): %w", what, path, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s is %w: %s. Wait for it to finish (or stop it), then try again", what, ErrLocked, describeHolder(path))
	}
	writeHolder(path)
	return &fileLock{fl: fl}, nil
}

// writeHolder notes this process in the lock file it holds; best effort:
// the lock holds without the note.
func writeHolder(path string) {
	b, _ := json.Marshal(lockHolder{PID: os.Getpid(), Program: filepath.Base(os.Args[0]), Since: time.Now()})
	if f, err := os.OpenFile(path, os.O_WRONLY, 0o600); err == nil {
		f.Truncate(holderOffset)
		f.WriteAt(b, holderOffset)
		f.Close()
	}
}

func describeHolder(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "another process holds it"
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, _ := f.ReadAt(b, holderOffset)
	var h lockHolder
	if json.Unmarshal(b[:n], &h) != nil || h.PID == 0 {
		return "another process holds it"
	}
	return fmt.Sprintf("%s (pid %d) has held it since %s", h.Program, h.PID, h.Since.Local().Format("2006-01-02 15:04:05"))
}

func (l *fileLock) unlock() {
	if l != nil {
		l.fl.Unlock()
	}
}

// lockDir is the folder of lock files beside the state database
// (upload-state.db.locks), asked of SQLite so it follows the database
// wherever it was opened.
func (s *Store) lockDir(ctx context.Context) (string, error) {
	var file string
	if err := s.db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return "", fmt.Errorf("find the upload state database's folder: %w", err)
	}
	if file == "" {
		return "", errors.New("the upload state database is in memory: no folder for lock files")
	}
	return file + ".locks", nil
}

// lockJob takes the lock of the job with key for as long as it runs.
func (s *Store) lockJob(ctx context.Context, key string) (*fileLock, error) {
	dir, err := s.lockDir(ctx)
	if err != nil {
		return nil, err
	}
	return tryLock(filepath.Join(dir, "job-"+key[:32]+".lock"), "this upload job")
}

// lockState takes the state database's lock for a change that spans jobs
// (finding or creating a job by its key); held briefly, so it waits.
func (s *Store) lockState(ctx context.Context) (*fileLock, error) {
	dir, err := s.lockDir(ctx)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "state.lock")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock folder: %w", err)
	}
	fl := flock.New(path, flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := fl.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil || !ok {
		return nil, fmt.Errorf("the upload state database is %w: %s. Try again when it finishes", ErrLocked, describeHolder(path))
	}
	writeHolder(path)
	return &fileLock{fl: fl}, nil
}
