package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

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
)

// right is a row of the README's rights table.
type right string

const (
	rightReference     right = "regions, municipalities"
	rightLogin         right = "log in"
	rightWhoAmI        right = "who am I"
	rightRead          right = "read a region's partners, projects, networks"
	rightWriteRegistry right = "write partners and projects"
	rightWriteNetworks right = "write networks: create, delete"
	rightUpdateNetwork right = "write networks: update"
	rightAccounts      right = "manage accounts"
	rightServiceTokens right = "issue and revoke service tokens"
	rightFeed          right = "list and watch the change feed"
	rightBackup        right = "back up a region"
	rightCompact       right = "compact the change log"
)

// readmeRights is the README's "Who may do what" table, transcribed by
// hand: it is what the server must do, written independently of
// auth.Rights(), which is what the server does. The "write networks" row is
// split in two, since network members may only update ("update the
// networks its partner leads"). Logging in is public ("every call but the
// reference data and login needs a bearer token"); WhoAmI answers
// "anonymous" to a caller without a token (auth.proto).
var readmeRights = map[right]map[string]scope{
	rightReference:     {roleAnonymous: everywhere, roleMinistry: everywhere, roleRegionAdmin: everywhere, roleConsultant: everywhere, roleNetworkMember: everywhere, roleRegionalSystem: everywhere},
	rightLogin:         {roleAnonymous: everywhere, roleMinistry: everywhere, roleRegionAdmin: everywhere, roleConsultant: everywhere, roleNetworkMember: everywhere, roleRegionalSystem: everywhere},
	rightWhoAmI:        {roleAnonymous: everywhere, roleMinistry: everywhere, roleRegionAdmin: everywhere, roleConsultant: everywhere, roleNetworkMember: everywhere, roleRegionalSystem: everywhere},
	rightRead:          {roleAnonymous: never, roleMinistry: everywhere, roleRegionAdmin: own, roleConsultant: own, roleNetworkMember: own, roleRegionalSystem: own},
	rightWriteRegistry: {roleAnonymous: never, roleMinistry: never, roleRegionAdmin: own, roleConsultant: never, roleNetworkMember: never, roleRegionalSystem: own},
	rightWriteNetworks: {roleAnonymous: never, roleMinistry: never, roleRegionAdmin: own, roleConsultant: never, roleNetworkMember: never, roleRegionalSystem: own},
	rightUpdateNetwork: {roleAnonymous: never, roleMinistry: never, roleRegionAdmin: own, roleConsultant: never, roleNetworkMember: leadsOwn, roleRegionalSystem: own},
	rightAccounts:      {roleAnonymous: never, roleMinistry: everywhere, roleRegionAdmin: own, roleConsultant: never, roleNetworkMember: never, roleRegionalSystem: never},
	rightServiceTokens: {roleAnonymous: never, roleMinistry: never, roleRegionAdmin: own, roleConsultant: never, roleNetworkMember: never, roleRegionalSystem: never},
	rightFeed:          {roleAnonymous: never, roleMinistry: everywhere, roleRegionAdmin: own, roleConsultant: never, roleNetworkMember: never, roleRegionalSystem: own},
	rightBackup:        {roleAnonymous: never, roleMinistry: everywhere, roleRegionAdmin: own, roleConsultant: never, roleNetworkMember: never, roleRegionalSystem: never},
	rightCompact:       {roleAnonymous: never, roleMinistry: everywhere, roleRegionAdmin: never, roleConsultant: never, roleNetworkMember: never, roleRegionalSystem: never},
}

// readmeAllows reports whether the README lets role make a call of right
// in region ("" for calls outside any region). A leadsOwn call is made on
// a network the caller's partner leads; the other networks are covered by
// their own subtests.
func readmeAllows(t *testing.T, r right, role, region string) bool {
	t.Helper()
	row, ok := readmeRights[r]
	if !ok {
		t.Fatalf("right %q is not in the README table", r)
	}
	switch row[role] {
	case everywhere:
		return true
	case own, leadsOwn:
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
	// feeds call the sync and admin services as each role.
	feeds map[string]feedSurface
	// admins are the region admins of ownRegion and foreignRegion.
	admins map[string]surface
	fx     map[string]*matrixFixtures
	// seq numbers project codes, unique in a region.
	seq atomic.Int64
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
	e := &matrixEnv{kind: kind, ts: ts, as: map[string]surface{}, subjects: map[string]string{}, feeds: map[string]feedSurface{}, admins: map[string]surface{}, fx: map[string]*matrixFixtures{}}
	for _, region := range []string{ownRegion, foreignRegion} {
		tok := ts.mintToken(auth.TokenSpec{Subject: "test:region_admin:" + region, Role: principal.RegionAdmin, Region: region})
		e.admins[region] = newSurfaceAs(t, ts, kind, tok)
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
	e.as[roleAnonymous], e.subjects[roleAnonymous] = newSurfaceAs(t, ts, kind, ""), "anonymous"
	e.feeds[roleAnonymous] = newFeedSurface(t, ts, kind, "")
	for role, spec := range specs {
		token := ts.mintToken(spec)
		e.as[role], e.subjects[role] = newSurfaceAs(t, ts, kind, token), spec.Subject
		e.feeds[role] = newFeedSurface(t, ts, kind, token)
	}
	return e
}

// matrixSnapshot is what a refused call must leave unchanged in a region:
// its revision (every registry write takes the next one), its accounts and
// its service tokens.
type matrixSnapshot struct {
	revision int64
	accounts []string
	tokens   []string
}

func (e *matrixEnv) snapshot(t *testing.T, ctx context.Context, region string) matrixSnapshot {
	t.Helper()
	admin, parent := e.admins[region], "regions/"+region
	var s matrixSnapshot
	parts := mustOK(admin.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: parent, PageSize: 1}))(t, "snapshot partners")
	s.revision = parts.GetRevision()
	accs := mustOK(admin.ListAccounts(ctx, &famiv1.ListAccountsRequest{Parent: parent, PageSize: 1000}))(t, "snapshot accounts")
	for _, a := range accs.GetAccounts() {
		s.accounts = append(s.accounts, a.GetName()+"@"+a.GetEtag())
	}
	toks := mustOK(admin.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: parent, PageSize: 1000}))(t, "snapshot service tokens")
	for _, st := range toks.GetServiceTokens() {
		s.tokens = append(s.tokens, fmt.Sprintf("%s revoked=%v", st.GetName(), st.GetRevokeTime() != nil))
	}
	return s
}

func (s matrixSnapshot) equal(o matrixSnapshot) bool {
	return s.revision == o.revision && slices.Equal(s.accounts, o.accounts) && slices.Equal(s.tokens, o.tokens)
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
				return nil, c.s.DeletePartner(c.ctx, &famiv1.DeletePartnerRequest{Name: c.target})
			}},

		"/fami.v1.ProjectService/CreateProject": {right: rightWriteRegistry, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.newProject(c.ctx, c.s, c.parent, c.id))
			}},
		"/fami.v1.ProjectService/GetProject": {right: rightRead, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.GetProject(c.ctx, &famiv1.GetProjectRequest{Name: c.fx.project}))
			}},
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
				return nil, c.s.DeleteProject(c.ctx, &famiv1.DeleteProjectRequest{Name: c.target})
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
			}},
		"/fami.v1.NetworkService/DeleteNetwork": {right: rightWriteNetworks, scoped: true,
			setup: func(c *matrixCall) { c.target = c.newNetwork(c.id, c.fx.lead, c.fx.member) },
			call: func(c *matrixCall) (proto.Message, error) {
				return nil, c.s.DeleteNetwork(c.ctx, &famiv1.DeleteNetworkRequest{Name: c.target})
			}},

		"/fami.v1.AuthService/Login": {right: rightLogin,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.Login(c.ctx, &famiv1.LoginRequest{Username: loginUser, Password: matrixPassword}))
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
				return nil, c.s.DeleteAccount(c.ctx, &famiv1.DeleteAccountRequest{Name: c.target})
			}},
		"/fami.v1.AuthService/SetAccountPassword": {right: rightAccounts, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return nil, c.s.SetAccountPassword(c.ctx, &famiv1.SetAccountPasswordRequest{Name: c.fx.account, Password: matrixPassword})
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
		// Compacting to revision 0 drops nothing, so the fixtures' history
		// stays for the other cells.
		"/fami.v1.AdminService/CompactChanges": {right: rightCompact, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.env.feeds[c.role].CompactChanges(c.ctx, &famiv1.CompactChangesRequest{Parent: c.parent}))
			}},
		"/fami.v1.AuthService/RevokeServiceToken": {right: rightServiceTokens, scoped: true,
			setup: func(c *matrixCall) {
				c.target = mustOK(c.env.newServiceToken(c.ctx, c.admin, c.parent, c.id))(c.t, "create service token").GetServiceToken().GetName()
			},
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.s.RevokeServiceToken(c.ctx, &famiv1.RevokeServiceTokenRequest{Name: c.target}))
			}},
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
	procs := apiProcedures(t)
	cases := matrixCases()
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
		for _, kind := range surfaceKinds {
			t.Run(kind, func(t *testing.T) {
				t.Parallel()
				env := newMatrixEnv(t, kind)
				for _, proc := range procs {
					mc, ok := cases[proc]
					if !ok {
						continue
					}
					method := proc[strings.LastIndexByte(proc, '/')+1:]
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
										if env.run(t, kind, method, mc, role, region) {
											allowed.Add(1)
										}
									})
								}
							})
						}
					})
				}
				t.Run("UpdateNetwork/network_member/"+ownRegion+"/network_led_by_another_partner", func(t *testing.T) {
					ran.Add(1)
					env.updateNetworkAsMember(t, "another-lead", false, "NOT_NETWORK_LEAD")
				})
				t.Run("UpdateNetwork/network_member/"+ownRegion+"/changing_the_lead", func(t *testing.T) {
					ran.Add(1)
					env.updateNetworkAsMember(t, "lead-change", true, "LEAD_CHANGE_NOT_ALLOWED")
				})
			})
		}
	})
	t.Logf("the matrix ran %d cells (%d allowed, %d refused) over %d RPCs, %d roles and %d surfaces",
		ran.Load(), allowed.Load(), ran.Load()-allowed.Load(), len(cases), len(matrixRoles), len(surfaceKinds))
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
		before = e.snapshot(t, ctx, region)
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
		if after := e.snapshot(t, ctx, region); !after.equal(before) {
			t.Errorf("the refused call changed region %s: got %+v, want %+v", region, after, before)
		}
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
// another partner, or changing the lead of its own, the update is refused
// with reason and the network is unchanged.
func (e *matrixEnv) updateNetworkAsMember(t *testing.T, id string, ownNetwork bool, wantReason string) {
	ctx := t.Context()
	fx, admin := e.fx[ownRegion], e.admins[ownRegion]
	lead, other := fx.member, fx.lead
	if ownNetwork {
		lead, other = fx.lead, fx.member
	}
	n := mustOK(e.newNetwork(ctx, admin, "regions/"+ownRegion, e.kind+"-"+id, lead, other))(t, "create network")
	req := &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: n.GetName(), DisplayName: "Renamed by a member"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}
	if ownNetwork {
		// Hand the lead to the other member: a valid network, but not
		// the member's to change.
		req.Network = &famiv1.Network{Name: n.GetName(), LeadPartner: other, Members: []*famiv1.Member{
			{Partner: other, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
			{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER},
		}}
		req.UpdateMask = &fieldmaskpb.FieldMask{Paths: []string{"lead_partner", "members"}}
	}
	before := e.snapshot(t, ctx, ownRegion)
	res, err := e.as[roleNetworkMember].UpdateNetwork(ctx, req)
	checkRefused(t, roleNetworkMember, res, err)
	if ce, ok := asCallError(err); ok && (ce.Code != codes.PermissionDenied || ce.Reason != wantReason) {
		t.Errorf("got %s reason %q, want PERMISSION_DENIED reason %q", upperSnake(ce.Code), ce.Reason, wantReason)
	}
	if after := e.snapshot(t, ctx, ownRegion); !after.equal(before) {
		t.Errorf("the refused update changed the region: got %+v, want %+v", after, before)
	}
	got := mustOK(admin.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: n.GetName()}))(t, "get network")
	if !proto.Equal(got, n) {
		t.Errorf("after the refused update: got %s, want %s", brief(got), brief(n))
	}
}
