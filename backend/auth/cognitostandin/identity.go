package cognitostandin

import (
	"crypto/sha256"
	"fmt"
)

type credentials struct {
	AccessKeyId  string  `json:"AccessKeyId"`
	SecretKey    string  `json:"SecretKey"`
	SessionToken string  `json:"SessionToken,omitempty"`
	Expiration   float64 `json:"Expiration"` // epoch seconds, as AWS sends it
}

func (s *Server) identity(op string, body []byte) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var req struct {
		IdentityPoolId string
		IdentityId     string
		Logins         map[string]string
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	c, e := s.checkLogins(req.Logins)
	if e != nil {
		return nil, e
	}
	id := s.identityID(c.Sub)
	switch op {
	case "GetId":
		if req.IdentityPoolId != s.cfg.IdentityPoolID {
			return nil, errf("ResourceNotFoundException", "IdentityPool '%s' not found.", req.IdentityPoolId)
		}
		return map[string]string{"IdentityId": id}, nil
	case "GetCredentialsForIdentity":
		if req.IdentityId != id {
			return nil, errf("NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")
		}
		exp := s.cfg.Now().Add(s.cfg.CredentialsTTL)
		cr := credentials{AccessKeyId: s.cfg.AccessKeyID, SecretKey: s.cfg.SecretAccessKey, Expiration: float64(exp.Unix())}
		if !s.cfg.NoSessionToken {
			cr.SessionToken = randomToken()
		}
		return map[string]any{"IdentityId": id, "Credentials": cr}, nil
	}
	return nil, errf("UnknownOperationException", "the stand-in does not implement %s", op)
}

func (s *Server) checkLogins(logins map[string]string) (*claims, *apiError) {
	provider := "cognito-idp." + s.cfg.Region + ".amazonaws.com/" + s.cfg.UserPoolID
	tok, ok := logins[provider]
	if !ok || len(logins) != 1 {
		return nil, errf("NotAuthorizedException", "Logins must name exactly the provider %s", provider)
	}
	c, e := s.parseToken(tok, "id")
	if e != nil {
		return nil, errf("NotAuthorizedException", "Invalid login token. %s", e.Message)
	}
	return c, nil
}

func (s *Server) identityID(sub string) string {
	h := sha256.Sum256([]byte(s.cfg.IdentityPoolID + sub))
	return fmt.Sprintf("%s:%x-%x-%x-%x-%x", s.cfg.Region, h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
