package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/waittest"
)

// registryState is everything TestRestartKeepsEverything reads back.
type registryState struct {
	partners *famiv1.ListPartnersResponse
	projects *famiv1.Project
	networks *famiv1.ListNetworksResponse
}

func readState(t *testing.T, ctx context.Context, s surface) registryState {
	t.Helper()
	partners, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, ShowArchived: true})
	if err != nil {
		t.Fatalf("list partners: %v", err)
	}
	project, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: projectName("lab-impact")})
	if err != nil {
		t.Fatalf("get project: %v", err)
	}
	networks, err := s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia})
	if err != nil {
		t.Fatalf("list networks: %v", err)
	}
	return registryState{partners, project, networks}
}

func (a registryState) equal(b registryState) bool {
	return proto.Equal(a.partners, b.partners) && proto.Equal(a.projects, b.projects) && proto.Equal(a.networks, b.networks)
}

// change is what the test expects of one change log entry.
type change struct {
	op   famiv1.ChangeOperation
	name string
	typ  string
}

// TestRestartKeepsEverything writes through one server, restarts on the
// same data dir and reads everything back unchanged (etags and timestamps
// included, through another surface); then it reads the region's change
// log from the bbolt file: one entry per committed mutation, revisions
// 1..N without gaps, in order, none for refused or replayed requests.
func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	s := newSurface(t, ts, "grpc")

	const (
		create = famiv1.ChangeOperation_CHANGE_OPERATION_CREATE
		update = famiv1.ChangeOperation_CHANGE_OPERATION_UPDATE
		del    = famiv1.ChangeOperation_CHANGE_OPERATION_DELETE
	)
	var want []change
	committed := func(step string, err error, op famiv1.ChangeOperation, name, typ string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		want = append(want, change{op, name, typ})
	}

	_, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano", Partner: &famiv1.Partner{
		DisplayName: "Ufficio di Piano di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, FiscalCode: "80034840167"}})
	committed("create partner udp-milano", err, create, partnerName("udp-milano"), "fami.v1.Partner")
	cpia, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "cpia-milano", Partner: &famiv1.Partner{
		DisplayName: "CPIA Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_ADULT_EDUCATION_CENTRE}})
	committed("create partner cpia-milano", err, create, partnerName("cpia-milano"), "fami.v1.Partner")
	_, err = s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{
		Partner:    &famiv1.Partner{Name: cpia.GetName(), DisplayName: "CPIA 5 Milano", Etag: cpia.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	})
	committed("update partner cpia-milano", err, update, partnerName("cpia-milano"), "fami.v1.Partner")
	_, err = s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: &famiv1.Project{
		Code: "PROG-2463", Cup: "E89F18000510007", Title: "Lab'Impact", Fund: famiv1.Fund_FUND_FAMI_2014_2020,
		Actions:     []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Accesso ai servizi"}},
		BudgetCents: 925000000, StartDate: "2018-09-01", EndDate: "2021-12-31"}})
	committed("create project", err, create, projectName("lab-impact"), "fami.v1.Project")
	_, err = s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: projectName("lab-impact"), Extension: &famiv1.Extension{EndDate: "2023-06-30"}})
	committed("extend project", err, update, projectName("lab-impact"), "fami.v1.Project")
	_, err = s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete-milano", Network: &famiv1.Network{
		DisplayName: "Rete Milano", LeadPartner: partnerName("udp-milano"),
		Members: []*famiv1.Member{
			{Partner: partnerName("udp-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
			{Partner: partnerName("cpia-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER},
		},
		Projects: []*famiv1.NetworkProject{{Project: projectName("lab-impact"), Actions: []string{"02"}}},
	}})
	committed("create network", err, create, networkName("rete-milano"), "fami.v1.Network")
	retry := &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "caritas", RequestId: "retry-1", Partner: &famiv1.Partner{
		DisplayName: "Caritas Ambrosiana", Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR}}
	caritas, err := s.CreatePartner(ctx, retry)
	committed("create partner caritas", err, create, partnerName("caritas"), "fami.v1.Partner")
	if again, err := s.CreatePartner(ctx, retry); err != nil || !proto.Equal(again, caritas) {
		t.Fatalf("retry create partner caritas: got %v, %v; want the first result %v", again, err, caritas)
	}
	_, err = s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: caritas.GetName(), Etag: caritas.GetEtag()})
	committed("delete partner caritas", err, del, partnerName("caritas"), "fami.v1.Partner")

	// Refused requests commit nothing.
	_, err = s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("udp-milano")})
	checkErr(t, "delete a partner in use", err, wantErr{codes.FailedPrecondition, "PARTNER_IN_USE", nil})
	_, err = s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "bad", Partner: &famiv1.Partner{
		DisplayName: "Bad", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, FiscalCode: "01199250159"}})
	checkErr(t, "create partner with a bad fiscal code", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"partner.fiscal_code"}})

	before := readState(t, ctx, s)
	if got, want := before.partners.GetRevision(), int64(len(want)); got != want {
		t.Fatalf("revision before the restart: got %d, want %d", got, want)
	}

	ts2 := ts.restart()
	s2 := newSurface(t, ts2, "rest")
	if after := readState(t, ctx, s2); !after.equal(before) {
		t.Fatalf("after the restart:\n got  %v\n want %v", after, before)
	}

	// The revision goes on from where it was.
	p, err := s2.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{
		Partner:    &famiv1.Partner{Name: partnerName("udp-milano"), Description: "Ambito di Milano città", Etag: "1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}},
	})
	committed("update partner udp-milano after the restart", err, update, partnerName("udp-milano"), "fami.v1.Partner")
	if got, want := p.GetEtag(), fmt.Sprint(len(want)); got != want {
		t.Errorf("etag of the first write after the restart: got %q, want %q", got, want)
	}
	ts2.Stop()

	// The change log, straight from the region's file.
	st, err := bolt.Open(ts2.DataDir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatalf("open the data dir: %v", err)
	}
	defer st.Close()
	var got []*famiv1.Change
	err = st.View(ctx, "lombardia", func(tx store.ReadTx) error {
		if tx.Revision() != int64(len(want)) {
			t.Errorf("stored revision: got %d, want %d", tx.Revision(), len(want))
		}
		return tx.Changes(0, func(c *famiv1.Change) bool {
			got = append(got, c)
			return true
		})
	})
	if err != nil {
		t.Fatalf("read the change log: %v", err)
	}
	if len(got) != len(want) {
		t.Errorf("change log: got %d entries, want %d (one per committed mutation)", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		c, w := got[i], want[i]
		if c.GetRevision() != int64(i+1) || c.GetOperation() != w.op || c.GetResourceName() != w.name || c.GetResourceType() != w.typ {
			t.Errorf("change %d: got revision %d %s %s (%s), want revision %d %s %s (%s)",
				i, c.GetRevision(), c.GetOperation(), c.GetResourceName(), c.GetResourceType(), i+1, w.op, w.name, w.typ)
		}
		if c.GetPrincipal() != adminSubject {
			t.Errorf("change %d: got principal %q, want %q", i, c.GetPrincipal(), adminSubject)
		}
		if c.GetTime() == nil {
			t.Errorf("change %d: no time", i)
		}
		res, err := c.GetResource().UnmarshalNew()
		if err != nil {
			t.Errorf("change %d: resource: %v", i, err)
			continue
		}
		r, ok := res.(store.Resource)
		if !ok || r.GetName() != w.name {
			t.Errorf("change %d: got resource %v, want %s", i, res, w.name)
			continue
		}
		// A create or update records the state it committed; a delete the
		// last state, written at an earlier revision.
		if w.op != del && r.GetEtag() != fmt.Sprint(i+1) {
			t.Errorf("change %d: resource etag %q, want %q", i, r.GetEtag(), fmt.Sprint(i+1))
		}
	}
}

// TestSecondServerFailsFast: a second server on a data dir in use fails
// once its lock timeout is over, saying why, and the first keeps serving.
func TestSecondServerFailsFast(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	errc := make(chan error, 1)
	go func() {
		srv, err := server.Open(context.Background(), server.Config{
			DataDir:     ts.DataDir,
			GRPCAddr:    "127.0.0.1:0",
			HTTPAddr:    "127.0.0.1:0",
			LockTimeout: 200 * time.Millisecond,
			Logger:      slog.New(slog.DiscardHandler),
		})
		if err == nil {
			srv.Close()
		}
		errc <- err
	}()
	// Not a timing assertion: a hang guard, far past the lock timeout.
	err := waittest.Receive(t, "the second server.Open to fail after its 200ms lock timeout", errc)
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second server.Open: got %v, want an error wrapping bolt.ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "in use") {
		t.Errorf("second server.Open: got %q, want it to say the data dir is in use", err)
	}
	if _, err := newSurface(t, ts, "grpc").ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
		t.Errorf("the first server after the second one failed: %v", err)
	}
}
