package meta

import (
	"context"
	"fmt"
	"net/http"
)

// Batch is one request's rows. Schema is one single-key schema name
// ("EMAIL_SHA256") or the keys of a multi-key schema ("EMAIL", "PHONE"),
// one per cell of each row; cells are already normalized and hashed
// (identifiers.AppendMetaCell), "" for an unknown value. A multi-key
// schema of one key (["EMAIL"], what a transform of one e-mail column
// writes) stays multi-key: an audience must not mix the two kinds.
type Batch struct {
	Schema  []string
	Rows    [][]string
	Session *Session // nil: Meta makes a one-batch session
}

// Session places a batch in a session (spec §3, §5).
type Session struct {
	ID             int64 `json:"session_id"`
	BatchSeq       int   `json:"batch_seq"`
	Last           bool  `json:"last_batch_flag"`
	EstimatedTotal int   `json:"estimated_num_total,omitempty"`
}

// UsersResult is Meta's answer to a users or usersreplace call.
type UsersResult struct {
	AudienceID     string `json:"audience_id"`
	SessionID      string `json:"session_id"`
	NumReceived    int    `json:"num_received"` // in the session so far
	NumInvalid     int    `json:"num_invalid_entries"`
	InvalidSamples any    `json:"invalid_entry_samples"`
}

// singleKeySchemas are the schema names whose data is a flat array (spec §3).
var singleKeySchemas = map[string]bool{"EMAIL_SHA256": true, "PHONE_SHA256": true, "MOBILE_ADVERTISER_ID": true,
	"EXTERN_ID": true, "UID": true}

func (b Batch) body() (map[string]any, error) {
	if len(b.Rows) == 0 {
		return nil, fmt.Errorf("a batch needs at least one row (Meta answers #100 to an empty one)")
	}
	if len(b.Rows) > MaxRowsPerRequest {
		return nil, fmt.Errorf("a batch of %d rows is more than Meta's %d per request", len(b.Rows), MaxRowsPerRequest)
	}
	if len(b.Schema) == 0 {
		return nil, fmt.Errorf("a batch needs a schema")
	}
	var schema any = b.Schema
	var data any = b.Rows
	if len(b.Schema) == 1 && singleKeySchemas[b.Schema[0]] {
		// A single-key schema is a string, its data a flat array (spec §3).
		schema = b.Schema[0]
		flat := make([]string, len(b.Rows))
		for i, r := range b.Rows {
			if len(r) != 1 {
				return nil, fmt.Errorf("row %d has %d cells for a one-key schema", i+1, len(r))
			}
			flat[i] = r[0]
		}
		data = flat
	} else {
		for i, r := range b.Rows {
			if len(r) != len(b.Schema) {
				return nil, fmt.Errorf("row %d has %d cells for a schema of %d keys", i+1, len(r), len(b.Schema))
			}
		}
	}
	body := map[string]any{"payload": map[string]any{"schema": schema, "data": data}}
	if b.Session != nil {
		body["session"] = b.Session
	}
	return body, nil
}

// AddUsers adds a batch to an audience. Without an answer it returns
// *UnknownOutcomeError (the batch may have been applied).
func (c *Client) AddUsers(ctx context.Context, audienceID string, b Batch) (UsersResult, error) {
	return c.users(ctx, http.MethodPost, audienceID+"/users", b)
}

// RemoveUsers removes a batch's people from an audience. The payload goes
// in the DELETE's JSON body, never the query string, which breaks past a
// few thousand rows (spec §9.2).
func (c *Client) RemoveUsers(ctx context.Context, audienceID string, b Batch) (UsersResult, error) {
	return c.users(ctx, http.MethodDelete, audienceID+"/users", b)
}

// ReplaceUsers sends one batch of a usersreplace session: batch_seq 1
// starts it, last_batch_flag ends it, and it lasts 90 minutes at most.
func (c *Client) ReplaceUsers(ctx context.Context, audienceID string, b Batch) (UsersResult, error) {
	if b.Session == nil {
		return UsersResult{}, fmt.Errorf("a replace batch needs a session")
	}
	return c.users(ctx, http.MethodPost, audienceID+"/usersreplace", b)
}

func (c *Client) users(ctx context.Context, method, path string, b Batch) (UsersResult, error) {
	body, err := b.body()
	if err != nil {
		return UsersResult{}, err
	}
	var out UsersResult
	err = c.call(ctx, method, path, nil, body, &out)
	return out, err
}
