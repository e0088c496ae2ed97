package standin

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The data sources an audience's first upload fixes (spec §9.6).
const (
	sourceSingleKey = "FILE_IMPORTED.HASHES_OR_USER_IDS"
	sourceMultiKey  = "FILE_IMPORTED.MULTI_HASHES"
)

// maxCustomerFileAudiences is Meta's cap per ad account (spec §2).
const maxCustomerFileAudiences = 500

type audience struct {
	id, account, name, description string
	subtype, customerFileSource    string
	created, updated               time.Time
	contentUpdated                 time.Time
	deleted                        bool
	dataSource                     string // "" until the first upload
	people                         *people
	shownCount                     int // what the approximate counts say (ProcessingDelay)
	misses                         int // #803 answers still to give
	sessions                       map[int64]*session
	replacing                      *session // the replace session in progress
}

// AddAudience makes a customer-list audience in account (digits) as another
// tool or a person in Ads Manager would, and returns its id.
func (s *Server) AddAudience(account, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newAudience(strings.TrimPrefix(account, "act_"), name, "", "USER_PROVIDED_ONLY", 0).id
}

func (s *Server) newAudience(account, name, description, source string, misses int) *audience {
	s.nextID += uint64(1 + s.rnd.IntN(1000))
	now := s.opts.Now()
	a := &audience{id: strconv.FormatUint(s.nextID, 10), account: account, name: name, description: description,
		subtype: "CUSTOM", customerFileSource: source, created: now, updated: now,
		people: newPeople(), misses: misses, sessions: map[int64]*session{}}
	s.audiences[a.id] = a
	s.order = append(s.order, a.id)
	return a
}

// Size returns the number of people in an audience now (not the lagging
// approximate count); -1 for an unknown audience.
func (s *Server) Size(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.audiences[id]
	if a == nil {
		return -1
	}
	return a.people.size()
}

// Members returns an audience's people, each as its sorted "KEY=value"
// cells, sorted; nil for an unknown audience.
func (s *Server) Members(id string) [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.audiences[id]
	if a == nil {
		return nil
	}
	return a.people.list()
}

// AudienceIDs returns the ids of the live audiences named name in account,
// in creation order.
func (s *Server) AudienceIDs(account, name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.order {
		a := s.audiences[id]
		if a.account == strings.TrimPrefix(account, "act_") && a.name == name && !a.deleted {
			out = append(out, id)
		}
	}
	return out
}

// create answers POST act_<id>/customaudiences.
func (s *Server) create(req *request, acc *account) (int, any, *apiError) {
	if !acc.termsAccepted {
		return 0, nil, termsError(acc)
	}
	name := req.str("name")
	if name == "" {
		return 0, nil, errf(400, 100, 0, "(#100) Missing parameter(s): name")
	}
	subtype := req.str("subtype")
	if subtype == "" {
		subtype = "CUSTOM"
	}
	if subtype != "CUSTOM" {
		return 0, nil, errf(400, 100, 0, "(#100) The stand-in makes customer-list audiences only (subtype CUSTOM), not %q", subtype)
	}
	source := req.str("customer_file_source")
	switch source {
	case "":
		return 0, nil, errf(400, 100, 0, "(#100) Missing parameter(s): customer_file_source")
	case "USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED":
	default:
		return 0, nil, errf(400, 100, 0, "(#100) Param customer_file_source must be one of {USER_PROVIDED_ONLY, PARTNER_PROVIDED_ONLY, BOTH_USER_AND_PARTNER_PROVIDED}")
	}
	live := 0
	for _, a := range s.audiences {
		if a.account == acc.id && !a.deleted {
			live++
		}
	}
	if live >= maxCustomerFileAudiences {
		return 0, nil, errf(400, 2654, 0, "(#2654) Failed to create custom audience: the ad account already has %d customer-file audiences", live)
	}
	misses := s.opts.FreshAudienceMisses
	if misses < 0 {
		misses = 0
	}
	a := s.newAudience(acc.id, name, req.str("description"), source, misses)
	return 200, map[string]any{"id": a.id}, nil
}

// list answers GET act_<id>/customaudiences with cursor paging.
func (s *Server) list(req *request, acc *account) (int, any, *apiError) {
	limit := 25
	if l := req.str("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return 0, nil, errf(400, 100, 0, "(#100) Param limit must be a positive integer")
		}
		limit = min(n, 500)
	}
	var ids []string
	for _, id := range s.order {
		if a := s.audiences[id]; a.account == acc.id && !a.deleted {
			ids = append(ids, id)
		}
	}
	start := 0
	if after := req.str("after"); after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return 0, nil, errf(400, 100, 0, "(#100) Invalid cursor")
		}
		start = min(n, len(ids))
	}
	end := min(start+limit, len(ids))
	fs := fields(req)
	data := []any{}
	for _, id := range ids[start:end] {
		data = append(data, s.view(s.audiences[id], fs, req.now))
	}
	out := map[string]any{"data": data}
	cursor := func(n int) string { return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(n))) }
	if end > start {
		paging := map[string]any{"cursors": map[string]string{"before": cursor(start), "after": cursor(end)}}
		if end < len(ids) {
			paging["next"] = "https://graph.facebook.com/v25.0/act_" + acc.id + "/customaudiences?after=" + cursor(end)
		}
		out["paging"] = paging
	}
	return 200, out, nil
}

// read answers GET /<id>?fields=…; without fields only the id.
func (s *Server) read(req *request, a *audience) (int, any, *apiError) {
	return 200, s.view(a, fields(req), req.now), nil
}

func (s *Server) view(a *audience, fs []string, now time.Time) map[string]any {
	// A replace whose 90 minutes are over has ended (with what it got):
	// Meta's read shows it then, not at the next users-edge call.
	a.settle(now)
	if now.Sub(a.contentUpdated) >= s.opts.ProcessingDelay {
		a.shownCount = a.people.size()
	}
	out := map[string]any{"id": a.id}
	for _, f := range fs {
		switch f {
		case "account_id":
			out[f] = a.account
		case "name":
			out[f] = a.name
		case "description":
			out[f] = a.description
		case "subtype":
			out[f] = a.subtype
		case "customer_file_source":
			out[f] = a.customerFileSource
		case "approximate_count_lower_bound", "approximate_count_upper_bound":
			out[f] = a.shownCount
		case "data_source":
			if a.dataSource != "" {
				t, sub, _ := strings.Cut(a.dataSource, ".")
				out[f] = map[string]string{"type": t, "sub_type": sub}
			}
		case "retention_days":
			out[f] = 0
		case "time_created":
			out[f] = a.created.Unix()
		case "time_updated":
			out[f] = a.updated.Unix()
		case "time_content_updated":
			if !a.contentUpdated.IsZero() {
				out[f] = a.contentUpdated.Unix()
			}
		case "operation_status":
			out[f] = a.operationStatus(now)
		case "delivery_status":
			if a.shownCount >= 1000 {
				out[f] = map[string]any{"code": 200, "description": "This audience is ready for use."}
			} else {
				out[f] = map[string]any{"code": 300, "description": "This audience is too small to be used."}
			}
		case "is_value_based":
			out[f] = false
		}
	}
	return out
}

func (a *audience) operationStatus(now time.Time) map[string]any {
	if a.replacing != nil && a.replacing.open(now) {
		return map[string]any{"code": 414, "description": "Replace in progress."}
	}
	if a.dataSource == "" {
		return map[string]any{"code": 410, "description": "No upload: there has been no upload to this audience yet."}
	}
	return map[string]any{"code": 200, "description": "Normal"}
}

// update answers POST /<id>: a rename (and description).
func (s *Server) update(req *request, a *audience) (int, any, *apiError) {
	changed := false
	if _, ok := req.params["name"]; ok {
		n := req.str("name")
		if n == "" {
			return 0, nil, errf(400, 100, 0, "(#100) Param name must be non-empty")
		}
		a.name, changed = n, true
	}
	if _, ok := req.params["description"]; ok {
		a.description, changed = req.str("description"), true
	}
	if !changed {
		return 0, nil, errf(400, 100, 0, "(#100) Nothing to update: send name or description")
	}
	a.updated = req.now
	return 200, map[string]any{"success": true}, nil
}

// sortedKeys is a helper for stable output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
