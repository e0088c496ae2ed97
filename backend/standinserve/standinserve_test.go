package standinserve

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeUntilCancelled: the handler answers on the returned URL, the
// server stops with nil when the context ends, and the port is released.
func TestServeUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, done, err := Serve(ctx, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.URL.Path)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("url %q", url)
	}
	resp, err := http.Get(url + "/there")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello /there" {
		t.Errorf("answered %q", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("stopped with %v, want nil", err)
	}
	http.DefaultClient.CloseIdleConnections()
	if _, err := http.Get(url + "/again"); err == nil {
		t.Error("still answering after the context ended")
	}
}

// TestServeNamesTheAddressItCannotListenOn.
func TestServeNamesTheAddressItCannotListenOn(t *testing.T) {
	_, _, err := Serve(context.Background(), "127.0.0.1:99999", http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "listening on 127.0.0.1:99999") {
		t.Fatalf("err %v", err)
	}
}
