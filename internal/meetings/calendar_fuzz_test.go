package meetings

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	goical "github.com/emersion/go-ical"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// FuzzCalendarEvent writes a meeting with hostile text (a title, a place,
// a network's name: anything a user types) into a feed and reads it back
// with an independent parser: the feed stays one well-formed VEVENT, every
// content line is folded and CRLF-terminated, and the text comes back as
// written (line ends normalised), so no input can inject a property or an
// event.
func FuzzCalendarEvent(f *testing.F) {
	for _, s := range []string{"Tavolo di coordinamento", "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:pwned", "a;b,c\\d", "DESCRIPTION:x\nATTACH:http://evil",
		"\u2028", strings.Repeat("è", 100), ""} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, title, place string) {
		if !validUTF8(title) || !validUTF8(place) {
			return // the API refuses text that is not UTF-8
		}
		start := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
		mt := &famiv1.Meeting{
			Name: "regions/lombardia/meetings/m1", Title: title, Place: place,
			Networks:  []string{"regions/lombardia/networks/rete"},
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)),
			CreateTime: timestamppb.New(start), UpdateTime: timestamppb.New(start),
		}
		cal := ics.NewCalendarFor("Raccordo")
		addRomeTimezone(cal)
		addEvent(cal, mt, func(string) string { return place })
		feed := cal.Serialize(ics.WithNewLineWindows)
		for _, line := range strings.Split(strings.TrimSuffix(feed, "\r\n"), "\r\n") {
			if strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bare CR or LF in %q", line)
			}
		}
		parsed, err := goical.NewDecoder(strings.NewReader(feed)).Decode()
		if err != nil {
			t.Fatalf("the feed does not parse: %v\n%s", err, feed)
		}
		events := parsed.Events()
		if len(events) != 1 {
			t.Fatalf("%d events, want 1:\n%s", len(events), feed)
		}
		summary, err := events[0].Props.Text(goical.PropSummary)
		if err != nil {
			t.Fatal(err)
		}
		if want := text(title); summary != want && strings.TrimSpace(want) != "" {
			t.Errorf("summary %q, want %q", summary, want)
		}
	})
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
