// Command cleanrooms-standin serves the AWS Clean Rooms stand-in
// (backend/cleanrooms/standin) on a loopback port, for `make demo`,
// end-to-end runs and manual testing. Its memberships and queries come from
// a JSON catalog (standin.Options); the results they point to live in an S3
// server such as versitygw. It holds no secret: it checks that requests
// carry a SigV4 Authorization header (and, with --access-key, whose key).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/audience-uploader/audience-uploader/backend/standinserve"
	"os"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms/standin"
	"github.com/audience-uploader/audience-uploader/cmd/internal/standinargs"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cleanrooms-standin:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("cleanrooms-standin", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "host:port to listen on (loopback only; port 0 = a free port)")
	catalog := fs.String("catalog", "", "JSON file of memberships and queries (the fields of standin.Options)")
	accessKey := fs.String("access-key", "", "the only AWS access key id accepted (default: any)")
	deny := fs.String("deny", "", "IAM actions to answer AccessDeniedException, comma-separated (e.g. cleanrooms:GetProtectedQuery)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := standinargs.CheckListenAddr(*addr); err != nil {
		return fmt.Errorf("--addr %w", err)
	}
	if *catalog == "" {
		return fmt.Errorf("--catalog is required: a JSON file with \"memberships\" and \"queries\"")
	}
	data, err := os.ReadFile(*catalog)
	if err != nil {
		return fmt.Errorf("reading the catalog: %w", err)
	}
	var opts standin.Options
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil {
		return fmt.Errorf("reading the catalog %s: %w", *catalog, err)
	}
	if *accessKey != "" {
		opts.AccessKeyID = *accessKey
	}
	s := standin.New(opts)
	for _, a := range strings.Split(*deny, ",") {
		if a = strings.TrimSpace(a); a != "" {
			s.Deny(a)
		}
	}
	return standinserve.Run(*addr, s, func(base string) {
		// The first line is the base URL, for scripts: AWS_ENDPOINT_URL_CLEANROOMS=$(head -1).
		fmt.Println(base)
		fmt.Fprintf(os.Stderr, "AWS Clean Rooms stand-in on %s (%d memberships, %d queries)\n", base, len(opts.Memberships), len(opts.Queries))
	})
}
