package tiktok

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Calculate types of customer files (spec/normalization.md).
const (
	EmailSHA256    = "EMAIL_SHA256"
	PhoneSHA256    = "PHONE_SHA256"
	IDFASHA256     = "IDFA_SHA256"
	GAIDSHA256     = "GAID_SHA256"
	MultipleTypes  = "MULTIPLE_TYPES"
	MaxFilePaths   = 500 // per create/update request
	MaxUploadBytes = 250 << 20
)

// MinAudienceUsers is TikTok's floor: an audience needs about this many
// matched users to be targeted, and an update (REMOVE, REPLACE) that would
// leave fewer is refused (40002).
const MinAudienceUsers = 1000

// Actions: CREATE makes a new audience (an upload job's action and the
// first entry of an audience's history); the others are an update's.
const (
	ActionCreate  = "CREATE"
	ActionAppend  = "APPEND"
	ActionRemove  = "REMOVE"
	ActionReplace = "REPLACE"
)

// UploadRequest names one file on disk.
type UploadRequest struct {
	AdvertiserID  string
	CalculateType string
	Path          string
	// MD5 is the file's hex MD5 (the manifest has it); computed when empty.
	MD5 string
	// Progress, if set, receives bytes of the file sent so far in this attempt.
	Progress func(sent, total int64)
}

// UploadFile sends a customer file as multipart/form-data, streamed from
// disk, and returns TikTok's file_path. A 40900 signature error triggers one
// re-upload with the same MD5, and only if the file on disk still has it.
func (c *Client) UploadFile(ctx context.Context, ur UploadRequest) (string, error) {
	base := filepath.Base(ur.Path)
	if !strings.HasSuffix(base, ".csv") && !strings.HasSuffix(base, ".txt") {
		return "", fmt.Errorf("upload %s: TikTok accepts only .csv or .txt file names", base)
	}
	st, err := os.Stat(ur.Path)
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", base, err)
	}
	if st.Size() > MaxUploadBytes {
		return "", fmt.Errorf("upload %s: file is %d bytes, over TikTok's 250 MB limit", base, st.Size())
	}
	sum := strings.ToLower(ur.MD5)
	if sum == "" {
		if sum, err = FileMD5(ur.Path); err != nil {
			return "", fmt.Errorf("upload %s: %w", base, err)
		}
	}
	fp, err := c.uploadOnce(ctx, ur, base, st.Size(), sum)
	if errors.Is(err, ErrSignature) {
		// Sent again only if the file on disk still has the MD5 that was
		// sent (the bytes were damaged on the way); a file that changed is
		// never hashed anew and resent: its contents are not what was checked.
		again, merr := FileMD5(ur.Path)
		if merr != nil {
			return "", fmt.Errorf("upload %s: %w", base, merr)
		}
		if again != sum {
			return "", fmt.Errorf("upload %s: the file changed while it was being uploaded (its MD5 is no longer %s), so it was not sent again: transform the list again: %w", base, sum, err)
		}
		fp, err = c.uploadOnce(ctx, ur, base, st.Size(), sum)
	}
	return fp, err
}

func (c *Client) uploadOnce(ctx context.Context, ur UploadRequest, base string, size int64, sum string) (string, error) {
	head, tail, boundary, err := multipartFrame(ur, base, sum)
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", base, err)
	}
	// The multipart size is known before the first byte, so the request
	// carries a Content-Length (gateways answer 411 to chunked bodies) while
	// the file itself is still streamed from disk, one buffer at a time.
	length := int64(len(head)) + size + int64(len(tail))
	body := func() (io.ReadCloser, int64, error) {
		f, err := os.Open(ur.Path)
		if err != nil {
			return nil, 0, fmt.Errorf("open %s: %w", base, err)
		}
		var src io.Reader = &exactReader{r: f, left: size, name: base}
		if ur.Progress != nil {
			src = &progressReader{r: src, total: size, fn: ur.Progress}
		}
		return &readCloser{Reader: io.MultiReader(bytes.NewReader(head), src, bytes.NewReader(tail)), Closer: f}, length, nil
	}
	var out struct {
		FilePath string `json:"file_path"`
	}
	err = c.do(ctx, request{
		op: "upload " + base, method: http.MethodPost, path: "dmp/custom_audience/file/upload",
		advertiserID: ur.AdvertiserID, progressive: true, idempotent: true,
		contentType: "multipart/form-data; boundary=" + boundary, body: body,
	}, &out)
	if err != nil {
		return "", err
	}
	if out.FilePath == "" {
		return "", fmt.Errorf("upload %s: TikTok returned no file_path", base)
	}
	return out.FilePath, nil
}

// multipartFrame returns the bytes before and after the file's contents:
// the form fields (before the file, as TikTok's SDK sends them), the file
// part's header, and the closing boundary.
func multipartFrame(ur UploadRequest, base, sum string) (head, tail []byte, boundary string, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"advertiser_id", ur.AdvertiserID}, {"calculate_type", ur.CalculateType}, {"file_signature", sum}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return nil, nil, "", err
		}
	}
	if _, err := mw.CreateFormFile("file", base); err != nil {
		return nil, nil, "", err
	}
	n := buf.Len()
	if err := mw.Close(); err != nil {
		return nil, nil, "", err
	}
	b := buf.Bytes()
	return b[:n:n], b[n:], mw.Boundary(), nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// exactReader yields exactly left bytes of r: the Content-Length was
// promised from the file's size, so a file that shrank is an error that
// says so rather than a short body.
type exactReader struct {
	r    io.Reader
	left int64
	name string
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, fmt.Errorf("%s got shorter while it was being sent: it must not change during an upload; transform the list again", e.name)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

type progressReader struct {
	r     io.Reader
	n     int64
	total int64
	fn    func(int64, int64)
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	// At most ~10 reports a second, plus the last one.
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || err == io.EOF || p.n == p.total {
		p.last = now
		p.fn(p.n, p.total)
	}
	return n, err
}

// FileMD5 returns the hex MD5 of a file, read in a stream.
func FileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("compute MD5: %w", err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, 256<<10)); err != nil {
		return "", fmt.Errorf("compute MD5 of %s: %w", filepath.Base(path), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CreateRequest creates an audience from uploaded files.
type CreateRequest struct {
	AdvertiserID    string   `json:"advertiser_id"`
	Name            string   `json:"custom_audience_name"`
	FilePaths       []string `json:"file_paths"`
	CalculateType   string   `json:"calculate_type"`
	RetentionInDays int      `json:"retention_in_days,omitempty"`
	SubType         string   `json:"audience_sub_type,omitempty"`
}

// CreateAudience returns the new audience's id. It is resent only when TikTok
// certainly refused it; otherwise the error wraps ErrOutcomeUnknown and the
// caller must look for the audience before trying again.
func (c *Client) CreateAudience(ctx context.Context, cr CreateRequest) (string, error) {
	if n := len([]rune(cr.Name)); n < 1 || n > 128 {
		return "", fmt.Errorf("create audience: name must be 1–128 characters, got %d", n)
	}
	if len(cr.FilePaths) < 1 || len(cr.FilePaths) > MaxFilePaths {
		return "", fmt.Errorf("create audience %q: needs 1–%d file paths, got %d", cr.Name, MaxFilePaths, len(cr.FilePaths))
	}
	if cr.SubType == "" {
		cr.SubType = "NORMAL"
	}
	var out struct {
		ID json.Number `json:"custom_audience_id"`
	}
	err := c.do(ctx, request{op: fmt.Sprintf("create audience %q", cr.Name), method: http.MethodPost,
		path: "dmp/custom_audience/create", advertiserID: cr.AdvertiserID, contentType: "application/json",
		body: jsonBody(cr)}, &out)
	if err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("create audience %q: TikTok returned no custom_audience_id", cr.Name)
	}
	return out.ID.String(), nil
}

// UpdateRequest changes an audience's members; Action is always sent.
type UpdateRequest struct {
	AdvertiserID string   `json:"advertiser_id"`
	AudienceID   string   `json:"custom_audience_id"`
	FilePaths    []string `json:"file_paths"`
	Action       string   `json:"action"`
	Rename       string   `json:"custom_audience_name,omitempty"`
}

// UpdateAudience applies APPEND, REMOVE or REPLACE. Like create it may fail
// with ErrOutcomeUnknown.
func (c *Client) UpdateAudience(ctx context.Context, ur UpdateRequest) error {
	switch ur.Action {
	case ActionAppend, ActionRemove, ActionReplace:
	default:
		return fmt.Errorf("update audience %s: action must be APPEND, REMOVE or REPLACE, got %q", ur.AudienceID, ur.Action)
	}
	if len(ur.FilePaths) < 1 || len(ur.FilePaths) > MaxFilePaths {
		return fmt.Errorf("update audience %s: needs 1–%d file paths, got %d", ur.AudienceID, MaxFilePaths, len(ur.FilePaths))
	}
	return c.do(ctx, request{op: fmt.Sprintf("%s to audience %s", ur.Action, ur.AudienceID), method: http.MethodPost,
		path: "dmp/custom_audience/update", advertiserID: ur.AdvertiserID, contentType: "application/json",
		body: jsonBody(ur)}, nil)
}

// Audience is one entry of list, or get's audience_details. AudienceType is
// list's "audience_type" or get's "type".
type Audience struct {
	AudienceID    string `json:"audience_id"`
	Name          string `json:"name"`
	AudienceType  string `json:"audience_type"`
	CalculateType string `json:"calculate_type"`
	CoverNum      int64  `json:"cover_num"`
	IsValid       bool   `json:"is_valid"`
	IsExpiring    bool   `json:"is_expiring"`
	CreateTime    string `json:"create_time"`
	ExpiredTime   string `json:"expired_time"`
	Msg           string `json:"msg"`
	ErrorMsg      string `json:"error_msg"`
	// IsCreator is false for an audience another advertiser shared with
	// this one (never adopt, update or delete those); nil when not given.
	IsCreator *bool `json:"is_creator,omitempty"`
}

// TimeLayout is TikTok's "YYYY-MM-DD HH:MM:SS" (UTC).
const TimeLayout = "2006-01-02 15:04:05"

// Created parses CreateTime; zero if absent or malformed.
func (a Audience) Created() time.Time {
	t, _ := time.ParseInLocation(TimeLayout, a.CreateTime, time.UTC)
	return t
}

// UnmarshalJSON accepts audience_id as string or number, and the kind as
// get's "type" or list's "audience_type".
func (a *Audience) UnmarshalJSON(b []byte) error {
	type plain Audience
	var aux struct {
		plain
		AudienceID json.Number `json:"audience_id"`
		Type       string      `json:"type"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*a = Audience(aux.plain)
	a.AudienceID = aux.AudienceID.String()
	if aux.Type != "" {
		a.AudienceType = aux.Type
	}
	return nil
}

// PageInfo is list's paging block.
type PageInfo struct {
	Page        int `json:"page"`
	PageSize    int `json:"page_size"`
	TotalNumber int `json:"total_number"`
	TotalPage   int `json:"total_page"`
}

// ListPage returns one page (from 1) of the advertiser's audiences.
func (c *Client) ListPage(ctx context.Context, advertiserID string, page, pageSize int, ids []string) ([]Audience, PageInfo, error) {
	q := url.Values{"advertiser_id": {advertiserID}, "page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(pageSize)}}
	if len(ids) > 0 {
		b, _ := json.Marshal(ids)
		q.Set("custom_audience_ids", string(b))
	}
	var out struct {
		List     []Audience `json:"list"`
		PageInfo PageInfo   `json:"page_info"`
	}
	err := c.do(ctx, request{op: "list audiences", method: http.MethodGet, path: "dmp/custom_audience/list",
		query: q, advertiserID: advertiserID, idempotent: true}, &out)
	return out.List, out.PageInfo, err
}

// ListAudiences reads every page.
func (c *Client) ListAudiences(ctx context.Context, advertiserID string) ([]Audience, error) {
	var all []Audience
	for page := 1; ; page++ {
		list, info, err := c.ListPage(ctx, advertiserID, page, 100, nil)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		// The last page is page == total_page: read it, then stop.
		if page >= info.TotalPage || len(list) == 0 {
			return all, nil
		}
	}
}

// History is one entry of an audience's audience_history.
type History struct {
	Action       string `json:"action"`
	ActionDetail string `json:"action_detail"`
	Editor       string `json:"editor"`
	Msg          string `json:"msg"`
	OptTime      string `json:"opt_time"`
}

// Key identifies a history entry when two reads of the history are
// compared (what a create or update added since the first read).
func (e History) Key() string {
	return strings.Join([]string{e.Action, e.ActionDetail, e.Editor, e.OptTime, e.Msg}, "|")
}

// AudienceDetail is one entry of get.
type AudienceDetail struct {
	Audience Audience  `json:"audience_details"`
	History  []History `json:"audience_history"`
}

// GetAudiences returns details and up to historySize history entries.
func (c *Client) GetAudiences(ctx context.Context, advertiserID string, ids []string, historySize int) ([]AudienceDetail, error) {
	if len(ids) < 1 || len(ids) > 100 {
		return nil, fmt.Errorf("get audiences: needs 1–100 ids, got %d", len(ids))
	}
	b, _ := json.Marshal(ids)
	q := url.Values{"advertiser_id": {advertiserID}, "custom_audience_ids": {string(b)}}
	if historySize > 0 {
		q.Set("history_size", strconv.Itoa(historySize))
	}
	var out struct {
		List []AudienceDetail `json:"list"`
	}
	err := c.do(ctx, request{op: "get audience " + strings.Join(ids, ","), method: http.MethodGet,
		path: "dmp/custom_audience/get", query: q, advertiserID: advertiserID, idempotent: true}, &out)
	return out.List, err
}

// GetAudience returns one audience's details.
func (c *Client) GetAudience(ctx context.Context, advertiserID, id string, historySize int) (*AudienceDetail, error) {
	list, err := c.GetAudiences(ctx, advertiserID, []string{id}, historySize)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Audience.AudienceID == id {
			return &list[i], nil
		}
	}
	return nil, &APIError{Op: "get audience " + id, AdvertiserID: advertiserID, HTTPStatus: 200, Code: 40007, Message: "audience not in response"}
}

// DeleteAudiences deletes 1–100 audiences.
func (c *Client) DeleteAudiences(ctx context.Context, advertiserID string, ids []string) error {
	if len(ids) < 1 || len(ids) > 100 {
		return fmt.Errorf("delete audiences: needs 1–100 ids, got %d", len(ids))
	}
	return c.do(ctx, request{op: "delete audiences " + strings.Join(ids, ","), method: http.MethodPost,
		path: "dmp/custom_audience/delete", advertiserID: advertiserID, contentType: "application/json",
		body: jsonBody(map[string]any{"advertiser_id": advertiserID, "custom_audience_ids": ids}), idempotent: true}, nil)
}
