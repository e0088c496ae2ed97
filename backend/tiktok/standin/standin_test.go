package standin_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/tiktok/standin"
)

type envelope struct {
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

func call(t *testing.T, h http.Handler, method, path, token, ctype string, body []byte) envelope {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1/open_api/v1.3/"+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Access-Token", token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var e envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("%s %s: not an envelope: %q", method, path, rec.Body.String())
	}
	if e.RequestID == "" {
		t.Fatalf("%s %s: no request_id", method, path)
	}
	return e
}

func multipartBody(t *testing.T, fields [][2]string, fileName, content string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if fileName != "" {
		w, _ := mw.CreateFormFile("file", fileName)
		io.WriteString(w, content)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha(s string) string    { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func TestStandinRules(t *testing.T) {
	s := standin.New(standin.Options{Advertisers: []string{"A1", "B2"}})
	tok := s.Token()
	content := sha("x") + "\n"
	upload := func(adv string, fields [][2]string, name, content string) envelope {
		body, ct := multipartBody(t, fields, name, content)
		return call(t, s, http.MethodPost, "dmp/custom_audience/file/upload/", tok, ct, body)
	}
	std := [][2]string{{"advertiser_id", "A1"}, {"calculate_type", "EMAIL_SHA256"}, {"file_signature", md5hex(content)}}
	tests := []struct {
		name   string
		fields [][2]string
		file   string
		body   string
		want   int
	}{
		{"ok", std, "a.csv", content, 0},
		{"no signature", std[:2], "a.csv", content, 40002},
		{"file before fields", nil, "a.csv", content, 40002},
		{"wrong extension", std, "a.xlsx", content, 40908},
		{"md5 mismatch", [][2]string{std[0], std[1], {"file_signature", md5hex("other")}}, "a.csv", content, 40900},
		{"trailing space", [][2]string{std[0], std[1], {"file_signature", md5hex(sha("x") + " \n")}}, "a.csv", sha("x") + " \n", 40915},
		{"too many header columns", [][2]string{std[0], {"calculate_type", "MULTIPLE_TYPES"}, {"file_signature", md5hex("Email_SHA256,Email_SHA256,Email_SHA256,Email_SHA256\n")}}, "a.csv", "Email_SHA256,Email_SHA256,Email_SHA256,Email_SHA256\n", 40909},
		{"row width", [][2]string{std[0], {"calculate_type", "MULTIPLE_TYPES"}, {"file_signature", md5hex("Email_SHA256,Phone_SHA256\n" + sha("a") + "\n")}}, "a.csv", "Email_SHA256,Phone_SHA256\n" + sha("a") + "\n", 40915},
		{"combined header as TikTok publishes it", [][2]string{std[0], {"calculate_type", "MULTIPLE_TYPES"}, {"file_signature", md5hex("Email_SHA256,Phone_SHA256,MAID_SHA256\n" + sha("a") + ",,\n")}}, "a.csv", "Email_SHA256,Phone_SHA256,MAID_SHA256\n" + sha("a") + ",,\n", 0},
		{"combined header not spelled as TikTok publishes it", [][2]string{std[0], {"calculate_type", "MULTIPLE_TYPES"}, {"file_signature", md5hex("email_SHA256,phone_SHA256\n" + sha("a") + ",\n")}}, "a.csv", "email_SHA256,phone_SHA256\n" + sha("a") + ",\n", 40909},
	}
	var fp string
	for _, tc := range tests {
		e := upload("A1", tc.fields, tc.file, tc.body)
		if e.Code != tc.want {
			t.Errorf("%s: code %d %q, want %d", tc.name, e.Code, e.Message, tc.want)
		}
		if tc.name == "ok" {
			var d struct {
				FilePath string `json:"file_path"`
			}
			json.Unmarshal(e.Data, &d)
			fp = d.FilePath
		}
	}
	if len(fp) != 16 {
		t.Fatalf("file_path %q", fp)
	}
	create := func(adv string) envelope {
		b, _ := json.Marshal(map[string]any{"advertiser_id": adv, "custom_audience_name": "n", "file_paths": []string{fp}, "calculate_type": "EMAIL_SHA256"})
		return call(t, s, http.MethodPost, "dmp/custom_audience/create/", tok, "application/json", b)
	}
	// A file path belongs to the advertiser that uploaded it.
	if e := create("B2"); e.Code != 40905 {
		t.Errorf("file path of another advertiser: code %d", e.Code)
	}
	if e := create("C3"); e.Code != 40300 {
		t.Errorf("unknown advertiser: code %d", e.Code)
	}
	// advertiser_id is a string in v1.3.
	b, _ := json.Marshal(map[string]any{"advertiser_id": 1, "custom_audience_name": "n", "file_paths": []string{fp}, "calculate_type": "EMAIL_SHA256"})
	if e := call(t, s, http.MethodPost, "dmp/custom_audience/create/", tok, "application/json", b); e.Code != 40002 {
		t.Errorf("numeric advertiser_id: code %d", e.Code)
	}
	if e := create("A1"); e.Code != 0 {
		t.Fatalf("create: %d %s", e.Code, e.Message)
	}
	q := url.Values{"advertiser_id": {"A1"}, "page": {"1"}, "page_size": {"101"}}
	if e := call(t, s, http.MethodGet, "dmp/custom_audience/list/?"+q.Encode(), tok, "", nil); e.Code != 40002 {
		t.Errorf("page_size 101: code %d", e.Code)
	}
	if e := call(t, s, http.MethodGet, "dmp/custom_audience/list/?advertiser_id=A1", "", "", nil); e.Code != 40104 {
		t.Errorf("no token: code %d", e.Code)
	}
	if e := call(t, s, http.MethodPost, "dmp/custom_audience/list/?advertiser_id=A1", tok, "", nil); e.Code == 0 {
		t.Error("POST to list accepted")
	}
	if got := s.Received()[sha("x")]; got != 1 {
		t.Errorf("received count %d, want 1", got)
	}
}

func TestQPSLimitAnswers40100(t *testing.T) {
	s := standin.New(standin.Options{QPS: 2})
	codes := map[int]int{}
	for i := 0; i < 6; i++ {
		codes[call(t, s, http.MethodGet, "dmp/custom_audience/list/?advertiser_id="+s.Advertiser(), s.Token(), "", nil).Code]++
	}
	if codes[0] != 2 || codes[40100] != 4 {
		t.Fatalf("codes %v, want 2 OK then 40100", codes)
	}
}

func TestListenServesAndStops(t *testing.T) {
	s := standin.New(standin.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	base, done, err := s.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + "v1.3/dmp/custom_audience/list/?advertiser_id=" + s.Advertiser())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"code":40104`) {
		t.Fatalf("unauthenticated list answered %s", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The audience is a set of users: a row matches a user through any of its
// identifiers, identifiers that shared a row once are one user, and a test
// may link more.
func TestMembersAreUsersNotRows(t *testing.T) {
	s := standin.New(standin.Options{MatchRate: 1})
	tok, adv := s.Token(), s.Advertiser()
	const header = "Email_SHA256,Phone_SHA256\n"
	fileOf := func(rows []string) string {
		content := header + strings.Join(rows, "\n") + "\n"
		body, ct := multipartBody(t, [][2]string{{"advertiser_id", adv}, {"calculate_type", "MULTIPLE_TYPES"}, {"file_signature", md5hex(content)}}, "a.csv", content)
		e := call(t, s, http.MethodPost, "dmp/custom_audience/file/upload/", tok, ct, body)
		var d struct {
			FilePath string `json:"file_path"`
		}
		if json.Unmarshal(e.Data, &d); e.Code != 0 || d.FilePath == "" {
			t.Fatalf("upload: %d %s", e.Code, e.Message)
		}
		return d.FilePath
	}
	email := func(i int) string { return sha("e" + strconv.Itoa(i)) }
	phone := func(i, v int) string { return sha("p" + strconv.Itoa(i) + "/" + strconv.Itoa(v)) }
	var rows []string
	for i := range 1200 {
		rows = append(rows, email(i)+","+phone(i, 0))
	}
	b, _ := json.Marshal(map[string]any{"advertiser_id": adv, "custom_audience_name": "n", "file_paths": []string{fileOf(rows)}, "calculate_type": "MULTIPLE_TYPES"})
	e := call(t, s, http.MethodPost, "dmp/custom_audience/create/", tok, "application/json", b)
	var c struct {
		ID string `json:"custom_audience_id"`
	}
	json.Unmarshal(e.Data, &c)
	update := func(action string, rows ...string) envelope {
		b, _ := json.Marshal(map[string]any{"advertiser_id": adv, "custom_audience_id": c.ID, "action": action, "file_paths": []string{fileOf(rows)}})
		return call(t, s, http.MethodPost, "dmp/custom_audience/update/", tok, "application/json", b)
	}
	if n := len(s.Members(c.ID)); n != 1200 {
		t.Fatalf("%d users after create, want 1200", n)
	}
	// Person 0's phone changed: appending (email, new phone) adds nobody,
	// and removing (email, old phone) removes the person.
	if e := update("APPEND", email(0)+","+phone(0, 1)); e.Code != 0 || len(s.Members(c.ID)) != 1200 {
		t.Fatalf("append of a known person's new phone: %d %s, %d users", e.Code, e.Message, len(s.Members(c.ID)))
	}
	if got := s.UserIdentifiers(phone(0, 1)); len(got) != 3 {
		t.Fatalf("person 0 has identifiers %v, want email and both phones", got)
	}
	if e := update("REMOVE", ","+phone(0, 0)); e.Code != 0 || len(s.Members(c.ID)) != 1199 {
		t.Fatalf("remove by the old phone alone: %d %s, %d users", e.Code, e.Message, len(s.Members(c.ID)))
	}
	for _, u := range s.Members(c.ID) {
		if u == s.UserOf(email(0)) {
			t.Fatal("person 0 is still a member")
		}
	}
	// A seeded link: removing person 2's email removes person 1 too.
	s.Link(email(1), email(2))
	if e := update("REMOVE", email(2)+","); e.Code != 0 || len(s.Members(c.ID)) != 1197 {
		t.Fatalf("remove through a linked identifier: %d %s, %d users", e.Code, e.Message, len(s.Members(c.ID)))
	}
	// audience/get counts users, not rows.
	q := url.Values{"advertiser_id": {adv}, "custom_audience_ids": {`["` + c.ID + `"]`}}
	g := call(t, s, http.MethodGet, "dmp/custom_audience/get/?"+q.Encode(), tok, "", nil)
	if !strings.Contains(string(g.Data), `"cover_num":1197`) {
		t.Fatalf("get: %s", g.Data)
	}
	// REPLACE sets the users: two rows of one person are one user.
	if e := update("REPLACE", append(rows[10:1100], email(10)+","+phone(10, 7))...); e.Code != 0 || len(s.Members(c.ID)) != 1090 {
		t.Fatalf("replace: %d %s, %d users", e.Code, e.Message, len(s.Members(c.ID)))
	}
}
