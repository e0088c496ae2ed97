package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/audience-uploader/audience-uploader/backend/auth/srp"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
)

// Challenge names, as Cognito sends them.
const (
	ChallengeNewPassword = "NEW_PASSWORD_REQUIRED"
	ChallengeTOTP        = "SOFTWARE_TOKEN_MFA"
	ChallengeSMS         = "SMS_MFA"
	ChallengeSelectMFA   = "SELECT_MFA_TYPE"
	ChallengeMFASetup    = "MFA_SETUP"
)

// Challenge is what the pool asks for next; the GUI shows one screen each.
type Challenge struct {
	Name string `json:"name"`
	// NEW_PASSWORD_REQUIRED: attributes the person must fill in (e.g. "name").
	RequiredAttributes []string `json:"required_attributes,omitempty"`
	// SELECT_MFA_TYPE: "SMS_MFA" and/or "SOFTWARE_TOKEN_MFA".
	MFAChoices []string `json:"mfa_choices,omitempty"`
	// SMS_MFA: the masked phone number the code went to.
	CodeDestination string `json:"code_destination,omitempty"`
	// MFA_SETUP: the authenticator secret and an otpauth:// URI to show as a QR code.
	SetupSecret string `json:"setup_secret,omitempty"`
	SetupURI    string `json:"setup_uri,omitempty"`
}

// Answer answers the current challenge; only the fields it needs are read.
type Answer struct {
	NewPassword string            `json:"new_password,omitempty"` // NEW_PASSWORD_REQUIRED
	Attributes  map[string]string `json:"attributes,omitempty"`   // NEW_PASSWORD_REQUIRED
	Code        string            `json:"code,omitempty"`         // SOFTWARE_TOKEN_MFA, SMS_MFA, MFA_SETUP
	MFAType     string            `json:"mfa_type,omitempty"`     // SELECT_MFA_TYPE
}

// Tokens are a signed-in person's Cognito tokens.
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
	Username     string // canonical user name (USER_ID_FOR_SRP / cognito:username)
	Email        string
	DeviceKey    string // with device tracking: the device the refresh token is bound to
}

// SignIn is one sign-in in progress: check Challenge, answer it, until Done.
type SignIn struct {
	c         *Client
	typed     string // the name the person typed
	username  string // canonical, once Cognito told it
	session   string
	challenge *Challenge
	tokens    *Tokens

	devices   secrets.Store // where this computer's device is kept; nil: this sign-in only
	device    *Device       // the remembered device offered to the pool, if any
	deviceSRP *srp.Client   // DEVICE_SRP_AUTH's ephemeral values
}

// Challenge is the question pending, nil when signed in.
func (s *SignIn) Challenge() *Challenge { return s.challenge }

// Done reports whether the person is signed in.
func (s *SignIn) Done() bool { return s.tokens != nil }

// Tokens are the result once Done.
func (s *SignIn) Tokens() *Tokens { return s.tokens }

func (c *Client) secretHash(username string) *string {
	if c.cfg.ClientSecret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(c.cfg.ClientSecret))
	m.Write([]byte(username + c.cfg.ClientID))
	return aws.String(base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// StartSignIn runs USER_SRP_AUTH and the password verifier; the password
// never leaves the machine. The result is either Done or has a Challenge.
// devices is where this computer's device credentials are kept for pools
// that track devices (the keychain, with remember-me); with nil they last
// for this sign-in's session only.
func (c *Client) StartSignIn(ctx context.Context, username, password string, devices secrets.Store) (*SignIn, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return nil, &Error{Code: CodeWrongCredentials}
	}
	cl, err := srp.NewClient()
	if err != nil {
		return nil, err
	}
	params := map[string]string{"USERNAME": username, "SRP_A": cl.PublicHex()}
	if h := c.secretHash(username); h != nil {
		params["SECRET_HASH"] = *h
	}
	device := loadDevice(devices, c.cfg.ClientID, username)
	if device != nil {
		params["DEVICE_KEY"] = device.Key
	}
	out, err := c.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: aws.String(c.cfg.ClientID), AuthParameters: params,
	})
	if err != nil {
		return nil, classify(err, c.now())
	}
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier {
		return nil, &Error{Code: CodeService, Detail: fmt.Sprintf("it asked for %s instead of a password proof", out.ChallengeName)}
	}
	p := out.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	salt, err1 := srp.ParseHex(p["SALT"])
	B, err2 := srp.ParseHex(p["SRP_B"])
	block, err3 := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if userID == "" || err1 != nil || err2 != nil || err3 != nil {
		return nil, &Error{Code: CodeService, Detail: "its password challenge was malformed"}
	}
	pool := srp.PoolName(c.cfg.UserPoolID)
	key, err := cl.Key(pool, userID, password, salt, B)
	if err != nil {
		return nil, &Error{Code: CodeService, Err: err}
	}
	ts := srp.Timestamp(c.now())
	resp := map[string]string{
		"USERNAME":                    userID,
		"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE":    srp.Signature(key, pool, userID, block, ts),
		"TIMESTAMP":                   ts,
	}
	if h := c.secretHash(userID); h != nil {
		resp["SECRET_HASH"] = *h
	}
	if device != nil {
		resp["DEVICE_KEY"] = device.Key
	}
	s := &SignIn{c: c, typed: username, username: userID, devices: devices, device: device}
	return s, s.respond(ctx, types.ChallengeNameTypePasswordVerifier, aws.ToString(out.Session), resp)
}

func (s *SignIn) respond(ctx context.Context, name types.ChallengeNameType, session string, resp map[string]string) error {
	in := &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(s.c.cfg.ClientID), ChallengeName: name, ChallengeResponses: resp,
	}
	if session != "" {
		in.Session = aws.String(session)
	}
	out, err := s.c.idp.RespondToAuthChallenge(ctx, in)
	if err != nil {
		return classify(err, s.c.now())
	}
	return s.take(ctx, out.ChallengeName, out.ChallengeParameters, aws.ToString(out.Session), out.AuthenticationResult)
}

// take records what Cognito answered: tokens or the next challenge.
func (s *SignIn) take(ctx context.Context, name types.ChallengeNameType, params map[string]string, session string, res *types.AuthenticationResultType) error {
	s.session = session
	if res != nil && aws.ToString(res.IdToken) != "" {
		t, err := s.c.tokensFrom(res, "")
		if err != nil {
			return err
		}
		switch {
		case res.NewDeviceMetadata != nil:
			if err := s.confirmDevice(ctx, t, res.NewDeviceMetadata); err != nil {
				return err
			}
		case s.device != nil:
			t.DeviceKey = s.device.Key
		}
		s.challenge, s.tokens = nil, t
		return nil
	}
	if u := params["USER_ID_FOR_SRP"]; u != "" {
		s.username = u
	}
	if name == types.ChallengeNameTypeDeviceSrpAuth || name == types.ChallengeNameTypeDevicePasswordVerifier {
		return s.answerDevice(ctx, name, params, session)
	}
	ch := &Challenge{Name: string(name)}
	switch ch.Name {
	case ChallengeNewPassword:
		var req []string
		_ = json.Unmarshal([]byte(params["requiredAttributes"]), &req)
		for _, a := range req {
			ch.RequiredAttributes = append(ch.RequiredAttributes, strings.TrimPrefix(a, "userAttributes."))
		}
	case ChallengeSelectMFA:
		_ = json.Unmarshal([]byte(params["MFAS_CAN_CHOOSE"]), &ch.MFAChoices)
	case ChallengeSMS:
		ch.CodeDestination = params["CODE_DELIVERY_DESTINATION"]
	case ChallengeTOTP:
	case ChallengeMFASetup:
		// Register an authenticator now so the GUI can show the QR code.
		out, err := s.c.idp.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(session)})
		if err != nil {
			return classify(err, s.c.now())
		}
		s.session = aws.ToString(out.Session)
		ch.SetupSecret = aws.ToString(out.SecretCode)
		ch.SetupURI = OTPAuthURI("Audience Uploader", s.username, ch.SetupSecret)
	default:
		return &Error{Code: CodeService, Detail: fmt.Sprintf("it asked for %s, which this app does not support", name)}
	}
	s.challenge = ch
	return nil
}

// OTPAuthURI is the otpauth:// URI authenticator apps scan from a QR code.
func OTPAuthURI(issuer, account, secret string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + q.Encode()
}

// Answer answers the pending challenge. On a wrong code the same challenge
// stays pending so the person can try again.
func (s *SignIn) Answer(ctx context.Context, a Answer) error {
	if s.challenge == nil {
		return fmt.Errorf("answering a sign-in challenge: none is pending")
	}
	resp := map[string]string{"USERNAME": s.username}
	if h := s.c.secretHash(s.username); h != nil {
		resp["SECRET_HASH"] = *h
	}
	switch s.challenge.Name {
	case ChallengeNewPassword:
		if a.NewPassword == "" {
			return &Error{Code: CodeInvalidPassword, Detail: "enter a new password"}
		}
		resp["NEW_PASSWORD"] = a.NewPassword
		var missing []string
		for _, name := range s.challenge.RequiredAttributes {
			v := strings.TrimSpace(a.Attributes[name])
			if v == "" {
				missing = append(missing, name)
				continue
			}
			resp["userAttributes."+name] = v
		}
		if len(missing) > 0 {
			return &Error{Code: CodeMissingAttribute, Detail: "fill in " + strings.Join(missing, ", ")}
		}
		return s.respond(ctx, types.ChallengeNameTypeNewPasswordRequired, s.session, resp)
	case ChallengeTOTP:
		resp["SOFTWARE_TOKEN_MFA_CODE"] = strings.TrimSpace(a.Code)
		return s.respond(ctx, types.ChallengeNameTypeSoftwareTokenMfa, s.session, resp)
	case ChallengeSMS:
		resp["SMS_MFA_CODE"] = strings.TrimSpace(a.Code)
		return s.respond(ctx, types.ChallengeNameTypeSmsMfa, s.session, resp)
	case ChallengeSelectMFA:
		if !contains(s.challenge.MFAChoices, a.MFAType) {
			return fmt.Errorf("choosing a second factor: %q is not one of %s", a.MFAType, strings.Join(s.challenge.MFAChoices, ", "))
		}
		resp["ANSWER"] = a.MFAType
		return s.respond(ctx, types.ChallengeNameTypeSelectMfaType, s.session, resp)
	case ChallengeMFASetup:
		out, err := s.c.idp.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{
			Session: aws.String(s.session), UserCode: aws.String(strings.TrimSpace(a.Code)),
			FriendlyDeviceName: aws.String("Audience Uploader"),
		})
		if err != nil {
			return classify(err, s.c.now())
		}
		if out.Status != types.VerifySoftwareTokenResponseTypeSuccess {
			return &Error{Code: CodeWrongCode}
		}
		return s.respond(ctx, types.ChallengeNameTypeMfaSetup, aws.ToString(out.Session), resp)
	}
	return fmt.Errorf("answering a sign-in challenge: %s is not supported", s.challenge.Name)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// tokensFrom reads an AuthenticationResult; refresh keeps the old refresh token.
func (c *Client) tokensFrom(res *types.AuthenticationResultType, oldRefresh string) (*Tokens, error) {
	t := &Tokens{
		IDToken: aws.ToString(res.IdToken), AccessToken: aws.ToString(res.AccessToken),
		RefreshToken: aws.ToString(res.RefreshToken),
		Expiry:       c.now().Add(time.Duration(res.ExpiresIn) * time.Second),
	}
	if t.RefreshToken == "" {
		t.RefreshToken = oldRefresh
	}
	cl, err := jwtClaims(t.IDToken)
	if err != nil {
		return nil, &Error{Code: CodeService, Detail: "its ID token could not be read", Err: err}
	}
	t.Username, t.Email = cl.Username, cl.Email
	if t.Username == "" {
		t.Username = cl.Sub
	}
	return t, nil
}

type idClaims struct {
	Sub      string `json:"sub"`
	Username string `json:"cognito:username"`
	Email    string `json:"email"`
	Exp      int64  `json:"exp"`
}

// jwtClaims decodes a JWT's payload without checking the signature: the
// token came straight from Cognito over TLS and AWS checks it on use.
func jwtClaims(tok string) (*idClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT")
	}
	body, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("decoding the JWT payload: %w", err)
	}
	var c idClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("parsing the JWT payload: %w", err)
	}
	return &c, nil
}
