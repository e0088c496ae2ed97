package secureurl

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// awsLinkLocalCredentialHosts are where AWS's own credential services answer
// a program running on AWS: the EC2 instance metadata service and the
// ECS/EKS container credential endpoints. The SDK talks to them over plain
// http by design; they are link-local (never routed off the instance, task
// or pod), and we send them no secret of ours, only their own token back.
// The container addresses are the SDK's own list (isIPAllowed in
// aws-sdk-go-v2/config/resolve_credentials.go); IMDS's are its defaults
// (feature/ec2/imds).
var awsLinkLocalCredentialHosts = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // EC2 instance metadata (IMDS), IPv4
	netip.MustParseAddr("fd00:ec2::254"),   // EC2 instance metadata (IMDS), IPv6
	netip.MustParseAddr("169.254.170.2"),   // ECS container credentials
	netip.MustParseAddr("169.254.170.23"),  // EKS Pod Identity, IPv4
	netip.MustParseAddr("fd00:ec2::23"),    // EKS Pod Identity, IPv6
}

// IsAWSLinkLocalCredentialHost reports whether host (a URL's Hostname()) is
// one of the link-local addresses of the EC2 instance metadata service or
// the ECS/EKS container credential endpoints. Only literal addresses
// count: a name could resolve anywhere.
func IsAWSLinkLocalCredentialHost(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	for _, h := range awsLinkLocalCredentialHosts {
		if a == h {
			return true
		}
	}
	return false
}

// AllowedForAWSCredentials is Allowed plus plain http to AWS's link-local
// credential services, the rule for the SDK's credential chain.
func AllowedForAWSCredentials(u *url.URL) bool {
	if Allowed(u) {
		return true
	}
	return strings.EqualFold(u.Scheme, "http") && IsAWSLinkLocalCredentialHost(u.Hostname())
}

// AWSCredentialChainClient is the HTTP client to give aws.Config when the
// SDK's credential chain fetches credentials: STS AssumeRole and
// AssumeRoleWithWebIdentity, SSO GetRoleCredentials and its OIDC token
// refresh, console sign-in, container credentials and the instance
// metadata service. Each request must satisfy AllowedForAWSCredentials, or
// it is refused with a *RefusedError before any connection is made.
//
// It stays a *BuildableClient because config.LoadDefaultConfig adds
// AWS_CA_BUNDLE / ca_bundle to it and refuses any other kind of client. A
// BuildableClient builds its own http.Transport, so the check sits in the
// one per-request hook that Transport calls before dialling: Proxy.
// transportOptions (tests: a dial log) are applied first.
func AWSCredentialChainClient(transportOptions ...func(*http.Transport)) *awshttp.BuildableClient {
	opts := append(append([]func(*http.Transport){}, transportOptions...), refuseUnsafeCredentialRequests)
	return awshttp.NewBuildableClient().WithTransportOptions(opts...)
}

// refuseUnsafeCredentialRequests makes tr's Proxy hook refuse requests that
// AllowedForAWSCredentials rejects, then ask the original hook (the
// environment's proxy settings) as before. http.Transport calls Proxy for
// every request, redirects included, before it looks for a connection, and
// returns its error as the request's error. Transport.Clone keeps it.
func refuseUnsafeCredentialRequests(tr *http.Transport) {
	next := tr.Proxy
	tr.Proxy = func(req *http.Request) (*url.URL, error) {
		if !AllowedForAWSCredentials(req.URL) {
			service, hint := credentialServiceOf(req)
			return nil, &RefusedError{Endpoint: endpoint(req.URL), Service: service, Hint: hint}
		}
		if next == nil {
			return nil, nil
		}
		return next(req)
	}
}

// credentialServiceOf names the AWS service a refused request was for (the
// SDK puts its service id in the request's context) and where its endpoint
// is configured.
func credentialServiceOf(req *http.Request) (service, hint string) {
	const files = " and endpoint_url in ~/.aws/config"
	switch id := awsmiddleware.GetServiceID(req.Context()); id {
	case "":
		// The instance metadata and container credential clients set no
		// service id.
		return "AWS credential provider", "AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_CONTAINER_CREDENTIALS_FULL_URI " +
			"and ec2_metadata_service_endpoint in ~/.aws/config"
	default:
		env := "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(id, " ", "_"))
		return "AWS " + id, env + ", AWS_ENDPOINT_URL" + files
	}
}
