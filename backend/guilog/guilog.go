// Package guilog keeps what the window sends to Go out of the desktop app's
// logs. Wails v2 writes a failed call's whole message, arguments included,
// to its logger ("process message error: C{…"args":[…]…} -> <error>" in
// internal/frontend/dispatcher), its frontend then logs the error text once
// more, and at trace level it logs every call's result. A password, a new
// password, an app client secret or a TikTok token typed into the window
// would land on stderr. Logger is the Wails logger that never writes them;
// Recover turns a panic in a bound method into an ordinary error whose log
// line names the method only.
package guilog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// dispatchFailure is how Wails' dispatcher starts the line it logs when a
// message from the window fails (a panic, bad arguments, an unknown method).
const dispatchFailure = "process message error: "

// rememberedErrors bounds the error texts kept to recognise Wails' repeat.
const rememberedErrors = 32

// Logger is a Wails logger (options.App.Logger) that writes to out, except
// what a call from the window carried: its arguments, its error text and
// its result are never written.
type Logger struct {
	mu       sync.Mutex
	out      io.Writer
	withheld []string // error texts of failed calls, which Wails logs a second time
}

// New returns a Logger writing one line per message to out.
func New(out io.Writer) *Logger { return &Logger{out: out} }

func (l *Logger) Print(message string) { l.write("", message) }

// Trace is never written: at that level Wails logs every call's result.
func (l *Logger) Trace(string) {}

func (l *Logger) Debug(message string)   { l.write("DEB", message) }
func (l *Logger) Info(message string)    { l.write("INF", message) }
func (l *Logger) Warning(message string) { l.write("WRN", message) }
func (l *Logger) Error(message string)   { l.write("ERR", message) }
func (l *Logger) Fatal(message string)   { l.write("FTL", message) }

func (l *Logger) write(level, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	message, ok := l.redactLocked(message)
	if !ok {
		return
	}
	if level != "" {
		message = level + " | " + message
	}
	fmt.Fprintln(l.out, message)
}

// redactLocked returns what may be written for message, or false when
// nothing may.
func (l *Logger) redactLocked(message string) (string, bool) {
	if rest, ok := strings.CutPrefix(message, dispatchFailure); ok {
		name, errText := parseFailure(rest)
		if errText != "" {
			l.withheld = append(l.withheld, errText)
			if len(l.withheld) > rememberedErrors {
				l.withheld = l.withheld[1:]
			}
		}
		return fmt.Sprintf("A call from the window to %s failed; its arguments and error are not logged, as they may hold what was typed.", name), true
	}
	for i, w := range l.withheld {
		if message == w {
			// The frontend's repeat of an error already reported without it.
			l.withheld = append(l.withheld[:i], l.withheld[i+1:]...)
			return "", false
		}
	}
	if strings.Contains(message, `"args"`) {
		return "A message carrying a call's arguments was not logged.", true
	}
	return message, true
}

// parseFailure reads the dispatcher's "<message> -> <error>": the bound
// method's name (or what kind of message it was) and the error text.
func parseFailure(rest string) (name, errText string) {
	name = "Go"
	if rest == "" {
		return name, ""
	}
	kind, body := rest[0], rest[1:]
	switch kind {
	case 'C', 'c':
		name = "a bound method"
	case 'E':
		name = "an event"
	default:
		name = fmt.Sprintf("a %q message", kind)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	var call struct {
		Name string `json:"name"` // plain calls
		ID   *int   `json:"id"`   // obfuscated calls
	}
	if err := dec.Decode(&call); err != nil {
		// Not JSON we can step over: the error's end is unknown, keep nothing.
		return name, ""
	}
	switch {
	case (kind == 'C' || kind == 'c') && call.Name != "" && safeName(call.Name):
		name = call.Name
	case kind == 'c' && call.ID != nil:
		name = fmt.Sprintf("bound method #%d", *call.ID)
	}
	tail := body[dec.InputOffset():]
	if _, errText, ok := strings.Cut(tail, " -> "); ok {
		return name, errText
	}
	return name, ""
}

// safeName accepts a Go method path such as "main.App.SignIn" only.
func safeName(s string) bool {
	if len(s) > 200 {
		return false
	}
	for _, r := range s {
		if !(r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Recover, deferred at the top of a bound method, turns a panic into an
// ordinary error that names the method and nothing it was given. The log
// line has the method, the kind of panic and the goroutine's stack: Go's
// stack traces show arguments as machine words (pointers, lengths), never
// string contents. A panic's own message is written only for the runtime's
// errors (nil pointer, index out of range), which carry no user data.
// With err nil (a method without an error result) the sanitized error is
// raised again as the panic, so Wails reports a failure instead of a zero
// result.
func Recover(logf func(format string, args ...any), method string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	logf("%s stopped on an internal error (%s); what it was given is not logged.\n%s", method, Describe(r), Stack())
	failure := fmt.Errorf("%s stopped on an internal error (a bug in Audience Uploader): try again, and if it happens again, report it with the app's log", method)
	if err == nil {
		panic(failure)
	}
	*err = failure
}

// Describe says what a recovered panic value was without its contents,
// unless it is one of the runtime's own errors.
func Describe(r any) string {
	if re, ok := r.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("a panic of type %T", r)
}

// Stack is the current goroutine's stack without its first frames (the
// runtime's and this package's), for a line after a recovered panic.
func Stack() string {
	s := debug.Stack()
	// The frames from the panic on are the useful ones.
	if i := bytes.Index(s, []byte("\npanic(")); i >= 0 {
		if j := bytes.IndexByte(s[:i], '\n'); j >= 0 {
			return string(s[:j+1]) + string(s[i+1:])
		}
	}
	return string(s)
}
