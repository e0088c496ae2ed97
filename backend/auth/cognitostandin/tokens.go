package cognitostandin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// claims are the JWT claims the app reads from Cognito's tokens.
type claims struct {
	Sub      string `json:"sub"`
	Username string `json:"cognito:username,omitempty"`
	Email    string `json:"email,omitempty"`
	TokenUse string `json:"token_use"`
	Aud      string `json:"aud,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Iss      string `json:"iss"`
	Iat      int64  `json:"iat"`
	Exp      int64  `json:"exp"`
}

func (s *Server) issuer() string {
	return "https://cognito-idp." + s.cfg.Region + ".amazonaws.com/" + s.cfg.UserPoolID
}

// sign makes an HS256 JWT; only the stand-in verifies its own tokens.
func (s *Server) sign(c claims) string {
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(c)
	msg := head + "." + base64.RawURLEncoding.EncodeToString(body)
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) issueTokens(u *user, clientID string, withRefresh bool) *authResult {
	now := s.cfg.Now()
	base := claims{Sub: u.Username, Username: u.Username, Iss: s.issuer(), Iat: now.Unix(), Exp: now.Add(s.cfg.TokenTTL).Unix()}
	id := base
	id.TokenUse, id.Aud, id.Email = "id", clientID, u.Email
	access := base
	access.TokenUse, access.ClientID = "access", clientID
	res := &authResult{AccessToken: s.sign(access), IdToken: s.sign(id),
		ExpiresIn: int64(s.cfg.TokenTTL / time.Second), TokenType: "Bearer"}
	if withRefresh {
		res.RefreshToken = randomToken()
		s.refresh[res.RefreshToken] = refreshToken{username: u.Username, clientID: clientID, expires: now.Add(refreshTTL)}
	}
	return res
}

func (s *Server) parseToken(tok, use string) (*claims, *apiError) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errf("NotAuthorizedException", "Invalid token")
	}
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return nil, errf("NotAuthorizedException", "Invalid token")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c claims
	if err != nil || json.Unmarshal(body, &c) != nil || c.TokenUse != use {
		return nil, errf("NotAuthorizedException", "Invalid token")
	}
	if s.cfg.Now().Unix() >= c.Exp {
		return nil, errf("NotAuthorizedException", "Token expired")
	}
	return &c, nil
}
