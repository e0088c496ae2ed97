package cognitostandin

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/audience-uploader/audience-uploader/backend/auth/srp"
)

const (
	sessionTTL      = 3 * time.Minute // Cognito's default for challenge sessions
	refreshTTL      = 30 * 24 * time.Hour
	maxClockSkew    = 5 * time.Minute
	maxCodeMismatch = 3
	wrongCredsMsg   = "Incorrect username or password."
)

type authResult struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int64  `json:"ExpiresIn"`
	IdToken      string `json:"IdToken"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	TokenType    string `json:"TokenType"`
	// NewDeviceMetadata names the device of a sign-in from an unknown
	// computer when the pool tracks devices; the client confirms it.
	NewDeviceMetadata *deviceMetadata `json:"NewDeviceMetadata,omitempty"`
}

type deviceMetadata struct {
	DeviceKey      string `json:"DeviceKey"`
	DeviceGroupKey string `json:"DeviceGroupKey"`
}

type authResponse struct {
	ChallengeName        string            `json:"ChallengeName,omitempty"`
	ChallengeParameters  map[string]string `json:"ChallengeParameters,omitempty"`
	Session              string            `json:"Session,omitempty"`
	AuthenticationResult *authResult       `json:"AuthenticationResult,omitempty"`
}

type authRequest struct {
	AuthFlow           string            `json:"AuthFlow"`
	ChallengeName      string            `json:"ChallengeName"`
	ClientId           string            `json:"ClientId"`
	AuthParameters     map[string]string `json:"AuthParameters"`
	ChallengeResponses map[string]string `json:"ChallengeResponses"`
	Session            string            `json:"Session"`
}

func (s *Server) idp(op string, body []byte) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "InitiateAuth":
		var req authRequest
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		return s.initiateAuth(req)
	case "RespondToAuthChallenge":
		var req authRequest
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		return s.respond(req)
	case "AssociateSoftwareToken":
		var req struct{ Session, AccessToken string }
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		return s.associateSoftwareToken(req.Session, req.AccessToken)
	case "VerifySoftwareToken":
		var req struct{ Session, AccessToken, UserCode string }
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		return s.verifySoftwareToken(req.Session, req.AccessToken, req.UserCode)
	case "RevokeToken":
		var req struct{ Token, ClientId, ClientSecret string }
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		if e := s.checkClient(req.ClientId); e != nil {
			return nil, e
		}
		if rt, ok := s.refresh[req.Token]; ok && rt.clientID == req.ClientId {
			delete(s.refresh, req.Token)
		}
		return struct{}{}, nil
	case "ConfirmDevice":
		var req struct {
			AccessToken, DeviceKey, DeviceName string
			DeviceSecretVerifierConfig         struct{ PasswordVerifier, Salt string }
		}
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		return s.confirmDevice(req.AccessToken, req.DeviceKey, req.DeviceSecretVerifierConfig.PasswordVerifier, req.DeviceSecretVerifierConfig.Salt)
	case "UpdateDeviceStatus":
		var req struct{ AccessToken, DeviceKey, DeviceRememberedStatus string }
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		d, e := s.ownDevice(req.AccessToken, req.DeviceKey)
		if e != nil {
			return nil, e
		}
		switch req.DeviceRememberedStatus {
		case "remembered", "not_remembered":
			d.remembered = req.DeviceRememberedStatus == "remembered"
		default:
			return nil, errf("InvalidParameterException", "DeviceRememberedStatus must be remembered or not_remembered")
		}
		return struct{}{}, nil
	case "ForgetDevice":
		var req struct{ AccessToken, DeviceKey string }
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		if _, e := s.ownDevice(req.AccessToken, req.DeviceKey); e != nil {
			return nil, e
		}
		delete(s.devices, req.DeviceKey)
		return struct{}{}, nil
	case "GetUser":
		var req struct{ AccessToken string }
		if e := decode(body, &req); e != nil {
			return nil, e
		}
		return s.getUser(req.AccessToken)
	}
	return nil, errf("UnknownOperationException", "the stand-in does not implement %s", op)
}

func (s *Server) checkClient(clientID string) *apiError {
	if _, ok := s.cfg.Clients[clientID]; !ok {
		return errf("ResourceNotFoundException", "User pool client %s does not exist.", clientID)
	}
	return nil
}

func (s *Server) checkSecretHash(clientID, username, got string) *apiError {
	secret := s.cfg.Clients[clientID]
	if secret == "" {
		return nil
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(secretHash(secret, username, clientID))) {
		return errf("NotAuthorizedException", "Unable to verify secret hash for client %s", clientID)
	}
	return nil
}

func (s *Server) findUser(name string) *user {
	if u := s.users[name]; u != nil {
		return u
	}
	for _, u := range s.users {
		if u.Email != "" && strings.EqualFold(u.Email, name) {
			return u
		}
	}
	return nil
}

func (s *Server) initiateAuth(req authRequest) (any, *apiError) {
	if e := s.checkClient(req.ClientId); e != nil {
		return nil, e
	}
	p := req.AuthParameters
	switch req.AuthFlow {
	case "USER_SRP_AUTH":
		if e := s.checkSecretHash(req.ClientId, p["USERNAME"], p["SECRET_HASH"]); e != nil {
			return nil, e
		}
		u := s.findUser(p["USERNAME"])
		if u == nil {
			return nil, errf("UserNotFoundException", "User does not exist.")
		}
		switch {
		case u.Status == StatusUnconfirmed:
			return nil, errf("UserNotConfirmedException", "User is not confirmed.")
		case u.Status == StatusResetRequired:
			return nil, errf("PasswordResetRequiredException", "Password reset required for the user")
		case u.failed >= s.cfg.MaxFailedAttempts:
			return nil, errf("NotAuthorizedException", "Password attempts exceeded")
		}
		server, A, e := startSRP(p["SRP_A"], u.verifier)
		if e != nil {
			return nil, e
		}
		block := randomBytes(64)
		sess := &authSession{username: u.Username, clientID: req.ClientId, next: "PASSWORD_VERIFIER",
			srp: server, A: A, secretBlock: block, expires: s.cfg.Now().Add(sessionTTL)}
		if d := s.devices[p["DEVICE_KEY"]]; d != nil && d.username == u.Username {
			sess.deviceKey = p["DEVICE_KEY"]
		}
		blockB64 := base64.StdEncoding.EncodeToString(block)
		s.sessions["block:"+blockB64] = sess
		return authResponse{
			ChallengeName: "PASSWORD_VERIFIER",
			ChallengeParameters: map[string]string{
				"SALT":            srp.PadHex(u.salt),
				"SRP_B":           server.PublicHex(),
				"SECRET_BLOCK":    blockB64,
				"USER_ID_FOR_SRP": u.Username,
				"USERNAME":        u.Username,
			},
		}, nil
	case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
		rt, ok := s.refresh[p["REFRESH_TOKEN"]]
		if !ok || rt.clientID != req.ClientId {
			return nil, errf("NotAuthorizedException", "Invalid Refresh Token")
		}
		if s.cfg.Now().After(rt.expires) {
			delete(s.refresh, p["REFRESH_TOKEN"])
			return nil, errf("NotAuthorizedException", "Refresh Token has expired")
		}
		if e := s.checkSecretHash(req.ClientId, rt.username, p["SECRET_HASH"]); e != nil {
			return nil, e
		}
		if rt.deviceKey != "" {
			// Cognito binds refresh tokens to their device: without its
			// key, or before the device was confirmed, they are refused.
			if d := s.devices[rt.deviceKey]; d == nil || !d.confirmed || p["DEVICE_KEY"] != rt.deviceKey {
				return nil, errf("NotAuthorizedException", "Invalid Refresh Token")
			}
		}
		u := s.users[rt.username]
		if u == nil {
			return nil, errf("NotAuthorizedException", "User does not exist.")
		}
		res := s.issueTokens(u, req.ClientId, false)
		return authResponse{AuthenticationResult: res}, nil
	}
	return nil, errf("InvalidParameterException", "the stand-in does not support AuthFlow %q", req.AuthFlow)
}

// startSRP checks the client's public value and answers with the server's,
// for a user's or a device's verifier.
func startSRP(srpA string, verifier *big.Int) (*srp.Server, *big.Int, *apiError) {
	A, err := srp.ParseHex(srpA)
	if err != nil || new(big.Int).Mod(A, srp.N).Sign() == 0 {
		return nil, nil, errf("InvalidParameterException", "SRP_A is not a valid SRP public value")
	}
	server, err := srp.NewServer(verifier)
	if err != nil {
		return nil, nil, errf("InternalErrorException", "%v", err)
	}
	return server, A, nil
}

// claimOK checks a password claim (PASSWORD_VERIFIER, or a device's with its
// group key as the pool name): a fresh TIMESTAMP and the signature only the
// holder of the password can compute.
func (s *Server) claimOK(sess *authSession, poolName, userID string, r map[string]string) bool {
	ts, err := time.Parse(srp.TimestampLayout, r["TIMESTAMP"])
	if err != nil {
		return false
	}
	if d := ts.Sub(s.cfg.Now()); d > maxClockSkew || d < -maxClockSkew {
		return false
	}
	k, err := sess.srp.Key(sess.A)
	if err != nil {
		return false
	}
	want := srp.Signature(k, poolName, userID, sess.secretBlock, r["TIMESTAMP"])
	return hmac.Equal([]byte(want), []byte(r["PASSWORD_CLAIM_SIGNATURE"]))
}

func (s *Server) session(key string) (*authSession, *apiError) {
	sess := s.sessions[key]
	if sess == nil {
		return nil, errf("NotAuthorizedException", "Invalid session for the user.")
	}
	if s.cfg.Now().After(sess.expires) {
		delete(s.sessions, key)
		return nil, errf("NotAuthorizedException", "Invalid session for the user, session is expired.")
	}
	return sess, nil
}

// advance moves a session to its next challenge under a fresh Session token.
func (s *Server) advance(oldKey string, sess *authSession, challenge string, params map[string]string) authResponse {
	delete(s.sessions, oldKey)
	tok := randomToken()
	sess.next = challenge
	sess.expires = s.cfg.Now().Add(sessionTTL)
	sess.mismatches = 0
	s.sessions[tok] = sess
	if params == nil {
		params = map[string]string{}
	}
	params["USER_ID_FOR_SRP"] = sess.username
	return authResponse{ChallengeName: challenge, ChallengeParameters: params, Session: tok}
}

func (s *Server) respond(req authRequest) (any, *apiError) {
	if e := s.checkClient(req.ClientId); e != nil {
		return nil, e
	}
	r := req.ChallengeResponses
	key := req.Session
	if req.ChallengeName == "PASSWORD_VERIFIER" {
		key = "block:" + r["PASSWORD_CLAIM_SECRET_BLOCK"]
	}
	sess, e := s.session(key)
	if e != nil {
		return nil, e
	}
	if req.ChallengeName == "DEVICE_PASSWORD_VERIFIER" {
		delete(s.sessions, key) // one try per SRP exchange
	}
	if sess.clientID != req.ClientId {
		return nil, errf("NotAuthorizedException", "Invalid session for the user.")
	}
	if req.ChallengeName != sess.next {
		return nil, errf("InvalidParameterException", "the session expects a %s response, not %s", sess.next, req.ChallengeName)
	}
	if r["USERNAME"] != "" && s.findUser(r["USERNAME"]) != s.users[sess.username] {
		return nil, errf("NotAuthorizedException", wrongCredsMsg)
	}
	if e := s.checkSecretHash(req.ClientId, sess.username, r["SECRET_HASH"]); e != nil {
		return nil, e
	}
	u := s.users[sess.username]
	switch req.ChallengeName {
	case "PASSWORD_VERIFIER":
		delete(s.sessions, key) // one try per SRP exchange
		if _, err := time.Parse(srp.TimestampLayout, r["TIMESTAMP"]); err != nil {
			return nil, errf("InvalidParameterException", "TIMESTAMP is not in the expected format")
		}
		if !s.claimOK(sess, srp.PoolName(s.cfg.UserPoolID), u.Username, r) {
			u.failed++
			if u.failed >= s.cfg.MaxFailedAttempts {
				return nil, errf("NotAuthorizedException", "Password attempts exceeded")
			}
			return nil, errf("NotAuthorizedException", wrongCredsMsg)
		}
		u.failed = 0
		if u.Status == StatusForceChangePassword {
			attrs := map[string]string{}
			if u.Email != "" {
				attrs["email"] = u.Email
			}
			req := make([]string, 0, len(u.RequiredAttributes))
			for _, a := range u.RequiredAttributes {
				req = append(req, "userAttributes."+a)
			}
			aj, _ := json.Marshal(attrs)
			rj, _ := json.Marshal(req)
			return s.advance(key, sess, "NEW_PASSWORD_REQUIRED", map[string]string{
				"userAttributes": string(aj), "requiredAttributes": string(rj)}), nil
		}
		if d := s.devices[sess.deviceKey]; d != nil && d.confirmed && d.remembered {
			return s.advance(key, sess, "DEVICE_SRP_AUTH", nil), nil
		}
		return s.nextMFA(key, sess, u), nil
	case "DEVICE_SRP_AUTH":
		d := s.devices[sess.deviceKey]
		if d == nil || r["DEVICE_KEY"] != sess.deviceKey {
			return nil, errf("ResourceNotFoundException", "Device does not exist.")
		}
		server, A, e := startSRP(r["SRP_A"], d.verifier)
		if e != nil {
			return nil, e
		}
		sess.srp, sess.A, sess.secretBlock = server, A, randomBytes(64)
		return s.advance(key, sess, "DEVICE_PASSWORD_VERIFIER", map[string]string{
			"SALT": srp.PadHex(d.salt), "SRP_B": server.PublicHex(), "DEVICE_KEY": sess.deviceKey,
			"SECRET_BLOCK": base64.StdEncoding.EncodeToString(sess.secretBlock), "USERNAME": u.Username}), nil
	case "DEVICE_PASSWORD_VERIFIER":
		d := s.devices[sess.deviceKey]
		if d == nil || r["DEVICE_KEY"] != sess.deviceKey || !s.claimOK(sess, d.groupKey, sess.deviceKey, r) {
			return nil, errf("NotAuthorizedException", wrongCredsMsg)
		}
		// A remembered device is the second factor: no MFA challenge.
		return s.finish(key, sess, u), nil
	case "NEW_PASSWORD_REQUIRED":
		pw := r["NEW_PASSWORD"]
		if msg := passwordPolicy(pw); msg != "" {
			return nil, errf("InvalidPasswordException", "Password does not conform to policy: %s", msg)
		}
		if u.Attributes == nil {
			u.Attributes = map[string]string{}
		}
		for _, a := range u.RequiredAttributes {
			v := r["userAttributes."+a]
			if strings.TrimSpace(v) == "" {
				return nil, errf("InvalidParameterException", "Missing required attribute: %s", a)
			}
			u.Attributes[a] = v
		}
		u.salt = new(big.Int).SetBytes(randomBytes(16))
		u.verifier = srp.Verifier(srp.PoolName(s.cfg.UserPoolID), u.Username, pw, u.salt)
		u.Status = StatusConfirmed
		return s.nextMFA(key, sess, u), nil
	case "SOFTWARE_TOKEN_MFA":
		if !s.totpOK(u.TOTPSecret, r["SOFTWARE_TOKEN_MFA_CODE"]) {
			return nil, s.mismatch(key, sess)
		}
		return s.finish(key, sess, u), nil
	case "SMS_MFA":
		if sess.smsCode == "" || !hmac.Equal([]byte(sess.smsCode), []byte(r["SMS_MFA_CODE"])) {
			return nil, s.mismatch(key, sess)
		}
		return s.finish(key, sess, u), nil
	case "SELECT_MFA_TYPE":
		switch r["ANSWER"] {
		case "SOFTWARE_TOKEN_MFA":
			return s.advance(key, sess, "SOFTWARE_TOKEN_MFA", nil), nil
		case "SMS_MFA":
			return s.smsChallenge(key, sess, u), nil
		}
		return nil, errf("InvalidParameterException", "ANSWER must be SMS_MFA or SOFTWARE_TOKEN_MFA")
	case "MFA_SETUP":
		if !sess.verified {
			return nil, errf("InvalidParameterException", "verify the software token before answering MFA_SETUP")
		}
		return s.finish(key, sess, u), nil
	}
	return nil, errf("InvalidParameterException", "unsupported challenge %q", req.ChallengeName)
}

func (s *Server) mismatch(key string, sess *authSession) *apiError {
	sess.mismatches++
	if sess.mismatches >= maxCodeMismatch {
		delete(s.sessions, key)
		return errf("NotAuthorizedException", "Invalid session for the user, too many failed attempts.")
	}
	return errf("CodeMismatchException", "Invalid code received for user")
}

func (s *Server) nextMFA(key string, sess *authSession, u *user) authResponse {
	switch {
	case u.TOTPSecret != "" && u.Phone != "":
		return s.advance(key, sess, "SELECT_MFA_TYPE", map[string]string{"MFAS_CAN_CHOOSE": `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`})
	case u.TOTPSecret != "":
		return s.advance(key, sess, "SOFTWARE_TOKEN_MFA", nil)
	case u.Phone != "":
		return s.smsChallenge(key, sess, u)
	case u.MFASetupRequired:
		return s.advance(key, sess, "MFA_SETUP", map[string]string{"MFAS_CAN_SETUP": `["SOFTWARE_TOKEN_MFA"]`})
	}
	return s.finish(key, sess, u)
}

func (s *Server) smsChallenge(key string, sess *authSession, u *user) authResponse {
	n := new(big.Int).SetBytes(randomBytes(8))
	sess.smsCode = fmt.Sprintf("%06d", new(big.Int).Mod(n, big.NewInt(1_000_000)).Int64())
	s.lastSMS[u.Username] = sess.smsCode
	masked := "+*******"
	if len(u.Phone) >= 4 {
		masked += u.Phone[len(u.Phone)-4:]
	}
	if s.cfg.OnSMS != nil {
		s.cfg.OnSMS(masked, sess.smsCode)
	}
	return s.advance(key, sess, "SMS_MFA", map[string]string{
		"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS", "CODE_DELIVERY_DESTINATION": masked})
}

func (s *Server) finish(key string, sess *authSession, u *user) authResponse {
	delete(s.sessions, key)
	res := s.issueTokens(u, sess.clientID, true)
	if s.cfg.DeviceTracking != DevicesOff {
		// A confirmed device keeps its key; any other sign-in gets a new device.
		deviceKey := sess.deviceKey
		if d := s.devices[deviceKey]; d == nil || !d.confirmed {
			deviceKey = s.cfg.Region + "_" + newUUID()
			d = &device{username: u.Username, groupKey: "-" + randomToken()[:9]}
			s.devices[deviceKey] = d
			res.NewDeviceMetadata = &deviceMetadata{DeviceKey: deviceKey, DeviceGroupKey: d.groupKey}
		}
		rt := s.refresh[res.RefreshToken]
		rt.deviceKey = deviceKey
		s.refresh[res.RefreshToken] = rt
	}
	return authResponse{AuthenticationResult: res}
}

// ownDevice is the access token's user's device with that key.
func (s *Server) ownDevice(accessToken, deviceKey string) (*device, *apiError) {
	claims, e := s.parseToken(accessToken, "access")
	if e != nil {
		return nil, e
	}
	d := s.devices[deviceKey]
	if d == nil || d.username != claims.Username {
		return nil, errf("ResourceNotFoundException", "Device does not exist.")
	}
	return d, nil
}

// confirmDevice stores the device's SRP verifier (PAD hex bytes, base64).
func (s *Server) confirmDevice(accessToken, deviceKey, verifierB64, saltB64 string) (any, *apiError) {
	d, e := s.ownDevice(accessToken, deviceKey)
	if e != nil {
		return nil, e
	}
	v, err1 := base64.StdEncoding.DecodeString(verifierB64)
	salt, err2 := base64.StdEncoding.DecodeString(saltB64)
	if err1 != nil || err2 != nil || len(v) == 0 || len(salt) == 0 {
		return nil, errf("InvalidParameterException", "DeviceSecretVerifierConfig must hold a base64 PasswordVerifier and Salt")
	}
	d.verifier, d.salt = new(big.Int).SetBytes(v), new(big.Int).SetBytes(salt)
	d.confirmed = true
	d.remembered = s.cfg.DeviceTracking == DevicesAlways
	return map[string]bool{"UserConfirmationNecessary": s.cfg.DeviceTracking == DevicesOptIn}, nil
}

func (s *Server) associateSoftwareToken(session, accessToken string) (any, *apiError) {
	if accessToken != "" {
		return nil, errf("InvalidParameterException", "the stand-in associates software tokens during sign-in only (pass Session)")
	}
	sess, e := s.session(session)
	if e != nil {
		return nil, e
	}
	if sess.next != "MFA_SETUP" {
		return nil, errf("InvalidParameterException", "this session is not setting up MFA")
	}
	sess.pendingTOTP = newTOTPSecret()
	delete(s.sessions, session)
	tok := randomToken()
	s.sessions[tok] = sess
	return map[string]string{"SecretCode": sess.pendingTOTP, "Session": tok}, nil
}

func (s *Server) verifySoftwareToken(session, accessToken, code string) (any, *apiError) {
	if accessToken != "" {
		return nil, errf("InvalidParameterException", "the stand-in verifies software tokens during sign-in only (pass Session)")
	}
	sess, e := s.session(session)
	if e != nil {
		return nil, e
	}
	if sess.pendingTOTP == "" {
		return nil, errf("InvalidParameterException", "call AssociateSoftwareToken first")
	}
	if !s.totpOK(sess.pendingTOTP, code) {
		return nil, errf("EnableSoftwareTokenMFAException", "Code mismatch")
	}
	s.users[sess.username].TOTPSecret = sess.pendingTOTP
	s.users[sess.username].MFASetupRequired = false
	sess.verified = true
	delete(s.sessions, session)
	tok := randomToken()
	s.sessions[tok] = sess
	return map[string]string{"Status": "SUCCESS", "Session": tok}, nil
}

func (s *Server) getUser(accessToken string) (any, *apiError) {
	claims, e := s.parseToken(accessToken, "access")
	if e != nil {
		return nil, e
	}
	u := s.users[claims.Username]
	if u == nil {
		return nil, errf("UserNotFoundException", "User does not exist.")
	}
	type attr struct{ Name, Value string }
	attrs := []attr{{"sub", u.Username}}
	if u.Email != "" {
		attrs = append(attrs, attr{"email", u.Email})
	}
	names := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		attrs = append(attrs, attr{k, u.Attributes[k]})
	}
	return map[string]any{"Username": u.Username, "UserAttributes": attrs}, nil
}

// passwordPolicy is Cognito's default policy: 8+ characters with upper,
// lower, digit and symbol. Empty when the password complies.
func passwordPolicy(pw string) string {
	var up, low, dig, sym bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			up = true
		case unicode.IsLower(r):
			low = true
		case unicode.IsDigit(r):
			dig = true
		default:
			sym = true
		}
	}
	switch {
	case len(pw) < 8:
		return "Password not long enough"
	case !up:
		return "Password must have uppercase characters"
	case !low:
		return "Password must have lowercase characters"
	case !dig:
		return "Password must have numeric characters"
	case !sym:
		return "Password must have symbol characters"
	}
	return ""
}
