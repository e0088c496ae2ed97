package syncs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/destination"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/metaupload"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// metaEnv is the Meta stand-in behind a handler that notes the users-edge
// requests, on a clock the test moves, and a sync service connected to it
// through metaupload (one journal for every run, as the CLI keeps).
type metaEnv struct {
	t       *testing.T
	s       *metastandin.Server
	clock   *standintest.Clock
	base    string
	journal string
	dir     string
	list    string
	svc     *syncs.Service

	mu    sync.Mutex
	edges []string                   // "DELETE users", "POST users", "POST usersreplace", in order
	after func(r *http.Request) bool // after the stand-in answered; true cancels the run
	stop  context.CancelFunc
}

func newMetaEnv(t *testing.T, opts metastandin.Options) *metaEnv {
	e := &metaEnv{t: t, clock: standintest.NewClock(), journal: filepath.Join(t.TempDir(), "meta-upload.db"),
		dir: filepath.Join(t.TempDir(), "syncs"), list: filepath.Join(t.TempDir(), "crm.csv")}
	opts.Now = e.clock.Now
	e.s = metastandin.New(opts)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.s.ServeHTTP(w, r)
		e.mu.Lock()
		defer e.mu.Unlock()
		if p := r.URL.Path; strings.HasSuffix(p, "/users") || strings.HasSuffix(p, "/usersreplace") {
			e.edges = append(e.edges, r.Method+" "+p[strings.LastIndex(p, "/")+1:])
		}
		if e.after != nil && e.after(r) && e.stop != nil {
			e.stop()
		}
	}))
	t.Cleanup(ts.Close)
	e.base = ts.URL + "/v25.0/"
	svc, err := syncs.New(syncs.Config{Dir: e.dir, Workers: 1, MaxFileBytes: 1 << 20, ConnectMeta: e.connectMeta})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

// connectMeta is what the CLI's is: a client, the journal, an uploader and
// the destination seam over them.
func (e *metaEnv) connectMeta(ctx context.Context, acct string) (*syncs.MetaConn, error) {
	if acct == "" {
		acct = e.s.AdAccount()
	}
	c, err := meta.New(meta.Options{BaseURL: e.base, Token: e.s.Token(), AdAccount: acct, Sleep: e.clock.Sleep, Now: e.clock.Now})
	if err != nil {
		return nil, err
	}
	store, err := metaupload.OpenStore(e.journal)
	if err != nil {
		return nil, err
	}
	e.t.Cleanup(func() { store.Close() })
	up, err := metaupload.New(metaupload.Config{Store: store, Client: c, Now: e.clock.Now, Sleep: e.clock.Sleep})
	if err != nil {
		return nil, err
	}
	return &syncs.MetaConn{AdAccount: acct, Destination: &metaupload.Destination{Client: c, Uploader: up}}, nil
}

// client is another tool's (or Ads Manager's) connection to the account.
func (e *metaEnv) client() (*meta.Client, error) {
	return meta.New(meta.Options{BaseURL: e.base, Token: e.s.Token(), AdAccount: e.s.AdAccount(), Sleep: e.clock.Sleep, Now: e.clock.Now})
}

func (e *metaEnv) takeEdges() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := strings.Join(e.edges, ", ")
	e.edges = nil
	return out
}

func (e *metaEnv) writeList(ids []int, variant map[int]int) {
	(&env{t: e.t, list: e.list}).writeList(ids, variant)
}

func (e *metaEnv) save(name string, mut func(*syncs.Definition)) {
	e.t.Helper()
	d := syncs.Definition{Name: name, Input: e.list, Mappings: []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")},
		AudienceName: "CRM " + name, Destination: destination.Meta}
	if mut != nil {
		mut(&d)
	}
	if _, err := e.svc.Save(d); err != nil {
		e.t.Fatal(err)
	}
}

func (e *metaEnv) run(name string) *syncs.Result {
	e.t.Helper()
	res, err := e.svc.Run(context.Background(), name, nil)
	if err != nil {
		e.t.Fatalf("run %s: %v", name, err)
	}
	return res
}

// listRows is the list's rows as Meta receives them: each row's
// "KEY=hash" cells, hashed by the transform with Meta as its destination.
func listRows(t *testing.T, list string, mappings []transform.Mapping) [][]string {
	t.Helper()
	src, err := inputs.LocalFile(list)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	m, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1, Mappings: mappings,
		Destinations: []destination.Platform{destination.Meta}})
	if err != nil {
		t.Fatal(err)
	}
	files := m.FilesFor(destination.Meta)
	if len(files) != 1 {
		t.Fatalf("the transform wrote %d Meta rows files", len(files))
	}
	b, err := os.ReadFile(filepath.Join(out, files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	keys := files[0].Schema
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var cells []string
		for i, v := range strings.Split(line, "\t") {
			if v != "" {
				cells = append(cells, keys[i]+"="+v)
			}
		}
		rows = append(rows, cells)
	}
	return rows
}

// checkPeople asserts that audience id's users are exactly the list's
// people by the stand-in's graph: every cell of the list is in the user
// its row's other cells are in, and every user holds a cell of the list.
// It returns the number of users.
func (e *metaEnv) checkPeople(id string, mappings []transform.Mapping) int {
	e.t.Helper()
	members := e.s.Members(id)
	userOf := map[string]int{}
	for i, m := range members {
		for _, c := range m {
			userOf[c] = i
		}
	}
	listed := map[int]bool{}
	for _, row := range listRows(e.t, e.list, mappings) {
		u, ok := userOf[row[0]]
		for _, c := range row {
			if v, in := userOf[c]; !in || v != u || !ok {
				e.t.Fatalf("audience %s: a cell of the list (%s) is not in the user of its row (%d users)", id, c, len(members))
			}
		}
		listed[u] = true
	}
	if len(listed) != len(members) {
		e.t.Fatalf("audience %s has %d users, the list %d people: %d users hold nothing of the list", id, len(members), len(listed), len(members)-len(listed))
	}
	return len(members)
}

var emailPhone = []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")}

// listCells is every "KEY=hash" cell of the list.
func (e *metaEnv) listCells() map[string]bool {
	out := map[string]bool{}
	for _, row := range listRows(e.t, e.list, emailPhone) {
		for _, c := range row {
			out[c] = true
		}
	}
	return out
}

// newCellsOnce asserts that each cell of the list not in old was accepted
// by the stand-in exactly once, and returns how many there are.
func (e *metaEnv) newCellsOnce(old map[string]bool) int {
	e.t.Helper()
	n := 0
	for c := range e.listCells() {
		if old[c] {
			continue
		}
		n++
		k, v, _ := strings.Cut(c, "=")
		if got := e.s.Received(k, v); got != 1 {
			e.t.Fatalf("the new cell %s was received %d times, want once", c, got)
		}
	}
	return n
}

// Three generations into Meta: adds, removals, changed phones, duplicate
// rows. After every run the stand-in's users are the list's people; the
// REMOVE goes before the APPEND; an unchanged list sends nothing.
func TestMetaThreeGenerationsMirrorTheList(t *testing.T) {
	e := newMetaEnv(t, metastandin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", func(d *syncs.Definition) { d.MaxRemovals = pct(20) })
	r1 := e.run("crm")
	if r1.Action != syncs.ActionCreate || r1.RowsNow != 1200 || r1.Added != 1200 || r1.AudienceID == "" || len(r1.Deliveries) != 1 {
		t.Fatalf("generation 1: %+v", r1.Plan)
	}
	if n := e.checkPeople(r1.AudienceID, emailPhone); n != 1200 || r1.PeopleNow != 1200 {
		t.Fatalf("generation 1: %d users, the plan %d people", n, r1.PeopleNow)
	}
	if got := e.takeEdges(); strings.Contains(got, "DELETE") || strings.Contains(got, "replace") {
		t.Fatalf("generation 1 sent %s", got)
	}

	// Generation 2: 100 people gone, 100 new, 50 changed phones.
	changed := map[int]int{}
	for i := 100; i < 150; i++ {
		changed[i] = 1
	}
	e.clock.Advance(time.Hour)
	e.writeList(span(100, 1300), changed)
	r2 := e.run("crm")
	if r2.Action != syncs.ActionUpdate || r2.Added != 100 || r2.Removed != 100 || r2.Changed != 50 || r2.Unchanged != 1050 ||
		r2.AudienceID != r1.AudienceID || r2.RemoveRows != 100 || r2.AppendRows != 150 {
		t.Fatalf("generation 2: %+v", r2.Plan)
	}
	if got := e.takeEdges(); got != "DELETE users, POST users" {
		t.Fatalf("generation 2 sent %s, want the REMOVE, then the APPEND", got)
	}
	if n := e.checkPeople(r1.AudienceID, emailPhone); n != 1200 || r2.PeopleNow != 1200 {
		t.Fatalf("generation 2: %d users, the plan %d people", n, r2.PeopleNow)
	}

	// Generation 3: more gone (some of them new last time), more added,
	// the changed phones changed back.
	e.clock.Advance(time.Hour)
	e.writeList(append(span(150, 1250), span(1300, 1360)...), nil)
	r3 := e.run("crm")
	if r3.Action != syncs.ActionUpdate || r3.RowsNow != 1160 || r3.AudienceID != r1.AudienceID {
		t.Fatalf("generation 3: %+v", r3.Plan)
	}
	if got := e.takeEdges(); got != "DELETE users, POST users" {
		t.Fatalf("generation 3 sent %s", got)
	}
	if n := e.checkPeople(r1.AudienceID, emailPhone); n != 1160 || r3.PeopleNow != 1160 {
		t.Fatalf("generation 3: %d users, the plan %d people", n, r3.PeopleNow)
	}
	if n := len(e.s.AudienceIDs(e.s.AdAccount(), "CRM crm")); n != 1 {
		t.Fatalf("%d audiences named CRM crm", n)
	}
	if st := e.s.Stats(); st.RepeatedBatches != 0 || st.PayloadInQuery != 0 {
		t.Fatalf("stand-in stats %+v", st)
	}

	// Nothing changed: nothing is sent, the audience is only read.
	e.clock.Advance(time.Hour)
	before := e.s.Stats().Requests
	r4 := e.run("crm")
	if r4.Action != syncs.ActionNone || len(r4.Deliveries) != 0 {
		t.Fatalf("unchanged list: %+v", r4.Plan)
	}
	if got := e.s.Stats().Requests - before; got != 1 {
		t.Fatalf("unchanged list made %d requests, want only the audience read", got)
	}
	sum, err := e.svc.Get("crm")
	if err != nil || sum.Destination != destination.Meta || sum.AudienceID != r1.AudienceID || sum.StateRows != 1160 {
		t.Fatalf("show: %+v, %v", sum, err)
	}
}

// The removal guard stops a run into Meta that would remove too many of
// the audience's people before anything is sent; --allow-removals lets it
// through.
func TestMetaRemovalGuard(t *testing.T) {
	e := newMetaEnv(t, metastandin.Options{})
	e.writeList(span(0, 1000), nil)
	e.save("crm", nil)
	r1 := e.run("crm")
	e.takeEdges()
	e.writeList(span(0, 700), nil) // a part of the export is missing
	e.clock.Advance(time.Hour)
	res, err := e.svc.RunWith(context.Background(), "crm", syncs.RunOptions{}, nil)
	if !syncs.IsRemovalStop(err) || res == nil || res.Removals == nil || res.Removals.Removing != 300 || res.Removals.Of != 1000 {
		t.Fatalf("a 30%% removal: %v, %+v", err, res)
	}
	if got := e.takeEdges(); got != "" {
		t.Fatalf("the stopped run sent %s", got)
	}
	if n := e.s.Size(r1.AudienceID); n != 1000 {
		t.Fatalf("the stopped run left %d users, want 1000", n)
	}
	res, err = e.svc.RunWith(context.Background(), "crm", syncs.RunOptions{AllowRemovals: pct(30)}, nil)
	if err != nil || res.Action != syncs.ActionUpdate || res.Removed != 300 {
		t.Fatalf("allowed: %v, %+v", err, res)
	}
	if n := e.checkPeople(r1.AudienceID, emailPhone); n != 700 {
		t.Fatalf("after the allowed run: %d users", n)
	}
}

// A change made elsewhere (another tool adds a user) moves the audience's
// time_content_updated: the next run no longer trusts its record and
// replaces the audience's contents through usersreplace.
func TestMetaChangedElsewhereIsReplaced(t *testing.T) {
	e := newMetaEnv(t, metastandin.Options{})
	e.writeList(span(0, 1000), nil)
	e.save("crm", nil)
	r1 := e.run("crm")
	e.clock.Advance(time.Hour)
	other, err := e.client()
	if err != nil {
		t.Fatal(err)
	}
	stranger := strings.Repeat("ab", 32)
	if _, err := other.AddUsers(context.Background(), r1.AudienceID, meta.Batch{Schema: []string{"EMAIL", "PHONE"}, Rows: [][]string{{stranger, ""}}}); err != nil {
		t.Fatal(err)
	}
	e.takeEdges()
	e.clock.Advance(time.Hour)
	e.writeList(span(0, 1010), nil)
	r2 := e.run("crm")
	if r2.Action != syncs.ActionReplace || !strings.Contains(r2.Reason, "changed outside") {
		t.Fatalf("after a change elsewhere: %+v", r2.Plan)
	}
	if got := e.takeEdges(); got != "POST usersreplace" {
		t.Fatalf("the replace sent %s", got)
	}
	if n := e.checkPeople(r1.AudienceID, emailPhone); n != 1010 {
		t.Fatalf("after the replace: %d users", n)
	}
	// Its own changes are not taken for someone else's.
	e.clock.Advance(time.Hour)
	e.writeList(span(0, 1020), nil)
	if r3 := e.run("crm"); r3.Action != syncs.ActionUpdate {
		t.Fatalf("the run after the replace: %+v", r3.Plan)
	}
}

// A run stopped after each users-edge request (the process dies while its
// REMOVE or APPEND is under way) is finished by the next one from the
// journal: one audience, the list's people, no batch twice in a session,
// every row of the APPEND received once.
func TestMetaInterruptedRunIsFinished(t *testing.T) {
	for stopAfter := 1; stopAfter <= 4; stopAfter++ {
		e := newMetaEnv(t, metastandin.Options{})
		e.writeList(span(0, 1200), nil)
		e.save("crm", nil)
		r1 := e.run("crm")
		changed := map[int]int{}
		for i := 100; i < 140; i++ {
			changed[i] = 1
		}
		e.clock.Advance(time.Hour)
		old := e.listCells()
		e.writeList(span(60, 1250), changed) // REMOVE 60 people, APPEND 50 new ones and 40 new phones
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		e.mu.Lock()
		e.stop, e.after = cancel, func(r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, "/users") {
				n++
			}
			return n == stopAfter
		}
		e.mu.Unlock()
		_, err := e.svc.Run(ctx, "crm", nil)
		e.mu.Lock()
		e.after = nil
		e.mu.Unlock()
		cancel()
		if stopAfter <= 2 && err == nil {
			t.Fatalf("stop after request %d: the run was not interrupted", stopAfter)
		}
		pending := err != nil
		if _, serr := os.Stat(filepath.Join(e.dir, "crm", "pending.json")); (serr == nil) != pending {
			t.Fatalf("stop after request %d: run error %v, pending.json %v", stopAfter, err, serr)
		}
		r := e.run("crm")
		if pending && !r.Resumed {
			t.Fatalf("stop after request %d: the rerun did not finish the interrupted run: %+v", stopAfter, r.Plan)
		}
		if n := e.checkPeople(r1.AudienceID, emailPhone); n != 1190 {
			t.Fatalf("stop after request %d: %d users, want 1190", stopAfter, n)
		}
		if ids := e.s.AudienceIDs(e.s.AdAccount(), "CRM crm"); len(ids) != 1 {
			t.Fatalf("stop after request %d: %d audiences", stopAfter, len(ids))
		}
		if st := e.s.Stats(); st.RepeatedBatches != 0 {
			t.Fatalf("stop after request %d: %d batches sent twice into a session", stopAfter, st.RepeatedBatches)
		}
		// 50 new people and 40 new phones: 140 cells appended, once each.
		if got := e.newCellsOnce(old); got != 140 {
			t.Fatalf("stop after request %d: %d new cells, want 140", stopAfter, got)
		}
		if r := e.run("crm"); r.Action != syncs.ActionNone {
			t.Fatalf("stop after request %d: the run after the rerun: %+v", stopAfter, r.Plan)
		}
	}
}

// A sync to Meta keeps only hashes, and Meta takes MADIDs unhashed: a
// mapping of one is refused with a sentence that says so and what to do.
func TestMetaSyncRefusesMADID(t *testing.T) {
	e := newMetaEnv(t, metastandin.Options{})
	_, err := e.svc.Save(syncs.Definition{Name: "apps", Input: e.list, Destination: destination.Meta, AudienceName: "Apps",
		Mappings: []transform.Mapping{mustMap("email=email"), mustMap("idfa=idfa")}})
	if err == nil || !syncs.IsUsage(err) || !strings.Contains(err.Error(), "Meta takes mobile advertiser IDs unhashed") || !strings.Contains(err.Error(), "idfa") {
		t.Fatalf("a MADID mapping in a Meta sync: %v", err)
	}
	for _, bad := range []syncs.Definition{
		{AdvertiserID: "7000000000000000001"}, // TikTok's
		{AdAccount: "12345"},                  // not act_<digits>
		{Destination: "myspace"},
	} {
		d := bad
		d.Name, d.Input, d.AudienceName, d.Mappings = "x", e.list, "X", emailPhone
		if d.Destination == "" {
			d.Destination = destination.Meta
		}
		if _, err := e.svc.Save(d); err == nil || !syncs.IsUsage(err) {
			t.Fatalf("%+v saved: %v", bad, err)
		}
	}
	if _, err := e.svc.Save(syncs.Definition{Name: "x", Input: e.list, AudienceName: "X", Mappings: emailPhone, AdAccount: "act_1"}); err == nil || !strings.Contains(err.Error(), "--destination meta") {
		t.Fatalf("an ad account on a TikTok sync: %v", err)
	}
}

// One list feeds a TikTok and a Meta audience: two syncs of one input,
// each with its own state, each audience holding the list's people.
func TestOneListFeedsTikTokAndMeta(t *testing.T) {
	tk := newEnv(t, standin.Options{})
	me := newMetaEnv(t, metastandin.Options{})
	svc, err := syncs.New(syncs.Config{Dir: filepath.Join(t.TempDir(), "syncs"), Workers: 1, MaxFileBytes: 1 << 20, PollInterval: 5 * time.Millisecond,
		Connect: connectFunc(tk.base, tk.s.Token(), tk.state), ConnectMeta: me.connectMeta})
	if err != nil {
		t.Fatal(err)
	}
	me.list = tk.list
	tk.writeList(span(0, 1200), nil)
	base := syncs.Definition{Input: tk.list, Mappings: emailPhone, AudienceName: "CRM", MaxRemovals: pct(20)}
	toTikTok, toMeta := base, base
	toTikTok.Name, toTikTok.AdvertiserID = "crm-tiktok", tk.s.Advertiser()
	toMeta.Name, toMeta.Destination, toMeta.AdAccount = "crm-meta", destination.Meta, me.s.AdAccount()
	for _, d := range []syncs.Definition{toTikTok, toMeta} {
		if _, err := svc.Save(d); err != nil {
			t.Fatal(err)
		}
	}
	for g, list := range [][]int{span(0, 1200), span(50, 1250), append(span(60, 1100), span(1300, 1350)...)} {
		tk.writeList(list, map[int]int{100 + g: 1})
		me.clock.Advance(time.Hour)
		var ids [2]string
		for i, name := range []string{"crm-tiktok", "crm-meta"} {
			r, err := svc.Run(context.Background(), name, nil)
			if err != nil {
				t.Fatalf("generation %d, %s: %v", g+1, name, err)
			}
			if g > 0 && r.Action != syncs.ActionUpdate {
				t.Fatalf("generation %d, %s: %+v", g+1, name, r.Plan)
			}
			ids[i] = r.AudienceID
		}
		tk.checkMembers(ids[0])
		if n := me.checkPeople(ids[1], emailPhone); n != len(list) {
			t.Fatalf("generation %d: the Meta audience has %d users, the list %d people", g+1, n, len(list))
		}
	}
	list, err := svc.List()
	if err != nil || len(list) != 2 || list[0].Destination != destination.Meta || list[1].Destination != destination.TikTok {
		t.Fatalf("list: %+v, %v", list, err)
	}
}

// A definition saved before syncs named a destination (no "destination"
// field) still runs as a sync to TikTok, with its state.
func TestDefinitionFromBeforeMetaRunsAsTikTok(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1100), nil)
	dir := filepath.Join(e.dir, "old")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{"name":"old","input":%q,"mappings":[{"column":"email","type":"email"},{"column":"phone","type":"phone"}],
 "region":"US","phone_format":"digits","layout":"auto","advertiser_id":%q,"audience_name":"CRM old","mode":"mirror",
 "created_at":"2026-11-02T10:00:00Z","updated_at":"2026-11-02T10:00:00Z"}`, e.list, e.s.Advertiser())
	if err := os.WriteFile(filepath.Join(dir, "sync.json"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	r1 := e.run("old")
	if r1.Action != syncs.ActionCreate || len(r1.Uploads) != 1 || len(r1.Deliveries) != 0 {
		t.Fatalf("first run of an old definition: %+v", r1.Plan)
	}
	e.checkMembers(r1.AudienceID)
	e.writeList(span(50, 1150), nil)
	if r2 := e.run("old"); r2.Action != syncs.ActionUpdate || r2.Added != 50 || r2.Removed != 50 {
		t.Fatalf("second run: %+v", r2.Plan)
	}
	e.checkMembers(r1.AudienceID)
	sum, err := e.svc.Get("old")
	if err != nil || sum.Destination != destination.TikTok || sum.AdAccount != "" {
		t.Fatalf("the old definition reads as %+v, %v", sum, err)
	}
}

// A sync to Meta whose audience was deleted says so, naming Meta.
func TestMetaAudienceGone(t *testing.T) {
	e := newMetaEnv(t, metastandin.Options{})
	e.writeList(span(0, 1000), nil)
	e.save("crm", nil)
	r1 := e.run("crm")
	c, err := e.client()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAudience(context.Background(), r1.AudienceID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Run(context.Background(), "crm", nil)
	var gone *syncs.AudienceGoneError
	if !errors.As(err, &gone) || !strings.Contains(err.Error(), "no longer exists on Meta") {
		t.Fatalf("a deleted Meta audience: %v", err)
	}
	if _, err := e.svc.Recreate(context.Background(), "crm", ""); err != nil {
		t.Fatal(err)
	}
	r2 := e.run("crm")
	if r2.Action != syncs.ActionCreate || r2.AudienceID == r1.AudienceID {
		t.Fatalf("after --recreate: %+v", r2.Plan)
	}
	e.checkPeople(r2.AudienceID, emailPhone)
}

// A sync to Meta hashes by Meta's rules, not TikTok's: an e-mail keeps its
// "+tag" there, so the audience holds the hash Meta's normalization gives.
func TestMetaSyncHashesByMetasRules(t *testing.T) {
	e := newMetaEnv(t, metastandin.Options{})
	var b strings.Builder
	b.WriteString("email\n")
	for i := range 200 {
		fmt.Fprintf(&b, " Person%03d+news@Example.com \n", i)
	}
	if err := os.WriteFile(e.list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	email := []transform.Mapping{mustMap("email=email")}
	e.save("tags", func(d *syncs.Definition) { d.Mappings = email })
	r := e.run("tags")
	if n := e.checkPeople(r.AudienceID, email); n != 200 || r.PeopleNow != 200 {
		t.Fatalf("%d users, the plan %d people", n, r.PeopleNow)
	}
	if got := e.takeEdges(); strings.Contains(got, "DELETE") {
		t.Fatalf("sent %s", got)
	}
}

// The app's path into Meta: a prepared plan is sent as shown; when the
// audience changed at Meta in between, nothing is sent and the new plan
// comes back to confirm.
func TestMetaPreparedPlan(t *testing.T) {
	e := newMetaEnv(t, metastandin.Options{})
	e.writeList(span(0, 1000), nil)
	e.save("crm", nil)
	ctx := context.Background()
	p, err := e.svc.Prepare(ctx, "crm", syncs.RunOptions{}, nil)
	if err != nil || p.Action != syncs.ActionCreate {
		t.Fatalf("prepare: %+v, %v", p, err)
	}
	r1, err := e.svc.RunPlan(ctx, "crm", p.ID, syncs.RunOptions{}, nil)
	if err != nil || r1.Action != syncs.ActionCreate {
		t.Fatalf("run the plan: %+v, %v", r1, err)
	}
	e.clock.Advance(time.Hour)
	e.writeList(span(0, 1010), nil)
	if p, err = e.svc.Prepare(ctx, "crm", syncs.RunOptions{}, nil); err != nil || p.Action != syncs.ActionUpdate {
		t.Fatalf("prepare 2: %+v, %v", p, err)
	}
	e.clock.Advance(time.Minute)
	other, err := e.client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddUsers(ctx, r1.AudienceID, meta.Batch{Schema: []string{"EMAIL", "PHONE"}, Rows: [][]string{{strings.Repeat("cd", 32), ""}}}); err != nil {
		t.Fatal(err)
	}
	e.takeEdges()
	_, err = e.svc.RunPlan(ctx, "crm", p.ID, syncs.RunOptions{}, nil)
	var changed *syncs.PlanChangedError
	if !errors.As(err, &changed) || !strings.Contains(changed.Why, "changed at Meta") || changed.Plan.Action != syncs.ActionReplace {
		t.Fatalf("a plan whose audience changed at Meta: %v", err)
	}
	if got := e.takeEdges(); got != "" {
		t.Fatalf("the changed plan sent %s", got)
	}
	if _, err := e.svc.RunPlan(ctx, "crm", changed.Plan.ID, syncs.RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	e.checkPeople(r1.AudienceID, emailPhone)
}

// metaChild runs sync SYNC_TEST_NAME into the Meta stand-in at
// SYNC_TEST_BASE as its own process (for the kill test), on the real clock.
func metaChild() int {
	svc, err := syncs.New(syncs.Config{Dir: os.Getenv("SYNC_TEST_DIR"), Workers: 1, MaxFileBytes: 1 << 20,
		ConnectMeta: func(ctx context.Context, acct string) (*syncs.MetaConn, error) {
			c, err := meta.New(meta.Options{BaseURL: os.Getenv("SYNC_TEST_BASE"), Token: os.Getenv("SYNC_TEST_TOKEN"), AdAccount: acct,
				Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
			if err != nil {
				return nil, err
			}
			store, err := metaupload.OpenStore(os.Getenv("SYNC_TEST_STATE"))
			if err != nil {
				return nil, err
			}
			up, err := metaupload.New(metaupload.Config{Store: store, Client: c})
			if err != nil {
				return nil, err
			}
			return &syncs.MetaConn{AdAccount: acct, Destination: &metaupload.Destination{Client: c, Uploader: up}}, nil
		}})
	if err == nil {
		_, err = svc.Run(context.Background(), os.Getenv("SYNC_TEST_NAME"), nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// The second run's process is killed after each of its requests in turn,
// while the stand-in holds the answer (applied, not yet answered): the
// next run finishes it from the journal, with one audience, the list's
// people, no batch twice in a session and each appended cell received once.
func TestMetaKillAtEveryPointThenRunAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for k := 1; ; k++ {
		e := newMetaEnv(t, metastandin.Options{})
		e.writeList(span(0, 1200), nil)
		e.save("crm", func(d *syncs.Definition) { d.AdAccount = e.s.AdAccount() })
		r1 := e.run("crm")
		changed := map[int]int{}
		for i := 100; i < 140; i++ {
			changed[i] = 1
		}
		old := e.listCells()
		e.writeList(span(60, 1250), changed)
		before := e.s.Stats().Requests
		e.mu.Lock()
		e.after = func(*http.Request) bool { time.Sleep(20 * time.Millisecond); return false } // the answer waits
		e.mu.Unlock()
		c := startChild(t, "meta", e.dir, e.base, e.s.Token(), e.journal, "crm")
		finished := c.killWhen(t, func() bool { return int(e.s.Stats().Requests-before) >= k },
			func() string {
				return fmt.Sprintf("kill point %d: only %d requests in a minute", k, e.s.Stats().Requests-before)
			},
			func() { time.Sleep(5 * time.Millisecond) }) // inside the stand-in's answer
		e.mu.Lock()
		e.after = nil
		e.mu.Unlock()
		r := e.run("crm")
		if k >= 2 && !finished && !r.Resumed {
			t.Fatalf("kill point %d: the rerun had no interrupted run to finish: %+v", k, r.Plan)
		}
		if n := e.checkPeople(r1.AudienceID, emailPhone); n != 1190 {
			t.Fatalf("kill point %d: %d users, want 1190 (rerun: %s, %s)", k, n, r.Action, r.Reason)
		}
		if ids := e.s.AudienceIDs(e.s.AdAccount(), "CRM crm"); len(ids) != 1 {
			t.Fatalf("kill point %d: %d audiences", k, len(ids))
		}
		if st := e.s.Stats(); st.RepeatedBatches != 0 {
			t.Fatalf("kill point %d: %d batches sent twice into a session", k, st.RepeatedBatches)
		}
		if got := e.newCellsOnce(old); got != 140 {
			t.Fatalf("kill point %d: %d new cells, want 140", k, got)
		}
		if r := e.run("crm"); r.Action != syncs.ActionNone {
			t.Fatalf("kill point %d: the run after the rerun: %+v", k, r.Plan)
		}
		if finished {
			t.Logf("killed after each of %d requests", k-1)
			return
		}
	}
}
