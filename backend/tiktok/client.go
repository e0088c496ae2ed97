// Package tiktok is a client for TikTok API for Business' customer-file
// audience endpoints (spec/tiktok-api.md): file upload streamed from disk,
// create / update / list / get / delete, with bounded retries, an adaptive
// rate limiter and errors that name the fix.
package tiktok

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
	"golang.org/x/time/rate"
)

const (
	ProductionBaseURL = "https://business-api.tiktok.com/open_api/"
	SandboxBaseURL    = "https://sandbox-ads.tiktok.com/open_api/"
	apiVersion        = "v1.3/"
	// EnvBaseURL overrides the base URL from settings.
	EnvBaseURL = "TIKTOK_API_BASE_URL"
)

// ResolveBaseURL picks the base URL for an environment ("production",
// "sandbox", "custom" with custom) unless TIKTOK_API_BASE_URL is set.
func ResolveBaseURL(environment, custom string) (string, error) {
	if v := strings.TrimSpace(os.Getenv(EnvBaseURL)); v != "" {
		return v, nil
	}
	switch environment {
	case "", "production":
		return ProductionBaseURL, nil
	case "sandbox":
		return SandboxBaseURL, nil
	case "custom":
		if strings.TrimSpace(custom) == "" {
			return "", errors.New("TikTok environment is custom but no base URL is set: set it in Settings > TikTok or " + EnvBaseURL)
		}
		return custom, nil
	}
	return "", fmt.Errorf("unknown TikTok environment %q: use production, sandbox or custom", environment)
}

// checkBaseURL allows hashes to travel only over TLS, except to a loopback
// address (the stand-in in tests and the demo).
func checkBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse TikTok base URL %q: %w", raw, err)
	}
	if err := secureurl.Check(u, "TikTok API", "the base URL in Settings > TikTok or "+EnvBaseURL); err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, fmt.Errorf("TikTok base URL %q has no host", raw)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// sameOrigin reports whether u has base's scheme, host and port (an
// omitted port being the scheme's default).
func sameOrigin(base, u *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "http" {
			return "80"
		}
		return "443"
	}
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Hostname(), base.Hostname()) && port(u) == port(base)
}

// LogEntry describes one HTTP exchange (or a wait) for the job log. It never
// holds the token or file contents.
type LogEntry struct {
	Time        time.Time
	Op          string
	Attempt     int
	HTTPStatus  int
	Code        int
	Message     string
	RequestID   string
	Duration    time.Duration
	Err         string        // transport error, token redacted
	RetryIn     time.Duration // >0 when the request will be sent again
	RateLimited bool          // the wait is TikTok's rate limit
}

// Config configures a Client. Zero values take the defaults.
type Config struct {
	BaseURL     string // required (see ResolveBaseURL)
	AccessToken string // required
	HTTPClient  *http.Client
	// RequestTimeout bounds one JSON request (default 30s).
	RequestTimeout time.Duration
	// A file upload has no overall deadline, since a 250 MB part on a slow
	// link may rightly take an hour: an attempt fails when the connection
	// takes no byte of it for UploadStallTimeout (default 60s), or when no
	// answer arrives UploadAnswerTimeout after the last byte (default 3 min).
	UploadStallTimeout  time.Duration
	UploadAnswerTimeout time.Duration
	// MaxAttempts bounds the attempts of one request (default 8). The time
	// spent sending never counts against a budget; MaxRetryTime bounds only
	// the time spent waiting between attempts (default 10 min).
	MaxAttempts    int
	MaxRetryTime   time.Duration
	InitialBackoff time.Duration // default 500ms
	MaxBackoff     time.Duration // default 30s
	// QPS is the ceiling of the client-side rate limiter (default 5).
	QPS float64
	// Log receives every exchange; it must be safe for concurrent use.
	Log func(LogEntry)
}

// Client talks to one base URL with one token. Safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string
	hc      *http.Client
	cfg     Config
	limiter *adaptiveLimiter
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.AccessToken) == "" {
		return nil, errors.New("no TikTok access token: save one with `audience-uploader tiktok set-token --advertiser-id ID` or set TIKTOK_ACCESS_TOKEN")
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.UploadStallTimeout <= 0 {
		cfg.UploadStallTimeout = 60 * time.Second
	}
	if cfg.UploadAnswerTimeout <= 0 {
		cfg.UploadAnswerTimeout = 3 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.MaxRetryTime <= 0 {
		cfg.MaxRetryTime = 10 * time.Minute
	}
	if cfg.InitialBackoff <= 0 {
		cfg.InitialBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.QPS <= 0 {
		cfg.QPS = 5
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport}
	}
	// Go drops Authorization on a redirect to another host but keeps every
	// other header, Access-Token included: a redirect may only stay on the
	// configured origin (same scheme, host and port).
	hcCopy := *hc
	hcCopy.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(base, req.URL) {
			return fmt.Errorf("%w: %s answered with a redirect to %s; the access token is only sent to the configured base URL %s. If TikTok's address changed, update the base URL in Settings > TikTok (or %s)",
				ErrRedirectRefused, base.Host, req.URL.Redacted(), base.Redacted(), EnvBaseURL)
		}
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return nil
	}
	return &Client{base: base, token: cfg.AccessToken, hc: &hcCopy, cfg: cfg, limiter: newAdaptiveLimiter(cfg.QPS)}, nil
}

// CurrentRate is the limiter's present rate (req/s), below the ceiling after
// TikTok answered 40100.
func (c *Client) CurrentRate() float64 { return c.limiter.current() }

// envelope is every TikTok response.
type envelope struct {
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// request is one logical API call; body builds a fresh body per attempt.
type request struct {
	op           string
	method       string
	path         string
	query        url.Values
	advertiserID string
	contentType  string
	// body builds a fresh body per attempt and says its length: every
	// request carries a Content-Length (gateways answer 411 to chunked ones).
	body func() (io.ReadCloser, int64, error)
	// timeout bounds the whole attempt; when 0, progressive is checked.
	timeout time.Duration
	// progressive requests (uploads) have no overall deadline: they fail on
	// no progress (see Config.UploadStallTimeout).
	progressive bool
	// idempotent requests are retried on any retryable failure; others only
	// when TikTok certainly refused them, else ErrOutcomeUnknown.
	idempotent bool
}

// do sends r with retries and decodes data into out.
func (c *Client) do(ctx context.Context, r request, out any) error {
	start := time.Now()
	var waited time.Duration // between attempts, the only time budgeted
	for attempt := 1; ; attempt++ {
		if err := c.limiter.wait(ctx); err != nil {
			return fmt.Errorf("%s: %w", r.op, err)
		}
		env, status, err := c.once(ctx, r, attempt)
		var apiErr *APIError
		var class Class
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", r.op, ctx.Err())
			}
			if !isTransient(err) {
				return fmt.Errorf("%s: %w", r.op, &redactedError{err: err, token: c.token})
			}
			class = ClassSystem
			if !r.idempotent {
				return fmt.Errorf("%s: %w: %w", r.op, ErrOutcomeUnknown, &redactedError{err: err, token: c.token})
			}
		case status != http.StatusOK || env == nil:
			apiErr = &APIError{Op: r.op, AdvertiserID: r.advertiserID, HTTPStatus: status}
			if env != nil {
				apiErr.Code, apiErr.Message, apiErr.RequestID = env.Code, env.Message, env.RequestID
			}
			class = apiErr.Class()
		case env.Code != 0:
			apiErr = &APIError{Op: r.op, AdvertiserID: r.advertiserID, HTTPStatus: status, Code: env.Code, Message: env.Message, RequestID: env.RequestID}
			class = apiErr.Class()
		default:
			c.limiter.success()
			if out != nil && len(env.Data) > 0 && string(env.Data) != "null" {
				if err := json.Unmarshal(env.Data, out); err != nil {
					return fmt.Errorf("%s: decode TikTok response data (request_id %s): %w", r.op, env.RequestID, err)
				}
			}
			return nil
		}
		if apiErr != nil {
			if !class.Retryable() {
				return apiErr
			}
			if !r.idempotent && !class.refusedBeforeProcessing() {
				return fmt.Errorf("%w: %w", ErrOutcomeUnknown, apiErr)
			}
		}
		if class == ClassRateLimited {
			c.limiter.throttled()
		}
		wait := c.backoff(attempt)
		if attempt >= c.cfg.MaxAttempts || waited+wait > c.cfg.MaxRetryTime {
			var last error = apiErr
			if apiErr == nil {
				last = &redactedError{err: err, token: c.token}
			}
			return fmt.Errorf("%s: %w after %d attempts in %s: %w", r.op, ErrRetriesExhausted, attempt, time.Since(start).Round(time.Millisecond), last)
		}
		waited += wait
		c.log(ctx, LogEntry{Time: time.Now(), Op: r.op, Attempt: attempt, RetryIn: wait, RateLimited: class == ClassRateLimited})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", r.op, ctx.Err())
		case <-t.C:
		}
	}
}

// once sends one attempt. A nil envelope with status 200 means the body was
// not an envelope.
func (c *Client) once(ctx context.Context, r request, attempt int) (*envelope, int, error) {
	var body io.ReadCloser
	var length int64
	if r.body != nil {
		b, n, err := r.body()
		if err != nil {
			return nil, 0, err
		}
		body, length = b, n
	}
	var actx context.Context
	var guard *progressGuard
	if r.progressive {
		var cancel context.CancelCauseFunc
		actx, cancel = context.WithCancelCause(ctx)
		guard = newProgressGuard(c.cfg.UploadStallTimeout, c.cfg.UploadAnswerTimeout, length, cancel)
		defer guard.stop()
		defer cancel(nil)
		if body != nil {
			body = guard.watch(body)
		}
	} else {
		timeout := r.timeout
		if timeout <= 0 {
			timeout = c.cfg.RequestTimeout
		}
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// stalled replaces a transport error caused by the guard with why.
	stalled := func(err error) error {
		if cause := context.Cause(actx); guard != nil && errors.Is(cause, ErrStalled) {
			return cause
		}
		return err
	}
	u := c.base.JoinPath(apiVersion, r.path)
	u.Path += "/"
	if r.query != nil {
		u.RawQuery = r.query.Encode()
	}
	req, err := http.NewRequestWithContext(actx, r.method, u.String(), body)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, 0, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.ContentLength = length
		if length == 0 {
			req.Body = http.NoBody
		}
	}
	req.Header.Set("Access-Token", c.token)
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	entry := LogEntry{Time: t0, Op: r.op, Attempt: attempt}
	if err != nil {
		err = stalled(err)
		entry.Duration = time.Since(t0)
		entry.Err = redact(err.Error(), c.token)
		c.log(ctx, entry)
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	entry.Duration = time.Since(t0)
	entry.HTTPStatus = resp.StatusCode
	if err != nil {
		err = stalled(err)
		entry.Err = redact(err.Error(), c.token)
		c.log(ctx, entry)
		return nil, resp.StatusCode, fmt.Errorf("read response: %w", err)
	}
	var env envelope
	if json.Unmarshal(raw, &env) != nil || (env.RequestID == "" && env.Code == 0 && env.Data == nil) {
		c.log(ctx, entry)
		if resp.StatusCode == http.StatusOK {
			// A 200 that is no envelope (a proxy page): a system failure.
			return nil, http.StatusBadGateway, nil
		}
		return nil, resp.StatusCode, nil
	}
	entry.Code, entry.Message, entry.RequestID = env.Code, env.Message, env.RequestID
	c.log(ctx, entry)
	return &env, resp.StatusCode, nil
}

// log reports an exchange to the client's Config.Log and to the call's
// context (WithLog).
func (c *Client) log(ctx context.Context, e LogEntry) {
	if c.cfg.Log != nil {
		c.cfg.Log(e)
	}
	if log := logFrom(ctx); log != nil {
		log(e)
	}
}

// backoff is exponential with "equal jitter": half fixed, half random, so a
// retry never fires immediately yet clients spread out.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.InitialBackoff
	for i := 1; i < attempt && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

// isTransient reports connection resets, refusals, dropped connections and
// timeouts. Certificate and redirect-policy failures are not: retrying
// them cannot help.
func isTransient(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return true
		}
		err = ue.Err
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &invalid) || errors.As(err, &recordErr) {
		return false
	}
	switch {
	case errors.Is(err, ErrStalled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	s := err.Error()
	for _, frag := range []string{"connection reset", "broken pipe", "server closed idle connection", "unexpected EOF"} {
		if strings.Contains(s, frag) {
			return true
		}
	}
	return false
}

// adaptiveLimiter is a token bucket whose rate halves on TikTok's 40100 and
// creeps back up on success, never above the ceiling.
type adaptiveLimiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	ceiling float64
	cur     float64
}

func newAdaptiveLimiter(ceiling float64) *adaptiveLimiter {
	return &adaptiveLimiter{lim: rate.NewLimiter(rate.Limit(ceiling), 1), ceiling: ceiling, cur: ceiling}
}

func (a *adaptiveLimiter) wait(ctx context.Context) error { return a.lim.Wait(ctx) }

func (a *adaptiveLimiter) current() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

func (a *adaptiveLimiter) throttled() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cur = max(a.cur/2, a.ceiling/50, 0.05)
	a.lim.SetLimit(rate.Limit(a.cur))
}

func (a *adaptiveLimiter) success() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur >= a.ceiling {
		return
	}
	a.cur = min(a.ceiling, a.cur+a.ceiling/20)
	a.lim.SetLimit(rate.Limit(a.cur))
}

func jsonBody(v any) func() (io.ReadCloser, int64, error) {
	b, err := json.Marshal(v)
	return func() (io.ReadCloser, int64, error) {
		if err != nil {
			return nil, 0, fmt.Errorf("encode request: %w", err)
		}
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}
}
