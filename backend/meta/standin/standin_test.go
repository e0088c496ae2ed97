package standin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
)

func h(s string) string {
	x := sha256.Sum256([]byte(s))
	return hex.EncodeToString(x[:])
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) code() (int, int) {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(float64)
	s, _ := e["error_subcode"].(float64)
	return int(c), int(s)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	json.Unmarshal(b, &a.body)
	return a
}

func jsonReq(t *testing.T, method, u string, body any) *http.Request {
	b, _ := json.Marshal(body)
	r, _ := http.NewRequest(method, u, bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func setup(t *testing.T, opts standin.Options) (*standin.Server, string, string) {
	srv := standin.New(opts)
	base := standintest.Start(t, srv)
	r := jsonReq(t, "POST", base+srv.AdAccount()+"/customaudiences", map[string]any{"name": "A", "subtype": "CUSTOM",
		"customer_file_source": "USER_PROVIDED_ONLY", "access_token": srv.Token()})
	a := do(t, r)
	id, _ := a.body["id"].(string)
	if id == "" {
		t.Fatalf("create: %s", a.raw)
	}
	return srv, base, id
}

// TestTokenPlacesAndPayloadShapes: the token from the query, an
// urlencoded, multipart or JSON body, or a Bearer header; the payload as
// a JSON string field or a JSON object; a POST with method=DELETE removes.
func TestTokenPlacesAndPayloadShapes(t *testing.T) {
	srv, base, id := setup(t, standin.Options{FreshAudienceMisses: -1})
	payload := fmt.Sprintf(`{"schema":"EMAIL_SHA256","data":[%q]}`, h("form@x.com"))
	// urlencoded body, token in the query
	r, _ := http.NewRequest("POST", base+id+"/users?access_token="+srv.Token(), strings.NewReader(url.Values{"payload": {payload}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a := do(t, r); a.status != 200 {
		t.Fatalf("form: %s", a.raw)
	}
	// multipart, token as a field (the docs' cURL -F)
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	w.WriteField("access_token", srv.Token())
	w.WriteField("payload", fmt.Sprintf(`{"schema":"EMAIL_SHA256","data":[[%q]]}`, h("multi@x.com")))
	w.Close()
	r, _ = http.NewRequest("POST", base+id+"/users", &mp)
	r.Header.Set("Content-Type", w.FormDataContentType())
	if a := do(t, r); a.status != 200 {
		t.Fatalf("multipart: %s", a.raw)
	}
	// JSON object, Bearer header
	r = jsonReq(t, "POST", base+id+"/users", map[string]any{"payload": map[string]any{"schema": "EMAIL_SHA256", "data": []string{h("json@x.com")}}})
	r.Header.Set("Authorization", "Bearer "+srv.Token())
	if a := do(t, r); a.status != 200 || a.body["num_received"] != 1.0 {
		t.Fatalf("json: %s", a.raw)
	}
	if srv.Size(id) != 3 {
		t.Fatalf("size %d", srv.Size(id))
	}
	// POST with method=DELETE removes, payload in the body.
	r = jsonReq(t, "POST", base+id+"/users", map[string]any{"method": "DELETE", "access_token": srv.Token(),
		"payload": map[string]any{"schema": "EMAIL_SHA256", "data": []string{h("json@x.com")}}})
	if a := do(t, r); a.status != 200 || srv.Size(id) != 2 {
		t.Fatalf("method=DELETE: %s, size %d", a.raw, srv.Size(id))
	}
	if srv.Stats().PayloadInQuery != 0 {
		t.Fatal("counted a body payload as a query one")
	}
}

// TestRefusals: each refusal the spec lists, with its code and subcode.
func TestRefusals(t *testing.T) {
	srv, base, id := setup(t, standin.Options{FreshAudienceMisses: -1})
	tok := srv.Token()
	rows := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = h(fmt.Sprint(i))
		}
		return out
	}
	cases := []struct {
		name          string
		req           *http.Request
		code, subcode int
	}{
		{"no token", jsonReq(t, "GET", base+id, nil), 190, 0},
		{"bad token", jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": "nope"}), 190, 0},
		{"old version", jsonReq(t, "GET", strings.Replace(base, "v25.0", "v19.0", 1)+id+"?access_token="+tok, nil), 2635, 0},
		{"no payload", jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": tok}), 100, 0},
		{"empty data", jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": tok, "payload": map[string]any{"schema": "EMAIL_SHA256", "data": []string{}}}), 100, 0},
		{"unknown key", jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": tok, "payload": map[string]any{"schema": []string{"EMAIL", "DOB"}, "data": [][]string{{"", ""}}}}), 100, 0},
		{"row length", jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": tok, "payload": map[string]any{"schema": []string{"EMAIL", "PHONE"}, "data": [][]string{{h("a")}}}}), 100, 0},
		{"10,001 rows", jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": tok, "payload": map[string]any{"schema": "EMAIL_SHA256", "data": rows(10001)}}), 100, 0},
		{"replace without session", jsonReq(t, "POST", base+id+"/usersreplace", map[string]any{"access_token": tok, "payload": map[string]any{"schema": "EMAIL_SHA256", "data": rows(1)}}), 194, 0},
		{"replace starting at 2", jsonReq(t, "POST", base+id+"/usersreplace", map[string]any{"access_token": tok, "session": map[string]any{"session_id": 4, "batch_seq": 2}, "payload": map[string]any{"schema": "EMAIL_SHA256", "data": rows(1)}}), 2650, 1870147},
		{"create without source", jsonReq(t, "POST", base+srv.AdAccount()+"/customaudiences", map[string]any{"access_token": tok, "name": "x", "subtype": "CUSTOM"}), 100, 0},
		{"unknown audience", jsonReq(t, "GET", base+"999?access_token="+tok, nil), 100, 33},
	}
	for _, c := range cases {
		a := do(t, c.req)
		if code, sub := a.code(); code != c.code || sub != c.subcode || a.status < 400 {
			t.Errorf("%s: HTTP %d %s, want code %d/%d", c.name, a.status, a.raw, c.code, c.subcode)
		}
	}
	// The 10,000-row request is taken.
	if a := do(t, jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": tok, "payload": map[string]any{"schema": "EMAIL_SHA256", "data": rows(10000)}})); a.status != 200 {
		t.Fatalf("10,000 rows: %s", a.raw)
	}
	// Cells that are not hashes are counted and sampled, not added.
	a := do(t, jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": tok, "payload": map[string]any{"schema": []string{"EMAIL", "MADID"},
		"data": [][]string{{"mary@example.com", ""}, {"", "AECE52E7-03EE-455A-B3C4-E57283966239"}, {h("ok"), "aece52e7-03ee-455a-b3c4-e57283966239"}}}}))
	if code, _ := a.code(); code != 2650 {
		t.Fatalf("multi-key into a single-key audience: %s", a.raw)
	}
	_, base2, id2 := setup(t, standin.Options{FreshAudienceMisses: -1})
	a = do(t, jsonReq(t, "POST", base2+id2+"/users", map[string]any{"access_token": tok, "payload": map[string]any{"schema": []string{"EMAIL", "MADID"},
		"data": [][]string{{"mary@example.com", ""}, {"", "AECE52E7-03EE-455A-B3C4-E57283966239"}, {h("ok"), "aece52e7-03ee-455a-b3c4-e57283966239"}}}}))
	if a.status != 200 || a.body["num_invalid_entries"] != 2.0 || a.body["num_received"] != 3.0 {
		t.Fatalf("invalid entries: %s", a.raw)
	}
	// A payload in a huge query string gets Graph's HTML error page.
	q := url.Values{"access_token": {tok}, "payload": {fmt.Sprintf(`{"schema":"EMAIL_SHA256","data":%s}`, must(json.Marshal(rows(2000))))}}
	r, _ := http.NewRequest("DELETE", base+id+"/users?"+q.Encode(), nil)
	if a := do(t, r); a.status != http.StatusRequestURITooLong || !strings.Contains(a.raw, "<html>") {
		t.Fatalf("oversized query: %d %s", a.status, a.raw)
	}
}

func must(b []byte, _ error) string { return string(b) }

// TestUsageHeaderAndLimit: every answer carries the custom_audience usage;
// over the hour's calls, 80003/2446079 with the minutes to wait.
func TestUsageHeaderAndLimit(t *testing.T) {
	srv, base, id := setup(t, standin.Options{CallsPerHour: 4})
	get := func() answer { return do(t, jsonReq(t, "GET", base+id+"?access_token="+srv.Token(), nil)) }
	a := get()
	var usage map[string][]map[string]any
	if err := json.Unmarshal([]byte(a.header.Get("x-business-use-case-usage")), &usage); err != nil {
		t.Fatalf("usage header %q: %v", a.header.Get("x-business-use-case-usage"), err)
	}
	e := usage[strings.TrimPrefix(srv.AdAccount(), "act_")][0]
	if e["type"] != "custom_audience" || e["call_count"] != 50.0 {
		t.Fatalf("usage %v after 2 of 4 calls", e)
	}
	get()
	get()
	a = get()
	if code, sub := a.code(); code != 80003 || sub != 2446079 {
		t.Fatalf("fifth call: %s", a.raw)
	}
	json.Unmarshal([]byte(a.header.Get("x-business-use-case-usage")), &usage)
	if m := usage[strings.TrimPrefix(srv.AdAccount(), "act_")][0]["estimated_time_to_regain_access"]; m != 60.0 {
		t.Fatalf("regain %v minutes", m)
	}
}

// TestSessionsEdgeAnswersStrings: the sessions edge reports a session's
// counts as strings, and stage uploading until its last batch.
func TestSessionsEdgeAnswersStrings(t *testing.T) {
	srv, base, id := setup(t, standin.Options{FreshAudienceMisses: -1})
	send := func(seq int, last bool, cells ...string) {
		a := do(t, jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": srv.Token(),
			"session": map[string]any{"session_id": 77, "batch_seq": seq, "last_batch_flag": last},
			"payload": map[string]any{"schema": "EMAIL_SHA256", "data": cells}}))
		if a.status != 200 {
			t.Fatal(a.raw)
		}
	}
	stage := func() map[string]any {
		a := do(t, jsonReq(t, "GET", base+id+"/sessions?session_id=77&access_token="+srv.Token(), nil))
		data, _ := a.body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("sessions: %s", a.raw)
		}
		return data[0].(map[string]any)
	}
	send(1, false, h("1"), h("2"))
	if s := stage(); s["stage"] != "uploading" || s["num_received"] != "2" {
		t.Fatalf("after batch 1: %v", s)
	}
	send(2, true, h("3"))
	send(2, true, h("4")) // after the last batch: discarded
	if s := stage(); s["stage"] != "finished" || s["num_received"] != "3" || srv.Stats().DiscardedBatches != 1 {
		t.Fatalf("after the last batch: %v %+v", s, srv.Stats())
	}
}

// TestResentBatchCountsAgain: the same batch sent twice into a session
// changes no membership but is counted again in num_received, and the
// stand-in notes the repeat (what the uploader must never do).
func TestResentBatchCountsAgain(t *testing.T) {
	srv, base, id := setup(t, standin.Options{FreshAudienceMisses: -1})
	var last answer
	for range 2 {
		last = do(t, jsonReq(t, "POST", base+id+"/users", map[string]any{"access_token": srv.Token(),
			"session": map[string]any{"session_id": 5, "batch_seq": 1},
			"payload": map[string]any{"schema": "EMAIL_SHA256", "data": []string{h("1"), h("2")}}}))
	}
	if last.body["num_received"] != 4.0 || srv.Size(id) != 2 || srv.Stats().RepeatedBatches != 1 || srv.Received("EMAIL", h("1")) != 2 {
		t.Fatalf("after a resend: %s, size %d, %+v", last.raw, srv.Size(id), srv.Stats())
	}
}

// TestTimedOutReplaceShowsInReads: a replace left without its last batch
// ends 90 minutes after its first (spec §5: the audience becomes what was
// uploaded so far), and the audience's read and list say so then —
// time_content_updated is the end of the window — without waiting for
// another users-edge call.
func TestTimedOutReplaceShowsInReads(t *testing.T) {
	clock := standintest.NewClock()
	srv, base, id := setup(t, standin.Options{FreshAudienceMisses: -1, Now: clock.Now})
	post := func(edge string, session map[string]any, cells ...string) {
		a := do(t, jsonReq(t, "POST", base+id+"/"+edge, map[string]any{"access_token": srv.Token(), "session": session,
			"payload": map[string]any{"schema": "EMAIL_SHA256", "data": cells}}))
		if a.status != 200 {
			t.Fatal(a.raw)
		}
	}
	content := func() (int64, int64) {
		t.Helper()
		a := do(t, jsonReq(t, "GET", base+id+"?fields=time_content_updated,approximate_count_lower_bound&access_token="+srv.Token(), nil))
		ct, _ := a.body["time_content_updated"].(float64)
		n, _ := a.body["approximate_count_lower_bound"].(float64)
		l := do(t, jsonReq(t, "GET", base+srv.AdAccount()+"/customaudiences?fields=id,time_content_updated&access_token="+srv.Token(), nil))
		data, _ := l.body["data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["time_content_updated"] != a.body["time_content_updated"] {
			t.Fatalf("the list says %s, the read %s", l.raw, a.raw)
		}
		return int64(ct), int64(n)
	}
	post("users", map[string]any{"session_id": 1, "batch_seq": 1, "last_batch_flag": true}, h("1"), h("2"))
	added := clock.Now().Unix()
	clock.Advance(time.Minute)
	started := clock.Now()
	post("usersreplace", map[string]any{"session_id": 2, "batch_seq": 1}, h("3"))
	if ct, n := content(); ct != added || n != 2 {
		t.Fatalf("during the replace: content updated %d, %d people; want %d (the add), 2", ct, n, added)
	}
	clock.Advance(91 * time.Minute)
	if ct, n := content(); ct != started.Add(standin.SessionWindow).Unix() || n != 1 {
		t.Fatalf("after the replace's window: content updated %d, %d people; want %d (its end), 1", ct, n, started.Add(standin.SessionWindow).Unix())
	}
}
