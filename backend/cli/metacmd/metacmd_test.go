package metacmd_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/metacmd"
	"github.com/audience-uploader/audience-uploader/backend/cli/tiktokcmd"
	"github.com/audience-uploader/audience-uploader/backend/meta"
	metastandin "github.com/audience-uploader/audience-uploader/backend/meta/standin"
	tiktokstandin "github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// The test binary doubles as the CLI: with AU_TEST_MAIN=1 it runs the
// commands with the JSON array in AU_TEST_ARGS and exits (the kill test).
func TestMain(m *testing.M) {
	if os.Getenv("AU_TEST_MAIN") == "1" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv("AU_TEST_ARGS")), &args); err != nil {
			fmt.Fprintln(os.Stderr, "bad AU_TEST_ARGS:", err)
			os.Exit(3)
		}
		os.Exit(execute(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// execute runs a root holding the transform, upload and Meta commands,
// as backend/cli/commands.Root does.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := cli.NewRoot(stdout, stderr, nil, append(tiktokcmd.Commands(nil), metacmd.Commands()...)...)
	root.SetArgs(args)
	root.SetIn(stdin)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "error: %s\n", err)
		if cli.IsUsage(err) {
			return 2
		}
		return 1
	}
	return 0
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// tap records every request the Meta stand-in receives (URL and body).
type tap struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tap) String() string { t.mu.Lock(); defer t.mu.Unlock(); return t.buf.String() }

// startMeta serves s behind a handler that taps requests and waits delay
// before each; it returns the base URL as META_API_BASE_URL takes it.
func startMeta(t *testing.T, s *metastandin.Server, tp *tap, delay time.Duration) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if tp != nil {
			tp.mu.Lock()
			fmt.Fprintf(&tp.buf, "%s %s %s %s\n", r.Method, r.URL, r.Header, body)
			tp.mu.Unlock()
		}
		time.Sleep(delay)
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/v25.0/"
}

type world struct {
	meta      *metastandin.Server
	metaTap   *tap
	tiktok    *tiktokstandin.Server
	tiktokTap *bytes.Buffer
	cfg, data string
	out, err  bytes.Buffer // every command's output, for the privacy check
}

func newWorld(t *testing.T) *world {
	w := &world{metaTap: &tap{}, tiktokTap: &bytes.Buffer{}, cfg: t.TempDir(), data: t.TempDir()}
	w.meta = metastandin.New(metastandin.Options{FreshAudienceMisses: -1})
	w.tiktok = tiktokstandin.New(tiktokstandin.Options{Tap: w.tiktokTap})
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", w.cfg)
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", w.data)
	t.Setenv("TIKTOK_API_BASE_URL", standintest.Start(t, w.tiktok))
	t.Setenv("TIKTOK_ACCESS_TOKEN", w.tiktok.Token())
	t.Setenv("META_API_BASE_URL", startMeta(t, w.meta, w.metaTap, 0))
	t.Setenv("META_ACCESS_TOKEN", w.meta.Token())
	return w
}

func (w *world) run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	w.out.Write(out.Bytes())
	w.err.Write(errb.Bytes())
	return code, out.String(), errb.String()
}

// customers writes a CSV of n people: an e-mail (mixed case, some with a
// "+tag"), a phone and an IDFA (upper case) each.
func customers(t *testing.T, n int) (path string, emails, phones, idfas []string) {
	var b strings.Builder
	b.WriteString("email,phone,idfa\n")
	for i := range n {
		e := fmt.Sprintf("Person.%d+list@Example.com", i)
		p := fmt.Sprintf("+1 (650) 555-%04d", i)
		d := fmt.Sprintf("%08X-AAAA-4BBB-8CCC-%012d", i+1, i)
		fmt.Fprintf(&b, "%s,%s,%s\n", e, p, d)
		emails, phones, idfas = append(emails, e), append(phones, p), append(idfas, d)
	}
	path = filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, emails, phones, idfas
}

// The same list to TikTok and to Meta from the command line: one
// transform for both, one upload each; `run --destination meta` does the
// transform and the upload in one; status and audiences read Meta's
// audiences; nothing goes twice; no raw e-mail or phone and no token is in
// any request, output or file the commands left.
func TestSameListToTikTokAndMeta(t *testing.T) {
	w := newWorld(t)
	in, emails, phones, idfas := customers(t, 1200)
	acct := w.meta.AdAccount()
	out := filepath.Join(t.TempDir(), "both")
	if code, _, stderr := w.run(t, "", "transform", "--input", in, "--map", "email=email", "--map", "phone=phone", "--map", "idfa=idfa",
		"--out", out, "--destination", "tiktok,meta"); code != 0 {
		t.Fatalf("transform: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := w.run(t, "", "upload", "--manifest", out, "--audience", "both lists", "--advertiser-id", w.tiktok.Advertiser(), "--json")
	if code != 0 {
		t.Fatalf("TikTok upload: exit %d: %s", code, stderr)
	}
	ta := w.tiktok.Audiences()
	if len(ta) != 1 || ta[0].CalculateType != "MULTIPLE_TYPES" || ta[0].Delivered[sha("person.7@example.com")] != 1 || !strings.Contains(stdout, ta[0].ID) {
		t.Fatalf("TikTok audiences %+v", ta)
	}
	code, stdout, stderr = w.run(t, "", "upload", "--destination", "meta", "--manifest", out, "--audience", "both lists", "--ad-account", acct, "--json")
	if code != 0 {
		t.Fatalf("Meta upload: exit %d: %s", code, stderr)
	}
	var res metacmd.UploadResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("--json %q: %v", stdout, err)
	}
	ids := w.meta.AudienceIDs(acct, "both lists")
	if len(ids) != 1 || res.AudienceID != ids[0] || res.Rows != 1200 || strings.Join(res.Schema, ",") != "EMAIL,PHONE,MADID" {
		t.Fatalf("Meta audiences %v, result %+v", ids, res)
	}
	// Meta's rules: the "+tag" stays, the phone is digits with its country
	// code, the IDFA lowercased and in clear; each once.
	for i := range emails {
		if n := w.meta.Received("EMAIL", sha(strings.ToLower(emails[i]))); n != 1 {
			t.Fatalf("e-mail %d received %d times", i, n)
		}
		if n := w.meta.Received("PHONE", sha(fmt.Sprintf("1650555%04d", i))); n != 1 {
			t.Fatalf("phone %d received %d times", i, n)
		}
		if n := w.meta.Received("MADID", strings.ToLower(idfas[i])); n != 1 {
			t.Fatalf("IDFA %d received %d times", i, n)
		}
	}
	if sz := w.meta.Size(ids[0]); sz != 1200 {
		t.Errorf("Meta audience of %d people, want 1200", sz)
	}

	// The same command again sends nothing new.
	before := w.meta.Stats()
	if code, _, stderr := w.run(t, "", "upload", "--destination", "meta", "--manifest", out, "--audience", "both lists", "--ad-account", acct); code != 0 {
		t.Fatalf("repeat: exit %d: %s", code, stderr)
	}
	if after := w.meta.Stats(); after.Requests != before.Requests {
		t.Errorf("the repeated upload made %d requests", after.Requests-before.Requests)
	}

	// run: transform for Meta alone, then upload; again resumes (nothing new).
	runOut := filepath.Join(t.TempDir(), "meta-only")
	args := []string{"run", "--destination", "meta", "--ad-account", acct, "--input", in, "--map", "email=email", "--map", "phone=phone",
		"--out", runOut, "--audience", "from run"}
	if code, stdout, stderr := w.run(t, "", args...); code != 0 || !strings.Contains(stdout, "Sent 1200 rows to Meta") {
		t.Fatalf("run: exit %d: %s %s", code, stdout, stderr)
	}
	if csv, _ := filepath.Glob(filepath.Join(runOut, "*.csv")); len(csv) != 0 {
		t.Errorf("run --destination meta wrote TikTok files %v", csv)
	}
	if code, _, stderr := w.run(t, "", args...); code != 0 || len(w.meta.AudienceIDs(acct, "from run")) != 1 {
		t.Fatalf("run again: exit %d %s", code, stderr)
	}

	code, stdout, _ = w.run(t, "", "status", "--destination", "meta", "--ad-account", acct, "--audience-id", ids[0])
	if code != 0 || !strings.Contains(stdout, "both lists") || !strings.Contains(stdout, ": ready, 1200 people; ready for use") {
		t.Fatalf("status: %d %q", code, stdout)
	}
	code, stdout, _ = w.run(t, "", "audiences", "--destination", "meta", "--ad-account", acct, "--json")
	var list []cli.Audience
	if err := json.Unmarshal([]byte(stdout), &list); code != 0 || err != nil || len(list) != 2 {
		t.Fatalf("audiences: %d %q %v", code, stdout, err)
	}
	for _, a := range list {
		if a.Platform != "meta" || a.SizeLower <= 0 || a.SizeUpper < a.SizeLower || a.Status == "" {
			t.Errorf("audience %+v", a)
		}
	}
	code, stdout, _ = w.run(t, "", "audiences", "--destination", "meta", "--ad-account", acct)
	if code != 0 || !strings.Contains(stdout, "from run") || !strings.Contains(stdout, "2 audience(s)") {
		t.Fatalf("audiences table: %q", stdout)
	}

	// Privacy: no raw e-mail or phone anywhere, no token outside the
	// request headers it authenticates.
	requests := w.metaTap.String()
	var files strings.Builder
	for _, dir := range []string{w.cfg, w.data, out, runOut} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				files.Write(b)
			}
			return nil
		})
	}
	for _, r := range append(emails, phones...) {
		for where, text := range map[string]string{"Meta requests": requests, "TikTok requests": w.tiktokTap.String(), "output": w.out.String() + w.err.String(), "files": files.String()} {
			if strings.Contains(text, r) || strings.Contains(text, strings.ToLower(r)) {
				t.Fatalf("raw value %q in %s", r, where)
			}
		}
	}
	for _, tok := range []string{w.meta.Token(), w.tiktok.Token()} {
		if strings.Contains(w.out.String()+w.err.String()+files.String(), tok) {
			t.Fatalf("a token is in the output or the files")
		}
	}
	if strings.Contains(requests, "access_token="+w.meta.Token()) {
		t.Errorf("the Meta token went in a URL")
	}
}

func TestMetaUsageErrors(t *testing.T) {
	w := newWorld(t)
	acct := w.meta.AdAccount()
	tkOnly := filepath.Join(t.TempDir(), "tk")
	in, _, _, _ := customers(t, 3)
	if code, _, stderr := w.run(t, "", "transform", "--input", in, "--map", "email=email", "--out", tkOnly); code != 0 {
		t.Fatal(stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"upload", "--destination", "snap", "--manifest", tkOnly, "--audience", "x"}, 2, `--destination "snap"`},
		{[]string{"upload", "--destination", "meta", "--manifest", tkOnly, "--audience", "x", "--advertiser-id", "1"}, 2, "--advertiser-id is TikTok's"},
		{[]string{"upload", "--manifest", tkOnly, "--audience", "x", "--ad-account", acct}, 2, "--ad-account is Meta's"},
		{[]string{"upload", "--destination", "meta", "--manifest", tkOnly, "--audience", "x", "--ad-account", acct, "--wait"}, 2, "--wait"},
		{[]string{"upload", "--destination", "meta", "--manifest", tkOnly, "--audience", "x"}, 2, "no Meta ad account"},
		{[]string{"upload", "--destination", "meta", "--manifest", tkOnly, "--audience", "x", "--ad-account", acct}, 1, "--destination meta"},
		{[]string{"upload", "--destination", "meta", "--manifest", tkOnly, "--audience", "x", "--ad-account", acct, "--qps", "0"}, 2, "--qps must be positive"},
		{[]string{"audiences", "--destination", "meta", "--ad-account", acct, "--qps", "-2"}, 2, "--qps must be positive"},
		{[]string{"meta", "set-token"}, 2, "--ad-account is required"},
		{[]string{"meta", "set-token", "--ad-account", "12345"}, 2, "act_"},
	} {
		code, _, stderr := w.run(t, "tok\n", c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %q, want %d saying %q", c.args, code, stderr, c.code, c.want)
		}
	}
	// A token Meta rejects is a failure whose message does not repeat it.
	t.Setenv("META_ACCESS_TOKEN", "meta-R3V0K3D-tok")
	code, _, stderr := w.run(t, "", "audiences", "--destination", "meta", "--ad-account", acct)
	if code != 1 || strings.Contains(stderr, "meta-R3V0K3D-tok") {
		t.Fatalf("bad token: exit %d, %q", code, stderr)
	}
}

// Open gives the Meta client the ceiling of requests per second it is
// asked for (--qps), or meta.DefaultQPS.
func TestOpenSetsTheRequestCeiling(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ asked, want float64 }{{0, meta.DefaultQPS}, {2.5, 2.5}} {
		s, err := metacmd.Open(metacmd.Flags{AdAccount: w.meta.AdAccount(), QPS: c.asked}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := s.Dest.Client.QPS()
		s.Close()
		if got != c.want {
			t.Fatalf("--qps %v: the client's ceiling is %v, want %v", c.asked, got, c.want)
		}
	}
}

// meta set-token keeps the token in the keychain, for its account; the
// commands then find it there.
func TestMetaSetTokenKeychain(t *testing.T) {
	keyring.MockInit()
	w := newWorld(t)
	t.Setenv("META_ACCESS_TOKEN", "")
	acct := w.meta.AdAccount()
	code, out, stderr := w.run(t, w.meta.Token()+"\n", "meta", "set-token", "--ad-account", acct)
	if code != 0 || strings.Contains(out+stderr, w.meta.Token()) || !strings.Contains(out, acct) {
		t.Fatalf("set-token: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := w.run(t, "", "audiences", "--destination", "meta", "--ad-account", acct, "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("audiences with the keychain's token: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := w.run(t, "", "audiences", "--destination", "meta", "--ad-account", "act_999"); code != 1 || !strings.Contains(stderr, "meta set-token --ad-account act_999") {
		t.Fatalf("no token for another account: %d %q", code, stderr)
	}
	if code, _, _ := w.run(t, "  \n", "meta", "set-token", "--ad-account", acct); code != 2 {
		t.Fatalf("an empty token was accepted")
	}
}

// TestMetaKillAndResume runs `upload --destination meta` as a subprocess,
// kills it with SIGKILL at random points (the stand-in also drops some
// answers after applying them), resumes it, and checks one audience got
// every row exactly once and no batch went twice into a session.
func TestMetaKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns the CLI repeatedly")
	}
	w := newWorld(t)
	s := metastandin.New(metastandin.Options{FreshAudienceMisses: -1, Faults: metastandin.Faults{DropRate: 0.05}, Seed: 5})
	base := startMeta(t, s, nil, 25*time.Millisecond)
	in, emails, _, _ := customers(t, 2000)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := w.run(t, "", "transform", "--input", in, "--map", "email=email", "--map", "phone=phone", "--out", out, "--destination", "meta"); code != 0 {
		t.Fatal(stderr)
	}
	journal := filepath.Join(t.TempDir(), "meta-upload.db")
	args, _ := json.Marshal([]string{"upload", "--destination", "meta", "--manifest", out, "--audience", "killed", "--ad-account", s.AdAccount(),
		"--state", journal, "--meta-batch-rows", "40", "--qps", "40", "--json"})
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 1))
	t.Logf("kill schedule seed %d", seed)
	start := func() (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "AU_TEST_MAIN=1", "AU_TEST_ARGS="+string(args), "META_API_BASE_URL="+base, "META_ACCESS_TOKEN="+s.Token())
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &o, &e
	}
	kills, atKills := 0, []int64{}
	for finished := false; !finished && kills < 30; {
		cmd, _, errb := start()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Logf("a run ended with %v: %s", err, errb) // a dropped answer can end a run: the next resumes
			} else {
				finished = true
			}
		case <-time.After(time.Duration(50+rnd.IntN(300+150*kills)) * time.Millisecond): // early kills first, then later ones
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
			atKills = append(atKills, s.Stats().Requests)
		}
	}
	var res metacmd.UploadResult
	for attempt := 0; ; attempt++ {
		cmd, o, errb := start()
		err := cmd.Wait()
		if err == nil {
			if jerr := json.Unmarshal(o.Bytes(), &res); jerr != nil {
				t.Fatalf("final output %q: %v", o, jerr)
			}
			break
		}
		if attempt == 5 {
			t.Fatalf("final run: %v: %s", err, errb)
		}
	}
	if kills == 0 {
		t.Fatal("no run was killed")
	}
	ids := s.AudienceIDs(s.AdAccount(), "killed")
	if len(ids) != 1 || ids[0] != res.AudienceID || res.Rows != 2000 {
		t.Fatalf("%d audiences after %d kills (%v), result %+v", len(ids), kills, ids, res)
	}
	for i, e := range emails {
		if n := s.Received("EMAIL", sha(strings.ToLower(e))); n != 1 {
			t.Fatalf("row %d received %d times", i, n)
		}
	}
	st := s.Stats()
	if st.RepeatedBatches != 0 || s.Size(ids[0]) != 2000 {
		t.Fatalf("stats %+v, size %d", st, s.Size(ids[0]))
	}
	t.Logf("kills %d (after request %v), requests %d, dropped answers %d for 50 batches", kills, atKills, st.Requests, st.Dropped)
}

// Until a person accepts the Custom Audience Terms for the account, an
// upload fails saying where to accept them; afterwards the same command
// goes through, into one audience.
func TestMetaTermsNotAccepted(t *testing.T) {
	w := newWorld(t)
	s := metastandin.New(metastandin.Options{FreshAudienceMisses: -1, TermsNotAccepted: []string{"100000000000001"}})
	t.Setenv("META_API_BASE_URL", startMeta(t, s, nil, 0))
	in, _, _, _ := customers(t, 20)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := w.run(t, "", "transform", "--input", in, "--map", "email=email", "--out", out, "--destination", "meta"); code != 0 {
		t.Fatal(stderr)
	}
	args := []string{"upload", "--destination", "meta", "--manifest", out, "--audience", "terms", "--ad-account", s.AdAccount()}
	code, _, stderr := w.run(t, "", args...)
	if code != 1 || !strings.Contains(stderr, "https://business.facebook.com/ads/manage/customaudiences/tos/") {
		t.Fatalf("terms not accepted: exit %d %q", code, stderr)
	}
	s.AcceptTerms(s.AdAccount())
	if code, _, stderr := w.run(t, "", args...); code != 0 {
		t.Fatalf("after accepting: exit %d %q", code, stderr)
	}
	if ids := s.AudienceIDs(s.AdAccount(), "terms"); len(ids) != 1 || s.Size(ids[0]) != 20 {
		t.Fatalf("audiences %v", ids)
	}
}

// preview and transform with Meta say what Meta's rules make of the list.
func TestPreviewAndTransformForMeta(t *testing.T) {
	w := newWorld(t)
	in, _, _, _ := customers(t, 5)
	code, out, stderr := w.run(t, "", "preview", "--input", in, "--map", "email=email", "--map", "idfa=idfa", "--destination", "tiktok,meta", "--rows", "2")
	if code != 0 || !strings.Contains(out, "meta EMAIL") || !strings.Contains(out, "person.0+list@example.com") ||
		!strings.Contains(out, "person.0@example.com") || !strings.Contains(out, "00000001-aaaa-4bbb-8ccc-000000000000") {
		t.Fatalf("preview: %d %s %s", code, out, stderr)
	}
	code, out, stderr = w.run(t, "", "transform", "--input", in, "--map", "email=email", "--out", filepath.Join(t.TempDir(), "o"), "--destination", "meta")
	if code != 0 || !strings.Contains(out, "Wrote 5 rows for Meta (schema EMAIL)") || !strings.Contains(out, "META KEY") || strings.Contains(out, "file(s)") {
		t.Fatalf("transform: %d %s %s", code, out, stderr)
	}
}
