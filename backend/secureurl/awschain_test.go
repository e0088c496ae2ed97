package secureurl

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secureurl/securetest"
)

func TestAllowedForAWSCredentials(t *testing.T) {
	for raw, want := range map[string]bool{
		// AWS's link-local credential services, plain http by design.
		"http://169.254.169.254/latest/api/token":     true,
		"http://[fd00:ec2::254]/latest/meta-data/":    true,
		"http://169.254.170.2/v2/credentials/abc":     true,
		"http://169.254.170.23/v1/credentials":        true,
		"http://[fd00:ec2::23]/v1/credentials":        true,
		"http://[::ffff:169.254.169.254]/latest/api/": true,
		"http://169.254.169.254:80/latest/meta-data/": true,
		"https://sts.us-east-1.amazonaws.com/":        true,
		"http://127.0.0.1:8080/":                      true,
		"http://localhost/":                           true,
		"http://sts.example.invalid/":                 false,
		"http://169.254.169.253/":                     false, // the VPC DNS resolver, not a credential service
		"http://169.254.170.3/":                       false,
		"http://[fd00:ec2::255]/":                     false,
		"http://[fe80::1%25eth0]/":                    false,
		"http://instance-data/latest/meta-data/":      false, // names could resolve anywhere
		"http://169.254.169.254.example.invalid/":     false,
		"ftp://169.254.169.254/":                      false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := AllowedForAWSCredentials(u); got != want {
			t.Errorf("AllowedForAWSCredentials(%s) = %v, want %v", raw, got, want)
		}
	}
	// The exemption is the credential chain's only: the general rule
	// (service clients, S3, Cognito) still refuses plain http there.
	if Allowed(&url.URL{Scheme: "http", Host: "169.254.169.254"}) {
		t.Error("Allowed lets plain http to the instance metadata address through")
	}
}

// Every dial goes through the log to one loopback server: a request that
// was not refused reaches it, and one that was refused leaves no dial.
func TestAWSCredentialChainClientRefusesBeforeDialling(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		io.WriteString(w, "credentials")
	}))
	defer srv.Close()
	log := &securetest.DialLog{Target: srv.Listener.Addr().String()}
	c := AWSCredentialChainClient(func(tr *http.Transport) { tr.DialContext = log.DialContext })

	req, _ := http.NewRequest(http.MethodPost, "http://sts.example.invalid/", strings.NewReader("Action=AssumeRole"))
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("plain http to sts.example.invalid was sent")
	}
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Endpoint != "http://sts.example.invalid" {
		t.Fatalf("want a RefusedError for http://sts.example.invalid, got %v", err)
	}
	if len(log.Asked()) != 0 || hits != 0 {
		t.Fatalf("a connection was made: dials %v, requests %d", log.Asked(), hits)
	}

	// The instance metadata and container credential addresses go through.
	for _, raw := range []string{"http://169.254.169.254/latest/api/token", "http://169.254.170.2/v2/credentials/abc"} {
		req, _ := http.NewRequest(http.MethodGet, raw, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s refused: %v", raw, err)
		}
		resp.Body.Close()
	}
	if !log.Dialed("169.254.169.254") || !log.Dialed("169.254.170.2") || hits != 2 {
		t.Fatalf("the link-local credential requests did not go out: dials %v, requests %d", log.Asked(), hits)
	}
}
