package main

import (
	"github.com/audience-uploader/audience-uploader/backend/cleanrooms"
	"github.com/audience-uploader/audience-uploader/backend/cloud"
	"github.com/audience-uploader/audience-uploader/backend/guilog"
)

// AWS Clean Rooms for Step 1: thin hand-offs to backend/cloud, with the
// same credentials as the S3 tab. A picked result is an s3:// prefix that
// Step 1 opens as it opens one picked in the S3 tab.

// CleanRoomsMemberships lists the collaborations this AWS identity is in.
func (a *App) CleanRoomsMemberships() (_ cloud.CleanRoomsMemberships, err error) {
	defer guilog.Recover(a.log.Printf, "CleanRoomsMemberships", &err)
	return a.cloud.CleanRoomsMemberships(a.ctx)
}

// CleanRoomsQueries lists a membership's protected queries, newest first.
func (a *App) CleanRoomsQueries(membershipID string) (_ []cleanrooms.Query, err error) {
	defer guilog.Recover(a.log.Printf, "CleanRoomsQueries", &err)
	return a.cloud.CleanRoomsQueries(a.ctx, membershipID)
}

// CleanRoomsResult resolves a finished query (or "latest") to its result's
// s3:// prefix.
func (a *App) CleanRoomsResult(membershipID, queryID string) (_ cloud.CleanRoomsResult, err error) {
	defer guilog.Recover(a.log.Printf, "CleanRoomsResult", &err)
	return a.cloud.CleanRoomsResult(a.ctx, membershipID, queryID)
}
