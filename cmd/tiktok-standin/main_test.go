package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// The test binary plays the command when STANDIN_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("STANDIN_MAIN") == "1" {
		os.Args = append([]string{"tiktok-standin"}, strings.Fields(os.Getenv("STANDIN_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func command(args string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STANDIN_MAIN=1", "STANDIN_ARGS="+args)
	return cmd
}

func TestServesUntilSignalled(t *testing.T) {
	cmd := command("--token tok --advertiser 42 --qps 100")
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
	out, err := command("--addr 10.0.0.1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not a loopback address") {
		t.Fatalf("err %v, output %s", err, out)
	}
}

// TestRejectChunkedFlag: --reject-chunked answers 411 to a body without a
// Content-Length and the usual envelope to one with it.
func TestRejectChunkedFlag(t *testing.T) {
	cmd := command("--token tok --advertiser 42 --reject-chunked")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	base, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(base) + "v1.3/dmp/custom_audience/delete/"
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
