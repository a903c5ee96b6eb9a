package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store"
)

// famid is a real server on loopback ports with a real data dir
// (servertest's, on a clock a test moves ahead past an expiry instead of
// waiting for it), and a gRPC client acting as a region admin to set up
// each scenario.
type famid struct {
	*servertest.Server
	t    testing.TB
	conn *grpc.ClientConn
	// seed reaches the same services in process (Server.InProcess), for
	// set-ups: the harness's partners, networks and accounts, and the
	// set-ups that create hundreds or thousands of records. Each call
	// still passes the pipeline and the services' rules and is committed
	// by the real store, but skips the loopback's HTTP/2 and encoding on
	// both sides, which cost more CPU under -race than the service's work.
	// What a test asserts about the API goes through conn.
	seed grpc.ClientConnInterface
}

const password = "una password lunga abbastanza"

func startFamid(t testing.TB) *famid {
	t.Helper()
	return startFamidWith(t, server.Config{})
}

// startFamidWith is startFamid with cfg (servertest.Start's defaults for
// what it leaves unset).
func startFamidWith(t testing.TB, cfg server.Config) *famid {
	t.Helper()
	return connected(t, servertest.Start(t, cfg))
}

// connected is the famid of srv, with its gRPC client.
func connected(t testing.TB, srv *servertest.Server) *famid {
	t.Helper()
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &famid{Server: srv, t: t, conn: conn, seed: srv.InProcess()}
}

// storedDirectly is servertest's StoredDirectly in lombardia: f restarted
// over what write stored straight to the region's file.
func (f *famid) storedDirectly(write func(tx store.WriteTx) error) *famid {
	f.t.Helper()
	return connected(f.t, f.StoredDirectly(f.t, "lombardia", write))
}

func (f *famid) url(path string) string { return f.URL() + path }

// as returns a context carrying a token minted for a principal of region
// (the bootstrap famictl token create gives).
func (f *famid) as(role principal.Role, region string) context.Context {
	return metadata.AppendToOutgoingContext(f.t.Context(), "authorization", "Bearer "+f.token(role, region))
}

// token mints a token as famictl token create does, at the server's time.
func (f *famid) token(role principal.Role, region string) string {
	f.t.Helper()
	return f.Token(f.t, auth.TokenSpec{Subject: "test:" + string(role) + ":" + region, Role: role, Region: region})
}

func (f *famid) admin(region string) context.Context { return f.as(principal.RegionAdmin, region) }

// account creates an account in region with the test password.
func (f *famid) account(region, id, display string, role famiv1.Role, partner string) {
	f.t.Helper()
	_, err := famiv1.NewAuthServiceClient(f.seed).CreateAccount(f.admin(region), &famiv1.CreateAccountRequest{
		Parent: "regions/" + region, AccountId: id, Password: password,
		Account: &famiv1.Account{DisplayName: display, Role: role, Partner: partner},
	})
	if err != nil {
		f.t.Fatalf("create account %s: %v", id, err)
	}
}

// partner and network create the registry a scenario needs.
func (f *famid) partner(region, id, display string) string {
	f.t.Helper()
	p, err := famiv1.NewPartnerServiceClient(f.seed).CreatePartner(f.admin(region), &famiv1.CreatePartnerRequest{
		Parent: "regions/" + region, PartnerId: id, Partner: &famiv1.Partner{DisplayName: display, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER},
	})
	if err != nil {
		f.t.Fatalf("create partner %s: %v", id, err)
	}
	return p.GetName()
}

// partners creates n partners of region, of kind OTHER, 16 at a time
// (bulk), so that the store commits them in batches: the i-th has the id
// and display name named gives.
func (f *famid) partners(region string, n int, named func(i int) (id, display string)) {
	f.t.Helper()
	partners, ctx := famiv1.NewPartnerServiceClient(f.seed), f.admin(region)
	bulk(f.t, n, func(i int) error {
		id, display := named(i)
		_, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/" + region, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: display, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		return err
	})
}

// bergamoPartners creates the two partners of Bergamo that the network
// scenarios share: its Ufficio di Piano and its CPIA.
func (f *famid) bergamoPartners() (udp, cpia string) {
	f.t.Helper()
	return f.partner("lombardia", "udp-bergamo", "Ufficio di Piano di Bergamo"), f.partner("lombardia", "cpia-bergamo", "CPIA Bergamo")
}

// annaInBergamo is the Bergamo network (its UdP leading, the CPIA a
// member) with Anna, the UdP's staff, signed in: the cast of the meeting
// and protocol pages' tests.
func (f *famid) annaInBergamo(t *testing.T) (anna *browserless, network, udp, cpia string) {
	t.Helper()
	udp, cpia = f.bergamoPartners()
	network = f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
	anna = f.client(t)
	anna.signIn("anna@lombardia")
	return anna, network, udp, cpia
}

// adminIn signs in Anna Admin, Lombardia's region admin (the account made
// here): the opening of the tests that set the region up through its pages.
func (f *famid) adminIn(t *testing.T) *browserless {
	t.Helper()
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	a := f.client(t)
	a.signIn("admin@lombardia")
	return a
}

func (f *famid) network(region, id, display string, lead string, others ...string) string {
	f.t.Helper()
	n, err := famiv1.NewNetworkServiceClient(f.seed).CreateNetwork(f.admin(region), &famiv1.CreateNetworkRequest{
		Parent: "regions/" + region, NetworkId: id, Network: &famiv1.Network{DisplayName: display, LeadPartner: lead, Members: membersOf(lead, others)},
	})
	if err != nil {
		f.t.Fatalf("create network %s: %v", id, err)
	}
	return n.GetName()
}

// milanoNetworks creates n networks of Lombardia, rete000 ("Rete Milano
// 000") onwards, each led by lead with others as partners: the many
// networks of the tests of paged choices and reads.
func (f *famid) milanoNetworks(t testing.TB, n int, lead string, others ...string) {
	t.Helper()
	networks, ctx := famiv1.NewNetworkServiceClient(f.seed), f.admin("lombardia")
	bulk(t, n, func(i int) error {
		_, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: "regions/lombardia",
			NetworkId: fmt.Sprintf("rete%03d", i), Network: &famiv1.Network{DisplayName: fmt.Sprintf("Rete Milano %03d", i), LeadPartner: lead,
				Members: membersOf(lead, others)}})
		return err
	})
}

// membersOf is a network's members: lead leading, others as partners.
func membersOf(lead string, others []string) []*famiv1.Member {
	members := []*famiv1.Member{{Partner: lead, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
	for _, o := range others {
		members = append(members, &famiv1.Member{Partner: o, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
	}
	return members
}

// browserless is a cookie-keeping HTTP client that does not follow
// redirects, to look at each answer.
type browserless struct {
	t *testing.T
	c *http.Client
	f *famid
}

func (f *famid) client(t *testing.T) *browserless {
	jar, _ := cookiejar.New(nil)
	return &browserless{t: t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browserless) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.url(path), body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

func (b *browserless) signIn(username string) *http.Response {
	b.t.Helper()
	res, _ := b.do("POST", "/accedi", url.Values{"username": {username}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign in %s: status %d, want 303", username, res.StatusCode)
	}
	return res
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the anti-forgery token from a page's forms.
func (b *browserless) csrf(path string) string {
	b.t.Helper()
	_, page := b.do("GET", path, nil)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}
