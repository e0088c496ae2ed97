package upload_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
	"github.com/audience-uploader/audience-uploader/backend/upload"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// fixture is a manifest folder written the way the transform writes one.
type fixture struct {
	manifest string
	hashes   []string // every hash in every file
	raw      []string // the raw identifiers the hashes came from
}

// writeManifest writes files×rows identifiers. layout "separate" with types
// gives one file set per type; "combined" writes MULTIPLE_TYPES rows of an
// email and a phone hash.
func writeManifest(t testing.TB, dir, prefix, layout string, types []string, files, rows int) fixture {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var fx fixture
	type mf struct {
		Path          string `json:"path"`
		CalculateType string `json:"calculate_type"`
		Rows          int64  `json:"rows"`
		Bytes         int64  `json:"bytes"`
		MD5           string `json:"md5"`
	}
	var list []mf
	write := func(name, calc, content string, n int) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum([]byte(content))
		list = append(list, mf{name, calc, int64(n), int64(len(content)), hex.EncodeToString(sum[:])})
	}
	if layout == "combined" {
		for f := 0; f < files; f++ {
			var b strings.Builder
			b.WriteString("Email_SHA256,Phone_SHA256\n")
			for r := 0; r < rows; r++ {
				email := fmt.Sprintf("%s.%d.%d@example.com", prefix, f, r)
				// Each prefix's people have their own phones: a phone shared
				// across fixtures would make two rows one user at TikTok.
				phone := fmt.Sprintf("1613%07d", int(prefix[0])*1000000+f*rows+r)
				fx.raw = append(fx.raw, email, phone)
				fx.hashes = append(fx.hashes, sha(email), sha(phone))
				fmt.Fprintf(&b, "%s,%s\n", sha(email), sha(phone))
			}
			write(fmt.Sprintf("combined-%05d.csv", f), tiktok.MultipleTypes, b.String(), rows)
		}
	} else {
		for _, calc := range types {
			for f := 0; f < files; f++ {
				var b strings.Builder
				for r := 0; r < rows; r++ {
					raw := fmt.Sprintf("%s.%s.%d.%d@example.com", prefix, strings.ToLower(calc), f, r)
					fx.raw = append(fx.raw, raw)
					fx.hashes = append(fx.hashes, sha(raw))
					b.WriteString(sha(raw) + "\n")
				}
				write(fmt.Sprintf("%s-%05d.csv", strings.ToLower(calc), f), calc, b.String(), rows)
			}
		}
	}
	m := map[string]any{"version": 1, "created_at": time.Now().UTC(), "input": prefix + ".csv", "layout": layout, "files": list}
	b, _ := json.Marshal(m)
	fx.manifest = filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(fx.manifest, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return fx
}

type events struct {
	mu   sync.Mutex
	list []upload.Event
	hook func(upload.Event)
}

func (e *events) Emit(ev upload.Event) {
	e.mu.Lock()
	e.list = append(e.list, ev)
	hook := e.hook
	e.mu.Unlock()
	if hook != nil {
		hook(ev)
	}
}

func (e *events) count(kind string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.list {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

type env struct {
	base  string
	s     *standin.Server
	u     *upload.Uploader
	store *upload.Store
	ev    *events
	adv   string
}

func newEnv(t testing.TB, opts standin.Options, mod ...func(*tiktok.Config, *upload.Config)) *env {
	t.Helper()
	s := standin.New(opts)
	base := standintest.Start(t, s)
	store, err := upload.OpenStore(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{base: base, s: s, store: store, ev: &events{}, adv: s.Advertiser()}
	ccfg := tiktok.Config{BaseURL: base, AccessToken: s.Token(), QPS: 1000, InitialBackoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond, MaxRetryTime: time.Minute, RequestTimeout: 10 * time.Second}
	ucfg := upload.Config{Store: store, Sink: e.ev, RetryWait: 10 * time.Millisecond, PollInitial: 20 * time.Millisecond, PollMax: 100 * time.Millisecond}
	for _, m := range mod {
		m(&ccfg, &ucfg)
	}
	c, err := tiktok.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	ucfg.Client = c
	u, err := upload.New(ucfg)
	if err != nil {
		t.Fatal(err)
	}
	e.u = u
	return e
}

// checkExactlyOnce asserts one audience named name whose delivered hashes
// are exactly want, each once.
func checkExactlyOnce(t testing.TB, s *standin.Server, name string, want []string) standin.AudienceInfo {
	t.Helper()
	var found []standin.AudienceInfo
	for _, a := range s.Audiences() {
		if a.Name == name {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d audiences named %q, want exactly 1", len(found), name)
	}
	a := found[0]
	for _, h := range want {
		if a.Delivered[h] != 1 {
			t.Fatalf("hash %s delivered %d times, want 1", h[:12], a.Delivered[h])
		}
	}
	if len(a.Delivered) != len(want) {
		t.Fatalf("audience has %d distinct hashes, want %d", len(a.Delivered), len(want))
	}
	return a
}

func TestCreateInBatchesOf50(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "c", "separate", []string{tiktok.EmailSHA256}, 120, 10)
	res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "Spring buyers"})
	if err != nil {
		t.Fatal(err)
	}
	a := checkExactlyOnce(t, e.s, "Spring buyers", fx.hashes)
	if strings.Join(a.History, ",") != "CREATE,APPEND,APPEND" {
		t.Fatalf("history %v, want CREATE then two APPENDs", a.History)
	}
	if res.Uploaded != 120 || res.Reused != 0 || len(res.Targets) != 1 || res.Targets[0].AudienceID != a.ID || res.Rows != 1200 {
		t.Fatalf("result %+v", res)
	}
	if st := e.s.Stats(); st.Uploads != 120 {
		t.Fatalf("%d uploads, want 120", st.Uploads)
	}
	// Running the same job again does nothing.
	before := e.s.Stats().Requests
	res2, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "Spring buyers"})
	if err != nil || !res2.AlreadyOK || res2.Targets[0].AudienceID != a.ID || e.s.Stats().Requests != before {
		t.Fatalf("second run: %+v, %v, %d new requests", res2, err, e.s.Stats().Requests-before)
	}
	// Every request_id is in the job log.
	log, err := e.store.Log(context.Background(), res.JobID)
	if err != nil {
		t.Fatal(err)
	}
	ids := 0
	for _, l := range log {
		if l.RequestID != "" {
			ids++
		}
	}
	if int64(ids) != before {
		t.Fatalf("%d request ids in the log, %d requests served", ids, before)
	}
	if e.ev.count(upload.EventFileDone) != 120 || e.ev.count(upload.EventWarning) != 0 {
		t.Fatalf("events: %d file_done, %d warnings", e.ev.count(upload.EventFileDone), e.ev.count(upload.EventWarning))
	}
}

func TestSeparateLayoutTwoTypesMakesOneAudiencePerType(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "s", "separate", []string{tiktok.EmailSHA256, tiktok.PhoneSHA256}, 3, 400)
	res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "Mixed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Targets) != 2 {
		t.Fatalf("targets %+v", res.Targets)
	}
	checkExactlyOnce(t, e.s, "Mixed (email)", fx.hashes[:1200])
	checkExactlyOnce(t, e.s, "Mixed (phone)", fx.hashes[1200:])
	// An existing audience holds one type: refuse such a manifest.
	_, err = e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceID: res.Targets[0].AudienceID})
	if err == nil || !strings.Contains(err.Error(), "combined") {
		t.Fatalf("append of two types = %v", err)
	}
}

// TestUpdateActions: APPEND, REMOVE and REPLACE on an existing audience,
// with combined and separate layouts.
func TestUpdateActions(t *testing.T) {
	for _, layout := range []string{"separate", "combined"} {
		t.Run(layout, func(t *testing.T) {
			e := newEnv(t, standin.Options{})
			ctx := context.Background()
			types := []string{tiktok.EmailSHA256}
			base := writeManifest(t, t.TempDir(), "base", layout, types, 60, 30) // 1,800 users
			more := writeManifest(t, t.TempDir(), "more", layout, types, 55, 30) // 1,650 users
			res, err := e.u.Run(ctx, upload.Request{ManifestPath: base.manifest, AdvertiserID: e.adv, AudienceName: "A " + layout})
			if err != nil {
				t.Fatal(err)
			}
			id := res.Targets[0].AudienceID
			size := func() int64 {
				for _, a := range e.s.Audiences() {
					if a.ID == id {
						return a.Users
					}
				}
				return -1
			}
			if _, err := e.u.Run(ctx, upload.Request{ManifestPath: more.manifest, AdvertiserID: e.adv, AudienceID: id, Action: "append"}); err != nil {
				t.Fatal(err)
			}
			if n := size(); n != 3450 {
				t.Fatalf("after APPEND %d users, want 3450", n)
			}
			if _, err := e.u.Run(ctx, upload.Request{ManifestPath: more.manifest, AdvertiserID: e.adv, AudienceID: id, Action: "remove"}); err != nil {
				t.Fatal(err)
			}
			if n := size(); n != 1800 {
				t.Fatalf("after REMOVE %d users, want 1800", n)
			}
			res, err = e.u.Run(ctx, upload.Request{ManifestPath: more.manifest, AdvertiserID: e.adv, AudienceID: id, Action: "replace"})
			if err != nil {
				t.Fatal(err)
			}
			if n := size(); n != 1650 {
				t.Fatalf("after REPLACE %d users, want 1650", n)
			}
			var hist []string
			for _, a := range e.s.Audiences() {
				if a.ID == id {
					hist = a.History
				}
			}
			// 55 files: REPLACE the first 50, APPEND the other 5.
			want := "CREATE,APPEND,APPEND,APPEND,REMOVE,REMOVE,REPLACE,APPEND"
			if strings.Join(hist, ",") != want {
				t.Fatalf("history %v, want %s", hist, want)
			}
		})
	}
}

func TestGuards(t *testing.T) {
	e := newEnv(t, standin.Options{ProcessingDelay: time.Hour})
	ctx := context.Background()
	small := writeManifest(t, t.TempDir(), "small", "separate", []string{tiktok.EmailSHA256}, 1, 50)
	big := writeManifest(t, t.TempDir(), "big", "separate", []string{tiktok.EmailSHA256}, 2, 600)
	big2 := writeManifest(t, t.TempDir(), "big2", "separate", []string{tiktok.EmailSHA256}, 2, 600)

	res, err := e.u.Run(ctx, upload.Request{ManifestPath: small.manifest, AdvertiserID: e.adv, AudienceName: "tiny"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "1,000") || e.ev.count(upload.EventWarning) != 1 {
		t.Fatalf("warnings %v", res.Warnings)
	}
	tiny := res.Targets[0].AudienceID
	before := e.s.Stats().Uploads
	_, err = e.u.Run(ctx, upload.Request{ManifestPath: small.manifest, AdvertiserID: e.adv, AudienceID: tiny, Action: "replace"})
	if err == nil || !strings.Contains(err.Error(), "refusing REPLACE") {
		t.Fatalf("REPLACE with 50 rows = %v", err)
	}
	res, err = e.u.Run(ctx, upload.Request{ManifestPath: big.manifest, AdvertiserID: e.adv, AudienceName: "big"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Targets[0].AudienceID
	if _, err := e.u.Run(ctx, upload.Request{ManifestPath: big2.manifest, AdvertiserID: e.adv, AudienceID: id, Action: "replace"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.u.Run(ctx, upload.Request{ManifestPath: big.manifest, AdvertiserID: e.adv, AudienceID: id, Action: "replace"})
	if err == nil || !strings.Contains(err.Error(), "still processing an earlier REPLACE") {
		t.Fatalf("second REPLACE = %v", err)
	}
	if got := e.s.Stats().Uploads - before; got != 4 {
		t.Fatalf("%d uploads; refused jobs must upload nothing (want 4)", got)
	}
	// Bad requests are refused before anything is stored or sent.
	for _, req := range []upload.Request{
		{ManifestPath: big.manifest, AudienceName: "x"},
		{ManifestPath: big.manifest, AdvertiserID: e.adv},
		{ManifestPath: big.manifest, AdvertiserID: e.adv, AudienceName: "x", AudienceID: "1"},
		{ManifestPath: big.manifest, AdvertiserID: e.adv, AudienceID: "1", Action: "merge"},
		{ManifestPath: big.manifest, AdvertiserID: e.adv, AudienceName: "x", Action: "replace"},
		{ManifestPath: filepath.Join(t.TempDir(), "none.json"), AdvertiserID: e.adv, AudienceName: "x"},
	} {
		if _, err := e.u.Run(ctx, req); err == nil {
			t.Errorf("Run(%+v) succeeded", req)
		}
	}
}

// TestResumeAfterCancel stops a run after some uploads, then runs it again:
// finished files are not uploaded twice.
func TestResumeAfterCancel(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "r", "separate", []string{tiktok.EmailSHA256}, 60, 20)
	ctx, cancel := context.WithCancel(context.Background())
	e.ev.hook = func(ev upload.Event) {
		if ev.Kind == upload.EventFileDone && e.ev.count(upload.EventFileDone) >= 25 {
			cancel()
		}
	}
	req := upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "resumed"}
	if _, err := e.u.Run(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run = %v, want canceled", err)
	}
	e.ev.hook = nil
	first := e.s.Stats().Uploads
	if first >= 60 || first < 25 {
		t.Fatalf("first run uploaded %d files", first)
	}
	res, err := e.u.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.Reused < 25 || res.Reused+res.Uploaded != 60 {
		t.Fatalf("result %+v", res)
	}
	// A cancelled request may have reached the server after its file_path
	// was lost; at most Concurrency (2) such files are uploaded twice.
	if total := e.s.Stats().Uploads; total > 62 {
		t.Fatalf("%d uploads for 60 files", total)
	}
	checkExactlyOnce(t, e.s, "resumed", fx.hashes)
	jobs, err := e.store.Jobs(context.Background())
	if err != nil || len(jobs) != 1 || jobs[0].Step != upload.StepDone {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
}

// TestLostResponses: TikTok applied a create / update but the response was
// lost; the uploader finds out instead of sending it again.
func TestLostResponses(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "l", "separate", []string{tiktok.EmailSHA256}, 110, 10)
	e.s.DropNext("create")
	e.s.DropNext("update")
	if _, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "lost"}); err != nil {
		t.Fatal(err)
	}
	a := checkExactlyOnce(t, e.s, "lost", fx.hashes)
	if strings.Join(a.History, ",") != "CREATE,APPEND,APPEND" {
		t.Fatalf("history %v", a.History)
	}
}

func TestExpiredFilePathsAreUploadedAgain(t *testing.T) {
	e := newEnv(t, standin.Options{})
	fx := writeManifest(t, t.TempDir(), "x", "separate", []string{tiktok.EmailSHA256}, 70, 20)
	e.ev.hook = func(ev upload.Event) {
		if ev.Kind == upload.EventStep && ev.Step == upload.StepAudience {
			e.s.ExpireFilePaths()
		}
	}
	if _, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "expired"}); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, e.s, "expired", fx.hashes)
	if n := e.s.Stats().Uploads; n != 140 {
		t.Fatalf("%d uploads, want 70 + 70 again after expiry", n)
	}
}

// TestNoRawIdentifierInAnyRequest taps every byte the stand-in receives.
func TestNoRawIdentifierInAnyRequest(t *testing.T) {
	var tap bytes.Buffer
	e := newEnv(t, standin.Options{Tap: &tap})
	fx := writeManifest(t, t.TempDir(), "p", "combined", nil, 3, 400)
	res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "privacy"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.u.Status(context.Background(), e.adv, res.Targets[0].AudienceID, 0); err != nil {
		t.Fatal(err)
	}
	body := tap.String()
	if !strings.Contains(body, fx.hashes[0]) {
		t.Fatal("the tap saw no hash: it is not capturing bodies")
	}
	for _, raw := range fx.raw {
		if strings.Contains(body, raw) {
			t.Fatalf("raw identifier %q sent to TikTok", raw[:4]+"…")
		}
	}
	if strings.Contains(body, e.s.Token()) {
		t.Fatal("token in a request body or query")
	}
}

func TestFollowUntilReady(t *testing.T) {
	e := newEnv(t, standin.Options{ProcessingDelay: 2 * time.Second, MatchRate: 0.5, HistoryMsg: "12 rows could not be parsed"})
	fx := writeManifest(t, t.TempDir(), "f", "separate", []string{tiktok.EmailSHA256}, 2, 600)
	res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "follow"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.u.Follow(context.Background(), e.adv, res.Targets[0].AudienceID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ready || st.MatchedUsers != 600 || st.RowsUploaded != 1200 || st.MatchRate != 0.5 {
		t.Fatalf("status %+v", st)
	}
	if len(st.Messages) == 0 || !strings.Contains(st.Messages[0], "could not be parsed") {
		t.Fatalf("messages %v", st.Messages)
	}
	if e.ev.count(upload.EventStatus) < 2 {
		t.Fatalf("%d status events, want one per poll (at least 2)", e.ev.count(upload.EventStatus))
	}
	// A stop ends following at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.u.Follow(ctx, e.adv, res.Targets[0].AudienceID, 0); err == nil {
		t.Fatal("Follow with a cancelled context succeeded")
	}
}

func TestTokenErrorStopsAtOnce(t *testing.T) {
	e := newEnv(t, standin.Options{}, func(c *tiktok.Config, _ *upload.Config) { c.AccessToken = "revoked" })
	fx := writeManifest(t, t.TempDir(), "t", "separate", []string{tiktok.EmailSHA256}, 5, 10)
	_, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "t"})
	if !errors.Is(err, tiktok.ErrToken) || !strings.Contains(err.Error(), "set-token") {
		t.Fatalf("err = %v", err)
	}
	// Concurrency 2: at most the two in-flight uploads were sent.
	if n := e.s.Stats().Requests; n > 2 {
		t.Fatalf("%d requests after a token error, want at most 2", n)
	}
}

// TestFaultsAndQPSLimitExactlyOnce: 20% injected faults (system errors,
// gateway errors, dropped connections after processing, slow responses)
// and a QPS limit of 2; 200 files reach one audience, each hash once.
func TestFaultsAndQPSLimitExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("about two minutes at 2 requests/s")
	}
	e := newEnv(t, standin.Options{QPS: 2, Seed: 42, Faults: standin.Faults{SystemErrorRate: 0.06, HTTPErrorRate: 0.06, DropRate: 0.05, SlowRate: 0.03, SlowDelay: 300 * time.Millisecond}},
		func(c *tiktok.Config, u *upload.Config) {
			c.QPS = 5 // the default ceiling: it must adapt down to 2
			c.RequestTimeout = 2 * time.Second
			c.MaxBackoff = 2 * time.Second
		})
	fx := writeManifest(t, t.TempDir(), "q", "separate", []string{tiktok.EmailSHA256}, 200, 10)
	res, err := e.u.Run(context.Background(), upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceName: "faulty"})
	if err != nil {
		t.Fatal(err)
	}
	a := checkExactlyOnce(t, e.s, "faulty", fx.hashes)
	if len(e.s.Audiences()) != 1 {
		t.Fatalf("%d audiences", len(e.s.Audiences()))
	}
	st := e.s.Stats()
	t.Logf("requests %d, rate-limited %d, faults %d, uploads %d, history %v, retries %d, rate-limit waits %d",
		st.Requests, st.RateLimited, st.Faults, st.Uploads, a.History, e.ev.count(upload.EventRetry), e.ev.count(upload.EventRateLimited))
	if st.Faults == 0 || st.RateLimited == 0 {
		t.Fatalf("faults %d, rate-limited %d: the test did not exercise them", st.Faults, st.RateLimited)
	}
	_ = res
}

func TestStoreReopens(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.db")
	for i := 0; i < 2; i++ {
		st, err := upload.OpenStore(p)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if _, err := st.NotReady(context.Background()); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v, %v", fi.Mode(), err)
	}
}

// TestLostUpdateOnLongHistory: with more history than is read, a lost
// APPEND response is still recognised as applied. The window digest can only
// miss it if historyWindow+1 identical entries share one second; at 20
// requests/s (4 per job here) at most 5 do.
func TestLostUpdateOnLongHistory(t *testing.T) {
	e := newEnv(t, standin.Options{}, func(c *tiktok.Config, _ *upload.Config) { c.QPS = 20 })
	ctx := context.Background()
	base := writeManifest(t, t.TempDir(), "h", "separate", []string{tiktok.EmailSHA256}, 1, 1000)
	res, err := e.u.Run(ctx, upload.Request{ManifestPath: base.manifest, AdvertiserID: e.adv, AudienceName: "long history"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Targets[0].AudienceID
	want := append([]string(nil), base.hashes...)
	for i := 0; i < 24; i++ {
		fx := writeManifest(t, t.TempDir(), fmt.Sprint("h", i), "separate", []string{tiktok.EmailSHA256}, 1, 2)
		if i == 23 {
			e.s.DropNext("update")
		}
		if _, err := e.u.Run(ctx, upload.Request{ManifestPath: fx.manifest, AdvertiserID: e.adv, AudienceID: id}); err != nil {
			t.Fatal(err)
		}
		want = append(want, fx.hashes...)
	}
	a := checkExactlyOnce(t, e.s, "long history", want)
	if len(a.History) != 25 {
		t.Fatalf("%d history entries, want 25", len(a.History))
	}
}
