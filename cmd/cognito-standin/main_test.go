package main

import "testing"

func TestUserFlag(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{
		{"username=demo,password=Demo-Pass-1!,email=demo@example.com", false},
		{"username=u,password=P-1aaaaa,status=FORCE_CHANGE_PASSWORD,required=name;family_name,mfa-setup=true", false},
		{"username=demo", true},
		{"username=u,password=p,colour=blue", true},
		{"username=u,password=p,mfa-setup=maybe", true},
	} {
		var u userFlags
		err := u.Set(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("Set(%q): err = %v", tc.in, err)
		}
	}
	var u userFlags
	if err := u.Set("username=u,password=P-1aaaaa,required=name;family_name,mfa-setup=true"); err != nil {
		t.Fatal(err)
	}
	if got := u[0]; len(got.RequiredAttributes) != 2 || !got.MFASetupRequired {
		t.Fatalf("parsed %+v", got)
	}
}
