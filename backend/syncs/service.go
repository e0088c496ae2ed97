package syncs

import (
	"context"
	"path/filepath"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/datadir"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// The engine and its configuration: where syncs are kept, how a
// sync's input is opened and TikTok reached, and the run's budgets.

// Conn is a TikTok connection for one advertiser, or (Meta set) a Meta
// connection for the ad account AdvertiserID names.
type Conn struct {
	AdvertiserID string
	Client       *tiktok.Client
	Uploader     *upload.Uploader
	Meta         *MetaConn
}

// Config configures a Service.
type Config struct {
	// Dir holds the syncs (default <data folder>/syncs).
	Dir string
	// OpenSource opens a sync's input (default: local files, folders and
	// globs; the CLI and the app pass one that also opens s3://).
	OpenSource func(input string) (inputs.Source, error)
	// Connect builds a client and an uploader for an advertiser ("" means
	// the one in the settings).
	Connect func(ctx context.Context, advertiserID string) (*Conn, error)
	// ConnectMeta connects a sync to Meta to an ad account ("" means the
	// one in the settings).
	ConnectMeta func(ctx context.Context, adAccount string) (*MetaConn, error)
	// MemoryBytes bounds the memory of a run's sort, which also removes
	// duplicate rows (default 160 MiB; half of it holds rows being sorted,
	// past which they spill to disk in sorted runs).
	MemoryBytes int64
	// MaxFileBytes caps each file sent (default 50 MiB, as the transform).
	MaxFileBytes int64
	// Workers is the transform's worker count (default: all cores).
	Workers int
	// PollInterval is the first wait between reads of the audience while
	// the APPEND waits for TikTok to list the REMOVE (default 2s, doubling
	// up to 30s); ListedWait bounds that wait (default 15 min).
	PollInterval, ListedWait time.Duration
}

// Service runs syncs. Every method is safe to call from several processes:
// a run (and a plan) holds the sync's OS lock.
type Service struct {
	cfg      Config
	dir      string
	prepared preparedPlans // plans shown and not yet sent (Prepare, RunPlan)
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Dir == "" {
		d, err := datadir.Path()
		if err != nil {
			return nil, err
		}
		cfg.Dir = filepath.Join(d, "syncs")
	}
	if cfg.OpenSource == nil {
		cfg.OpenSource = inputs.Local
	}
	if cfg.MemoryBytes <= 0 {
		cfg.MemoryBytes = 160 << 20
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = transform.DefaultMaxFileBytes
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.ListedWait <= 0 {
		cfg.ListedWait = 15 * time.Minute
	}
	return &Service{cfg: cfg, dir: cfg.Dir}, nil
}
