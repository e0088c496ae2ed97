// Package cognitostandin is a Cognito user pool and identity pool that run
// in-process (or as cmd/cognito-standin) and speak the same JSON protocol as
// AWS (`X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth`, …).
// It stores SRP verifiers, really checks password claims, and drives every
// challenge the app handles, so the sign-in code is tested against the wire
// protocol rather than a mock of our own interfaces. No AWS account needed.
package cognitostandin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/auth/srp"
)

// User statuses, as Cognito names them.
const (
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	StatusResetRequired       = "RESET_REQUIRED"
	StatusUnconfirmed         = "UNCONFIRMED"
)

// Config describes the one user pool (and identity pool) the stand-in serves.
type Config struct {
	Region         string            // e.g. "eu-west-1"
	UserPoolID     string            // e.g. "eu-west-1_Demo"
	Clients        map[string]string // app client id -> client secret ("" = no secret)
	IdentityPoolID string            // e.g. "eu-west-1:1111-…"
	// What GetCredentialsForIdentity hands out: keys the test S3 server accepts.
	AccessKeyID, SecretAccessKey string
	// NoSessionToken hands out long-term keys only: versitygw refuses the
	// session token real identity pools add.
	NoSessionToken    bool
	TokenTTL          time.Duration    // id/access token lifetime, default 1h
	CredentialsTTL    time.Duration    // identity-pool credentials, default 1h
	MaxFailedAttempts int              // default 5
	Now               func() time.Time // default time.Now
	// OnSMS is told each SMS code "sent" (the demo prints it), with the
	// masked destination only.
	OnSMS func(maskedPhone, code string)
	// DeviceTracking is the pool's "remember user devices" setting:
	// DevicesOff (default), DevicesAlways or DevicesOptIn. With tracking on,
	// every sign-in from an unknown device gets NewDeviceMetadata, refresh
	// tokens work only with their confirmed device's DEVICE_KEY, and a
	// remembered device signs in through DEVICE_SRP_AUTH without MFA.
	DeviceTracking string
	// Hold, when set, is called with each operation's name (e.g.
	// "RespondToAuthChallenge") before it is served, outside the stand-in's
	// lock: a test blocks in it to keep a request in flight while it does
	// something else, then lets it go on.
	Hold func(op string)
}

// Device tracking settings (Config.DeviceTracking).
const (
	DevicesOff    = ""
	DevicesAlways = "always"
	DevicesOptIn  = "opt-in" // remembered only after UpdateDeviceStatus
)

// User is a pool member. Password is only used to compute the verifier.
type User struct {
	Username           string // canonical name, returned as USER_ID_FOR_SRP
	Email              string // alias accepted at sign-in
	Password           string
	Status             string            // default CONFIRMED
	RequiredAttributes []string          // asked for by NEW_PASSWORD_REQUIRED
	TOTPSecret         string            // base32; enables SOFTWARE_TOKEN_MFA
	Phone              string            // enables SMS_MFA
	MFASetupRequired   bool              // MFA is required but no factor yet: MFA_SETUP
	Attributes         map[string]string // extra attributes
}

type user struct {
	User
	salt, verifier *big.Int
	failed         int
}

type authSession struct {
	username    string
	clientID    string
	next        string // the challenge the next RespondToAuthChallenge must answer
	srp         *srp.Server
	A           *big.Int
	secretBlock []byte
	expires     time.Time
	smsCode     string
	pendingTOTP string
	verified    bool
	mismatches  int
	deviceKey   string // a known device of the user, sent with InitiateAuth
}

type refreshToken struct {
	username, clientID string
	deviceKey          string // with device tracking: the device it is bound to
	expires            time.Time
}

// device is one computer a user signed in from, under device tracking.
type device struct {
	username, groupKey string
	salt, verifier     *big.Int // from ConfirmDevice
	confirmed          bool
	remembered         bool
}

// Server is the stand-in. Create it with New; it is an http.Handler.
type Server struct {
	cfg      Config
	tokenKey []byte

	mu       sync.Mutex
	users    map[string]*user
	sessions map[string]*authSession // by Session token or by SECRET_BLOCK
	refresh  map[string]refreshToken
	devices  map[string]*device // by device key
	lastSMS  map[string]string
	calls    map[string]int
}

// New makes a stand-in with no users.
func New(cfg Config) *Server {
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.CredentialsTTL == 0 {
		cfg.CredentialsTTL = time.Hour
	}
	if cfg.MaxFailedAttempts == 0 {
		cfg.MaxFailedAttempts = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{
		cfg:      cfg,
		tokenKey: randomBytes(32),
		users:    map[string]*user{},
		sessions: map[string]*authSession{},
		refresh:  map[string]refreshToken{},
		devices:  map[string]*device{},
		lastSMS:  map[string]string{},
		calls:    map[string]int{},
	}
}

// AddUser stores a user's SRP verifier (never the password).
func (s *Server) AddUser(u User) error {
	if u.Username == "" || u.Password == "" {
		return fmt.Errorf("adding a stand-in user: username and password are required")
	}
	if u.Status == "" {
		u.Status = StatusConfirmed
	}
	salt := new(big.Int).SetBytes(randomBytes(16))
	v := srp.Verifier(srp.PoolName(s.cfg.UserPoolID), u.Username, u.Password, salt)
	u.Password = ""
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Username] = &user{User: u, salt: salt, verifier: v}
	return nil
}

// LastSMSCode is the code most recently "texted" to a user (tests and the demo
// read it here instead of from a phone).
func (s *Server) LastSMSCode(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSMS[username]
}

// Calls counts the operations served, by name (tests check refresh happened).
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Devices counts a user's devices: all of them, and those remembered.
func (s *Server) Devices(username string) (all, remembered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.username == username {
			all++
			if d.remembered {
				remembered++
			}
		}
	}
	return all, remembered
}

// UserTOTPSecret is the authenticator secret registered through MFA_SETUP.
func (s *Server) UserTOTPSecret(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[username]; u != nil {
		return u.TOTPSecret
	}
	return ""
}

// apiError is a Cognito error: the SDK reads __type and message.
type apiError struct {
	Type, Message string
	Status        int
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func errf(typ, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The Date header carries the stand-in's clock so clients can tell skew.
	w.Header().Set("Date", s.cfg.Now().UTC().Format(http.TimeFormat))
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || target == "" {
		http.Error(w, "expected a POST with X-Amz-Target", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeErr(w, errf("InvalidParameterException", "reading the request: %v", err))
		return
	}
	svc, op, _ := strings.Cut(target, ".")
	if s.cfg.Hold != nil {
		s.cfg.Hold(op)
	}
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
	var out any
	var aerr *apiError
	switch svc {
	case "AWSCognitoIdentityProviderService":
		out, aerr = s.idp(op, body)
	case "AWSCognitoIdentityService":
		out, aerr = s.identity(op, body)
	default:
		aerr = errf("UnknownOperationException", "unknown service %q", svc)
	}
	if aerr != nil {
		writeErr(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Type, "message": e.Message})
}

func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return errf("SerializationException", "the request body is not valid JSON: %v", err)
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(48)) }

func secretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TOTP is the RFC 6238 code (SHA-1, 30 s, 6 digits) for a base32 secret at t:
// what an authenticator app shows.
func TOTP(secret string, t time.Time) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return "", fmt.Errorf("decoding the authenticator secret: %w", err)
	}
	return hotp(key, uint64(t.Unix()/30)), nil
}

func hotp(key []byte, counter uint64) string {
	var msg [8]byte
	for i := 7; i >= 0; i-- {
		msg[i] = byte(counter)
		counter >>= 8
	}
	m := hmac.New(newSHA1, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := (uint32(sum[off])&0x7f)<<24 | uint32(sum[off+1])<<16 | uint32(sum[off+2])<<8 | uint32(sum[off+3])
	return fmt.Sprintf("%06d", code%1_000_000)
}

func (s *Server) totpOK(secret, code string) bool {
	now := s.cfg.Now()
	for _, d := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
		want, err := TOTP(secret, now.Add(d))
		if err == nil && hmac.Equal([]byte(want), []byte(code)) {
			return true
		}
	}
	return false
}

func newTOTPSecret() string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(randomBytes(20))
}

// newUUID is a random (version 4) UUID, the shape of Cognito's device keys.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
