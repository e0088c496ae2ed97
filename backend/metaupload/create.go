package metaupload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/audience-uploader/audience-uploader/backend/meta"
)

// Marker is the description a job's audience is created with: it is how
// an unclear create's audience is recognised as this job's.
func Marker(jobID string) string { return "Audience Uploader job " + jobID }

// createAttempts bounds the creates tried while each outcome is unknown.
const createAttempts = 5

// ensureAudience creates the job's audience exactly once. Before the first
// attempt the ids of the account's audiences of that name are journaled;
// after an unclear attempt (or a killed run) an audience of that name is
// adopted only if it is not one of them, carries this job's marker, is not
// another job's, and was made after the first attempt began.
func (r *run) ensureAudience(ctx context.Context) error {
	wait := 2 * time.Second
	for attempt := 1; ; attempt++ {
		if !r.job.createStartedAt.IsZero() {
			id, err := r.findCreated(ctx)
			if err != nil {
				return err
			}
			if id != "" {
				r.u.logf("info", "job %s: audience %s was created by an earlier attempt; not creating another", r.job.id, id)
				return r.adopt(ctx, id)
			}
		} else {
			named, err := r.sameNamed(ctx)
			if err != nil {
				return err
			}
			ids := make([]string, 0, len(named))
			for _, a := range named {
				ids = append(ids, a.ID)
			}
			at := r.u.cfg.Now().UTC()
			if err := r.u.cfg.Store.setCreateStarted(ctx, r.job.id, at, ids); err != nil {
				return err
			}
			r.job.createStartedAt, r.job.existing = at, ids
		}
		id, err := r.u.cfg.Client.CreateAudience(ctx, r.job.name, Marker(r.job.id))
		if err == nil {
			return r.adopt(ctx, id)
		}
		var unknown *meta.UnknownOutcomeError
		if !errors.As(err, &unknown) {
			if ctx.Err() != nil {
				return ctx.Err() // killed: the next run looks before creating
			}
			// Refused outright: nothing was made, so nothing made later
			// under that name may be taken for ours.
			if serr := r.u.cfg.Store.setCreateStarted(ctx, r.job.id, time.Time{}, nil); serr != nil {
				return serr
			}
			r.job.createStartedAt, r.job.existing = time.Time{}, nil
			return fmt.Errorf("job %s: creating audience %q: %w", r.job.id, r.job.name, err)
		}
		if attempt >= createAttempts {
			return fmt.Errorf("job %s: creating audience %q: gave up after %d attempts without an answer: %w", r.job.id, r.job.name, attempt, err)
		}
		r.u.logf("warn", "job %s: no answer to creating the audience; looking for it before trying again", r.job.id)
		if err := r.u.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}

func (r *run) adopt(ctx context.Context, id string) error {
	if err := r.u.cfg.Store.setAudienceID(ctx, r.job.id, id); err != nil {
		return err
	}
	r.job.audienceID = id
	r.u.logf("info", "job %s: audience %s belongs to this job", r.job.id, id)
	return nil
}

func (r *run) sameNamed(ctx context.Context) ([]meta.Audience, error) {
	all, err := r.u.cfg.Client.ListAudiences(ctx)
	if err != nil {
		return nil, fmt.Errorf("job %s: listing the audiences named %q: %w", r.job.id, r.job.name, err)
	}
	var out []meta.Audience
	for _, a := range all {
		if a.Name == r.job.name {
			out = append(out, a)
		}
	}
	return out, nil
}

// findCreated returns the audience an earlier unclear create made, or "".
func (r *run) findCreated(ctx context.Context) (string, error) {
	named, err := r.sameNamed(ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, a := range named {
		if slices.Contains(r.job.existing, a.ID) || a.Description != Marker(r.job.id) {
			continue
		}
		// time_created has whole seconds; the first attempt began no later.
		if !a.Created.IsZero() && a.Created.Before(r.job.createStartedAt.Truncate(time.Second)) {
			continue
		}
		claimed, err := r.u.cfg.Store.claimed(ctx, r.job.id, a.ID)
		if err != nil {
			return "", err
		}
		if !claimed {
			found = append(found, a.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("job %s: %d new audiences named %q carry this job's mark (%v); delete the extra ones in Ads Manager and resume",
		r.job.id, len(found), r.job.name, found)
}
