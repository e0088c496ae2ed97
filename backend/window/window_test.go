package window

import (
	"errors"
	"testing"
)

func TestSentence(t *testing.T) {
	for _, c := range []struct{ err, want string }{
		{"the file is gone", "The file is gone. Choose it again."},
		{"The file is gone.", "The file is gone. Choose it again."},
		{"Denied!", "Denied! Choose it again."},
		{"  ", "Choose it again."},
	} {
		if got := Sentence(errors.New(c.err), "Choose it again.").Error(); got != c.want {
			t.Errorf("Sentence(%q) = %q, want %q", c.err, got, c.want)
		}
	}
}
