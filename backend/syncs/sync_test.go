package syncs_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/syncs"
	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/transform"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

// The test binary doubles as a second process running one sync (for the
// kill test): SYNC_TEST_CHILD=1 with the stand-in's address in the env.
func TestMain(m *testing.M) {
	if mode := os.Getenv("SYNC_TEST_CHILD"); mode == "plan" || mode == "transform" || mode == "run" {
		os.Exit(benchChild(mode))
	}
	if os.Getenv("SYNC_TEST_CHILD") == "meta" {
		os.Exit(metaChild())
	}
	if os.Getenv("SYNC_TEST_CHILD") == "1" {
		svc := newService(os.Getenv("SYNC_TEST_DIR"), os.Getenv("SYNC_TEST_BASE"), os.Getenv("SYNC_TEST_TOKEN"), os.Getenv("SYNC_TEST_STATE"))
		_, err := svc.Run(context.Background(), os.Getenv("SYNC_TEST_NAME"), nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func newService(dir, base, token, statePath string) *syncs.Service {
	svc, err := syncs.New(syncs.Config{Dir: dir, Workers: 1, MaxFileBytes: 1 << 20, PollInterval: 5 * time.Millisecond, Connect: connectFunc(base, token, statePath)})
	if err != nil {
		panic(err)
	}
	return svc
}

// connectFunc connects to the stand-in at base.
func connectFunc(base, token, statePath string) func(context.Context, string) (*syncs.Conn, error) {
	return func(ctx context.Context, adv string) (*syncs.Conn, error) {
		store, err := upload.OpenStore(statePath)
		if err != nil {
			return nil, err
		}
		c, err := tiktok.New(tiktok.Config{BaseURL: base, AccessToken: token, QPS: 1000, InitialBackoff: 5 * time.Millisecond,
			MaxBackoff: 50 * time.Millisecond, MaxRetryTime: time.Minute, RequestTimeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		up, err := upload.New(upload.Config{Client: c, Store: store, RetryWait: 10 * time.Millisecond,
			PollInitial: 20 * time.Millisecond, PollMax: 100 * time.Millisecond})
		if err != nil {
			return nil, err
		}
		return &syncs.Conn{AdvertiserID: "7000000000000000001", Client: c, Uploader: up}, nil
	}
}

type env struct {
	t     *testing.T
	s     *standin.Server
	base  string
	dir   string
	state string
	svc   *syncs.Service
	list  string
}

func newEnv(t *testing.T, opts standin.Options) *env {
	opts.MatchRate = 1 // matched users = rows: the floor is about the rows sent
	s := standin.New(opts)
	e := &env{t: t, s: s, base: standintest.Start(t, s), dir: filepath.Join(t.TempDir(), "syncs"),
		state: filepath.Join(t.TempDir(), "upload-state.db"), list: filepath.Join(t.TempDir(), "crm.csv")}
	e.svc = newService(e.dir, e.base, s.Token(), e.state)
	return e
}

// person i's row; phone variant v models a changed phone number.
func row(i, v int) string {
	return fmt.Sprintf("user%05d@example.com,+1 415 %03d %04d", i, 200+v, i%10000)
}

// writeList writes a generation of the list: people ids (phone variant
// from variant), every tenth row twice (duplicates).
func (e *env) writeList(ids []int, variant map[int]int) {
	var b strings.Builder
	b.WriteString("email,phone\n")
	for _, i := range ids {
		b.WriteString(row(i, variant[i]) + "\n")
		if i%10 == 0 {
			b.WriteString(row(i, variant[i]) + "\n")
		}
	}
	if err := os.WriteFile(e.list, []byte(b.String()), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// expected is the list's hashed rows, as a plain transform of it writes them.
func (e *env) expected() []string {
	e.t.Helper()
	src, err := inputs.LocalFile(e.list)
	if err != nil {
		e.t.Fatal(err)
	}
	out := filepath.Join(e.t.TempDir(), "out")
	m, err := transform.Run(context.Background(), transform.Options{Source: src, OutDir: out, Workers: 1,
		Mappings: []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")}})
	if err != nil {
		e.t.Fatal(err)
	}
	var rows []string
	for _, f := range m.Files {
		fh, err := os.Open(filepath.Join(out, f.Path))
		if err != nil {
			e.t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for n := 0; sc.Scan(); n++ {
			if n > 0 {
				rows = append(rows, sc.Text())
			}
		}
		fh.Close()
	}
	sort.Strings(rows)
	return rows
}

func mustMap(s string) transform.Mapping {
	m, err := transform.ParseMapping(s)
	if err != nil {
		panic(err)
	}
	return m
}

func (e *env) save(name string, mut func(*syncs.Definition)) {
	e.t.Helper()
	d := syncs.Definition{Name: name, Input: e.list, Mappings: []transform.Mapping{mustMap("email=email"), mustMap("phone=phone")},
		AudienceName: "CRM " + name, AdvertiserID: e.s.Advertiser()}
	if mut != nil {
		mut(&d)
	}
	if _, err := e.svc.Save(d); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) run(name string) *syncs.Result {
	e.t.Helper()
	res, err := e.svc.Run(context.Background(), name, nil)
	if err != nil {
		e.t.Fatalf("run %s: %v", name, err)
	}
	return res
}

// checkMembers asserts one audience, whose member users are exactly the
// list's people, by the stand-in's user graph.
func (e *env) checkMembers(id string) {
	e.t.Helper()
	if n := len(e.s.Audiences()); n != 1 {
		e.t.Fatalf("%d audiences, want 1", n)
	}
	got, want := e.s.Members(id), e.people(e.expected())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		e.t.Fatalf("audience %s has %d users, the list %d people; they differ", id, len(got), len(want))
	}
}

// people names the users the hashed rows belong to by the stand-in's user
// graph, sorted; a row the stand-in never saw is a user "never uploaded".
func (e *env) people(rows []string) []string {
	set := map[string]bool{}
	for _, r := range rows {
		for _, h := range strings.Split(r, ",") {
			if h != "" {
				u := e.s.UserOf(h)
				if u == "" {
					u = "never uploaded: " + h
				}
				set[u] = true
				break
			}
		}
	}
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// Three generations: adds, removals, changed phones, duplicates.
func TestThreeGenerationsMirrorTheList(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	// A changed phone counts as a removed row here (150 of 1200).
	e.save("crm", func(d *syncs.Definition) { d.MaxRemovals = pct(20) })
	r1 := e.run("crm")
	if r1.Action != syncs.ActionCreate || r1.RowsNow != 1200 || r1.Added != 1200 || r1.AudienceID == "" {
		t.Fatalf("generation 1: %+v", r1.Plan)
	}
	e.checkMembers(r1.AudienceID)

	// Generation 2: 100 people gone, 100 new, 50 changed phones.
	changed := map[int]int{}
	for i := 100; i < 150; i++ {
		changed[i] = 1
	}
	e.writeList(span(100, 1300), changed)
	r2 := e.run("crm")
	if r2.Action != syncs.ActionUpdate || r2.Added != 100 || r2.Removed != 100 || r2.Changed != 50 || r2.Unchanged != 1050 || r2.AudienceID != r1.AudienceID {
		t.Fatalf("generation 2: %+v", r2.Plan)
	}
	if r2.BytesUploaded >= r2.FullBytes {
		t.Fatalf("generation 2 sent %d bytes, a full upload %d", r2.BytesUploaded, r2.FullBytes)
	}
	e.checkMembers(r1.AudienceID)

	// Generation 3: more gone (including some new ones), more added, phones changed back.
	e.writeList(append(span(150, 1250), span(1300, 1360)...), nil)
	r3 := e.run("crm")
	if r3.Action != syncs.ActionUpdate || r3.RowsNow != 1160 || r3.AudienceID != r1.AudienceID {
		t.Fatalf("generation 3: %+v", r3.Plan)
	}
	e.checkMembers(r1.AudienceID)
	h := e.s.Audiences()[0].History
	if strings.Join(h, ",") != "CREATE,REMOVE,APPEND,REMOVE,APPEND" {
		t.Fatalf("history %v", h)
	}

	// Nothing changed: nothing is sent.
	before := e.s.Stats().Requests
	r4 := e.run("crm")
	if r4.Action != syncs.ActionNone || len(r4.Uploads) != 0 {
		t.Fatalf("unchanged list: %+v", r4.Plan)
	}
	if got := e.s.Stats().Requests - before; got > 1 {
		t.Fatalf("unchanged list made %d requests, want only the audience read", got)
	}
	sum, err := e.svc.Get("crm")
	if err != nil || sum.AudienceID != r1.AudienceID || sum.StateRows != 1160 || sum.LastRun == nil {
		t.Fatalf("show: %+v, %v", sum, err)
	}
}

// The dry run reads the audience but uploads nothing and keeps the state.
func TestDryRunUploadsNothing(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1100), nil)
	e.save("crm", nil)
	p, err := e.svc.Plan(context.Background(), "crm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != syncs.ActionCreate || p.RowsNow != 1100 || e.s.Stats().Uploads != 0 || len(e.s.Audiences()) != 0 {
		t.Fatalf("first dry run: %+v, %d uploads, %d audiences", p, e.s.Stats().Uploads, len(e.s.Audiences()))
	}
	r := e.run("crm")
	e.writeList(span(50, 1150), nil)
	stateBefore := readFile(t, filepath.Join(e.dir, "crm", "state.json"))
	uploads := e.s.Stats().Uploads
	p, err = e.svc.Plan(context.Background(), "crm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != syncs.ActionUpdate || p.Added != 50 || p.Removed != 50 || p.Unchanged != 1050 {
		t.Fatalf("dry run: %+v", p)
	}
	if e.s.Stats().Uploads != uploads || readFile(t, filepath.Join(e.dir, "crm", "state.json")) != stateBefore {
		t.Fatal("the dry run uploaded or changed the state")
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "crm"))
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), "run-") {
			t.Fatalf("the dry run left %s behind", en.Name())
		}
	}
	if got := e.s.Members(r.AudienceID); len(got) != 1100 {
		t.Fatalf("members after dry run: %d", len(got))
	}
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A change made outside the app (Ads Manager) makes the next run REPLACE,
// saying why, and the audience equals the list again.
func TestAudienceChangedElsewhereIsReplaced(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", nil)
	r := e.run("crm")
	e.s.ChangeElsewhere(r.AudienceID, "APPEND", "someone-elses-row")
	e.writeList(span(0, 1210), nil)
	r2 := e.run("crm")
	if r2.Action != syncs.ActionReplace || !strings.Contains(r2.Reason, "changed outside this sync") || !strings.Contains(r2.Reason, "APPEND") {
		t.Fatalf("after a change elsewhere: %+v", r2.Plan)
	}
	e.checkMembers(r.AudienceID)
	// The REPLACE is ours: the run after it goes back to APPEND/REMOVE.
	e.writeList(span(0, 1220), nil)
	if r3 := e.run("crm"); r3.Action != syncs.ActionUpdate || r3.Added != 10 {
		t.Fatalf("after the replace: %+v", r3.Plan)
	}
	e.checkMembers(r.AudienceID)
}

// A first run into an existing audience, and a lost state, replace with a reason.
func TestNoStateReplacesExistingAudience(t *testing.T) {
	e := newEnv(t, standin.Options{})
	id := e.s.AddAudience(e.s.Advertiser(), "made in Ads Manager", "MULTIPLE_TYPES")
	e.writeList(span(0, 1200), nil)
	e.save("crm", func(d *syncs.Definition) { d.AudienceName, d.AudienceID = "", id })
	r := e.run("crm")
	if r.Action != syncs.ActionReplace || !strings.Contains(r.Reason, "no record") {
		t.Fatalf("first run into an existing audience: %+v", r.Plan)
	}
	e.checkMembers(id)
	os.Remove(filepath.Join(e.dir, "crm", "state.json"))
	e.writeList(span(0, 1201), nil)
	if r := e.run("crm"); r.Action != syncs.ActionReplace || !strings.Contains(r.Reason, "no record") {
		t.Fatalf("lost state: %+v", r.Plan)
	}
	e.checkMembers(id)
}

// A list that would take the audience under TikTok's 1,000 floor stops
// before anything is sent, and the state stays.
func TestFloorOfOneThousandStops(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1050), nil)
	e.save("crm", nil)
	r := e.run("crm")
	stateBefore := readFile(t, filepath.Join(e.dir, "crm", "state.json"))
	e.writeList(span(0, 990), nil)
	requests := e.s.Stats().Uploads
	_, err := e.svc.Run(context.Background(), "crm", nil)
	var stop *syncs.StopError
	if !errors.As(err, &stop) || !strings.Contains(err.Error(), "fewer than 1000") || !strings.Contains(err.Error(), "990 users") {
		t.Fatalf("want a stop naming the floor, got %v", err)
	}
	if e.s.Stats().Uploads != requests || len(e.s.Members(r.AudienceID)) != 1050 {
		t.Fatal("something was sent")
	}
	if readFile(t, filepath.Join(e.dir, "crm", "state.json")) != stateBefore {
		t.Fatal("the state changed")
	}
}

// Two runs of one sync never overlap: the second is refused while the
// first holds the lock, and the first finishes normally.
func TestConcurrentRunIsRefused(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1100), nil)
	e.save("crm", nil)
	other := newService(e.dir, e.base, e.s.Token(), e.state)
	var second error
	tried := false
	res, err := e.svc.Run(context.Background(), "crm", func(p syncs.Progress) {
		if p.Stage == "upload" && !tried {
			tried = true
			_, second = other.Run(context.Background(), "crm", nil)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(second, syncs.ErrBusy) || !strings.Contains(second.Error(), "already running") {
		t.Fatalf("second run: %v", second)
	}
	e.checkMembers(res.AudienceID)
}

// Killed during generation 2's upload: the state is not advanced, and the
// next run finishes it into the same audience.
func TestKillDuringUploadThenRunAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	e := newEnv(t, standin.Options{ResponseDelay: 200 * time.Millisecond})
	e.writeList(span(0, 1200), nil)
	// A changed phone counts as a removed row here (150 of 1200).
	e.save("crm", func(d *syncs.Definition) { d.MaxRemovals = pct(20) })
	r1 := e.run("crm")
	stateBefore := readFile(t, filepath.Join(e.dir, "crm", "state.json"))

	e.writeList(span(100, 1300), nil)
	uploads := e.s.Stats().Uploads
	// Kill as soon as the first file of generation 2 has reached TikTok.
	c := startChild(t, "1", e.dir, e.base, e.s.Token(), e.state, "crm")
	if c.killWhen(t, func() bool { return e.s.Stats().Uploads != uploads }, func() string { return "no upload within a minute" }, nil) {
		t.Fatalf("the run ended before it was killed: %v %s", c.err, c.stderr.String())
	}
	if readFile(t, filepath.Join(e.dir, "crm", "state.json")) != stateBefore {
		t.Fatal("the state advanced before TikTok accepted the changes")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "crm", "pending.json")); err != nil {
		t.Fatalf("no pending run after the kill: %v", err)
	}
	// The dry run meanwhile counts from what the interrupted run will leave.
	if p, err := e.svc.Plan(context.Background(), "crm", nil); err != nil || !p.Resumed || p.Action != syncs.ActionNone {
		t.Fatalf("dry run after the kill: %+v %v", p, err)
	}
	r2 := e.run("crm")
	if !r2.Resumed || r2.AudienceID != r1.AudienceID {
		t.Fatalf("rerun: %+v", r2.Plan)
	}
	e.checkMembers(r1.AudienceID)
	if _, err := os.Stat(filepath.Join(e.dir, "crm", "pending.json")); !os.IsNotExist(err) {
		t.Fatal("pending run left after finishing")
	}
	if sum, _ := e.svc.Get("crm"); sum.StateRows != 1200 || sum.LastRun.Added != 100 || sum.LastRun.Removed != 100 {
		t.Fatalf("state after the resumed run: %+v %+v", sum, sum.LastRun)
	}
}

// The state holds binary rows (at most 36 bytes per identifier), no raw
// value or hex hash is kept, and everything is private to the user.
func TestStateIsBinaryAndPrivate(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", nil)
	e.run("crm")
	e.writeList(span(10, 1210), nil)
	e.run("crm")
	hexHash := e.expected()[0][:64]
	found := false
	err := filepath.WalkDir(e.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		if d.IsDir() && info.Mode().Perm() != 0o700 || !d.IsDir() && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", p, info.Mode())
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), "run-") {
				t.Errorf("run folder %s left after a finished run", p)
			}
			return nil
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "@example.com") || strings.Contains(string(b), hexHash) {
			t.Errorf("%s holds a raw value or a hex hash", p)
		}
		if strings.HasPrefix(d.Name(), "rows-") {
			found = true
			if per := float64(len(b)) / 2400; per > 36 {
				t.Errorf("%.1f bytes per identifier", per)
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("walk: %v, rows file found: %v", err, found)
	}
}

// Most of the list changed: one REPLACE, saying so. Add-only keeps rows
// that left the list.
func TestMostChangedReplacesAndAddOnlyKeeps(t *testing.T) {
	e := newEnv(t, standin.Options{})
	e.writeList(span(0, 1200), nil)
	e.save("crm", func(d *syncs.Definition) { d.MaxRemovals = pct(100) })
	r := e.run("crm")
	e.writeList(span(700, 1900), nil)
	r2 := e.run("crm")
	if r2.Action != syncs.ActionReplace || !strings.Contains(r2.Reason, "most of the list") || r2.Added != 700 || r2.Removed != 700 {
		t.Fatalf("most changed: %+v", r2.Plan)
	}
	e.checkMembers(r.AudienceID)

	e.save("crm", func(d *syncs.Definition) { d.Mode = syncs.ModeAddOnly })
	e.writeList(span(750, 1950), nil)
	r3 := e.run("crm")
	if r3.Action != syncs.ActionUpdate || r3.Added != 50 || r3.Removed != 0 {
		t.Fatalf("add-only: %+v", r3.Plan)
	}
	if got := len(e.s.Members(r.AudienceID)); got != 1250 {
		t.Fatalf("add-only left %d members, want 1250 (rows gone from the list stay)", got)
	}
}

// --newest reads only the last matching part of a folder (dated exports).
func TestNewestPartOfAFolder(t *testing.T) {
	e := newEnv(t, standin.Options{})
	folder := t.TempDir()
	e.writeList(span(0, 1100), nil)
	os.Rename(e.list, filepath.Join(folder, "crm-2026-11-01.csv"))
	e.writeList(span(0, 1150), nil)
	os.Rename(e.list, filepath.Join(folder, "crm-2026-11-08.csv"))
	e.writeList(span(0, 1300), nil)
	os.Rename(e.list, filepath.Join(folder, "other-2026-11-09.csv"))
	e.save("crm", func(d *syncs.Definition) { d.Input, d.Newest = folder, "crm-*.csv" })
	p, err := e.svc.Plan(context.Background(), "crm", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.RowsNow != 1150 {
		t.Fatalf("newest part: %d rows, want 1150 (crm-2026-11-08.csv)", p.RowsNow)
	}
	e.save("crm", func(d *syncs.Definition) { d.Input, d.Newest = folder, "nothing-*.csv" })
	if _, err := e.svc.Plan(context.Background(), "crm", nil); err == nil || !strings.Contains(err.Error(), "matches --newest") {
		t.Fatalf("no match: %v", err)
	}
}
