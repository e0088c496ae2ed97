package secureurl

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestAllowed(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://cognito-idp.eu-west-1.amazonaws.com/": true,
		"https://192.0.2.7:8443/":                      true,
		"http://127.0.0.1:9000/":                       true,
		"http://127.8.9.10/":                           true,
		"http://[::1]:9000/":                           true,
		"http://localhost:9000/":                       true,
		"http://LOCALHOST/":                            true,
		"http://example.invalid/":                      false,
		"http://192.0.2.7/":                            false,
		"http://[fd00::2]:9000/":                       false,
		"http://localhost.example.com/":                false,
		"http://127.0.0.1.example.com/":                false,
		"ftp://127.0.0.1/":                             false,
		"ws://example.invalid/":                        false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := Allowed(u); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", raw, got, want)
		}
	}
}

// dialLog is a dialer that records every address asked for and connects to
// target instead, so a request that slips through reaches a real server
// (and the test sees it) without needing the asked-for host to exist.
type dialLog struct {
	target string
	mu     sync.Mutex
	asked  []string
}

func (d *dialLog) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.target)
}

func (d *dialLog) dialed(host string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.asked {
		if h, _, _ := net.SplitHostPort(a); h == host {
			return true
		}
	}
	return false
}

func TestTransportRefusesBeforeDialling(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		io.WriteString(w, "secret-bearing answer")
	}))
	defer srv.Close()
	log := &dialLog{target: srv.Listener.Addr().String()}
	c := Client(&http.Client{Transport: &http.Transport{DialContext: log.dial}}, "Test Service", "TEST_ENDPOINT")

	resp, err := c.Post("http://example.invalid/token", "text/plain", strings.NewReader("refresh-token"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("plain http to example.invalid was sent")
	}
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("error is not a RefusedError: %v", err)
	}
	for _, want := range []string{"Test Service", "http://example.invalid", "https://", "TEST_ENDPOINT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if len(log.asked) != 0 || hits != 0 {
		t.Fatalf("a connection was made: dials %v, requests %d", log.asked, hits)
	}

	// Loopback http still works, through the same client.
	resp, err = c.Get(srv.URL)
	if err != nil {
		t.Fatalf("loopback http refused: %v", err)
	}
	resp.Body.Close()
	if hits != 1 {
		t.Fatalf("loopback request reached the server %d times", hits)
	}
}

func TestTransportRefusesRedirectToPlainHTTP(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// 307 keeps the method and body: the body would be resent there.
		http.Redirect(w, r, "http://elsewhere.invalid/token", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	log := &dialLog{target: target.Listener.Addr().String()}
	base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, _, _ := net.SplitHostPort(addr); h == "127.0.0.1" {
			var nd net.Dialer
			return nd.DialContext(ctx, network, addr)
		}
		return log.dial(ctx, network, addr)
	}}
	c := Client(&http.Client{Transport: base}, "Test Service", "")
	resp, err := c.Post(redirector.URL, "text/plain", strings.NewReader("refresh-token"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("the redirect to plain http was followed")
	}
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Endpoint != "http://elsewhere.invalid" {
		t.Fatalf("want a RefusedError for http://elsewhere.invalid, got %v", err)
	}
	if log.dialed("elsewhere.invalid") {
		t.Fatal("a connection to elsewhere.invalid was made")
	}
}
