package storage

import (
	"context"
	"io"

	"github.com/audience-uploader/audience-uploader/backend/transform"
)

// Source is a transform input for an s3:// URL: it stats the object now and
// streams it (with read-ahead and resume) each time the transform opens it.
func (c *Client) Source(ctx context.Context, url string) (transform.Source, error) {
	bucket, key, err := ParseURL(url)
	if err != nil {
		return transform.Source{}, err
	}
	obj, err := c.Stat(ctx, bucket, key)
	if err != nil {
		return transform.Source{}, err
	}
	return transform.Source{
		Name: obj.URL(),
		Size: obj.Size,
		Open: func(ctx context.Context) (io.ReadCloser, error) { return c.OpenAt(ctx, *obj, 0), nil },
	}, nil
}
