package standin

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// route checks the token, permission and rate limit, then runs the call.
// Caller holds s.mu.
func (s *Server) route(req *request) (int, any, string, *apiError) {
	switch req.token {
	case "":
		return 0, nil, "", errf(400, 190, 0, "An access token is required to request this resource.")
	case s.opts.Token:
	case s.opts.ReadOnlyToken:
		if req.method != http.MethodGet {
			return 0, nil, "", errf(403, 294, 0, "Missing permission. Please make sure you have ads_management permission and the application is included in the allowlist")
		}
	case s.opts.ExpiredToken:
		return 0, nil, "", errf(400, 190, 463, "Error validating access token: Session has expired on %s.", req.now.Add(-time.Hour).UTC().Format(time.RFC1123))
	default:
		return 0, nil, "", errf(400, 190, 0, "Invalid OAuth access token - Cannot parse access token")
	}
	if len(req.path) == 0 {
		return 0, nil, "", errf(400, 100, 0, "(#100) No node specified")
	}

	// The account the call is billed to: named in the path, or the
	// audience's owner.
	var acc *account
	var aud *audience
	if strings.HasPrefix(req.path[0], "act_") {
		acc = s.accounts[strings.TrimPrefix(req.path[0], "act_")]
		if acc == nil {
			return 0, nil, "", errf(400, 100, 33, "(#100) Unsupported get request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", req.path[0])
		}
	} else {
		aud = s.audiences[req.path[0]]
		if aud == nil || aud.deleted {
			return 0, nil, "", errf(400, 100, 33, "(#100) Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", strings.ToLower(req.method), req.path[0])
		}
		acc = s.accounts[aud.account]
	}
	if aerr := s.countCall(acc, req.now); aerr != nil {
		return 0, nil, s.usage(acc, req.now), aerr
	}
	status, body, aerr := s.dispatch(req, acc, aud)
	return status, body, s.usage(acc, req.now), aerr
}

func (s *Server) dispatch(req *request, acc *account, aud *audience) (int, any, *apiError) {
	edge := ""
	if len(req.path) > 1 {
		edge = strings.Join(req.path[1:], "/")
	}
	switch {
	case aud == nil && edge == "" && req.method == http.MethodGet:
		return s.readAccount(req, acc)
	case aud == nil && edge == "customaudiences" && req.method == http.MethodGet:
		return s.list(req, acc)
	case aud == nil && edge == "customaudiences" && req.method == http.MethodPost:
		return s.create(req, acc)
	case aud != nil && edge == "" && req.method == http.MethodGet:
		return s.read(req, aud)
	case aud != nil && edge == "" && req.method == http.MethodPost:
		return s.update(req, aud)
	case aud != nil && edge == "" && req.method == http.MethodDelete:
		aud.deleted = true
		return 200, map[string]any{"success": true}, nil
	case aud != nil && edge == "users" && (req.method == http.MethodPost || req.method == http.MethodDelete):
		return s.users(req, acc, aud, req.method == http.MethodDelete)
	case aud != nil && edge == "usersreplace" && req.method == http.MethodPost:
		return s.replace(req, acc, aud)
	case aud != nil && edge == "sessions" && req.method == http.MethodGet:
		return s.sessions(req, aud)
	}
	return 0, nil, errf(400, 100, 0, "(#100) Unsupported %s request on %s", strings.ToLower(req.method), strings.Join(req.path, "/"))
}

// The custom_audience rate limit (spec §8): calls per ad account in a
// rolling hour, 5000 + 40 × active audiences at Standard access.
const (
	standardBaseCalls     = 5000
	callsPerLiveAudience  = 40
	rateWindow            = time.Hour
	rateLimitedCode       = 80003
	rateLimitedSubcode    = 2446079
	businessUseCaseType   = "custom_audience"
	maxCallsPerHourCeiled = 700000
)

// callLimit is the account's calls per rolling hour. Caller holds s.mu.
func (s *Server) callLimit(acc *account) int {
	if s.opts.CallsPerHour > 0 {
		return s.opts.CallsPerHour
	}
	live := 0
	for _, a := range s.audiences {
		if a.account == acc.id && !a.deleted {
			live++
		}
	}
	return min(standardBaseCalls+callsPerLiveAudience*live, maxCallsPerHourCeiled)
}

func (acc *account) expire(now time.Time) {
	i := 0
	for i < len(acc.calls) && !acc.calls[i].After(now.Add(-rateWindow)) {
		i++
	}
	acc.calls = acc.calls[i:]
}

// countCall counts one call, or answers 80003 when the hour's calls are
// used up (a refused call is not counted). Caller holds s.mu.
func (s *Server) countCall(acc *account, now time.Time) *apiError {
	acc.expire(now)
	if len(acc.calls) >= s.callLimit(acc) {
		s.stats.RateLimited++
		return errf(429, rateLimitedCode, rateLimitedSubcode, "(#80003) There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#custom-audience.")
	}
	acc.calls = append(acc.calls, now)
	return nil
}

// usage is the x-business-use-case-usage header: the share of the hour's
// calls used, in percent, and the minutes until a call is free again.
func (s *Server) usage(acc *account, now time.Time) string {
	if acc == nil {
		return ""
	}
	acc.expire(now)
	limit := s.callLimit(acc)
	pct := 100 * len(acc.calls) / limit
	regain := 0
	if len(acc.calls) >= limit {
		regain = int(math.Ceil(acc.calls[0].Add(rateWindow).Sub(now).Minutes()))
	}
	entry := map[string]any{"type": businessUseCaseType, "call_count": pct, "total_cputime": pct / 2,
		"total_time": pct / 2, "estimated_time_to_regain_access": regain}
	b, _ := json.Marshal(map[string]any{acc.id: []any{entry}})
	return string(b)
}

// readAccount answers GET act_<id>?fields=tos_accepted.
func (s *Server) readAccount(req *request, acc *account) (int, any, *apiError) {
	out := map[string]any{"id": "act_" + acc.id}
	for _, f := range fields(req) {
		switch f {
		case "tos_accepted":
			if acc.termsAccepted {
				out["tos_accepted"] = map[string]int{"custom_audience_tos": 1}
			}
		case "account_id":
			out["account_id"] = acc.id
		}
	}
	return 200, out, nil
}

func fields(req *request) []string {
	var out []string
	for _, f := range strings.Split(req.str("fields"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// termsError is what the audience calls answer until someone accepted the
// Custom Audience Terms for the account.
func termsError(acc *account) *apiError {
	e := errf(400, 200, 1870090, "(#200) Custom Audience Terms Not Accepted: accept them at https://business.facebook.com/ads/manage/customaudiences/tos/?act=%s", acc.id)
	e.UserTitle = "Custom Audience Terms Not Accepted"
	e.UserMsg = fmt.Sprintf("Someone with a role on the ad account must accept the Custom Audience Terms at https://business.facebook.com/ads/manage/customaudiences/tos/?act=%s", acc.id)
	return e
}
