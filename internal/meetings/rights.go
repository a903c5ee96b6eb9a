package meetings

import (
	"slices"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
)

// mayWrite enforces the data-dependent meeting rights of DESIGN.md
// section 6. Network members ("create / edit meetings: network_member its
// networks") write only meetings whose every network has their partner as
// a member, so never a meeting of no network (a meeting across networks is
// the region's, or a consultant's, to schedule). The ministry ("create
// meetings: any region (focus groups, bilateral)") writes only the meetings
// of no network it convenes. Other roles pass: the policy table already
// bound them to a region.
func mayWrite(tx store.ReadTx, who principal.Principal, mt *famiv1.Meeting, verb string) error {
	ofNetworks, ofNone := Convenes(who)
	switch {
	case len(mt.GetNetworks()) > 0 && !ofNetworks:
		return errs.NetworkMeeting.With(errs.Error{
			Message:  errs.Sprintf("the ministry may %s only meetings of no network (focus groups, bilateral meetings); %s belongs to %s", verb, orNew(mt.GetName()), mt.GetNetworks()[0]),
			Metadata: map[string]string{"meeting": mt.GetName(), "network": mt.GetNetworks()[0]},
		})
	case len(mt.GetNetworks()) == 0 && !ofNone:
		return errs.NotNetworkMember.With(errs.Error{
			Message:  errs.Sprintf("network members may %s only meetings of networks their partner is a member of, and %s belongs to none", verb, orNew(mt.GetName())),
			Metadata: map[string]string{"meeting": mt.GetName(), "partner": who.Partner},
		})
	}
	if who.Role != principal.NetworkMember {
		return nil
	}
	for _, n := range mt.GetNetworks() {
		member, err := isMember(tx, n, who.Partner)
		if err != nil {
			return err
		}
		if !member {
			return errs.NotNetworkMember.With(errs.Error{
				Message: errs.Sprintf("%s is not a member of %s: network members may %s only meetings of networks their partner is a member of",
					orNone(who.Partner), n, verb),
				Metadata: map[string]string{"meeting": mt.GetName(), "network": n, "partner": who.Partner},
			})
		}
	}
	return nil
}

// Convenes is the part of mayWrite that depends on who asks alone: whether
// they may write meetings of networks (all but the ministry; network
// members only of their partner's networks) and meetings of no network
// (all but network members). The web asks it, beside the rights table, to
// offer only the meetings a user may schedule.
func Convenes(who principal.Principal) (ofNetworks, ofNoNetwork bool) {
	return who.Role != principal.Ministry, who.Role != principal.NetworkMember
}

func orNew(name string) string {
	if name == "" {
		return "the meeting"
	}
	return name
}

// isMember reports whether partner is a member of the network called
// network: not of one that does not exist. A network that cannot be read
// (a damaged record, DATA_LOSS) is an error, not a refusal of the member.
func isMember(tx store.ReadTx, network, partner string) (bool, error) {
	if partner == "" {
		return false, nil
	}
	n := &famiv1.Network{}
	if found, err := store.Find(tx, network, n); err != nil || !found {
		return false, err
	}
	if n.GetLeadPartner() == partner {
		return true, nil
	}
	for _, m := range n.GetMembers() {
		if m.GetPartner() == partner {
			return true, nil
		}
	}
	return false, nil
}

func orNone(partner string) string {
	if partner == "" {
		return "a network member without a partner"
	}
	return partner
}

// The meeting rights of DESIGN.md section 6: "create / edit meetings:
// region_admin own, consultant own, network_member its networks,
// regional_system own"; reads, calendars and feed tokens like the registry
// (the ministry everywhere, the others in their own region). What depends
// on the data is checked in this package: mayWrite (above) for a network
// member's networks and the ministry's meetings of no network;
// RevokeCalendarToken and ListCalendarTokens (tokens.go) for whose feed
// token a caller may revoke or see; SummarizeAttendance (summary.go) for
// the networks a network member reads the attendance of.
var meetingEditors = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}

// meetingConveners are the meeting editors and the ministry, which "may
// convene meetings in any region (focus groups and bilateral meetings with
// beneficiaries, which belong to no network)": mayWrite keeps the ministry
// to the meetings of no network.
var meetingConveners = append(slices.Clone(meetingEditors), principal.Ministry)

// tokenOverseers see and revoke every calendar feed token of their
// region; any other reader only its own (ListCalendarTokens and
// RevokeCalendarToken in tokens.go).
var tokenOverseers = []principal.Role{principal.RegionAdmin}

// Owned declares the calendar feed tokens, whose List gives most readers
// their own only, so that the change feed carries their changes to the
// tokenOverseers alone (auth.Owned).
func Owned() auth.Owned {
	return auth.Owned{string((&famiv1.CalendarToken{}).ProtoReflect().Descriptor().FullName()): tokenOverseers}
}

// Rights are the rows of the rights table for the MeetingService's RPCs.
func Rights() auth.Policy {
	readers := auth.Readers()
	return auth.Policy{
		famiv1.MeetingService_GetMeeting_FullMethodName:            auth.InRegion("name", readers...),
		famiv1.MeetingService_ListMeetings_FullMethodName:          auth.InRegion("parent", readers...),
		famiv1.MeetingService_ListActionItems_FullMethodName:       auth.InRegion("parent", readers...),
		famiv1.MeetingService_SummarizeAttendance_FullMethodName:   auth.InRegion("parent", readers...),
		famiv1.MeetingService_ExportMeetingCalendar_FullMethodName: auth.InRegion("parent", readers...),
		famiv1.MeetingService_CreateMeeting_FullMethodName:         auth.InRegion("parent", meetingConveners...),
		famiv1.MeetingService_UpdateMeeting_FullMethodName:         auth.InRegion("meeting.name", meetingConveners...),
		famiv1.MeetingService_DeleteMeeting_FullMethodName:         auth.InRegion("name", meetingConveners...),
		famiv1.MeetingService_CancelMeeting_FullMethodName:         auth.InRegion("name", meetingConveners...),
		famiv1.MeetingService_RecordAttendance_FullMethodName:      auth.InRegion("name", meetingConveners...),
		famiv1.MeetingService_RecordMinutes_FullMethodName:         auth.InRegion("name", meetingConveners...),
		famiv1.MeetingService_UpdateActionItem_FullMethodName:      auth.InRegion("name", meetingConveners...),
		famiv1.MeetingService_CreateCalendarToken_FullMethodName:   auth.InRegion("parent", readers...),
		famiv1.MeetingService_ListCalendarTokens_FullMethodName:    auth.InRegion("parent", readers...),
		famiv1.MeetingService_RevokeCalendarToken_FullMethodName:   auth.InRegion("name", readers...),
	}
}
