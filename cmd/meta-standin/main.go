// Command meta-standin serves the Meta Graph API stand-in
// (backend/meta/standin) on a loopback port, for end-to-end runs and manual
// testing. Its token comes from $META_STANDIN_TOKEN or --token-file, never
// argv. The first line it prints is the META_API_BASE_URL to use.
package main

import (
	"flag"
	"fmt"
	"github.com/audience-uploader/audience-uploader/backend/standinserve"
	"os"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/cmd/internal/standinargs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "meta-standin:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1", "address to listen on (loopback only)")
	port := flag.Int("port", 0, "port to listen on (0 = a free port)")
	tokenFile := flag.String("token-file", "", "file holding the accepted token (\"-\": standard input's first line); else $META_STANDIN_TOKEN, else \"standin-meta-token\"")
	readOnlyFile := flag.String("read-only-token-file", "", "file holding a token with ads_read only (writes answer 294); else $META_STANDIN_READ_ONLY_TOKEN")
	var refused standinargs.Refused
	refused.Add(flag.CommandLine, "token", "set META_STANDIN_TOKEN or use --token-file")
	accounts := flag.String("ad-account", "100000000000001", "ad account ids (digits), comma-separated")
	noTerms := flag.String("terms-not-accepted", "", "ad accounts whose Custom Audience Terms are not accepted, comma-separated")
	perHour := flag.Int("calls-per-hour", 0, "custom_audience calls per ad account and rolling hour (0 = Standard access: 5000 + 40 x audiences)")
	delay := flag.Duration("delay", 0, "how long approximate counts lag a change")
	misses := flag.Int("fresh-misses", 1, "users calls a new audience answers #803 to (-1: none)")
	transient := flag.Float64("fault-transient", 0, "rate of transient code 2 answers (not applied)")
	drop := flag.Float64("fault-drop", 0, "rate of answers dropped after applying")
	gateway := flag.Float64("fault-gateway", 0, "rate of HTML 502 answers (not applied)")
	flag.Parse()
	if err := refused.Err(); err != nil {
		return err
	}
	if err := standinargs.CheckLoopback(*addr); err != nil {
		return fmt.Errorf("--addr %w", err)
	}
	token, err := standinargs.Secret("META_STANDIN_TOKEN", *tokenFile, "standin-meta-token")
	if err != nil {
		return err
	}
	readOnly, err := standinargs.Secret("META_STANDIN_READ_ONLY_TOKEN", *readOnlyFile, "")
	if err != nil {
		return err
	}
	var notAccepted []string
	if *noTerms != "" {
		notAccepted = strings.Split(*noTerms, ",")
	}
	s := standin.New(standin.Options{Token: token, ReadOnlyToken: readOnly, AdAccounts: strings.Split(*accounts, ","),
		TermsNotAccepted: notAccepted, CallsPerHour: *perHour, ProcessingDelay: *delay, FreshAudienceMisses: *misses,
		Faults: standin.Faults{TransientRate: *transient, DropRate: *drop, GatewayRate: *gateway}})
	return standinserve.Run(fmt.Sprintf("%s:%d", *addr, *port), s, func(base string) {
		fmt.Println(base + "/v25.0/")
		fmt.Fprintf(os.Stderr, "Meta stand-in on %s (ad account %s)\n", base, s.AdAccount())
	})
}
