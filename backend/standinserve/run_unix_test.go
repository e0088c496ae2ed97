//go:build unix

package standinserve

import (
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestRunUntilSignal: a stand-in command's Run hands its URL over once it
// listens, answers there, and returns nil when the process gets SIGTERM.
func TestRunUntilSignal(t *testing.T) {
	urls := make(chan string, 1)
	ended := make(chan error, 1)
	go func() {
		ended <- Run("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "up") }),
			func(url string) { urls <- url })
	}()
	url := <-urls
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "up" {
		t.Fatalf("answer %q", b)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("Run after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after SIGTERM")
	}
	if _, err := http.Get(url + "/"); err == nil {
		t.Fatal("still answering after SIGTERM")
	}
}
