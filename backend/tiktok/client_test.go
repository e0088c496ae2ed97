package tiktok_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin/standintest"
)

type logSink struct {
	mu      sync.Mutex
	entries []tiktok.LogEntry
}

func (l *logSink) add(e tiktok.LogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
}

func (l *logSink) all() []tiktok.LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]tiktok.LogEntry(nil), l.entries...)
}

func newClient(t testing.TB, base, token string, log *logSink, mod ...func(*tiktok.Config)) *tiktok.Client {
	t.Helper()
	cfg := tiktok.Config{BaseURL: base, AccessToken: token, QPS: 1000,
		InitialBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxRetryTime: 20 * time.Second,
		RequestTimeout: 5 * time.Second}
	if log != nil {
		cfg.Log = log.add
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := tiktok.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// writeHashFile writes n hashes of "prefix-i" and returns path and MD5.
func writeHashFile(t testing.TB, dir, name, prefix string, n int) (string, string) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(hashOf(fmt.Sprintf("%s-%d@example.com", prefix, i)))
		b.WriteByte('\n')
	}
	return writeFile(t, dir, name, b.String())
}

func writeFile(t testing.TB, dir, name, content string) (string, string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(content))
	return p, hex.EncodeToString(sum[:])
}

func TestBaseURLRules(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://business-api.tiktok.com/open_api/", true},
		{"http://127.0.0.1:8080/open_api/", true},
		{"http://localhost:8080/open_api", true},
		{"http://[::1]:8080/open_api/", true},
		{"http://example.com/open_api/", false},
		{"http://10.0.0.5/open_api/", false},
		{"ftp://example.com/", false},
	}
	for _, tc := range tests {
		_, err := tiktok.New(tiktok.Config{BaseURL: tc.url, AccessToken: "x"})
		if (err == nil) != tc.ok {
			t.Errorf("New(%s) err = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
	if _, err := tiktok.New(tiktok.Config{BaseURL: tiktok.ProductionBaseURL}); err == nil {
		t.Error("New without token succeeded")
	}
}

func TestResolveBaseURL(t *testing.T) {
	t.Setenv(tiktok.EnvBaseURL, "")
	tests := []struct {
		env, custom, want string
		ok                bool
	}{
		{"production", "", tiktok.ProductionBaseURL, true},
		{"", "", tiktok.ProductionBaseURL, true},
		{"sandbox", "", tiktok.SandboxBaseURL, true},
		{"custom", "https://proxy.example/open_api/", "https://proxy.example/open_api/", true},
		{"custom", "", "", false},
		{"staging", "", "", false},
	}
	for _, tc := range tests {
		got, err := tiktok.ResolveBaseURL(tc.env, tc.custom)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ResolveBaseURL(%q,%q) = %q, %v", tc.env, tc.custom, got, err)
		}
	}
	t.Setenv(tiktok.EnvBaseURL, "http://127.0.0.1:9/open_api/")
	if got, _ := tiktok.ResolveBaseURL("production", ""); got != "http://127.0.0.1:9/open_api/" {
		t.Errorf("env override ignored: %q", got)
	}
}

func TestUploadCreateAppendListGetDelete(t *testing.T) {
	s := standin.New(standin.Options{})
	base := standintest.Start(t, s)
	log := &logSink{}
	c := newClient(t, base, s.Token(), log)
	ctx := context.Background()
	adv := s.Advertiser()
	dir := t.TempDir()

	p1, m1 := writeHashFile(t, dir, "a.csv", "a", 600)
	p2, m2 := writeHashFile(t, dir, "b.csv", "b", 600)
	var progressed int64
	fp1, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: adv, CalculateType: tiktok.EmailSHA256, Path: p1, MD5: m1,
		Progress: func(sent, total int64) { progressed = sent }})
	if err != nil {
		t.Fatal(err)
	}
	if len(fp1) != 16 {
		t.Fatalf("file_path %q is not 16 characters", fp1)
	}
	if st, _ := os.Stat(p1); progressed != st.Size() {
		t.Fatalf("progress reported %d of %d bytes", progressed, st.Size())
	}
	fp2, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: adv, CalculateType: tiktok.EmailSHA256, Path: p2, MD5: m2})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: adv, Name: "test audience", FilePaths: []string{fp1}, CalculateType: tiktok.EmailSHA256})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: adv, AudienceID: id, FilePaths: []string{fp2}, Action: tiktok.ActionAppend}); err != nil {
		t.Fatal(err)
	}
	d, err := c.GetAudience(ctx, adv, id, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Audience.IsValid || d.Audience.CoverNum != 840 || len(d.History) != 2 || d.History[0].Action != "APPEND" {
		t.Fatalf("get = %+v", d)
	}
	list, err := c.ListAudiences(ctx, adv)
	if err != nil || len(list) != 1 || list[0].AudienceID != id || list[0].Created().IsZero() {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := c.DeleteAudiences(ctx, adv, []string{id}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAudience(ctx, adv, id, 0); !errors.Is(err, tiktok.ErrNotExist) {
		t.Fatalf("get after delete = %v, want ErrNotExist", err)
	}
	for _, e := range log.all() {
		if e.RequestID == "" && e.Err == "" && e.RetryIn == 0 {
			t.Errorf("log entry without request_id: %+v", e)
		}
	}
}

// TestListReadsEveryPage: 205 audiences at 100 a page is 3 pages, the last
// one short (the seed's loop skipped it).
func TestListReadsEveryPage(t *testing.T) {
	s := standin.New(standin.Options{})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil)
	ctx := context.Background()
	p, m := writeHashFile(t, t.TempDir(), "a.csv", "a", 3)
	fp, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: s.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: m})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 205; i++ {
		if _, err := c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: s.Advertiser(), Name: fmt.Sprint("aud ", i), FilePaths: []string{fp}, CalculateType: tiktok.EmailSHA256}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := c.ListAudiences(ctx, s.Advertiser())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range list {
		seen[a.Name] = true
	}
	if len(list) != 205 || len(seen) != 205 {
		t.Fatalf("listed %d audiences (%d distinct), want 205", len(list), len(seen))
	}
}

// TestErrorClasses walks the spec's error table: each code injected once on
// a list call, then what the client does.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		code    int
		http    int
		retried bool
		is      error
	}{
		{code: 40100, retried: true},
		{code: 40132, retried: true},
		{code: 61000, retried: true},
		{code: 50000, retried: true},
		{code: 50002, retried: true},
		{code: 51000, retried: true},
		{code: 51003, retried: true},
		{code: 51010, retried: true},
		{code: 60001, retried: true},
		{code: 40202, retried: true},
		{http: 429, retried: true},
		{http: 502, retried: true},
		{http: 503, retried: true},
		{code: 40102, is: tiktok.ErrToken},
		{code: 40104, is: tiktok.ErrToken},
		{code: 40105, is: tiktok.ErrToken},
		{code: 40107, is: tiktok.ErrToken},
		{code: 40001, is: tiktok.ErrPermission},
		{code: 40003, is: tiktok.ErrPermission},
		{code: 40130, is: tiktok.ErrPermission},
		{code: 40118, is: tiktok.ErrPermission},
		{code: 40301, is: tiktok.ErrPermission},
		{code: 40002},
		{code: 40000},
		{code: 40700},
		{code: 40300},
		{code: 40007, is: tiktok.ErrNotExist},
		{code: 40900, is: tiktok.ErrSignature},
		{code: 40905}, {code: 40906}, {code: 40907}, {code: 40908}, {code: 40909}, {code: 40915},
		{code: 40910, is: tiktok.ErrFileExpired},
	}
	s := standin.New(standin.Options{})
	base := standintest.Start(t, s)
	c := newClient(t, base, s.Token(), nil)
	for _, tc := range tests {
		t.Run(fmt.Sprintf("code%d_http%d", tc.code, tc.http), func(t *testing.T) {
			before := s.Stats().Requests
			s.FailNext("list", tc.code, tc.http)
			_, err := c.ListAudiences(context.Background(), s.Advertiser())
			sent := s.Stats().Requests - before
			if tc.retried {
				if err != nil || sent != 2 {
					t.Fatalf("err = %v after %d requests, want success on the 2nd", err, sent)
				}
				return
			}
			if err == nil || sent != 1 {
				t.Fatalf("err = %v after %d requests, want a stop after 1", err, sent)
			}
			var ae *tiktok.APIError
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.RequestID == "" {
				t.Fatalf("err = %#v, want APIError %d with request_id", err, tc.code)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tc.is)
			}
			msg := err.Error()
			if !strings.HasSuffix(strings.TrimSuffix(msg, ")"), ae.RequestID) || !strings.Contains(msg, fmt.Sprint(tc.code)) {
				t.Fatalf("message %q lacks code or request_id", msg)
			}
			switch {
			case errors.Is(err, tiktok.ErrToken) && !strings.Contains(msg, "tiktok set-token"):
				t.Fatalf("token error does not name the fix: %q", msg)
			case errors.Is(err, tiktok.ErrPermission) && !strings.Contains(msg, "Audience Management scope"):
				t.Fatalf("permission error does not name the scope: %q", msg)
			}
		})
	}
}

// TestRealErrorConditions triggers errors by what the stand-in enforces.
func TestRealErrorConditions(t *testing.T) {
	s := standin.New(standin.Options{ScopelessToken: "no-scope", MaxFileBytes: 65 * 3, ProcessingDelay: time.Hour})
	base := standintest.Start(t, s)
	c := newClient(t, base, s.Token(), nil)
	ctx := context.Background()
	adv := s.Advertiser()
	dir := t.TempDir()
	good, goodMD5 := writeHashFile(t, dir, "good.csv", "g", 2)
	upload := func(c *tiktok.Client, adv, calc, path, sum string) error {
		_, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: adv, CalculateType: calc, Path: path, MD5: sum})
		return err
	}
	code := func(err error) int {
		var ae *tiktok.APIError
		if errors.As(err, &ae) {
			return ae.Code
		}
		return -1
	}
	upper, upperMD5 := writeFile(t, dir, "upper.csv", strings.ToUpper(hashOf("x"))+"\n")
	raw, rawMD5 := writeFile(t, dir, "raw.csv", "jane@example.com\n")
	empty, emptyMD5 := writeFile(t, dir, "empty.csv", "")
	big, bigMD5 := writeHashFile(t, dir, "big.csv", "big", 4)
	multi, multiMD5 := writeFile(t, dir, "multi.csv", "Email_SHA256,Phone_SHA256\n"+hashOf("a")+","+hashOf("b")+"\n")

	tests := []struct {
		name string
		err  error
		want int
	}{
		{"wrong token", upload(newClient(t, base, "wrong-token", nil), adv, tiktok.EmailSHA256, good, goodMD5), 40105},
		{"token without scope", upload(newClient(t, base, "no-scope", nil), adv, tiktok.EmailSHA256, good, goodMD5), 40001},
		{"unknown advertiser", upload(c, "123", tiktok.EmailSHA256, good, goodMD5), 40300},
		{"uppercase hex", upload(c, adv, tiktok.EmailSHA256, upper, upperMD5), 40915},
		{"raw identifier", upload(c, adv, tiktok.EmailSHA256, raw, rawMD5), 40915},
		{"empty file", upload(c, adv, tiktok.EmailSHA256, empty, emptyMD5), 40906},
		{"too large", upload(c, adv, tiktok.EmailSHA256, big, bigMD5), 40907},
		{"header under single type", upload(c, adv, tiktok.EmailSHA256, multi, multiMD5), 40909},
		{"single type under MULTIPLE_TYPES", upload(c, adv, tiktok.MultipleTypes, good, goodMD5), 40909},
		{"bad calculate_type", upload(c, adv, "EMAIL", good, goodMD5), 40002},
	}
	for _, tc := range tests {
		if got := code(tc.err); got != tc.want {
			t.Errorf("%s: code %d (%v), want %d", tc.name, got, tc.err, tc.want)
		}
	}
	if err := upload(c, adv, tiktok.MultipleTypes, multi, multiMD5); err != nil {
		t.Errorf("valid MULTIPLE_TYPES upload: %v", err)
	}

	// A declared MD5 the file on disk does not have is never replaced by
	// one recomputed from disk and sent again (issue 9 item 12): the file
	// is not what was checked.
	before := s.Stats()
	if err := upload(c, adv, tiktok.EmailSHA256, good, strings.Repeat("0", 32)); !errors.Is(err, tiktok.ErrSignature) || !strings.Contains(err.Error(), "transform the list again") {
		t.Errorf("upload with stale MD5 = %v, want a signature error saying to transform again", err)
	}
	if after := s.Stats(); after.Uploads != before.Uploads || after.Requests != before.Requests+1 {
		t.Errorf("stale MD5: %d accepted, %d sent; want 0 and 1", after.Uploads-before.Uploads, after.Requests-before.Requests)
	}

	// Update rules, 40007, 40905, 40910.
	fp, _ := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: adv, CalculateType: tiktok.EmailSHA256, Path: good, MD5: goodMD5})
	id, err := c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: adv, Name: "small", FilePaths: []string{fp}, CalculateType: tiktok.EmailSHA256})
	if err != nil {
		t.Fatal(err)
	}
	err = c.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: adv, AudienceID: id, FilePaths: []string{fp}, Action: tiktok.ActionAppend})
	if code(err) != 40002 || !strings.Contains(err.Error(), "1,000") {
		t.Errorf("APPEND leaving < 1,000 users = %v, want 40002", err)
	}
	err = c.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: adv, AudienceID: "999", FilePaths: []string{fp}, Action: tiktok.ActionAppend})
	if !errors.Is(err, tiktok.ErrNotExist) {
		t.Errorf("update of unknown audience = %v, want ErrNotExist", err)
	}
	_, err = c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: adv, Name: "x", FilePaths: []string{"AAAAAAAAAAAAAAAA"}, CalculateType: tiktok.EmailSHA256})
	if code(err) != 40905 {
		t.Errorf("create with unknown file_path = %v, want 40905", err)
	}
	s.ExpireFilePaths()
	_, err = c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: adv, Name: "x", FilePaths: []string{fp}, CalculateType: tiktok.EmailSHA256})
	if !errors.Is(err, tiktok.ErrFileExpired) {
		t.Errorf("create with expired file_path = %v, want ErrFileExpired", err)
	}

}

func TestReplaceInProgress(t *testing.T) {
	s := standin.New(standin.Options{ProcessingDelay: time.Hour})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil)
	ctx := context.Background()
	adv := s.Advertiser()
	dir := t.TempDir()
	var fps []string
	for i := 0; i < 3; i++ {
		p, m := writeHashFile(t, dir, fmt.Sprintf("r%d.csv", i), fmt.Sprint("r", i), 1100)
		fp, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: adv, CalculateType: tiktok.EmailSHA256, Path: p, MD5: m})
		if err != nil {
			t.Fatal(err)
		}
		fps = append(fps, fp)
	}
	id, err := c.CreateAudience(ctx, tiktok.CreateRequest{AdvertiserID: adv, Name: "r", FilePaths: fps[:1], CalculateType: tiktok.EmailSHA256})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: adv, AudienceID: id, FilePaths: fps[1:2], Action: tiktok.ActionReplace}); err != nil {
		t.Fatal(err)
	}
	err = c.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: adv, AudienceID: id, FilePaths: fps[2:3], Action: tiktok.ActionReplace})
	var ae *tiktok.APIError
	if !errors.As(err, &ae) || ae.Code != 40002 || !strings.Contains(ae.Message, "REPLACE in progress") {
		t.Fatalf("second REPLACE = %v, want 40002 REPLACE in progress", err)
	}
	// APPEND is still allowed, REMOVE below 1,000 is not.
	if err := c.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: adv, AudienceID: id, FilePaths: fps[2:3], Action: tiktok.ActionAppend}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateAudience(ctx, tiktok.UpdateRequest{AdvertiserID: adv, AudienceID: id, FilePaths: fps[1:3], Action: tiktok.ActionRemove}); err == nil {
		t.Fatal("REMOVE leaving 0 users succeeded")
	}
	d, err := c.GetAudience(ctx, adv, id, 10)
	if err != nil || d.Audience.IsValid {
		t.Fatalf("audience should still be calculating: %+v %v", d, err)
	}
}

// TestNonIdempotentOutcomeUnknown: a create that hits a system error or a
// lost response is not resent blindly.
func TestNonIdempotentOutcomeUnknown(t *testing.T) {
	s := standin.New(standin.Options{})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil)
	ctx := context.Background()
	p, m := writeHashFile(t, t.TempDir(), "a.csv", "a", 3)
	fp, err := c.UploadFile(ctx, tiktok.UploadRequest{AdvertiserID: s.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: m})
	if err != nil {
		t.Fatal(err)
	}
	cr := tiktok.CreateRequest{AdvertiserID: s.Advertiser(), Name: "once", FilePaths: []string{fp}, CalculateType: tiktok.EmailSHA256}
	for _, tc := range []struct {
		code, http int
		unknown    bool
	}{{50000, 0, true}, {0, 502, true}, {40100, 0, false}} {
		s.FailNext("create", tc.code, tc.http)
		_, err := c.CreateAudience(ctx, cr)
		if got := errors.Is(err, tiktok.ErrOutcomeUnknown); got != tc.unknown {
			t.Errorf("code %d http %d: err = %v, unknown = %v, want %v", tc.code, tc.http, err, got, tc.unknown)
		}
	}
	// Only the 40100 case was resent and created one audience.
	if n := len(s.Audiences()); n != 1 {
		t.Fatalf("%d audiences, want 1", n)
	}
}

func TestDroppedConnectionAndTimeoutRetried(t *testing.T) {
	s := standin.New(standin.Options{Faults: standin.Faults{DropRate: 0.5, SlowRate: 0.2, SlowDelay: 300 * time.Millisecond}, Seed: 7})
	log := &logSink{}
	c := newClient(t, standintest.Start(t, s), s.Token(), log, func(c *tiktok.Config) { c.RequestTimeout = 100 * time.Millisecond })
	for i := 0; i < 10; i++ {
		if _, err := c.ListAudiences(context.Background(), s.Advertiser()); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
	}
	if s.Stats().Faults == 0 {
		t.Fatal("no fault was injected")
	}
	retries := 0
	for _, e := range log.all() {
		if e.RetryIn > 0 {
			retries++
		}
	}
	if retries == 0 {
		t.Fatal("no retry logged")
	}
}

func TestRetriesBounded(t *testing.T) {
	s := standin.New(standin.Options{Faults: standin.Faults{SystemErrorRate: 1}})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil, func(c *tiktok.Config) { c.MaxAttempts = 4 })
	_, err := c.ListAudiences(context.Background(), s.Advertiser())
	if !errors.Is(err, tiktok.ErrRetriesExhausted) || s.Stats().Requests != 4 {
		t.Fatalf("err = %v after %d requests, want ErrRetriesExhausted after 4", err, s.Stats().Requests)
	}
}

func TestRateLimiterSlowsDownOn40100(t *testing.T) {
	s := standin.New(standin.Options{})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil, func(c *tiktok.Config) { c.QPS = 50 })
	s.FailNext("list", 40100, 0)
	if _, err := c.ListAudiences(context.Background(), s.Advertiser()); err != nil {
		t.Fatal(err)
	}
	// One halving then one additive step back up: below the ceiling.
	if r := c.CurrentRate(); r >= 50 || r < 25 {
		t.Fatalf("rate after a 40100 = %v, want in [25, 50)", r)
	}
	for i := 0; i < 30; i++ {
		if _, err := c.ListAudiences(context.Background(), s.Advertiser()); err != nil {
			t.Fatal(err)
		}
	}
	if r := c.CurrentRate(); r != 50 {
		t.Fatalf("rate after successes = %v, want back at the ceiling 50", r)
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	s := standin.New(standin.Options{Faults: standin.Faults{SystemErrorRate: 1}})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil, func(c *tiktok.Config) {
		c.InitialBackoff, c.MaxBackoff = time.Hour, time.Hour
		c.MaxRetryTime = 10 * time.Hour
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.Stats().Requests == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := c.ListAudiences(ctx, s.Advertiser())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	token := "SECRET-TOKEN-1234567890"
	// Nothing listens on this port: a transport error, whose text we check.
	c := newClient(t, "http://127.0.0.1:1/open_api/", token, nil, func(c *tiktok.Config) { c.MaxAttempts = 1 })
	_, err := c.ListAudiences(context.Background(), "1")
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("err = %v", err)
	}
	s := standin.New(standin.Options{})
	c = newClient(t, standintest.Start(t, s), token, nil)
	_, err = c.ListAudiences(context.Background(), s.Advertiser())
	if !errors.Is(err, tiktok.ErrToken) || strings.Contains(err.Error(), token) {
		t.Fatalf("err = %v", err)
	}
}

// TestCertificateErrorNotRetried: a TLS verification failure stops at once.
func TestCertificateErrorNotRetried(t *testing.T) {
	srv := httptest.NewTLSServer(standin.New(standin.Options{}))
	defer srv.Close()
	log := &logSink{}
	c := newClient(t, srv.URL+"/open_api/", "tok", log)
	_, err := c.ListAudiences(context.Background(), "1")
	if err == nil || errors.Is(err, tiktok.ErrRetriesExhausted) {
		t.Fatalf("err = %v, want a certificate error without retries", err)
	}
	if n := len(log.all()); n != 1 {
		t.Fatalf("%d attempts logged, want 1", n)
	}
}

// TestSignatureReuploadOnceThenStop: 40900 twice is an error after exactly
// two uploads.
func TestSignatureReuploadOnceThenStop(t *testing.T) {
	s := standin.New(standin.Options{})
	c := newClient(t, standintest.Start(t, s), s.Token(), nil)
	p, m := writeHashFile(t, t.TempDir(), "a.csv", "a", 3)
	s.FailNext("upload", 40900, 0)
	s.FailNext("upload", 40900, 0)
	_, err := c.UploadFile(context.Background(), tiktok.UploadRequest{AdvertiserID: s.Advertiser(), CalculateType: tiktok.EmailSHA256, Path: p, MD5: m})
	if !errors.Is(err, tiktok.ErrSignature) || s.Stats().Requests != 2 {
		t.Fatalf("err = %v after %d requests, want ErrSignature after 2", err, s.Stats().Requests)
	}
}
