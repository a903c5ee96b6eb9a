package server_test

import (
	"slices"
	"strings"
	"testing"

	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestValidateOnlyProjectWrites: CreateProject and UpdateProject with
// validate_only (AIP-163), on every surface. A valid request is answered
// as the real call answers it and writes nothing (the region's revision
// stays, the project is not created or changed); an invalid one is
// refused with the real call's violations; a caller without the right is
// refused as for the real call. Its request_id is neither looked up nor
// recorded: the real call under the id of a check creates the project,
// and a check under the id of a real call is judged afresh (ALREADY_EXISTS),
// not answered with the earlier call's project.
func TestValidateOnlyProjectWrites(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:validate:consultant", Role: principal.Consultant, Region: ownRegion})
		revision := func() int64 { return s.revision(t, lombardia) }
		create := func(id, code string) *famiv1.CreateProjectRequest {
			return &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, RequestId: "req-" + id, Project: &famiv1.Project{
				Code: code, Title: "Città Aperta", StartDate: "2021-01-01", EndDate: "2022-12-31", Fund: famiv1.Fund_FUND_FAMI_2021_2027}}
		}
		checkOf := func(req *famiv1.CreateProjectRequest) *famiv1.CreateProjectRequest {
			c := proto.CloneOf(req)
			c.ValidateOnly = true
			return c
		}
		// What the store stamps (etag, times) is the write's, not the
		// request's: the rest of the answer is compared.
		unstamped := func(p *famiv1.Project) *famiv1.Project {
			p = proto.CloneOf(p)
			p.Etag, p.CreateTime, p.UpdateTime = "", nil, nil
			return p
		}

		// A valid Create: the answer, and nothing written.
		before := revision()
		checked := mustOK(s.CreateProject(ctx, checkOf(create("citta", "PROG-1"))))(t, "validate-only create")
		if got := revision(); got != before {
			t.Errorf("validate-only create moved the revision from %d to %d", before, got)
		}
		_, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: checked.GetName()})
		checkErr(t, "get the project a validate-only create checked", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
		// The real call under the check's request_id is no retry of it.
		created := mustOK(s.CreateProject(ctx, create("citta", "PROG-1")))(t, "create after the check")
		if !proto.Equal(unstamped(checked), unstamped(created)) {
			t.Errorf("validate-only create answered %v, the real call %v", checked, created)
		}
		// A check under the real call's request_id is judged afresh.
		_, err = s.CreateProject(ctx, checkOf(create("citta", "PROG-1")))
		checkErr(t, "validate-only create under a used request_id (no replay)", err, wantErr{codes.AlreadyExists, "ALREADY_EXISTS", []string{"project_id"}})

		// An invalid Create: the real call's violations.
		bad := create("bad", "PROG-1") // the code is citta's
		bad.Project.Title, bad.Project.EndDate = "", "2020-12-31"
		sameRefusal(t, "create", func(req *famiv1.CreateProjectRequest) error { _, err := s.CreateProject(ctx, req); return err },
			bad, checkOf(bad), codes.InvalidArgument)

		// A valid Update: the answer, and nothing written.
		retitle := func(title string) *famiv1.UpdateProjectRequest {
			return &famiv1.UpdateProjectRequest{Project: &famiv1.Project{Name: created.GetName(), Title: title},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}, RequestId: "retitle-" + title}
		}
		checkUpdate := func(req *famiv1.UpdateProjectRequest) *famiv1.UpdateProjectRequest {
			c := proto.CloneOf(req)
			c.ValidateOnly = true
			return c
		}
		before = revision()
		answer := mustOK(s.UpdateProject(ctx, checkUpdate(retitle("Città Nuova"))))(t, "validate-only update")
		if answer.GetTitle() != "Città Nuova" || answer.GetCode() != "PROG-1" {
			t.Errorf("validate-only update answered %v, want the project retitled", answer)
		}
		if got := revision(); got != before {
			t.Errorf("validate-only update moved the revision from %d to %d", before, got)
		}
		stored := mustOK(s.GetProject(ctx, &famiv1.GetProjectRequest{Name: created.GetName()}))(t, "get")
		if stored.GetTitle() != created.GetTitle() || stored.GetEtag() != created.GetEtag() {
			t.Errorf("after a validate-only update the project is %v, want it as created", stored)
		}
		updated := mustOK(s.UpdateProject(ctx, retitle("Città Nuova")))(t, "update after the check")
		if !proto.Equal(unstamped(answer), unstamped(updated)) {
			t.Errorf("validate-only update answered %v, the real call %v", answer, updated)
		}

		// An invalid Update: the real call's violations.
		sameRefusal(t, "update", func(req *famiv1.UpdateProjectRequest) error { _, err := s.UpdateProject(ctx, req); return err },
			retitle(""), checkUpdate(retitle("")), codes.InvalidArgument)

		// A caller without the right: refused as for the real call.
		sameRefusal(t, "consultant's create", func(req *famiv1.CreateProjectRequest) error { _, err := consultant.CreateProject(ctx, req); return err },
			create("altro", "PROG-2"), checkOf(create("altro", "PROG-2")), codes.PermissionDenied)
		sameRefusal(t, "consultant's update", func(req *famiv1.UpdateProjectRequest) error { _, err := consultant.UpdateProject(ctx, req); return err },
			retitle("Di nessuno"), checkUpdate(retitle("Di nessuno")), codes.PermissionDenied)
		if got := revision(); got != before+1 {
			t.Errorf("revision %d, want %d: only the real update wrote", got, before+1)
		}
	})
}

// sameRefusal checks that call refuses both the real request and its
// validate-only copy with code, and the same reason and fields.
func sameRefusal[R any](t *testing.T, what string, call func(R) error, real, check R, code codes.Code) {
	t.Helper()
	r, ok := asCallError(call(real))
	if !ok || r.Code != code {
		t.Fatalf("%s: the real call answered %v, want %s", what, r, upperSnake(code))
	}
	c, ok := asCallError(call(check))
	if !ok || c.Code != r.Code || c.Reason != r.Reason || c.HTTPStatus != r.HTTPStatus ||
		!slices.Equal(c.Fields, r.Fields) || !slices.Equal(c.FieldReasons, r.FieldReasons) {
		t.Errorf("%s: validate-only answered %v, the real call %v", what, c, r)
	}
}

// TestValidateOnlyRecordedAsACheck: a validate-only write is recorded as
// a check, not a write: its access line says validate_only=true, its
// pipeline span and its store span carry raccordo.validate_only, and the
// store span, rolled back with the check's answer, is no error. The real
// write's records say none of it. The check's store span ended with an
// error status, and nothing told a check from a write.
func TestValidateOnlyRecordedAsACheck(t *testing.T) {
	t.Parallel()
	rs := startRecording(t, server.Config{})
	s := newSurface(t, rs.testServer, "grpc")
	req := &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "checked", Project: &famiv1.Project{
		Code: "PROG-9", Title: "Città Aperta", StartDate: "2021-01-01", EndDate: "2022-12-31", Fund: famiv1.Fund_FUND_FAMI_2021_2027}}
	for _, check := range []bool{true, false} {
		req.ValidateOnly = check
		since := rs.mark()
		if _, err := s.CreateProject(t.Context(), req); err != nil {
			t.Fatalf("create (validate_only %v): %v", check, err)
		}
		line := rs.recordedOnce(t, since, "create", famiv1.ProjectService_CreateProject_FullMethodName, "grpc", "OK")
		if got := strings.Contains(line, " validate_only=true"); got != check {
			t.Errorf("validate_only %v: access line %q", check, line)
		}
		for _, span := range rs.spans.GetSpans()[since.spans:] {
			if span.Name != "pipeline" && !strings.HasPrefix(span.Name, "store.") {
				continue
			}
			if got := spanBool(span, "raccordo.validate_only"); got != check {
				t.Errorf("validate_only %v: span %s has raccordo.validate_only %v", check, span.Name, got)
			}
			if span.Status.Code == otelcodes.Error {
				t.Errorf("validate_only %v: span %s ended with an error: %s", check, span.Name, span.Status.Description)
			}
		}
	}
}

// spanBool is the value of a span's boolean attribute key, false without
// one.
func spanBool(s tracetest.SpanStub, key string) bool {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.AsBool()
		}
	}
	return false
}
