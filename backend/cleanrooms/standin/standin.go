// Package standin is a local AWS Clean Rooms API for tests and `make demo`:
// ListMemberships, GetMembership, ListProtectedQueries and GetProtectedQuery
// over REST-JSON as AWS's service model defines them, with nextToken paging
// (maxResults 1-100), a SigV4 Authorization header required on every
// request, and AccessDeniedException for actions a test denies. The results
// themselves live in a real S3 server (versitygw); the stand-in only says
// where.
package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/standinserve"
)

// Membership is one collaboration the caller belongs to.
type Membership struct {
	ID                 string    `json:"id"`
	CollaborationID    string    `json:"collaboration_id"`
	CollaborationName  string    `json:"collaboration_name"`
	CreatorDisplayName string    `json:"creator_display_name"`
	Status             string    `json:"status,omitempty"`    // default ACTIVE
	Abilities          []string  `json:"abilities,omitempty"` // CAN_QUERY, CAN_RECEIVE_RESULTS, CAN_RUN_JOB
	Created            time.Time `json:"created"`
	// DefaultResult is where results sent to this member are written.
	DefaultResult *S3Output `json:"default_result,omitempty"`
}

// S3Output is an S3 result configuration.
type S3Output struct {
	Bucket    string `json:"bucket"`
	KeyPrefix string `json:"key_prefix,omitempty"`
	Format    string `json:"format"` // CSV or PARQUET
}

// Query is a protected query in a membership.
type Query struct {
	ID             string    `json:"id"`
	MembershipID   string    `json:"membership_id"`
	Status         string    `json:"status"` // SUBMITTED, STARTED, CANCELLING, CANCELLED, FAILED, SUCCESS, TIMED_OUT
	Created        time.Time `json:"created"`
	DurationMillis int64     `json:"duration_ms,omitempty"`
	// S3 is set for results written to S3; Location is then result.output.s3.location.
	S3       *S3Output `json:"s3,omitempty"`
	Location string    `json:"location,omitempty"`
	// MemberAccount is set for results sent to a member (memberList output);
	// the member's location is its membership's DefaultResult.
	MemberAccount string `json:"member_account,omitempty"`
	ErrorCode     string `json:"error_code,omitempty"`
	ErrorMessage  string `json:"error_message,omitempty"`
	// The analysis run: an analysis template's ARN, else the SQL text
	// (default "SELECT hashed_email FROM audience"), as sqlParameters.
	AnalysisTemplateArn string `json:"analysis_template_arn,omitempty"`
	QueryString         string `json:"query_string,omitempty"`
}

// Options configure the stand-in.
type Options struct {
	Region      string       `json:"region,omitempty"` // default us-east-1, in ARNs
	AccountID   string       `json:"account_id,omitempty"`
	Memberships []Membership `json:"memberships"`
	Queries     []Query      `json:"queries"`
	// AccessKeyID, when set, is the only access key accepted in the SigV4
	// Authorization header (others get UnrecognizedClientException).
	AccessKeyID string `json:"access_key_id,omitempty"`
	// DefaultPageSize is how many items a page holds when the request gives
	// no maxResults (AWS's own default is not documented; 100 here).
	DefaultPageSize int `json:"default_page_size,omitempty"`
}

// Server serves one fixed set of memberships and queries.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu    sync.Mutex
	deny  map[string]bool
	calls map[string]int
}

// New makes a stand-in.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "111122223333"
	}
	if opts.DefaultPageSize <= 0 {
		opts.DefaultPageSize = 100
	}
	s := &Server{opts: opts, deny: map[string]bool{}, calls: map[string]int{}}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /memberships", s.listMemberships)
	s.mux.HandleFunc("GET /memberships/{id}", s.getMembership)
	s.mux.HandleFunc("GET /memberships/{id}/protectedQueries", s.listQueries)
	s.mux.HandleFunc("GET /memberships/{id}/protectedQueries/{qid}", s.getQuery)
	return s
}

// Deny makes the stand-in answer AccessDeniedException to an IAM action,
// e.g. "cleanrooms:GetProtectedQuery"; Allow undoes it.
func (s *Server) Deny(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny[action] = true
}

// Allow undoes Deny.
func (s *Server) Allow(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.deny, action)
}

// Calls is how many requests an action has answered (denied ones included).
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkSigV4(r, s.opts.AccessKeyID); err != nil {
		writeError(w, http.StatusForbidden, err.code, err.msg, nil)
		return
	}
	s.mux.ServeHTTP(w, r)
}

type apiError struct{ code, msg string }

// checkSigV4 requires what every signed AWS request carries: a SigV4
// Authorization header scoped to the cleanrooms service, and X-Amz-Date.
// (The signature itself is not recomputed: the stand-in has no secret.)
func checkSigV4(r *http.Request, accessKey string) *apiError {
	auth := r.Header.Get("Authorization")
	cred, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 Credential=")
	if !ok || r.Header.Get("X-Amz-Date") == "" || !strings.Contains(auth, "SignedHeaders=") || !strings.Contains(auth, "Signature=") {
		return &apiError{"MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/") // AKID/date/region/service/aws4_request
	if len(parts) != 5 || parts[3] != "cleanrooms" || parts[4] != "aws4_request" {
		return &apiError{"InvalidSignatureException", "Credential should be scoped to correct service: 'cleanrooms'."}
	}
	if accessKey != "" && parts[0] != accessKey {
		return &apiError{"UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	return nil
}

// allowed counts the call and answers AccessDeniedException when the action is denied.
func (s *Server) allowed(w http.ResponseWriter, action, resource string) bool {
	s.mu.Lock()
	s.calls[action]++
	denied := s.deny[action]
	s.mu.Unlock()
	if denied {
		writeError(w, http.StatusForbidden, "AccessDeniedException", fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/audience-uploader/standin "+
			"is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
			s.opts.AccountID, action, resource, action), nil)
		return false
	}
	return true
}

func (s *Server) membershipArn(id string) string {
	return fmt.Sprintf("arn:aws:cleanrooms:%s:%s:membership/%s", s.opts.Region, s.opts.AccountID, id)
}

func (s *Server) membership(id string) *Membership {
	for i := range s.opts.Memberships {
		if s.opts.Memberships[i].ID == id {
			return &s.opts.Memberships[i]
		}
	}
	return nil
}

func (s *Server) membershipJSON(m *Membership) map[string]any {
	status := m.Status
	if status == "" {
		status = "ACTIVE"
	}
	abilities := m.Abilities
	if abilities == nil {
		abilities = []string{}
	}
	return map[string]any{
		"id": m.ID, "arn": s.membershipArn(m.ID), "collaborationId": m.CollaborationID,
		"collaborationArn":              fmt.Sprintf("arn:aws:cleanrooms:%s:%s:collaboration/%s", s.opts.Region, s.opts.AccountID, m.CollaborationID),
		"collaborationCreatorAccountId": s.opts.AccountID, "collaborationCreatorDisplayName": m.CreatorDisplayName,
		"collaborationName": m.CollaborationName, "createTime": epoch(m.Created), "updateTime": epoch(m.Created),
		"status": status, "memberAbilities": abilities,
		"paymentConfiguration": map[string]any{"queryCompute": map[string]any{"isResponsible": true}},
	}
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// page cuts items by nextToken and maxResults as AWS does.
func (s *Server) page(w http.ResponseWriter, r *http.Request, n int) (from, to int, next string, ok bool) {
	size := s.opts.DefaultPageSize
	if v := r.URL.Query().Get("maxResults"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 100 {
			writeError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "+
				"Member must have value between 1 and 100", map[string]any{"reason": "FIELD_VALIDATION_FAILED"})
			return 0, 0, "", false
		}
		size = m
	}
	if t := r.URL.Query().Get("nextToken"); t != "" {
		v, found := strings.CutPrefix(t, "page-after-")
		f, err := strconv.Atoi(v)
		if !found || err != nil || f < 0 || f > n {
			writeError(w, http.StatusBadRequest, "ValidationException", "The nextToken is invalid.", map[string]any{"reason": "INVALID_QUERY"})
			return 0, 0, "", false
		}
		from = f
	}
	to = min(from+size, n)
	if to < n {
		next = "page-after-" + strconv.Itoa(to)
	}
	return from, to, next, true
}

func (s *Server) listMemberships(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, "cleanrooms:ListMemberships", "*") {
		return
	}
	var ms []*Membership
	for i := range s.opts.Memberships {
		m := &s.opts.Memberships[i]
		if st := r.URL.Query().Get("status"); st == "" || strings.EqualFold(st, orDefault(m.Status, "ACTIVE")) {
			ms = append(ms, m)
		}
	}
	from, to, next, ok := s.page(w, r, len(ms))
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, m := range ms[from:to] {
		out = append(out, s.membershipJSON(m))
	}
	writeJSON(w, withToken(map[string]any{"membershipSummaries": out}, next))
}

func (s *Server) getMembership(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.allowed(w, "cleanrooms:GetMembership", s.membershipArn(id)) {
		return
	}
	m := s.membership(id)
	if m == nil {
		notFound(w, "Membership", id, "MEMBERSHIP")
		return
	}
	out := s.membershipJSON(m)
	out["queryLogStatus"] = "DISABLED"
	if d := m.DefaultResult; d != nil {
		s3 := map[string]any{"bucket": d.Bucket, "resultFormat": d.Format}
		if d.KeyPrefix != "" {
			s3["keyPrefix"] = d.KeyPrefix
		}
		out["defaultResultConfiguration"] = map[string]any{"outputConfiguration": map[string]any{"s3": s3},
			"roleArn": fmt.Sprintf("arn:aws:iam::%s:role/clean-rooms-results", s.opts.AccountID)}
	}
	writeJSON(w, map[string]any{"membership": out})
}

func (s *Server) queriesOf(membershipID string) []*Query {
	var qs []*Query
	for i := range s.opts.Queries {
		if s.opts.Queries[i].MembershipID == membershipID {
			qs = append(qs, &s.opts.Queries[i])
		}
	}
	sort.SliceStable(qs, func(i, j int) bool { return qs[i].Created.After(qs[j].Created) }) // newest first
	return qs
}

func (s *Server) listQueries(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.allowed(w, "cleanrooms:ListProtectedQueries", s.membershipArn(id)) {
		return
	}
	if s.membership(id) == nil {
		notFound(w, "Membership", id, "MEMBERSHIP")
		return
	}
	var qs []*Query
	for _, q := range s.queriesOf(id) {
		if st := r.URL.Query().Get("status"); st == "" || st == q.Status {
			qs = append(qs, q)
		}
	}
	from, to, next, ok := s.page(w, r, len(qs))
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, q := range qs[from:to] {
		out = append(out, map[string]any{"id": q.ID, "membershipId": q.MembershipID, "membershipArn": s.membershipArn(q.MembershipID),
			"createTime": epoch(q.Created), "status": q.Status, "receiverConfigurations": []any{}})
	}
	writeJSON(w, withToken(map[string]any{"protectedQueries": out}, next))
}

func (s *Server) getQuery(w http.ResponseWriter, r *http.Request) {
	id, qid := r.PathValue("id"), r.PathValue("qid")
	if !s.allowed(w, "cleanrooms:GetProtectedQuery", s.membershipArn(id)+"/protectedquery/"+qid) {
		return
	}
	if s.membership(id) == nil {
		notFound(w, "Membership", id, "MEMBERSHIP")
		return
	}
	var q *Query
	for _, c := range s.queriesOf(id) {
		if c.ID == qid {
			q = c
		}
	}
	if q == nil {
		notFound(w, "ProtectedQuery", qid, "PROTECTED_QUERY")
		return
	}
	out := map[string]any{"id": q.ID, "membershipId": q.MembershipID, "membershipArn": s.membershipArn(q.MembershipID),
		"createTime": epoch(q.Created), "status": q.Status,
		"sqlParameters": sqlParameters(q)}
	switch {
	case q.S3 != nil:
		s3 := map[string]any{"bucket": q.S3.Bucket, "resultFormat": q.S3.Format}
		if q.S3.KeyPrefix != "" {
			s3["keyPrefix"] = q.S3.KeyPrefix
		}
		out["resultConfiguration"] = map[string]any{"outputConfiguration": map[string]any{"s3": s3}}
		if q.Status == "SUCCESS" {
			out["result"] = map[string]any{"output": map[string]any{"s3": map[string]any{"location": q.Location}}}
		}
	case q.MemberAccount != "":
		out["resultConfiguration"] = map[string]any{"outputConfiguration": map[string]any{"member": map[string]any{"accountId": q.MemberAccount}}}
		if q.Status == "SUCCESS" {
			out["result"] = map[string]any{"output": map[string]any{"memberList": []any{map[string]any{"accountId": q.MemberAccount}}}}
		}
	}
	if q.Status != "SUBMITTED" {
		out["statistics"] = map[string]any{"totalDurationInMillis": q.DurationMillis}
	}
	if q.ErrorMessage != "" || q.ErrorCode != "" {
		out["error"] = map[string]any{"message": q.ErrorMessage, "code": q.ErrorCode}
	}
	writeJSON(w, map[string]any{"protectedQuery": out})
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func withToken(m map[string]any, next string) map[string]any {
	if next != "" {
		m["nextToken"] = next
	}
	return m
}

func notFound(w http.ResponseWriter, what, id, typ string) {
	writeError(w, http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("%s %s not found.", what, id),
		map[string]any{"resourceId": id, "resourceType": typ})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// writeError answers as AWS's REST-JSON services do: the code in
// X-Amzn-Errortype, the message in the body.
func writeError(w http.ResponseWriter, status int, code, msg string, extra map[string]any) {
	body := map[string]any{"message": msg}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("X-Amzn-Errortype", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// Listen serves on addr (loopback) until ctx ends; it returns the base URL
// and a channel that yields the server's end.
func (s *Server) Listen(ctx context.Context, addr string) (string, <-chan error, error) {
	return standinserve.Serve(ctx, addr, s)
}

// sqlParameters is a query's analysis as GetProtectedQuery reports it.
func sqlParameters(q *Query) map[string]any {
	if q.AnalysisTemplateArn != "" {
		return map[string]any{"analysisTemplateArn": q.AnalysisTemplateArn}
	}
	if q.QueryString != "" {
		return map[string]any{"queryString": q.QueryString}
	}
	return map[string]any{"queryString": "SELECT hashed_email FROM audience"}
}
