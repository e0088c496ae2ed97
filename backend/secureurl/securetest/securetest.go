// Package securetest helps tests prove that a request refused by
// secureurl made no connection: DialLog records every address an HTTP
// transport asks for and connects to one real test server instead, so a
// request that slips through reaches that server (and the test notices)
// even though the host it named does not exist.
package securetest

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// DialLog records dials and sends them all to Target (host:port).
type DialLog struct {
	Target string
	mu     sync.Mutex
	asked  []string
}

// DialContext records addr and connects to Target.
func (d *DialLog) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.Target)
}

// Client is an HTTP client whose every connection goes through the log.
func (d *DialLog) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// Asked is every address dialled so far, in order.
func (d *DialLog) Asked() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked...)
}

// Dialed reports whether a connection to host (any port) was asked for.
func (d *DialLog) Dialed(host string) bool {
	for _, a := range d.Asked() {
		if h, _, err := net.SplitHostPort(a); err == nil && h == host {
			return true
		}
	}
	return false
}
