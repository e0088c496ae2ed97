package metaupload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/identifiers"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
)

// env is a stand-in behind a hookable handler, a shared clock and a
// journal file that outlives each "process" (Uploader).
type env struct {
	t       *testing.T
	srv     *standin.Server
	clock   *standintest.Clock
	base    string
	journal string
	// hook runs around every request: before(r) may cancel the run;
	// after(r) runs once the stand-in answered.
	mu     sync.Mutex
	before func(r *http.Request)
	after  func(r *http.Request)
	// lose, if it returns true, closes the connection before the stand-in
	// sees the request: sent, never arrived.
	lose   func(r *http.Request) bool
	bodies bytes.Buffer // every request's URL and body
	hosts  map[string]int
	logs   bytes.Buffer
}

func newEnv(t *testing.T, opts standin.Options) *env {
	e := &env{t: t, clock: standintest.NewClock(), journal: filepath.Join(t.TempDir(), "meta-upload.db"), hosts: map[string]int{}}
	opts.Now = e.clock.Now
	e.srv = standin.New(opts)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.mu.Lock()
		fmt.Fprintf(&e.bodies, "%s %s %s\n", r.Method, r.URL, body)
		before, after, lose := e.before, e.after, e.lose
		e.mu.Unlock()
		if before != nil {
			before(r)
		}
		if lose != nil && lose(r) {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
				return
			}
			panic(http.ErrAbortHandler)
		}
		e.srv.ServeHTTP(w, r)
		if after != nil {
			after(r)
		}
	}))
	t.Cleanup(ts.Close)
	e.base = ts.URL + "/v25.0/"
	return e
}

// recordingTransport notes every host a request goes to.
type recordingTransport struct{ e *env }

func (rt recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.e.mu.Lock()
	rt.e.hosts[r.URL.Host]++
	rt.e.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// uploader is one "process": its own client, store handle and uploader.
func (e *env) uploader() (*Uploader, func()) {
	e.t.Helper()
	c, err := meta.New(meta.Options{BaseURL: e.base, Token: e.srv.Token(), AdAccount: e.srv.AdAccount(),
		Sleep: e.clock.Sleep, Now: e.clock.Now, HTTPClient: &http.Client{Transport: recordingTransport{e}},
		Log: func(ev meta.Event) { e.log(fmt.Sprintf("%+v", ev)) }})
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := OpenStore(e.journal)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := New(Config{Store: st, Client: c, Now: e.clock.Now, Sleep: e.clock.Sleep,
		Log: func(level, msg string) { e.log(level + " " + msg) }})
	if err != nil {
		e.t.Fatal(err)
	}
	return u, func() { st.Close() }
}

func (e *env) log(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs.WriteString(s + "\n")
}

// emails makes n raw addresses, normalizes and hashes them with Meta's
// rules into a rows file, and returns the raw values and the cells.
func emails(t *testing.T, n int, tag string) (path string, raw, cells []string) {
	t.Helper()
	norm, err := identifiers.NewMetaNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for i := range n {
		r := fmt.Sprintf("  Person.%s.%d@Example.com ", tag, i)
		res := norm.Normalize(identifiers.MetaEmail, []byte(r))
		if res.Status != identifiers.Valid {
			t.Fatal(res.Reason)
		}
		c := string(identifiers.AppendMetaCell(nil, identifiers.MetaEmail, res))
		raw, cells = append(raw, strings.TrimSpace(r)), append(cells, c)
		buf.WriteString(c + "\n")
	}
	path = filepath.Join(t.TempDir(), tag+".rows")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, raw, cells
}

// exactlyOnce: the one audience named name holds exactly cells, each
// received once, and no batch came twice into a session.
func (e *env) exactlyOnce(name string, cells []string) string {
	e.t.Helper()
	ids := e.srv.AudienceIDs(e.srv.AdAccount(), name)
	if len(ids) != 1 {
		e.t.Fatalf("%d audiences named %q, want 1", len(ids), name)
	}
	if n := e.srv.Size(ids[0]); n != len(cells) {
		e.t.Fatalf("audience has %d people, want %d", n, len(cells))
	}
	for _, c := range cells {
		if got := e.srv.Received("EMAIL", c); got != 1 {
			e.t.Fatalf("a row was received %d times", got)
		}
	}
	if st := e.srv.Stats(); st.RepeatedBatches != 0 || st.DiscardedBatches != 0 {
		e.t.Fatalf("stats %+v: a batch came twice into a session or after its window", st)
	}
	return ids[0]
}

func TestAddCreatesOnceAndSendsEveryRowOnce(t *testing.T) {
	e := newEnv(t, standin.Options{})
	path, _, cells := emails(t, 25_000, "add")
	u, done := e.uploader()
	defer done()
	res, err := u.Run(context.Background(), Job{ID: "job-1", AudienceName: "VIP", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if res.Batches != 3 || res.Sessions != 1 || res.Rows != 25_000 {
		t.Fatalf("result %+v", res)
	}
	id := e.exactlyOnce("VIP", cells)
	a, err := u.cfg.Client.Audience(context.Background(), id)
	if err != nil || a.Description != Marker("job-1") {
		t.Fatalf("audience %+v %v", a, err)
	}
	// A second run of a finished job sends nothing.
	before := e.srv.Stats().Requests
	if _, err := u.Run(context.Background(), Job{ID: "job-1", AudienceName: "VIP", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path}); err != nil {
		t.Fatal(err)
	}
	if e.srv.Stats().Requests != before {
		t.Fatal("a finished job sent requests again")
	}
}

// TestFaultsKillsAndResume: dropped answers (applied, then lost),
// transient refusals and kills at random points, each followed by a new
// process resuming from the journal, until the job finishes.
func TestFaultsKillsAndResume(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e := newEnv(t, standin.Options{Seed: seed, Faults: standin.Faults{DropRate: 0.2, TransientRate: 0.1, GatewayRate: 0.1}})
			e.srv.AddAudience(e.srv.AdAccount(), "Kills") // another tool's audience of the same name
			path, _, cells := emails(t, 30_000, "kill")
			rng := rand.New(rand.NewPCG(seed, 7))
			job := Job{ID: "job-kill", AudienceName: "Kills", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path, BatchRows: 2000}
			var err error
			for runs := 1; ; runs++ {
				if runs > 200 {
					t.Fatal("the job did not finish in 200 runs")
				}
				ctx, cancel := context.WithCancel(context.Background())
				var calls atomic.Int64
				killAt := int64(1 + rng.IntN(8))
				killAfter := rng.IntN(2) == 0
				hook := func(r *http.Request) {
					if calls.Add(1) == killAt {
						cancel()
					}
				}
				e.mu.Lock()
				e.before, e.after = nil, nil
				if killAfter {
					e.after = hook // killed once the stand-in applied it
				} else {
					e.before = hook // killed while it is in flight
				}
				e.mu.Unlock()
				u, done := e.uploader()
				_, err = u.Run(ctx, job)
				done()
				cancel()
				if err == nil {
					break
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("run %d: %v", runs, err)
				}
			}
			if ids := e.srv.AudienceIDs(e.srv.AdAccount(), "Kills"); len(ids) != 2 {
				t.Fatalf("%d audiences named Kills, want the other tool's and ours", len(ids))
			}
			ours := ""
			for _, id := range e.srv.AudienceIDs(e.srv.AdAccount(), "Kills") {
				if e.srv.Size(id) > 0 {
					ours = id
				}
			}
			if n := e.srv.Size(ours); n != len(cells) {
				t.Fatalf("%d people, want %d", n, len(cells))
			}
			for _, c := range cells {
				if got := e.srv.Received("EMAIL", c); got != 1 {
					t.Fatalf("a row was received %d times", got)
				}
			}
			if st := e.srv.Stats(); st.RepeatedBatches != 0 || st.DiscardedBatches != 0 || st.Dropped == 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestLostCreateAnswerAdoptsOurs: the create is applied and its answer
// lost; the uploader finds the new audience carrying its mark and does not
// take the same-named one another tool made, nor create a third.
func TestLostCreateAnswerAdoptsOurs(t *testing.T) {
	e := newEnv(t, standin.Options{})
	other := e.srv.AddAudience(e.srv.AdAccount(), "Shared name")
	path, _, cells := emails(t, 100, "create")
	e.srv.DropNext("POST", "/customaudiences")
	u, done := e.uploader()
	defer done()
	res, err := u.Run(context.Background(), Job{ID: "job-c", AudienceName: "Shared name", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	ids := e.srv.AudienceIDs(e.srv.AdAccount(), "Shared name")
	if len(ids) != 2 || res.AudienceID == other || e.srv.Size(other) != 0 || e.srv.Size(res.AudienceID) != len(cells) {
		t.Fatalf("audiences %v, ours %s", ids, res.AudienceID)
	}
	if !strings.Contains(e.logs.String(), "created by an earlier attempt") {
		t.Fatal("the lost create was not reconciled")
	}
}

// TestReplaceSplitsAtItsWindow: a replace whose batches arrive 40 minutes
// apart closes its session (last_batch_flag) once 75 minutes old, and the
// rest goes through /users; with 50 minutes apart the third batch would
// come after the send window, so the replace ends with what it had and
// the uploader waits for it before adding the rest. Either way the old
// members are gone and every new row is in, each once.
func TestReplaceSplitsAtItsWindow(t *testing.T) {
	for _, gap := range []time.Duration{40 * time.Minute, 50 * time.Minute} {
		t.Run(gap.String(), func(t *testing.T) {
			e := newEnv(t, standin.Options{FreshAudienceMisses: -1})
			ctx := context.Background()
			oldPath, _, oldCells := emails(t, 50, "old")
			u, done := e.uploader()
			defer done()
			res, err := u.Run(ctx, Job{ID: "job-old", AudienceName: "Swap", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: oldPath})
			if err != nil {
				t.Fatal(err)
			}
			path, _, cells := emails(t, 500, "new")
			e.after = func(r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/usersreplace") || strings.HasSuffix(r.URL.Path, "/users") {
					e.clock.Advance(gap)
				}
			}
			rep, err := u.Run(ctx, Job{ID: "job-replace", AudienceID: res.AudienceID, Action: Replace, Schema: []string{"EMAIL_SHA256"}, RowsPath: path, BatchRows: 100})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Sessions < 2 {
				t.Fatalf("%d sessions: the replace was not split", rep.Sessions)
			}
			members := e.srv.Members(res.AudienceID)
			if len(members) != len(cells) {
				t.Fatalf("%d members, want the %d new ones", len(members), len(cells))
			}
			for _, c := range oldCells[:1] {
				for _, m := range members {
					if m[0] == "EMAIL="+c {
						t.Fatal("an old member survived the replace")
					}
				}
			}
			for _, c := range cells {
				if e.srv.Received("EMAIL", c) != 1 {
					t.Fatal("a new row was not received exactly once")
				}
			}
			if st := e.srv.Stats(); st.RepeatedBatches != 0 || st.DiscardedBatches != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestRemove takes people out of an existing audience, payloads in the
// DELETE body.
func TestRemove(t *testing.T) {
	e := newEnv(t, standin.Options{})
	path, _, cells := emails(t, 3000, "rm")
	u, done := e.uploader()
	defer done()
	ctx := context.Background()
	res, err := u.Run(ctx, Job{ID: "add", AudienceName: "R", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(t.TempDir(), "half.rows")
	os.WriteFile(half, []byte(strings.Join(cells[:1500], "\n")+"\n"), 0o600)
	if _, err := u.Run(ctx, Job{ID: "rm", AudienceID: res.AudienceID, Action: Remove, Schema: []string{"EMAIL_SHA256"}, RowsPath: half, BatchRows: 1000}); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Size(res.AudienceID); n != 1500 {
		t.Fatalf("size %d", n)
	}
	if e.srv.Stats().PayloadInQuery != 0 {
		t.Fatal("a payload went in the query string")
	}
}

// TestResumeRefusesChangedRows: a job's rows file may not change between
// runs.
func TestResumeRefusesChangedRows(t *testing.T) {
	e := newEnv(t, standin.Options{})
	path, _, _ := emails(t, 10, "chg")
	u, done := e.uploader()
	defer done()
	ctx, cancel := context.WithCancel(context.Background())
	e.before = func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/users") {
			cancel()
		}
	}
	job := Job{ID: "chg", AudienceName: "C", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path}
	if _, err := u.Run(ctx, job); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	e.before = nil
	os.WriteFile(path, []byte(strings.Repeat("ab\n", 10)), 0o600)
	if _, err := u.Run(context.Background(), job); err == nil || !strings.Contains(err.Error(), "same rows file") {
		t.Fatalf("changed rows: %v", err)
	}
}

// TestPrivacy: raw values never leave the machine (only hashes travel),
// the token is in no URL, body or log line, no cell is logged, and every
// request went to the stand-in's host.
func TestPrivacy(t *testing.T) {
	e := newEnv(t, standin.Options{Faults: standin.Faults{DropRate: 0.2}, Seed: 3})
	path, raw, cells := emails(t, 5000, "priv")
	u, done := e.uploader()
	defer done()
	if _, err := u.Run(context.Background(), Job{ID: "p", AudienceName: "P", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path, BatchRows: 500}); err != nil {
		t.Fatal(err)
	}
	wire, logs := e.bodies.String(), e.logs.String()
	for i, r := range raw {
		if strings.Contains(wire, r) || strings.Contains(strings.ToLower(wire), strings.ToLower(r)) || strings.Contains(logs, r) {
			t.Fatalf("raw value %d travelled or was logged", i)
		}
		if strings.Contains(logs, cells[i]) {
			t.Fatalf("cell %d was logged", i)
		}
	}
	if !strings.Contains(wire, cells[0]) {
		t.Fatal("the capture saw no hashes: the test would prove nothing")
	}
	if strings.Contains(wire, e.srv.Token()) || strings.Contains(logs, e.srv.Token()) {
		t.Fatal("the token is in a URL, a body or a log line")
	}
	want := strings.TrimSuffix(strings.TrimPrefix(e.base, "http://"), "/v25.0/")
	for h := range e.hosts {
		if h != want {
			t.Fatalf("a request went to %s", h)
		}
	}
}

// TestMultiKeyPeople: a multi-key list (EMAIL, PHONE, MADID) from raw
// values through Meta's normalizer; rows that share a key are one person
// on Meta's side, so 3 rows of 2 people make an audience of 2.
func TestMultiKeyPeople(t *testing.T) {
	e := newEnv(t, standin.Options{})
	norm, err := identifiers.NewMetaNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	keys := []identifiers.MetaKey{identifiers.MetaEmail, identifiers.MetaPhone, identifiers.MetaMADID}
	raw := [][]string{
		{"Mary@Example.com", "(555) 987-6543", ""},
		{"", "+1 555 987 6543", "AECE52E7-03EE-455A-B3C4-E57283966239"}, // Mary again, by phone
		{"bob@example.com", "", ""},
	}
	var lines []string
	for _, row := range raw {
		cells := make([]string, len(row))
		for i, v := range row {
			if v == "" {
				continue
			}
			r := norm.Normalize(keys[i], []byte(v))
			if r.Status == identifiers.Rejected {
				t.Fatalf("%q: %s", v, r.Reason)
			}
			cells[i] = string(identifiers.AppendMetaCell(nil, keys[i], r))
		}
		lines = append(lines, strings.Join(cells, "\t"))
	}
	path := filepath.Join(t.TempDir(), "multi.rows")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	u, done := e.uploader()
	defer done()
	res, err := u.Run(context.Background(), Job{ID: "multi", AudienceName: "People", Action: Add, Schema: []string{"EMAIL", "PHONE", "MADID"}, RowsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	members := e.srv.Members(res.AudienceID)
	if len(members) != 2 {
		t.Fatalf("%d people, want 2: %v", len(members), members)
	}
	if !strings.Contains(e.bodies.String(), "aece52e7-03ee-455a-b3c4-e57283966239") {
		t.Fatal("the MADID did not travel lowercased and unhashed")
	}
}

// TestWaitsForAnotherReplace: another tool's replace is running, so /users
// answers 1870145; the uploader waits (5 minutes at a time) until that
// replace's 90 minutes end, then adds every row once.
func TestWaitsForAnotherReplace(t *testing.T) {
	e := newEnv(t, standin.Options{FreshAudienceMisses: -1})
	ctx := context.Background()
	path, _, cells := emails(t, 20, "busy")
	u, done := e.uploader()
	defer done()
	id, err := u.cfg.Client.CreateAudience(ctx, "Busy", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.cfg.Client.ReplaceUsers(ctx, id, meta.Batch{Schema: []string{"EMAIL_SHA256"}, Rows: [][]string{{cells[0]}},
		Session: &meta.Session{ID: 99, BatchSeq: 1}}); err != nil {
		t.Fatal(err)
	}
	start := e.clock.Now()
	if _, err := u.Run(ctx, Job{ID: "busy", AudienceID: id, Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path}); err != nil {
		t.Fatal(err)
	}
	if waited := e.clock.Now().Sub(start); waited < 90*time.Minute || waited > 100*time.Minute {
		t.Fatalf("waited %v for the other replace", waited)
	}
	if n := e.srv.Size(id); n != 20 {
		t.Fatalf("size %d", n)
	}
}

// TestLostRequestsAreSentAgainOnce: requests that never reach Meta (the
// first batch of a session, so Meta knows no such session; and a later
// one, so the session's count stayed put) are each sent again, once, with
// the same session and batch_seq, in the same run and after a kill.
func TestLostRequestsAreSentAgainOnce(t *testing.T) {
	e := newEnv(t, standin.Options{})
	path, _, cells := emails(t, 5000, "lost")
	var users atomic.Int64
	e.lose = func(r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/users") {
			return false
		}
		n := users.Add(1)
		return n == 2 || n == 5 // #1 is the fresh audience's #803
	}
	job := Job{ID: "lost", AudienceName: "Lost", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path, BatchRows: 1000}
	u, done := e.uploader()
	if _, err := u.Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	done()
	e.exactlyOnce("Lost", cells)
	if !strings.Contains(e.logs.String(), "had not arrived") {
		t.Fatal("no lost request was reconciled as not arrived")
	}

	// A kill right after a request is lost: the next process finds the
	// batch still "sending", sees it did not arrive, and sends it.
	path2, _, cells2 := emails(t, 3000, "lost2")
	users.Store(0)
	ctx, cancel := context.WithCancel(context.Background())
	e.lose = func(r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/users") && users.Add(1) == 3 {
			cancel()
			return true
		}
		return false
	}
	job2 := Job{ID: "lost2", AudienceName: "Lost2", Action: Add, Schema: []string{"EMAIL_SHA256"}, RowsPath: path2, BatchRows: 1000}
	u, done = e.uploader()
	if _, err := u.Run(ctx, job2); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: %v", err)
	}
	done()
	e.lose = nil
	u, done = e.uploader()
	defer done()
	if _, err := u.Run(context.Background(), job2); err != nil {
		t.Fatal(err)
	}
	e.exactlyOnce("Lost2", cells2)
}
