package meta

// Ready reports whether ads can use the audience now (delivery_status 200).
func (a Audience) Ready() bool { return a.DeliveryStatus.Code == 200 }

// StatusSentence says in words where the audience stands, from its
// operation_status and delivery_status codes (spec §6).
func (a Audience) StatusSentence() string {
	op := map[int]string{
		100: "expiring: unused for two years, it will be deleted after 90 more days unused",
		400: "updated with warnings",
		410: "no users uploaded yet",
		411: "the match rate is low",
		412: "many uploaded entries were invalid",
		414: "a replace is in progress",
		415: "the last replace failed",
		441: "still being populated",
		450: "out of date",
		470: "the ad account is inactive",
		471: "flagged by Meta's integrity review, so uploads and edits are blocked",
		500: "Meta reports an error with this audience",
	}
	if s, ok := op[a.OperationStatus.Code]; ok {
		return s
	}
	switch c := a.DeliveryStatus.Code; {
	case c == 200:
		return "ready for use"
	case c == 300:
		return "too small to be used yet"
	case c >= 400:
		return "not usable for delivery (" + a.DeliveryStatus.Description + ")"
	}
	return "status not available yet"
}
