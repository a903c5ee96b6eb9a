package server_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// The callers of the rights matrix: the five roles of the README's "Who
// may do what" table, and a caller without a token.
const (
	roleAnonymous      = "anonymous"
	roleMinistry       = "ministry"
	roleRegionAdmin    = "region_admin"
	roleConsultant     = "consultant"
	roleNetworkMember  = "network_member"
	roleRegionalSystem = "regional_system"
)

var matrixRoles = []string{roleAnonymous, roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem}

// Every principal but the ministry belongs to ownRegion; foreignRegion is
// another region, whose data they must not reach.
const (
	ownRegion     = "lombardia"
	foreignRegion = "veneto"
)

// scope is how far a right reaches for a role.
type scope int

const (
	// never: the role may not make the call anywhere.
	never scope = iota
	// own: in the principal's own region only.
	own
	// everywhere: in every region (for the anonymous caller: without a
	// token).
	everywhere
	// leadsOwn: in its own region, and only on the networks its partner
	// leads (network members updating networks).
	leadsOwn
	// partyOwn: in its own region, and only on the protocols its partner
	// is a party to (network members drafting, editing, opening, amending,
	// terminating and signing protocols). The matrix makes these calls on
	// a protocol the network member's partner is a party to; the others
	// are covered by their own subtests (NOT_A_PARTY).
	partyOwn
	// ownEntries: in its own region, and only on the support entries it
	// logged itself (consultants); lists, exports and summaries count only
	// those. The matrix makes these calls on the consultant's own entries
	// and checks that its lists and summaries hold nothing else; another
	// consultant's entries are covered by their own subtests
	// (NOT_OWN_ENTRY).
	ownEntries
	// memberNetworks: in its own region, over the networks its partner is
	// a member of (network members' support summaries): the matrix checks
	// that its summaries count nothing else, and a subtest that asking for
	// another network is refused (NOT_NETWORK_MEMBER).
	memberNetworks
)

// right is a row of the README's rights tables.
type right string

const (
	rightReference     right = "regions, municipalities"
	rightLogin         right = "log in"
	rightWhoAmI        right = "who am I"
	rightLogout        right = "log out"
	rightRead          right = "read a region's partners, projects, networks"
	rightWriteRegistry right = "write partners and projects"
	rightWriteNetworks right = "write networks: create, delete"
	rightUpdateNetwork right = "write networks: update"
	rightAccounts      right = "manage accounts"
	rightServiceTokens right = "issue and revoke service tokens"
	rightFeed          right = "list and watch the change feed"
	rightBackup        right = "back up a region"
	rightCompact       right = "compact the change log"

	// Which projects a network implements (who reports for them): the
	// region's, not its lead's staff's.
	rightNetworkProjects right = "write networks: their projects"

	// The protocol rows of the "Who may do what" table.
	rightReadProtocols  right = "read a region's protocols"
	rightDraftProtocols right = "draft, edit, delete (drafts), open, amend, terminate protocols"
	rightSignProtocols  right = "sign a protocol"

	// The rows of the "Support hours" table.
	rightLogEntries    right = "log, edit, delete entries"
	rightReadEntries   right = "read, list and export entries"
	rightReviewEntries right = "approve, reject, close and reopen periods"
	rightListPeriods   right = "list closed periods"
	rightSummaries     right = "summaries and summary exports"
)

// readmeRights is the README's "Who may do what" table and the rights
// table of its "Support hours" section, transcribed by hand (each new row
// quoted above it): it is what the server must do, written independently
// of the capabilities' Rights, which is what the server does. The "write networks" row is
// split in three, since network members may only update ("update the
// networks its partner leads"), and not which projects they implement
// ("not their lead partner or projects"). Logging in is public ("every call but the
// reference data and login needs a bearer token"); WhoAmI answers
// "anonymous" to a caller without a token (auth.proto). | log out | all
// regions | yes | yes | yes | yes | no |: every signed-in caller, on its
// own token.
var readmeRights = map[right]map[string]scope{
	rightReference:     readmeRow(everywhere, everywhere, everywhere, everywhere, everywhere, everywhere),
	rightLogin:         readmeRow(everywhere, everywhere, everywhere, everywhere, everywhere, everywhere),
	rightWhoAmI:        readmeRow(everywhere, everywhere, everywhere, everywhere, everywhere, everywhere),
	rightLogout:        readmeRow(everywhere, everywhere, everywhere, everywhere, everywhere, never),
	rightRead:          readmeRow(everywhere, own, own, own, own, never),
	rightWriteRegistry: readmeRow(never, own, never, never, own, never),
	rightWriteNetworks: readmeRow(never, own, never, never, own, never),
	rightUpdateNetwork: readmeRow(never, own, never, leadsOwn, own, never),
	rightAccounts:      readmeRow(everywhere, own, never, never, never, never),
	rightServiceTokens: readmeRow(never, own, never, never, never, never),
	rightFeed:          readmeRow(everywhere, own, never, never, own, never),
	rightBackup:        readmeRow(everywhere, own, never, never, never, never),
	rightCompact:       readmeRow(everywhere, never, never, never, never, never),

	// | write networks | no | own | no | update the networks its partner leads, not their lead partner or projects | own | no |
	rightNetworkProjects: readmeRow(never, own, never, never, own, never),

	// | read a region's protocols | all regions | own | own | own | own | no |
	rightReadProtocols: readmeRow(everywhere, own, own, own, own, never),
	// | draft, edit, delete (drafts), open, amend, terminate protocols | no | own | own | those its partner is a party to | own | no |
	//
	// The table does not name deleting; the Protocols section puts it in
	// the DRAFT step ("created and edited ... by the region admin,
	// consultants and regional systems of the region, and by the staff
	// (network members) of a partner that is a party; only a draft can be
	// deleted"), so DeleteProtocol is held to this row.
	rightDraftProtocols: readmeRow(never, own, own, partyOwn, own, never),
	// | sign a protocol | no | no | no | for its own partner, once, if a party | no | no |
	rightSignProtocols: readmeRow(never, never, never, partyOwn, never, never),

	// The "Support hours" table has no anonymous column: "every call but
	// the reference data (regions, municipalities), login and whoami needs
	// a bearer token".
	//
	// | log, edit, delete entries | no | no | own entries, while SUBMITTED | no | no |
	rightLogEntries: readmeRow(never, never, ownEntries, never, never, never),
	// | read, list and export entries | no | own region | own entries | no | own region |
	rightReadEntries: readmeRow(never, own, ownEntries, never, own, never),
	// | approve, reject, close and reopen periods | no | own region | no | no | no |
	rightReviewEntries: readmeRow(never, own, never, never, never, never),
	// | list closed periods | all regions | own | own | own | own |
	rightListPeriods: readmeRow(everywhere, own, own, own, own, never),
	// | summaries and summary exports | all regions, no per-consultant figures | own region | own entries |
	// the networks its partner is a member of, no per-consultant figures | own region |
	//
	// The matrix asks for no per-consultant figures; asking the ministry's
	// and network members' summaries for them is a subtest
	// (CONSULTANT_DETAIL_NOT_ALLOWED).
	rightSummaries: readmeRow(everywhere, own, ownEntries, memberNetworks, own, never),
}

// readmeRow is a row of a README rights table: the scope of each role, in
// the table's column order (ministry, region_admin, consultant,
// network_member, regional_system, anonymous).
func readmeRow(ministry, regionAdmin, consultant, networkMember, regionalSystem, anonymous scope) map[string]scope {
	return map[string]scope{roleMinistry: ministry, roleRegionAdmin: regionAdmin, roleConsultant: consultant,
		roleNetworkMember: networkMember, roleRegionalSystem: regionalSystem, roleAnonymous: anonymous}
}

// readmeAllows reports whether the README lets role make a call of right
// in region ("" for calls outside any region). A leadsOwn call is made on
// a network the caller's partner leads, a partyOwn call on a protocol its
// partner is a party to, an ownEntries call on the caller's own entries,
// a memberNetworks call over the networks its partner is a member of; the
// rest is covered by their own subtests.
func readmeAllows(t *testing.T, r right, role, region string) bool {
	t.Helper()
	row, ok := readmeRights[r]
	if !ok {
		t.Fatalf("right %q is not in the README table", r)
	}
	switch row[role] {
	case everywhere:
		return true
	case own, leadsOwn, partyOwn, ownEntries, memberNetworks:
		return role != roleMinistry && role != roleAnonymous && region == ownRegion
	}
	return false
}

// matrixCase is how the matrix calls one RPC.
type matrixCase struct {
	right right
	// scoped calls name a region's resource; they run in ownRegion and in
	// foreignRegion.
	scoped bool
	// setup, if set, creates what the call needs (fresh resources for the
	// calls that change or delete one) and records it in c.target.
	setup func(c *matrixCall)
	call  func(c *matrixCall) (proto.Message, error)
	// check, if set, checks the result of an allowed call.
	check func(c *matrixCall, res proto.Message)
	// variants are other forms of the same RPC that the README gives
	// another row (ExportSupportEntries: the entries, or a summary with
	// group_by); each runs the whole matrix too, as "{Method}_{variant}".
	variants map[string]matrixCase
	// system is set by the matrix for the RPCs that may write the system
	// store (writesSystemStore): their refused cells check the region's
	// accounts and service tokens besides its revision.
	system bool
	// refused, if set, checks what a refused call could change and the
	// region's snapshot does not see (or, without a region, what no
	// snapshot is taken of): it is called before the call, and the check
	// it returns after the refusal.
	refused func(c *matrixCall) (check func())
}

// matrixCall is one cell of the matrix: a role calling an RPC in a region
// over a surface.
type matrixCall struct {
	t    *testing.T
	ctx  context.Context
	env  *matrixEnv
	role string
	// s calls as role; admin as the region admin of region.
	s, admin surface
	region   string
	// parent is regions/{region}.
	parent string
	// id is unique to the cell: fresh resources, accounts and system ids
	// use it.
	id string
	fx *matrixFixtures
	// allowed is what the README says of the call.
	allowed bool
	// target is the resource the call acts on, when setup made one.
	target string
	// hash is the content hash of target, when setup opened a protocol
	// for signature.
	hash string
	// date is a day for the call, when setup picked one: an entry's date
	// or a period to close.
	date string
	// revision is a revision of region for the call, when one was picked:
	// the one a refused CompactChanges asks to compact to.
	revision int64
}

// protocols calls ProtocolService as the cell's role; support calls
// SupportService.
func (c *matrixCall) protocols() surface { return c.env.as[c.role] }
func (c *matrixCall) support() surface   { return c.env.as[c.role] }

// batchGetCase is the matrix's case of a batch Get (AIP-231), a read:
// get asks for the fixture want names, and an allowed call answers it
// alone (items).
func batchGetCase[R proto.Message, T interface{ GetName() string }](want func(c *matrixCall) string,
	get func(c *matrixCall, names []string) (R, error), items func(R) []T) matrixCase {
	return matrixCase{right: rightRead, scoped: true,
		call: func(c *matrixCall) (proto.Message, error) { return ret(get(c, []string{want(c)})) },
		check: func(c *matrixCall, res proto.Message) {
			if got := items(res.(R)); len(got) != 1 || got[0].GetName() != want(c) {
				c.t.Errorf("%s: got %v, want %s", res.ProtoReflect().Descriptor().Name(), got, want(c))
			}
		}}
}

// ret lets a typed result be returned as a proto.Message.
func ret[T proto.Message](m T, err error) (proto.Message, error) { return m, err }

// secretMarker is in every fixture's display name: a refusal must not
// carry it.
const secretMarker = "RISERVATO"

// matrixPassword is the password of every account the matrix creates.
const matrixPassword = "correct horse battery staple"

// matrixFixtures are the resources of one region the matrix reads, or is
// refused access to.
type matrixFixtures struct {
	// lead leads network; member is the other member of network and leads
	// otherNetwork.
	lead, member string
	project      string
	network      string
	account      string
	serviceToken string
	// third is a partner of no fixture protocol; otherNetwork is led by
	// member, with third: lead is not a member.
	third        string
	otherNetwork string
	// protocol is a DRAFT between lead and member; openProtocol, with
	// content hash openHash, the same opened for signature and signed by
	// no one.
	protocol, openProtocol, openHash string
	// period is a closed period in force, June 2014 (see fixtureDay).
	period string
	// The support entries of fixtureDay (fixtureTotals), all SUBMITTED:
	// entry, logged by the region's consultant (in ownRegion, the
	// matrix's consultant) for network; otherEntry, by another consultant
	// for otherNetwork; otherOnNetwork, by that other consultant for
	// network.
	entry, otherEntry, otherOnNetwork string
}

// mustOK takes the results of a call that must succeed (a fixture, a
// snapshot): mustOK(s.CreatePartner(ctx, req))(t, "create partner").
func mustOK[T any](res T, err error) func(t *testing.T, what string) T {
	return func(t *testing.T, what string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return res
	}
}

func (c *matrixCall) newPartner(id string) string {
	c.t.Helper()
	p := mustOK(c.env.newPartner(c.ctx, c.admin, c.parent, id))(c.t, "create partner "+id)
	return p.GetName()
}

func (c *matrixCall) newProject(id string) string {
	c.t.Helper()
	p := mustOK(c.env.newProject(c.ctx, c.admin, c.parent, id))(c.t, "create project "+id)
	return p.GetName()
}

// newNetwork creates a network led by lead, with other as its second
// member.
func (c *matrixCall) newNetwork(id, lead, other string) string {
	c.t.Helper()
	n := mustOK(c.env.newNetwork(c.ctx, c.admin, c.parent, id, lead, other))(c.t, "create network "+id)
	return n.GetName()
}

// matrixEnv is one surface's server with a client per role.
type matrixEnv struct {
	kind     string
	ts       *testServer
	as       map[string]surface
	subjects map[string]string
	// specs are the token specs of the roles' tokens, for the cells
	// that need a token of their own (Logout revokes it).
	specs map[string]auth.TokenSpec
	// feeds call the sync and admin services as each role.
	feeds map[string]feedSurface
	// By region: loggers call as a consultant of the region (in
	// ownRegion, the matrix's consultant), who logs the fixture entries;
	// otherLoggers as another consultant of the region.
	loggers      map[string]surface
	otherLoggers map[string]surface
	// admins are the region admins of ownRegion and foreignRegion.
	admins map[string]surface
	fx     map[string]*matrixFixtures
	// seq numbers project codes, unique in a region.
	seq atomic.Int64
	// entryDays and periodDays count the days handed out to entries and
	// closed periods (entryDay, periodDay).
	entryDays, periodDays atomic.Int64
}

func (e *matrixEnv) newPartner(ctx context.Context, admin surface, parent, id string) (*famiv1.Partner, error) {
	return admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: id, Partner: &famiv1.Partner{
		DisplayName: "Partner " + id + " " + secretMarker, Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR}})
}

func (e *matrixEnv) newProject(ctx context.Context, admin surface, parent, id string) (*famiv1.Project, error) {
	return admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: id, Project: &famiv1.Project{
		Code: fmt.Sprintf("PRJ-%05d", e.seq.Add(1)), Title: "Project " + id + " " + secretMarker, Fund: famiv1.Fund_FUND_FAMI_2021_2027,
		Actions:   []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}},
		StartDate: "2024-01-01", EndDate: "2025-12-31",
	}})
}

func (e *matrixEnv) newNetwork(ctx context.Context, admin surface, parent, id, lead, other string) (*famiv1.Network, error) {
	return admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: id, Network: &famiv1.Network{
		DisplayName: "Network " + id + " " + secretMarker,
		LeadPartner: lead,
		Members: []*famiv1.Member{
			{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
			{Partner: other, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER},
		},
	}})
}

func (e *matrixEnv) newAccount(ctx context.Context, admin surface, parent, id string) (*famiv1.Account, error) {
	return admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: parent, AccountId: id, Password: matrixPassword,
		Account: &famiv1.Account{DisplayName: "Account " + id + " " + secretMarker, Role: famiv1.Role_ROLE_CONSULTANT}})
}

func (e *matrixEnv) newServiceToken(ctx context.Context, admin surface, parent, id string) (*famiv1.CreateServiceTokenResponse, error) {
	return admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: parent, SystemId: id, DisplayName: "System " + id + " " + secretMarker})
}

// loginUser is the account the Login cells log in as.
const loginUser = "fx-login"

// newMatrixEnv starts a server for kind, mints a token per role and
// creates the fixtures of both regions.
func newMatrixEnv(t *testing.T, kind string) *matrixEnv {
	t.Helper()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	e := &matrixEnv{kind: kind, ts: ts, as: map[string]surface{}, subjects: map[string]string{}, feeds: map[string]feedSurface{}, admins: map[string]surface{}, fx: map[string]*matrixFixtures{},
		loggers: map[string]surface{}, otherLoggers: map[string]surface{}}
	for _, region := range []string{ownRegion, foreignRegion} {
		e.admins[region] = newSurfaceFor(t, ts, kind, regionAdminSpec(region))
		e.otherLoggers[region] = newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: otherConsultant(region), Role: principal.Consultant, Region: region})
	}
	for _, region := range []string{ownRegion, foreignRegion} {
		admin, parent := e.admins[region], "regions/"+region
		fx := &matrixFixtures{}
		fx.lead = mustOK(e.newPartner(ctx, admin, parent, "fx-lead"))(t, "fixture partner").GetName()
		fx.member = mustOK(e.newPartner(ctx, admin, parent, "fx-member"))(t, "fixture partner").GetName()
		fx.project = mustOK(e.newProject(ctx, admin, parent, "fx-project"))(t, "fixture project").GetName()
		fx.network = mustOK(e.newNetwork(ctx, admin, parent, "fx-network", fx.lead, fx.member))(t, "fixture network").GetName()
		fx.account = mustOK(e.newAccount(ctx, admin, parent, "fx-account-"+region))(t, "fixture account").GetName()
		fx.serviceToken = mustOK(e.newServiceToken(ctx, admin, parent, "fx-system"))(t, "fixture service token").GetServiceToken().GetName()
		fx.third = mustOK(e.newPartner(ctx, admin, parent, "fx-third"))(t, "fixture partner").GetName()
		fx.otherNetwork = mustOK(e.newNetwork(ctx, admin, parent, "fx-other-network", fx.member, fx.third))(t, "fixture network").GetName()
		e.fx[region] = fx
	}
	mustOK(e.newAccount(ctx, e.admins[ownRegion], "regions/"+ownRegion, loginUser))(t, "login account")

	specs := map[string]auth.TokenSpec{
		roleMinistry:       {Subject: "test:ministry", Role: principal.Ministry},
		roleRegionAdmin:    {Subject: "test:region_admin:" + ownRegion, Role: principal.RegionAdmin, Region: ownRegion},
		roleConsultant:     {Subject: "test:consultant", Role: principal.Consultant, Region: ownRegion},
		roleNetworkMember:  {Subject: "test:network_member", Role: principal.NetworkMember, Region: ownRegion, Partner: e.fx[ownRegion].lead},
		roleRegionalSystem: {Subject: "system:test", Role: principal.RegionalSystem, Region: ownRegion},
	}
	e.specs = specs
	e.as[roleAnonymous], e.subjects[roleAnonymous] = newSurfaceAs(t, ts, kind, ""), "anonymous"
	e.feeds[roleAnonymous] = newFeedSurface(t, ts, kind, "")
	for role, spec := range specs {
		token := ts.mintToken(spec)
		e.as[role], e.subjects[role] = newSurfaceAs(t, ts, kind, token), spec.Subject
		e.feeds[role] = newFeedSurface(t, ts, kind, token)
	}

	// The protocol and support fixtures. In ownRegion the matrix's
	// consultant logs the entries of "its own"; in foreignRegion a
	// consultant of that region.
	e.loggers[ownRegion] = e.as[roleConsultant]
	e.loggers[foreignRegion] = newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant:" + foreignRegion, Role: principal.Consultant, Region: foreignRegion})
	for _, region := range []string{ownRegion, foreignRegion} {
		fx, parent := e.fx[region], "regions/"+region
		fx.protocol = mustOK(e.newProtocol(ctx, region, "fx-protocol", fx.network, false, fx.lead, fx.member))(t, "fixture protocol").GetName()
		open := mustOK(e.newProtocol(ctx, region, "fx-open-protocol", fx.network, true, fx.lead, fx.member))(t, "fixture protocol")
		fx.openProtocol, fx.openHash = open.GetName(), open.GetContentHash()
		fx.period = mustOK(e.admins[region].ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: parent, ClosedPeriodId: "fx-period",
			ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2014-06-01", EndDate: "2014-06-30", Reason: "Period " + secretMarker}}))(t, "fixture period").GetName()
		fx.entry = mustOK(e.newEntry(ctx, e.loggers[region], parent, "fx-entry", fx.network, fixtureDay, 60))(t, "fixture entry").GetName()
		fx.otherEntry = mustOK(e.newEntry(ctx, e.otherLoggers[region], parent, "fx-other-entry", fx.otherNetwork, fixtureDay, 90))(t, "fixture entry").GetName()
		fx.otherOnNetwork = mustOK(e.newEntry(ctx, e.otherLoggers[region], parent, "fx-other-on-network", fx.network, fixtureDay, 30))(t, "fixture entry").GetName()
	}
	// The fixtures the cells build on first use are built now: which of
	// a shard's cells comes first depends on how the RPCs are shared out,
	// and a refused cell must not build them between its snapshots.
	first := &matrixCall{t: t, ctx: ctx, env: e}
	first.meetings()
	first.mon()
	return e
}

// otherConsultant is the subject of a consultant of region other than
// the one who logs the fixture entries of "its own".
func otherConsultant(region string) string { return "test:consultant:other:" + region }

// matrixProtocol is a draft of network between parties, complete enough
// to be opened for signature; the first party proposes, the others sign.
func matrixProtocol(network, id string, parties ...string) *famiv1.Protocol {
	p := &famiv1.Protocol{Network: network, Title: "Protocol " + id + " " + secretMarker, Body: "Art. 1 - Oggetto", ValidFrom: "2024-01-01"}
	for i, partner := range parties {
		role := famiv1.PartyRole_PARTY_ROLE_SIGNATORY
		if i == 0 {
			role = famiv1.PartyRole_PARTY_ROLE_PROPONENT
		}
		p.Parties = append(p.Parties, &famiv1.Party{Partner: partner, Role: role})
	}
	return p
}

// newProtocol creates, as region's admin, a protocol of network between
// parties, opened for signature when open.
func (e *matrixEnv) newProtocol(ctx context.Context, region, id, network string, open bool, parties ...string) (*famiv1.Protocol, error) {
	return e.newProtocolOf(ctx, region, id, matrixProtocol(network, id, parties...), open)
}

// newProtocolOf creates protocol p as region's admin, opened for
// signature when open.
func (e *matrixEnv) newProtocolOf(ctx context.Context, region, id string, p *famiv1.Protocol, open bool) (*famiv1.Protocol, error) {
	admin := e.admins[region]
	p, err := admin.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/" + region, ProtocolId: id, Protocol: p})
	if err != nil || !open {
		return p, err
	}
	return admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()})
}

// The days of the support entries and closed periods. The fixture entries
// are dated fixtureDay, which no other entry is. Every other entry gets a
// day of its own (entryDay), going back from entriesUntil, so no
// consultant's day nears 12 hours. Closed periods are single days from
// periodsFrom on (periodDay), where no entry is dated, so a period a cell
// closes (or leaves closed) never blocks another cell; the fixture period
// is June 2014.
const fixtureDay = "2020-01-15"

var (
	entriesUntil = time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)
	periodsFrom  = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (e *matrixEnv) entryDay() string {
	return entriesUntil.AddDate(0, 0, -int(e.entryDays.Add(1))).Format(time.DateOnly)
}

func (e *matrixEnv) periodDay() string {
	return periodsFrom.AddDate(0, 0, int(e.periodDays.Add(1))).Format(time.DateOnly)
}

// matrixEntry is a valid support entry for network.
func matrixEntry(network, date string, minutes int32) *famiv1.SupportEntry {
	return &famiv1.SupportEntry{Network: network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Date: date, DurationMinutes: minutes,
		Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, Notes: "Entry " + secretMarker,
		OperatorsReached: []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_CULTURAL_MEDIATOR, Count: 2}}}
}

// newEntry logs an entry as the consultant by.
func (e *matrixEnv) newEntry(ctx context.Context, by surface, parent, id, network, date string, minutes int32) (*famiv1.SupportEntry, error) {
	return by.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: parent, SupportEntryId: id, SupportEntry: matrixEntry(network, date, minutes)})
}

// newPeriod closes a single-day period of its own, as region's admin.
func (e *matrixEnv) newPeriod(ctx context.Context, region, id string) (*famiv1.ClosedPeriod, error) {
	day := e.periodDay()
	return e.admins[region].ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: "regions/" + region, ClosedPeriodId: id,
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: day, EndDate: day, Reason: "Period " + secretMarker}})
}

// The calls that change or delete a protocol, an entry or a period act on
// a fresh one when the README allows them. A refused call acts on a
// fixture in the same state, on which it would succeed just as well if
// the server let it through (the refusal must write nothing): fixtures
// cost a write each, and most cells are refused.

// newProtocol makes the cell's protocol: between lead (in ownRegion, the
// network member's partner) and member, opened for signature when open.
func (c *matrixCall) newProtocol(open bool) {
	c.t.Helper()
	if !c.allowed {
		c.target = c.fx.protocol
		if open {
			c.target, c.hash = c.fx.openProtocol, c.fx.openHash
		}
		return
	}
	p := mustOK(c.env.newProtocol(c.ctx, c.region, c.id, c.fx.network, open, c.fx.lead, c.fx.member))(c.t, "create protocol "+c.id)
	c.target, c.hash = p.GetName(), p.GetContentHash()
}

// newEntry makes the cell's entry: SUBMITTED, on a day of its own, logged
// by the region's consultant (in ownRegion, the matrix's consultant: its
// own entry).
func (c *matrixCall) newEntry() {
	c.t.Helper()
	if !c.allowed {
		c.target = c.fx.entry
		return
	}
	en := mustOK(c.env.newEntry(c.ctx, c.env.loggers[c.region], c.parent, c.id, c.fx.network, c.env.entryDay(), 60))(c.t, "log entry "+c.id)
	c.target = en.GetName()
}

// fixtureTotals is what a role's summary of fixtureDay counts, as the
// README's summaries row says: a consultant its own entries (entry), a
// network member the networks its partner, lead, is a member of (network:
// entry and otherOnNetwork), the other roles the whole region.
func fixtureTotals(role string) (minutes, entries int64, networks int32) {
	switch role {
	case roleConsultant:
		return 60, 1, 1
	case roleNetworkMember:
		return 90, 2, 1
	}
	return 60 + 90 + 30, 3, 2
}

// entriesFor lists, sorted, the entries of fixtureDay role reads, lists
// and exports: a consultant its own entries, the other roles every entry.
func (fx *matrixFixtures) entriesFor(role string) []string {
	if role == roleConsultant {
		return []string{fx.entry}
	}
	return slices.Sorted(slices.Values([]string{fx.entry, fx.otherEntry, fx.otherOnNetwork}))
}

// matrixSnapshot is what a refused call must leave unchanged in a region:
// its revision and, when the call could write the system store, its
// accounts, its service tokens and the fixture account's password.
//
// The revision is enough for the rest: a region's data is written only by
// store.Store.Update, and every Put and Delete in it takes the region's
// next revision in the same transaction (store.WriteTx). The writes that
// move none (IndexPut, IndexDelete) are the upkeep of indexes, made only
// beside a Put or a Delete of the resource indexed, and a refused call's
// Update, whose fn fails, writes nothing at all. The system store
// (accounts, passwords, service tokens, revocations) has no revision; only
// the accounts service writes it (TestOnlyTheAuthServiceWritesTheSystemStore),
// so the AuthService's cells read it too. Compaction (store.Store.Compact)
// moves no revision either, and no snapshot sees it: the CompactChanges
// cells check the change log themselves (matrixCase.refused).
type matrixSnapshot struct {
	revision int64
	// system is whether the system store was read (the fields below).
	system   bool
	accounts []string
	tokens   []string
	// password is whether the fixture account still logs in with its
	// password: a password is no field of the account, and setting one
	// changes neither its etag nor the revision.
	password bool
}

// snapshot reads what a refused call in region must leave unchanged: the
// region's revision and, with system, its accounts and service tokens and
// whether the fixture account logs in.
func (e *matrixEnv) snapshot(t *testing.T, ctx context.Context, region string, system bool) matrixSnapshot {
	t.Helper()
	admin, parent := e.admins[region], "regions/"+region
	// The reads are made at once: one round trip of waiting instead of
	// three, taken twice by most cells of the matrix (the matrix's time on
	// a loaded machine is mostly its round trips, one after another).
	var (
		s                matrixSnapshot
		wg               sync.WaitGroup
		parts            *famiv1.ListPartnersResponse
		accs             *famiv1.ListAccountsResponse
		toks             *famiv1.ListServiceTokensResponse
		partsErr, accErr error
		tokErr, loginErr error
	)
	if system {
		wg.Go(func() {
			account := e.fx[region].account
			_, loginErr = admin.Login(ctx, &famiv1.LoginRequest{Username: account[strings.LastIndexByte(account, '/')+1:] + "@" + region, Password: matrixPassword})
		})
		wg.Go(func() {
			accs, accErr = admin.ListAccounts(ctx, &famiv1.ListAccountsRequest{Parent: parent, PageSize: 1000})
		})
		wg.Go(func() {
			toks, tokErr = admin.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: parent, PageSize: 1000})
		})
	}
	parts, partsErr = admin.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: parent, PageSize: 1})
	wg.Wait()
	s.revision = mustOK(parts, partsErr)(t, "snapshot partners").GetRevision()
	if !system {
		return s
	}
	s.system = true
	if ce, ok := asCallError(loginErr); loginErr != nil && (!ok || ce.Code != codes.Unauthenticated) {
		t.Fatalf("snapshot login: %v", loginErr)
	}
	s.password = loginErr == nil
	for _, a := range mustOK(accs, accErr)(t, "snapshot accounts").GetAccounts() {
		s.accounts = append(s.accounts, a.GetName()+"@"+a.GetEtag())
	}
	for _, st := range mustOK(toks, tokErr)(t, "snapshot service tokens").GetServiceTokens() {
		s.tokens = append(s.tokens, fmt.Sprintf("%s revoked=%v", st.GetName(), st.GetRevokeTime() != nil))
	}
	return s
}

// oldestChange returns the revision of the oldest change that parent's
// change log retains, read from its start as the ministry (whose feed is
// every region's). The matrix never compacts a log, so a log that answers
// REVISION_COMPACTED, or holds no change, is an error.
func (e *matrixEnv) oldestChange(ctx context.Context, parent string) (int64, error) {
	res, err := e.feeds[roleMinistry].ListChanges(ctx, &famiv1.ListChangesRequest{Parent: parent, PageSize: 1})
	if err != nil {
		return 0, fmt.Errorf("the change log of %s from its start: %w", parent, err)
	}
	if len(res.GetChanges()) == 0 {
		return 0, fmt.Errorf("the change log of %s is empty: the fixtures wrote none", parent)
	}
	return res.GetChanges()[0].GetRevision(), nil
}

// checkSignedIn checks that the token of every signed-in role still signs
// in as its subject.
func (e *matrixEnv) checkSignedIn(t *testing.T, ctx context.Context, when string) {
	t.Helper()
	for _, role := range slices.Sorted(maps.Keys(e.specs)) {
		res, err := e.as[role].WhoAmI(ctx, &famiv1.WhoAmIRequest{})
		if err != nil {
			t.Errorf("%s, WhoAmI as %s: %v", when, role, err)
			continue
		}
		if got, want := res.GetSubject(), e.subjects[role]; got != want {
			t.Errorf("%s, WhoAmI as %s: got subject %q, want %q", when, role, got, want)
		}
	}
}

func (s matrixSnapshot) equal(o matrixSnapshot) bool {
	return s.revision == o.revision && s.system == o.system && slices.Equal(s.accounts, o.accounts) && slices.Equal(s.tokens, o.tokens) && s.password == o.password
}

// matrixCases maps every RPC to how the matrix calls it. A new RPC without
// an entry fails TestRightsMatrix.
func matrixCases() map[string]matrixCase {
	updateName := &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}
	return map[string]matrixCase{
		"/fami.v1.RegionService/ListRegions": {right: rightReference,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ListRegions(c.ctx, &famiv1.ListRegionsRequest{}))
			}},
		"/fami.v1.RegionService/GetRegion": {right: rightReference, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.GetRegion(c.ctx, &famiv1.GetRegionRequest{Name: c.parent}))
			}},
		"/fami.v1.RegionService/ListMunicipalities": {right: rightReference, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ListMunicipalities(c.ctx, &famiv1.ListMunicipalitiesRequest{Parent: c.parent, NamePrefix: "b"}))
			}},

		"/fami.v1.PartnerService/CreatePartner": {right: rightWriteRegistry, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.newPartner(c.ctx, c.s, c.parent, c.id))
			}},
		"/fami.v1.PartnerService/GetPartner": {right: rightRead, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.GetPartner(c.ctx, &famiv1.GetPartnerRequest{Name: c.fx.lead}))
			}},
		"/fami.v1.PartnerService/BatchGetPartners": batchGetCase(func(c *matrixCall) string { return c.fx.lead },
			func(c *matrixCall, names []string) (*famiv1.BatchGetPartnersResponse, error) {
				return c.s.BatchGetPartners(c.ctx, &famiv1.BatchGetPartnersRequest{Parent: c.parent, Names: names})
			}, (*famiv1.BatchGetPartnersResponse).GetPartners),
		"/fami.v1.PartnerService/ListPartners": {right: rightRead, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ListPartners(c.ctx, &famiv1.ListPartnersRequest{Parent: c.parent}))
			}},
		"/fami.v1.PartnerService/UpdatePartner": {right: rightWriteRegistry, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newPartner(c.id) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.UpdatePartner(c.ctx, &famiv1.UpdatePartnerRequest{
					Partner: &famiv1.Partner{Name: c.target, DisplayName: "Renamed " + c.id}, UpdateMask: updateName}))
			}},
		"/fami.v1.PartnerService/DeletePartner": {right: rightWriteRegistry, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newPartner(c.id) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.DeletePartner(c.ctx, &famiv1.DeletePartnerRequest{Name: c.target}))
			}},

		"/fami.v1.ProjectService/CreateProject": {right: rightWriteRegistry, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.newProject(c.ctx, c.s, c.parent, c.id))
			}},
		"/fami.v1.ProjectService/GetProject": {right: rightRead, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.GetProject(c.ctx, &famiv1.GetProjectRequest{Name: c.fx.project}))
			}},
		"/fami.v1.ProjectService/BatchGetProjects": batchGetCase(func(c *matrixCall) string { return c.fx.project },
			func(c *matrixCall, names []string) (*famiv1.BatchGetProjectsResponse, error) {
				return c.s.BatchGetProjects(c.ctx, &famiv1.BatchGetProjectsRequest{Parent: c.parent, Names: names})
			}, (*famiv1.BatchGetProjectsResponse).GetProjects),
		"/fami.v1.ProjectService/ListProjects": {right: rightRead, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ListProjects(c.ctx, &famiv1.ListProjectsRequest{Parent: c.parent}))
			}},
		"/fami.v1.ProjectService/UpdateProject": {right: rightWriteRegistry, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newProject(c.id) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.UpdateProject(c.ctx, &famiv1.UpdateProjectRequest{
					Project: &famiv1.Project{Name: c.target, Title: "Renamed " + c.id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
			}},
		"/fami.v1.ProjectService/DeleteProject": {right: rightWriteRegistry, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newProject(c.id) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.DeleteProject(c.ctx, &famiv1.DeleteProjectRequest{Name: c.target}))
			}},
		"/fami.v1.ProjectService/ExtendProject": {right: rightWriteRegistry, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newProject(c.id) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ExtendProject(c.ctx, &famiv1.ExtendProjectRequest{Name: c.target,
					Extension: &famiv1.Extension{EndDate: "2026-06-30", ActReference: "Decreto di proroga"}}))
			}},

		"/fami.v1.NetworkService/CreateNetwork": {right: rightWriteNetworks, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.newNetwork(c.ctx, c.s, c.parent, c.id, c.fx.lead, c.fx.member))
			}},
		"/fami.v1.NetworkService/GetNetwork": {right: rightRead, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.GetNetwork(c.ctx, &famiv1.GetNetworkRequest{Name: c.fx.network}))
			}},
		"/fami.v1.NetworkService/BatchGetNetworks": batchGetCase(func(c *matrixCall) string { return c.fx.network },
			func(c *matrixCall, names []string) (*famiv1.BatchGetNetworksResponse, error) {
				return c.s.BatchGetNetworks(c.ctx, &famiv1.BatchGetNetworksRequest{Parent: c.parent, Names: names})
			}, (*famiv1.BatchGetNetworksResponse).GetNetworks),
		"/fami.v1.NetworkService/ListNetworks": {right: rightRead, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ListNetworks(c.ctx, &famiv1.ListNetworksRequest{Parent: c.parent}))
			}},
		// A network led by the fixture lead partner, the network member's
		// partner: see TestRightsMatrix for the networks it does not lead.
		"/fami.v1.NetworkService/UpdateNetwork": {right: rightUpdateNetwork, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newNetwork(c.id, c.fx.lead, c.fx.member) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.UpdateNetwork(c.ctx, &famiv1.UpdateNetworkRequest{
					Network: &famiv1.Network{Name: c.target, DisplayName: "Renamed " + c.id}, UpdateMask: updateName}))
			},
			// The same network, given a project: the region's to say
			// (PROJECTS_CHANGE_NOT_ALLOWED for the lead's staff, whose
			// reason is the subtest "changing_the_projects").
			variants: map[string]matrixCase{
				"projects": {right: rightNetworkProjects, scoped: true,
					setup: func(c *matrixCall) { c.target = c.newNetwork(c.id, c.fx.lead, c.fx.member) },
					call: func(c *matrixCall) (proto.Message, error) {
						return ret(c.s.UpdateNetwork(c.ctx, &famiv1.UpdateNetworkRequest{
							Network:    &famiv1.Network{Name: c.target, Projects: []*famiv1.NetworkProject{{Project: c.fx.project}}},
							UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"projects"}}}))
					},
					check: func(c *matrixCall, res proto.Message) {
						if got := res.(*famiv1.Network).GetProjects(); len(got) != 1 || got[0].GetProject() != c.fx.project {
							c.t.Errorf("UpdateNetwork of its projects: got %v, want %s", got, c.fx.project)
						}
					}},
			}},
		"/fami.v1.NetworkService/DeleteNetwork": {right: rightWriteNetworks, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newNetwork(c.id, c.fx.lead, c.fx.member) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.DeleteNetwork(c.ctx, &famiv1.DeleteNetworkRequest{Name: c.target}))
			}},

		"/fami.v1.AuthService/Login": {right: rightLogin,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.Login(c.ctx, &famiv1.LoginRequest{Username: loginUser + "@" + ownRegion, Password: matrixPassword}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if res.(*famiv1.LoginResponse).GetToken() == "" {
					c.t.Error("Login: got no token")
				}
			}},
		"/fami.v1.AuthService/WhoAmI": {right: rightWhoAmI,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.WhoAmI(c.ctx, &famiv1.WhoAmIRequest{}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got, want := res.(*famiv1.WhoAmIResponse).GetSubject(), c.env.subjects[c.role]; got != want {
					c.t.Errorf("WhoAmI: got subject %q, want %q", got, want)
				}
			}},
		// The cells share their role's token: Logout revokes a fresh
		// one of the same role, and checks that it is refused after. A
		// refused Logout names no region, so no snapshot is taken: it
		// checks that every role's token still signs in and that no
		// region's accounts or service tokens changed (a regional
		// system's Logout revokes its service token's record).
		"/fami.v1.AuthService/Logout": {right: rightLogout,
			refused: func(c *matrixCall) func() {
				regions := []string{ownRegion, foreignRegion}
				before := make([]matrixSnapshot, len(regions))
				for i, region := range regions {
					before[i] = c.env.snapshot(c.t, c.ctx, region, true)
				}
				return func() {
					c.env.checkSignedIn(c.t, c.ctx, "after a refused Logout")
					for i, region := range regions {
						if after := c.env.snapshot(c.t, c.ctx, region, true); !after.equal(before[i]) {
							c.t.Errorf("the refused Logout changed region %s: got %+v, want %+v", region, after, before[i])
						}
					}
				}
			},
			setup: func(c *matrixCall) {
				if spec, signedIn := c.env.specs[c.role]; signedIn {
					c.s = newSurfaceAs(c.t, c.env.ts, c.env.kind, c.env.ts.mintToken(spec))
				}
			},
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.Logout(c.ctx, &famiv1.LogoutRequest{}))
			},
			check: func(c *matrixCall, _ proto.Message) {
				_, err := c.s.WhoAmI(c.ctx, &famiv1.WhoAmIRequest{})
				if e, ok := asCallError(err); !ok || e.Code != codes.Unauthenticated {
					c.t.Errorf("WhoAmI after Logout: got %v, want UNAUTHENTICATED", err)
				}
			}},
		"/fami.v1.AuthService/CreateAccount": {right: rightAccounts, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.newAccount(c.ctx, c.s, c.parent, c.id))
			}},
		"/fami.v1.AuthService/GetAccount": {right: rightAccounts, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.GetAccount(c.ctx, &famiv1.GetAccountRequest{Name: c.fx.account}))
			}},
		"/fami.v1.AuthService/ListAccounts": {right: rightAccounts, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ListAccounts(c.ctx, &famiv1.ListAccountsRequest{Parent: c.parent}))
			}},
		// Accounts cost a password hash: a fresh one only for the calls
		// that delete it.
		"/fami.v1.AuthService/DeleteAccount": {right: rightAccounts, scoped: true,
			setup: func(c *matrixCall) {
				c.target = c.fx.account
				if c.allowed {
					c.target = mustOK(c.env.newAccount(c.ctx, c.admin, c.parent, c.id))(c.t, "create account").GetName()
				}
			},
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.DeleteAccount(c.ctx, &famiv1.DeleteAccountRequest{Name: c.target}))
			}},
		"/fami.v1.AuthService/SetAccountPassword": {right: rightAccounts, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				// A refused call sets another password: the snapshot
				// would see it logging in no more.
				password := matrixPassword
				if !c.allowed {
					password = "another " + matrixPassword
				}
				return ret(c.s.SetAccountPassword(c.ctx, &famiv1.SetAccountPasswordRequest{Name: c.fx.account, Password: password}))
			}},
		"/fami.v1.AuthService/CreateServiceToken": {right: rightServiceTokens, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.newServiceToken(c.ctx, c.s, c.parent, c.id))
			}},
		"/fami.v1.AuthService/ListServiceTokens": {right: rightServiceTokens, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.ListServiceTokens(c.ctx, &famiv1.ListServiceTokensRequest{Parent: c.parent}))
			}},
		"/fami.v1.SyncService/ListChanges": {right: rightFeed, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.feeds[c.role].ListChanges(c.ctx, &famiv1.ListChangesRequest{Parent: c.parent}))
			}},
		"/fami.v1.SyncService/Watch": {right: rightFeed, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.feeds[c.role].WatchFirst(c.ctx, &famiv1.WatchRequest{Parent: c.parent}))
			}},
		"/fami.v1.AdminService/BackupRegion": {right: rightBackup, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.feeds[c.role].Backup(c.ctx, &famiv1.BackupRegionRequest{Name: c.parent}))
			}},
		// An allowed call compacts to revision 0, which drops nothing, so
		// the fixtures' history stays for the other cells. A refused one
		// asks to drop the oldest change of the log, which would leave
		// the log compacted: no revision moves, so the check reads the log.
		"/fami.v1.AdminService/CompactChanges": {right: rightCompact, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.feeds[c.role].CompactChanges(c.ctx, &famiv1.CompactChangesRequest{Parent: c.parent, Revision: c.revision}))
			},
			refused: func(c *matrixCall) func() {
				var err error
				if c.revision, err = c.env.oldestChange(c.ctx, c.parent); err != nil {
					c.t.Fatalf("before the call: %v", err)
				}
				return func() {
					if got, err := c.env.oldestChange(c.ctx, c.parent); err != nil || got != c.revision {
						c.t.Errorf("the refused compaction to revision %d ran: the oldest change is %d (%v), want %d", c.revision, got, err, c.revision)
					}
				}
			}},
		"/fami.v1.AuthService/RevokeServiceToken": {right: rightServiceTokens, scoped: true,
			setup: func(c *matrixCall) {
				c.target = mustOK(c.env.newServiceToken(c.ctx, c.admin, c.parent, c.id))(c.t, "create service token").GetServiceToken().GetName()
			},
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.RevokeServiceToken(c.ctx, &famiv1.RevokeServiceTokenRequest{Name: c.target}))
			}},

		// Protocols. The matrix's protocols are between the fixture lead,
		// the network member's partner, and member: see TestRightsMatrix
		// for the protocols its partner is not a party to.
		"/fami.v1.ProtocolService/CreateProtocol": {right: rightDraftProtocols, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().CreateProtocol(c.ctx, &famiv1.CreateProtocolRequest{Parent: c.parent, ProtocolId: c.id,
					Protocol: matrixProtocol(c.fx.network, c.id, c.fx.lead, c.fx.member)}))
			},
			check: wantProtocol(famiv1.ProtocolState_PROTOCOL_STATE_DRAFT, 1)},
		"/fami.v1.ProtocolService/GetProtocol": {right: rightReadProtocols, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().GetProtocol(c.ctx, &famiv1.GetProtocolRequest{Name: c.fx.protocol}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.Protocol).GetName(); got != c.fx.protocol {
					c.t.Errorf("GetProtocol: got %q, want %q", got, c.fx.protocol)
				}
			}},
		"/fami.v1.ProtocolService/ListProtocols": {right: rightReadProtocols, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().ListProtocols(c.ctx, &famiv1.ListProtocolsRequest{Parent: c.parent, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := names(res.(*famiv1.ListProtocolsResponse).GetProtocols()); !slices.Contains(got, c.fx.protocol) {
					c.t.Errorf("ListProtocols: got %q, want %q among them", got, c.fx.protocol)
				}
			}},
		"/fami.v1.ProtocolService/UpdateProtocol": {right: rightDraftProtocols, scoped: true,
			setup: func(c *matrixCall) { c.newProtocol(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().UpdateProtocol(c.ctx, &famiv1.UpdateProtocolRequest{
					Protocol: &famiv1.Protocol{Name: c.target, Title: "Renamed " + c.id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.Protocol).GetTitle(); got != "Renamed "+c.id {
					c.t.Errorf("UpdateProtocol: got title %q", got)
				}
			}},
		"/fami.v1.ProtocolService/DeleteProtocol": {right: rightDraftProtocols, scoped: true,
			setup: func(c *matrixCall) { c.newProtocol(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().DeleteProtocol(c.ctx, &famiv1.DeleteProtocolRequest{Name: c.target}))
			}},
		"/fami.v1.ProtocolService/OpenProtocolForSignature": {right: rightDraftProtocols, scoped: true,
			setup: func(c *matrixCall) { c.newProtocol(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().OpenProtocolForSignature(c.ctx, &famiv1.OpenProtocolForSignatureRequest{Name: c.target}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if p := res.(*famiv1.Protocol); p.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE || p.GetContentHash() == "" {
					c.t.Errorf("OpenProtocolForSignature: got %s with content hash %q, want OPEN_FOR_SIGNATURE with one", p.GetState(), p.GetContentHash())
				}
			}},
		"/fami.v1.ProtocolService/SignProtocol": {right: rightSignProtocols, scoped: true,
			setup: func(c *matrixCall) { c.newProtocol(true) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().SignProtocol(c.ctx, &famiv1.SignProtocolRequest{Name: c.target, ContentHash: c.hash}))
			},
			// "for its own partner": the signature is the token's
			// partner's, by the token's subject.
			check: func(c *matrixCall, res proto.Message) {
				sigs := res.(*famiv1.Protocol).GetSignatures()
				if len(sigs) != 1 || sigs[0].GetParty() != c.env.fx[ownRegion].lead || sigs[0].GetSigner() != c.env.subjects[c.role] || sigs[0].GetContentHash() != c.hash {
					c.t.Errorf("SignProtocol: got signatures %v, want one for %s by %s", sigs, c.env.fx[ownRegion].lead, c.env.subjects[c.role])
				}
			}},
		"/fami.v1.ProtocolService/TerminateProtocol": {right: rightDraftProtocols, scoped: true,
			setup: func(c *matrixCall) { c.newProtocol(true) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().TerminateProtocol(c.ctx, &famiv1.TerminateProtocolRequest{Name: c.target, Reason: "Withdrawn"}))
			},
			check: wantProtocol(famiv1.ProtocolState_PROTOCOL_STATE_TERMINATED, 1)},
		"/fami.v1.ProtocolService/AmendProtocol": {right: rightDraftProtocols, scoped: true,
			setup: func(c *matrixCall) { c.newProtocol(true) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.protocols().AmendProtocol(c.ctx, &famiv1.AmendProtocolRequest{Name: c.target, ProtocolId: c.id + "-v2"}))
			},
			check: func(c *matrixCall, res proto.Message) {
				wantProtocol(famiv1.ProtocolState_PROTOCOL_STATE_DRAFT, 2)(c, res)
				if got := res.(*famiv1.Protocol).GetSupersedes(); got != c.target {
					c.t.Errorf("AmendProtocol: the amendment supersedes %q, want %q", got, c.target)
				}
			}},

		// Support hours. The matrix's entries are the consultant's own:
		// see TestRightsMatrix for another consultant's.
		"/fami.v1.SupportService/CreateSupportEntry": {right: rightLogEntries, scoped: true,
			setup: func(c *matrixCall) { c.date = c.env.entryDay() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().CreateSupportEntry(c.ctx, &famiv1.CreateSupportEntryRequest{Parent: c.parent, SupportEntryId: c.id,
					SupportEntry: matrixEntry(c.fx.network, c.date, 60)}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if en := res.(*famiv1.SupportEntry); en.GetConsultant() != c.env.subjects[c.role] || en.GetState() != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED {
					c.t.Errorf("CreateSupportEntry: got consultant %q, %s; want the caller, SUBMITTED", en.GetConsultant(), en.GetState())
				}
			}},
		"/fami.v1.SupportService/GetSupportEntry": {right: rightReadEntries, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().GetSupportEntry(c.ctx, &famiv1.GetSupportEntryRequest{Name: c.fx.entry}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.SupportEntry).GetName(); got != c.fx.entry {
					c.t.Errorf("GetSupportEntry: got %q, want %q", got, c.fx.entry)
				}
			}},
		"/fami.v1.SupportService/ListSupportEntries": {right: rightReadEntries, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().ListSupportEntries(c.ctx, &famiv1.ListSupportEntriesRequest{Parent: c.parent, StartDate: fixtureDay, EndDate: fixtureDay}))
			},
			check: func(c *matrixCall, res proto.Message) {
				got := slices.Sorted(slices.Values(names(res.(*famiv1.ListSupportEntriesResponse).GetSupportEntries())))
				if want := c.fx.entriesFor(c.role); !slices.Equal(got, want) {
					c.t.Errorf("ListSupportEntries of %s: got %q, want %q", fixtureDay, got, want)
				}
			}},
		"/fami.v1.SupportService/UpdateSupportEntry": {right: rightLogEntries, scoped: true,
			setup: func(c *matrixCall) { c.newEntry() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().UpdateSupportEntry(c.ctx, &famiv1.UpdateSupportEntryRequest{
					SupportEntry: &famiv1.SupportEntry{Name: c.target, DurationMinutes: 90, Notes: "Edited"},
					UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"duration_minutes", "notes"}}}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.SupportEntry).GetDurationMinutes(); got != 90 {
					c.t.Errorf("UpdateSupportEntry: got %d minutes, want 90", got)
				}
			}},
		"/fami.v1.SupportService/DeleteSupportEntry": {right: rightLogEntries, scoped: true,
			setup: func(c *matrixCall) { c.newEntry() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().DeleteSupportEntry(c.ctx, &famiv1.DeleteSupportEntryRequest{Name: c.target}))
			}},
		"/fami.v1.SupportService/BatchApproveSupportEntries": {right: rightReviewEntries, scoped: true,
			setup: func(c *matrixCall) { c.newEntry() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().BatchApproveSupportEntries(c.ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: c.parent, Names: []string{c.target}, Reason: "Verified"}))
			},
			check: func(c *matrixCall, res proto.Message) {
				got := res.(*famiv1.BatchApproveSupportEntriesResponse).GetSupportEntries()
				if len(got) != 1 || got[0].GetName() != c.target || got[0].GetState() != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED {
					c.t.Errorf("BatchApproveSupportEntries: got %v, want %s APPROVED", got, c.target)
				}
			}},
		"/fami.v1.SupportService/BatchRejectSupportEntries": {right: rightReviewEntries, scoped: true,
			setup: func(c *matrixCall) { c.newEntry() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().BatchRejectSupportEntries(c.ctx, &famiv1.BatchRejectSupportEntriesRequest{Parent: c.parent, Names: []string{c.target}, Reason: "No network involved"}))
			},
			check: func(c *matrixCall, res proto.Message) {
				got := res.(*famiv1.BatchRejectSupportEntriesResponse).GetSupportEntries()
				if len(got) != 1 || got[0].GetName() != c.target || got[0].GetState() != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED {
					c.t.Errorf("BatchRejectSupportEntries: got %v, want %s REJECTED", got, c.target)
				}
			}},
		"/fami.v1.SupportService/RejectSupportEntry": {right: rightReviewEntries, scoped: true,
			setup: func(c *matrixCall) { c.newEntry() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().RejectSupportEntry(c.ctx, &famiv1.RejectSupportEntryRequest{Name: c.target, Reason: "No network involved"}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.SupportEntry).GetState(); got != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED {
					c.t.Errorf("RejectSupportEntry: got %s, want REJECTED", got)
				}
			}},
		"/fami.v1.SupportService/ClosePeriod": {right: rightReviewEntries, scoped: true,
			setup: func(c *matrixCall) { c.date = c.env.periodDay() },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().ClosePeriod(c.ctx, &famiv1.ClosePeriodRequest{Parent: c.parent, ClosedPeriodId: c.id,
					ClosedPeriod: &famiv1.ClosedPeriod{StartDate: c.date, EndDate: c.date, Reason: "Reported"}}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.ClosedPeriod).GetState(); got != famiv1.ClosedPeriodState_CLOSED_PERIOD_STATE_CLOSED {
					c.t.Errorf("ClosePeriod: got %s, want CLOSED", got)
				}
			}},
		"/fami.v1.SupportService/ReopenPeriod": {right: rightReviewEntries, scoped: true,
			setup: func(c *matrixCall) {
				c.target = c.fx.period
				if c.allowed {
					c.target = mustOK(c.env.newPeriod(c.ctx, c.region, c.id))(c.t, "close period "+c.id).GetName()
				}
			},
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().ReopenPeriod(c.ctx, &famiv1.ReopenPeriodRequest{Name: c.target, Reason: "Correction"}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.ClosedPeriod).GetState(); got != famiv1.ClosedPeriodState_CLOSED_PERIOD_STATE_REOPENED {
					c.t.Errorf("ReopenPeriod: got %s, want REOPENED", got)
				}
			}},
		"/fami.v1.SupportService/ListClosedPeriods": {right: rightListPeriods, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().ListClosedPeriods(c.ctx, &famiv1.ListClosedPeriodsRequest{Parent: c.parent, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := names(res.(*famiv1.ListClosedPeriodsResponse).GetClosedPeriods()); !slices.Contains(got, c.fx.period) {
					c.t.Errorf("ListClosedPeriods: got %q, want %q among them", got, c.fx.period)
				}
			}},
		// By network: no per-consultant figures, which the ministry and
		// network members may not ask for (see TestRightsMatrix).
		"/fami.v1.SupportService/SummarizeSupportEntries": {right: rightSummaries, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().SummarizeSupportEntries(c.ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: c.parent,
					StartDate: fixtureDay, EndDate: fixtureDay, GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK}))
			},
			check: func(c *matrixCall, res proto.Message) {
				sum := res.(*famiv1.SummarizeSupportEntriesResponse)
				minutes, entries, networks := fixtureTotals(c.role)
				if tot := sum.GetTotals(); tot.GetTotalMinutes() != minutes || tot.GetEntries() != entries || tot.GetDistinctNetworks() != networks || len(sum.GetGroups()) != int(networks) {
					c.t.Errorf("SummarizeSupportEntries of %s: got %v, want %d minutes, %d entries, %d networks", fixtureDay, sum, minutes, entries, networks)
				}
			}},
		"/fami.v1.SupportService/ExportSupportEntries": {right: rightReadEntries, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.support().ExportSupportEntries(c.ctx, &famiv1.ExportSupportEntriesRequest{Parent: c.parent, StartDate: fixtureDay, EndDate: fixtureDay}))
			},
			check: func(c *matrixCall, res proto.Message) {
				var got []string
				for _, r := range res.(*famiv1.ExportSupportEntriesResponse).GetRows() {
					got = append(got, r.GetValues()[0])
				}
				slices.Sort(got)
				if want := c.fx.entriesFor(c.role); !slices.Equal(got, want) {
					c.t.Errorf("ExportSupportEntries of %s: got %q, want %q", fixtureDay, got, want)
				}
			},
			variants: map[string]matrixCase{
				"summary": {right: rightSummaries, scoped: true,
					call: func(c *matrixCall) (proto.Message, error) {
						return ret(c.support().ExportSupportEntries(c.ctx, &famiv1.ExportSupportEntriesRequest{Parent: c.parent,
							GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK, StartDate: fixtureDay, EndDate: fixtureDay}))
					},
					check: func(c *matrixCall, res proto.Message) {
						exp := res.(*famiv1.ExportSupportEntriesResponse)
						minutes, _, networks := fixtureTotals(c.role)
						col := slices.Index(exp.GetHeader(), "total_minutes")
						rows := exp.GetRows()
						if col < 0 || len(rows) != int(networks)+1 || rows[len(rows)-1].GetValues()[0] != "TOTAL" || rows[len(rows)-1].GetValues()[col] != fmt.Sprint(minutes) {
							c.t.Errorf("ExportSupportEntries by network of %s: got %v, want %d networks and a TOTAL of %d minutes", fixtureDay, exp, networks, minutes)
						}
					}},
			}},
	}
}

// wantProtocol checks that an allowed call returned a protocol in state,
// at version.
func wantProtocol(state famiv1.ProtocolState, version int32) func(c *matrixCall, res proto.Message) {
	return func(c *matrixCall, res proto.Message) {
		if p := res.(*famiv1.Protocol); p.GetState() != state || p.GetVersion() != version {
			c.t.Errorf("got %s version %d, want %s version %d", p.GetState(), p.GetVersion(), state, version)
		}
	}
}

// apiProcedures walks the generated descriptors: every method of every
// fami.v1 service, as "/fami.v1.Service/Method".
func apiProcedures(t *testing.T) []string {
	t.Helper()
	var procs []string
	protoregistry.GlobalFiles.RangeFilesByPackage("fami.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				procs = append(procs, "/"+string(sd.FullName())+"/"+string(sd.Methods().Get(j).Name()))
			}
		}
		return true
	})
	if len(procs) == 0 {
		t.Fatal("found no fami.v1 methods: the generated descriptors are not linked")
	}
	sort.Strings(procs)
	return procs
}

// TestRightsMatrix calls every RPC as every role, in the caller's own
// region and in another, over every surface, and checks the outcome against
// the README's rights table: an allowed call succeeds; any other is refused
// (UNAUTHENTICATED without a token, PERMISSION_DENIED or NOT_FOUND with
// one), carries no data and writes nothing.
func TestRightsMatrix(t *testing.T) {
	t.Parallel()
	procs := apiProcedures(t)
	cases := matrixCases()
	maps.Copy(cases, meetingMatrixCases())
	maps.Copy(cases, nationalMatrixCases())
	maps.Copy(cases, overlapMatrixCases())
	maps.Copy(cases, monitoringMatrixCases())
	maps.Copy(cases, contactMatrixCases())
	maps.Copy(cases, evaluationMatrixCases())
	maps.Copy(cases, surveyMatrixCases())
	for _, p := range procs {
		if _, ok := cases[p]; !ok {
			t.Errorf("%s has no case in matrixCases: add one, with its row of the README rights table", p)
		}
	}
	for p := range cases {
		if !slices.Contains(procs, p) {
			t.Errorf("matrixCases has a case for %s, which is not a method of any fami.v1 service", p)
		}
	}
	// The RPCs with a case still run, so one missing case does not hide
	// the rest of the matrix.

	var ran, allowed atomic.Int64
	t.Run("surface", func(t *testing.T) {
		// The surfaces run at once, and each in matrixShards shards:
		// every shard a server of its own (so no cell can see another
		// shard's writes), whose cells run one after another (so a
		// refused cell's snapshots see only its own). A shard is a chain
		// of round trips, so on a loaded machine the matrix takes as long
		// as its longest chain; goroutines, rather than t.Parallel, so that
		// -parallel (GOMAXPROCS by default: two chains at a time on two
		// cores) does not put them back in line.
		var surfaces sync.WaitGroup
		for _, kind := range surfaceKinds {
			surfaces.Go(func() {
				t.Run(kind, func(t *testing.T) {
					var shards sync.WaitGroup
					for i := range matrixShards {
						env := newMatrixEnv(t, kind)
						shards.Go(func() { env.runShard(t, i, procs, cases, &ran, &allowed) })
					}
					shards.Wait()
				})
			})
		}
		surfaces.Wait()
	})
	t.Logf("the matrix ran %d cells (%d allowed, %d refused) over %d RPCs, %d roles and %d surfaces",
		ran.Load(), allowed.Load(), ran.Load()-allowed.Load(), len(cases), len(matrixRoles), len(surfaceKinds))
}

// writesSystemStore reports whether proc may write the system store: the
// AuthService's methods, served by the accounts service, the only one that
// holds it (TestOnlyTheAuthServiceWritesTheSystemStore).
func writesSystemStore(proc string) bool {
	return strings.HasPrefix(proc, "/"+famiv1.AuthService_ServiceDesc.ServiceName+"/")
}

// matrixShards is how many servers each surface's matrix is spread over.
const matrixShards = 3

// runShard runs, as subtests of t, the cells of every matrixShards-th RPC
// of procs from the shard-th on, and with the first shard the subtests
// beyond the matrix.
func (env *matrixEnv) runShard(t *testing.T, shard int, procs []string, cases map[string]matrixCase, ran, allowed *atomic.Int64) {
	for i, proc := range procs {
		mc, ok := cases[proc]
		if !ok || i%matrixShards != shard {
			continue
		}
		method := proc[strings.LastIndexByte(proc, '/')+1:]
		runCase := func(method string, mc matrixCase) {
			mc.system = writesSystemStore(proc)
			t.Run(method, func(t *testing.T) {
				for _, role := range matrixRoles {
					t.Run(role, func(t *testing.T) {
						regions := []string{""}
						if mc.scoped {
							regions = []string{ownRegion, foreignRegion}
						}
						for _, region := range regions {
							name := region
							if name == "" {
								name = "no_region"
							}
							t.Run(name, func(t *testing.T) {
								ran.Add(1)
								if env.run(t, env.kind, method, mc, role, region) {
									allowed.Add(1)
								}
							})
						}
					})
				}
			})
		}
		runCase(method, mc)
		for _, v := range slices.Sorted(maps.Keys(mc.variants)) {
			runCase(method+"_"+v, mc.variants[v])
		}
	}
	if shard != 0 {
		return
	}
	t.Run("UpdateNetwork/network_member/"+ownRegion+"/network_led_by_another_partner", func(t *testing.T) {
		ran.Add(1)
		env.updateNetworkAsMember(t, "another-lead", false, renameNetwork, "NOT_NETWORK_LEAD")
	})
	t.Run("UpdateNetwork/network_member/"+ownRegion+"/changing_the_lead", func(t *testing.T) {
		ran.Add(1)
		env.updateNetworkAsMember(t, "lead-change", true, handTheLead, "LEAD_CHANGE_NOT_ALLOWED")
	})
	t.Run("UpdateNetwork/network_member/"+ownRegion+"/changing_the_projects", func(t *testing.T) {
		ran.Add(1)
		env.updateNetworkAsMember(t, "projects-change", true, addAProject, "PROJECTS_CHANGE_NOT_ALLOWED")
	})
	for _, st := range env.beyondMatrix() {
		t.Run(st.name, func(t *testing.T) {
			ran.Add(1)
			st.run(t)
		})
	}
}

// run makes one call of the matrix and checks its outcome; it reports
// whether the README allows the call.
func (e *matrixEnv) run(t *testing.T, kind, method string, mc matrixCase, role, region string) bool {
	ctx := t.Context()
	c := &matrixCall{t: t, ctx: ctx, env: e, role: role, s: e.as[role], region: region,
		allowed: readmeAllows(t, mc.right, role, region)}
	c.id = strings.ReplaceAll(strings.Join([]string{kind, strings.ToLower(method), role, region}, "-"), "_", "-")
	c.id = strings.TrimSuffix(c.id, "-")
	if region != "" {
		c.admin, c.parent, c.fx = e.admins[region], "regions/"+region, e.fx[region]
	}
	if mc.setup != nil {
		mc.setup(c)
	}
	var before matrixSnapshot
	if !c.allowed && region != "" {
		before = e.snapshot(t, ctx, region, mc.system)
	}
	var refusedCheck func()
	if !c.allowed && mc.refused != nil {
		refusedCheck = mc.refused(c)
	}
	res, err := mc.call(c)
	if c.allowed {
		if err != nil {
			t.Errorf("got %v, want OK: the README gives %s %q the right %q", err, role, region, mc.right)
			return true
		}
		if mc.check != nil {
			mc.check(c, res)
		}
		return true
	}
	checkRefused(t, role, res, err)
	if region != "" {
		if after := e.snapshot(t, ctx, region, mc.system); !after.equal(before) {
			t.Errorf("the refused call changed region %s: got %+v, want %+v", region, after, before)
		}
	}
	if refusedCheck != nil {
		refusedCheck()
	}
	return false
}

// checkRefused checks that a call the README does not allow was refused
// the way the README says, and that the refusal carries no data.
func checkRefused(t *testing.T, role string, res proto.Message, err error) {
	t.Helper()
	e, ok := asCallError(err)
	if !ok {
		if err == nil {
			t.Errorf("got OK with %s, want a refusal: the README does not allow this call to %s", brief(res), role)
		} else {
			t.Errorf("got %v, want a refusal", err)
		}
		return
	}
	wantCodes := []codes.Code{codes.PermissionDenied, codes.NotFound}
	if role == roleAnonymous {
		wantCodes = []codes.Code{codes.Unauthenticated}
	}
	if !slices.Contains(wantCodes, e.Code) {
		t.Errorf("got %v, want one of %v", e, wantCodes)
	}
	if e.HTTPStatus != 0 {
		want := map[codes.Code]int{codes.Unauthenticated: http.StatusUnauthorized, codes.PermissionDenied: http.StatusForbidden, codes.NotFound: http.StatusNotFound}[e.Code]
		if e.HTTPStatus != want {
			t.Errorf("got HTTP status %d for %s, want %d", e.HTTPStatus, upperSnake(e.Code), want)
		}
	}
	if res != nil && proto.Size(res) > 0 {
		t.Errorf("the refusal carries data: %s", brief(res))
	}
	if strings.Contains(e.Message, secretMarker) {
		t.Errorf("the refusal's message carries data: %q", e.Message)
	}
}

// updateNetworkAsMember covers the network member's update rights beyond
// the matrix's network (one its partner leads): on a network led by
// another partner, or changing the lead or the projects of its own (edit,
// on the new network n whose lead is lead and other member other), the
// update is refused with reason and the network is unchanged.
func (e *matrixEnv) updateNetworkAsMember(t *testing.T, id string, ownNetwork bool, edit networkEdit, wantReason string) {
	ctx := t.Context()
	fx, admin := e.fx[ownRegion], e.admins[ownRegion]
	lead, other := fx.member, fx.lead
	if ownNetwork {
		lead, other = fx.lead, fx.member
	}
	n := mustOK(e.newNetwork(ctx, admin, "regions/"+ownRegion, e.kind+"-"+id, lead, other))(t, "create network")
	changed, paths := edit(n.GetName(), lead, other, fx)
	req := &famiv1.UpdateNetworkRequest{Network: changed, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}}
	before := e.snapshot(t, ctx, ownRegion, false)
	res, err := e.as[roleNetworkMember].UpdateNetwork(ctx, req)
	checkRefused(t, roleNetworkMember, res, err)
	if ce, ok := asCallError(err); ok && (ce.Code != codes.PermissionDenied || ce.Reason != wantReason) {
		t.Errorf("got %s reason %q, want PERMISSION_DENIED reason %q", upperSnake(ce.Code), ce.Reason, wantReason)
	}
	if after := e.snapshot(t, ctx, ownRegion, false); !after.equal(before) {
		t.Errorf("the refused update changed the region: got %+v, want %+v", after, before)
	}
	got := mustOK(admin.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: n.GetName()}))(t, "get network")
	if !proto.Equal(got, n) {
		t.Errorf("after the refused update: got %s, want %s", brief(got), brief(n))
	}
}

// networkEdit is a change of the network called name, whose lead is lead
// and other member other: the fields to send and the mask naming them.
type networkEdit func(name, lead, other string, fx *matrixFixtures) (*famiv1.Network, []string)

// The network members' edits of updateNetworkAsMember.
var (
	renameNetwork networkEdit = func(name, _, _ string, _ *matrixFixtures) (*famiv1.Network, []string) {
		return &famiv1.Network{Name: name, DisplayName: "Renamed by a member"}, []string{"display_name"}
	}
	// Hand the lead to the other member: a valid network, but not the
	// member's to change.
	handTheLead networkEdit = func(name, lead, other string, _ *matrixFixtures) (*famiv1.Network, []string) {
		return &famiv1.Network{Name: name, LeadPartner: other, Members: []*famiv1.Member{
			{Partner: other, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
			{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER},
		}}, []string{"lead_partner", "members"}
	}
	// Add a project of the region: it would then report for it.
	addAProject networkEdit = func(name, _, _ string, fx *matrixFixtures) (*famiv1.Network, []string) {
		return &famiv1.Network{Name: name, Projects: []*famiv1.NetworkProject{{Project: fx.project}}}, []string{"projects"}
	}
)

// matrixSubtest is a call beyond the matrix's cells: the README's rights
// on data the matrix's calls do not touch (another consultant's entries,
// protocols the network member's partner is not a party to, ...).
type matrixSubtest struct {
	name string
	run  func(t *testing.T)
}

// expectRefusal makes a call the README refuses beyond the matrix, in
// ownRegion, and checks the refusal: want's code and reason, no data, no
// fixture detail in its message, and nothing written. The calls are the
// ProtocolService's and the SupportService's, which cannot write the
// system store: the region's revision shows whatever they write.
func (e *matrixEnv) expectRefusal(t *testing.T, want wantErr, call func() (proto.Message, error)) {
	t.Helper()
	ctx := t.Context()
	before := e.snapshot(t, ctx, ownRegion, false)
	res, err := call()
	checkErr(t, "the call", err, want)
	if res != nil && proto.Size(res) > 0 {
		t.Errorf("the refusal carries data: %s", brief(res))
	}
	if ce, ok := asCallError(err); ok && strings.Contains(ce.Message, secretMarker) {
		t.Errorf("the refusal's message carries data: %q", ce.Message)
	}
	if after := e.snapshot(t, ctx, ownRegion, false); !after.equal(before) {
		t.Errorf("the refused call changed region %s: got %+v, want %+v", ownRegion, after, before)
	}
}

// beyondMatrix lists the subtests of the data-dependent rights, all in
// ownRegion:
//
//   - partyOwn: the network member drafts, edits, opens, amends,
//     terminates and signs only protocols its partner is a party to
//     (NOT_A_PARTY otherwise), and signs once (ALREADY_SIGNED, the
//     Protocols section's refusal table);
//   - ownEntries: a consultant reads, edits and deletes only its own
//     entries (NOT_OWN_ENTRY), lists, exports and summarizes only its own
//     (NOT_OWN_ENTRY when it asks for another consultant's), and edits or
//     deletes them only while SUBMITTED (ENTRY_NOT_SUBMITTED);
//   - summaries: the ministry and network members get no per-consultant
//     figures (CONSULTANT_DETAIL_NOT_ALLOWED); a network member only the
//     networks its partner is a member of (NOT_NETWORK_MEMBER).
func (e *matrixEnv) beyondMatrix() []matrixSubtest {
	var out []matrixSubtest
	fx, parent := e.fx[ownRegion], "regions/"+ownRegion
	notAParty := wantErr{code: codes.PermissionDenied, reason: "NOT_A_PARTY"}
	notOwn := wantErr{code: codes.PermissionDenied, reason: "NOT_OWN_ENTRY"}
	noConsultants := wantErr{code: codes.PermissionDenied, reason: "CONSULTANT_DETAIL_NOT_ALLOWED"}
	notSubmitted := wantErr{code: codes.FailedPrecondition, reason: "ENTRY_NOT_SUBMITTED"}

	// The network member on a protocol between member and third: its
	// partner, lead, is not a party. The protocol must not change. Third
	// is a member of the additional network (parties must be members).
	memberAndThird := func(id string) *famiv1.Protocol {
		p := matrixProtocol(fx.network, id, fx.member, fx.third)
		p.AdditionalNetworks = []string{fx.otherNetwork}
		return p
	}
	for _, pc := range []struct {
		method string
		// exists: the call acts on a protocol, opened when open.
		exists, open bool
		call         func(ctx context.Context, nm surface, id string, p *famiv1.Protocol) (proto.Message, error)
	}{
		{"CreateProtocol", false, false, func(ctx context.Context, nm surface, id string, _ *famiv1.Protocol) (proto.Message, error) {
			return ret(nm.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: id, Protocol: memberAndThird(id)}))
		}},
		{"UpdateProtocol", true, false, func(ctx context.Context, nm surface, id string, p *famiv1.Protocol) (proto.Message, error) {
			return ret(nm.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: p.GetName(), Title: "Renamed"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
		}},
		{"DeleteProtocol", true, false, func(ctx context.Context, nm surface, id string, p *famiv1.Protocol) (proto.Message, error) {
			return ret(nm.DeleteProtocol(ctx, &famiv1.DeleteProtocolRequest{Name: p.GetName()}))
		}},
		{"OpenProtocolForSignature", true, false, func(ctx context.Context, nm surface, id string, p *famiv1.Protocol) (proto.Message, error) {
			return ret(nm.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}))
		}},
		{"SignProtocol", true, true, func(ctx context.Context, nm surface, id string, p *famiv1.Protocol) (proto.Message, error) {
			return ret(nm.SignProtocol(ctx, &famiv1.SignProtocolRequest{Name: p.GetName(), ContentHash: p.GetContentHash()}))
		}},
		{"TerminateProtocol", true, true, func(ctx context.Context, nm surface, id string, p *famiv1.Protocol) (proto.Message, error) {
			return ret(nm.TerminateProtocol(ctx, &famiv1.TerminateProtocolRequest{Name: p.GetName(), Reason: "Withdrawn"}))
		}},
		{"AmendProtocol", true, true, func(ctx context.Context, nm surface, id string, p *famiv1.Protocol) (proto.Message, error) {
			return ret(nm.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: p.GetName(), ProtocolId: id + "-v2"}))
		}},
	} {
		out = append(out, matrixSubtest{pc.method + "/network_member/" + ownRegion + "/protocol_its_partner_is_not_a_party_to", func(t *testing.T) {
			ctx := t.Context()
			id := e.kind + "-not-a-party-" + strings.ToLower(pc.method)
			var p *famiv1.Protocol
			if pc.exists {
				p = mustOK(e.newProtocolOf(ctx, ownRegion, id, memberAndThird(id), pc.open))(t, "create protocol")
			}
			e.expectRefusal(t, notAParty, func() (proto.Message, error) { return pc.call(ctx, e.as[roleNetworkMember], id, p) })
			if p != nil {
				if got := mustOK(e.admins[ownRegion].GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: p.GetName()}))(t, "get protocol"); !proto.Equal(got, p) {
					t.Errorf("after the refused call: got %s, want %s", brief(got), brief(p))
				}
			}
		}})
	}
	out = append(out, matrixSubtest{"SignProtocol/network_member/" + ownRegion + "/second_signature", func(t *testing.T) {
		ctx := t.Context()
		nm := e.as[roleNetworkMember]
		p := mustOK(e.newProtocol(ctx, ownRegion, e.kind+"-second-signature", fx.network, true, fx.lead, fx.member))(t, "create protocol")
		sign := &famiv1.SignProtocolRequest{Name: p.GetName(), ContentHash: p.GetContentHash()}
		mustOK(nm.SignProtocol(ctx, sign))(t, "first signature")
		e.expectRefusal(t, wantErr{code: codes.FailedPrecondition, reason: "ALREADY_SIGNED"}, func() (proto.Message, error) { return ret(nm.SignProtocol(ctx, sign)) })
	}})

	// A consultant on another consultant's entries. The entries must not
	// change.
	entryUnchanged := func(t *testing.T, en *famiv1.SupportEntry) {
		t.Helper()
		if got := mustOK(e.admins[ownRegion].GetSupportEntry(t.Context(), &famiv1.GetSupportEntryRequest{Name: en.GetName()}))(t, "get entry"); !proto.Equal(got, en) {
			t.Errorf("after the refused call: got %s, want %s", brief(got), brief(en))
		}
	}
	consultant := func() surface { return e.as[roleConsultant] }
	other := otherConsultant(ownRegion)
	out = append(out,
		matrixSubtest{"GetSupportEntry/consultant/" + ownRegion + "/another_consultants_entry", func(t *testing.T) {
			e.expectRefusal(t, notOwn, func() (proto.Message, error) {
				return ret(consultant().GetSupportEntry(t.Context(), &famiv1.GetSupportEntryRequest{Name: fx.otherEntry}))
			})
		}},
		matrixSubtest{"UpdateSupportEntry/consultant/" + ownRegion + "/another_consultants_entry", func(t *testing.T) {
			ctx := t.Context()
			en := mustOK(e.newEntry(ctx, e.otherLoggers[ownRegion], parent, e.kind+"-others-update", fx.network, e.entryDay(), 60))(t, "log entry")
			e.expectRefusal(t, notOwn, func() (proto.Message, error) {
				return ret(consultant().UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{
					SupportEntry: &famiv1.SupportEntry{Name: en.GetName(), Notes: "Mine"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}}))
			})
			entryUnchanged(t, en)
		}},
		matrixSubtest{"DeleteSupportEntry/consultant/" + ownRegion + "/another_consultants_entry", func(t *testing.T) {
			ctx := t.Context()
			en := mustOK(e.newEntry(ctx, e.otherLoggers[ownRegion], parent, e.kind+"-others-delete", fx.network, e.entryDay(), 60))(t, "log entry")
			e.expectRefusal(t, notOwn, func() (proto.Message, error) {
				return ret(consultant().DeleteSupportEntry(ctx, &famiv1.DeleteSupportEntryRequest{Name: en.GetName()}))
			})
			entryUnchanged(t, en)
		}},
		matrixSubtest{"ListSupportEntries/consultant/" + ownRegion + "/another_consultants_entries", func(t *testing.T) {
			e.expectRefusal(t, notOwn, func() (proto.Message, error) {
				return ret(consultant().ListSupportEntries(t.Context(), &famiv1.ListSupportEntriesRequest{Parent: parent, Consultant: other}))
			})
		}},
		matrixSubtest{"ExportSupportEntries/consultant/" + ownRegion + "/another_consultants_entries", func(t *testing.T) {
			e.expectRefusal(t, notOwn, func() (proto.Message, error) {
				return ret(consultant().ExportSupportEntries(t.Context(), &famiv1.ExportSupportEntriesRequest{Parent: parent, Consultant: other}))
			})
		}},
		matrixSubtest{"SummarizeSupportEntries/consultant/" + ownRegion + "/another_consultants_entries", func(t *testing.T) {
			e.expectRefusal(t, notOwn, func() (proto.Message, error) {
				return ret(consultant().SummarizeSupportEntries(t.Context(), &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: fixtureDay, EndDate: fixtureDay, Consultant: other}))
			})
		}},
		matrixSubtest{"ExportSupportEntries_summary/consultant/" + ownRegion + "/another_consultants_entries", func(t *testing.T) {
			e.expectRefusal(t, notOwn, func() (proto.Message, error) {
				return ret(consultant().ExportSupportEntries(t.Context(), &famiv1.ExportSupportEntriesRequest{Parent: parent,
					GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK, StartDate: fixtureDay, EndDate: fixtureDay, Consultant: other}))
			})
		}},
	)
	// "own entries, while SUBMITTED": its own entry, once approved.
	for _, method := range []string{"UpdateSupportEntry", "DeleteSupportEntry"} {
		out = append(out, matrixSubtest{method + "/consultant/" + ownRegion + "/own_approved_entry", func(t *testing.T) {
			ctx := t.Context()
			en := mustOK(e.newEntry(ctx, consultant(), parent, e.kind+"-approved-"+strings.ToLower(method), fx.network, e.entryDay(), 60))(t, "log entry")
			approved := mustOK(e.admins[ownRegion].BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: []string{en.GetName()}}))(t, "approve entry")
			e.expectRefusal(t, notSubmitted, func() (proto.Message, error) {
				if method == "DeleteSupportEntry" {
					return ret(consultant().DeleteSupportEntry(ctx, &famiv1.DeleteSupportEntryRequest{Name: en.GetName()}))
				}
				return ret(consultant().UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{
					SupportEntry: &famiv1.SupportEntry{Name: en.GetName(), Notes: "Late"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}}))
			})
			entryUnchanged(t, approved.GetSupportEntries()[0])
		}})
	}

	// "no per-consultant figures", for the ministry and network members.
	for _, role := range []string{roleMinistry, roleNetworkMember} {
		for _, sc := range []struct {
			name string
			call func(ctx context.Context, s surface) (proto.Message, error)
		}{
			{"SummarizeSupportEntries/" + role + "/" + ownRegion + "/by_consultant", func(ctx context.Context, s surface) (proto.Message, error) {
				return ret(s.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: fixtureDay, EndDate: fixtureDay,
					GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT}))
			}},
			{"SummarizeSupportEntries/" + role + "/" + ownRegion + "/one_consultant", func(ctx context.Context, s surface) (proto.Message, error) {
				return ret(s.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: fixtureDay, EndDate: fixtureDay,
					Consultant: e.subjects[roleConsultant]}))
			}},
			{"ExportSupportEntries_summary/" + role + "/" + ownRegion + "/by_consultant", func(ctx context.Context, s surface) (proto.Message, error) {
				return ret(s.ExportSupportEntries(ctx, &famiv1.ExportSupportEntriesRequest{Parent: parent, StartDate: fixtureDay, EndDate: fixtureDay,
					GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT}))
			}},
		} {
			out = append(out, matrixSubtest{sc.name, func(t *testing.T) {
				e.expectRefusal(t, noConsultants, func() (proto.Message, error) { return sc.call(t.Context(), e.as[role]) })
			}})
		}
	}
	// "the networks its partner is a member of": lead is not a member of
	// otherNetwork.
	notMember := wantErr{code: codes.PermissionDenied, reason: "NOT_NETWORK_MEMBER"}
	out = append(out,
		matrixSubtest{"SummarizeSupportEntries/network_member/" + ownRegion + "/network_its_partner_is_not_a_member_of", func(t *testing.T) {
			e.expectRefusal(t, notMember, func() (proto.Message, error) {
				return ret(e.as[roleNetworkMember].SummarizeSupportEntries(t.Context(), &famiv1.SummarizeSupportEntriesRequest{Parent: parent,
					StartDate: fixtureDay, EndDate: fixtureDay, Network: fx.otherNetwork}))
			})
		}},
		matrixSubtest{"ExportSupportEntries_summary/network_member/" + ownRegion + "/network_its_partner_is_not_a_member_of", func(t *testing.T) {
			e.expectRefusal(t, notMember, func() (proto.Message, error) {
				return ret(e.as[roleNetworkMember].ExportSupportEntries(t.Context(), &famiv1.ExportSupportEntriesRequest{Parent: parent,
					GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK, StartDate: fixtureDay, EndDate: fixtureDay, Network: fx.otherNetwork}))
			})
		}},
	)
	return out
}

// ---- MeetingService (issue 7) ----
//
// The meeting rows of the README's "Who may do what" table, and the
// matrix's cases of every MeetingService RPC. Network members write only
// meetings whose every network their partner is a member of, and their
// attendance summaries cover those networks only: both are the
// memberNetworks scope; the matrix's meetings are of the fixture network,
// whose members include the network member's partner (the fixture lead),
// and the check of the network member's cells also tries a meeting, and a
// summary, of a network it is not in (NOT_NETWORK_MEMBER). Helpers:
// meeting_test.go.

const (
	rightReadMeetings     right = "read a region's meetings, action items and calendars"
	rightMeetingSummaries right = "attendance summaries"
	rightWriteMeetings    right = "schedule, edit, cancel and delete meetings; record attendance, minutes and action items"
	rightCalendarTokens   right = "create, list and revoke calendar feed tokens"
)

func init() {
	// | read a region's meetings, action items and calendars | all regions | own | own | own | own | no |
	readmeRights[rightReadMeetings] = readmeRow(everywhere, own, own, own, own, never)
	// | attendance summaries | all regions | own | own | the networks its partner is a member of | own | no |
	readmeRights[rightMeetingSummaries] = readmeRow(everywhere, own, own, memberNetworks, own, never)
	// | schedule, edit, cancel and delete meetings; record attendance, minutes and action items |
	// meetings of no network (focus groups, bilateral meetings), in every region | own | own |
	// meetings whose every network its partner is a member of | own | no |
	//
	// The matrix's meetings belong to a network, which the ministry may not
	// write (NETWORK_MEETING); its focus groups and bilateral meetings are
	// TestMinistryConvenesMeetings'.
	readmeRights[rightWriteMeetings] = readmeRow(never, own, own, memberNetworks, own, never)
	// | create, list and revoke calendar feed tokens | all regions | own | own | own | own | no |
	//
	// Each caller lists and revokes its own tokens; a region admin every
	// token of its region (the RevokeCalendarToken check tries another's).
	readmeRights[rightCalendarTokens] = readmeRow(everywhere, own, own, own, own, never)
}

// meetingMatrixCases maps every MeetingService RPC to how the matrix calls
// it.
func meetingMatrixCases() map[string]matrixCase {
	notMember := wantErr{code: codes.PermissionDenied, reason: "NOT_NETWORK_MEMBER"}
	wantState := func(st famiv1.MeetingState) func(c *matrixCall, res proto.Message) {
		return func(c *matrixCall, res proto.Message) {
			if got := res.(*famiv1.Meeting).GetState(); got != st {
				c.t.Errorf("got state %s, want %s", got, st)
			}
		}
	}
	return map[string]matrixCase{
		"/fami.v1.MeetingService/CreateMeeting": {right: rightWriteMeetings, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().CreateMeeting(c.ctx, &famiv1.CreateMeetingRequest{Parent: c.parent, MeetingId: c.id, Meeting: matrixMeeting(c.fx.network, c.id)}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got, want := res.(*famiv1.Meeting).GetFacilitator(), c.env.subjects[c.role]; got != want {
					c.t.Errorf("facilitator %q, want the creator %q", got, want)
				}
				if c.role == roleNetworkMember {
					c.env.expectRefusal(c.t, notMember, func() (proto.Message, error) {
						return ret(c.mtg().CreateMeeting(c.ctx, &famiv1.CreateMeetingRequest{Parent: c.parent, MeetingId: c.id + "-x",
							Meeting: matrixMeeting(c.mfx().otherNetwork, c.id)}))
					})
				}
			}},
		"/fami.v1.MeetingService/GetMeeting": {right: rightReadMeetings, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().GetMeeting(c.ctx, &famiv1.GetMeetingRequest{Name: c.mfx().held}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.Meeting).GetName(); got != c.mfx().held {
					c.t.Errorf("GetMeeting: got %q, want %q", got, c.mfx().held)
				}
			}},
		"/fami.v1.MeetingService/ListMeetings": {right: rightReadMeetings, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().ListMeetings(c.ctx, &famiv1.ListMeetingsRequest{Parent: c.parent, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := names(res.(*famiv1.ListMeetingsResponse).GetMeetings()); !slices.Contains(got, c.mfx().held) || !slices.Contains(got, c.mfx().elsewhere) {
					c.t.Errorf("ListMeetings: got %q, want the fixtures among them", got)
				}
			}},
		"/fami.v1.MeetingService/UpdateMeeting": {right: rightWriteMeetings, scoped: true,
			setup: func(c *matrixCall) { c.newMeeting(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().UpdateMeeting(c.ctx, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: c.target, Title: "Renamed " + c.id},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if c.role == roleNetworkMember {
					c.env.expectRefusal(c.t, notMember, func() (proto.Message, error) {
						return ret(c.mtg().UpdateMeeting(c.ctx, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: c.mfx().elsewhere, Title: "Renamed"},
							UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
					})
				}
			}},
		"/fami.v1.MeetingService/DeleteMeeting": {right: rightWriteMeetings, scoped: true,
			setup: func(c *matrixCall) { c.newMeeting(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().DeleteMeeting(c.ctx, &famiv1.DeleteMeetingRequest{Name: c.target}))
			}},
		"/fami.v1.MeetingService/CancelMeeting": {right: rightWriteMeetings, scoped: true,
			setup: func(c *matrixCall) { c.newMeeting(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().CancelMeeting(c.ctx, &famiv1.CancelMeetingRequest{Name: c.target, Reason: "Cancelled by " + c.id}))
			},
			check: wantState(famiv1.MeetingState_MEETING_STATE_CANCELLED)},
		"/fami.v1.MeetingService/RecordAttendance": {right: rightWriteMeetings, scoped: true,
			setup: func(c *matrixCall) { c.newMeeting(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().RecordAttendance(c.ctx, &famiv1.RecordAttendanceRequest{Name: c.target,
					Attendance: []*famiv1.PartnerAttendance{{Partner: c.fx.lead, Attendees: 3}}}))
			},
			check: wantState(famiv1.MeetingState_MEETING_STATE_HELD)},
		"/fami.v1.MeetingService/RecordMinutes": {right: rightWriteMeetings, scoped: true,
			setup: func(c *matrixCall) { c.newMeeting(false) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().RecordMinutes(c.ctx, &famiv1.RecordMinutesRequest{Name: c.target, Minutes: "Minutes by " + c.id,
					ActionItems: []*famiv1.ActionItem{{Description: "Act", Owner: c.fx.member, DueDate: "2024-04-30"}}}))
			},
			check: wantState(famiv1.MeetingState_MEETING_STATE_HELD)},
		"/fami.v1.MeetingService/UpdateActionItem": {right: rightWriteMeetings, scoped: true,
			setup: func(c *matrixCall) { c.newMeeting(true) },
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().UpdateActionItem(c.ctx, &famiv1.UpdateActionItemRequest{Name: c.target, ActionItemId: "item-1",
					Status: famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if got := res.(*famiv1.Meeting).GetActionItems()[0].GetStatus(); got != famiv1.ActionItemStatus_ACTION_ITEM_STATUS_DONE {
					c.t.Errorf("action item status %s, want DONE", got)
				}
			}},
		"/fami.v1.MeetingService/ListActionItems": {right: rightReadMeetings, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().ListActionItems(c.ctx, &famiv1.ListActionItemsRequest{Parent: c.parent, Network: c.fx.network, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				found := false
				for _, it := range res.(*famiv1.ListActionItemsResponse).GetActionItems() {
					found = found || it.GetMeeting() == c.mfx().held
				}
				if !found {
					c.t.Errorf("ListActionItems: the fixture's item is missing")
				}
			}},
		// The network member's summary counts its networks only: the
		// fixture network, not otherNetwork.
		"/fami.v1.MeetingService/SummarizeAttendance": {right: rightMeetingSummaries, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().SummarizeAttendance(c.ctx, &famiv1.SummarizeAttendanceRequest{Parent: c.parent}))
			},
			check: func(c *matrixCall, res proto.Message) {
				var networks []string
				for _, g := range res.(*famiv1.SummarizeAttendanceResponse).GetGroups() {
					networks = append(networks, g.GetNetwork())
				}
				want := []string{c.fx.network, c.mfx().otherNetwork}
				if c.role == roleNetworkMember {
					want = want[:1]
					c.env.expectRefusal(c.t, notMember, func() (proto.Message, error) {
						return ret(c.mtg().SummarizeAttendance(c.ctx, &famiv1.SummarizeAttendanceRequest{Parent: c.parent, Network: c.mfx().otherNetwork}))
					})
				}
				for _, n := range want {
					if !slices.Contains(networks, n) {
						c.t.Errorf("SummarizeAttendance: networks %q lack %s", networks, n)
					}
				}
				if len(networks) != len(want) && c.role == roleNetworkMember {
					c.t.Errorf("SummarizeAttendance: the network member's summary covers %q, want %q", networks, want)
				}
			}},
		// Over REST: the .ics download, with the Authorization header.
		"/fami.v1.MeetingService/ExportMeetingCalendar": {right: rightReadMeetings, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().ExportMeetingCalendar(c.ctx, &famiv1.ExportMeetingCalendarRequest{Parent: c.parent, StartFrom: matrixMeetingsFrom}))
			},
			check: func(c *matrixCall, res proto.Message) {
				want := "\r\nUID:fx-held@regions." + c.region + ".raccordo\r\n"
				if cal := res.(*famiv1.ExportMeetingCalendarResponse).GetCalendar(); !strings.Contains(cal, want) {
					c.t.Errorf("ExportMeetingCalendar: the feed lacks the fixture %q", want)
				}
			}},
		"/fami.v1.MeetingService/CreateCalendarToken": {right: rightCalendarTokens, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().CreateCalendarToken(c.ctx, &famiv1.CreateCalendarTokenRequest{Parent: c.parent, DisplayName: c.id}))
			},
			check: func(c *matrixCall, res proto.Message) {
				r := res.(*famiv1.CreateCalendarTokenResponse)
				if r.GetToken() == "" || r.GetCalendarToken().GetOwner() != c.env.subjects[c.role] {
					c.t.Errorf("CreateCalendarToken: got %s, want a token of %s", brief(r.GetCalendarToken()), c.env.subjects[c.role])
				}
			}},
		"/fami.v1.MeetingService/ListCalendarTokens": {right: rightCalendarTokens, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().ListCalendarTokens(c.ctx, &famiv1.ListCalendarTokensRequest{Parent: c.parent, PageSize: 1000}))
			},
			check: func(c *matrixCall, res proto.Message) {
				var admins int
				for _, ct := range res.(*famiv1.ListCalendarTokensResponse).GetCalendarTokens() {
					if ct.GetName() == c.mfx().token {
						admins++
					} else if c.role != roleRegionAdmin && ct.GetOwner() != c.env.subjects[c.role] {
						c.t.Errorf("ListCalendarTokens: %s sees %s's token", c.role, ct.GetOwner())
					}
				}
				if (admins == 1) != (c.role == roleRegionAdmin) {
					c.t.Errorf("ListCalendarTokens: the region admin's token is listed %d times to %s", admins, c.role)
				}
			}},
		// An allowed caller revokes a token of its own; a refused one
		// tries the region admin's.
		"/fami.v1.MeetingService/RevokeCalendarToken": {right: rightCalendarTokens, scoped: true,
			setup: func(c *matrixCall) {
				c.target = c.mfx().token
				if c.allowed {
					c.target = mustOK(c.mtg().CreateCalendarToken(c.ctx, &famiv1.CreateCalendarTokenRequest{Parent: c.parent}))(c.t, "create feed token").GetCalendarToken().GetName()
				}
			},
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.mtg().RevokeCalendarToken(c.ctx, &famiv1.RevokeCalendarTokenRequest{Name: c.target}))
			},
			check: func(c *matrixCall, res proto.Message) {
				if res.(*famiv1.CalendarToken).GetRevokeTime() == nil {
					c.t.Error("RevokeCalendarToken: not revoked")
				}
				if c.role != roleRegionAdmin {
					c.env.expectRefusal(c.t, wantErr{code: codes.PermissionDenied, reason: "NOT_OWN_TOKEN"}, func() (proto.Message, error) {
						return ret(c.mtg().RevokeCalendarToken(c.ctx, &famiv1.RevokeCalendarTokenRequest{Name: c.mfx().token}))
					})
				}
			}},
	}
}
