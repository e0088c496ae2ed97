package syncs_test

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// child is a sync run in another process: this test binary started with
// SYNC_TEST_CHILD (kind "1" for TikTok, "meta" for Meta; see TestMain),
// so a test can kill it with SIGKILL at a chosen point.
type child struct {
	cmd    *exec.Cmd
	done   chan error
	stderr strings.Builder
	err    error // how it ended, once ended
}

// startChild runs sync name of folder dir against the stand-in at base
// (token) with the upload state or journal at state.
func startChild(t *testing.T, kind, dir, base, token, state, name string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$"), done: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), "SYNC_TEST_CHILD="+kind, "SYNC_TEST_DIR="+dir, "SYNC_TEST_BASE="+base,
		"SYNC_TEST_TOKEN="+token, "SYNC_TEST_STATE="+state, "SYNC_TEST_NAME="+name)
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	return c
}

// killWhen waits until reached() (polled every millisecond) and kills the
// child, settle() first (to land inside an answer); it reports whether
// the child ended by itself before. No point within a minute fails the
// test with what() said.
func (c *child) killWhen(t *testing.T, reached func() bool, what func() string, settle func()) (finished bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !reached(); {
		select {
		case c.err = <-c.done:
			return true
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
		time.Sleep(time.Millisecond)
	}
	if settle != nil {
		settle()
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.err = <-c.done
	return false
}
