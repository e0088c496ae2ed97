package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/audience-uploader/audience-uploader/cmd/internal/selfexec"
)

func TestMain(m *testing.M) { selfexec.Main(m, "tiktok-standin", main) }

// command runs the stand-in with args; its token "tok" comes from the
// environment, as secrets must (never argv).
func command(args string) *exec.Cmd {
	return selfexec.Command(args, "TIKTOK_STANDIN_TOKEN=tok")
}

func TestServesUntilSignalled(t *testing.T) {
	cmd := command("--advertiser 42 --qps 100")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	base = strings.TrimSpace(base)
	req, _ := http.NewRequest(http.MethodGet, base+"v1.3/dmp/custom_audience/list/?advertiser_id=42", nil)
	req.Header.Set("Access-Token", "tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"code":0`) || !strings.Contains(string(b), `"total_number":0`) {
		t.Errorf("list answered %s", b)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"10.0.0.1", "0.0.0.0", "::", "example.com"} {
		out, err := command("--addr " + addr).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "not a loopback address") {
			t.Errorf("--addr %s: err %v, output %s", addr, err, out)
		}
	}
}

// TestRefusesTokensOnCommandLine: a token in argv is readable by every user
// (ps): the flags that took one now stop with where it goes instead, and
// the token never reaches the output.
func TestRefusesTokensOnCommandLine(t *testing.T) {
	for _, flag := range []string{"--token", "--scopeless-token"} {
		out, err := command(flag + " Argv-Secret-Tok --port 99999").CombinedOutput() // fails fast, were the flag accepted
		if err == nil || !strings.Contains(string(out), "visible to every user") || strings.Contains(string(out), "Argv-Secret-Tok") {
			t.Errorf("%s: err %v, output %s", flag, err, out)
		}
	}
}

// TestTokenFromFile: --token-file's token is the one the stand-in accepts.
func TestTokenFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("file-tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := command("--advertiser 42 --token-file " + file)
	base := selfexec.Start(t, cmd)
	for token, want := range map[string]string{"file-tok": `"code":0`, "tok": `"code":40105`} {
		req, _ := http.NewRequest(http.MethodGet, base+"v1.3/dmp/custom_audience/list/?advertiser_id=42", nil)
		req.Header.Set("Access-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("token %s: %s, want %s", token, b, want)
		}
	}
}

// TestRejectChunkedFlag: --reject-chunked answers 411 to a body without a
// Content-Length and the usual envelope to one with it.
func TestRejectChunkedFlag(t *testing.T) {
	cmd := command("--advertiser 42 --reject-chunked")
	base := selfexec.Start(t, cmd)
	url := base + "v1.3/dmp/custom_audience/delete/"
	body := `{"advertiser_id":"42","custom_audience_ids":["1"]}`
	for _, tc := range []struct {
		name   string
		body   io.Reader // a bare io.Reader has no known length: sent chunked
		status int
	}{
		{"chunked", io.MultiReader(strings.NewReader(body)), http.StatusLengthRequired},
		{"with length", strings.NewReader(body), http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodPost, url, tc.body)
		req.Header.Set("Access-Token", "tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: HTTP %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
}
