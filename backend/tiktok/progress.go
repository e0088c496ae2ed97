package tiktok

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// progressGuard ends an upload attempt that stopped moving, instead of
// giving it a deadline that a slow but steady link would miss. While the
// body is being sent, the attempt may go stallTimeout without the
// connection taking a byte of it (the transport reads the body only as
// fast as the socket drains, so reads track bytes handed to the network);
// once the last byte is taken, TikTok has answerTimeout to answer.
type progressGuard struct {
	stallTimeout, answerTimeout time.Duration
	total                       int64
	cancel                      context.CancelCauseFunc

	mu    sync.Mutex
	timer *time.Timer
	sent  int64
	done  bool // the whole body was taken
}

func newProgressGuard(stallTimeout, answerTimeout time.Duration, total int64, cancel context.CancelCauseFunc) *progressGuard {
	g := &progressGuard{stallTimeout: stallTimeout, answerTimeout: answerTimeout, total: total, cancel: cancel}
	g.mu.Lock()
	defer g.mu.Unlock()
	if total == 0 {
		g.done = true
		g.timer = time.AfterFunc(answerTimeout, g.fire)
	} else {
		g.timer = time.AfterFunc(stallTimeout, g.fire)
	}
	return g
}

// watch wraps the request body so every read counts as progress.
func (g *progressGuard) watch(body io.ReadCloser) io.ReadCloser {
	return &watchedBody{ReadCloser: body, g: g}
}

func (g *progressGuard) progress(n int, eof bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done {
		return
	}
	g.sent += int64(n)
	if eof || g.sent >= g.total {
		g.done = true
		g.timer.Reset(g.answerTimeout)
		return
	}
	if n > 0 {
		g.timer.Reset(g.stallTimeout)
	}
}

func (g *progressGuard) fire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done {
		g.cancel(fmt.Errorf("%w: TikTok did not answer within %s after the whole request (%d bytes) was sent", ErrStalled, g.answerTimeout, g.total))
		return
	}
	g.cancel(fmt.Errorf("%w: the connection took no byte of the request for %s (%d of %d bytes sent)", ErrStalled, g.stallTimeout, g.sent, g.total))
}

func (g *progressGuard) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.timer.Stop()
}

type watchedBody struct {
	io.ReadCloser
	g *progressGuard
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	w.g.progress(n, err == io.EOF)
	return n, err
}
