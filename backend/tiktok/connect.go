package tiktok

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// ConnectOptions say where a connection's pieces come from.
type ConnectOptions struct {
	Settings     settings.TikTokSettings // environment, base URL, default advertiser
	AdvertiserID string                  // "" means Settings.AdvertiserID
	Secrets      secrets.Store           // the keychain holding the token (TIKTOK_ACCESS_TOKEN wins)
	QPS          float64                 // request ceiling; 0 means the client's default
	Log          func(LogEntry)          // every exchange, beside the context's (WithLog); may be nil
}

// Connection is a client for one advertiser on one TikTok server.
type Connection struct {
	AdvertiserID string
	BaseURL      string
	Client       *Client
}

// ErrNoAdvertiser: neither the caller nor the settings name an advertiser.
var ErrNoAdvertiser = errors.New("no TikTok advertiser id")

// ConnectStep is the part of connecting that failed.
type ConnectStep string

const (
	StepAdvertiser ConnectStep = "advertiser"
	StepBaseURL    ConnectStep = "base URL"
	StepToken      ConnectStep = "token"
	StepClient     ConnectStep = "client"
)

// ConnectError says which step of Connect failed; its text is the cause's
// (callers word it for their screen or command line by Step).
type ConnectError struct {
	Step ConnectStep
	Err  error
}

func (e *ConnectError) Error() string { return e.Err.Error() }
func (e *ConnectError) Unwrap() error { return e.Err }

// Connect is the one way to reach TikTok: the advertiser (given or from the
// settings), the base URL of the settings' environment, the token saved for
// that environment (or TIKTOK_ACCESS_TOKEN), and a client. Per-job logging
// is not configured here: it travels in each call's context (WithLog).
func Connect(ctx context.Context, o ConnectOptions) (*Connection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	adv := strings.TrimSpace(o.AdvertiserID)
	if adv == "" {
		adv = strings.TrimSpace(o.Settings.AdvertiserID)
	}
	if adv == "" {
		return nil, &ConnectError{Step: StepAdvertiser, Err: ErrNoAdvertiser}
	}
	base, err := ResolveBaseURL(o.Settings.Environment, o.Settings.BaseURL)
	if err != nil {
		return nil, &ConnectError{Step: StepBaseURL, Err: err}
	}
	token, err := LoadToken(o.Secrets, base, adv)
	if err != nil {
		return nil, &ConnectError{Step: StepToken, Err: err}
	}
	c, err := New(Config{BaseURL: base, AccessToken: token, QPS: o.QPS, Log: o.Log})
	if err != nil {
		return nil, &ConnectError{Step: StepClient, Err: fmt.Errorf("TikTok client: %w", err)}
	}
	return &Connection{AdvertiserID: adv, BaseURL: base, Client: c}, nil
}

// StepOf is the step at which err (from Connect) failed; "" for other errors.
func StepOf(err error) ConnectStep {
	var ce *ConnectError
	if errors.As(err, &ce) {
		return ce.Step
	}
	return ""
}

type logKey struct{}

// WithLog returns a context whose requests, through any Client, are also
// reported to log (as net/http/httptrace carries its hooks): an uploader
// puts its job's request ids into that job's log without a hook per client,
// so one client can serve several jobs at once.
func WithLog(ctx context.Context, log func(LogEntry)) context.Context {
	if log == nil {
		return ctx
	}
	if prev, ok := ctx.Value(logKey{}).(func(LogEntry)); ok {
		inner := log
		log = func(e LogEntry) { prev(e); inner(e) }
	}
	return context.WithValue(ctx, logKey{}, log)
}

func logFrom(ctx context.Context) func(LogEntry) {
	log, _ := ctx.Value(logKey{}).(func(LogEntry))
	return log
}
