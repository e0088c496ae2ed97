// Package storage browses an S3 bucket (folders by prefix and delimiter,
// paging by continuation token, search by name, size and date) and streams
// objects for the transform without downloading them first: ranged GETs read
// ahead in parallel, and a stream broken mid-way resumes at its byte offset.
package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/audience-uploader/audience-uploader/backend/secureurl"
)

// Options tune reads; zero values take the defaults.
type Options struct {
	ChunkSize  int64 // largest ranged GET, default 8 MiB
	FirstChunk int64 // first ranged GET, default 256 KiB: sniffing a schema stays cheap
	ReadAhead  int   // ranged GETs in flight ahead of the reader, default 4
	MaxRetries int   // resumptions of one chunk after a broken or stalled stream, default 5
	// IdleTimeout abandons a ranged GET that receives no byte for this long
	// (a stalled connection) and resumes it from the byte reached; default
	// DefaultIdleTimeout. Tests set it short.
	IdleTimeout time.Duration
	// Endpoint overrides the S3 endpoint (tests); AWS_ENDPOINT_URL_S3 works too.
	Endpoint string
	// PathStyle forces path-style addressing; it is on whenever an endpoint
	// override is in effect, since custom S3 servers rarely have per-bucket DNS.
	PathStyle bool
}

func (o *Options) defaults() {
	if o.ChunkSize <= 0 {
		o.ChunkSize = 8 << 20
	}
	if o.FirstChunk <= 0 || o.FirstChunk > o.ChunkSize {
		o.FirstChunk = min(256<<10, o.ChunkSize)
	}
	if o.ReadAhead <= 0 {
		o.ReadAhead = 4
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 5
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
}

// DefaultIdleTimeout is how long a ranged GET may go without a byte before
// it is abandoned and resumed.
const DefaultIdleTimeout = 60 * time.Second

// Client reads one AWS account's buckets.
type Client struct {
	s3      *s3.Client
	opts    Options
	fetched atomic.Int64 // object bytes received by all readers
}

// BytesFetched is how many object bytes this client's reads have received.
func (c *Client) BytesFetched() int64 { return c.fetched.Load() }

// New makes a client from an AWS configuration (see auth.AWSConfig).
func New(cfg aws.Config, opts Options) *Client {
	opts.defaults()
	custom := opts.Endpoint != "" || opts.PathStyle || cfg.BaseEndpoint != nil ||
		os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = custom
		// AWS credentials sign every request and S3 Express sessions
		// return more: https only, or plain http to a loopback test server.
		o.HTTPClient = secureurl.AWSHTTPClient(o.HTTPClient, "Amazon S3",
			"AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL and endpoint_url in ~/.aws/config")
		// Ranged reads carry no full-object checksum to validate; asking for
		// one only makes servers compute it.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &Client{s3: c, opts: opts}
}

// Entry is a folder (common prefix) or an object.
type Entry struct {
	Key          string    `json:"key"`  // full key; folders end in "/"
	Name         string    `json:"name"` // last path element, for display
	Folder       bool      `json:"folder"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"last_modified"`
}

// Page is one page of a listing or search.
type Page struct {
	Bucket    string  `json:"bucket"`
	Prefix    string  `json:"prefix"`
	Entries   []Entry `json:"entries"`    // folders first, then objects, in key order
	NextToken string  `json:"next_token"` // "" on the last page
	Scanned   int     `json:"scanned"`    // keys looked at (search)
}

// DefaultPageSize is how many keys one listing page asks S3 for.
const DefaultPageSize = 1000

// List lists one folder: sub-folders (by "/" delimiter) and objects, one
// page at a time; pass the previous page's NextToken to continue.
func (c *Client) List(ctx context.Context, bucket, prefix, token string, pageSize int) (*Page, error) {
	if bucket == "" {
		return nil, errors.New("listing S3: no bucket is set")
	}
	if pageSize <= 0 || pageSize > 1000 {
		pageSize = DefaultPageSize
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix),
		Delimiter: aws.String("/"), MaxKeys: aws.Int32(int32(pageSize))}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	out, err := c.s3.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, explain(fmt.Sprintf("listing s3://%s/%s", bucket, prefix), err)
	}
	p := &Page{Bucket: bucket, Prefix: prefix}
	for _, cp := range out.CommonPrefixes {
		k := aws.ToString(cp.Prefix)
		p.Entries = append(p.Entries, Entry{Key: k, Name: path.Base(strings.TrimSuffix(k, "/")) + "/", Folder: true})
	}
	for _, o := range out.Contents {
		if e := objectEntry(o); e.Key != prefix { // skip the folder marker itself
			p.Entries = append(p.Entries, e)
		}
	}
	p.Scanned = len(out.Contents) + len(out.CommonPrefixes)
	if aws.ToBool(out.IsTruncated) {
		p.NextToken = aws.ToString(out.NextContinuationToken)
	}
	return p, nil
}

func objectEntry(o types.Object) Entry {
	k := aws.ToString(o.Key)
	return Entry{Key: k, Name: path.Base(k), Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)}
}

// Query selects objects by name prefix (case-insensitive, on the last path
// element), size and modification time, in one folder or below it.
type Query struct {
	Prefix         string    `json:"prefix"`      // folder to search
	NamePrefix     string    `json:"name_prefix"` // "" matches all
	MinSize        int64     `json:"min_size"`    // bytes, 0 = no minimum
	MaxSize        int64     `json:"max_size"`    // bytes, 0 = no maximum
	ModifiedAfter  time.Time `json:"modified_after"`
	ModifiedBefore time.Time `json:"modified_before"`
	Recursive      bool      `json:"recursive"` // also search sub-folders
	Limit          int       `json:"limit"`     // matches per page, default 100
	// MaxScan bounds the keys examined per call so a folder of 100k objects
	// answers quickly; the caller continues with NextToken. Default 5,000.
	MaxScan int `json:"max_scan"`
}

// Match reports whether an object satisfies the query's filters.
func (q Query) Match(e Entry) bool {
	if e.Folder {
		return q.MinSize == 0 && q.MaxSize == 0 && q.ModifiedAfter.IsZero() && q.ModifiedBefore.IsZero() &&
			strings.HasPrefix(strings.ToLower(e.Name), strings.ToLower(q.NamePrefix))
	}
	switch {
	case !strings.HasPrefix(strings.ToLower(e.Name), strings.ToLower(q.NamePrefix)):
		return false
	case q.MinSize > 0 && e.Size < q.MinSize, q.MaxSize > 0 && e.Size > q.MaxSize:
		return false
	case !q.ModifiedAfter.IsZero() && !e.LastModified.After(q.ModifiedAfter):
		return false
	case !q.ModifiedBefore.IsZero() && !e.LastModified.Before(q.ModifiedBefore):
		return false
	}
	return true
}

// Search pages through a folder applying the query. A page may hold fewer
// than Limit matches when MaxScan keys were examined first; NextToken is ""
// only when the whole folder has been searched.
func (c *Client) Search(ctx context.Context, bucket string, q Query, token string) (*Page, error) {
	if bucket == "" {
		return nil, errors.New("searching S3: no bucket is set")
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.MaxScan <= 0 {
		q.MaxScan = 5000
	}
	p := &Page{Bucket: bucket, Prefix: q.Prefix}
	for {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(q.Prefix), MaxKeys: aws.Int32(1000)}
		if !q.Recursive {
			in.Delimiter = aws.String("/")
		}
		if token != "" {
			in.ContinuationToken = aws.String(token)
		}
		out, err := c.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, explain(fmt.Sprintf("searching s3://%s/%s", bucket, q.Prefix), err)
		}
		for _, cp := range out.CommonPrefixes {
			k := aws.ToString(cp.Prefix)
			if e := (Entry{Key: k, Name: path.Base(strings.TrimSuffix(k, "/")) + "/", Folder: true}); q.Match(e) {
				p.Entries = append(p.Entries, e)
			}
		}
		for _, o := range out.Contents {
			if e := objectEntry(o); e.Key != q.Prefix && !strings.HasSuffix(e.Key, "/") && q.Match(e) {
				p.Entries = append(p.Entries, e)
			}
		}
		p.Scanned += len(out.Contents) + len(out.CommonPrefixes)
		token = ""
		if aws.ToBool(out.IsTruncated) {
			token = aws.ToString(out.NextContinuationToken)
		}
		if token == "" || len(p.Entries) >= q.Limit || p.Scanned >= q.MaxScan {
			p.NextToken = token
			return p, nil
		}
	}
}

// Object is what a HEAD tells about an object.
type Object struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	LastModified time.Time `json:"last_modified"`
}

// URL is the object's s3:// address.
func (o *Object) URL() string { return "s3://" + o.Bucket + "/" + o.Key }

// Stat reads an object's size, ETag and date.
func (c *Client) Stat(ctx context.Context, bucket, key string) (*Object, error) {
	out, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, explain(fmt.Sprintf("reading s3://%s/%s", bucket, key), err)
	}
	return &Object{Bucket: bucket, Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified)}, nil
}

// ParseURL splits s3://bucket/key.
func ParseURL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// address", u)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket: write s3://bucket/key", u)
	}
	return bucket, key, nil
}

// IsURL reports whether s is an s3:// address.
func IsURL(s string) bool { return strings.HasPrefix(s, "s3://") }

// explain turns S3 errors into sentences that say what to do.
func explain(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var refused *secureurl.RefusedError
	if errors.As(err, &refused) {
		return fmt.Errorf("%s: %w", what, refused) // the SDK's wrapping adds nothing but noise
	}
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var api smithy.APIError
	code := ""
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	switch {
	case code == "NoSuchBucket":
		return fmt.Errorf("%s: the bucket does not exist (check the bucket name in Settings): %w", what, err)
	case code == "NoSuchKey" || code == "NotFound" || status == http.StatusNotFound:
		return fmt.Errorf("%s: no such object: %w", what, err)
	case code == "AccessDenied" || status == http.StatusForbidden:
		return fmt.Errorf("%s: access denied (your role may only list and read the data bucket): %w", what, err)
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken":
		return fmt.Errorf("%s: the AWS credentials were refused (sign in again): %w", what, err)
	case status == http.StatusPreconditionFailed:
		return fmt.Errorf("%s: the object changed while it was being read; start again: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
