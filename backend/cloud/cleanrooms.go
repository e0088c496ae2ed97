package cloud

import (
	"context"
	"errors"
	"strings"

	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/inputs"
	"github.com/audience-uploader/audience-uploader/backend/jobs"
)

// The AWS Clean Rooms side of Step 1: collaborations, their protected
// queries, and a finished query's result as the s3:// prefix Step 1 already
// opens (InspectFile, discovery, preview, run), with the same credentials
// as the S3 tab.

// CleanRoomsMemberships is what the Clean Rooms tab lists first.
type CleanRoomsMemberships struct {
	Memberships []cleanrooms.Membership `json:"memberships"`
	// Note says, as a sentence, why no membership can give a result ("" when one can).
	Note string `json:"note,omitempty"`
}

// cleanRoomsDetails bounds the GetProtectedQuery calls one listing makes.
const cleanRoomsDetails = 25

func (s *Service) cleanRooms(ctx context.Context) (*cleanrooms.Client, error) {
	cfg, err := s.Auth.AWSConfig(ctx)
	if err != nil {
		return nil, sentence(err, "Then try again.")
	}
	return cleanrooms.New(cfg, cleanrooms.Options{Storage: s.opts}), nil
}

// CleanRoomsMemberships lists the collaborations this identity belongs to.
func (s *Service) CleanRoomsMemberships(ctx context.Context) (CleanRoomsMemberships, error) {
	c, err := s.cleanRooms(ctx)
	if err != nil {
		return CleanRoomsMemberships{}, err
	}
	ms, err := c.Memberships(ctx)
	if err != nil {
		return CleanRoomsMemberships{}, sentence(err, "Then press Refresh.")
	}
	out := CleanRoomsMemberships{Memberships: ms}
	if out.Memberships == nil {
		out.Memberships = []cleanrooms.Membership{}
	}
	if _, err := cleanrooms.Receivers(ms); err != nil {
		out.Note = capitalized(err).Error()
	}
	return out, nil
}

// CleanRoomsQueries lists a membership's protected queries, newest first,
// with status, duration, format and error for the newest ones.
func (s *Service) CleanRoomsQueries(ctx context.Context, membershipID string) ([]cleanrooms.Query, error) {
	c, err := s.cleanRooms(ctx)
	if err != nil {
		return nil, err
	}
	qs, err := c.Queries(ctx, membershipID)
	if err != nil {
		return nil, sentence(err, "Then press Refresh.")
	}
	for i := range qs[:min(len(qs), cleanRoomsDetails)] {
		q, err := c.Query(ctx, membershipID, qs[i].ID)
		if k := cleanrooms.KindOf(err); k == cleanrooms.KindNoReceiver || k == cleanrooms.KindNoLocation {
			continue // listed all the same; picking it says why it cannot be read
		}
		if err != nil {
			return nil, sentence(err, "Then press Refresh.")
		}
		qs[i] = *q
	}
	if qs == nil {
		qs = []cleanrooms.Query{}
	}
	return qs, nil
}

// CleanRoomsResult is a finished query and the s3:// prefix of its parts.
type CleanRoomsResult struct {
	Query cleanrooms.Query `json:"query"`
	URL   string           `json:"url"`
}

// CleanRoomsResult resolves a query (or "latest") to its result's s3://
// address, which Step 1 then opens like a prefix picked in the S3 tab.
func (s *Service) CleanRoomsResult(ctx context.Context, membershipID, queryID string) (CleanRoomsResult, error) {
	c, err := s.cleanRooms(ctx)
	if err != nil {
		return CleanRoomsResult{}, err
	}
	res, err := c.Resolve(ctx, cleanrooms.Scheme+membershipID+"/"+queryID)
	if err != nil {
		return CleanRoomsResult{}, capitalized(err)
	}
	return CleanRoomsResult{Query: *res.Query, URL: res.URL}, nil
}

// cleanRoomsSource opens a cleanrooms://MEMBERSHIP/QUERY result for
// discovery, preview or a run (appsvc.Remote.Source). The source's name is
// the query read ("latest" resolved to its id).
func (s *Service) cleanRoomsSource(ctx context.Context, url string) (inputs.Source, error) {
	c, err := s.cleanRooms(ctx)
	if err != nil {
		return inputs.Source{}, err
	}
	src, _, err := c.Source(ctx, url)
	if err != nil {
		return inputs.Source{}, capitalized(err)
	}
	return src, nil
}

// Origin names the collaboration and protected query a cleanrooms:// input
// reads, for the run's history and report (appsvc.Originer); nil for other
// inputs.
func (s *Service) Origin(ctx context.Context, url string) (*jobs.Origin, error) {
	if !cleanrooms.IsURL(url) {
		return nil, nil
	}
	membershipID, queryID, err := cleanrooms.ParseURL(url)
	if err != nil {
		return nil, err
	}
	c, err := s.cleanRooms(ctx)
	if err != nil {
		return nil, err
	}
	m, err := c.Membership(ctx, membershipID)
	if err != nil {
		return nil, err
	}
	q, err := c.Query(ctx, membershipID, queryID)
	if err != nil {
		return nil, err
	}
	return &jobs.Origin{Kind: "cleanrooms", CollaborationID: m.CollaborationID, CollaborationName: m.CollaborationName,
		MembershipID: membershipID, QueryID: q.ID, ResultURL: q.Location}, nil
}

// capitalized makes a Clean Rooms error, already a sentence that says what
// to do, start with a capital and end with a full stop.
func capitalized(err error) error {
	msg := strings.TrimSpace(err.Error())
	if msg == "" {
		return err
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return errors.New(msg)
}
