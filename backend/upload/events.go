// Progress events of an upload and its job log.

package upload

import (
	"context"
	"fmt"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/tiktok"
)

// Event kinds sent to a Sink.
const (
	EventStep        = "step"         // Step changed
	EventFileStart   = "file_start"   // a file upload began
	EventFileBytes   = "file_bytes"   // bytes sent of a file (~10/s)
	EventFileDone    = "file_done"    // a file is uploaded (or was already)
	EventRetry       = "retry"        // a request will be retried after Wait
	EventRateLimited = "rate_limited" // waiting because TikTok's rate limit was hit
	EventWarning     = "warning"
	EventAudience    = "audience" // an audience id is known
	EventBatchDone   = "batch_done"
	EventStatus      = "status" // follow-up: Status set
)

// Event is one progress report; fields not relevant to Kind are zero.
type Event struct {
	JobID      string          `json:"job_id"`
	Kind       string          `json:"kind"`
	Time       time.Time       `json:"time"`
	Step       string          `json:"step,omitempty"`
	File       string          `json:"file,omitempty"` // base name
	FileIndex  int             `json:"file_index"`
	Files      int             `json:"files"`
	BytesSent  int64           `json:"bytes_sent,omitempty"`
	BytesTotal int64           `json:"bytes_total,omitempty"`
	Wait       time.Duration   `json:"wait,omitempty"`
	Message    string          `json:"message,omitempty"`
	AudienceID string          `json:"audience_id,omitempty"`
	Status     *AudienceStatus `json:"status,omitempty"`
}

// Sink receives events. Emit must not block for long; it may be called from
// several goroutines.
type Sink interface{ Emit(Event) }

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

func (f SinkFunc) Emit(e Event) { f(e) }

// jobLog is what the job's context reports TikTok exchanges to: every
// request_id goes into the job's log and waits become events.
func (u *Uploader) jobLog(jobID string) func(tiktok.LogEntry) {
	return func(e tiktok.LogEntry) { u.clientLog(jobID, e) }
}

func (u *Uploader) clientLog(jobID string, e tiktok.LogEntry) {
	le := LogEntry{Time: e.Time, Level: "info", Op: e.Op, RequestID: e.RequestID}
	switch {
	case e.RetryIn > 0:
		le.Level = "warn"
		le.Message = fmt.Sprintf("attempt %d failed; retrying in %s", e.Attempt, e.RetryIn.Round(time.Millisecond))
		kind := EventRetry
		if e.RateLimited {
			kind = EventRateLimited
			le.Message = fmt.Sprintf("TikTok rate limit reached; waiting %s", e.RetryIn.Round(time.Millisecond))
		}
		u.emit(Event{JobID: jobID, Kind: kind, Wait: e.RetryIn, Message: e.Op + ": " + le.Message})
	case e.Err != "":
		le.Level = "warn"
		le.Message = fmt.Sprintf("attempt %d: %s", e.Attempt, e.Err)
	default:
		le.Message = fmt.Sprintf("attempt %d: HTTP %d code %d %s (%s)", e.Attempt, e.HTTPStatus, e.Code, e.Message, e.Duration.Round(time.Millisecond))
		if e.Code != 0 || e.HTTPStatus != 200 {
			le.Level = "warn"
		}
	}
	// The log must not fail the upload; a write error is reported as an event.
	if err := u.cfg.Store.addLog(context.Background(), jobID, le); err != nil {
		u.emit(Event{JobID: jobID, Kind: EventWarning, Message: err.Error()})
	}
}

func (u *Uploader) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if u.cfg.Sink != nil {
		u.cfg.Sink.Emit(e)
	}
}

func (u *Uploader) logf(jobID, level, format string, args ...any) {
	_ = u.cfg.Store.addLog(context.Background(), jobID, LogEntry{Time: time.Now(), Level: level, Message: fmt.Sprintf(format, args...)})
}
