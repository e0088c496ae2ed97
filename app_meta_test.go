package main

import (
	"strings"
	"testing"

	"github.com/audience-uploader/audience-uploader/backend/meta"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin"
	"github.com/audience-uploader/audience-uploader/backend/meta/standin/standintest"
)

// The frontend's api/meta.ts calls exactly these.
var metaBoundMethods = []string{"CancelMetaUpload", "DeleteMetaToken", "IsMetaUploading", "MetaAudienceStatus", "MetaState", "MetaUploadJobs", "ResumeMetaUpload", "SaveMetaToken", "StartMetaUpload", "TestMetaConnection"}

// TestMetaBindings: the Meta card's calls reach the stand-in with the
// account saved through SaveSettings and the token through the keychain
// (the card's behaviour is tested in backend/appsvc).
func TestMetaBindings(t *testing.T) {
	a, _ := testApp(t)
	sv := standin.New(standin.Options{})
	t.Setenv(meta.EnvBaseURL, standintest.Start(t, sv))
	t.Setenv(meta.EnvToken, "")
	s := a.GetSettings()
	s.Meta.AdAccount = sv.AdAccount()
	if _, err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if st := a.MetaState(); st.Ready {
		t.Fatalf("ready without a token: %+v", st)
	}
	if err := a.SaveMetaToken(sv.AdAccount(), sv.Token()); err != nil {
		t.Fatal(err)
	}
	if st := a.MetaState(); !st.Ready || !st.TokenSaved || strings.Contains(st.BaseURL, sv.Token()) {
		t.Fatalf("state %+v", st)
	}
	got, err := a.TestMetaConnection()
	if err != nil || !got.TermsAccepted {
		t.Fatalf("test %+v %v", got, err)
	}
	if err := a.DeleteMetaToken(sv.AdAccount()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TestMetaConnection(); err == nil {
		t.Fatal("connected without a token")
	}
}
