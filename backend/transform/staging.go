package transform

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/audience-uploader/audience-uploader/backend/osfile"
)

// A run writes everything (parts, dedup spill, manifest.json) into a hidden
// staging folder beside the output folder, .audience-uploader-staging-<run
// id>, and publishes it with one rename once manifest.json is in it: the
// output folder either holds a complete run or does not exist, whenever the
// process is killed. While the staging folder exists its run holds an OS lock
// on <staging folder>.lock; a staging folder whose lock nobody holds was left
// by a run that was killed or crashed. Such leftovers are removed by the next
// run into the same parent folder, and at the next start of the app or CLI
// (CleanUpInterrupted), which finds them anywhere through the notes runs
// leave in the data folder. Only names of exactly this form are ever removed.
const (
	stagingPrefix = ".audience-uploader-staging-"
	lockSuffix    = ".lock"
	runIDLength   = 32 // hex characters
	notesFolder   = "transform-runs"
)

// notesDir is where this process's runs note their staging folders (set by
// CleanUpInterrupted at start-up; empty: not noted, and only the target's
// parent folder is swept).
var notesDir struct {
	sync.Mutex
	path string
}

// newRunID is 128 random bits in hex: unique across machines, so the upload
// can key its job by it wherever the folder is moved.
func newRunID() string {
	var b [runIDLength / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err)) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b[:])
}

func isRunID(s string) bool {
	if len(s) != runIDLength {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

func stagingPath(parent, runID string) string {
	return filepath.Join(parent, stagingPrefix+runID)
}

// staging is one run's staging folder and the lock that says it is alive.
type staging struct {
	dir  string
	lock *flock.Flock
	note string // this run's note in the data folder, "" if none
}

// note is what a run leaves in the data folder while it stages: enough for
// the next start to find its staging folder. The pid is for people.
type note struct {
	Staging string    `json:"staging"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// startStaging notes the run, takes the lock and creates the staging folder
// beside out, in that order, so a staging folder never exists unlocked while
// its run lives, and neither it nor its lock file ever exists without a
// note (a kill between the lock and the note left an orphaned lock file).
func startStaging(out, runID string) (*staging, error) {
	parent := filepath.Dir(out)
	dir := stagingPath(parent, runID)
	s := &staging{dir: dir, lock: flock.New(dir + lockSuffix)}
	notesDir.Lock()
	notes := notesDir.path
	notesDir.Unlock()
	if notes != "" {
		data, _ := json.Marshal(note{Staging: dir, PID: os.Getpid(), Started: time.Now().UTC()})
		path := filepath.Join(notes, runID+".json")
		if err := os.MkdirAll(notes, 0o700); err == nil && os.WriteFile(path, data, 0o600) == nil {
			s.note = path
		}
	}
	ok, err := s.lock.TryLock()
	if err != nil || !ok {
		if s.note != "" {
			os.Remove(s.note)
		}
		return nil, fmt.Errorf("locking the staging folder in %s: %v", parent, orNotLocked(err))
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		s.close()
		return nil, fmt.Errorf("creating the staging folder in %s: %w", parent, err)
	}
	return s, nil
}

func orNotLocked(err error) error {
	if err == nil {
		return errors.New("another process holds its lock")
	}
	return err
}

// publish makes the staging folder the output folder with one rename. An
// empty output folder is replaced; anything in it stops the publishing.
func (s *staging) publish(out string) error {
	if err := osfile.Flush(s.dir); err != nil {
		return fmt.Errorf("saving the output files: %w", err)
	}
	err := os.Rename(s.dir, out)
	if err != nil && os.Remove(out) == nil {
		// Windows does not rename onto an empty folder; the empty folder
		// is gone now, so the rename can go ahead.
		err = os.Rename(s.dir, out)
	}
	if err != nil {
		return fmt.Errorf("the output folder %s was filled by something else during the transform, so the new files were not put there and were removed: choose a new or empty folder and run again (%v)", out, err)
	}
	osfile.Flush(filepath.Dir(out)) // best effort: the rename survives a power cut
	return nil
}

// close removes what is left of the staging folder (nothing once published),
// then releases the lock and removes the lock file and the note.
func (s *staging) close() {
	osfile.RemoveDir(s.dir)
	s.lock.Unlock()
	os.Remove(s.lock.Path())
	if s.note != "" {
		os.Remove(s.note)
	}
}

// removeIfDead removes the staging folder of run runID in parent and its lock
// file when no live process holds the lock. It reports whether nothing of that
// run is left.
func removeIfDead(parent, runID string) (gone bool, err error) {
	dir := stagingPath(parent, runID)
	if _, err := os.Lstat(parent); errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	_, dirErr := os.Lstat(dir)
	_, lockErr := os.Lstat(dir + lockSuffix)
	if errors.Is(dirErr, os.ErrNotExist) && errors.Is(lockErr, os.ErrNotExist) {
		return true, nil
	}
	lock := flock.New(dir + lockSuffix)
	ok, err := lock.TryLock() // creates the lock file when it is missing
	if err != nil {
		return false, fmt.Errorf("checking the interrupted transform %s: %w", dir, err)
	}
	if !ok {
		return false, nil // its run is alive
	}
	err = osfile.RemoveDir(dir)
	lock.Unlock()
	// Windows keeps an open file; the lock is released first. Nobody takes
	// it again: run ids are never reused.
	if rerr := os.Remove(lock.Path()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	if err != nil {
		return false, fmt.Errorf("removing the interrupted transform %s: %w", dir, err)
	}
	return true, nil
}

// sweepStaging removes, in parent, the staging folders and lock files of runs
// that are no longer alive.
func sweepStaging(parent string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	seen := map[string]bool{}
	var errs []error
	for _, e := range entries {
		id, ok := strings.CutPrefix(e.Name(), stagingPrefix)
		if !ok {
			continue
		}
		id = strings.TrimSuffix(id, lockSuffix)
		if !isRunID(id) || seen[id] {
			continue
		}
		seen[id] = true
		if _, err := removeIfDead(parent, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CleanUpInterrupted is called when the app or the CLI starts: it makes this
// process's transforms note their staging folders in dataDir, and removes
// the staging folders (hashes, spill files) that runs killed or crashed
// earlier left, wherever they were. Runs still alive in other processes are
// left alone. It returns the staging folders it removed.
func CleanUpInterrupted(dataDir string) (removed []string, err error) {
	if dataDir == "" {
		return nil, nil
	}
	notes := filepath.Join(dataDir, notesFolder)
	notesDir.Lock()
	notesDir.path = notes
	notesDir.Unlock()
	entries, err := os.ReadDir(notes)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", notes, err)
	}
	var errs []error
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !isRunID(id) {
			continue
		}
		path := filepath.Join(notes, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			continue // a note being written right now, or vanished
		}
		var n note
		if json.Unmarshal(data, &n) != nil {
			// A run killed while writing its note: it is written before
			// the lock and the staging folder, so nothing else of that run
			// exists. (A run writing its note this instant loses it and
			// goes on unnoted, as when the data folder cannot be written.)
			os.Remove(path)
			continue
		}
		if filepath.Base(n.Staging) != stagingPrefix+id || !filepath.IsAbs(n.Staging) {
			continue // not ours: it names nothing we would remove
		}
		_, statErr := os.Lstat(n.Staging)
		gone, err := removeIfDead(filepath.Dir(n.Staging), id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if gone {
			if statErr == nil && !isReaderTemp(n.Staging) { // a reader's temporary files are not output
				removed = append(removed, n.Staging)
			}
			os.Remove(path)
		}
	}
	return removed, errors.Join(errs...)
}
