package cleanrooms

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/storage"
)

// Scheme starts an input naming a Clean Rooms result.
const Scheme = "cleanrooms://"

// Latest, in place of a query id, means the membership's newest successful query.
const Latest = "latest"

// IsURL reports whether s is a cleanrooms:// input.
func IsURL(s string) bool { return strings.HasPrefix(s, Scheme) }

// LikeParam, after latest, names the query whose analysis "latest" keeps
// to: cleanrooms://M/latest?like=QUERY_ID is the newest successful query
// of the analysis QUERY_ID ran (what Save as sync after a pick saves).
const LikeParam = "like"

// LatestLikeURL is the input that always reads the newest result of the
// analysis query queryID ran.
func LatestLikeURL(membershipID, queryID string) string {
	return Scheme + membershipID + "/" + Latest + "?" + LikeParam + "=" + url.QueryEscape(queryID)
}

// latestLike is the like=QUERY_ID of a latest address ("" when none).
func latestLike(u string) (string, error) {
	_, q, ok := strings.Cut(u, "?")
	if !ok {
		return "", nil
	}
	v, err := url.ParseQuery(q)
	if err != nil || len(v) != 1 || v.Get(LikeParam) == "" {
		return "", fmt.Errorf("%q: after latest only ?%s=QUERY_ID is understood (the newest result of the analysis that query ran)", u, LikeParam)
	}
	return v.Get(LikeParam), nil
}

// ParseURL splits cleanrooms://MEMBERSHIP_ID/QUERY_ID (or .../latest,
// .../latest?like=QUERY_ID: queryID is then "latest").
func ParseURL(u string) (membershipID, queryID string, err error) {
	rest, ok := strings.CutPrefix(u, Scheme)
	if !ok {
		return "", "", fmt.Errorf("%q is not a cleanrooms:// address", u)
	}
	rest, params, hasParams := strings.Cut(rest, "?")
	membershipID, queryID, _ = strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	if hasParams {
		if !strings.EqualFold(queryID, Latest) {
			return "", "", fmt.Errorf("%q: only latest takes ?%s=QUERY_ID", u, LikeParam)
		}
		if _, err := latestLike("?" + params); err != nil {
			return "", "", fmt.Errorf("%q: after latest only ?%s=QUERY_ID is understood (the newest result of the analysis that query ran)", u, LikeParam)
		}
	}
	if membershipID == "" || queryID == "" || strings.Contains(queryID, "/") {
		return "", "", fmt.Errorf("%q is not cleanrooms://MEMBERSHIP_ID/QUERY_ID or cleanrooms://MEMBERSHIP_ID/latest "+
			"(`audience-uploader cleanrooms ls` lists both ids)", u)
	}
	return membershipID, queryID, nil
}

// Result is a finished query and the S3 address its result is read from.
type Result struct {
	Query *Query
	URL   string // s3://bucket/prefix/ (or one object, for single-file output)
}

// Resolve finds the result a cleanrooms:// input names: the query must have
// succeeded, and its location must hold data.
func (c *Client) Resolve(ctx context.Context, url string) (*Result, error) {
	membershipID, queryID, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	var q *Query
	if strings.EqualFold(queryID, Latest) {
		var like string
		if like, err = latestLike(url); err != nil {
			return nil, err
		}
		if like != "" {
			q, err = c.LatestLike(ctx, membershipID, like)
		} else {
			q, err = c.Latest(ctx, membershipID)
		}
	} else {
		q, err = c.Query(ctx, membershipID, queryID)
	}
	if err != nil {
		return nil, err
	}
	if err := finished(q); err != nil {
		return nil, err
	}
	if q.Location == "" {
		return nil, &Error{Kind: KindNoLocation, msg: fmt.Sprintf("protected query %s succeeded but AWS Clean Rooms gives no S3 location "+
			"for its result: it may have been sent to another member only", q.ID)}
	}
	u, err := c.dataPrefix(ctx, q)
	if err != nil {
		return nil, err
	}
	return &Result{Query: q, URL: u}, nil
}

// finished says why a query that has not succeeded has no result to read.
func finished(q *Query) error {
	switch {
	case q.Status == "SUCCESS":
		return nil
	case q.Running():
		return &Error{Kind: KindRunning, msg: fmt.Sprintf("protected query %s is still running (status %s, started %s): "+
			"try again when it has finished; `audience-uploader cleanrooms ls --membership %s` shows its status",
			q.ID, q.Status, q.Created.Local().Format(time.DateTime), q.MembershipID)}
	case q.Status == "FAILED":
		msg := q.ErrorMessage
		if msg == "" {
			msg = "AWS gave no reason"
		}
		if q.ErrorCode != "" {
			msg += " (" + q.ErrorCode + ")"
		}
		return &Error{Kind: KindFailed, msg: fmt.Sprintf("protected query %s failed, so it has no result to read: %s", q.ID, msg)}
	case q.Status == "CANCELLED":
		return &Error{Kind: KindFailed, msg: fmt.Sprintf("protected query %s was cancelled, so it has no result to read: run it again in AWS Clean Rooms", q.ID)}
	case q.Status == "TIMED_OUT":
		return &Error{Kind: KindFailed, msg: fmt.Sprintf("protected query %s timed out, so it has no result to read: run it again in AWS Clean Rooms", q.ID)}
	}
	return &Error{Kind: KindFailed, msg: fmt.Sprintf("protected query %s has status %s and no result to read", q.ID, q.Status)}
}

// maxDescend bounds how many single sub-folders are followed below a result
// location: AWS does not document the layout under it, and Spark may write
// its parts one or two folders down.
const maxDescend = 3

// dataPrefix turns the query's location into the address its parts are read
// from: the prefix itself, a lone sub-folder chain below it, or (single-file
// output) one object.
func (c *Client) dataPrefix(ctx context.Context, q *Query) (string, error) {
	bucket, key, err := storage.ParseURL(q.Location)
	if err != nil {
		return "", fmt.Errorf("protected query %s: AWS Clean Rooms gave the result location %q: %w", q.ID, q.Location, err)
	}
	prefix := key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	for depth := 0; ; depth++ {
		p, err := c.s3.List(ctx, bucket, prefix, "", 1000)
		if err != nil {
			return "", c.s3Denied(q, "s3:ListBucket", "s3://"+bucket+"/"+prefix, err)
		}
		var folders []storage.Entry
		files := 0
		for _, e := range p.Entries {
			if e.Folder {
				folders = append(folders, e)
			} else {
				files++
			}
		}
		switch {
		case files > 0 || p.NextToken != "":
			return "s3://" + bucket + "/" + prefix, nil
		case len(folders) == 1 && depth < maxDescend:
			prefix = folders[0].Key
			continue
		case len(folders) == 0 && depth == 0 && key != "" && !strings.HasSuffix(key, "/"):
			// Single-file output: the location is the object itself.
			if _, err := c.s3.Stat(ctx, bucket, key); err == nil {
				return q.Location, nil
			}
		}
		if len(folders) > 1 {
			return "s3://" + bucket + "/" + prefix, nil // inputs says which folder to choose
		}
		return "", &Error{Kind: KindEmpty, msg: fmt.Sprintf("the result of protected query %s at %s is empty: nothing is stored there "+
			"(the files may have been moved, or removed by a lifecycle rule); run the query again", q.ID, q.Location)}
	}
}

// Source opens the result a cleanrooms:// input names as one list of parts.
// Before any work it reads the first part's metadata, so a role without
// s3:GetObject on the result is named now rather than mid-run.
func (c *Client) Source(ctx context.Context, url string) (inputs.Source, *Result, error) {
	res, err := c.Resolve(ctx, url)
	if err != nil {
		return inputs.Source{}, nil, err
	}
	src, err := c.s3.Source(ctx, res.URL)
	if err != nil {
		if strings.Contains(err.Error(), "holds no data files") {
			return inputs.Source{}, nil, &Error{Kind: KindEmpty, err: err, msg: fmt.Sprintf("the result of protected query %s is empty "+
				"(the query returned no rows): %v", res.Query.ID, err)}
		}
		return inputs.Source{}, nil, c.s3Denied(res.Query, "s3:ListBucket", res.URL, err)
	}
	first := src.Name
	if len(src.Parts) > 0 {
		first = src.Parts[0].Name
	}
	if bucket, key, perr := storage.ParseURL(first); perr == nil && key != "" && !strings.HasSuffix(key, "/") {
		if _, err := c.s3.Stat(ctx, bucket, key); err != nil {
			return inputs.Source{}, nil, c.s3Denied(res.Query, "s3:GetObject", first, err)
		}
	}
	if len(src.Parts) > 0 {
		// The run's manifest and history name the query read (latest
		// resolved to its id); each part keeps its s3:// name for errors.
		src.Name = Scheme + res.Query.MembershipID + "/" + res.Query.ID
	}
	src.Resolved, src.Pin = resolvedAs(url, res.Query)
	return src, res, nil
}

// IsBareLatest reports whether u is cleanrooms://M/latest without ?like=:
// the membership's newest successful query of any analysis, which a saved
// sync pins to one analysis (PinLatest) so another analysis run in the same
// collaboration never feeds its audience.
func IsBareLatest(u string) bool {
	_, q, err := ParseURL(u)
	return err == nil && strings.EqualFold(q, Latest) && !strings.Contains(u, "?")
}

// resolvedAs says what a latest address read (q), and for a bare latest
// the address that keeps to q's analysis from now on ("" when AWS does not
// say which analysis q ran).
func resolvedAs(u string, q *Query) (resolved, pin string) {
	_, id, err := ParseURL(u)
	switch {
	case err != nil || !strings.EqualFold(id, Latest):
		return "", ""
	case !IsBareLatest(u):
		like, _ := latestLike(u)
		return fmt.Sprintf("%s read protected query %s, the newest successful result of the analysis query %s ran (%s)", u, q.ID, like, analysisName(q.Analysis)), ""
	case q.Analysis == "":
		return fmt.Sprintf("%s read protected query %s, the membership's newest successful query; AWS Clean Rooms does not say which analysis it ran, "+
			"so each run reads the newest successful query of any analysis", u, q.ID), ""
	}
	pin = LatestLikeURL(q.MembershipID, q.ID)
	return fmt.Sprintf("%s read protected query %s, the membership's newest successful query (%s)", u, q.ID, analysisName(q.Analysis)), pin
}

// analysisName words Query.Analysis for a sentence.
func analysisName(a string) string {
	if arn, ok := strings.CutPrefix(a, "template "); ok {
		return "analysis template " + arn
	}
	if digest, ok := strings.CutPrefix(a, "sql "); ok {
		return "an SQL query, text digest " + digest
	}
	return "an analysis AWS Clean Rooms does not name"
}

// s3Denied names the S3 action a role lacks on a result, or passes other
// errors through.
func (c *Client) s3Denied(q *Query, action, url string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "AccessDenied" || api.ErrorCode() == "Forbidden") ||
		strings.Contains(err.Error(), "StatusCode: 403") {
		return &Error{Kind: KindDenied, Action: action, err: err, msg: fmt.Sprintf("reading the result of protected query %s: "+
			"AWS denied %s on %s to these credentials: the role needs s3:GetObject on the result prefix and s3:ListBucket "+
			"on its bucket (the CloudFormation template's CleanRoomsResultBucket parameter grants them)", q.ID, action, url)}
	}
	return fmt.Errorf("reading the result of protected query %s at %s: %w", q.ID, url, err)
}
