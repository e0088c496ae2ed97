// Package secureurl is the one rule for where secrets and customer hashes
// may travel: over https, or over plain http only to this computer's
// loopback (the stand-ins in tests and the demo). Transport applies the
// rule to every request an HTTP client sends, redirects included, before a
// connection is made; AWSHTTPClient puts it under an AWS SDK client, whose
// endpoint may come from settings, AWS_ENDPOINT_URL* or ~/.aws/config.
package secureurl

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// IsLoopback reports whether host (a URL's Hostname()) is this computer:
// localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Allowed reports whether a request to u may carry secrets: https to any
// host, or http to a loopback host.
func Allowed(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		return IsLoopback(u.Hostname())
	}
	return false
}

// Check returns a *RefusedError when u may not carry secrets. service names
// what is being talked to ("Amazon S3"); hint says where its endpoint is set.
func Check(u *url.URL, service, hint string) error {
	if Allowed(u) {
		return nil
	}
	return &RefusedError{Endpoint: endpoint(u), Service: service, Hint: hint}
}

// endpoint is the scheme and host of u: what a person configured, without
// the path or query of one request.
func endpoint(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// RefusedError says that a request was stopped before it was sent because
// its endpoint is neither https nor loopback.
type RefusedError struct {
	Endpoint string // scheme://host
	Service  string // e.g. "Amazon S3"
	Hint     string // where the endpoint comes from, e.g. "AWS_ENDPOINT_URL_S3"
}

func (e *RefusedError) Error() string {
	what := "is not https"
	if strings.HasPrefix(strings.ToLower(e.Endpoint), "http:") {
		what = "is plain http to a host other than this computer"
	}
	msg := fmt.Sprintf("the %s endpoint %s %s, so nothing was sent (secrets travel only over https, "+
		"or plain http to 127.0.0.1, ::1 or localhost); use an https:// endpoint", e.Service, e.Endpoint, what)
	if e.Hint != "" {
		msg += " and check " + e.Hint
	}
	return msg
}

// RetryableError tells the AWS SDK's retryer (and ours) that trying again
// cannot help.
func (e *RefusedError) RetryableError() bool { return false }

// Transport is an http.RoundTripper that refuses any request whose URL may
// not carry secrets before handing it to Base, so no connection is made.
// Since http.Client sends redirects through the same RoundTripper, a
// redirect to plain http elsewhere is refused too.
type Transport struct {
	Base    http.RoundTripper // nil means http.DefaultTransport
	Service string
	Hint    string
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := Check(req.URL, t.Service, t.Hint); err != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close the body, even on errors
		}
		return nil, err
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// Client returns a copy of c (nil: a new client) whose transport checks
// every request with Transport.
func Client(c *http.Client, service, hint string) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	}
	if t, ok := cc.Transport.(*Transport); ok && t.Service == service && t.Hint == hint {
		return &cc
	}
	cc.Transport = &Transport{Base: cc.Transport, Service: service, Hint: hint}
	return &cc
}
