package standin

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The users-edge limits (spec §3, §5).
const (
	MaxRowsPerRequest = 10000
	SessionWindow     = 90 * time.Minute
	maxReplaceSize    = 100_000_000
	maxInvalidSamples = 100
)

// singleKeySchemas maps Meta's one-key schema names to the key their
// cells are.
var singleKeySchemas = map[string]string{"EMAIL_SHA256": "EMAIL", "PHONE_SHA256": "PHONE",
	"MOBILE_ADVERTISER_ID": "MADID", "EXTERN_ID": "EXTERN_ID"}

// multiKeys are the keys of a multi-key schema; true = the cell is a hash.
var multiKeys = map[string]bool{"EXTERN_ID": false, "EMAIL": true, "PHONE": true, "GEN": true, "DOBY": true,
	"DOBM": true, "DOBD": true, "LN": true, "FN": true, "FI": true, "CT": true, "ST": true, "ZIP": true,
	"MADID": false, "COUNTRY": true, "LOOKALIKE_VALUE": false}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	madidText = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

type session struct {
	id          int64
	replace     bool
	schema      string
	started     time.Time
	last        bool
	ended       time.Time // when the last batch came
	numReceived int
	numInvalid  int
	batches     map[int]int
	staged      *people // a replace's new membership until it ends
}

// open: a session takes batches until its last batch, for 90 minutes from
// its first.
func (se *session) open(now time.Time) bool {
	return !se.last && now.Sub(se.started) < SessionWindow
}

type sessionParam struct {
	ID       *int64 `json:"session_id"`
	BatchSeq int    `json:"batch_seq"`
	Last     bool   `json:"last_batch_flag"`
	Total    int    `json:"estimated_num_total"`
}

type payloadParam struct {
	Schema json.RawMessage   `json:"schema"`
	Data   []json.RawMessage `json:"data"`
}

// batch is a parsed payload: its keys and each row's cells.
type batch struct {
	schema  string // the schema as sent, canonical text
	keys    []string
	single  bool
	rows    [][]string
	invalid int
	samples map[string]string
}

func parsePayload(req *request) (*batch, *apiError) {
	var p payloadParam
	ok, err := req.object("payload", &p)
	if !ok {
		return nil, errf(400, 100, 0, "(#100) The parameter payload is required")
	}
	if err != nil {
		return nil, errf(400, 100, 0, "(#100) Param payload must be a JSON object: %v", err)
	}
	b := &batch{samples: map[string]string{}}
	var one string
	var many []string
	switch {
	case json.Unmarshal(p.Schema, &one) == nil:
		many = []string{one}
	case json.Unmarshal(p.Schema, &many) == nil && len(many) > 0:
	default:
		return nil, errf(400, 100, 0, "(#100) Param payload[schema] must be a schema name or an array of key names")
	}
	if key, ok := singleKeySchemas[many[0]]; ok && len(many) == 1 {
		b.single, b.keys = true, []string{key}
	} else {
		for _, k := range many {
			if _, ok := multiKeys[k]; !ok {
				return nil, errf(400, 100, 0, "(#100) Invalid schema field %q", k)
			}
		}
		b.keys = many
	}
	b.schema = strings.Join(many, ",")
	if len(p.Data) == 0 {
		return nil, errf(400, 100, 0, "(#100) Data is missing or does not match schema")
	}
	if len(p.Data) > MaxRowsPerRequest {
		return nil, errf(400, 100, 0, "(#100) Too many rows: a request takes at most %d, this one has %d", MaxRowsPerRequest, len(p.Data))
	}
	for _, raw := range p.Data {
		var cells []string
		var cell string
		if b.single && json.Unmarshal(raw, &cell) == nil {
			cells = []string{cell}
		} else if json.Unmarshal(raw, &cells) != nil || len(cells) != len(b.keys) {
			return nil, errf(400, 100, 0, "(#100) Data is missing or does not match schema: each row must have %d values", len(b.keys))
		}
		row, why := b.cells(cells)
		if why != "" {
			b.invalid++
			if len(b.samples) < maxInvalidSamples {
				b.samples[strconv.Itoa(len(b.samples))] = why
			}
			continue
		}
		b.rows = append(b.rows, row)
	}
	return b, nil
}

// cells checks one row and returns its "KEY=value" cells (empty values
// are unknown, not cells), or why it is an invalid entry.
func (b *batch) cells(values []string) ([]string, string) {
	var out []string
	for i, v := range values {
		if v == "" {
			continue
		}
		k := b.keys[i]
		switch {
		case k == "MADID" && !madidText.MatchString(v):
			return nil, "MADID is not a lowercase advertising ID"
		case multiKeys[k] && !sha256Hex.MatchString(v):
			return nil, k + " is not a SHA-256 hash in lowercase hex"
		}
		out = append(out, k+"="+v)
	}
	if len(out) == 0 {
		return nil, "the row has no values"
	}
	return out, ""
}

func (b *batch) dataSource() string {
	if b.single {
		return sourceSingleKey
	}
	return sourceMultiKey
}

// checkSource: the first upload fixes the audience's data source; a
// different kind is refused (spec §3, §9.6).
func (a *audience) checkSource(b *batch) *apiError {
	if a.dataSource == "" {
		a.dataSource = b.dataSource()
		return nil
	}
	if a.dataSource != b.dataSource() {
		return errf(400, 2650, 0, "(#2650) Failed to update the custom audience: This audience was created from data source %s, which does not support data source %s", a.dataSource, b.dataSource())
	}
	return nil
}

// settle ends a replace whose 90 minutes are over: the audience becomes
// what was uploaded so far. Caller holds s.mu.
func (a *audience) settle(now time.Time) {
	if se := a.replacing; se != nil && !se.open(now) {
		a.people = se.staged
		a.replacing = nil
		a.contentUpdated = se.started.Add(SessionWindow)
		if se.last {
			a.contentUpdated = se.ended
		}
	}
}

func notFoundAlias() *apiError {
	return errf(400, 803, 0, "(#803) Some of the aliases you requested do not exist: users")
}

// usersEdgeOpen is what both users edges check first: a timed-out
// replace is settled, the terms are accepted, a fresh audience has been
// found (#803 until then). Caller holds s.mu.
func usersEdgeOpen(req *request, acc *account, a *audience) *apiError {
	a.settle(req.now)
	if !acc.termsAccepted {
		return termsError(acc)
	}
	if a.misses > 0 {
		a.misses--
		return notFoundAlias()
	}
	return nil
}

// users answers POST (add) and DELETE (remove) on /<id>/users.
func (s *Server) users(req *request, acc *account, a *audience, remove bool) (int, any, *apiError) {
	if aerr := usersEdgeOpen(req, acc, a); aerr != nil {
		return 0, nil, aerr
	}
	if a.replacing != nil {
		return 0, nil, errf(400, 2650, 1870145, "(#2650) Audience Update In Progress: a replace is running on this audience")
	}
	if req.inQuery["payload"] {
		s.stats.PayloadInQuery++
	}
	b, aerr := parsePayload(req)
	if aerr != nil {
		return 0, nil, aerr
	}
	var sp sessionParam
	hasSession, err := req.object("session", &sp)
	if err != nil || (hasSession && (sp.ID == nil || *sp.ID <= 0 || sp.BatchSeq < 1)) {
		return 0, nil, errf(400, 100, 0, "(#100) Param session must have a positive session_id and a batch_seq from 1")
	}
	var se *session
	if hasSession {
		se = a.sessions[*sp.ID]
		if se != nil && se.replace {
			return 0, nil, errf(400, 100, 0, "(#100) Session %d is a replace session", *sp.ID)
		}
	} else {
		id := int64(s.rnd.Uint64() >> 2)
		sp = sessionParam{ID: &id, BatchSeq: 1, Last: true}
	}
	if se == nil {
		se = &session{id: *sp.ID, schema: b.schema, started: req.now, batches: map[int]int{}}
		a.sessions[se.id] = se
	} else if !se.open(req.now) {
		// "Any batch received after 90 minutes is also discarded" (G).
		s.stats.DiscardedBatches++
		return 200, usersAnswer(a, se, b), nil
	}
	if se.schema != b.schema {
		return 0, nil, errf(400, 100, 0, "(#100) The schema must stay the same within a session (it was %s)", se.schema)
	}
	if aerr := a.checkSource(b); aerr != nil {
		return 0, nil, aerr
	}
	if remove {
		after := a.people.size()
		for _, row := range b.rows {
			after -= len(a.people.matching(row))
		}
		if s.opts.MinSizeAfterRemove > 0 && after < s.opts.MinSizeAfterRemove {
			return 0, nil, errf(400, 2650, 1870047, "(#2650) Audience Size too Low: You cannot remove users from this audience because it will result in a low audience size")
		}
		for _, row := range b.rows {
			a.people.remove(row)
		}
	} else {
		for _, row := range b.rows {
			a.people.add(row)
			s.count(row)
		}
	}
	s.record(se, sp, b)
	a.contentUpdated, a.updated = req.now, req.now
	return 200, usersAnswer(a, se, b), nil
}

func (s *Server) count(row []string) {
	for _, c := range row {
		s.received[c]++
	}
}

// record books a batch into its session. Caller holds s.mu.
func (s *Server) record(se *session, sp sessionParam, b *batch) {
	if se.batches[sp.BatchSeq] > 0 {
		s.stats.RepeatedBatches++
	}
	se.batches[sp.BatchSeq]++
	se.numReceived += len(b.rows) + b.invalid
	se.numInvalid += b.invalid
	if sp.Last {
		se.last = true
		se.ended = s.opts.Now()
	}
}

func usersAnswer(a *audience, se *session, b *batch) map[string]any {
	return map[string]any{"audience_id": a.id, "session_id": strconv.FormatInt(se.id, 10),
		"num_received": se.numReceived, "num_invalid_entries": se.numInvalid, "invalid_entry_samples": b.samples}
}

func replaceError(subcode int, msg string) *apiError {
	return errf(400, 2650, subcode, "(#2650) %s", msg)
}

// replace answers POST /<id>/usersreplace (spec §5).
func (s *Server) replace(req *request, acc *account, a *audience) (int, any, *apiError) {
	if aerr := usersEdgeOpen(req, acc, a); aerr != nil {
		return 0, nil, aerr
	}
	var sp sessionParam
	hasSession, err := req.object("session", &sp)
	if !hasSession {
		return 0, nil, errf(400, 194, 0, "(#194) The parameter session is required")
	}
	if err != nil || sp.ID == nil || *sp.ID <= 0 || sp.BatchSeq < 1 {
		return 0, nil, errf(400, 100, 0, "(#100) Param session must have a positive session_id and a batch_seq from 1")
	}
	b, aerr := parsePayload(req)
	if aerr != nil {
		return 0, nil, aerr
	}
	if a.people.size() >= maxReplaceSize {
		return 0, nil, replaceError(1870144, "The audience has 100 million people or more and cannot be replaced")
	}
	se := a.sessions[*sp.ID]
	if se != nil && !se.replace {
		return 0, nil, errf(400, 100, 0, "(#100) Session %d is a users session", *sp.ID)
	}
	switch {
	case sp.BatchSeq == 1 && se != nil:
		return 0, nil, replaceError(1870147, "Invalid Upload Batch for Replace: batch_seq 1 was already received for this session")
	case sp.BatchSeq == 1 && a.replacing != nil:
		return 0, nil, replaceError(1870145, "Audience Update In Progress: another replace is running on this audience")
	case sp.BatchSeq == 1 && s.usersSessionOpen(a, req.now):
		return 0, nil, replaceError(1870145, "Audience Update In Progress: a users session of this audience is still open")
	case sp.BatchSeq == 1:
		se = &session{id: *sp.ID, replace: true, schema: b.schema, started: req.now, batches: map[int]int{}, staged: newPeople()}
	case se == nil:
		return 0, nil, replaceError(1870147, "Invalid Upload Batch for Replace: a replace session starts with batch_seq 1")
	case se.last:
		return 0, nil, replaceError(1870159, "Replace Session Finished: no batch is accepted after last_batch_flag")
	case !se.open(req.now):
		return 0, nil, replaceError(1870158, "Replace Session Timed Out: the session's 90 minutes are over")
	}
	if se.schema != b.schema {
		return 0, nil, errf(400, 100, 0, "(#100) The schema must stay the same within a session (it was %s)", se.schema)
	}
	if aerr := a.checkSource(b); aerr != nil {
		return 0, nil, aerr
	}
	if sp.BatchSeq == 1 {
		a.sessions[se.id] = se
		a.replacing = se
	}
	for _, row := range b.rows {
		se.staged.add(row)
		s.count(row)
	}
	s.record(se, sp, b)
	a.updated = req.now
	if se.last {
		a.settle(req.now)
	}
	out := usersAnswer(a, se, b)
	out["account_id"] = acc.id
	return 200, out, nil
}

// usersSessionOpen: a client-chosen users session still takes batches.
func (s *Server) usersSessionOpen(a *audience, now time.Time) bool {
	for _, se := range a.sessions {
		if !se.replace && se.open(now) {
			return true
		}
	}
	return false
}

// sessions answers GET /<id>/sessions; every value is a string.
func (s *Server) sessions(req *request, a *audience) (int, any, *apiError) {
	a.settle(req.now)
	want := req.str("session_id")
	data := []any{}
	byID := map[string]*session{}
	for id, se := range a.sessions {
		byID[strconv.FormatInt(id, 10)] = se
	}
	for _, k := range sortedKeys(byID) {
		se := byID[k]
		if want != "" && k != want {
			continue
		}
		stage, end := "uploading", "0"
		if !se.open(req.now) {
			stage = "finished"
			endAt := se.started.Add(SessionWindow)
			if se.last {
				endAt = se.ended
			}
			end = strconv.FormatInt(endAt.Unix(), 10)
		}
		matched := (se.numReceived - se.numInvalid) * 7 / 10
		data = append(data, map[string]string{"session_id": k, "stage": stage,
			"num_received": strconv.Itoa(se.numReceived), "num_invalid_entries": strconv.Itoa(se.numInvalid),
			"num_matched": strconv.Itoa(matched), "progress": "100",
			"start_time": strconv.FormatInt(se.started.Unix(), 10), "end_time": end})
	}
	return 200, map[string]any{"data": data}, nil
}
