package tiktokcmd_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/zalando/go-keyring"

	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/cli/tiktokcmd"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

// The test binary doubles as the CLI: with AU_TEST_MAIN=1 it runs the
// commands with the JSON array in AU_TEST_ARGS and exits, so the kill test
// needs no separate build.
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

// execute mirrors cli.Execute with a root holding only these commands.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &cobra.Command{Use: "audience-uploader", SilenceUsage: true, SilenceErrors: true}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return cli.UsageError(err) })
	root.AddCommand(tiktokcmd.Commands(nil)...) // local inputs
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
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

// writeManifest writes files×rows EMAIL_SHA256 hashes and a manifest.
func writeManifest(t testing.TB, dir string, files, rows int) (string, []string) {
	t.Helper()
	var hashes []string
	var list []map[string]any
	for f := 0; f < files; f++ {
		var b strings.Builder
		for r := 0; r < rows; r++ {
			h := sha(fmt.Sprintf("k%d.%d@example.com", f, r))
			hashes = append(hashes, h)
			b.WriteString(h + "\n")
		}
		name := fmt.Sprintf("email-%05d.csv", f)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum([]byte(b.String()))
		list = append(list, map[string]any{"path": name, "calculate_type": "EMAIL_SHA256", "rows": rows, "bytes": b.Len(), "md5": hex.EncodeToString(sum[:])})
	}
	b, _ := json.Marshal(map[string]any{"version": 1, "created_at": time.Now().UTC(), "input": "x.csv", "layout": "separate", "files": list})
	p := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, hashes
}

func isolate(t *testing.T, base, token string) {
	t.Setenv("AUDIENCE_UPLOADER_CONFIG_DIR", t.TempDir())
	t.Setenv("AUDIENCE_UPLOADER_DATA_DIR", t.TempDir())
	t.Setenv("TIKTOK_API_BASE_URL", base)
	t.Setenv("TIKTOK_ACCESS_TOKEN", token)
}

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUploadAudiencesStatus(t *testing.T) {
	s := standin.New(standin.Options{})
	isolate(t, standintest.Start(t, s), s.Token())
	dir := t.TempDir()
	manifest, hashes := writeManifest(t, dir, 3, 400)
	adv := "--advertiser-id=" + s.Advertiser()

	code, out, stderr := run(t, "", "upload", "--manifest", dir, "--audience", "cli audience", adv, "--wait", "--json")
	if code != 0 {
		t.Fatalf("upload exit %d: %s", code, stderr)
	}
	var res struct {
		JobID     string `json:"job_id"`
		Audiences []struct {
			AudienceID string `json:"audience_id"`
		} `json:"audiences"`
		Status []struct {
			Ready        bool  `json:"ready"`
			MatchedUsers int64 `json:"matched_users"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if len(res.Audiences) != 1 || res.Audiences[0].AudienceID == "" || len(res.Status) != 1 || !res.Status[0].Ready || res.Status[0].MatchedUsers != 840 {
		t.Fatalf("result %s", out)
	}
	id := res.Audiences[0].AudienceID
	a := s.Audiences()
	if len(a) != 1 || a[0].ID != id || len(a[0].Delivered) != len(hashes) {
		t.Fatalf("stand-in audiences %+v", a)
	}

	code, out, _ = run(t, "", "audiences", adv)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "cli audience") {
		t.Fatalf("audiences: %d %s", code, out)
	}
	code, out, _ = run(t, "", "status", "--audience-id", id, adv)
	if code != 0 || !strings.Contains(out, "ready, 840 matched users; below TikTok's targeting minimum of 1000 matched users, match rate 70.0% of 1200 rows") {
		t.Fatalf("status: %d %q", code, out)
	}
	// Same command again: nothing new.
	before := s.Stats().Requests
	code, out, _ = run(t, "", "upload", "--manifest", manifest, "--audience", "cli audience", adv)
	if code != 0 || !strings.Contains(out, "already finished") || s.Stats().Requests != before {
		t.Fatalf("repeat: %d %q, %d requests", code, out, s.Stats().Requests-before)
	}
}

func TestUsageErrors(t *testing.T) {
	s := standin.New(standin.Options{})
	isolate(t, standintest.Start(t, s), s.Token())
	dir := t.TempDir()
	writeManifest(t, dir, 1, 5)
	tests := [][]string{
		{"upload", "--audience", "x"},
		{"upload", "--manifest", dir},
		{"upload", "--manifest", dir, "--audience", "x", "--audience-id", "1"},
		{"upload", "--manifest", dir, "--audience-id", "1", "--action", "merge"},
		{"upload", "--manifest", dir, "--audience", "x"}, // no advertiser anywhere
		{"status"},
		{"tiktok", "set-token"},
		{"upload", "--bogus"},
	}
	for _, args := range tests {
		if code, _, stderr := run(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
	// A token TikTok rejects is a failure (1) whose message names the fix.
	t.Setenv("TIKTOK_ACCESS_TOKEN", "tok-R3V0K3D-xyz")
	code, _, stderr := run(t, "", "audiences", "--advertiser-id", s.Advertiser())
	if code != 1 || !strings.Contains(stderr, "tiktok set-token") || strings.Contains(stderr, "tok-R3V0K3D-xyz") {
		t.Fatalf("bad token: exit %d, %q", code, stderr)
	}
}

func TestSetTokenKeychain(t *testing.T) {
	keyring.MockInit()
	s := standin.New(standin.Options{})
	isolate(t, standintest.Start(t, s), "")
	adv := s.Advertiser()
	code, out, stderr := run(t, s.Token()+"\n", "tiktok", "set-token", "--advertiser-id", adv)
	if code != 0 || strings.Contains(out+stderr, s.Token()) {
		t.Fatalf("set-token: %d %q %q", code, out, stderr)
	}
	// The token now comes from the keychain.
	if code, out, stderr := run(t, "", "audiences", "--advertiser-id", adv, "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("audiences with keychain token: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "", "audiences", "--advertiser-id", "999"); code != 1 || !strings.Contains(stderr, "set-token --advertiser-id 999") {
		t.Fatalf("missing token: %d %q", code, stderr)
	}
	if code, _, _ := run(t, "  \n", "tiktok", "set-token", "--advertiser-id", adv); code != 2 {
		t.Fatalf("empty token accepted")
	}
}

// TestRunTransformsThenUploads drives the whole pipeline from a raw CSV and
// checks no raw identifier reached TikTok.
func TestRunTransformsThenUploads(t *testing.T) {
	var tap bytes.Buffer
	s := standin.New(standin.Options{Tap: &tap})
	isolate(t, standintest.Start(t, s), s.Token())
	in := filepath.Join(t.TempDir(), "customers.csv")
	var b strings.Builder
	b.WriteString("email,phone\n")
	var raws []string
	for i := 0; i < 1500; i++ {
		e := fmt.Sprintf("Person.%d@Example.com", i)
		p := fmt.Sprintf("(613) 555-%04d", i)
		raws = append(raws, strings.ToLower(e), e, fmt.Sprintf("613555%04d", i))
		fmt.Fprintf(&b, "%s,%s\n", e, p)
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	// A folder beside --out named like the old staging folder is the
	// user's: no run may remove it (issue 9 item 16).
	if err := os.MkdirAll(out+".partial", 0o700); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(out+".partial", "notes.txt")
	os.WriteFile(keep, []byte("mine"), 0o600)
	failing := []string{"run", "--input", in, "--map", "nosuchcolumn=email", "--out", out, "--audience", "from csv", "--advertiser-id", s.Advertiser(), "--json"}
	if code, _, _ := run(t, "", failing...); code == 0 {
		t.Fatal("a run mapping a missing column succeeded")
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("a failed run removed %s: %v", keep, err)
	}
	args := []string{"run", "--input", in, "--map", "email=email", "--map", "phone=phone", "--out", out, "--audience", "from csv", "--advertiser-id", s.Advertiser(), "--json"}
	code, stdout, stderr := run(t, "", args...)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	a := s.Audiences()
	if len(a) != 1 || a[0].CalculateType != "MULTIPLE_TYPES" || a[0].Users != 1500 {
		t.Fatalf("audiences %+v", a)
	}
	if !strings.Contains(stdout, a[0].ID) {
		t.Fatalf("json lacks the audience id: %s", stdout)
	}
	if a[0].Delivered[sha("person.7@example.com")] != 1 || a[0].Delivered[sha("16135550007")] != 1 {
		t.Fatal("expected hashes not delivered")
	}
	for _, r := range raws {
		if strings.Contains(tap.String(), r) {
			t.Fatalf("raw identifier reached TikTok")
		}
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("the run removed %s: %v", keep, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 2 {
		t.Fatalf("beside --out: %v, want only out and out.partial (no staging left behind)", entries)
	}
	// Again: the transform is skipped and nothing is uploaded twice.
	before := s.Stats().Uploads
	if code, _, stderr := run(t, "", args...); code != 0 || s.Stats().Uploads != before || len(s.Audiences()) != 1 {
		t.Fatalf("second run: exit %d %s", code, stderr)
	}
}

// TestKillAndResume runs the CLI as a subprocess, kills it with SIGKILL at
// random points, resumes it, and checks that every hash reached exactly one
// audience exactly once.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns the CLI repeatedly")
	}
	s := standin.New(standin.Options{QPS: 40, ResponseDelay: 150 * time.Millisecond, Faults: standin.Faults{DropRate: 0.03}, Seed: 3})
	base := standintest.Start(t, s)
	dir := t.TempDir()
	manifest, hashes := writeManifest(t, dir, 130, 20)
	state := filepath.Join(t.TempDir(), "state.db")
	cfgDir := t.TempDir()
	args, _ := json.Marshal([]string{"upload", "--manifest", manifest, "--audience", "killed", "--advertiser-id", s.Advertiser(), "--state", state, "--qps", "40", "--json"})
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 1))
	t.Logf("kill schedule seed %d", seed)

	// AU_CLI_BINARY (e.g. built with `go build -o $TMP/au .` from the repo
	// root) runs the real binary; by default the test binary plays the CLI.
	bin := os.Getenv("AU_CLI_BINARY")
	start := func() (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		if bin != "" {
			var a []string
			json.Unmarshal(args, &a)
			cmd = exec.Command(bin, a...)
		}
		cmd.Env = append(os.Environ(), "AU_TEST_MAIN=1", "AU_TEST_ARGS="+string(args),
			"TIKTOK_API_BASE_URL="+base, "TIKTOK_ACCESS_TOKEN="+s.Token(), "AUDIENCE_UPLOADER_CONFIG_DIR="+cfgDir)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out, &errb
	}
	// Kill until a run gets through by itself (at most 40 kills), so kill
	// points fall in every phase: uploads, create, appends.
	kills, afterCreate := 0, 0
	for finished := false; !finished && kills < 40; {
		cmd, _, errb := start()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		delay := time.Duration(50+rnd.IntN(900)) * time.Millisecond
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run ended early with %v: %s", err, errb)
			}
			finished = true
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
			if len(s.Audiences()) > 0 {
				afterCreate++
			}
		}
	}
	cmd, out, errb := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v: %s", err, errb)
	}
	var res struct {
		Audiences []struct {
			AudienceID string `json:"audience_id"`
		} `json:"audiences"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res.Audiences) != 1 {
		t.Fatalf("final output %q: %v", out, err)
	}
	auds := s.Audiences()
	if len(auds) != 1 || auds[0].ID != res.Audiences[0].AudienceID {
		t.Fatalf("%d audiences after kills, want 1: %+v", len(auds), auds)
	}
	for _, h := range hashes {
		if auds[0].Delivered[h] != 1 {
			t.Fatalf("hash delivered %d times", auds[0].Delivered[h])
		}
	}
	st := s.Stats()
	t.Logf("kills %d (%d after the audience existed), uploads %d for 130 files, requests %d, history %v", kills, afterCreate, st.Uploads, st.Requests, auds[0].History)
}
