package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
)

// CredentialsExpiryWindow is how long before expiry AWS credentials are renewed.
const CredentialsExpiryWindow = 5 * time.Minute

// identityProvider gets AWS credentials from the identity pool with the
// session's ID token (GetId once, then GetCredentialsForIdentity).
type identityProvider struct {
	s          *Session
	mu         sync.Mutex
	identityID string
}

// Credentials is an AWS credentials provider backed by the identity pool,
// cached and renewed CredentialsExpiryWindow before expiry.
func (s *Session) Credentials() (aws.CredentialsProvider, error) {
	if s.c.cfg.IdentityPoolID == "" {
		return nil, &Error{Code: CodeSetup, Detail: "no identity pool id is set, so there are no AWS credentials for S3"}
	}
	return aws.NewCredentialsCache(&identityProvider{s: s}, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = CredentialsExpiryWindow
	}), nil
}

func (p *identityProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	tok, err := p.s.Tokens(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("getting AWS credentials: %w", err)
	}
	c := p.s.c
	logins := map[string]string{c.loginsKey(): tok.IDToken}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.identityID == "" {
		out, err := c.ident.GetId(ctx, &cognitoidentity.GetIdInput{
			IdentityPoolId: aws.String(c.cfg.IdentityPoolID), Logins: logins,
		})
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("getting an identity from the identity pool: %w", classify(err, c.now()))
		}
		p.identityID = aws.ToString(out.IdentityId)
	}
	out, err := c.ident.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId: aws.String(p.identityID), Logins: logins,
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("getting AWS credentials from the identity pool: %w", classify(err, c.now()))
	}
	cr := out.Credentials
	if cr == nil || cr.AccessKeyId == nil || cr.SecretKey == nil {
		return aws.Credentials{}, errors.New("getting AWS credentials from the identity pool: the answer held no credentials")
	}
	creds := aws.Credentials{
		AccessKeyID: aws.ToString(cr.AccessKeyId), SecretAccessKey: aws.ToString(cr.SecretKey),
		SessionToken: aws.ToString(cr.SessionToken), Source: "CognitoIdentityPool",
	}
	if cr.Expiration != nil {
		creds.CanExpire, creds.Expires = true, *cr.Expiration
	}
	return creds, nil
}

// Credential sources, as settings.AWSSettings.CredentialSource names them.
const (
	SourceCognito  = "cognito"
	SourceAWSChain = "aws-chain"
)

// AWSConfig builds the AWS SDK configuration for S3: identity-pool
// credentials from a Cognito session, or the standard credential chain
// (environment, profile, SSO) with an optional profile. Endpoint overrides
// come from the SDK's AWS_ENDPOINT_URL_* variables.
//
// Whatever the chain asks for credentials (STS, SSO and its OIDC refresh,
// console sign-in, container credentials, instance metadata) goes only over
// https, plain http to loopback, or plain http to AWS's link-local
// credential addresses (secureurl.AWSCredentialChainClient); anything else
// is refused before a connection is made.
func AWSConfig(ctx context.Context, source, region, profile string, s *Session) (aws.Config, error) {
	return awsConfig(ctx, source, region, profile, s)
}

// awsConfig is AWSConfig; transportOptions are applied to the HTTP
// transport of every credential request (tests route its dials).
func awsConfig(ctx context.Context, source, region, profile string, s *Session, transportOptions ...func(*http.Transport)) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(secureurl.AWSCredentialChainClient(transportOptions...)),
		// The container-credentials provider builds its own HTTP client
		// unless given one; it carries AWS_CONTAINER_AUTHORIZATION_TOKEN.
		config.WithEndpointCredentialOptions(func(o *endpointcreds.Options) {
			o.HTTPClient = secureurl.AWSCredentialChainClient(transportOptions...)
		}),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	switch source {
	case SourceAWSChain:
		if profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(profile))
		}
	case SourceCognito, "":
		if s == nil {
			return aws.Config{}, errors.New("reading from S3 needs a signed-in session: sign in first")
		}
		p, err := s.Credentials()
		if err != nil {
			return aws.Config{}, err
		}
		opts = append(opts, config.WithCredentialsProvider(p))
	default:
		return aws.Config{}, fmt.Errorf("the AWS credential source %q is unknown: choose cognito or aws-chain", source)
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	return cfg, nil
}
