package server_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestDisplayNamesBesideSubjects: a monitoring report's submitter and
// reviewer, and each change's author, carry the caller's display name
// beside the subject, filled by the server from the token when it writes
// (as support's reviewer_display_name): empty for a token without a name,
// never what a client sent, and a mask naming them is ignored as one
// naming submitted_by is (AIP-203: output-only fields).
func TestDisplayNamesBesideSubjects(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{MunicipalitiesFile: municipalitiesFile}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind) // adminSubject, a token without a name
		seedPartners(t, ctx, admin, famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR, "udp-milano", "cpia-milano")
		p, err := admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: labImpact()})
		if err != nil {
			t.Fatalf("create lab-impact: %v", err)
		}
		if _, err := admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete-milano", Network: &famiv1.Network{
			DisplayName: "rete-milano", LeadPartner: partnerName("udp-milano"),
			Members: []*famiv1.Member{
				{Partner: partnerName("udp-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
				{Partner: partnerName("cpia-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}},
			Projects: []*famiv1.NetworkProject{{Project: p.GetName(), Actions: []string{"02"}}}}}); err != nil {
			t.Fatalf("create network: %v", err)
		}
		const staffSubject, annaSubject = "account:sara@lombardia", "account:anna@lombardia"
		staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: staffSubject, Name: "  Sara Staff ", Role: principal.NetworkMember,
			Region: "lombardia", Partner: partnerName("udp-milano")})
		anna := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: annaSubject, Name: "Anna Admin", Role: principal.RegionAdmin, Region: "lombardia"})
		name := p.GetName() + "/monitoringReports/2021-q1"

		// What a client sends in the names is ignored.
		in := labImpactQuarter(1)
		in.SubmittedByDisplayName, in.ReviewedByDisplayName = "Falso Mittente", "Falso Revisore"
		r, err := staff.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: p.GetName(), MonitoringReportId: "2021-q1", MonitoringReport: in})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if r.GetSubmittedByDisplayName() != "" || r.GetReviewedByDisplayName() != "" {
			t.Errorf("create kept the names the client sent: %q, %q", r.GetSubmittedByDisplayName(), r.GetReviewedByDisplayName())
		}
		// A mask naming them is ignored, as one naming submitted_by: they
		// are output-only, and AIP-203 has an update ignore them. (This
		// assertion wanted INVALID_ARGUMENT naming update_mask until every
		// Update took a body copied from a GET.) The answer is the report
		// as it is, the names still the server's.
		for _, path := range []string{"submitted_by", "submitted_by_display_name", "reviewed_by_display_name"} {
			got, err := staff.UpdateMonitoringReport(ctx, &famiv1.UpdateMonitoringReportRequest{
				MonitoringReport: &famiv1.MonitoringReport{Name: name, SubmittedBy: "x", SubmittedByDisplayName: "x", ReviewedByDisplayName: "x"},
				UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{path}}})
			if err != nil || !proto.Equal(got, r) {
				t.Errorf("update naming %s: got %v, %v; want the report as it is, %v", path, got, err, r)
			}
		}

		type who struct{ by, name, reviewer, reviewerName string }
		whoOf := func(r *famiv1.MonitoringReport) who {
			return who{r.GetSubmittedBy(), r.GetSubmittedByDisplayName(), r.GetReviewedBy(), r.GetReviewedByDisplayName()}
		}
		step := func(what string, r *famiv1.MonitoringReport, err error, want who) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if got := whoOf(r); got != want {
				t.Errorf("%s: submitted and reviewed by %+v, want %+v", what, got, want)
			}
			g, err := admin.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: name})
			if err != nil {
				t.Fatalf("%s, then get: %v", what, err)
			}
			if got := whoOf(g); got != want {
				t.Errorf("%s, then get: submitted and reviewed by %+v, want %+v", what, got, want)
			}
		}
		r, err = staff.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name})
		step("submit", r, err, who{staffSubject, "Sara Staff", "", ""})
		r, err = admin.ReturnMonitoringReport(ctx, &famiv1.ReturnMonitoringReportRequest{Name: name, Reason: "Manca la spesa"})
		step("return with a token without a name", r, err, who{staffSubject, "Sara Staff", adminSubject, ""})
		r, err = staff.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name})
		step("submit again", r, err, who{staffSubject, "Sara Staff", adminSubject, ""})
		r, err = anna.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: name})
		step("approve", r, err, who{staffSubject, "Sara Staff", annaSubject, "Anna Admin"})
		r, err = anna.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: name, Reason: "Pagamenti di marzo"})
		step("correct", r, err, who{})

		// The change log names each change's author the same way.
		list, err := admin.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, PageSize: 1000})
		if err != nil {
			t.Fatalf("list changes: %v", err)
		}
		var authors []string
		for _, c := range list.GetChanges() {
			if c.GetResourceName() == name {
				authors = append(authors, c.GetPrincipal()+"="+c.GetPrincipalDisplayName())
			}
		}
		want := []string{staffSubject + "=Sara Staff", staffSubject + "=Sara Staff", adminSubject + "=", staffSubject + "=Sara Staff",
			annaSubject + "=Anna Admin", annaSubject + "=Anna Admin"}
		if !slices.Equal(authors, want) {
			t.Errorf("the report's changes were made by %q, want %q", authors, want)
		}
	})
}
