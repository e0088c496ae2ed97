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
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secureurl/securetest"
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

func TestTransportRefusesBeforeDialling(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		io.WriteString(w, "secret-bearing answer")
	}))
	defer srv.Close()
	log := &securetest.DialLog{Target: srv.Listener.Addr().String()}
	c := Client(log.Client(), "Test Service", "TEST_ENDPOINT")

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
	if len(log.Asked()) != 0 || hits != 0 {
		t.Fatalf("a connection was made: dials %v, requests %d", log.Asked(), hits)
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
	log := &securetest.DialLog{Target: target.Listener.Addr().String()}
	base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, _, _ := net.SplitHostPort(addr); h == "127.0.0.1" {
			var nd net.Dialer
			return nd.DialContext(ctx, network, addr)
		}
		return log.DialContext(ctx, network, addr)
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
	if log.Dialed("elsewhere.invalid") {
		t.Fatal("a connection to elsewhere.invalid was made")
	}
}
