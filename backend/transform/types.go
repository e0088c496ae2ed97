// Package transform turns a customer list into TikTok customer files and,
// when asked, Meta's rows file: it reads records once, normalizes and hashes
// the mapped identifier columns in a worker pool by each destination's
// rules, removes duplicates and writes size-capped files plus a manifest.
// It also previews the first rows and discovers the schema.
package transform

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/records"
)

// Mapping says which identifier type a source column holds.
type Mapping struct {
	Column   string           `json:"column"`
	Type     identifiers.Type `json:"-"`
	TypeName string           `json:"type"`
}

// ParseMapping reads the CLI form COLUMN=TYPE. The column is everything
// before the last '=', so column names may contain '='.
func ParseMapping(s string) (Mapping, error) {
	i := strings.LastIndexByte(s, '=')
	if i <= 0 || i == len(s)-1 {
		return Mapping{}, fmt.Errorf("mapping %q is not COLUMN=TYPE (TYPE is email, phone, idfa or gaid)", records.SafeColumnName(s))
	}
	t, err := identifiers.ParseType(s[i+1:])
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping %q: %w", records.SafeColumnName(s[:i])+s[i:], err)
	}
	return Mapping{Column: s[:i], Type: t, TypeName: t.String()}, nil
}

// Layout is how output files are organized.
type Layout string

const (
	LayoutAuto     Layout = "auto"
	LayoutCombined Layout = "combined" // one MULTIPLE_TYPES file set, one row per person
	LayoutSeparate Layout = "separate" // one file set per identifier type, one hash per line
)

// ParseLayout accepts "auto", "combined" or "separate" ("" means auto).
func ParseLayout(s string) (Layout, error) {
	switch Layout(strings.ToLower(s)) {
	case "", LayoutAuto:
		return LayoutAuto, nil
	case LayoutCombined:
		return LayoutCombined, nil
	case LayoutSeparate:
		return LayoutSeparate, nil
	}
	return "", fmt.Errorf("layout %q is not one of auto, combined, separate", s)
}

// Progress is reported while a transform runs.
type Progress struct {
	Rows       int64         `json:"rows"`
	BytesRead  int64         `json:"bytes_read"`
	BytesTotal int64         `json:"bytes_total"` // -1 if unknown
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// Defaults and limits.
const (
	DefaultMaxFileBytes     = 50 << 20
	MaxFileBytesLimit       = 250 << 20 // TikTok's stated upload limit
	DefaultDedupMemoryBytes = 512 << 20
	DefaultSample           = 1000
	DefaultPreviewRows      = 20
	maxReportedErrors       = 100
	maxSameHeader           = 3 // TikTok accepts a combined header name at most 3 times
)

// Options configure Run.
type Options struct {
	Source           inputs.Source
	Format           records.Format
	Header           records.HeaderMode // CSV/TXT: does the first row name the columns? "" detects it
	Mappings         []Mapping
	Region           string // default phone region, "US" if empty
	PhoneFormat      identifiers.PhoneFormat
	OutDir           string
	Layout           Layout
	MaxFileBytes     int64          // default 50 MiB, at most 250 MiB
	Workers          int            // default: all cores
	DedupMemoryBytes int64          // default 512 MiB; past it, deduplication spills to disk
	Progress         func(Progress) // at most ~10 calls a second, from one goroutine
	// Destinations are the platforms the run writes for; nil or empty
	// means TikTok alone (its customer files, byte for byte as before).
	// With destination.Meta the same pass also normalizes each mapped
	// column by Meta's rules and writes MetaRowsName (see File.Schema).
	// Without TikTok no customer file is written and TikTok's limits
	// (three combined columns of a kind) do not apply.
	Destinations []destination.Platform
	// RowSink, when set, receives the rows in binary instead of the run
	// writing customer files (a sync diffs them against its state). It is
	// called from the workers, one call at a time per worker (0 to
	// Workers-1), with a batch of rows back to back, each a big-endian
	// uint16 mask (bit i: mapping i holds a hash; in the separate layout
	// every hash is a row of its own, mask 1) and then the 32 raw SHA-256
	// bytes of each set bit in mapping order. The batch is reused after the
	// call. The rows are not deduplicated and no customer file is written:
	// the manifest lists none and RowsWritten and the duplicate counters
	// stay 0, for the receiver to fill in. An error stops the run.
	// With Destinations exactly {Meta} the digests are those of the
	// Meta-normalized values (a MADID mapping is refused: Meta takes
	// them unhashed); a RowSink serves one destination only.
	RowSink func(worker int, rows []byte) error
}

// Manifest describes a finished run. It holds no PII.
type Manifest struct {
	Version     int            `json:"version"`
	RunID       string         `json:"run_id"` // random per run: the upload keys its job by it, wherever the folder moves
	CreatedAt   time.Time      `json:"created_at"`
	Input       string         `json:"input"`
	Format      records.Format `json:"format"`
	Layout      Layout         `json:"layout"`
	Mappings    []Mapping      `json:"mappings"`
	Region      string         `json:"region"`
	PhoneFormat string         `json:"phone_format"`
	Files       []File         `json:"files"` // every destination's: see FilesFor
	// Counters are the run's rows (read, malformed) and TikTok's output
	// (no identifier, duplicates, written, per type); TikTok's stay zero
	// when TikTok is not among the destinations.
	Counters Counters `json:"counters"`
	// Meta counts Meta's output, nil when Meta was not a destination.
	Meta  *PlatformCounters `json:"meta,omitempty"`
	Notes []string          `json:"notes,omitempty"` // what the run decided for the user (a raised part size)
}

// ManifestName is the manifest's file name inside the output folder.
const ManifestName = "manifest.json"

// MetaRowsName is Meta's rows file inside the output folder: one row a line,
// its cells (identifiers.AppendMetaCell: SHA-256 hex, MADID in clear)
// separated by tabs in File.Schema's order, "" for a missing value; no
// header, whole-row duplicates removed. It is metaupload's RowsPath.
const MetaRowsName = "meta-rows.tsv"

// File is one output file: a TikTok customer file, ready for its file
// upload, or Meta's rows file.
type File struct {
	Path          string `json:"path"`           // relative to the manifest
	CalculateType string `json:"calculate_type"` // TikTok's; "" for Meta
	Rows          int64  `json:"rows"`
	Bytes         int64  `json:"bytes"`
	MD5           string `json:"md5"` // TikTok's file_signature
	// Platform is the destination the file is for; "" (every manifest
	// written before Meta) is TikTok.
	Platform destination.Platform `json:"platform,omitempty"`
	// Schema is Meta's multi-key schema of the file's cells, the distinct
	// Meta keys of the mappings in mapping order (["EMAIL","PHONE","MADID"]).
	Schema []string `json:"schema,omitempty"`
}

// For is the file's destination, TikTok when the manifest names none.
func (f File) For() destination.Platform {
	if f.Platform == "" {
		return destination.TikTok
	}
	return f.Platform
}

// FilesFor lists the files written for platform p, in manifest order.
func (m *Manifest) FilesFor(p destination.Platform) []File {
	var out []File
	for _, f := range m.Files {
		if f.For() == p {
			out = append(out, f)
		}
	}
	return out
}

// PlatformCounters count one destination's own output where its rules give
// other answers than TikTok's (Meta: e-mails keep a "+tag", MADIDs are sent
// unhashed and a hashed one is refused). A list row with two valid values
// of one key (two e-mail columns) gives a row per value (the first holding
// every key's first value), so RowsWritten + DuplicateRows can exceed the
// rows with an identifier; malformed rows are counted once, in Counters.
type PlatformCounters struct {
	Schema        []string `json:"schema"`
	NoIdentifier  int64    `json:"no_identifier"`  // rows with no value valid by this platform's rules
	DuplicateRows int64    `json:"duplicate_rows"` // whole-row duplicates removed
	RowsWritten   int64    `json:"rows_written"`
	// Keys count the values of each of the platform's keys ("EMAIL",
	// "MADID": IDFA and GAID columns together) over all its columns.
	Keys map[string]*TypeCounters `json:"keys"`
}

// Counters account for every row read: nothing is dropped without a count.
type Counters struct {
	RowsRead        int64                    `json:"rows_read"`
	Malformed       int64                    `json:"malformed_rows"`
	MalformedErrors []*records.RecordError   `json:"malformed_errors,omitempty"` // the first 100 by line
	NoIdentifier    int64                    `json:"no_identifier"`
	DuplicateRows   int64                    `json:"duplicate_rows"` // combined layout: whole-row duplicates
	RowsWritten     int64                    `json:"rows_written"`
	Types           map[string]*TypeCounters `json:"types"` // by identifier type name
	ElapsedSeconds  float64                  `json:"elapsed_seconds"`
	RowsPerSecond   float64                  `json:"rows_per_second"`
}

// TypeCounters count the values of one identifier type over all its columns.
type TypeCounters struct {
	Valid     int64            `json:"valid"`
	Prehashed int64            `json:"prehashed"`
	Duplicate int64            `json:"duplicate"` // separate layout: repeated hashes removed
	Invalid   map[string]int64 `json:"invalid"`   // by reason code, "empty" included
}

// UsageError marks a problem with what was asked (a bad mapping, an unknown
// column, a full output folder) rather than with the data or the machine.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// IsUsageError reports whether err (or what it wraps) is a UsageError.
func IsUsageError(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}
