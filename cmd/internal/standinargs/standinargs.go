// Package standinargs holds the rules both stand-in commands (cmd/tiktok-standin,
// cmd/cognito-standin) follow: they listen on loopback only, and they take
// secrets from the environment or a file, never from the command line,
// which every user of the machine can read (ps, /proc/PID/cmdline).
package standinargs

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
)

// CheckLoopback refuses a listen host that is not loopback: the stand-ins
// accept made-up secrets and are for local tests only.
func CheckLoopback(host string) error {
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q is not a loopback address: the stand-in is for local tests only, use 127.0.0.1 or ::1", host)
	}
	return nil
}

// CheckListenAddr is CheckLoopback for a host:port address.
func CheckListenAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("the listen address %q is not host:port: %w", addr, err)
	}
	return CheckLoopback(host)
}

// Secret reads a secret from file ("-": standard input; its first line)
// when file is set, else from the environment variable env, else def.
func Secret(env, file, def string) (string, error) {
	if file != "" {
		var data []byte
		var err error
		if file == "-" {
			data, err = readFirstLine(os.Stdin)
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return "", fmt.Errorf("reading a secret from %s: %w", file, err)
		}
		return strings.TrimRight(string(data), "\r\n"), nil
	}
	if v, ok := os.LookupEnv(env); ok {
		return v, nil
	}
	return def, nil
}

func readFirstLine(f *os.File) ([]byte, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := f.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return line, nil
			}
			line = append(line, b[0])
		}
		if err != nil {
			if len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
	}
}

// Refused lists flags that used to carry a secret: given one, the command
// stops and says where the secret goes instead. The value is never echoed
// (the flag package would repeat an invalid value in its error).
type Refused struct{ given []string }

// Add defines the refused flag name on fs.
func (r *Refused) Add(fs *flag.FlagSet, name, instead string) {
	fs.Func(name, "not accepted: "+instead, func(string) error {
		r.given = append(r.given, fmt.Sprintf("--%s is not accepted: a secret on the command line is visible to every user of this machine; %s", name, instead))
		return nil
	})
}

// Err is the first refused flag given, nil when none was.
func (r *Refused) Err() error {
	if len(r.given) == 0 {
		return nil
	}
	return errors.New(r.given[0])
}
