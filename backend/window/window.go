// Package window is what every app service (appsvc, appupload,
// appaudiences, appsyncs, cloud) shares about the desktop window without
// importing Wails: the events it is sent and how an error is worded for it.
package window

import (
	"errors"
	"fmt"
	"strings"
)

// Events sends named events to the window (runtime.EventsEmit in the app;
// tests record them).
type Events interface {
	Emit(name string, data any)
}

// Sentence makes err read as a sentence that ends with what to do: a
// capital first letter, a full stop, then todo.
func Sentence(err error, todo string) error {
	msg := strings.TrimSpace(err.Error())
	if msg == "" {
		return errors.New(todo)
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return fmt.Errorf("%s %s", msg, todo)
}
