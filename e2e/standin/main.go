// Command standin serves the TikTok stand-in for the GUI's upload e2e run
// (e2e/upload.mjs): the API under /open_api/ on a free loopback port, plus
// GET /e2e/audiences, what each audience received (hash -> times), so the
// script can prove exactly-once delivery into one audience. The first line
// printed is the base URL.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/audience-uploader/audience-uploader/backend/standinserve"
	"net/http"
	"os"
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
	err := standinserve.Run("127.0.0.1:0", mux, func(url string) {
		fmt.Println(url + "/open_api/")
		fmt.Fprintf(os.Stderr, "stand-in: advertiser %s, token %s\n", s.Advertiser(), s.Token())
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(1)
	}
}
