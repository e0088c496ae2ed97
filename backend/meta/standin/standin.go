// Package standin is a local Meta Graph API server for customer-list Custom
// Audiences that enforces docs/meta-api.md: tokens and permissions, the
// Custom Audience Terms of Service, create/list/read/rename/delete, the
// users edge (add and remove, sessions and their 90-minute window, the
// 10,000-row cap, schema and row-length checks), usersreplace with its
// error subcodes, the sessions edge, the custom_audience rate limit with
// its x-business-use-case-usage header and error 80003, the #803 a fresh
// audience answers, and fault injection (drop the answer after applying).
//
// Membership is a set of people: a row is one person's keys; a row that
// shares any key value with a member is that member (the two are merged),
// and a removal row takes out every member it shares a key value with.
// Every accepted cell is counted, so tests can prove exactly-once delivery.
package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/standinserve"
)

// Faults are probabilities (0–1) per request, drawn independently.
type Faults struct {
	TransientRate float64 // error code 2, is_transient, not processed
	DropRate      float64 // processed, then the connection is closed unanswered
	// GatewayRate answers an HTML 502 page, not processed: what a front
	// end sends when the API behind it fails (a client cannot tell).
	GatewayRate float64
}

// Options configure a stand-in. Zero values take the defaults.
type Options struct {
	Token         string   // accepted token with ads_management; default "standin-meta-token"
	ReadOnlyToken string   // a valid token with ads_read only: writes answer 294
	ExpiredToken  string   // answers 190/463
	AdAccounts    []string // digits, without "act_"; default {"100000000000001"}
	// TermsNotAccepted lists accounts whose Custom Audience Terms nobody
	// accepted yet (AcceptTerms accepts them).
	TermsNotAccepted []string
	// CallsPerHour overrides the custom_audience limit per ad account and
	// rolling hour; 0 means Standard access: 5000 + 40 × active audiences.
	CallsPerHour int
	// FreshAudienceMisses is how many users-edge calls on a just-created
	// audience answer #803 before it is found; default 1, -1 for none.
	FreshAudienceMisses int
	// ProcessingDelay is how long the approximate counts lag a change.
	ProcessingDelay time.Duration
	// MinSizeAfterRemove refuses (1870047) a removal that would leave
	// fewer people; 0 = no floor.
	MinSizeAfterRemove int
	Faults             Faults
	Seed               uint64
	// Now is the clock (default time.Now): tests move it to cross the
	// 90-minute session window and the rolling hour.
	Now func() time.Time
}

// Stats counts what the server saw.
type Stats struct {
	Requests         int64
	RateLimited      int64
	Dropped          int64
	RepeatedBatches  int64 // a batch_seq received twice in one session
	DiscardedBatches int64 // batches after a session's end, not applied
	PayloadInQuery   int64 // users-edge calls whose payload came in the query string
}

// Server is an http.Handler speaking the Graph API contract.
type Server struct {
	opts Options

	mu        sync.Mutex
	rnd       *rand.Rand
	nextID    uint64
	audiences map[string]*audience
	order     []string
	accounts  map[string]*account
	received  map[string]int // "KEY=value" -> times accepted into an add or replace
	forced    []forced
	stats     Stats
}

type account struct {
	id            string
	termsAccepted bool
	calls         []time.Time // the rolling hour's calls, oldest first
}

type forced struct {
	method        string // "" any
	pathSuffix    string
	code, subcode int
	httpStatus    int
	drop          bool
}

// New returns a stand-in with opts.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "standin-meta-token"
	}
	if len(opts.AdAccounts) == 0 {
		opts.AdAccounts = []string{"100000000000001"}
	}
	if opts.FreshAudienceMisses == 0 {
		opts.FreshAudienceMisses = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, audiences: map[string]*audience{}, accounts: map[string]*account{},
		rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), nextID: 23850000000000000,
		received: map[string]int{}}
	for _, a := range opts.AdAccounts {
		s.accounts[a] = &account{id: a, termsAccepted: true}
	}
	for _, a := range opts.TermsNotAccepted {
		if acc := s.accounts[a]; acc != nil {
			acc.termsAccepted = false
		}
	}
	return s
}

// Token returns the accepted token.
func (s *Server) Token() string { return s.opts.Token }

// AdAccount returns the first ad account as "act_<digits>".
func (s *Server) AdAccount() string { return "act_" + s.opts.AdAccounts[0] }

// AcceptTerms records that a person accepted the Custom Audience Terms for
// the account (digits or act_ form), as they would in Business Manager.
func (s *Server) AcceptTerms(acct string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[strings.TrimPrefix(acct, "act_")]; a != nil {
		a.termsAccepted = true
	}
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Received returns how many times the cell value of key ("EMAIL", "MADID")
// was accepted into an add or a replace, over all requests.
func (s *Server) Received(key, value string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[key+"="+value]
}

// ReceivedCells returns how many distinct cell values were accepted.
func (s *Server) ReceivedCells() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// FailNext makes the next request whose path ends in pathSuffix ("" any)
// answer the error code/subcode with httpStatus, unprocessed.
func (s *Server) FailNext(pathSuffix string, code, subcode, httpStatus int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = append(s.forced, forced{pathSuffix: pathSuffix, code: code, subcode: subcode, httpStatus: httpStatus})
}

// DropNext makes the next request of method ("" any) whose path ends in
// pathSuffix be applied and its connection closed without an answer: a
// lost response.
func (s *Server) DropNext(method, pathSuffix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = append(s.forced, forced{method: method, pathSuffix: pathSuffix, drop: true})
}

// Listen serves on addr until ctx ends (see standinserve.Serve).
func (s *Server) Listen(ctx context.Context, addr string) (string, <-chan error, error) {
	return standinserve.Serve(ctx, addr, s)
}

// apiError is Graph's error envelope.
type apiError struct {
	status    int
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode,omitempty"`
	UserTitle string `json:"error_user_title,omitempty"`
	UserMsg   string `json:"error_user_msg,omitempty"`
	Transient bool   `json:"is_transient,omitempty"`
	Trace     string `json:"fbtrace_id"`
}

func errf(status, code, subcode int, format string, args ...any) *apiError {
	typ := "OAuthException"
	return &apiError{status: status, Type: typ, Code: code, Subcode: subcode, Message: fmt.Sprintf(format, args...)}
}

var versionPrefix = regexp.MustCompile(`^/v(\d+)\.(\d+)(/.*)$`)

// request is one call, its parameters gathered from wherever the client
// put them: the query, an urlencoded, multipart or JSON body.
type request struct {
	method  string
	path    []string // after the version
	params  map[string]json.RawMessage
	token   string
	inQuery map[string]bool
	now     time.Time
}

// str returns a parameter as a string: a JSON string's value, or the raw
// JSON of a number or object.
func (r *request) str(name string) string {
	v, ok := r.params[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// object decodes a parameter that is an object, or a string holding one.
func (r *request) object(name string, dst any) (bool, error) {
	v, ok := r.params[name]
	if !ok {
		return false, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(s)
	}
	return true, json.Unmarshal(v, dst)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := versionPrefix.FindStringSubmatch(r.URL.Path)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if m == nil {
		writeError(w, errf(400, 2500, 0, "Unknown path components: %s (the stand-in wants /vNN.N/...)", r.URL.Path))
		return
	}
	if major, _ := strconv.Atoi(m[1]); major < 24 {
		writeError(w, errf(400, 2635, 0, "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v25.0."))
		return
	}
	w.Header().Set("facebook-api-version", "v"+m[1]+"."+m[2])
	req, perr := parseRequest(r, strings.Trim(m[3], "/"))
	if perr != nil {
		writeError(w, perr)
		return
	}
	if len(r.URL.RawQuery) > maxQueryBytes {
		// Graph's front end answers an oversized query with HTML, not JSON
		// (spec §9.2): a client must put large payloads in the body.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusRequestURITooLong)
		io.WriteString(w, "<html><body>414 Request-URI Too Large</body></html>")
		return
	}

	s.mu.Lock()
	req.now = s.opts.Now()
	s.stats.Requests++
	f, hasForced := s.takeForced(r.Method, r.URL.Path)
	drop := hasForced && f.drop
	if hasForced && !f.drop {
		s.mu.Unlock()
		writeError(w, errf(f.httpStatus, f.code, f.subcode, "(#%d) forced by the test", f.code))
		return
	}
	x := s.rnd.Float64()
	fl := s.opts.Faults
	switch {
	case x < fl.TransientRate:
		s.mu.Unlock()
		e := errf(500, 2, 0, "An unexpected error has occurred. Please retry your request later.")
		e.Transient = true
		writeError(w, e)
		return
	case x < fl.TransientRate+fl.DropRate:
		drop = true
	case x < fl.TransientRate+fl.DropRate+fl.GatewayRate:
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		return
	}
	status, body, usage, aerr := s.route(req)
	if drop {
		s.stats.Dropped++
	}
	s.mu.Unlock()

	if drop {
		// Applied for real, then the answer is lost: the hardest case for
		// a client's exactly-once logic.
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		panic(http.ErrAbortHandler)
	}
	if usage != "" {
		w.Header().Set("x-business-use-case-usage", usage)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// maxQueryBytes is where the stand-in stops reading a query string: about
// the ~60–70 KB at which Graph's answers turn to errors.
const maxQueryBytes = 60 << 10

// takeForced pops the first forced answer for the request. Caller holds s.mu.
func (s *Server) takeForced(method, path string) (forced, bool) {
	for i, f := range s.forced {
		if strings.HasSuffix(path, f.pathSuffix) && (f.method == "" || f.method == method) {
			s.forced = append(s.forced[:i], s.forced[i+1:]...)
			return f, true
		}
	}
	return forced{}, false
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.Trace == "" {
		e.Trace = "AStandIn" + strconv.Itoa(e.Code)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}

// parseRequest gathers the parameters. access_token may also come as
// "Authorization: Bearer"; POST with method=DELETE is a DELETE.
func parseRequest(r *http.Request, path string) (*request, *apiError) {
	req := &request{method: r.Method, params: map[string]json.RawMessage{}, inQuery: map[string]bool{}}
	if path != "" {
		req.path = strings.Split(path, "/")
	}
	put := func(k, v string) {
		req.params[k], _ = json.Marshal(v)
	}
	for k, vs := range r.URL.Query() {
		put(k, vs[0])
		req.inQuery[k] = true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return nil, errf(400, 1, 0, "reading the request body: %v", err)
	}
	ct := r.Header.Get("Content-Type")
	switch {
	case len(body) == 0:
	case strings.HasPrefix(ct, "application/json"):
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, errf(400, 100, 0, "(#100) The request body is not a JSON object: %v", err)
		}
		for k, v := range m {
			req.params[k] = v
		}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"), strings.HasPrefix(ct, "multipart/form-data"):
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		r.URL.RawQuery = "" // the query was read above
		if strings.HasPrefix(ct, "multipart/") {
			if err := r.ParseMultipartForm(64 << 20); err != nil {
				return nil, errf(400, 100, 0, "(#100) bad multipart body: %v", err)
			}
		} else if err := r.ParseForm(); err != nil {
			return nil, errf(400, 100, 0, "(#100) bad form body: %v", err)
		}
		for k, vs := range r.PostForm {
			put(k, vs[0])
		}
	default:
		return nil, errf(400, 100, 0, "(#100) unsupported Content-Type %q", ct)
	}
	req.token = req.str("access_token")
	if h := r.Header.Get("Authorization"); req.token == "" && strings.HasPrefix(h, "Bearer ") {
		req.token = strings.TrimPrefix(h, "Bearer ")
	}
	if req.method == http.MethodPost && strings.EqualFold(req.str("method"), "DELETE") {
		req.method = http.MethodDelete
	}
	return req, nil
}
