// Command metastandin serves the Meta stand-in (backend/meta/standin) for
// the GUI's Meta e2e run (e2e/meta.mjs) on a free loopback port, plus what
// the script needs to prove exactly-once delivery and to play the person
// in Business Manager:
//
//	GET  /e2e/audiences?name=N   the live audiences named N: id, size, members
//	POST /e2e/received           [{"key","value"}...] -> times each cell was accepted
//	POST /e2e/accept-terms       accepts the Custom Audience Terms for the ad account
//	POST /e2e/add-audience?name=N makes an audience as Ads Manager would
//	GET  /e2e/stats              the stand-in's counters
//
// The first line printed is the META_API_BASE_URL. The token is the
// stand-in's default ("standin-meta-token"), or $META_STANDIN_TOKEN.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/audience-uploader/audience-uploader/backend/standinserve"
	"net/http"
	"os"

	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
)

func main() {
	noTerms := flag.Bool("terms-not-accepted", false, "start with the Custom Audience Terms not accepted")
	account := flag.String("ad-account", "100000000000001", "the ad account (digits)")
	delay := flag.Duration("delay", 0, "how long approximate counts lag a change")
	flag.Parse()
	opts := standin.Options{Token: os.Getenv("META_STANDIN_TOKEN"), AdAccounts: []string{*account}, ProcessingDelay: *delay}
	if *noTerms {
		opts.TermsNotAccepted = []string{*account}
	}
	s := standin.New(opts)
	mux := http.NewServeMux()
	mux.Handle("/", s)
	js := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /e2e/audiences", func(w http.ResponseWriter, r *http.Request) {
		type aud struct {
			ID      string     `json:"id"`
			Size    int        `json:"size"`
			Members [][]string `json:"members"`
		}
		out := []aud{}
		for _, id := range s.AudienceIDs(s.AdAccount(), r.URL.Query().Get("name")) {
			out = append(out, aud{ID: id, Size: s.Size(id), Members: s.Members(id)})
		}
		js(w, out)
	})
	mux.HandleFunc("POST /e2e/received", func(w http.ResponseWriter, r *http.Request) {
		var cells []struct{ Key, Value string }
		if err := json.NewDecoder(r.Body).Decode(&cells); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := make([]int, len(cells))
		for i, c := range cells {
			out[i] = s.Received(c.Key, c.Value)
		}
		js(w, out)
	})
	mux.HandleFunc("POST /e2e/accept-terms", func(w http.ResponseWriter, r *http.Request) {
		s.AcceptTerms(s.AdAccount())
		js(w, map[string]bool{"accepted": true})
	})
	mux.HandleFunc("POST /e2e/add-audience", func(w http.ResponseWriter, r *http.Request) {
		js(w, map[string]string{"id": s.AddAudience(s.AdAccount(), r.URL.Query().Get("name"))})
	})
	mux.HandleFunc("GET /e2e/stats", func(w http.ResponseWriter, r *http.Request) { js(w, s.Stats()) })
	err := standinserve.Run("127.0.0.1:0", mux, func(url string) {
		fmt.Println(url + "/v25.0/")
		fmt.Fprintf(os.Stderr, "Meta stand-in: ad account %s\n", s.AdAccount())
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "metastandin:", err)
		os.Exit(1)
	}
}
