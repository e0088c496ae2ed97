package syncs

import (
	"errors"
	"fmt"
	"math"
)

// DefaultMaxRemovals is the share of an audience's people (percent) a run
// may remove without being told to: a missing part, a failed export or a
// filter typo shrinks the list, and must not shrink a live audience.
const DefaultMaxRemovals = 10.0

// Removals is the plan's removal guard: how many of the audience's people
// the run takes out, and whether that is more than the sync allows.
type Removals struct {
	Removing int64   `json:"removing"` // people the run takes out of the audience
	Of       int64   `json:"of"`       // people in it from this sync before the run
	Percent  float64 `json:"percent"`  // Removing as a share of Of
	Limit    float64 `json:"limit"`    // the most this run may remove, percent
	Over     bool    `json:"over"`     // Percent > Limit: the run stops unless allowed
	Warning  string  `json:"warning,omitempty"`
}

// RemovalShare is how many people the plan removes from the audience and
// out of how many it held from this sync (0, 0 when nothing is known of it:
// a new audience, or no record). A REPLACE without a trusted record removes
// at least the difference in size from what the sync last put in.
func (p *Plan) RemovalShare() (removing, of int64) {
	of = p.AudiencePeople
	if of == 0 {
		of = p.recordPeople
	}
	if of == 0 || p.Mode == ModeAddOnly {
		return 0, 0
	}
	switch p.Action {
	case ActionUpdate, ActionReplace:
		removing = p.RemovePeople
		if shrink := of - p.PeopleNow; shrink > removing {
			removing = shrink
		}
	}
	return removing, of
}

// guardRemovals fills p.Removals against limit (percent).
func (p *Plan) guardRemovals(limit float64) {
	removing, of := p.RemovalShare()
	if removing == 0 || of == 0 {
		p.Removals = nil
		return
	}
	r := &Removals{Removing: removing, Of: of, Percent: 100 * float64(removing) / float64(of), Limit: limit}
	r.Over = r.Percent > limit
	if r.Over {
		r.Warning = fmt.Sprintf("this run would remove %d of the %d people this sync put into audience %s (%s), more than the %s it allows, so nothing was sent. "+
			"Likely causes: a part of the list is missing or half written (a failed export, an unfinished copy), or a filter or mapping changed what the list holds",
			removing, of, p.AudienceID, percent(r.Percent), percent(limit))
	}
	p.Removals = r
}

// AllowPercent is the smallest whole percent that lets these removals through.
func (r *Removals) AllowPercent() float64 { return math.Ceil(r.Percent) }

func percent(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

// removalLimit is what a run may remove: the run's allowance if given,
// else the sync's saved --max-removals, else DefaultMaxRemovals.
func removalLimit(d *Definition, allow *float64) float64 {
	switch {
	case allow != nil:
		return *allow
	case d.MaxRemovals != nil:
		return *d.MaxRemovals
	}
	return DefaultMaxRemovals
}

// RemovalError stops a run that would remove more than it may; nothing
// was sent and the state is as it was.
type RemovalError struct{ Plan *Plan }

func (e *RemovalError) Error() string { return e.Plan.Removals.Warning }

// IsRemovalStop reports whether err is a run stopped by the removal guard.
func IsRemovalStop(err error) bool {
	var r *RemovalError
	return errors.As(err, &r)
}

// RunOptions adjust one run.
type RunOptions struct {
	// AllowRemovals (percent), when set, replaces the sync's limit for this run.
	AllowRemovals *float64
}
