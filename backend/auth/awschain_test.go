package auth

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
	"github.com/audience-uploader/audience-uploader/backend/secureurl/securetest"
)

// credentialStandIn answers, over plain http on loopback, the AWS wire
// protocols the SDK's credential chain speaks: STS AssumeRole and
// AssumeRoleWithWebIdentity (query protocol, XML answers), SSO
// GetRoleCredentials (REST/JSON), the EC2 instance metadata service (IMDSv2)
// and the ECS container credentials endpoint. It records each request and
// the host it was addressed to.
type credentialStandIn struct {
	srv   *httptest.Server
	mu    sync.Mutex
	seen  []string // "STS AssumeRole", "SSO GetRoleCredentials", "IMDS …", "ECS …"
	hosts []string // each request's Host
}

const standInExpiration = "2099-01-01T00:00:00Z"

func startCredentialStandIn(t *testing.T) *credentialStandIn {
	s := &credentialStandIn{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *credentialStandIn) record(what string) {
	s.mu.Lock()
	s.seen = append(s.seen, what)
	s.mu.Unlock()
}

func (s *credentialStandIn) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *credentialStandIn) addressedTo(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hosts {
		if h == host {
			return true
		}
	}
	return false
}

func (s *credentialStandIn) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hosts = append(s.hosts, r.Host)
	s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/":
		r.ParseForm()
		action := r.PostForm.Get("Action")
		s.record("STS " + action)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%[1]sResult>
<Credentials><AccessKeyId>ASIA%[2]s</AccessKeyId><SecretAccessKey>secret-from-sts</SecretAccessKey>
<SessionToken>token-from-sts</SessionToken><Expiration>%[3]s</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId><Arn>%[4]s</Arn></AssumedRoleUser>
</%[1]sResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></%[1]sResponse>`,
			action, strings.ToUpper(action), standInExpiration, r.PostForm.Get("RoleArn"))
	case r.Method == http.MethodGet && r.URL.Path == "/federation/credentials":
		s.record("SSO GetRoleCredentials")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"secret-from-sso",`+
			`"sessionToken":"token-from-sso","expiration":4070908800000}}`)
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		s.record("IMDS token")
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
		io.WriteString(w, "imds-session-token")
	case r.Method == http.MethodGet && r.URL.Path == "/latest/meta-data/iam/security-credentials/":
		s.record("IMDS role")
		io.WriteString(w, "uploader-role")
	case r.Method == http.MethodGet && r.URL.Path == "/latest/meta-data/iam/security-credentials/uploader-role":
		s.record("IMDS credentials")
		fmt.Fprintf(w, `{"Code":"Success","LastUpdated":"2024-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",`+
			`"SecretAccessKey":"secret-from-imds","Token":"token-from-imds","Expiration":%q}`, standInExpiration)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/credentials/"):
		s.record("ECS credentials")
		fmt.Fprintf(w, `{"AccessKeyId":"ASIAECS","SecretAccessKey":"secret-from-ecs","Token":"token-from-ecs","Expiration":%q}`,
			standInExpiration)
	default:
		s.record("unexpected " + r.Method + " " + r.URL.Path)
		http.Error(w, "not a credential request", http.StatusNotFound)
	}
}

// isolateCredentialChain keeps the machine's ~/.aws, profile, credentials
// and endpoint variables out of a test; configFile (if not "") becomes the
// shared config file. HOME is a fresh folder, for the SSO token cache.
// AWS_CA_BUNDLE is kept: the chain's client must work with it.
func isolateCredentialChain(t *testing.T, configFile string) (home string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range os.Environ() {
		name, _, _ := strings.Cut(v, "=")
		if strings.HasPrefix(name, "AWS_") && name != "AWS_CA_BUNDLE" {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	path := filepath.Join(home, "no-config")
	if configFile != "" {
		path = filepath.Join(home, "config")
		if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", path)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "no-credentials"))
	return home
}

// chainConfigVia loads the aws-chain configuration as the app does, with
// every request the chain's HTTP clients send going to standIn, whatever
// host it names: each dial is recorded by the returned log and connects to
// standIn, and standIn is also the transport's HTTP proxy (the instance
// metadata client replaces the dialer with its own, not the proxy). A
// request the guard refuses never gets that far, so standIn sees nothing.
func chainConfigVia(t *testing.T, profile string, standIn *credentialStandIn) (*securetest.DialLog, func() (string, error)) {
	t.Helper()
	ctx := context.Background()
	log := &securetest.DialLog{Target: standIn.srv.Listener.Addr().String()}
	proxy, _ := url.Parse(standIn.srv.URL)
	cfg, err := awsConfig(ctx, SourceAWSChain, "us-east-1", profile, nil, func(tr *http.Transport) {
		tr.DialContext = log.DialContext
		tr.Proxy = http.ProxyURL(proxy)
	})
	if err != nil {
		t.Fatalf("loading the aws-chain configuration: %v", err)
	}
	return log, func() (string, error) {
		creds, err := cfg.Credentials.Retrieve(ctx)
		return creds.AccessKeyID, err
	}
}

// assumeRoleProfile is a role assumed with another profile's static keys.
const assumeRoleProfile = `[profile uploader]
role_arn = arn:aws:iam::123456789012:role/uploader
source_profile = base
region = us-east-1
%s
[profile base]
aws_access_key_id = AKIASTATICBASE
aws_secret_access_key = static-base-secret
`

func wantRefused(t *testing.T, err error, endpoint string, mentions ...string) {
	t.Helper()
	var refused *secureurl.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("want the plain http endpoint refused, got %v", err)
	}
	if refused.Endpoint != endpoint {
		t.Errorf("refused %s, want %s", refused.Endpoint, endpoint)
	}
	for _, want := range append(mentions, "https://") {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// The static keys sign an AssumeRole request: over plain http to a host
// other than this computer it is refused before any connection is made,
// wherever the STS endpoint came from.
func TestAWSChainAssumeRoleRefusesPlainHTTPSTS(t *testing.T) {
	const insecure = "http://sts.example.invalid"
	// (The SDK builds the assume-role STS client before it reads
	// AWS_ENDPOINT_URL or a profile's endpoint_url, so those two leave it
	// on https://sts.<region>.amazonaws.com.)
	for _, tc := range []struct{ name, env, profileExtra string }{
		{name: "AWS_ENDPOINT_URL_STS", env: "AWS_ENDPOINT_URL_STS"},
		{name: "services section", profileExtra: "services = local\n\n[services local]\nsts =\n  endpoint_url = " + insecure + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateCredentialChain(t, fmt.Sprintf(assumeRoleProfile, tc.profileExtra))
			if tc.env != "" {
				t.Setenv(tc.env, insecure)
			}
			sts := startCredentialStandIn(t)
			log, retrieve := chainConfigVia(t, "uploader", sts)
			_, err := retrieve()
			wantRefused(t, err, insecure, "AWS STS", "AWS_ENDPOINT_URL_STS")
			if len(log.Asked()) != 0 || len(sts.requests()) != 0 {
				t.Fatalf("a connection was made: dials %v, requests %v", log.Asked(), sts.requests())
			}
		})
	}
}

// A stand-in STS on loopback over plain http still works, with the
// machine's AWS_CA_BUNDLE mechanism in place.
func TestAWSChainAssumeRoleOverLoopbackHTTP(t *testing.T) {
	home := isolateCredentialChain(t, fmt.Sprintf(assumeRoleProfile, ""))
	tls := httptest.NewTLSServer(http.NotFoundHandler())
	tls.Close()
	bundle := filepath.Join(home, "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tls.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	sts := startCredentialStandIn(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.srv.URL)
	log, retrieve := chainConfigVia(t, "uploader", sts)
	key, err := retrieve()
	if err != nil {
		t.Fatalf("assume-role against the loopback stand-in: %v", err)
	}
	if key != "ASIAASSUMEROLE" {
		t.Fatalf("got access key %q, want the stand-in's ASIAASSUMEROLE", key)
	}
	if got := sts.requests(); len(got) != 1 || got[0] != "STS AssumeRole" || len(log.Asked()) == 0 {
		t.Fatalf("the stand-in saw %v (dials %v), want one AssumeRole", got, log.Asked())
	}
}

// The web identity token is sent to STS: refused over plain http elsewhere.
func TestAWSChainWebIdentityRefusesPlainHTTPSTS(t *testing.T) {
	home := isolateCredentialChain(t, "")
	tokenFile := filepath.Join(home, "web-identity-token")
	if err := os.WriteFile(tokenFile, []byte("web-identity-token-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/uploader")
	t.Setenv("AWS_ROLE_SESSION_NAME", "uploader")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://sts.example.invalid:8080")
	sts := startCredentialStandIn(t)
	log, retrieve := chainConfigVia(t, "", sts)
	_, err := retrieve()
	wantRefused(t, err, "http://sts.example.invalid:8080", "AWS STS", "AWS_ENDPOINT_URL_STS")
	if len(log.Asked()) != 0 || len(sts.requests()) != 0 {
		t.Fatalf("a connection was made: dials %v, requests %v", log.Asked(), sts.requests())
	}
}

// The SSO access token goes to GetRoleCredentials: refused over plain http
// elsewhere, sent to a loopback stand-in.
func TestAWSChainSSORefusesPlainHTTPEndpoint(t *testing.T) {
	const startURL = "https://example.awsapps.com/start"
	for _, tc := range []struct {
		name, endpoint string
		refused        bool
	}{
		{name: "elsewhere", endpoint: "http://portal.sso.example.invalid", refused: true},
		{name: "loopback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := isolateCredentialChain(t, `[profile sso]
sso_start_url = `+startURL+`
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Uploader
region = us-east-1
`)
			sum := sha1.Sum([]byte(startURL))
			cache := filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json")
			if err := os.MkdirAll(filepath.Dir(cache), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cache, []byte(`{"accessToken":"sso-access-token-secret","expiresAt":"`+standInExpiration+`"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			sso := startCredentialStandIn(t)
			endpoint := tc.endpoint
			if endpoint == "" {
				endpoint = sso.srv.URL
			}
			t.Setenv("AWS_ENDPOINT_URL_SSO", endpoint)
			log, retrieve := chainConfigVia(t, "sso", sso)
			key, err := retrieve()
			if tc.refused {
				wantRefused(t, err, endpoint, "AWS SSO", "AWS_ENDPOINT_URL_SSO")
				if len(log.Asked()) != 0 || len(sso.requests()) != 0 {
					t.Fatalf("a connection was made: dials %v, requests %v", log.Asked(), sso.requests())
				}
				return
			}
			if err != nil || key != "ASIASSO" {
				t.Fatalf("SSO against the loopback stand-in: key %q, %v", key, err)
			}
		})
	}
}

// The instance metadata service and the ECS container endpoint are plain
// http to link-local addresses by design: the chain still reaches them
// (the dial log sends those connections to the stand-in).
func TestAWSChainReachesLinkLocalCredentialServices(t *testing.T) {
	for _, tc := range []struct {
		name, host, key string
		env             map[string]string
	}{
		{name: "EC2 instance metadata", host: "169.254.169.254", key: "ASIAIMDS"},
		{name: "EC2 instance metadata over IPv6", host: "[fd00:ec2::254]", key: "ASIAIMDS",
			env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"}},
		{name: "ECS container credentials", host: "169.254.170.2", key: "ASIAECS",
			env: map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/task"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateCredentialChain(t, "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			standIn := startCredentialStandIn(t)
			_, retrieve := chainConfigVia(t, "", standIn)
			key, err := retrieve()
			if err != nil || key != tc.key {
				t.Fatalf("credentials from %s: key %q, %v (requests %v)", tc.host, key, err, standIn.requests())
			}
			if !standIn.addressedTo(tc.host) {
				t.Fatalf("no request addressed to %s reached the stand-in: %v", tc.host, standIn.hosts)
			}
		})
	}
}

// The instance metadata endpoint can be moved (AWS_EC2_METADATA_SERVICE_ENDPOINT):
// plain http to anything but its link-local addresses or loopback is refused.
func TestAWSChainInstanceMetadataRefusesPlainHTTPElsewhere(t *testing.T) {
	isolateCredentialChain(t, "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://metadata.example.invalid")
	standIn := startCredentialStandIn(t)
	log, retrieve := chainConfigVia(t, "", standIn)
	_, err := retrieve()
	wantRefused(t, err, "http://metadata.example.invalid", "AWS_EC2_METADATA_SERVICE_ENDPOINT")
	if len(standIn.requests()) != 0 || len(log.Asked()) != 0 {
		t.Fatalf("a request went out: dials %v, requests %v", log.Asked(), standIn.requests())
	}
}
