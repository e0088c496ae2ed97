package tiktokcmd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

// TestTwoProcessesOnOneJobMakeOneAudience (issue 9 item 8): two CLI
// processes run the same upload against the stand-in over HTTP, sharing one
// state database. While the first holds its create at the stand-in's door,
// the second is started: it must stop at once, naming the first process,
// instead of sending a second create. Exactly one audience results.
func TestTwoProcessesOnOneJobMakeOneAudience(t *testing.T) {
	s := standin.New(standin.Options{})
	arrived := make(chan struct{}, 8)
	release := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "custom_audience/create") {
			arrived <- struct{}{}
			<-release
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		once.Do(func() { close(release) })
		srv.Close()
	})
	base := srv.URL + "/open_api/"
	dir := t.TempDir()
	manifest, hashes := writeManifest(t, dir, 3, 400)
	state := filepath.Join(t.TempDir(), "state.db")
	args, _ := json.Marshal([]string{"upload", "--manifest", manifest, "--audience", "two", "--advertiser-id", s.Advertiser(), "--state", state, "--json"})
	cfgDir, dataDir := t.TempDir(), t.TempDir()
	start := func() (*exec.Cmd, *bytes.Buffer, chan error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		if bin := os.Getenv("AU_CLI_BINARY"); bin != "" {
			var a []string
			json.Unmarshal(args, &a)
			cmd = exec.Command(bin, a...)
		}
		cmd.Env = append(os.Environ(), "AU_TEST_MAIN=1", "AU_TEST_ARGS="+string(args), "TIKTOK_API_BASE_URL="+base,
			"TIKTOK_ACCESS_TOKEN="+s.Token(), "AUDIENCE_UPLOADER_CONFIG_DIR="+cfgDir, "AUDIENCE_UPLOADER_DATA_DIR="+dataDir)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, &errb, done
	}
	first, _, firstDone := start()
	<-arrived // the first process is inside its create
	_, secondErr, secondDone := start()
	select {
	case err := <-secondDone:
		if err == nil {
			t.Fatal("the second process finished the upload while the first held it")
		}
	case <-arrived:
		// The old behaviour: a second create is on its way.
		once.Do(func() { close(release) })
		<-firstDone
		<-secondDone
		t.Fatalf("the second process sent a create too; %d audiences", len(s.Audiences()))
	}
	once.Do(func() { close(release) })
	if err := <-firstDone; err != nil {
		t.Fatalf("first process: %v", err)
	}
	if msg := secondErr.String(); !strings.Contains(msg, fmt.Sprintf("pid %d", first.Process.Pid)) {
		t.Fatalf("the second process did not name the holder: %q", msg)
	}
	auds := s.Audiences()
	if len(auds) != 1 || len(auds[0].Delivered) != len(hashes) {
		t.Fatalf("%d audiences, want exactly one with every hash", len(auds))
	}
}
