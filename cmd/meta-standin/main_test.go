package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/cmd/internal/selfexec"
)

func TestMain(m *testing.M) { selfexec.Main(m, "meta-standin", main) }

func command(args string) *exec.Cmd {
	return selfexec.Command(args, "META_STANDIN_TOKEN=tok")
}

func get(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestServesTermsState: the printed first line is the versioned base URL;
// --terms-not-accepted leaves that account without tos_accepted.
func TestServesTermsState(t *testing.T) {
	base := selfexec.Start(t, command("--ad-account 11,22 --terms-not-accepted 22"))
	if !strings.HasSuffix(base, "/v25.0/") {
		t.Fatalf("base %q", base)
	}
	if b := get(t, base+"act_11?fields=tos_accepted", "tok"); !strings.Contains(b, `"custom_audience_tos":1`) {
		t.Errorf("act_11: %s", b)
	}
	if b := get(t, base+"act_22?fields=tos_accepted", "tok"); strings.Contains(b, "tos_accepted") {
		t.Errorf("act_22: %s", b)
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

// TestTokenNotOnCommandLine: --token is refused without echoing it;
// --token-file's token is the accepted one.
func TestTokenNotOnCommandLine(t *testing.T) {
	out, err := command("--token Argv-Secret-Tok --port 99999").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "visible to every user") || strings.Contains(string(out), "Argv-Secret-Tok") {
		t.Errorf("--token: err %v, output %s", err, out)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("file-tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := selfexec.Start(t, command("--token-file "+file))
	if b := get(t, base+"act_100000000000001", "file-tok"); !strings.Contains(b, `"id":"act_100000000000001"`) {
		t.Errorf("file token: %s", b)
	}
	if b := get(t, base+"act_100000000000001", "tok"); !strings.Contains(b, `"code":190`) {
		t.Errorf("env token after --token-file: %s", b)
	}
}
