package meta

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Audience is what the client reads of a customer-list audience.
type Audience struct {
	ID                 string
	Name               string
	Description        string
	LowerBound         int // approximate_count_lower_bound; -1 when Meta shows none
	UpperBound         int
	OperationStatus    Status
	DeliveryStatus     Status
	DataSource         string // "FILE_IMPORTED.MULTI_HASHES" once users were uploaded
	Created            time.Time
	Updated            time.Time
	ContentUpdated     time.Time // zero until users were added
	CustomerFileSource string
}

// Status is operation_status or delivery_status.
type Status struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

const audienceFields = "id,name,description,approximate_count_lower_bound,approximate_count_upper_bound," +
	"operation_status,delivery_status,data_source,time_created,time_updated,time_content_updated,customer_file_source"

type wireAudience struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Lower       *int    `json:"approximate_count_lower_bound"`
	Upper       *int    `json:"approximate_count_upper_bound"`
	Operation   Status  `json:"operation_status"`
	Delivery    Status  `json:"delivery_status"`
	DataSource  *source `json:"data_source"`
	Created     int64   `json:"time_created"`
	Updated     int64   `json:"time_updated"`
	Content     int64   `json:"time_content_updated"`
	FileSource  string  `json:"customer_file_source"`
}

type source struct {
	Type    string `json:"type"`
	SubType string `json:"sub_type"`
}

func (w wireAudience) audience() Audience {
	a := Audience{ID: w.ID, Name: w.Name, Description: w.Description, LowerBound: -1, UpperBound: -1,
		OperationStatus: w.Operation, DeliveryStatus: w.Delivery, CustomerFileSource: w.FileSource,
		Created: unix(w.Created), Updated: unix(w.Updated), ContentUpdated: unix(w.Content)}
	if w.Lower != nil {
		a.LowerBound = *w.Lower
	}
	if w.Upper != nil {
		a.UpperBound = *w.Upper
	}
	if w.DataSource != nil && w.DataSource.Type != "" {
		a.DataSource = w.DataSource.Type + "." + w.DataSource.SubType
	}
	return a
}

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// CreateAudience makes a customer-list audience (subtype CUSTOM, the users
// provided by the advertiser) and returns its id. Without an answer it
// returns *UnknownOutcomeError: list the audiences to learn whether it
// exists rather than create again.
func (c *Client) CreateAudience(ctx context.Context, name, description string) (string, error) {
	body := map[string]any{"name": name, "subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY"}
	if description != "" {
		body["description"] = description
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, c.opts.AdAccount+"/customaudiences", nil, body, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// Audience reads one audience.
func (c *Client) Audience(ctx context.Context, id string) (Audience, error) {
	var w wireAudience
	err := c.call(ctx, http.MethodGet, id, url.Values{"fields": {audienceFields}}, nil, &w)
	return w.audience(), err
}

// ListAudiences reads every audience of the ad account, page by page.
func (c *Client) ListAudiences(ctx context.Context) ([]Audience, error) {
	var all []Audience
	q := url.Values{"fields": {audienceFields}, "limit": {"200"}}
	for {
		var page struct {
			Data   []wireAudience `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.call(ctx, http.MethodGet, c.opts.AdAccount+"/customaudiences", q, nil, &page); err != nil {
			return nil, err
		}
		for _, w := range page.Data {
			all = append(all, w.audience())
		}
		// A page may be empty and still have a next one; stop when next is absent.
		if page.Paging.Next == "" || page.Paging.Cursors.After == "" {
			return all, nil
		}
		q.Set("after", page.Paging.Cursors.After)
	}
}

// RenameAudience sets an audience's name.
func (c *Client) RenameAudience(ctx context.Context, id, name string) error {
	return c.call(ctx, http.MethodPost, id, nil, map[string]any{"name": name}, nil)
}

// DeleteAudience deletes an audience for good; ads using it stop.
func (c *Client) DeleteAudience(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, id, nil, nil, nil)
}

// TermsAccepted reads whether the Custom Audience Terms are accepted for
// the ad account (tos_accepted.custom_audience_tos).
func (c *Client) TermsAccepted(ctx context.Context) (bool, error) {
	var out struct {
		TOS map[string]int `json:"tos_accepted"`
	}
	if err := c.call(ctx, http.MethodGet, c.opts.AdAccount, url.Values{"fields": {"tos_accepted"}}, nil, &out); err != nil {
		return false, err
	}
	return out.TOS["custom_audience_tos"] == 1, nil
}

// TermsURL is where a person accepts the Custom Audience Terms.
func (c *Client) TermsURL() string {
	return "https://business.facebook.com/ads/manage/customaudiences/tos/?act=" + c.opts.AdAccount[len("act_"):]
}

// SessionInfo is one entry of an audience's sessions edge.
type SessionInfo struct {
	ID          int64
	Stage       string // "uploading" while it takes batches
	NumReceived int
	NumInvalid  int
	Start, End  time.Time
}

// Session reads one session of an audience; found is false when Meta
// knows no such session (nothing of it arrived).
func (c *Client) Session(ctx context.Context, audienceID string, sessionID int64) (info SessionInfo, found bool, err error) {
	var out struct {
		Data []map[string]string `json:"data"`
	}
	q := url.Values{"session_id": {strconv.FormatInt(sessionID, 10)},
		"fields": {"session_id,stage,num_received,num_invalid_entries,start_time,end_time"}}
	if err := c.call(ctx, http.MethodGet, audienceID+"/sessions", q, nil, &out); err != nil {
		return SessionInfo{}, false, err
	}
	for _, d := range out.Data {
		id, _ := strconv.ParseInt(d["session_id"], 10, 64)
		if id != sessionID {
			continue
		}
		num := func(k string) int { n, _ := strconv.Atoi(d[k]); return n }
		start, _ := strconv.ParseInt(d["start_time"], 10, 64)
		end, _ := strconv.ParseInt(d["end_time"], 10, 64)
		return SessionInfo{ID: id, Stage: d["stage"], NumReceived: num("num_received"), NumInvalid: num("num_invalid_entries"),
			Start: unix(start), End: unix(end)}, true, nil
	}
	return SessionInfo{}, false, nil
}
