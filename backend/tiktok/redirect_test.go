package tiktok_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// tokenRecorder is a TLS server that answers an empty audience list and
// records every Access-Token it received.
type tokenRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
}

func newTokenRecorder(t *testing.T, tls bool) *tokenRecorder {
	r := &tokenRecorder{}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.tokens = append(r.tokens, req.Header.Get("Access-Token"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"code":0,"message":"OK","request_id":"r1","data":{"list":[],"page_info":{"page":1,"page_size":100,"total_number":0,"total_page":0}}}`))
	})
	if tls {
		r.Server = httptest.NewTLSServer(h)
	} else {
		r.Server = httptest.NewServer(h)
	}
	t.Cleanup(r.Close)
	return r
}

func (r *tokenRecorder) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.tokens...)
}

// redirector is a TLS server that redirects every request to target + the
// request's path and query.
func redirector(t *testing.T, target string) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, target+req.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// clientVia returns an HTTP client trusting httptest's certificate (which
// names 127.0.0.1 and *.example.com) that reaches any *.example.com host on
// loopback, so a redirect can name a genuinely different host.
func clientVia(srv *httptest.Server) *http.Client {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(host, ".example.com") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

// TestRedirectNeverCarriesTheToken: Go drops Authorization on a cross-host
// redirect but keeps Access-Token, so the client itself must refuse any
// redirect off the configured origin, to another host or from https to
// http, and say why.
func TestRedirectNeverCarriesTheToken(t *testing.T) {
	const token = "PRODUCTION-TOKEN-0123456789"
	otherHost := newTokenRecorder(t, true)
	_, otherPort, _ := net.SplitHostPort(otherHost.Listener.Addr().String())
	plain := newTokenRecorder(t, false)
	tests := []struct {
		name   string
		target string
		rec    *tokenRecorder
	}{
		{"another host over https", "https://evil.example.com:" + otherPort, otherHost},
		{"same loopback address, other port", otherHost.URL, otherHost},
		{"https to plain http on loopback", plain.URL, plain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from := redirector(t, tc.target)
			log := &logSink{}
			c := newClient(t, from.URL+"/open_api/", token, log, func(c *tiktok.Config) { c.HTTPClient = clientVia(from) })
			_, err := c.ListAudiences(context.Background(), "42")
			if !errors.Is(err, tiktok.ErrRedirectRefused) {
				t.Fatalf("err = %v, want ErrRedirectRefused", err)
			}
			if !strings.Contains(err.Error(), "base URL") || strings.Contains(err.Error(), token) {
				t.Fatalf("error does not explain the fix or leaks the token: %v", err)
			}
			if got := tc.rec.received(); len(got) != 0 {
				t.Fatalf("the redirect target received %d request(s) with Access-Token %q", len(got), got)
			}
			if n := len(log.all()); n != 1 {
				t.Fatalf("%d attempts, want 1: a refused redirect is not retried", n)
			}
		})
	}
}

// TestRedirectOnTheSameOriginFollowed: a redirect within the configured
// server (a moved path) still works and carries the token.
func TestRedirectOnTheSameOriginFollowed(t *testing.T) {
	var tokens []string
	var mu sync.Mutex
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/open_api/") {
			http.Redirect(w, req, "/moved"+req.URL.RequestURI(), http.StatusFound)
			return
		}
		mu.Lock()
		tokens = append(tokens, req.Header.Get("Access-Token"))
		mu.Unlock()
		w.Write([]byte(`{"code":0,"message":"OK","request_id":"r1","data":{"list":[],"page_info":{"page":1,"page_size":100,"total_number":0,"total_page":0}}}`))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/open_api/", "tok-1234", nil, func(c *tiktok.Config) { c.HTTPClient = srv.Client() })
	if _, err := c.ListAudiences(context.Background(), "42"); err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 1 || tokens[0] != "tok-1234" {
		t.Fatalf("tokens at the moved path = %q", tokens)
	}
}
