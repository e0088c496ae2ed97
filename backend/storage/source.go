package storage

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/audience-uploader/audience-uploader/backend/inputs"
)

// Source is a transform input for an s3:// URL. An object is stat'ed now
// and streamed (with read-ahead and resume; by offset for Parquet and
// Excel) each time the transform opens it. A prefix (a URL ending in "/",
// e.g. AWS Clean Rooms' s3://bucket/results/q-123/) is every data object
// directly under it, read as one list: _SUCCESS, .crc and other bookkeeping
// files and empty objects are left out (backend/inputs).
func (c *Client) Source(ctx context.Context, url string) (inputs.Source, error) {
	bucket, key, err := ParseURL(url)
	if err != nil {
		return inputs.Source{}, err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return c.prefixSource(ctx, bucket, key)
	}
	obj, err := c.Stat(ctx, bucket, key)
	if err != nil {
		return inputs.Source{}, err
	}
	return c.objectSource(*obj), nil
}

func (c *Client) objectSource(obj Object) inputs.Source {
	return inputs.Source{
		Name: obj.URL(),
		Size: obj.Size,
		Open: func(ctx context.Context) (io.ReadCloser, error) { return c.OpenAt(ctx, obj, 0), nil },
	}
}

// prefixSource lists the objects directly under prefix (not in its
// sub-folders), all pages, with their size and ETag, so no part needs a HEAD.
func (c *Client) prefixSource(ctx context.Context, bucket, prefix string) (inputs.Source, error) {
	name := "s3://" + bucket + "/" + prefix
	var found inputs.Found
	folders := 0
	var token *string
	for {
		out, err := c.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix),
			Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return inputs.Source{}, explain("listing "+name, err)
		}
		folders += len(out.CommonPrefixes)
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			switch {
			case key == prefix || strings.HasSuffix(key, "/"):
				continue // the folder's own marker
			case inputs.Skip(path.Base(key)):
				found.Bookkeeping++
			case aws.ToInt64(o.Size) == 0:
				found.Empty++
			default:
				found.Parts = append(found.Parts, c.objectSource(Object{Bucket: bucket, Key: key, Size: aws.ToInt64(o.Size),
					ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified)}))
			}
		}
		if len(found.Parts) > inputs.MaxParts {
			break // Combine says so
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			break
		}
		token = out.NextContinuationToken
	}
	if len(found.Parts) == 0 && folders > 0 {
		return inputs.Source{}, fmt.Errorf("%s holds %d folder(s) but no data files (sub-folders are not read): choose the folder that holds the part files", name, folders)
	}
	return inputs.Combine(name, found)
}
