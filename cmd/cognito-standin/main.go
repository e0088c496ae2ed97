// Command cognito-standin runs the Cognito user-pool and identity-pool
// stand-in (backend/auth/cognitostandin) as a process, for the demo and for
// trying the app without an AWS account. Point the app at it with
//
//	AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://ADDR
//	AWS_ENDPOINT_URL_COGNITO_IDENTITY=http://ADDR
//
// which it prints on start (with --print-env, as shell assignments). It
// listens on loopback only, and takes its secrets (user passwords, the app
// client secret, the S3 secret key) from the environment or files, never
// from the command line, which every user of the machine can read.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/auth/cognitostandin"
	"github.com/audience-uploader/audience-uploader/backend/standinserve"
	"github.com/audience-uploader/audience-uploader/cmd/internal/standinargs"
)

// userFlags are the --user flags. A password given in one is not echoed
// back in an error (the flag package repeats invalid values): it is noted in
// refused, which the command reports after parsing.
type userFlags struct {
	users   []cognitostandin.User
	refused error
}

func (u *userFlags) String() string { return fmt.Sprintf("%d users", len(u.users)) }

// Set parses username=U,password-env=VAR|password-file=PATH[,email=E][,status=S][,totp=BASE32][,phone=+1…][,required=a;b][,mfa-setup=true].
func (u *userFlags) Set(v string) error {
	var usr cognitostandin.User
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q is not key=value", kv)
		}
		switch k {
		case "username":
			usr.Username = val
		case "password":
			u.refused = errors.New("--user password= is not accepted: a password on the command line is visible to every user of this machine; use password-env=VARIABLE or password-file=PATH")
			return nil
		case "password-env":
			p, ok := os.LookupEnv(val)
			if !ok || p == "" {
				return fmt.Errorf("password-env: the environment variable %s is not set", val)
			}
			usr.Password = p
		case "password-file":
			p, err := standinargs.Secret("", val, "")
			if err != nil {
				return err
			}
			usr.Password = p
		case "email":
			usr.Email = val
		case "status":
			usr.Status = val
		case "totp":
			usr.TOTPSecret = val
		case "phone":
			usr.Phone = val
		case "required":
			usr.RequiredAttributes = strings.Split(val, ";")
		case "mfa-setup":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return fmt.Errorf("mfa-setup: %w", err)
			}
			usr.MFASetupRequired = b
		default:
			return fmt.Errorf("unknown user field %q", k)
		}
	}
	if usr.Username == "" || usr.Password == "" {
		return errors.New("a user needs username= and password-env= or password-file=")
	}
	u.users = append(u.users, usr)
	return nil
}

func main() {
	var users userFlags
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only; port 0 picks a free one)")
	region := flag.String("region", "us-east-1", "AWS region the pools pretend to be in")
	poolID := flag.String("user-pool-id", "us-east-1_Demo", "user pool id")
	clientID := flag.String("client-id", "demo-client", "app client id")
	clientSecretFile := flag.String("client-secret-file", "", "file holding the app client secret (\"-\": standard input's first line); else $COGNITO_STANDIN_CLIENT_SECRET; none: a client without secret, as the template creates")
	identityPool := flag.String("identity-pool-id", "us-east-1:00000000-0000-0000-0000-000000000000", "identity pool id")
	accessKey := flag.String("s3-access-key", "", "access key id handed out by GetCredentialsForIdentity (the S3 server's)")
	secretKeyFile := flag.String("s3-secret-key-file", "", "file holding the secret key handed out by GetCredentialsForIdentity; else $COGNITO_STANDIN_S3_SECRET_KEY")
	var refused standinargs.Refused
	refused.Add(flag.CommandLine, "client-secret", "set COGNITO_STANDIN_CLIENT_SECRET or use --client-secret-file")
	refused.Add(flag.CommandLine, "s3-secret-key", "set COGNITO_STANDIN_S3_SECRET_KEY or use --s3-secret-key-file")
	noSession := flag.Bool("no-session-token", false, "hand out long-term keys without a session token (versitygw needs this)")
	tokenTTL := flag.Duration("token-ttl", time.Hour, "ID/access token lifetime")
	devices := flag.String("device-tracking", "", "remember user devices: empty (off), always or opt-in")
	printEnv := flag.Bool("print-env", false, "print the AWS_ENDPOINT_URL_* assignments on standard output")
	flag.Var(&users, "user", "add a user: username=U,password-env=VARIABLE|password-file=PATH[,email=E][,status=FORCE_CHANGE_PASSWORD][,totp=BASE32][,phone=+15555550123][,required=name;family_name][,mfa-setup=true] (repeatable)")
	flag.Parse()
	if err := errors.Join(refused.Err(), users.refused); err != nil {
		log.Fatalf("cognito-standin: %v", err)
	}
	clientSecret, err := standinargs.Secret("COGNITO_STANDIN_CLIENT_SECRET", *clientSecretFile, "")
	if err != nil {
		log.Fatalf("cognito-standin: %v", err)
	}
	secretKey, err := standinargs.Secret("COGNITO_STANDIN_S3_SECRET_KEY", *secretKeyFile, "")
	if err != nil {
		log.Fatalf("cognito-standin: %v", err)
	}
	if err := run(*addr, cognitostandin.Config{
		Region: *region, UserPoolID: *poolID, Clients: map[string]string{*clientID: clientSecret},
		IdentityPoolID: *identityPool, AccessKeyID: *accessKey, SecretAccessKey: secretKey,
		NoSessionToken: *noSession, TokenTTL: *tokenTTL, DeviceTracking: *devices,
		OnSMS: func(dest, code string) { log.Printf("SMS code sent to %s: %s", dest, code) },
	}, users.users, *printEnv); err != nil {
		log.Fatalf("cognito-standin: %v", err)
	}
}

func run(addr string, cfg cognitostandin.Config, users []cognitostandin.User, printEnv bool) error {
	switch cfg.DeviceTracking {
	case cognitostandin.DevicesOff, cognitostandin.DevicesAlways, cognitostandin.DevicesOptIn:
	default:
		return fmt.Errorf("--device-tracking must be empty, always or opt-in, not %q", cfg.DeviceTracking)
	}
	if err := standinargs.CheckListenAddr(addr); err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	std := cognitostandin.New(cfg)
	for _, u := range users {
		if err := std.AddUser(u); err != nil {
			return err
		}
	}
	return standinserve.Run(addr, std, func(url string) {
		if printEnv {
			fmt.Printf("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=%s\nAWS_ENDPOINT_URL_COGNITO_IDENTITY=%s\n", url, url)
		}
		log.Printf("Cognito stand-in for user pool %s (app client %s, identity pool %s) listening on %s with %d users",
			cfg.UserPoolID, strings.Join(keys(cfg.Clients), ","), cfg.IdentityPoolID, url, len(users))
	})
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
