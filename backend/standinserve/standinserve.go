// Package standinserve starts a stand-in's HTTP handler on a TCP address and
// stops it when a context ends: the one start-up the TikTok, Meta, Cognito
// and Clean Rooms stand-ins share, in tests (Serve) and as commands (Run:
// cmd/*-standin and the e2e scripts' e2e/*standin).
package standinserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownGrace is how long requests in flight get to finish once the
// context ends; then their connections are closed (a stalled upload in the
// TikTok stand-in would otherwise hold the shutdown for its whole stall).
const shutdownGrace = 2 * time.Second

// Serve listens on addr ("127.0.0.1:0" for a free port) and serves handler
// until ctx ends. It returns the server's URL ("http://host:port") and a
// channel that receives nil once the server has stopped after ctx ended, or
// the error that stopped it before.
func Serve(ctx context.Context, addr string, handler http.Handler) (string, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if srv.Shutdown(shut) != nil {
			srv.Close()
		}
	}()
	return "http://" + ln.Addr().String(), done, nil
}

// Run serves handler on addr until the process gets SIGINT or SIGTERM, as
// a stand-in command does. listening gets the server's URL once it
// listens: the command prints its base URL there, the first line a script
// reads. Run returns nil after the signal, or what stopped the server
// before.
func Run(addr string, handler http.Handler, listening func(url string)) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	url, done, err := Serve(ctx, addr, handler)
	if err != nil {
		return err
	}
	listening(url)
	return <-done
}
