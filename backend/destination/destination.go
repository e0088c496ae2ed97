// Package destination is the seam between the app and an ad platform: what
// the upload, the syncs, the Audiences view and the status follow-up need
// from one (send rows to a new or existing audience, add, remove, replace,
// read status and size, list, rename, delete), and what it accepts
// (identifier keys, row layouts, limits). It is a leaf: platforms import
// it, it imports none of them. Meta implements it (metaupload.Destination),
// and TikTok (upload.Destination).
package destination

import (
	"context"
	"time"
)

// Platform names a destination in jobs, history, syncs and settings.
type Platform string

// The platforms.
const (
	TikTok Platform = "tiktok"
	Meta   Platform = "meta"
)

// Action is what a delivery does to its audience.
type Action string

// The actions. Add to an audience that does not exist yet creates it.
const (
	Add     Action = "ADD"
	Remove  Action = "REMOVE"
	Replace Action = "REPLACE"
)

// Layout is how a platform wants a person's identifiers laid out.
type Layout string

// The layouts.
const (
	// OneKeyPerAudience: every row holds one identifier, all of one type
	// (TikTok's calculate_type per file, Meta's single-key schemas).
	OneKeyPerAudience Layout = "one-key"
	// SeveralKeysPerRow: a row is one person with several keys (TikTok's
	// MULTIPLE_TYPES, Meta's multi-key schema); one schema per audience.
	SeveralKeysPerRow Layout = "several-keys"
)

// Capabilities says what a platform accepts and its limits.
type Capabilities struct {
	Platform Platform
	// Keys are the identifier keys it takes, in the platform's own names
	// ("EMAIL", "PHONE", "MADID", "FN", ...).
	Keys    []string
	Layouts []Layout
	// MaxRowsPerRequest bounds one request (Meta 10,000); 0 = by bytes.
	MaxRowsPerRequest int
	// MaxAudiences per account (Meta 500 customer-file audiences).
	MaxAudiences int
	// MinUsefulSize is the size below which the platform will not deliver.
	MinUsefulSize int
	// ReplaceWindow bounds one replace (Meta: a 90-minute session); 0 = none.
	ReplaceWindow time.Duration
	// RemovalsShrinkSize is false where removals are known not to lower
	// the reported size (Meta).
	RemovalsShrinkSize bool
}

// Audience is one audience as the views show it.
type Audience struct {
	ID   string
	Name string
	// SizeLower and SizeUpper bound the matched size (equal where the
	// platform gives one number; -1 when it gives none yet).
	SizeLower, SizeUpper int
	Ready                bool   // usable in ads now
	Status               string // a sentence for people
	Updated              time.Time
}

// Delivery is one upload: for Meta the rows file holds already-normalized,
// hashed cells (no raw value), one row a line, in Schema's order; TikTok
// takes files, the customer files a transform's manifest lists.
type Delivery struct {
	JobID        string // unique; a resumed job reuses it (TikTok keys its jobs by the manifest itself)
	AudienceID   string // "" creates AudienceName (Add and Replace only)
	AudienceName string
	Action       Action
	Schema       []string
	RowsPath     string
	// ManifestPath is the transform's manifest.json (TikTok).
	ManifestPath string
}

// Result is what a finished delivery did.
type Result struct {
	AudienceID string
	Rows       int
}

// Destination is one connected platform account.
type Destination interface {
	Capabilities() Capabilities
	// Deliver sends a delivery exactly once, resuming a job id seen before.
	Deliver(ctx context.Context, d Delivery) (Result, error)
	List(ctx context.Context) ([]Audience, error)
	Status(ctx context.Context, audienceID string) (Audience, error)
	Rename(ctx context.Context, audienceID, name string) error
	Delete(ctx context.Context, audienceID string) error
}
