// Command standin serves the TikTok stand-in for the GUI's upload e2e run
// (e2e/upload.mjs): the API under /open_api/ on a free loopback port, plus
// GET /e2e/audiences, what each audience received (hash -> times), so the
// script can prove exactly-once delivery into one audience. The first line
// printed is the base URL.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

func main() {
	delay := flag.Duration("delay", 3*time.Second, "time an audience stays calculating after a create or update")
	flag.Parse()
	s := standin.New(standin.Options{ProcessingDelay: *delay})
	mux := http.NewServeMux()
	mux.Handle("/open_api/", s)
	mux.HandleFunc("GET /e2e/audiences", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"audiences": s.Audiences(), "received": s.Received(), "stats": s.Stats()})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(1)
	}
	fmt.Printf("http://%s/open_api/\n", ln.Addr())
	fmt.Fprintf(os.Stderr, "stand-in: advertiser %s, token %s\n", s.Advertiser(), s.Token())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(1)
	}
}
