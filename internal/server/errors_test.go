package server_test

import (
	"bufio"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/server"
)

// TestConflictStatusOverREST checks, over the real REST surface, that a
// state conflict (FAILED_PRECONDITION with a reason in the table) is a 409
// problem document, that the other statuses keep grpc-gateway's mapping,
// and that gRPC callers still see the code unchanged.
func TestConflictStatusOverREST(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	rs := newSurface(t, ts, "rest")
	seedPartner(t, ctx, rs)
	seedNetwork(t, ctx, rs)

	tests := []struct {
		name       string
		call       func(s surface) error
		code       codes.Code
		reason     string
		httpStatus int
	}{
		{"delete a partner a network references", func(s surface) error {
			_, err := s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("udp-milano")})
			return err
		}, codes.FailedPrecondition, "PARTNER_IN_USE", http.StatusConflict},
		{"delete with a stale etag", func(s surface) error {
			_, err := s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("udp-milano"), Etag: `"stale"`})
			return err
		}, codes.Aborted, "ETAG_MISMATCH", http.StatusConflict},
		{"get a partner that does not exist", func(s surface) error {
			_, err := s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("nobody")})
			return err
		}, codes.NotFound, "NOT_FOUND", http.StatusNotFound},
	}
	gs := newSurface(t, ts, "grpc")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(rs)
			e, ok := asCallError(err)
			if !ok {
				t.Fatalf("REST: got %v, want a problem document", err)
			}
			if e.HTTPStatus != tt.httpStatus || e.Code != tt.code || e.Reason != tt.reason {
				t.Errorf("REST: got %d %s %s, want %d %s %s", e.HTTPStatus, upperSnake(e.Code), e.Reason, tt.httpStatus, upperSnake(tt.code), tt.reason)
			}
			err = tt.call(gs)
			if g, ok := asCallError(err); !ok || g.Code != tt.code || g.Reason != tt.reason {
				t.Errorf("gRPC: got %v, want %s %s", err, upperSnake(tt.code), tt.reason)
			}
		})
	}
}

// TestErrorsDocMatchesTable checks that the table of reasons in
// docs/errors.md is the server's, row for row.
func TestErrorsDocMatchesTable(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented := map[string]int{}
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "| reason | gRPC code | HTTP status |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, "|")
		reason := strings.Trim(strings.TrimSpace(cells[1]), "`")
		status, err := strconv.Atoi(strings.TrimSpace(cells[3]))
		if err != nil {
			t.Fatalf("docs/errors.md: row %q: status: %v", line, err)
		}
		if _, dup := documented[reason]; dup {
			t.Errorf("docs/errors.md: %s is listed twice", reason)
		}
		documented[reason] = status
	}
	if !maps.Equal(documented, server.ReasonStatus) {
		t.Errorf("docs/errors.md lists\n %v\nthe server maps\n %v", documented, server.ReasonStatus)
	}
}

// TestReasonStatusesKeepTheGatewayMapping checks the catalogue of reasons
// against grpc-gateway: a reason's REST status is its code's, except the
// state conflicts of FAILED_PRECONDITION (409, and 410 for a compacted
// revision) and a body too large (413). A row with another status is a
// mistake in the table, not a decision.
func TestReasonStatusesKeepTheGatewayMapping(t *testing.T) {
	t.Parallel()
	for _, row := range errs.Catalogue() {
		code := server.GRPCCode(row.Code)
		if got := server.HTTPStatus(code, string(row.Reason)); got != row.HTTPStatus {
			t.Errorf("%s: REST answers %d, the catalogue says %d", row.Reason, got, row.HTTPStatus)
		}
		gateway := runtime.HTTPStatusFromCode(code)
		switch {
		case row.HTTPStatus == gateway:
		case row.Code == errs.FailedPrecondition && (row.HTTPStatus == http.StatusConflict || row.HTTPStatus == http.StatusGone):
		case row.Reason == errs.BodyTooLarge && row.HTTPStatus == http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("%s: %s is %d on REST, want the gateway's %d", row.Reason, upperSnake(code), row.HTTPStatus, gateway)
		}
	}
}

// TestStaleChangeNamesInvalidFields updates a partner with a stale etag
// and a fiscal code that is not one, on every surface: the refusal is the
// stale etag's (ABORTED, ETAG_MISMATCH, 409), and it names the fiscal code
// too, so that the caller fixes both at once. It named nothing, and the
// bad field came out only on the next try.
func TestStaleChangeNamesInvalidFields(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		p, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "coop", Partner: &famiv1.Partner{
			DisplayName: "Cooperativa Sole", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		if err != nil {
			t.Fatal(err)
		}
		update := func(etag, fiscalCode string) error {
			_, err := admin.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{
				Partner:    &famiv1.Partner{Name: p.GetName(), Etag: etag, FiscalCode: fiscalCode},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"fiscal_code"}}})
			return err
		}
		if err := update(p.GetEtag(), ""); err != nil {
			t.Fatal(err)
		}
		checkErr(t, "a stale update with a bad fiscal code", update(p.GetEtag(), "ABC"), wantErr{codes.Aborted, "ETAG_MISMATCH", []string{"partner.fiscal_code"}})
		checkErr(t, "a stale update otherwise valid", update(p.GetEtag(), ""), wantErr{codes.Aborted, "ETAG_MISMATCH", nil})
	})
}
