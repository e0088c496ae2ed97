// Package sqlitefile opens the app's SQLite databases (modernc.org/sqlite,
// no cgo) the one way they should be opened: in a folder private to the
// user (0700), as files private to the user (0600) from the first byte, the
// WAL and shared-memory files included, and named by a properly built
// file: URI so that any folder name reaches SQLite unchanged.
package sqlitefile

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/privatefs"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sideFiles are the files SQLite keeps next to a database.
var sideFiles = []string{"-wal", "-shm", "-journal"}

// Open opens (creating if needed) the database at path and runs each of
// pragmas ("busy_timeout(5000)", "journal_mode(WAL)", ...) on every
// connection. The folder is made 0700 and the database 0600 before SQLite
// opens it: SQLite creates the -wal, -shm and -journal files with the mode
// of the database file, so they are 0600 too. Side files left with wider
// modes by an older version are tightened.
func Open(ctx context.Context, path string, pragmas ...string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("finding the full path of %s: %w", path, err)
	}
	if err := privatefs.MkdirAll(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("creating the folder for %s: %w", abs, err)
	}
	if err := privatefs.TouchFile(abs); err != nil {
		return nil, fmt.Errorf("creating %s: %w", abs, err)
	}
	for _, suffix := range sideFiles {
		if err := privatefs.Restrict(abs + suffix); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", URI(abs, runtime.GOOS, pragmas))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	return db, nil
}

// URI is the file: URI of the database at the absolute path abs on goos,
// with each pragma as a _pragma parameter for the driver. The path is
// percent-encoded, so "?", "#", "%" and spaces in folder names are part of
// the name rather than the start of the query or fragment. SQLite decodes
// the path back byte for byte.
func URI(abs, goos string, pragmas []string) string {
	uri := "file://" + (&url.URL{Path: uriPath(abs, goos)}).EscapedPath()
	if len(pragmas) > 0 {
		uri += "?" + url.Values{"_pragma": pragmas}.Encode()
	}
	return uri
}

// uriPath is abs written as a URI path. On Windows the separators become
// slashes and a drive path gets a leading slash (C:\Users\x → /C:/Users/x,
// which SQLite reads back as C:/Users/x); a UNC path \\server\share\x
// becomes //server/share/x, so the URI's authority stays empty as SQLite
// requires. The long-path prefixes \\?\ and \\?\UNC\ are dropped: they only
// work with backslashes, which a URI cannot carry. Elsewhere a backslash is
// an ordinary character of a file name.
func uriPath(abs, goos string) string {
	if goos != "windows" {
		return abs
	}
	if rest, ok := strings.CutPrefix(abs, `\\?\UNC\`); ok {
		abs = `\\` + rest
	} else if rest, ok := strings.CutPrefix(abs, `\\?\`); ok {
		abs = rest
	}
	p := strings.ReplaceAll(abs, `\`, "/")
	if len(p) >= 2 && p[1] == ':' {
		p = "/" + p
	}
	return p
}
