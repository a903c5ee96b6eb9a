package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/sdk"
)

// newMeetingCmd is "famictl meeting": one subcommand per method of the
// meeting service.
func newMeetingCmd(a *app) *cobra.Command {
	return group("meeting", "Meetings: schedule, attendance, minutes, action items, summaries, calendars",
		meetingCreateCmd(a), meetingGetCmd(a), meetingListCmd(a), meetingCancelCmd(a), meetingAttendanceCmd(a),
		meetingMinutesCmd(a), meetingSummaryCmd(a), meetingCalendarCmd(a),
		group("actions", "Action items decided in meetings", actionListCmd(a), actionSetCmd(a)))
}

// meetingRes is a meeting, as its commands name it.
var meetingRes = resource{"meeting", "regions/lombardia/meetings/tavolo-2026-03"}

// meetingCreateCmd is "famictl meeting create".
func meetingCreateCmd(a *app) *cobra.Command {
	return createFromFile(a, &cobra.Command{
		Use:     "create",
		Short:   "Schedule a meeting from a JSON file (the API's REST form)",
		Example: "  famictl meeting create --region lombardia --id tavolo-2026-03 --file meeting.json",
	}, "meeting", "id of the new meeting (default: chosen by the server)", func(ctx context.Context, s *sdk.Client, region, id string, m *famiv1.Meeting) (proto.Message, error) {
		return s.Meetings.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: "regions/" + region, MeetingId: id, Meeting: m})
	})
}

// meetingGetCmd is "famictl meeting get".
func meetingGetCmd(a *app) *cobra.Command {
	return onResource(meetingRes, &cobra.Command{Use: "get NAME", Short: "Show a meeting"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Meetings.GetMeeting(ctx, &famiv1.GetMeetingRequest{Name: name})
		}))
}

// meetingListCmd is "famictl meeting list".
func meetingListCmd(a *app) *cobra.Command {
	var network, state, kind, from, facilitator string
	list := a.listed(&cobra.Command{
		Use:     "list",
		Short:   "List a region's meetings, by start time",
		Example: "  famictl meeting list --region lombardia --state scheduled --from 2026-01-01 -o table",
	}, aip.MaxPageSize, func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
		req := &famiv1.ListMeetingsRequest{Parent: "regions/" + region, PageSize: p.size, PageToken: p.token, Network: network, Facilitator: facilitator}
		st, err := enumFlag("state", state, "MEETING_STATE_", famiv1.MeetingState_value)
		if err != nil {
			return nil, err
		}
		k, err := enumFlag("kind", kind, "MEETING_KIND_", famiv1.MeetingKind_value)
		if err != nil {
			return nil, err
		}
		req.State, req.Kind = famiv1.MeetingState(st), famiv1.MeetingKind(k)
		if req.StartFrom, err = startFrom(from); err != nil {
			return nil, err
		}
		return s.Meetings.ListMeetings(ctx, req)
	})
	list.Flags().StringVar(&network, "network", "", "only this network's meetings")
	list.Flags().StringVar(&state, "state", "", "scheduled, held or cancelled")
	list.Flags().StringVar(&kind, "kind", "", "coordination_table, project_focus, workshop, personalised_support, closing or other")
	list.Flags().StringVar(&from, "from", "", "only meetings starting on or after this day (YYYY-MM-DD) or time (RFC 3339)")
	list.Flags().StringVar(&facilitator, "facilitator", "", "only this facilitator's meetings (a subject)")
	list.RegisterFlagCompletionFunc("state", fixedCompletion("scheduled", "held", "cancelled"))
	return list
}

// meetingCancelCmd is "famictl meeting cancel".
func meetingCancelCmd(a *app) *cobra.Command {
	var reason string
	cancel := onResource(meetingRes, &cobra.Command{Use: "cancel NAME", Short: "Cancel a scheduled meeting, with a reason"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Meetings.CancelMeeting(ctx, &famiv1.CancelMeetingRequest{Name: name, Reason: reason})
		}))
	cancel.Flags().StringVar(&reason, "reason", "", "why the meeting is cancelled")
	cancel.MarkFlagRequired("reason")
	return cancel
}

// meetingAttendanceCmd is "famictl meeting attendance".
func meetingAttendanceCmd(a *app) *cobra.Command {
	var attended []string
	attendance := onResource(meetingRes, &cobra.Command{
		Use:   "attendance NAME --attended PARTNER=COUNT[,ROLE=N...]...",
		Short: "Record who attended (the meeting becomes HELD)",
		Long: `Record the attendance of a meeting, one --attended per partner: the partner
(its id in the meeting's region, or its full name), the number of people, and
optionally how many of them had each role (udp_manager, cultural_mediator,
teacher, social_worker, project_manager, intercultural_facilitator, other).
COUNT 0 records that the partner was absent. The list replaces any earlier one.`,
		Example: `  famictl meeting attendance regions/lombardia/meetings/tavolo-2026-03 \
    --attended udp-bergamo=3,udp_manager=1,social_worker=2 --attended cpia-bergamo=1`,
	}, a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
		req := &famiv1.RecordAttendanceRequest{Name: name}
		for _, v := range attended {
			pa, err := parseAttendance(regionOf(name), v)
			if err != nil {
				return nil, err
			}
			req.Attendance = append(req.Attendance, pa)
		}
		return s.Meetings.RecordAttendance(ctx, req)
	}))
	attendance.Flags().StringArrayVar(&attended, "attended", nil, "PARTNER=COUNT[,ROLE=N...], once per partner")
	attendance.MarkFlagRequired("attended")
	return attendance
}

// meetingMinutesCmd is "famictl meeting minutes".
func meetingMinutesCmd(a *app) *cobra.Command {
	var text, textFile string
	var actions []string
	minutes := onResource(meetingRes, &cobra.Command{
		Use:   "minutes NAME",
		Short: "Record the minutes and the action items decided",
		Long: `Record a held meeting's minutes (--text, or --file with a text file, "-" for
standard input) and its action items, one --action each: the owner partner
(id or full name), the due date and what is to be done, separated by colons.`,
		Example: `  famictl meeting minutes regions/lombardia/meetings/tavolo-2026-03 --file verbale.txt \
    --action 'cpia-bergamo:2026-04-30:Calendario dei corsi di L2'`,
	}, a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
		if textFile != "" {
			b, err := readText(textFile, a.stdin)
			if err != nil {
				return nil, err
			}
			text = b
		}
		req := &famiv1.RecordMinutesRequest{Name: name, Minutes: text}
		for _, v := range actions {
			owner, rest, ok1 := strings.Cut(v, ":")
			due, desc, ok2 := strings.Cut(rest, ":")
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("--action %q is not OWNER:YYYY-MM-DD:DESCRIPTION", v)
			}
			req.ActionItems = append(req.ActionItems, &famiv1.ActionItem{Owner: partnerName(regionOf(name), owner), DueDate: due, Description: desc})
		}
		return s.Meetings.RecordMinutes(ctx, req)
	}))
	minutes.Flags().StringVar(&text, "text", "", "the minutes")
	minutes.Flags().StringVar(&textFile, "file", "", `text file with the minutes ("-": standard input)`)
	minutes.Flags().StringArrayVar(&actions, "action", nil, "OWNER:YYYY-MM-DD:DESCRIPTION, once per action item")
	minutes.MarkFlagsMutuallyExclusive("text", "file")
	return minutes
}

// meetingSummaryCmd is "famictl meeting summary".
func meetingSummaryCmd(a *app) *cobra.Command {
	var network, from, to, period string
	summary := inRegion(&cobra.Command{
		Use:     "summary --region R --from YYYY-MM-DD --to YYYY-MM-DD",
		Short:   "Meetings held and attendances, by network (and month, quarter or year)",
		Example: "  famictl meeting summary --region lombardia --from 2026-01-01 --to 2026-12-31 --period quarter -o table",
	}, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		p, err := enumFlag("period", period, "ATTENDANCE_PERIOD_", famiv1.AttendancePeriod_value)
		if err != nil {
			return nil, err
		}
		return s.Meetings.SummarizeAttendance(ctx, &famiv1.SummarizeAttendanceRequest{
			Parent: "regions/" + region, Network: network, StartDate: from, EndDate: to, Period: famiv1.AttendancePeriod(p),
		})
	}))
	daysFlags(summary, &from, &to, true)
	summary.Flags().StringVar(&network, "network", "", "only this network's meetings")
	summary.Flags().StringVar(&period, "period", "", "month, quarter or year (default: the whole range)")
	summary.RegisterFlagCompletionFunc("period", fixedCompletion("month", "quarter", "year"))
	return summary
}

// meetingCalendarCmd is "famictl meeting calendar".
func meetingCalendarCmd(a *app) *cobra.Command {
	var network, facilitator, from, out string
	export := inRegion(&cobra.Command{
		Use:         "calendar --region R [--network N | --facilitator S] [--out FILE]",
		Short:       "Write the meetings as an iCalendar file (.ics)",
		Annotations: writes("iCalendar (.ics)"),
		Long: `Write a region's meetings (or a network's, or a facilitator's) as an
iCalendar file, from a year ago on (--from for older ones). To subscribe a
calendar application instead, create a feed token: famictl calendar token create.`,
		Example: "  famictl meeting calendar --region lombardia --network regions/lombardia/networks/rete-bergamo --out rete.ics",
	}, func(cmd *cobra.Command, region string) error {
		req := &famiv1.ExportMeetingCalendarRequest{Parent: "regions/" + region, Network: network, Facilitator: facilitator}
		var err error
		if req.StartFrom, err = startFrom(from); err != nil {
			return err
		}
		res, err := a.client().sdk().Meetings.ExportMeetingCalendar(cmd.Context(), req)
		if err != nil {
			return err
		}
		w, commit, err := output(out, a.stdout)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, res.GetCalendar())
		if err := commit(err); err != nil {
			return err
		}
		if out != "" {
			fmt.Fprintf(a.stderr, "%s: %d meetings\n", out, res.GetEvents())
		}
		return nil
	})
	export.Flags().StringVar(&network, "network", "", "only this network's meetings")
	export.Flags().StringVar(&facilitator, "facilitator", "", "only this facilitator's meetings (a subject)")
	export.Flags().StringVar(&from, "from", "", "meetings starting from this day (YYYY-MM-DD) or time (RFC 3339)")
	export.Flags().StringVar(&out, "out", "", ".ics file to write (default: standard output)")
	return export
}

// actionListCmd is "famictl meeting actions list".
func actionListCmd(a *app) *cobra.Command {
	var owner, network, status string
	var overdue bool
	actionList := a.listed(&cobra.Command{
		Use:     "list",
		Short:   "List the action items of a region's meetings",
		Example: "  famictl meeting actions list --region lombardia --status open --overdue -o table",
	}, aip.MaxPageSize, func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
		st, err := enumFlag("status", status, "ACTION_ITEM_STATUS_", famiv1.ActionItemStatus_value)
		if err != nil {
			return nil, err
		}
		return s.Meetings.ListActionItems(ctx, &famiv1.ListActionItemsRequest{
			Parent: "regions/" + region, PageSize: p.size, PageToken: p.token, Owner: partnerName(region, owner), Network: network,
			Status: famiv1.ActionItemStatus(st), OverdueOnly: overdue,
		})
	})
	actionList.Flags().StringVar(&owner, "owner", "", "only this partner's items (id or full name)")
	actionList.Flags().StringVar(&network, "network", "", "only items of this network's meetings")
	actionList.Flags().StringVar(&status, "status", "", "open, done or cancelled")
	actionList.Flags().BoolVar(&overdue, "overdue", false, "only open items past their due date")
	actionList.RegisterFlagCompletionFunc("status", fixedCompletion("open", "done", "cancelled"))
	return actionList
}

// actionSetCmd is "famictl meeting actions set".
func actionSetCmd(a *app) *cobra.Command {
	var status, note string
	actionSet := &cobra.Command{
		Use:     "set MEETING ITEM --status done|cancelled|open",
		Short:   "Set an action item's status",
		Example: "  famictl meeting actions set regions/lombardia/meetings/tavolo-2026-03 item-1 --status done --note 'calendario inviato'",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("%s needs the meeting's name and the item's id, e.g. %s item-1", cmd.CommandPath(), meetingRes.example)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := enumFlag("status", status, "ACTION_ITEM_STATUS_", famiv1.ActionItemStatus_value)
			if err != nil {
				return err
			}
			return a.call(a.client().sdk().Meetings.UpdateActionItem(cmd.Context(), &famiv1.UpdateActionItemRequest{
				Name: args[0], ActionItemId: args[1], Status: famiv1.ActionItemStatus(st), Note: note,
			}))
		},
	}
	actionSet.Flags().StringVar(&status, "status", "", "open, done or cancelled")
	actionSet.Flags().StringVar(&note, "note", "", "why, e.g. why it was cancelled")
	actionSet.MarkFlagRequired("status")
	actionSet.RegisterFlagCompletionFunc("status", fixedCompletion("open", "done", "cancelled"))
	return actionSet
}

// regionOf returns the region id of a resource name regions/{r}/...
func regionOf(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 || parts[0] != "regions" {
		return ""
	}
	return parts[1]
}

// partnerName expands a partner id to its name in region; a full name is
// kept as it is (the server checks it).
func partnerName(region, p string) string { return regionChild(region, "partners", p) }

// networkName expands a network id as partnerName does a partner's.
func networkName(region, n string) string { return regionChild(region, "networks", n) }

// regionChild expands id to its name in region's collection; a full name
// is kept as it is (the server checks it).
func regionChild(region, collection, id string) string {
	if id == "" || strings.HasPrefix(id, "regions/") {
		return id
	}
	return "regions/" + region + "/" + collection + "/" + id
}

// parseAttendance reads PARTNER=COUNT[,ROLE=N...].
func parseAttendance(region, v string) (*famiv1.PartnerAttendance, error) {
	fields := strings.Split(v, ",")
	partner, count, ok := strings.Cut(fields[0], "=")
	n, err := strconv.Atoi(count)
	if !ok || partner == "" || err != nil {
		return nil, fmt.Errorf("--attended %q is not PARTNER=COUNT[,ROLE=N...]", v)
	}
	pa := &famiv1.PartnerAttendance{Partner: partnerName(region, partner), Attendees: int32(n)}
	for _, f := range fields[1:] {
		role, count, ok := strings.Cut(f, "=")
		n, err := strconv.Atoi(count)
		if !ok || err != nil {
			return nil, fmt.Errorf("--attended %q: %q is not ROLE=N", v, f)
		}
		r, err := enumFlag("attended", role, "ATTENDEE_ROLE_", famiv1.AttendeeRole_value)
		if err != nil {
			return nil, err
		}
		pa.Roles = append(pa.Roles, &famiv1.AttendeeCount{Role: famiv1.AttendeeRole(r), Count: int32(n)})
	}
	return pa, nil
}

// startFrom is the start_from of a --from flag's value (see parseDay);
// nil when it is empty.
func startFrom(from string) (*timestamppb.Timestamp, error) {
	if from == "" {
		return nil, nil
	}
	t, err := parseDay("from", from)
	if err != nil {
		return nil, err
	}
	return timestamppb.New(t), nil
}

// parseDay reads a day (YYYY-MM-DD, midnight local time) or an RFC 3339
// time.
func parseDay(flag, v string) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, v, time.Local); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q is neither YYYY-MM-DD nor an RFC 3339 time", flag, v)
	}
	return t, nil
}

// readText reads a text file, or stdin for "-".
func readText(path string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	return string(b), err
}
