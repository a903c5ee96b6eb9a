package web

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/money"
	"github.com/raccordo/raccordo/internal/territory"
)

// TestCatalogueCoversTemplates walks every template for {{t "key"}} and
// checks the catalogue has the key, so no page shows a bare key.
func TestCatalogueCoversTemplates(t *testing.T) {
	keyRE := regexp.MustCompile(`\{\{-?\s*(?:t|tn|fld|sel)\s[^}]*?"([a-z_]+\.[a-z_.]+)"`)
	anyKey := regexp.MustCompile(`"((?:nav|meetings|projects|accounts|tokens|hours|field|hint|approvals|periods|summary|partners|networks|protocols|history|common|error|signin|home|app|msg|monitoring|overlaps|dashboard)\.[a-z_]+)"`)
	err := eachFile(templateFS, "templates", func(p string, b []byte) {
		for _, re := range []*regexp.Regexp{keyRE, anyKey} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if !hasMsg(m[1]) {
					t.Errorf("%s uses %q, which the catalogue lacks", p, m[1])
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCatalogueLabelsEveryEnumShown checks each value of the enums the pages
// show has an Italian label.
func TestCatalogueLabelsEveryEnumShown(t *testing.T) {
	for _, e := range []protoreflect.EnumDescriptor{
		famiv1.SupportActivity(0).Descriptor(), famiv1.SupportMode(0).Descriptor(), famiv1.SupportTopic(0).Descriptor(),
		famiv1.SupportOperatorRole(0).Descriptor(), famiv1.SupportEntryState(0).Descriptor(), famiv1.ClosedPeriodState(0).Descriptor(),
		famiv1.PartnerKind(0).Descriptor(), famiv1.ProtocolState(0).Descriptor(), famiv1.PartyRole(0).Descriptor(),
		famiv1.MemberRole(0).Descriptor(), famiv1.ChangeOperation(0).Descriptor(),
		famiv1.MeetingKind(0).Descriptor(), famiv1.MeetingMode(0).Descriptor(), famiv1.MeetingState(0).Descriptor(),
		famiv1.ActionItemStatus(0).Descriptor(), famiv1.Fund(0).Descriptor(), famiv1.SpecificObjective(0).Descriptor(),
		famiv1.AttendeeRole(0).Descriptor(),
		famiv1.MonitoringReportState(0).Descriptor(), famiv1.ActivityState(0).Descriptor(), famiv1.MonitoringFlagKind(0).Descriptor(),
		famiv1.AgeBand(0).Descriptor(), famiv1.Sex(0).Descriptor(), famiv1.OverlapStrength(0).Descriptor(),
		famiv1.ServiceTokenState(0).Descriptor(),
	} {
		for i := 1; i < e.Values().Len(); i++ {
			if k := "enum." + string(e.Values().Get(i).Name()); !hasMsg(k) {
				t.Errorf("no Italian label %q", k)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	at := func(day, h, m int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2026, 11, day, h, m, 0, 0, territory.Rome))
	}
	for _, c := range []struct{ got, want string }{
		{money.Italian(123456), "1.234,56\u00a0€"},
		{money.Italian(5), "0,05\u00a0€"},
		{money.Italian(-100000000), "-1.000.000,00\u00a0€"},
		{formatDate("2026-03-09"), "09/03/2026"},
		{formatDate("not a date"), "not a date"},
		{parseDate("09/03/2026"), "2026-03-09"},
		{parseDate("2026-03-09"), "2026-03-09"},
		{formatMinutes(90), "1 h 30 min"},
		{formatMinutes(45), "45 min"},
		{formatMinutes(120), "2 h"},
		{formatSpan(at(27, 13, 24), at(27, 15, 24)), "27/11/2026 dalle 13:24 alle 15:24"},
		{formatSpan(at(27, 9, 0), at(28, 13, 0)), "27/11/2026 09:00 – 28/11/2026 13:00"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for raw, want := range map[string]string{
		"/ore?vista=settimana":         "/ore?vista=settimana",
		"//attacker.example/x":         "",
		"https://attacker.example/ore": "",
		"http://famid.local/ore":       "/ore",
		"/\\attacker.example":          "/%5Cattacker.example", // a path here, never a host
		"javascript:alert(1)":          "",
		"":                             "",
	} {
		if got := localPath(raw, "famid.local"); got != want {
			t.Errorf("localPath(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestCatalogueTranslatesOnlyKnownReasons checks that every Italian text of
// an error reason ("reason.PERIOD_CLOSED") is for a reason of the errors'
// catalogue, so a renamed or mistyped reason cannot leave a text that never
// shows.
func TestCatalogueTranslatesOnlyKnownReasons(t *testing.T) {
	n := 0
	for key := range italian {
		r, ok := strings.CutPrefix(key, "reason.")
		if !ok {
			continue
		}
		n++
		if _, ok := errs.Lookup(errs.Reason(r)); !ok {
			t.Errorf("%q translates %s, which is not in internal/errs/reasons.go", key, r)
		}
	}
	if n == 0 {
		t.Fatal("no reason.* message found")
	}
}
