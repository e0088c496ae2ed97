// Package auth signs a person in to an Amazon Cognito user pool with SRP
// (every challenge the pool may ask), keeps and refreshes the tokens, turns
// them into AWS credentials through an identity pool (or uses the standard
// AWS credential chain instead), and explains failures in plain words.
package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
)

// Config says which user pool, app client and identity pool to use.
type Config struct {
	Region         string
	UserPoolID     string
	ClientID       string
	ClientSecret   string // only for app clients with a secret; kept in the keychain
	IdentityPoolID string // optional: needed for S3 credentials
	// Endpoint overrides; empty means the SDK's default, which honours
	// AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER / AWS_ENDPOINT_URL_COGNITO_IDENTITY.
	UserPoolEndpoint, IdentityEndpoint string
	HTTPClient                         aws.HTTPClient   // optional
	MaxAttempts                        int              // SDK retry attempts, 0 = SDK default
	Now                                func() time.Time // optional clock (tests)
}

func (c Config) validate() error {
	var missing []string
	if c.Region == "" {
		missing = append(missing, "region")
	}
	if c.UserPoolID == "" {
		missing = append(missing, "user pool id")
	}
	if c.ClientID == "" {
		missing = append(missing, "app client id")
	}
	if len(missing) > 0 {
		return &Error{Code: CodeSetup, Detail: strings.Join(missing, ", ") + " missing"}
	}
	if !strings.Contains(c.UserPoolID, "_") {
		return &Error{Code: CodeSetup, Detail: "a user pool id looks like eu-west-1_AbCd1234"}
	}
	return nil
}

// Client talks to one user pool and identity pool.
type Client struct {
	cfg   Config
	idp   *cip.Client
	ident *cognitoidentity.Client
	now   func() time.Time
}

// NewClient prepares a client; it makes no network call.
func NewClient(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		// These calls are unsigned: anonymous credentials keep the SDK from
		// searching the credential chain (and IMDS) for nothing.
		config.WithCredentialsProvider(aws.AnonymousCredentials{}),
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS SDK configuration for sign-in: %w", err)
	}
	c := &Client{cfg: cfg, now: cfg.Now}
	if c.now == nil {
		c.now = time.Now
	}
	// Passwords' SRP, tokens and ID tokens travel only over https (or to a
	// loopback stand-in), wherever the endpoint came from.
	c.idp = cip.NewFromConfig(awsCfg, func(o *cip.Options) {
		if cfg.UserPoolEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.UserPoolEndpoint)
		}
		o.HTTPClient = secureurl.AWSHTTPClient(o.HTTPClient, "Amazon Cognito user pool",
			"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL and endpoint_url in ~/.aws/config")
	})
	c.ident = cognitoidentity.NewFromConfig(awsCfg, func(o *cognitoidentity.Options) {
		if cfg.IdentityEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.IdentityEndpoint)
		}
		o.HTTPClient = secureurl.AWSHTTPClient(o.HTTPClient, "Amazon Cognito identity pool",
			"AWS_ENDPOINT_URL_COGNITO_IDENTITY, AWS_ENDPOINT_URL and endpoint_url in ~/.aws/config")
	})
	return c, nil
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// loginsKey is the identity pool's name for this user pool.
func (c *Client) loginsKey() string {
	return "cognito-idp." + c.cfg.Region + ".amazonaws.com/" + c.cfg.UserPoolID
}
