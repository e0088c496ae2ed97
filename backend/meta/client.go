// Package meta is a client of Meta's Graph API for customer-list Custom
// Audiences (docs/meta-api.md): create, list, read, rename and delete
// audiences, add and remove users in JSON batches of at most 10,000 rows,
// replace them through usersreplace sessions, read a session's counts and
// the ad account's Terms of Service state. It sends only to https or
// loopback endpoints (secureurl), the token in a header and payloads in
// request bodies, never in a URL; it backs off on error 80003 for as long
// as x-business-use-case-usage says.
package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
)

// DefaultBaseURL is the Graph API version the client speaks.
const DefaultBaseURL = "https://graph.facebook.com/v25.0/"

// The environment variables that override the keychain and the default
// endpoint, for automation and tests.
const (
	EnvToken   = "META_ACCESS_TOKEN"
	EnvBaseURL = "META_API_BASE_URL"
)

// DefaultQPS is the ceiling of requests per second Connect gives a client
// (the command line's --qps default, as TikTok's). Meta's own limit is
// per hour (spec §8), which the client follows from its answers.
const DefaultQPS = 5

// Meta's users-edge limits (spec §3, §5).
const (
	MaxRowsPerRequest = 10000
	SessionWindow     = 90 * time.Minute
)

// Options configure a Client.
type Options struct {
	BaseURL    string // default DefaultBaseURL
	Token      string // a system-user token with ads_management
	AdAccount  string // "act_<digits>"
	HTTPClient *http.Client
	// Log, if set, receives one Event per HTTP exchange: no token, no
	// payload, no query.
	Log func(Event)
	// Sleep waits d or until ctx ends (default: a timer); tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxWait caps one back-off (default 1 h, the rate limit's window).
	MaxWait time.Duration
	// Now is the clock SendBefore deadlines are read on (default time.Now).
	Now func() time.Time
	// Retries is how many times an answer that says "not applied, try
	// again" (80003, 803 on a fresh audience, transient 1/2) is retried
	// (default 8).
	Retries int
	// QPS is the ceiling of requests per second, every try counted, paced
	// on Now and Sleep; 0 sets none (Connect, the way the app and the
	// command line connect, gives DefaultQPS). The back-off on 80003 and
	// x-business-use-case-usage comes on top.
	QPS float64
}

// Event describes one HTTP exchange for logs.
type Event struct {
	Method   string
	Path     string // the URL path without query
	Status   int    // HTTP status, 0 when no answer came
	Code     int    // Graph error code, 0 on success
	Subcode  int
	Duration time.Duration
	Wait     time.Duration // the back-off that follows, if any
}

// FromEnv fills Token and BaseURL from META_ACCESS_TOKEN and
// META_API_BASE_URL when they are set.
func (o Options) FromEnv() Options {
	if v := os.Getenv(EnvToken); v != "" {
		o.Token = v
	}
	if v := os.Getenv(EnvBaseURL); v != "" {
		o.BaseURL = v
	}
	return o
}

// Client talks to one ad account.
type Client struct {
	opts    Options
	base    *url.URL
	http    *http.Client
	limiter *rate.Limiter // nil: no ceiling
}

var adAccountPattern = regexp.MustCompile(`^act_[0-9]+$`)

// New checks opts and returns a client. The endpoint must be https, or
// plain http to this computer (the stand-in).
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if !strings.HasSuffix(opts.BaseURL, "/") {
		opts.BaseURL += "/"
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("the Meta API address %q is not a URL like %s (check %s)", opts.BaseURL, DefaultBaseURL, EnvBaseURL)
	}
	if err := secureurl.Check(base, "Meta Graph API", EnvBaseURL); err != nil {
		return nil, err
	}
	if opts.Token == "" {
		return nil, errors.New("no Meta access token: save a system-user token in Settings > Meta or set " + EnvToken)
	}
	if !adAccountPattern.MatchString(opts.AdAccount) {
		return nil, fmt.Errorf("the ad account %q is not of the form act_ followed by digits (Business Settings > Ad accounts shows the id)", opts.AdAccount)
	}
	if opts.Sleep == nil {
		opts.Sleep = Sleep
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = time.Hour
	}
	if opts.Retries <= 0 {
		opts.Retries = 8
	}
	if opts.QPS < 0 {
		return nil, fmt.Errorf("a ceiling of %v requests per second to Meta: it must be positive", opts.QPS)
	}
	c := &Client{opts: opts, base: base, http: secureurl.Client(opts.HTTPClient, "Meta Graph API", EnvBaseURL)}
	if opts.QPS > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(opts.QPS), 1)
	}
	return c, nil
}

// AdAccount is the act_<digits> id the client works in.
func (c *Client) AdAccount() string { return c.opts.AdAccount }

// QPS is the client's ceiling of requests per second (0: none).
func (c *Client) QPS() float64 { return c.opts.QPS }

// pace waits, on the client's clock, until the ceiling lets one more
// request go.
func (c *Client) pace(ctx context.Context) error {
	if c.limiter == nil {
		return nil
	}
	now := c.opts.Now()
	r := c.limiter.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		if err := c.opts.Sleep(ctx, d); err != nil {
			r.CancelAt(c.opts.Now())
			return err
		}
	}
	return nil
}

// Sleep waits d or until ctx ends: the default clock of the client and
// the uploader.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type sendBeforeKey struct{}

// SendBefore returns a context under which the client sends a request
// (and each retry) only before t on Options.Now: a batch of a session is
// either sent inside the session's window or definitely not sent
// (*WindowClosedError), never after it, when Meta would discard it.
func SendBefore(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, sendBeforeKey{}, t)
}

// WindowClosedError says a request was not sent (or not sent again after
// an answer that said it was not applied) because its SendBefore time came.
type WindowClosedError struct {
	Path     string
	NotAfter time.Time
	Cause    error // the refusal that would have been retried, if any
}

func (e *WindowClosedError) Error() string {
	msg := fmt.Sprintf("not sent to %s: its session's window ended at %s", e.Path, e.NotAfter.UTC().Format(time.RFC3339))
	if e.Cause != nil {
		msg += " (" + e.Cause.Error() + ")"
	}
	return msg
}

func (e *WindowClosedError) Unwrap() error { return e.Cause }

// UnknownOutcomeError says a write was sent and no answer came: Meta may
// or may not have applied it. Callers reconcile (the session's
// num_received, the audience list) rather than send it again blindly.
type UnknownOutcomeError struct {
	Method, Path string
	Err          error
}

func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("no answer from Meta to %s %s, so it is not known whether it was applied: %v", e.Method, e.Path, e.Err)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// call sends one request and decodes a success into out. body is JSON
// (nil for none). Answers that say nothing was applied and to try again
// are retried with back-off; a write without an answer is an
// *UnknownOutcomeError; a GET without one is retried.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	u := c.base.ResolveReference(&url.URL{Path: path})
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	backoff := time.Second
	notAfter, hasWindow := ctx.Value(sendBeforeKey{}).(time.Time)
	for attempt := 0; ; attempt++ {
		if err := c.pace(ctx); err != nil {
			return err
		}
		if hasWindow && c.opts.Now().After(notAfter) {
			return &WindowClosedError{Path: u.Path, NotAfter: notAfter}
		}
		start := time.Now()
		status, header, respBody, err := c.send(ctx, method, u, payload)
		ev := Event{Method: method, Path: u.Path, Status: status, Duration: time.Since(start)}
		var wait time.Duration
		var apiErr *APIError
		switch {
		case err != nil && ctx.Err() != nil:
			c.log(ev)
			return ctx.Err()
		case err != nil && method != http.MethodGet:
			c.log(ev)
			return &UnknownOutcomeError{Method: method, Path: u.Path, Err: err}
		case err != nil:
			wait = backoff
		case status >= 200 && status < 300:
			c.log(ev)
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(respBody, out); err != nil {
				return fmt.Errorf("Meta's answer to %s %s is not the JSON expected: %v", method, u.Path, err)
			}
			return nil
		default:
			apiErr = decodeError(status, respBody)
			ev.Code, ev.Subcode = apiErr.Code, apiErr.Subcode
			switch {
			case apiErr.Code == 0 && method != http.MethodGet:
				// An HTML or empty error page from a front end: whether the
				// write got through is not known.
				c.log(ev)
				return &UnknownOutcomeError{Method: method, Path: u.Path, Err: apiErr}
			case apiErr.Code == 0 && status >= 500:
				wait = backoff
			case apiErr.RateLimited():
				wait = regainWait(header, apiErr, backoff)
			case apiErr.Code == 803 || apiErr.Transient || apiErr.Code == 1 || apiErr.Code == 2:
				wait = backoff
			default:
				c.log(ev)
				return apiErr
			}
		}
		if attempt >= c.opts.Retries {
			c.log(ev)
			if apiErr != nil {
				return apiErr
			}
			return fmt.Errorf("Meta did not answer %s %s after %d tries: %v", method, u.Path, attempt+1, err)
		}
		wait = min(wait, c.opts.MaxWait)
		if hasWindow && c.opts.Now().Add(wait).After(notAfter) {
			c.log(ev)
			return &WindowClosedError{Path: u.Path, NotAfter: notAfter, Cause: apiErr}
		}
		ev.Wait = wait
		c.log(ev)
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return err
		}
		backoff = min(2*backoff, 5*time.Minute)
	}
}

func (c *Client) log(ev Event) {
	if c.opts.Log != nil {
		c.opts.Log(ev)
	}
}

// send does one exchange. The token travels in the Authorization header,
// so no URL (which errors and logs quote) ever holds it.
func (c *Client) send(ctx context.Context, method string, u *url.URL, payload []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, scrubURLError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}

// scrubURLError keeps a transport error's cause but not the URL's query.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// usage is one entry of x-business-use-case-usage.
type usage struct {
	Type       string `json:"type"`
	CallCount  int    `json:"call_count"`
	TotalCPU   int    `json:"total_cputime"`
	TotalTime  int    `json:"total_time"`
	RegainMins int    `json:"estimated_time_to_regain_access"`
}

// regainWait is how long to wait after an 80003: the header's
// estimated_time_to_regain_access (minutes) for custom_audience, else the
// exponential back-off.
func regainWait(h http.Header, _ *APIError, backoff time.Duration) time.Duration {
	var byBiz map[string][]usage
	if json.Unmarshal([]byte(h.Get("x-business-use-case-usage")), &byBiz) == nil {
		longest := 0
		for _, entries := range byBiz {
			for _, e := range entries {
				if e.Type == "custom_audience" && e.RegainMins > longest {
					longest = e.RegainMins
				}
			}
		}
		if longest > 0 {
			return time.Duration(longest) * time.Minute
		}
	}
	return max(backoff, 30*time.Second)
}
