// Package authcmd holds the sign-in, S3 and Clean Rooms subcommands: login,
// logout, whoami, s3 ls, cleanrooms ls and aws set-client-secret. It also
// makes --input accept s3:// and cleanrooms:// URLs in every command that
// takes --input.
package authcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
	"github.com/audience-uploader/audience-uploader/backend/storage"
)

// Environment variables that override the settings file (flags override both).
const (
	EnvRegion         = "AUDIENCE_UPLOADER_REGION"
	EnvUserPoolID     = "AUDIENCE_UPLOADER_USER_POOL_ID"
	EnvClientID       = "AUDIENCE_UPLOADER_CLIENT_ID"
	EnvClientSecret   = "AUDIENCE_UPLOADER_CLIENT_SECRET"
	EnvIdentityPoolID = "AUDIENCE_UPLOADER_IDENTITY_POOL_ID"
)

// deps are what the commands reach outside the process; tests replace them.
type deps struct {
	// store is where sessions are remembered; ok=false means memory only.
	store func() (s secrets.Store, ok bool)
	// readSecret reads a line from the terminal with echo off.
	readSecret func(prompt string, stderr io.Writer) (string, error)
}

func defaultDeps() deps {
	return deps{
		store: func() (secrets.Store, bool) {
			if err := secrets.Probe(); err != nil {
				return secrets.Memory(), false
			}
			return secrets.Keychain(), true
		},
		readSecret: func(prompt string, stderr io.Writer) (string, error) {
			tty, err := os.Open("/dev/tty")
			fd := int(os.Stdin.Fd())
			if err == nil {
				defer tty.Close()
				fd = int(tty.Fd())
			}
			if !term.IsTerminal(fd) {
				return "", cli.UsageError(errors.New("there is no terminal to ask for it: pass --password-stdin and write it to standard input"))
			}
			fmt.Fprint(stderr, prompt)
			b, err := term.ReadPassword(fd)
			fmt.Fprintln(stderr)
			return string(b), err
		},
	}
}

// Commands are login, logout, whoami, s3, cleanrooms and aws.
func Commands() []*cobra.Command { return defaultDeps().commands() }

// Openers read --input s3://bucket/key (or a prefix ending in "/") and
// cleanrooms://MEMBERSHIP_ID/QUERY_ID|latest with the signed-in session or
// the AWS chain, for the CLI's one inputs.Resolver (backend/cli/commands).
func Openers() map[string]inputs.Opener { return defaultDeps().openers() }

func (d deps) openers() map[string]inputs.Opener {
	return map[string]inputs.Opener{inputs.SchemeS3: d.openS3Source, inputs.SchemeCleanRooms: d.openCleanRoomsSource}
}

func (d deps) commands() []*cobra.Command {
	return []*cobra.Command{d.loginCmd(), d.logoutCmd(), d.whoamiCmd(), d.s3Cmd(), d.cleanroomsCmd(), d.awsCmd()}
}

type poolFlags struct{ region, userPool, client, identityPool string }

func (f *poolFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.region, "region", "", "AWS region of the user pool (default: settings, $"+EnvRegion+")")
	c.Flags().StringVar(&f.userPool, "user-pool-id", "", "Cognito user pool id, e.g. eu-west-1_AbCd1234 (default: settings, $"+EnvUserPoolID+")")
	c.Flags().StringVar(&f.client, "client-id", "", "Cognito app client id (default: settings, $"+EnvClientID+")")
	c.Flags().StringVar(&f.identityPool, "identity-pool-id", "", "Cognito identity pool id, for S3 credentials (default: settings, $"+EnvIdentityPoolID+")")
}

func pick(flag, env string, setting *string) {
	if v := os.Getenv(env); v != "" {
		*setting = v
	}
	if flag != "" {
		*setting = flag
	}
}

// resolve merges settings file, environment and flags, and finds the app
// client secret (environment or keychain) when the client has one.
func (d deps) resolve(ctx context.Context, f poolFlags, store secrets.Store) (*auth.Client, settings.Settings, error) {
	s, err := settings.Load()
	if err != nil {
		return nil, s, fmt.Errorf("reading the settings: %w", err)
	}
	a := &s.AWS
	pick(f.region, EnvRegion, &a.Region)
	pick(f.userPool, EnvUserPoolID, &a.UserPoolID)
	pick(f.client, EnvClientID, &a.AppClientID)
	pick(f.identityPool, EnvIdentityPoolID, &a.IdentityPoolID)
	if a.UserPoolID == "" || a.AppClientID == "" {
		return nil, s, cli.UsageError(errors.New("no Cognito user pool is configured: pass --region, --user-pool-id and --client-id, or set them in the app's Settings"))
	}
	if a.Region == "" {
		a.Region, _, _ = strings.Cut(a.UserPoolID, "_")
	}
	cfg := auth.ConfigFromSettings(*a)
	cfg.ClientSecret = os.Getenv(EnvClientSecret)
	if cfg.ClientSecret == "" && store != nil {
		if v, err := store.Get(auth.ClientSecretKey(a.AppClientID)); err == nil {
			cfg.ClientSecret = v
		}
	}
	c, err := auth.NewClient(ctx, cfg)
	return c, s, err
}

// lineReader hands out lines of standard input (--password-stdin) or asks
// on the terminal.
type lineReader struct {
	stdin  *bufio.Reader // nil: ask on the terminal
	stderr io.Writer
	secret func(prompt string, stderr io.Writer) (string, error)
	plain  *bufio.Reader
}

func (l *lineReader) read(what string, secret bool) (string, error) {
	if l.stdin != nil {
		line, err := l.stdin.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if err != nil && (err != io.EOF || line == "") {
			return "", cli.UsageError(fmt.Errorf("standard input ended before the %s", what))
		}
		return line, nil
	}
	prompt := strings.ToUpper(what[:1]) + what[1:] + ": "
	if secret {
		return l.secret(prompt, l.stderr)
	}
	fmt.Fprint(l.stderr, prompt)
	line, err := l.plain.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	return strings.TrimSpace(line), nil
}

func (d deps) loginCmd() *cobra.Command {
	var f poolFlags
	var username string
	var passwordStdin, noRemember bool
	c := &cobra.Command{
		Use:   "login --username U [--password-stdin]",
		Short: "Sign in to the Cognito user pool (SRP: the password never leaves this machine)",
		Long: "Sign in to the Cognito user pool. With --password-stdin the first line of standard input is\n" +
			"the password; when Cognito asks for a new password, the next line is the new password\n" +
			"(then one line per required attribute); when it asks for a code, the next line is the code.\n" +
			"Without it, the password is asked for on the terminal with echo off.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(username) == "" {
				return cli.UsageError(errors.New("--username is required"))
			}
			ctx := cmd.Context()
			stderr := cmd.ErrOrStderr()
			store, keychain := d.store()
			client, _, err := d.resolve(ctx, f, store)
			if err != nil {
				return err
			}
			lr := &lineReader{stderr: stderr, secret: d.readSecret, plain: bufio.NewReader(cmd.InOrStdin())}
			if passwordStdin {
				lr.stdin = lr.plain
			}
			password, err := lr.read("password", true)
			if err != nil {
				return err
			}
			var rememberIn secrets.Store // the session and, for pools that track devices, this computer
			if keychain && !noRemember {
				rememberIn = store
			}
			s, err := client.StartSignIn(ctx, username, password, rememberIn)
			if ae := (*auth.Error)(nil); errors.As(err, &ae) && ae.Code == auth.CodeSetup && ae.Detail == auth.DetailClientSecret {
				return fmt.Errorf("%w Save the secret with `audience-uploader aws set-client-secret`, or set $%s.", err, EnvClientSecret)
			}
			if err != nil {
				return err
			}
			for !s.Done() {
				if err := answer(ctx, s, lr, stderr); err != nil {
					return err
				}
			}
			sess, err := client.NewSession(s.Tokens(), rememberIn)
			if err != nil {
				return err
			}
			user, email := sess.User()
			fmt.Fprintf(cmd.OutOrStdout(), "Signed in as %s.\n", display(user, email))
			switch {
			case noRemember:
				fmt.Fprintln(stderr, "Not remembered (--no-remember): the sign-in lasted only for this command.")
			case !keychain:
				fmt.Fprintln(stderr, "No OS keychain is available, so the sign-in is not remembered: it lasted only for this command.")
			}
			return nil
		},
	}
	c.Flags().StringVar(&username, "username", "", "user name or e-mail address")
	c.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password (and any new password or code) from standard input, one per line")
	c.Flags().BoolVar(&noRemember, "no-remember", false, "do not keep the session in the OS keychain")
	f.add(c)
	return c
}

func display(user, email string) string {
	if email != "" {
		return email
	}
	return user
}

// answer asks for what the pending challenge needs, and answers it. A wrong
// code from the terminal is asked for again; from standard input it fails.
func answer(ctx context.Context, s *auth.SignIn, lr *lineReader, stderr io.Writer) error {
	ch := s.Challenge()
	var a auth.Answer
	var err error
	switch ch.Name {
	case auth.ChallengeNewPassword:
		fmt.Fprintln(stderr, "Cognito asks you to choose a new password.")
		if a.NewPassword, err = lr.read("new password", true); err != nil {
			return err
		}
		a.Attributes = map[string]string{}
		for _, name := range ch.RequiredAttributes {
			if a.Attributes[name], err = lr.read(strings.ReplaceAll(name, "_", " "), false); err != nil {
				return err
			}
		}
	case auth.ChallengeTOTP:
		if a.Code, err = lr.read("code from your authenticator app", false); err != nil {
			return err
		}
	case auth.ChallengeSMS:
		fmt.Fprintf(stderr, "A code was sent by SMS to %s.\n", ch.CodeDestination)
		if a.Code, err = lr.read("SMS code", false); err != nil {
			return err
		}
	case auth.ChallengeSelectMFA:
		fmt.Fprintf(stderr, "Choose a second factor: %s (or sms / totp).\n", strings.Join(ch.MFAChoices, ", "))
		choice, err := lr.read("second factor", false)
		if err != nil {
			return err
		}
		switch strings.ToLower(choice) {
		case "sms", "sms_mfa":
			a.MFAType = "SMS_MFA"
		case "totp", "app", "software_token_mfa":
			a.MFAType = "SOFTWARE_TOKEN_MFA"
		default:
			a.MFAType = choice
		}
	case auth.ChallengeMFASetup:
		fmt.Fprintf(stderr, "Set up an authenticator app: add this account with the key %s\nor open/scan this URI: %s\n", ch.SetupSecret, ch.SetupURI)
		if a.Code, err = lr.read("code from your authenticator app", false); err != nil {
			return err
		}
	}
	err = s.Answer(ctx, a)
	if auth.CodeOf(err) == auth.CodeWrongCode && lr.stdin == nil {
		fmt.Fprintln(stderr, err)
		return nil // ask again
	}
	return err
}

func (d deps) logoutCmd() *cobra.Command {
	var f poolFlags
	c := &cobra.Command{
		Use:   "logout",
		Short: "Sign out: revoke the session and forget it in the keychain",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, _ := d.store()
			client, _, err := d.resolve(cmd.Context(), f, store)
			if err != nil {
				return err
			}
			if err := client.SignOutRemembered(cmd.Context(), store); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Signed out.")
			return nil
		},
	}
	f.add(c)
	return c
}

var errNotSignedIn = errors.New("not signed in: run `audience-uploader login --username U` first")

func (d deps) session(ctx context.Context, f poolFlags) (*auth.Session, settings.Settings, error) {
	store, _ := d.store()
	client, s, err := d.resolve(ctx, f, store)
	if err != nil {
		return nil, s, err
	}
	sess, err := client.Resume(ctx, store)
	if errors.Is(err, secrets.ErrNotFound) {
		return nil, s, errNotSignedIn
	}
	return sess, s, err
}

func (d deps) whoamiCmd() *cobra.Command {
	var f poolFlags
	c := &cobra.Command{
		Use:   "whoami",
		Short: "Show who is signed in",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sess, s, err := d.session(cmd.Context(), f)
			if err != nil {
				return err
			}
			user, email := sess.User()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Signed in as %s\n", display(user, email))
			fmt.Fprintf(out, "User:       %s\n", user)
			fmt.Fprintf(out, "User pool:  %s (app client %s)\n", s.AWS.UserPoolID, s.AWS.AppClientID)
			fmt.Fprintf(out, "Tokens:     valid until %s\n", sess.Expiry().Local().Format(time.DateTime))
			return nil
		},
	}
	f.add(c)
	return c
}

// awsConfig is the S3 configuration the settings choose: the AWS credential
// chain, or identity-pool credentials from the remembered sign-in.
func (d deps) awsConfig(ctx context.Context, f poolFlags) (aws.Config, error) {
	s, err := settings.Load()
	if err != nil {
		return aws.Config{}, fmt.Errorf("reading the settings: %w", err)
	}
	if s.AWS.CredentialSource == auth.SourceAWSChain {
		return auth.AWSConfig(ctx, auth.SourceAWSChain, s.AWS.Region, s.AWS.Profile, nil)
	}
	sess, s, err := d.session(ctx, f)
	if err != nil {
		return aws.Config{}, err
	}
	return auth.AWSConfig(ctx, auth.SourceCognito, s.AWS.Region, "", sess)
}

func (d deps) openS3Source(url string) (inputs.Source, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := d.awsConfig(ctx, poolFlags{})
	if err != nil {
		return inputs.Source{}, err
	}
	// The source outlives this call: its reads use the transform's context.
	return storage.New(cfg, storage.Options{}).Source(ctx, url)
}

func (d deps) s3Cmd() *cobra.Command {
	s3 := &cobra.Command{Use: "s3", Short: "Browse the data bucket"}
	var f poolFlags
	var pageSize int
	ls := &cobra.Command{
		Use:   "ls [s3://bucket/prefix]",
		Short: "List folders and objects under a prefix (default: the bucket and prefix in Settings)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := settings.Load()
			if err != nil {
				return fmt.Errorf("reading the settings: %w", err)
			}
			bucket, prefix := s.AWS.Bucket, s.AWS.Prefix
			if len(args) == 1 {
				if bucket, prefix, err = storage.ParseURL(args[0]); err != nil {
					return cli.UsageError(err)
				}
			}
			if bucket == "" {
				return cli.UsageError(errors.New("no bucket given: pass s3://bucket/prefix or set the data bucket in Settings"))
			}
			cfg, err := d.awsConfig(ctx, f)
			if err != nil {
				return err
			}
			client := storage.New(cfg, storage.Options{})
			out := cmd.OutOrStdout()
			token := ""
			for {
				p, err := client.List(ctx, bucket, prefix, token, pageSize)
				if err != nil {
					return err
				}
				for _, e := range p.Entries {
					if e.Folder {
						fmt.Fprintf(out, "%19s %12s %s\n", "", "PRE", e.Name)
					} else {
						fmt.Fprintf(out, "%19s %12d %s\n", e.LastModified.Local().Format(time.DateTime), e.Size, e.Name)
					}
				}
				if token = p.NextToken; token == "" {
					return nil
				}
			}
		},
	}
	ls.Flags().IntVar(&pageSize, "page-size", storage.DefaultPageSize, "keys per S3 request (1-1000)")
	f.add(ls)
	s3.AddCommand(ls)
	return s3
}
