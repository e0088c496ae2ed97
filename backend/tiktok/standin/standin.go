// Package standin is a local TikTok API for Business server that enforces
// spec/tiktok-api.md for the customer-file audience endpoints: the token, the
// multipart fields, the MD5 check, file contents against calculate_type,
// per-advertiser file paths, audiences that become valid after a delay, list
// paging, the update rules, a QPS limit answering 40100, and fault injection.
// It records every hash it receives, so tests can prove exactly-once delivery.
//
// Membership is a set of users, not of rows (users.go): identifiers that
// appear together in any row ever uploaded (by any advertiser), or that a
// test links (Link), belong to one user. create and APPEND add every user
// any identifier of any row matches, REMOVE takes out every user any
// identifier of any row matches (so a REMOVE row (email, old phone) takes
// out the person whose email is still wanted), REPLACE makes the set
// exactly the files' users. APPEND, REMOVE and REPLACE are refused (40002)
// when the set would hold fewer than 1,000 users afterwards; get and list
// report the users (times MatchRate) as cover_num. Members(id) names the
// member users; UserOf names the user of an identifier; ChangeElsewhere
// adds a history entry by editor "web" (and optionally changes members), as
// a change made in Ads Manager would.
//
// Managing audiences: update with custom_audience_name and no file_paths
// only renames (1–128 characters; no history entry, no membership change).
// delete takes 1–100 ids of the advertiser's own audiences.
// lookalike/create (fields as TikTok's SDK yml_files define them) requires
// custom_audience_name and every lookalike_spec field: source_audience_id
// (a customer file audience of the advertiser, not a lookalike, with at
// least 100 users), include_source, mobile_os (ALL, ANDROID, IOS),
// placements (TIKTOK, PANGLE, TOPBUZZ), location_ids (at least one numeric
// id) and audience_size (NARROW, BALANCED, BROAD: 10, 20 or 30 times the
// seed's users); it answers custom_audience_id. A lookalike is listed with
// audience_type "Lookalike" and refuses updates with files.
package standin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/standinserve"
	"golang.org/x/time/rate"
)

// Faults are probabilities (0–1) per request, drawn independently of the
// request's content.
type Faults struct {
	SystemErrorRate float64       // envelope 50000/50002/51000/51003/51010, request not processed
	HTTPErrorRate   float64       // HTTP 502 or 503 without an envelope, not processed
	DropRate        float64       // request processed, then the connection is closed without a response
	SlowRate        float64       // response delayed by SlowDelay
	SlowDelay       time.Duration // default 2s
}

// Options configure a stand-in. Zero values take the defaults.
type Options struct {
	Token string // accepted Access-Token; default "standin-token"
	// ScopelessToken, if set, is a valid token without the Audience
	// Management scope: its audience calls answer 40001.
	ScopelessToken string
	Advertisers    []string // default {"7000000000000000001"}
	// ProcessingDelay is how long an audience stays calculating after a
	// create or update (default 0: valid on the next read).
	ProcessingDelay time.Duration
	MatchRate       float64 // cover_num = users × MatchRate; default 0.7
	QPS             float64 // requests per second over all endpoints; 0 = unlimited
	Faults          Faults
	MaxFileBytes    int64         // default 250 MB
	FilePathTTL     time.Duration // 0 = file paths never expire
	// NoRecord keeps only counts, not hashes (for throughput benchmarks).
	NoRecord bool
	// Tap, if set, receives a copy of every request's query and body.
	Tap io.Writer
	// HistoryMsg is put in every audience_history entry's msg (to exercise
	// partial-failure display).
	HistoryMsg string
	// ResponseDelay delays every answer except file uploads, after the
	// request has been applied: a client that dies meanwhile never learns
	// the outcome (for kill tests).
	ResponseDelay time.Duration
	Seed          uint64

	// CreateTimeZone is the zone create_time is reported in (TikTok does
	// not say which; a US advertiser's would put it hours behind UTC);
	// default UTC.
	CreateTimeZone *time.Location

	// RejectChunked answers HTTP 411, as some gateways do, to a request
	// whose body has no Content-Length.
	RejectChunked bool
	// UploadReadRate, if >0, reads upload bodies at this many bytes a
	// second (a slow link).
	UploadReadRate int64
	// StallUploads makes that many upload attempts stop reading their body
	// after StallAfterBytes (or, for a shorter body, stop before answering),
	// without processing them, for StallFor (default 1 min) or until the
	// client hangs up.
	StallUploads    int
	StallAfterBytes int64
	StallFor        time.Duration
}

// Server is an http.Handler speaking the TikTok contract.
type Server struct {
	opts    Options
	limiter *rate.Limiter

	mu         sync.Mutex
	rnd        *rand.Rand
	files      map[string]*file     // file_path -> file
	audiences  map[string]*audience // id -> audience
	order      []string             // audience ids in creation order
	nextID     uint64
	reqSeq     uint64
	forced     []forced
	stats      Stats
	received   map[string]int // every hash in every accepted upload
	historyLag int            // LagNextHistory
	users      *userGraph     // every identifier ever uploaded or linked
	tapMu      sync.Mutex
}

// Stats counts what the server saw.
type Stats struct {
	Requests    int64
	RateLimited int64
	Faults      int64
	Uploads     int64
	UploadBytes int64
}

type forced struct {
	pathSuffix string
	code       int
	httpStatus int
}

type file struct {
	path          string
	advertiser    string
	calculateType string
	rows          int64
	userRows      [][]int32 // each row's identifiers, as nodes of the user graph
	hashes        []string  // every hash in the file
	expiresAt     time.Time
}

type audience struct {
	id, name, advertiser, calculateType string
	created                             time.Time
	calcUntil                           time.Time
	lastAction                          string
	users                               map[int32]struct{} // member users (roots in the user graph)
	userCount                           int64              // when NoRecord
	delivered                           map[string]int
	history                             []history
	sharedWith                          string // an advertiser it is shared with: is_creator false there
	// lookalike is set on an audience made by lookalike/create: its kind
	// is "Lookalike", its size a multiple of its seed's, and it takes no files.
	lookalike *lookalikeSpec
}

type history struct {
	Action       string `json:"action"`
	ActionDetail string `json:"action_detail"`
	Editor       string `json:"editor"`
	Msg          string `json:"msg"`
	OptTime      string `json:"opt_time"`
	hiddenFor    int    // get answers that leave this entry out yet (a late entry)
}

// New returns a stand-in with opts.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "standin-token"
	}
	if len(opts.Advertisers) == 0 {
		opts.Advertisers = []string{"7000000000000000001"}
	}
	if opts.MatchRate <= 0 {
		opts.MatchRate = 0.7
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = 250 << 20
	}
	if opts.Faults.SlowDelay <= 0 {
		opts.Faults.SlowDelay = 2 * time.Second
	}
	s := &Server{opts: opts, files: map[string]*file{}, audiences: map[string]*audience{},
		rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), nextID: 7300000000000000000,
		received: map[string]int{}, users: newUserGraph()}
	s.users.onMerge = s.mergeMembers
	if opts.QPS > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(opts.QPS), max(1, int(math.Ceil(opts.QPS))))
	}
	return s
}

// Token returns the accepted access token.
func (s *Server) Token() string { return s.opts.Token }

// Advertiser returns the first advertiser id.
func (s *Server) Advertiser() string { return s.opts.Advertisers[0] }

// FailNext makes the next request whose path ends in pathSuffix (any if
// empty) answer code (envelope) or, if code is 0, httpStatus.
func (s *Server) FailNext(pathSuffix string, code, httpStatus int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = append(s.forced, forced{pathSuffix, code, httpStatus})
}

// dropCode in a forced response means: process, then lose the response.
const dropCode = -1

// DropNext makes the next request whose path ends in pathSuffix be processed
// and its connection closed without a response (a lost response).
func (s *Server) DropNext(pathSuffix string) { s.FailNext(pathSuffix, dropCode, 0) }

// ExpireFilePaths makes every file path uploaded so far expired (40910).
func (s *Server) ExpireFilePaths() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for _, f := range s.files {
		f.expiresAt = past
	}
}

// AddAudience makes an audience of advertiser without files, as another
// tool or a person in Ads Manager would (is_creator true for advertiser),
// and returns its id.
func (s *Server) AddAudience(advertiser, name, calculateType string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addAudience(advertiser, name, calculateType, "")
}

// ShareAudience makes an audience owned by advertiser owner (not one of
// Options.Advertisers) and shares it with advertiser with: list and get
// show it there with is_creator false, and update refuses it.
func (s *Server) ShareAudience(owner, name, calculateType, with string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addAudience(owner, name, calculateType, with)
}

func (s *Server) addAudience(advertiser, name, calc, sharedWith string) string {
	s.nextID += uint64(1 + s.rnd.IntN(1000))
	a := &audience{id: strconv.FormatUint(s.nextID, 10), name: name, advertiser: advertiser, calculateType: calc,
		created: time.Now().UTC(), delivered: map[string]int{}, users: map[int32]struct{}{}, sharedWith: sharedWith}
	a.history = append(a.history, history{Action: "CREATE", ActionDetail: "CREATE 0 file(s), 0 rows", Editor: "web", OptTime: s.optTime(time.Now())})
	s.audiences[a.id] = a
	s.order = append(s.order, a.id)
	return a.id
}

// LagNextHistory makes the next audience_history entry (of any audience)
// stay out of the next gets answers about its audience: a late entry.
func (s *Server) LagNextHistory(gets int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.historyLag = gets
}

// Members returns an audience's member users, sorted, each named as
// UserOf names it (its smallest identifier). Nil for an unknown audience.
func (s *Server) Members(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.audiences[id]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(a.users))
	for u := range a.users {
		out = append(out, s.users.min[s.users.root(u)])
	}
	sort.Strings(out)
	return out
}

// ChangeElsewhere records a change to an audience made outside the API
// client under test (a person in Ads Manager, another tool): a history
// entry with editor "web". With rows, action (APPEND or REMOVE) also
// changes the members.
func (s *Server) ChangeElsewhere(id, action string, rows ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.audiences[id]
	if !ok {
		return
	}
	for _, r := range rows {
		if a.users == nil {
			break // NoRecord: members are not kept
		}
		nodes := s.users.rowNodes(r)
		for _, n := range nodes {
			switch action {
			case "APPEND":
				a.users[s.users.root(n)] = struct{}{}
			case "REMOVE":
				delete(a.users, s.users.root(n))
			}
		}
	}
	a.history = append(a.history, history{Action: action, ActionDetail: fmt.Sprintf("%s %d rows", action, len(rows)),
		Editor: "web", OptTime: s.optTime(time.Now())})
}

// visible: an audience is listed to its owner and to the advertiser it is
// shared with. Caller holds s.mu.
func (a *audience) visible(adv string) bool {
	return a.advertiser == adv || (a.sharedWith != "" && a.sharedWith == adv)
}

// optTime formats a time as TikTok's create_time / opt_time, in
// Options.CreateTimeZone.
func (s *Server) optTime(t time.Time) string {
	if s.opts.CreateTimeZone != nil {
		t = t.In(s.opts.CreateTimeZone)
	}
	return t.Format("2006-01-02 15:04:05")
}

// Stats returns counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// AudienceInfo is a test's view of one audience.
type AudienceInfo struct {
	ID, Name, Advertiser, CalculateType string
	Users                               int64
	Delivered                           map[string]int // hash -> times added by create/APPEND/REPLACE
	History                             []string       // actions
}

// Audiences returns every audience of every advertiser, in creation order.
func (s *Server) Audiences() []AudienceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AudienceInfo
	for _, id := range s.order {
		a, ok := s.audiences[id]
		if !ok {
			continue
		}
		d := make(map[string]int, len(a.delivered))
		for k, v := range a.delivered {
			d[k] = v
		}
		var h []string
		for _, e := range a.history {
			h = append(h, e.Action)
		}
		out = append(out, AudienceInfo{ID: a.id, Name: a.name, Advertiser: a.advertiser, CalculateType: a.calculateType,
			Users: a.size(), Delivered: d, History: h})
	}
	return out
}

// Received returns how many times each hash arrived in an accepted upload.
func (s *Server) Received() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.received))
	for k, v := range s.received {
		out[k] = v
	}
	return out
}

func (a *audience) size() int64 {
	if a.users == nil {
		return a.userCount
	}
	return int64(len(a.users))
}

// Listen serves on addr ("127.0.0.1:0" for a free port) until ctx ends, and
// returns the base URL to give the client (ending in /open_api/).
func (s *Server) Listen(ctx context.Context, addr string) (string, <-chan error, error) {
	url, done, err := standinserve.Serve(ctx, addr, s)
	if err != nil {
		return "", nil, fmt.Errorf("stand-in: %w", err)
	}
	return url + "/open_api/", done, nil
}

type apiErr struct {
	code int
	msg  string
}

func (e *apiErr) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func fail(code int, format string, args ...any) *apiErr {
	return &apiErr{code, fmt.Sprintf(format, args...)}
}

func (s *Server) requestID() string {
	s.mu.Lock()
	s.reqSeq++
	n := s.reqSeq
	s.mu.Unlock()
	return fmt.Sprintf("%s%06d", time.Now().UTC().Format("20060102150405"), n)
}

func writeEnvelope(w http.ResponseWriter, reqID string, code int, msg string, data any) {
	w.Header().Set("Content-Type", "application/json")
	if msg == "" {
		msg = "OK"
	}
	body := map[string]any{"code": code, "message": msg, "request_id": reqID}
	if data != nil {
		body["data"] = data
	} else {
		body["data"] = map[string]any{}
	}
	json.NewEncoder(w).Encode(body)
}

// ServeHTTP applies the QPS limit, faults and auth, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.requestID()
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	if s.opts.Tap != nil {
		s.tapMu.Lock()
		fmt.Fprintf(s.opts.Tap, "%s %s?%s\n", r.Method, r.URL.Path, r.URL.RawQuery)
		s.tapMu.Unlock()
		r.Body = io.NopCloser(io.TeeReader(r.Body, &lockedWriter{mu: &s.tapMu, w: s.opts.Tap}))
	}
	if s.opts.RejectChunked && r.ContentLength < 0 {
		w.WriteHeader(http.StatusLengthRequired)
		io.WriteString(w, "<html>411 Length Required</html>")
		return
	}
	if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/file/upload") {
		if s.opts.UploadReadRate > 0 {
			r.Body = &slowBody{ReadCloser: r.Body, ctx: r.Context(), lim: rate.NewLimiter(rate.Limit(s.opts.UploadReadRate), 16<<10)}
		}
		if s.takeStall() {
			s.stallUpload(r)
			return
		}
	}
	if s.limiter != nil && !s.limiter.Allow() {
		s.mu.Lock()
		s.stats.RateLimited++
		s.mu.Unlock()
		writeEnvelope(w, reqID, 40100, "App reaches the QPS limit", nil)
		return
	}
	i := strings.Index(r.URL.Path, "/v1.3/")
	if i < 0 {
		w.WriteHeader(http.StatusNotFound)
		writeEnvelope(w, reqID, 40000, "unknown path "+r.URL.Path, nil)
		return
	}
	route := strings.TrimSuffix(r.URL.Path[i+len("/v1.3/"):], "/")

	drop := false
	if f, ok := s.takeForced(route); ok {
		s.countFault()
		if f.code == dropCode {
			drop = true
		} else if f.code != 0 {
			writeEnvelope(w, reqID, f.code, "injected error", nil)
		} else {
			w.WriteHeader(f.httpStatus)
			io.WriteString(w, "<html>gateway error</html>")
		}
		if !drop {
			return
		}
	}
	if fl := s.opts.Faults; !drop && fl.SlowRate+fl.SystemErrorRate+fl.HTTPErrorRate+fl.DropRate > 0 {
		s.mu.Lock()
		slow := s.rnd.Float64() < fl.SlowRate
		x := s.rnd.Float64()
		sysCode := []int{50000, 50002, 51000, 51003, 51010}[s.rnd.IntN(5)]
		httpCode := []int{502, 503}[s.rnd.IntN(2)]
		s.mu.Unlock()
		if slow {
			t := time.NewTimer(fl.SlowDelay)
			select {
			case <-r.Context().Done():
				// The client gave up: do not process, as a gateway would not forward.
				t.Stop()
				return
			case <-t.C:
			}
		}
		switch {
		case x < fl.SystemErrorRate:
			s.countFault()
			writeEnvelope(w, reqID, sysCode, "System error", nil)
			return
		case x < fl.SystemErrorRate+fl.HTTPErrorRate:
			s.countFault()
			w.WriteHeader(httpCode)
			io.WriteString(w, "<html>gateway error</html>")
			return
		case x < fl.SystemErrorRate+fl.HTTPErrorRate+fl.DropRate:
			s.countFault()
			drop = true
		}
	}
	if drop {
		// Process for real, then lose the response: the hardest case for a
		// client's exactly-once logic.
		rec := &discardWriter{h: http.Header{}}
		s.route(rec, r, route, reqID)
		io.Copy(io.Discard, r.Body)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		panic(http.ErrAbortHandler)
	}
	s.route(w, r, route, reqID)
}

// takeStall reports whether this upload attempt is one of StallUploads.
func (s *Server) takeStall() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.StallUploads <= 0 {
		return false
	}
	s.opts.StallUploads--
	s.stats.Faults++
	return true
}

// stallUpload reads StallAfterBytes of the body, then neither reads nor
// answers until the client hangs up or StallFor passes. Go's server notices
// a hang-up only once the body is read, hence the bound.
func (s *Server) stallUpload(r *http.Request) {
	stallFor := s.opts.StallFor
	if stallFor <= 0 {
		stallFor = time.Minute
	}
	io.Copy(io.Discard, io.LimitReader(r.Body, s.opts.StallAfterBytes))
	t := time.NewTimer(stallFor)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
}

// slowBody reads at most the limiter's rate.
type slowBody struct {
	io.ReadCloser
	ctx context.Context
	lim *rate.Limiter
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(p) > b.lim.Burst() {
		p = p[:b.lim.Burst()]
	}
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		if werr := b.lim.WaitN(b.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

func (s *Server) countFault() {
	s.mu.Lock()
	s.stats.Faults++
	s.mu.Unlock()
}

func (s *Server) takeForced(route string) (forced, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.forced {
		if f.pathSuffix == "" || strings.HasSuffix(route, f.pathSuffix) {
			s.forced = append(s.forced[:i], s.forced[i+1:]...)
			return f, true
		}
	}
	return forced{}, false
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

func (s *Server) route(w http.ResponseWriter, r *http.Request, route, reqID string) {
	token := r.Header.Get("Access-Token")
	switch {
	case token == "":
		writeEnvelope(w, reqID, 40104, "Access token is null", nil)
		return
	case token == s.opts.ScopelessToken && token != "":
		writeEnvelope(w, reqID, 40001, "No permission to operate: the app lacks the Audience Management scope", nil)
		return
	case token != s.opts.Token:
		writeEnvelope(w, reqID, 40105, "Access token is incorrect or has been revoked", nil)
		return
	}
	type handler struct {
		method string
		fn     func(*http.Request) (any, error)
	}
	routes := map[string]handler{
		"dmp/custom_audience/file/upload":      {http.MethodPost, s.upload},
		"dmp/custom_audience/create":           {http.MethodPost, s.create},
		"dmp/custom_audience/update":           {http.MethodPost, s.update},
		"dmp/custom_audience/list":             {http.MethodGet, s.list},
		"dmp/custom_audience/get":              {http.MethodGet, s.get},
		"dmp/custom_audience/delete":           {http.MethodPost, s.delete},
		"dmp/custom_audience/lookalike/create": {http.MethodPost, s.lookalikeCreate},
	}
	h, ok := routes[route]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		writeEnvelope(w, reqID, 40000, "unknown endpoint "+route, nil)
		return
	}
	if r.Method != h.method {
		writeEnvelope(w, reqID, 40000, "method must be "+h.method, nil)
		return
	}
	data, err := h.fn(r)
	if s.opts.ResponseDelay > 0 && route != "dmp/custom_audience/file/upload" {
		time.Sleep(s.opts.ResponseDelay)
	}
	if err != nil {
		var ae *apiErr
		if !errors.As(err, &ae) {
			ae = fail(40002, "%v", err)
		}
		writeEnvelope(w, reqID, ae.code, ae.msg, nil)
		return
	}
	writeEnvelope(w, reqID, 0, "OK", data)
}

func (s *Server) checkAdvertiser(id string) error {
	if id == "" {
		return fail(40002, "advertiser_id: Missing data for required field.")
	}
	for _, a := range s.opts.Advertisers {
		if a == id {
			return nil
		}
	}
	return fail(40300, "Advertiser %s does not exist", id)
}

var calcTypes = map[string]bool{"EMAIL_SHA256": true, "PHONE_SHA256": true, "IDFA_SHA256": true, "GAID_SHA256": true, "MULTIPLE_TYPES": true}

var multiHeaders = map[string]bool{"Email_SHA256": true, "Phone_SHA256": true, "MAID_SHA256": true}

// upload reads the multipart body as a stream: the fields must precede the
// file (as TikTok's own SDK sends them), so the file is checked line by line
// without being held in memory.
func (s *Server) upload(r *http.Request) (any, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, fail(40002, "Content-Type must be multipart/form-data")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fail(40002, "malformed multipart body: %v", err)
	}
	fields := map[string]string{}
	var f *file
	var sum string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fail(40002, "malformed multipart body: %v", err)
		}
		name := part.FormName()
		if name != "file" {
			b, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return nil, fail(40002, "read field %s: %v", name, err)
			}
			fields[name] = string(b)
			continue
		}
		for _, req := range []string{"advertiser_id", "calculate_type", "file_signature"} {
			if fields[req] == "" {
				return nil, fail(40002, "%s: Missing data for required field (fields must precede file).", req)
			}
		}
		if err := s.checkAdvertiser(fields["advertiser_id"]); err != nil {
			return nil, err
		}
		if !calcTypes[fields["calculate_type"]] {
			return nil, fail(40002, "calculate_type: must be one of EMAIL_SHA256, PHONE_SHA256, IDFA_SHA256, GAID_SHA256, MULTIPLE_TYPES")
		}
		fn := part.FileName()
		if !strings.HasSuffix(fn, ".csv") && !strings.HasSuffix(fn, ".txt") {
			return nil, fail(40908, "File type is not supported: the name must end in .csv or .txt")
		}
		f, sum, err = s.readFile(part, fields["calculate_type"])
		if err != nil {
			return nil, err
		}
		f.advertiser = fields["advertiser_id"]
	}
	if f == nil {
		return nil, fail(40002, "file: Missing data for required field.")
	}
	if !strings.EqualFold(fields["file_signature"], sum) {
		return nil, fail(40900, "file_signature does not match the file's MD5")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fp := s.newFilePath()
	f.path = fp
	if s.opts.FilePathTTL > 0 {
		f.expiresAt = time.Now().Add(s.opts.FilePathTTL)
	}
	s.files[fp] = f
	s.stats.Uploads++
	for _, h := range f.hashes {
		s.received[h]++
	}
	return map[string]any{"file_path": fp}, nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (s *Server) newFilePath() string {
	for {
		b := make([]byte, 16)
		for i := range b {
			b[i] = alnum[s.rnd.IntN(len(alnum))]
		}
		if _, dup := s.files[string(b)]; !dup {
			return string(b)
		}
	}
}

var hexLower [256]bool

func init() {
	for _, c := range "0123456789abcdef" {
		hexLower[c] = true
	}
}

func isHash(b []byte) bool {
	if len(b) != 64 {
		return false
	}
	for _, c := range b {
		if !hexLower[c] {
			return false
		}
	}
	return true
}

// readFile checks every line against calculate_type and computes the MD5.
func (s *Server) readFile(rd io.Reader, calc string) (*file, string, error) {
	h := md5.New()
	counted := &countReader{r: io.TeeReader(rd, h)}
	br := bufio.NewReaderSize(counted, 256<<10)
	f := &file{calculateType: calc}
	line := int64(0)
	var cols int
	var lines []string // the rows, for the user graph
	for {
		raw, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, "", fail(40915, "line %d is too long", line+1)
		}
		if err != nil && err != io.EOF {
			return nil, "", fail(40002, "read file: %v", err)
		}
		if counted.n > s.opts.MaxFileBytes {
			return nil, "", fail(40907, "File size exceeds the limit of %d bytes", s.opts.MaxFileBytes)
		}
		b := bytes.TrimSuffix(raw, []byte("\n"))
		if len(raw) > 0 {
			line++
			if calc == "MULTIPLE_TYPES" && line == 1 {
				names := strings.Split(string(b), ",")
				seen := map[string]int{}
				for _, n := range names {
					if !multiHeaders[n] {
						return nil, "", fail(40909, "MULTIPLE_TYPES header column %q is not Email_SHA256, Phone_SHA256 or MAID_SHA256 (TikTok's spelling)", n)
					}
					if seen[n]++; seen[n] > 3 {
						return nil, "", fail(40909, "header column %s appears more than 3 times", n)
					}
				}
				cols = len(names)
			} else if calc == "MULTIPLE_TYPES" {
				fields := bytes.Split(b, []byte(","))
				if len(fields) != cols {
					return nil, "", fail(40915, "line %d has %d fields, the header has %d", line, len(fields), cols)
				}
				sawID := false
				for _, fl := range fields {
					if len(fl) == 0 {
						continue
					}
					if !isHash(fl) {
						return nil, "", fail(40915, "line %d: a field is not 64 lowercase hex characters", line)
					}
					sawID = true
					if !s.opts.NoRecord {
						f.hashes = append(f.hashes, string(fl))
					}
				}
				if !sawID {
					return nil, "", fail(40915, "line %d has no identifier", line)
				}
				f.rows++
				if !s.opts.NoRecord {
					lines = append(lines, string(b))
				}
			} else {
				if !isHash(b) {
					if line == 1 && bytes.Contains(b, []byte("SHA256")) {
						return nil, "", fail(40909, "calculate_type %s does not match the file: it has a header row (MULTIPLE_TYPES?)", calc)
					}
					return nil, "", fail(40915, "line %d is not 64 lowercase hex characters", line)
				}
				f.rows++
				if !s.opts.NoRecord {
					f.hashes = append(f.hashes, string(b))
					lines = append(lines, string(b))
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	s.mu.Lock()
	s.stats.UploadBytes += counted.n
	if f.rows > 0 {
		// Uploading a row teaches TikTok that its identifiers are one user.
		for _, l := range lines {
			f.userRows = append(f.userRows, s.users.rowNodes(l))
		}
	}
	s.mu.Unlock()
	if f.rows == 0 {
		return nil, "", fail(40906, "File is empty")
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return fail(40002, "invalid JSON body: %v", err)
	}
	return nil
}

// filesFor resolves file paths for an advertiser and calculate type. Caller
// holds s.mu.
func (s *Server) filesFor(advertiser, calc string, paths []string) ([]*file, error) {
	if len(paths) < 1 || len(paths) > 500 {
		return nil, fail(40002, "file_paths: Length must be between 1 and 500.")
	}
	var out []*file
	for _, p := range paths {
		f, ok := s.files[p]
		if !ok || f.advertiser != advertiser {
			return nil, fail(40905, "File %s does not exist", p)
		}
		if !f.expiresAt.IsZero() && time.Now().After(f.expiresAt) {
			return nil, fail(40910, "File %s has expired", p)
		}
		if f.calculateType != calc {
			return nil, fail(40909, "File %s has calculate_type %s, not %s", p, f.calculateType, calc)
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *Server) deliver(a *audience, files []*file) {
	for _, f := range files {
		if a.users == nil {
			a.userCount += f.rows
		} else {
			for u := range s.matched([]*file{f}) {
				a.users[u] = struct{}{}
			}
		}
		for _, h := range f.hashes {
			a.delivered[h]++
		}
	}
}

func (s *Server) addHistory(a *audience, action string, files []*file) {
	var rows int64
	for _, f := range files {
		rows += f.rows
	}
	a.history = append(a.history, history{Action: action, ActionDetail: fmt.Sprintf("%s %d file(s), %d rows", action, len(files), rows),
		Editor: "api", Msg: s.opts.HistoryMsg, OptTime: s.optTime(time.Now()), hiddenFor: s.historyLag})
	s.historyLag = 0
	a.lastAction = action
	a.calcUntil = time.Now().Add(s.opts.ProcessingDelay)
}

func (s *Server) create(r *http.Request) (any, error) {
	var req struct {
		AdvertiserID  string   `json:"advertiser_id"`
		Name          string   `json:"custom_audience_name"`
		FilePaths     []string `json:"file_paths"`
		CalculateType string   `json:"calculate_type"`
		Retention     *int     `json:"retention_in_days"`
		SubType       string   `json:"audience_sub_type"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := s.checkAdvertiser(req.AdvertiserID); err != nil {
		return nil, err
	}
	if n := len([]rune(req.Name)); n < 1 || n > 128 {
		return nil, fail(40002, "custom_audience_name: Length must be between 1 and 128.")
	}
	if !calcTypes[req.CalculateType] {
		return nil, fail(40002, "calculate_type: invalid value %q", req.CalculateType)
	}
	if req.Retention != nil && (*req.Retention < 1 || *req.Retention > 365) {
		return nil, fail(40002, "retention_in_days: must be between 1 and 365")
	}
	if req.SubType != "" && req.SubType != "NORMAL" {
		return nil, fail(40002, "audience_sub_type: invalid value")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	files, err := s.filesFor(req.AdvertiserID, req.CalculateType, req.FilePaths)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, a := range s.audiences {
		if a.advertiser == req.AdvertiserID {
			n++
		}
	}
	if n >= 400 {
		return nil, fail(40002, "An advertiser can have at most 400 audiences")
	}
	s.nextID += uint64(1 + s.rnd.IntN(1000))
	a := &audience{id: strconv.FormatUint(s.nextID, 10), name: req.Name, advertiser: req.AdvertiserID,
		calculateType: req.CalculateType, created: time.Now().UTC(), delivered: map[string]int{}}
	if !s.opts.NoRecord {
		a.users = map[int32]struct{}{}
	}
	s.deliver(a, files)
	s.addHistory(a, "CREATE", files)
	s.audiences[a.id] = a
	s.order = append(s.order, a.id)
	return map[string]any{"custom_audience_id": a.id}, nil
}

func (s *Server) update(r *http.Request) (any, error) {
	var req struct {
		AdvertiserID string   `json:"advertiser_id"`
		AudienceID   string   `json:"custom_audience_id"`
		FilePaths    []string `json:"file_paths"`
		Action       string   `json:"action"`
		Name         string   `json:"custom_audience_name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := s.checkAdvertiser(req.AdvertiserID); err != nil {
		return nil, err
	}
	if len(req.FilePaths) == 0 && req.Action == "" && req.Name != "" {
		return s.rename(req.AdvertiserID, req.AudienceID, req.Name)
	}
	if req.Action == "" && len(req.FilePaths) > 0 {
		// TikTok's default; the uploader must always send action.
		req.Action = "REPLACE"
	}
	switch req.Action {
	case "APPEND", "REMOVE", "REPLACE":
	default:
		return nil, fail(40002, "action: must be APPEND, REMOVE or REPLACE")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.audiences[req.AudienceID]
	if !ok || a.advertiser != req.AdvertiserID {
		return nil, fail(40007, "Audience %s does not exist", req.AudienceID)
	}
	if a.lookalike != nil {
		return nil, fail(40002, "Audience %s is a lookalike audience; only customer file audiences take files", req.AudienceID)
	}
	files, err := s.filesFor(req.AdvertiserID, a.calculateType, req.FilePaths)
	if err != nil {
		return nil, err
	}
	if req.Action == "REPLACE" && a.lastAction == "REPLACE" && time.Now().Before(a.calcUntil) {
		return nil, fail(40002, "The audience has a REPLACE in progress; try again after it finishes")
	}
	// The size the audience would have afterwards.
	after := int64(0)
	switch req.Action {
	case "APPEND":
		if a.users == nil {
			after = a.userCount + sumRows(files)
		} else {
			after = int64(len(s.union(a.users, files)))
		}
	case "REMOVE":
		if a.users == nil {
			after = a.userCount - sumRows(files)
		} else {
			after = int64(len(a.users) - len(s.intersect(a.users, files)))
		}
	case "REPLACE":
		if a.users == nil {
			after = sumRows(files)
		} else {
			after = int64(len(s.union(nil, files)))
		}
	}
	if after < 1000 {
		return nil, fail(40002, "After %s the audience would have %d users; at least 1,000 are required", req.Action, after)
	}
	switch req.Action {
	case "APPEND":
		s.deliver(a, files)
	case "REMOVE":
		if a.users == nil {
			a.userCount = after
		} else {
			for k := range s.intersect(a.users, files) {
				delete(a.users, k)
			}
		}
	case "REPLACE":
		if a.users != nil {
			a.users = map[int32]struct{}{}
		} else {
			a.userCount = 0
		}
		s.deliver(a, files)
	}
	if req.Name != "" {
		a.name = req.Name
	}
	s.addHistory(a, req.Action, files)
	return map[string]any{}, nil
}

func sumRows(files []*file) int64 {
	var n int64
	for _, f := range files {
		n += f.rows
	}
	return n
}

// union is base and every user the files match.
func (s *Server) union(base map[int32]struct{}, files []*file) map[int32]struct{} {
	out := s.matched(files)
	for k := range base {
		out[k] = struct{}{}
	}
	return out
}

// intersect is the users of base that the files match.
func (s *Server) intersect(base map[int32]struct{}, files []*file) map[int32]struct{} {
	out := map[int32]struct{}{}
	for u := range s.matched(files) {
		if _, ok := base[u]; ok {
			out[u] = struct{}{}
		}
	}
	return out
}

func (s *Server) details(a *audience) map[string]any {
	valid := !time.Now().Before(a.calcUntil)
	cover := int64(0)
	if valid {
		cover = int64(float64(a.size()) * s.opts.MatchRate)
	}
	return map[string]any{
		"audience_id": a.id, "name": a.name, "audience_type": a.kind(), "calculate_type": a.calculateType,
		"cover_num": cover, "is_valid": valid, "is_expiring": false,
		"create_time": s.optTime(a.created), "expired_time": s.optTime(a.created.AddDate(1, 0, 0)),
		"msg": "", "error_msg": "",
	}
}

func parseIDs(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	var ids []string
	if err := json.Unmarshal([]byte(raw), &ids); err != nil {
		return nil, fail(40002, "custom_audience_ids: must be a JSON array of strings")
	}
	return ids, nil
}

func (s *Server) list(r *http.Request) (any, error) {
	q := r.URL.Query()
	adv := q.Get("advertiser_id")
	if err := s.checkAdvertiser(adv); err != nil {
		return nil, err
	}
	page, size := 1, 10
	var err error
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return nil, fail(40002, "page: must be at least 1")
		}
	}
	if v := q.Get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > 100 {
			return nil, fail(40002, "page_size: must be between 1 and 100")
		}
	}
	ids, err := parseIDs(q.Get("custom_audience_ids"))
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*audience
	for _, id := range s.order {
		if a, ok := s.audiences[id]; ok && a.visible(adv) && (len(want) == 0 || want[id]) {
			all = append(all, a)
		}
	}
	// Newest first, as TikTok lists them.
	sort.SliceStable(all, func(i, j int) bool { return all[i].created.After(all[j].created) })
	total := len(all)
	pages := (total + size - 1) / size
	list := []map[string]any{}
	for i := (page - 1) * size; i < total && i < page*size; i++ {
		d := s.details(all[i])
		d["is_creator"] = all[i].advertiser == adv
		list = append(list, d)
	}
	return map[string]any{"list": list, "page_info": map[string]int{"page": page, "page_size": size, "total_number": total, "total_page": pages}}, nil
}

func (s *Server) get(r *http.Request) (any, error) {
	q := r.URL.Query()
	adv := q.Get("advertiser_id")
	if err := s.checkAdvertiser(adv); err != nil {
		return nil, err
	}
	ids, err := parseIDs(q.Get("custom_audience_ids"))
	if err != nil {
		return nil, err
	}
	if len(ids) < 1 || len(ids) > 100 {
		return nil, fail(40002, "custom_audience_ids: Length must be between 1 and 100.")
	}
	hs := 10
	if v := q.Get("history_size"); v != "" {
		if hs, err = strconv.Atoi(v); err != nil || hs < 0 || hs > 100 {
			return nil, fail(40002, "history_size: must be between 0 and 100")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []map[string]any
	for _, id := range ids {
		a, ok := s.audiences[id]
		if !ok || !a.visible(adv) {
			return nil, fail(40007, "Audience %s does not exist", id)
		}
		// Newest history first, at most hs entries; late ones not yet.
		var h []history
		for i := len(a.history) - 1; i >= 0 && len(h) < hs; i-- {
			if a.history[i].hiddenFor > 0 {
				a.history[i].hiddenFor--
				continue
			}
			h = append(h, a.history[i])
		}
		// get names the audience's kind "type" (list says "audience_type").
		d := s.details(a)
		d["type"] = d["audience_type"]
		delete(d, "audience_type")
		d["is_creator"] = a.advertiser == adv
		list = append(list, map[string]any{"audience_details": d, "audience_history": h})
	}
	return map[string]any{"list": list}, nil
}

func (s *Server) delete(r *http.Request) (any, error) {
	var req struct {
		AdvertiserID string   `json:"advertiser_id"`
		IDs          []string `json:"custom_audience_ids"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := s.checkAdvertiser(req.AdvertiserID); err != nil {
		return nil, err
	}
	if len(req.IDs) < 1 || len(req.IDs) > 100 {
		return nil, fail(40002, "custom_audience_ids: Length must be between 1 and 100.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range req.IDs {
		if a, ok := s.audiences[id]; !ok || a.advertiser != req.AdvertiserID {
			return nil, fail(40007, "Audience %s does not exist", id)
		}
	}
	for _, id := range req.IDs {
		delete(s.audiences, id)
	}
	return map[string]any{}, nil
}

// kind is the audience's type as list and get report it.
func (a *audience) kind() string {
	if a.lookalike != nil {
		return "Lookalike"
	}
	return "Customer File"
}

// rename is update with custom_audience_name and no file_paths: only the
// name changes (no membership change, so no audience_history entry).
func (s *Server) rename(advertiser, id, name string) (any, error) {
	if n := len([]rune(name)); n > 128 {
		return nil, fail(40002, "custom_audience_name: Length must be between 1 and 128.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.audiences[id]
	if !ok || a.advertiser != advertiser {
		return nil, fail(40007, "Audience %s does not exist", id)
	}
	a.name = name
	return map[string]any{}, nil
}

// lookalikeSpec is lookalike/create's lookalike_spec, as TikTok's SDK
// (yml_files/dmp_custom_audience_lookalike_create.yml) defines it.
type lookalikeSpec struct {
	SourceAudienceID string   `json:"source_audience_id"`
	IncludeSource    *bool    `json:"include_source"`
	MobileOS         string   `json:"mobile_os"`
	Placements       []string `json:"placements"`
	LocationIDs      []string `json:"location_ids"`
	AudienceSize     string   `json:"audience_size"`
}

// lookalikeFactor is how many times its seed a lookalike of each size is.
var lookalikeFactor = map[string]int64{"NARROW": 10, "BALANCED": 20, "BROAD": 30}

var lookalikeOS = map[string]bool{"ALL": true, "ANDROID": true, "IOS": true}

var lookalikePlacements = map[string]bool{"TIKTOK": true, "PANGLE": true, "TOPBUZZ": true}

// lookalikeCreate enforces every required field of the SDK's definition,
// a seed of this advertiser that is a customer file audience (not a
// lookalike) with at least 100 users, and answers custom_audience_id.
func (s *Server) lookalikeCreate(r *http.Request) (any, error) {
	var req struct {
		AdvertiserID string         `json:"advertiser_id"`
		Name         string         `json:"custom_audience_name"`
		Spec         *lookalikeSpec `json:"lookalike_spec"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := s.checkAdvertiser(req.AdvertiserID); err != nil {
		return nil, err
	}
	if n := len([]rune(req.Name)); n < 1 || n > 128 {
		return nil, fail(40002, "custom_audience_name: Length must be between 1 and 128.")
	}
	sp := req.Spec
	switch {
	case sp == nil:
		return nil, fail(40002, "lookalike_spec: Missing data for required field.")
	case sp.SourceAudienceID == "":
		return nil, fail(40002, "lookalike_spec.source_audience_id: Missing data for required field.")
	case sp.IncludeSource == nil:
		return nil, fail(40002, "lookalike_spec.include_source: Missing data for required field.")
	case !lookalikeOS[sp.MobileOS]:
		return nil, fail(40002, "lookalike_spec.mobile_os: must be ALL, ANDROID or IOS, got %q", sp.MobileOS)
	case len(sp.Placements) == 0:
		return nil, fail(40002, "lookalike_spec.placements: Missing data for required field.")
	case len(sp.LocationIDs) == 0:
		return nil, fail(40002, "lookalike_spec.location_ids: Length must be at least 1.")
	case lookalikeFactor[sp.AudienceSize] == 0:
		return nil, fail(40002, "lookalike_spec.audience_size: must be NARROW, BALANCED or BROAD, got %q", sp.AudienceSize)
	}
	for _, p := range sp.Placements {
		if !lookalikePlacements[p] {
			return nil, fail(40002, "lookalike_spec.placements: invalid value %q", p)
		}
	}
	for _, id := range sp.LocationIDs {
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return nil, fail(40002, "lookalike_spec.location_ids: invalid location id %q", id)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seed, ok := s.audiences[sp.SourceAudienceID]
	if !ok || seed.advertiser != req.AdvertiserID {
		return nil, fail(40007, "Audience %s does not exist", sp.SourceAudienceID)
	}
	if seed.lookalike != nil {
		return nil, fail(40002, "The source audience cannot be a lookalike audience")
	}
	if seed.size() < 100 {
		return nil, fail(40002, "The source audience must have at least 100 users, it has %d", seed.size())
	}
	s.nextID += uint64(1 + s.rnd.IntN(1000))
	spec := *sp
	a := &audience{id: strconv.FormatUint(s.nextID, 10), name: req.Name, advertiser: req.AdvertiserID,
		created: time.Now().UTC(), delivered: map[string]int{}, lookalike: &spec,
		userCount: seed.size() * lookalikeFactor[sp.AudienceSize]}
	a.history = append(a.history, history{Action: "CREATE", ActionDetail: "CREATE lookalike of " + seed.id,
		Editor: "api", Msg: s.opts.HistoryMsg, OptTime: s.optTime(time.Now())})
	a.calcUntil = time.Now().Add(s.opts.ProcessingDelay)
	s.audiences[a.id] = a
	s.order = append(s.order, a.id)
	return map[string]any{"custom_audience_id": a.id}, nil
}
