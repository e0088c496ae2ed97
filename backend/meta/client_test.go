package meta_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/secureurl"
)

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type fixture struct {
	srv    *standin.Server
	clock  *standintest.Clock
	base   string
	client *meta.Client
	events []meta.Event
	mu     sync.Mutex
}

func newFixture(t *testing.T, opts standin.Options) *fixture {
	t.Helper()
	f := &fixture{clock: standintest.NewClock()}
	opts.Now = f.clock.Now
	f.srv = standin.New(opts)
	f.base = standintest.Start(t, f.srv)
	f.client = f.newClient(t, f.srv.Token())
	return f
}

func (f *fixture) newClient(t *testing.T, token string) *meta.Client {
	t.Helper()
	c, err := meta.New(meta.Options{BaseURL: f.base, Token: token, AdAccount: f.srv.AdAccount(), Sleep: f.clock.Sleep,
		Log: func(e meta.Event) { f.mu.Lock(); f.events = append(f.events, e); f.mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func apiErr(t *testing.T, err error) *meta.APIError {
	t.Helper()
	var e *meta.APIError
	if !errors.As(err, &e) {
		t.Fatalf("want a Graph error, got %v", err)
	}
	return e
}

// TestManageAudiences: create, read, list across pages, rename, delete.
func TestManageAudiences(t *testing.T) {
	f := newFixture(t, standin.Options{})
	ctx := context.Background()
	var ids []string
	for i := range 205 {
		id, err := f.client.CreateAudience(ctx, fmt.Sprintf("list %03d", i), "CRM export")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	all, err := f.client.ListAudiences(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 205 || all[0].ID != ids[0] || all[204].Name != "list 204" {
		t.Fatalf("listed %d audiences, first %+v", len(all), all[0])
	}
	if err := f.client.RenameAudience(ctx, ids[3], "renamed"); err != nil {
		t.Fatal(err)
	}
	a, err := f.client.Audience(ctx, ids[3])
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "renamed" || a.Description != "CRM export" || a.OperationStatus.Code != 410 || a.CustomerFileSource != "USER_PROVIDED_ONLY" {
		t.Fatalf("read %+v", a)
	}
	if err := f.client.DeleteAudience(ctx, ids[3]); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.Audience(ctx, ids[3])
	if e := apiErr(t, err); !e.NotFound() {
		t.Fatalf("deleted audience read: %v", e)
	}
}

// TestTokensPermissionsAndTerms: an unknown, an expired and a read-only
// token, and an account whose terms nobody accepted, each answer what the
// spec says, and the error says what to do.
func TestTokensPermissionsAndTerms(t *testing.T) {
	f := newFixture(t, standin.Options{ReadOnlyToken: "read-only", ExpiredToken: "expired",
		AdAccounts: []string{"100000000000001"}, TermsNotAccepted: []string{"100000000000001"}})
	ctx := context.Background()
	_, err := f.newClient(t, "wrong").ListAudiences(ctx)
	if e := apiErr(t, err); !e.TokenProblem() || !strings.Contains(e.Error(), "Settings > Meta") {
		t.Fatalf("wrong token: %v", e)
	}
	_, err = f.newClient(t, "expired").ListAudiences(ctx)
	if e := apiErr(t, err); e.Code != 190 || e.Subcode != 463 {
		t.Fatalf("expired token: %v", e)
	}
	if _, err := f.newClient(t, "read-only").ListAudiences(ctx); err != nil {
		t.Fatalf("a read-only token may list: %v", err)
	}
	_, err = f.newClient(t, "read-only").CreateAudience(ctx, "x", "")
	if e := apiErr(t, err); !e.PermissionProblem() || e.Code != 294 {
		t.Fatalf("read-only create: %v", e)
	}
	ok, err := f.client.TermsAccepted(ctx)
	if err != nil || ok {
		t.Fatalf("terms accepted = %v, %v; want false", ok, err)
	}
	_, err = f.client.CreateAudience(ctx, "x", "")
	if e := apiErr(t, err); !e.TermsNotAccepted() || !strings.Contains(e.Error(), "customaudiences/tos") {
		t.Fatalf("create without terms: %v", e)
	}
	f.srv.AcceptTerms(f.srv.AdAccount())
	if ok, err := f.client.TermsAccepted(ctx); err != nil || !ok {
		t.Fatalf("after acceptance: %v %v", ok, err)
	}
	if _, err := f.client.CreateAudience(ctx, "x", ""); err != nil {
		t.Fatal(err)
	}
}

// TestFreshAudienceAnswers803Once: the first users call on a new audience
// answers #803; the client retries and the batch lands once.
func TestFreshAudienceAnswers803Once(t *testing.T) {
	f := newFixture(t, standin.Options{})
	ctx := context.Background()
	id, err := f.client.CreateAudience(ctx, "fresh", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: [][]string{{hash("a@x.com")}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NumReceived != 1 || f.srv.Received("EMAIL", hash("a@x.com")) != 1 {
		t.Fatalf("result %+v, received %d", res, f.srv.Received("EMAIL", hash("a@x.com")))
	}
	saw803 := false
	for _, e := range f.events {
		saw803 = saw803 || e.Code == 803
	}
	if !saw803 {
		t.Fatal("the stand-in did not answer #803 to the first call on a fresh audience")
	}
}

// TestRateLimitBackOffUsesUsageHeader: with 3 calls an hour, the fourth
// answers 80003; the client waits what estimated_time_to_regain_access
// says (the clock moves), then succeeds.
func TestRateLimitBackOffUsesUsageHeader(t *testing.T) {
	f := newFixture(t, standin.Options{CallsPerHour: 3, FreshAudienceMisses: -1})
	ctx := context.Background()
	id, err := f.client.CreateAudience(ctx, "limited", "")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	for i := range 3 {
		if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: [][]string{{hash(fmt.Sprint(i))}}}); err != nil {
			t.Fatal(err)
		}
	}
	if f.srv.Stats().RateLimited == 0 {
		t.Fatal("no call was refused with 80003")
	}
	var waited time.Duration
	for _, e := range f.events {
		if e.Code == meta.CodeRateLimited {
			waited += e.Wait
		}
	}
	// The create was at 12:00, so the first call frees at 13:00: 50 min on.
	if waited != 50*time.Minute {
		t.Fatalf("waited %v after 80003, want the header's 50m", waited)
	}
}

// TestQPSCeilingPacesRequests: a client with a ceiling of 2 requests per
// second spaces its requests half a second apart on its clock (the test's,
// which Sleep moves: no real time passes); one without sends at once.
func TestQPSCeilingPacesRequests(t *testing.T) {
	f := newFixture(t, standin.Options{FreshAudienceMisses: -1})
	ctx := context.Background()
	c, err := meta.New(meta.Options{BaseURL: f.base, Token: f.srv.Token(), AdAccount: f.srv.AdAccount(), Sleep: f.clock.Sleep, Now: f.clock.Now, QPS: 2})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateAudience(ctx, "paced", "") // takes the one request the ceiling lets go at once
	if err != nil {
		t.Fatal(err)
	}
	start := f.clock.Now()
	for range 4 {
		if _, err := c.Audience(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.clock.Now().Sub(start); got < 1990*time.Millisecond || got > 2010*time.Millisecond {
		t.Fatalf("4 reads after a create at 2 per second took %v on the client's clock, want 2s", got)
	}
	start = f.clock.Now()
	for range 4 {
		if _, err := f.client.Audience(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.clock.Now().Sub(start); got != 0 {
		t.Fatalf("a client without a ceiling waited %v", got)
	}
}

// TestRemovalPayloadInBody: removals send the payload in the DELETE body;
// a client that put 10,000 rows in the query would get the HTML error.
func TestRemovalPayloadInBody(t *testing.T) {
	f := newFixture(t, standin.Options{FreshAudienceMisses: -1})
	ctx := context.Background()
	id, _ := f.client.CreateAudience(ctx, "removals", "")
	rows := make([][]string, meta.MaxRowsPerRequest)
	for i := range rows {
		rows[i] = []string{hash(fmt.Sprintf("user%d@example.com", i))}
	}
	if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.RemoveUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: rows[:9000]}); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Size(id); n != 1000 {
		t.Fatalf("size %d after removing 9000 of 10000", n)
	}
	if f.srv.Stats().PayloadInQuery != 0 {
		t.Fatal("a payload travelled in the query string")
	}
	rows = append(rows, []string{hash("one too many")})
	if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: rows}); err == nil {
		t.Fatal("10,001 rows were sent")
	}
}

// TestPeopleMembership: a row matches a member through any key; removing
// by one key removes the whole person.
func TestPeopleMembership(t *testing.T) {
	f := newFixture(t, standin.Options{FreshAudienceMisses: -1})
	ctx := context.Background()
	id, _ := f.client.CreateAudience(ctx, "people", "")
	schema := []string{"EMAIL", "PHONE", "MADID"}
	madid := "aece52e7-03ee-455a-b3c4-e57283966239"
	add := func(rows ...[]string) {
		t.Helper()
		if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: schema, Rows: rows}); err != nil {
			t.Fatal(err)
		}
	}
	add([]string{hash("a@x.com"), "", ""}, []string{"", hash("15559876543"), ""})
	add([]string{hash("a@x.com"), hash("15559876543"), madid}) // joins both: one person
	if n := f.srv.Size(id); n != 1 {
		t.Fatalf("%d people, want 1: %v", n, f.srv.Members(id))
	}
	add([]string{hash("b@x.com"), "", ""})
	if _, err := f.client.RemoveUsers(ctx, id, meta.Batch{Schema: schema, Rows: [][]string{{"", "", madid}}}); err != nil {
		t.Fatal(err)
	}
	if m := f.srv.Members(id); len(m) != 1 || m[0][0] != "EMAIL="+hash("b@x.com") {
		t.Fatalf("members %v", m)
	}
	_, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: [][]string{{hash("c@x.com")}}})
	if e := apiErr(t, err); e.Code != meta.CodeUpdateFailed || !strings.Contains(e.Message, "MULTI_HASHES") {
		t.Fatalf("single-key into a multi-key audience: %v", e)
	}
}

// A multi-key schema of one key (a transform of one e-mail column) goes
// as multi-key: into an audience filled with several keys, and back.
func TestOneKeyMultiKeySchema(t *testing.T) {
	f := newFixture(t, standin.Options{FreshAudienceMisses: -1})
	ctx := context.Background()
	id, _ := f.client.CreateAudience(ctx, "one key", "")
	if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL"}, Rows: [][]string{{hash("a@x.com")}}}); err != nil {
		t.Fatalf("one-key multi-key schema: %v", err)
	}
	if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL", "PHONE"}, Rows: [][]string{{hash("b@x.com"), hash("15559876543")}}}); err != nil {
		t.Fatalf("two keys after one: %v", err)
	}
	if n := f.srv.Size(id); n != 2 || f.srv.Received("EMAIL", hash("a@x.com")) != 1 {
		t.Fatalf("%d people: %v", n, f.srv.Members(id))
	}
}

// TestReplaceSessionRules: batch 1 starts, later batches follow, the last
// flag ends it and swaps the membership; 1870147, 1870159, 1870158 and
// 1870145 where the spec says.
func TestReplaceSessionRules(t *testing.T) {
	f := newFixture(t, standin.Options{FreshAudienceMisses: -1})
	ctx := context.Background()
	id, _ := f.client.CreateAudience(ctx, "replace", "")
	one := func(s string) [][]string { return [][]string{{hash(s)}} }
	email := []string{"EMAIL_SHA256"}
	if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: email, Rows: one("old")}); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.ReplaceUsers(ctx, id, meta.Batch{Schema: email, Rows: one("x"), Session: &meta.Session{ID: 7, BatchSeq: 2}})
	if e := apiErr(t, err); e.Subcode != meta.SubReplaceBadBatch {
		t.Fatalf("first batch 2: %v", e)
	}
	if _, err := f.client.ReplaceUsers(ctx, id, meta.Batch{Schema: email, Rows: one("new1"), Session: &meta.Session{ID: 8, BatchSeq: 1}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.AddUsers(ctx, id, meta.Batch{Schema: email, Rows: one("during")})
	if e := apiErr(t, err); e.Subcode != meta.SubUpdateInProgress {
		t.Fatalf("users call during a replace: %v", e)
	}
	if m := f.srv.Members(id); len(m) != 1 || m[0][0] != "EMAIL="+hash("old") {
		t.Fatalf("the old membership must serve until the swap: %v", m)
	}
	res, err := f.client.ReplaceUsers(ctx, id, meta.Batch{Schema: email, Rows: one("new2"), Session: &meta.Session{ID: 8, BatchSeq: 2, Last: true}})
	if err != nil || res.NumReceived != 2 {
		t.Fatalf("last batch: %+v %v", res, err)
	}
	if n := f.srv.Size(id); n != 2 || f.srv.Received("EMAIL", hash("old")) != 1 {
		t.Fatalf("after the swap %d people: %v", n, f.srv.Members(id))
	}
	_, err = f.client.ReplaceUsers(ctx, id, meta.Batch{Schema: email, Rows: one("late"), Session: &meta.Session{ID: 8, BatchSeq: 3}})
	if e := apiErr(t, err); e.Subcode != meta.SubReplaceFinished {
		t.Fatalf("after the last batch: %v", e)
	}
	// A session without the flag times out after 90 minutes with what it
	// had received.
	if _, err := f.client.ReplaceUsers(ctx, id, meta.Batch{Schema: email, Rows: one("t1"), Session: &meta.Session{ID: 9, BatchSeq: 1}}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(91 * time.Minute)
	_, err = f.client.ReplaceUsers(ctx, id, meta.Batch{Schema: email, Rows: one("t2"), Session: &meta.Session{ID: 9, BatchSeq: 2}})
	if e := apiErr(t, err); e.Subcode != meta.SubReplaceTimedOut {
		t.Fatalf("after 90 minutes: %v", e)
	}
	if m := f.srv.Members(id); len(m) != 1 || m[0][0] != "EMAIL="+hash("t1") {
		t.Fatalf("a timed-out replace keeps what it received: %v", m)
	}
	info, found, err := f.client.Session(ctx, id, 9)
	if err != nil || !found || info.Stage != "finished" || info.NumReceived != 1 {
		t.Fatalf("session 9: %+v %v %v", info, found, err)
	}
}

// TestUsersSessionWindow: a users session takes batches for 90 minutes;
// later ones are discarded (answered, not applied), as Meta's guide says.
func TestUsersSessionWindow(t *testing.T) {
	f := newFixture(t, standin.Options{FreshAudienceMisses: -1})
	ctx := context.Background()
	id, _ := f.client.CreateAudience(ctx, "window", "")
	email := []string{"EMAIL_SHA256"}
	if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: email, Rows: [][]string{{hash("1")}}, Session: &meta.Session{ID: 5, BatchSeq: 1}}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(90 * time.Minute)
	res, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: email, Rows: [][]string{{hash("2")}}, Session: &meta.Session{ID: 5, BatchSeq: 2}})
	if err != nil || res.NumReceived != 1 || f.srv.Size(id) != 1 || f.srv.Stats().DiscardedBatches != 1 {
		t.Fatalf("late batch: %+v %v, size %d", res, err, f.srv.Size(id))
	}
}

// TestEndpointMustBeSecure: plain http to another host is refused before
// anything is sent; the environment overrides the token and endpoint.
func TestEndpointMustBeSecure(t *testing.T) {
	_, err := meta.New(meta.Options{BaseURL: "http://graph.example.com/v25.0/", Token: "t", AdAccount: "act_1"})
	var refused *secureurl.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("plain http elsewhere: %v", err)
	}
	if _, err := meta.New(meta.Options{Token: "t", AdAccount: "1234"}); err == nil {
		t.Fatal("an ad account without act_ was accepted")
	}
	if _, err := meta.New(meta.Options{AdAccount: "act_1"}); err == nil {
		t.Fatal("no token was accepted")
	}
	t.Setenv(meta.EnvToken, "from-env")
	t.Setenv(meta.EnvBaseURL, "http://127.0.0.1:9/v25.0")
	o := meta.Options{Token: "keychain", AdAccount: "act_1"}.FromEnv()
	if o.Token != "from-env" || o.BaseURL != "http://127.0.0.1:9/v25.0" {
		t.Fatalf("FromEnv: %+v", o)
	}
	if c, err := meta.New(meta.Options{Token: "t", AdAccount: "act_1"}); err != nil || c == nil {
		t.Fatalf("default endpoint: %v", err)
	}
}

// TestTokenNeverInURL: every request carries the token in the header
// only, and a dropped answer's error names no query.
func TestTokenNeverInURL(t *testing.T) {
	srv := standin.New(standin.Options{FreshAudienceMisses: -1})
	var urls []string
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		urls = append(urls, r.URL.String())
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c, err := meta.New(meta.Options{BaseURL: ts.URL + "/v25.0/", Token: srv.Token(), AdAccount: srv.AdAccount()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := c.CreateAudience(ctx, "x", "")
	if err != nil {
		t.Fatal(err)
	}
	srv.DropNext("POST", "/users")
	_, err = c.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: [][]string{{hash("secret@x.com")}}})
	var unknown *meta.UnknownOutcomeError
	if !errors.As(err, &unknown) {
		t.Fatalf("dropped answer: %v", err)
	}
	c.ListAudiences(ctx)
	for _, u := range append(urls, err.Error()) {
		if strings.Contains(u, srv.Token()) || strings.Contains(u, hash("secret@x.com")) {
			t.Fatalf("%q holds the token or a hash", u)
		}
	}
	_ = io.Discard
}

// TestCountsLagAndRemovalFloor: the approximate counts follow a change
// only after ProcessingDelay; a removal that would leave fewer than the
// floor answers 1870047 and removes nothing.
func TestCountsLagAndRemovalFloor(t *testing.T) {
	f := newFixture(t, standin.Options{FreshAudienceMisses: -1, ProcessingDelay: 10 * time.Minute, MinSizeAfterRemove: 100})
	ctx := context.Background()
	id, _ := f.client.CreateAudience(ctx, "lag", "")
	rows := make([][]string, 150)
	for i := range rows {
		rows[i] = []string{hash(fmt.Sprint(i))}
	}
	if _, err := f.client.AddUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	a, _ := f.client.Audience(ctx, id)
	if a.LowerBound != 0 || a.ContentUpdated.IsZero() {
		t.Fatalf("right after the upload: %+v", a)
	}
	f.clock.Advance(10 * time.Minute)
	if a, _ := f.client.Audience(ctx, id); a.LowerBound != 150 || a.UpperBound != 150 || a.StatusSentence() != "too small to be used yet" {
		t.Fatalf("after the delay: %+v %q", a, a.StatusSentence())
	}
	_, err := f.client.RemoveUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: rows[:60]})
	if e := apiErr(t, err); e.Subcode != meta.SubAudienceTooSmall || f.srv.Size(id) != 150 {
		t.Fatalf("removal below the floor: %v, size %d", e, f.srv.Size(id))
	}
}

// TestAudienceCap: the 501st customer-file audience is refused (2654).
func TestAudienceCap(t *testing.T) {
	f := newFixture(t, standin.Options{CallsPerHour: 10000})
	ctx := context.Background()
	for i := range 500 {
		if _, err := f.client.CreateAudience(ctx, fmt.Sprint(i), ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.client.CreateAudience(ctx, "one too many", "")
	if e := apiErr(t, err); e.Code != 2654 {
		t.Fatalf("501st: %v", e)
	}
}
