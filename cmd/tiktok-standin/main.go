// Command tiktok-standin serves the TikTok API stand-in (backend/tiktok/standin)
// on a loopback port, for `make demo`, end-to-end runs and manual testing.
// Its token comes from $TIKTOK_STANDIN_TOKEN or --token-file, never argv.
package main

import (
	"flag"
	"fmt"
	"github.com/audience-uploader/audience-uploader/backend/standinserve"
	"os"
	"strings"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/cmd/internal/standinargs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tiktok-standin:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1", "address to listen on (loopback only)")
	port := flag.Int("port", 0, "port to listen on (0 = a free port)")
	tokenFile := flag.String("token-file", "", "file holding the accepted Access-Token (\"-\": standard input's first line); else $TIKTOK_STANDIN_TOKEN, else \"standin-token\"")
	scopelessFile := flag.String("scopeless-token-file", "", "file holding a token without the Audience Management scope (answers 40001); else $TIKTOK_STANDIN_SCOPELESS_TOKEN")
	var refused standinargs.Refused
	refused.Add(flag.CommandLine, "token", "set TIKTOK_STANDIN_TOKEN or use --token-file")
	refused.Add(flag.CommandLine, "scopeless-token", "set TIKTOK_STANDIN_SCOPELESS_TOKEN or use --scopeless-token-file")
	advertisers := flag.String("advertiser", "7000000000000000001", "advertiser ids, comma-separated")
	delay := flag.Duration("delay", 5*time.Second, "time an audience stays calculating after a create or update")
	qps := flag.Float64("qps", 0, "requests per second before answering 40100 (0 = unlimited)")
	sysRate := flag.Float64("fault-system", 0, "rate of 5xxxx system error envelopes")
	httpRate := flag.Float64("fault-http", 0, "rate of HTTP 502/503 responses")
	dropRate := flag.Float64("fault-drop", 0, "rate of dropped connections after processing")
	slowRate := flag.Float64("fault-slow", 0, "rate of slow responses")
	slowDelay := flag.Duration("slow-delay", 2*time.Second, "delay of a slow response")
	match := flag.Float64("match-rate", 0.7, "cover_num as a share of users")
	ttl := flag.Duration("file-path-ttl", 0, "how long an uploaded file_path stays usable (0 = forever)")
	noRecord := flag.Bool("no-record", false, "keep counts only, not hashes")
	rejectChunked := flag.Bool("reject-chunked", false, "answer HTTP 411 to request bodies without a Content-Length, as some gateways do")
	readRate := flag.Int64("upload-read-rate", 0, "read upload bodies at this many bytes a second, a slow link (0 = full speed)")
	stalls := flag.Int("stall-uploads", 0, "number of upload attempts that stop reading (after --stall-after bytes) and never answer")
	stallAfter := flag.Int64("stall-after", 0, "bytes of a stalled upload's body read before it stops")
	stallFor := flag.Duration("stall-for", time.Minute, "how long a stalled upload holds its connection at most")
	flag.Parse()
	if err := refused.Err(); err != nil {
		return err
	}
	if err := standinargs.CheckLoopback(*addr); err != nil {
		return fmt.Errorf("--addr %w", err)
	}
	token, err := standinargs.Secret("TIKTOK_STANDIN_TOKEN", *tokenFile, "standin-token")
	if err != nil {
		return err
	}
	scopeless, err := standinargs.Secret("TIKTOK_STANDIN_SCOPELESS_TOKEN", *scopelessFile, "")
	if err != nil {
		return err
	}

	s := standin.New(standin.Options{
		Token: token, ScopelessToken: scopeless, Advertisers: strings.Split(*advertisers, ","),
		ProcessingDelay: *delay, QPS: *qps, MatchRate: *match, FilePathTTL: *ttl, NoRecord: *noRecord,
		RejectChunked: *rejectChunked, UploadReadRate: *readRate, StallUploads: *stalls, StallAfterBytes: *stallAfter, StallFor: *stallFor,
		Faults: standin.Faults{SystemErrorRate: *sysRate, HTTPErrorRate: *httpRate, DropRate: *dropRate, SlowRate: *slowRate, SlowDelay: *slowDelay},
	})
	return standinserve.Run(fmt.Sprintf("%s:%d", *addr, *port), s, func(url string) {
		// The first line is the base URL, for scripts: TIKTOK_API_BASE_URL=$(head -1).
		base := url + "/open_api/"
		fmt.Println(base)
		fmt.Fprintf(os.Stderr, "TikTok stand-in on %s (advertiser %s)\n", base, s.Advertiser())
	})
}
