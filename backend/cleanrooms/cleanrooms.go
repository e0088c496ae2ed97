// Package cleanrooms finds AWS Clean Rooms protected-query results: the
// memberships this AWS identity has, the protected queries run in each, and
// where a finished query's result lies in S3. A result is read as an S3
// prefix of parts (backend/storage, backend/inputs), so
// cleanrooms://MEMBERSHIP_ID/QUERY_ID and cleanrooms://MEMBERSHIP_ID/latest
// work wherever an s3:// prefix does.
package cleanrooms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cr "github.com/aws/aws-sdk-go-v2/service/cleanrooms"
	"github.com/aws/aws-sdk-go-v2/service/cleanrooms/types"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
	"github.com/audience-uploader/audience-uploader/backend/storage"
)

// EnvEndpoint is the AWS SDK's standard override for the Clean Rooms endpoint.
const EnvEndpoint = "AWS_ENDPOINT_URL_CLEANROOMS"

// Options configure a Client; zero values take the defaults.
type Options struct {
	// Endpoint overrides the Clean Rooms endpoint (tests); $AWS_ENDPOINT_URL_CLEANROOMS works too.
	Endpoint string
	// Storage tunes the S3 reads of results.
	Storage storage.Options
	// PageSize is maxResults for the list calls (1-100); 0 lets AWS choose.
	PageSize int
}

// Client lists one AWS identity's Clean Rooms memberships and queries and
// reads their results.
type Client struct {
	api      *cr.Client
	s3       *storage.Client
	pageSize int32
	region   string
}

// New makes a client from an AWS configuration (auth.AWSConfig: the
// signed-in Cognito session's identity-pool credentials or the AWS chain).
// It makes no network call.
func New(cfg aws.Config, opts Options) *Client {
	api := cr.NewFromConfig(cfg, func(o *cr.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		// Requests are signed with the person's AWS credentials: https
		// only, or plain http to a loopback stand-in.
		o.HTTPClient = secureurl.AWSHTTPClient(o.HTTPClient, "AWS Clean Rooms",
			EnvEndpoint+", AWS_ENDPOINT_URL and endpoint_url in ~/.aws/config")
	})
	c := &Client{api: api, s3: storage.New(cfg, opts.Storage), region: cfg.Region}
	if opts.PageSize > 0 && opts.PageSize <= 100 {
		c.pageSize = int32(opts.PageSize)
	}
	return c
}

// Storage is the S3 client results are read with.
func (c *Client) Storage() *storage.Client { return c.s3 }

// Membership is one collaboration this identity is a member of.
type Membership struct {
	ID                 string    `json:"id"`
	CollaborationID    string    `json:"collaboration_id"`
	CollaborationName  string    `json:"collaboration_name"`
	CreatorDisplayName string    `json:"creator_display_name"`
	Status             string    `json:"status"` // ACTIVE, REMOVED, COLLABORATION_DELETED
	CanReceiveResults  bool      `json:"can_receive_results"`
	Created            time.Time `json:"created"`
}

// Memberships lists every membership, all pages, in the order AWS gives.
func (c *Client) Memberships(ctx context.Context) ([]Membership, error) {
	var out []Membership
	var token *string
	for {
		page, err := c.api.ListMemberships(ctx, &cr.ListMembershipsInput{NextToken: token, MaxResults: c.max()})
		if err != nil {
			return nil, c.explain("listing your AWS Clean Rooms memberships", "cleanrooms:ListMemberships", err)
		}
		for _, m := range page.MembershipSummaries {
			out = append(out, Membership{ID: aws.ToString(m.Id), CollaborationID: aws.ToString(m.CollaborationId),
				CollaborationName: aws.ToString(m.CollaborationName), CreatorDisplayName: aws.ToString(m.CollaborationCreatorDisplayName),
				Status: string(m.Status), CanReceiveResults: canReceive(m.MemberAbilities), Created: aws.ToTime(m.CreateTime)})
		}
		if token = page.NextToken; aws.ToString(token) == "" {
			return out, nil
		}
	}
}

// Membership reads one membership: its collaboration's id and name.
func (c *Client) Membership(ctx context.Context, membershipID string) (Membership, error) {
	out, err := c.api.GetMembership(ctx, &cr.GetMembershipInput{MembershipIdentifier: aws.String(membershipID)})
	if err != nil {
		return Membership{}, c.explain(fmt.Sprintf("reading membership %s", membershipID), "cleanrooms:GetMembership", err)
	}
	m := out.Membership
	if m == nil {
		return Membership{}, fmt.Errorf("reading membership %s: AWS Clean Rooms answered without the membership", membershipID)
	}
	return Membership{ID: aws.ToString(m.Id), CollaborationID: aws.ToString(m.CollaborationId), CollaborationName: aws.ToString(m.CollaborationName),
		CreatorDisplayName: aws.ToString(m.CollaborationCreatorDisplayName), Status: string(m.Status),
		CanReceiveResults: canReceive(m.MemberAbilities), Created: aws.ToTime(m.CreateTime)}, nil
}

func (c *Client) max() *int32 {
	if c.pageSize == 0 {
		return nil
	}
	return aws.Int32(c.pageSize)
}

func canReceive(abilities []types.MemberAbility) bool {
	for _, a := range abilities {
		if a == types.MemberAbilityCanReceiveResults {
			return true
		}
	}
	return false
}

// Receivers keeps the memberships that can receive results; with none, the
// error says so and what to do.
func Receivers(ms []Membership) ([]Membership, error) {
	var out []Membership
	for _, m := range ms {
		if m.CanReceiveResults {
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if len(ms) == 0 {
		return nil, &Error{Kind: KindNoReceiver, msg: "these AWS credentials are a member of no AWS Clean Rooms collaboration in this region: " +
			"check the region in Settings, or ask the collaboration's creator to invite this AWS account"}
	}
	return nil, &Error{Kind: KindNoReceiver, msg: fmt.Sprintf("none of your %d AWS Clean Rooms memberships can receive results, "+
		"so there is no query result to read: ask each collaboration's creator for the \"receive results\" ability "+
		"(CAN_RECEIVE_RESULTS) for this account", len(ms))}
}

// Query is a protected query: its status and, when it has succeeded, where
// its result lies.
type Query struct {
	ID           string    `json:"id"`
	MembershipID string    `json:"membership_id"`
	Status       string    `json:"status"` // SUBMITTED, STARTED, CANCELLING, CANCELLED, FAILED, SUCCESS, TIMED_OUT
	Created      time.Time `json:"created"`
	// Detailed fields, filled by Query (GetProtectedQuery), not by Queries.
	DurationMillis int64  `json:"duration_ms,omitempty"`
	Format         string `json:"format,omitempty"`   // CSV or PARQUET
	Output         string `json:"output,omitempty"`   // s3, member or distribute
	Location       string `json:"location,omitempty"` // s3://bucket/prefix/ of the result
	ErrorCode      string `json:"error_code,omitempty"`
	ErrorMessage   string `json:"error_message,omitempty"`
	// Analysis names what the query ran: "template ARN" for an analysis
	// template, else "sql " and a digest of its SQL text (spaces folded).
	Analysis string `json:"analysis,omitempty"`
}

// analysisOf names a query's analysis from its SQL parameters.
func analysisOf(p *types.ProtectedQuerySQLParameters) string {
	switch {
	case p == nil:
		return ""
	case aws.ToString(p.AnalysisTemplateArn) != "":
		return "template " + aws.ToString(p.AnalysisTemplateArn)
	case aws.ToString(p.QueryString) != "":
		sum := sha256.Sum256([]byte(strings.Join(strings.Fields(aws.ToString(p.QueryString)), " ")))
		return "sql " + hex.EncodeToString(sum[:8])
	}
	return ""
}

// Running reports whether the query has not finished yet.
func (q *Query) Running() bool {
	switch types.ProtectedQueryStatus(q.Status) {
	case types.ProtectedQueryStatusSubmitted, types.ProtectedQueryStatusStarted, types.ProtectedQueryStatusCancelling:
		return true
	}
	return false
}

// Queries lists a membership's protected queries, all pages, newest first.
func (c *Client) Queries(ctx context.Context, membershipID string) ([]Query, error) {
	return c.queries(ctx, membershipID, "")
}

// QueriesWithStatus is Queries filtered by AWS to one status ("SUCCESS").
func (c *Client) QueriesWithStatus(ctx context.Context, membershipID, status string) ([]Query, error) {
	return c.queries(ctx, membershipID, types.ProtectedQueryStatus(strings.ToUpper(status)))
}

func (c *Client) queries(ctx context.Context, membershipID string, status types.ProtectedQueryStatus) ([]Query, error) {
	var out []Query
	var token *string
	for {
		page, err := c.api.ListProtectedQueries(ctx, &cr.ListProtectedQueriesInput{MembershipIdentifier: aws.String(membershipID),
			NextToken: token, MaxResults: c.max(), Status: status})
		if err != nil {
			return nil, c.explain(fmt.Sprintf("listing the protected queries of membership %s", membershipID), "cleanrooms:ListProtectedQueries", err)
		}
		for _, q := range page.ProtectedQueries {
			out = append(out, Query{ID: aws.ToString(q.Id), MembershipID: aws.ToString(q.MembershipId), Status: string(q.Status),
				Created: aws.ToTime(q.CreateTime)})
		}
		if token = page.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	// AWS lists newest first; sorting keeps that true across pages.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Query reads one protected query: status, duration, format, error and,
// for results sent to members, the location from the membership's default
// result configuration.
func (c *Client) Query(ctx context.Context, membershipID, queryID string) (*Query, error) {
	out, err := c.api.GetProtectedQuery(ctx, &cr.GetProtectedQueryInput{MembershipIdentifier: aws.String(membershipID),
		ProtectedQueryIdentifier: aws.String(queryID)})
	if err != nil {
		return nil, c.explain(fmt.Sprintf("reading protected query %s of membership %s", queryID, membershipID), "cleanrooms:GetProtectedQuery", err)
	}
	p := out.ProtectedQuery
	if p == nil {
		return nil, fmt.Errorf("reading protected query %s: AWS Clean Rooms answered without the query", queryID)
	}
	q := &Query{ID: aws.ToString(p.Id), MembershipID: aws.ToString(p.MembershipId), Status: string(p.Status), Created: aws.ToTime(p.CreateTime)}
	if q.MembershipID == "" {
		q.MembershipID = membershipID
	}
	q.Analysis = analysisOf(p.SqlParameters)
	if p.Statistics != nil {
		q.DurationMillis = aws.ToInt64(p.Statistics.TotalDurationInMillis)
	}
	if p.Error != nil {
		q.ErrorCode, q.ErrorMessage = aws.ToString(p.Error.Code), aws.ToString(p.Error.Message)
	}
	if p.ResultConfiguration != nil {
		switch oc := p.ResultConfiguration.OutputConfiguration.(type) {
		case *types.ProtectedQueryOutputConfigurationMemberS3:
			q.Output, q.Format = "s3", string(oc.Value.ResultFormat)
		case *types.ProtectedQueryOutputConfigurationMemberMember:
			q.Output = "member"
		case *types.ProtectedQueryOutputConfigurationMemberDistribute:
			q.Output = "distribute"
			for _, l := range oc.Value.Locations {
				if s3l, ok := l.(*types.ProtectedQueryDistributeOutputConfigurationLocationMemberS3); ok {
					q.Format = string(s3l.Value.ResultFormat)
				}
			}
		}
	}
	if p.Result != nil {
		switch o := p.Result.Output.(type) {
		case *types.ProtectedQueryOutputMemberS3:
			q.Location = aws.ToString(o.Value.Location)
		case *types.ProtectedQueryOutputMemberDistribute:
			if o.Value.S3 != nil {
				q.Location = aws.ToString(o.Value.S3.Location)
			}
		}
	}
	if q.Status == string(types.ProtectedQueryStatusSuccess) && q.Location == "" && (q.Output == "member" || q.Output == "distribute") {
		if err := c.memberLocation(ctx, q); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// memberLocation finds where a result sent to this member lies: under the
// membership's default result location, in a folder named by the query id.
func (c *Client) memberLocation(ctx context.Context, q *Query) error {
	out, err := c.api.GetMembership(ctx, &cr.GetMembershipInput{MembershipIdentifier: aws.String(q.MembershipID)})
	if err != nil {
		return c.explain(fmt.Sprintf("reading membership %s for the result location of query %s", q.MembershipID, q.ID), "cleanrooms:GetMembership", err)
	}
	if m := out.Membership; m != nil && !canReceive(m.MemberAbilities) {
		return &Error{Kind: KindNoReceiver, msg: fmt.Sprintf("membership %s (collaboration %q) cannot receive results, so protected query %s "+
			"has no result for you: ask the collaboration's creator for the \"receive results\" ability (CAN_RECEIVE_RESULTS)",
			q.MembershipID, aws.ToString(m.CollaborationName), q.ID)}
	}
	var s3c *types.ProtectedQueryS3OutputConfiguration
	if m := out.Membership; m != nil && m.DefaultResultConfiguration != nil {
		if o, ok := m.DefaultResultConfiguration.OutputConfiguration.(*types.MembershipProtectedQueryOutputConfigurationMemberS3); ok {
			s3c = &o.Value
		}
	}
	if s3c == nil || aws.ToString(s3c.Bucket) == "" {
		return &Error{Kind: KindNoLocation, msg: fmt.Sprintf("protected query %s sent its result to this member, but membership %s has no "+
			"default result location in S3: set one under the collaboration's \"Results settings defaults\" in the AWS Clean Rooms console", q.ID, q.MembershipID)}
	}
	prefix := strings.Trim(aws.ToString(s3c.KeyPrefix), "/")
	if prefix != "" {
		prefix += "/"
	}
	q.Location = "s3://" + aws.ToString(s3c.Bucket) + "/" + prefix + q.ID + "/"
	if q.Format == "" {
		q.Format = string(s3c.ResultFormat)
	}
	return nil
}

// Latest is the newest successful protected query of a membership.
func (c *Client) Latest(ctx context.Context, membershipID string) (*Query, error) {
	m, err := c.api.GetMembership(ctx, &cr.GetMembershipInput{MembershipIdentifier: aws.String(membershipID)})
	if err != nil {
		return nil, c.explain(fmt.Sprintf("reading membership %s", membershipID), "cleanrooms:GetMembership", err)
	}
	if m.Membership != nil && !canReceive(m.Membership.MemberAbilities) {
		return nil, &Error{Kind: KindNoReceiver, msg: fmt.Sprintf("membership %s (collaboration %q) cannot receive results, so it has no "+
			"query result to read: ask the collaboration's creator for the \"receive results\" ability (CAN_RECEIVE_RESULTS)",
			membershipID, aws.ToString(m.Membership.CollaborationName))}
	}
	return c.latestOf(ctx, membershipID, "")
}

// LatestLike is the newest successful protected query of a membership that
// ran the same analysis (template, or SQL text) as query like: a sync saved
// from one result of a weekly analysis reads that analysis's newest one,
// never another analysis run in the same collaboration.
func (c *Client) LatestLike(ctx context.Context, membershipID, like string) (*Query, error) {
	ref, err := c.Query(ctx, membershipID, like)
	if err != nil {
		return nil, err
	}
	if ref.Analysis == "" {
		return nil, &Error{Kind: KindNoSuccess, msg: fmt.Sprintf("AWS Clean Rooms does not say which analysis protected query %s ran, so its newest result cannot be found: save the sync with that query's id instead of latest", like)}
	}
	return c.latestOf(ctx, membershipID, ref.Analysis)
}

// latestOf is the newest successful query of analysis ("": any).
func (c *Client) latestOf(ctx context.Context, membershipID, analysis string) (*Query, error) {
	qs, err := c.QueriesWithStatus(ctx, membershipID, string(types.ProtectedQueryStatusSuccess))
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if q.Status != string(types.ProtectedQueryStatusSuccess) {
			continue
		}
		full, err := c.Query(ctx, membershipID, q.ID)
		if err != nil || analysis == "" || full.Analysis == analysis {
			return full, err
		}
	}
	if analysis != "" {
		return nil, &Error{Kind: KindNoSuccess, msg: fmt.Sprintf("membership %s has no successful protected query of the analysis the sync was saved from (%s): run it again in AWS Clean Rooms", membershipID, analysis)}
	}
	return nil, &Error{Kind: KindNoSuccess, msg: fmt.Sprintf("membership %s has no successful protected query yet, so \"latest\" names nothing: "+
		"run the query in AWS Clean Rooms, or list its queries with `audience-uploader cleanrooms ls --membership %s`", membershipID, membershipID)}
}
