package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/syncbuf"
	"github.com/raccordo/raccordo/internal/waittest"
	"github.com/raccordo/raccordo/sdk"
)

// famidForTest is a real server on a loopback port, with a data dir whose
// keys sign the tests' tokens.
type famidForTest struct {
	t       *testing.T
	srv     *servertest.Server
	dir     string
	url     string
	admin   string // region admin of lombardia
	udp     string // network member for udp-bergamo
	cpia    string // network member for cpia-bergamo
	network string
}

const (
	udpName  = "regions/lombardia/partners/udp-bergamo"
	cpiaName = "regions/lombardia/partners/cpia-bergamo"
)

// startServer starts a server on loopback ports, with cfg's data dir or a
// fresh one, stopped when the test ends; its data dir's keys sign the
// test's tokens.
func startServer(t *testing.T, cfg server.Config) *famidForTest {
	t.Helper()
	if cfg.BookmarkInterval == 0 {
		cfg.BookmarkInterval = 20 * time.Millisecond
	}
	srv := servertest.Start(t, cfg)
	return &famidForTest{t: t, srv: srv, dir: srv.DataDir, url: srv.URL()}
}

// startFamid starts a server and seeds lombardia with two partners and a
// network (revisions 1 to 3).
func startFamid(t *testing.T) *famidForTest {
	t.Helper()
	return seedFamid(t, startServer(t, server.Config{}))
}

// seedFamid seeds f's lombardia as startFamid does.
func seedFamid(t *testing.T, f *famidForTest) *famidForTest {
	t.Helper()
	ctx := context.Background()
	f.network = "regions/lombardia/networks/rete-bergamo"
	f.admin = f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	f.udp = f.token(auth.TokenSpec{Subject: "test:udp", Role: principal.NetworkMember, Region: "lombardia", Partner: udpName})
	f.cpia = f.token(auth.TokenSpec{Subject: "test:cpia", Role: principal.NetworkMember, Region: "lombardia", Partner: cpiaName})
	c := sdk.NewClient(nil, f.url, f.admin)
	for _, id := range []string{"udp-bergamo", "cpia-bergamo"} {
		if _, err := c.Partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: "regions/lombardia", NetworkId: "rete-bergamo",
		Network: &famiv1.Network{DisplayName: "Rete Bergamo", LeadPartner: udpName, Members: []*famiv1.Member{
			{Partner: udpName, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: cpiaName, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// token signs a token for spec, valid for an hour.
func (f *famidForTest) token(spec auth.TokenSpec) string {
	f.t.Helper()
	spec.TTL = time.Hour
	return f.srv.Token(f.t, spec)
}

// flags are famictl's client flags for the server and a token.
func (f *famidForTest) flags(token string) clientFlags {
	return clientFlags{server: &f.url, token: &token}
}

// run runs famictl against the server with a token; it returns standard
// output and error.
func (f *famidForTest) run(token, stdin string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := execute(append(args, "--server", f.url, "--token", token), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// must runs famictl and fails the test on an error.
func (f *famidForTest) must(token string, args ...string) string {
	f.t.Helper()
	out, errOut, err := f.run(token, "", args...)
	if err != nil {
		f.t.Fatalf("famictl %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func TestHelpNeverShowsTheToken(t *testing.T) {
	const secret = "eyJhbGciOiJFZERTQSJ9.secret-payload.signature"
	t.Setenv("FAMICTL_TOKEN", secret)
	for _, args := range [][]string{{"--help"}, {"meeting", "list", "--help"}, {"watch", "--help"}, {"protocol", "sign", "--help"}, {"meeting"}} {
		var out, errOut bytes.Buffer
		execute(args, strings.NewReader(""), &out, &errOut)
		if strings.Contains(out.String()+errOut.String(), "secret-payload") {
			t.Errorf("famictl %s shows the token:\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
		}
		if !strings.Contains(out.String()+errOut.String(), "FAMICTL_TOKEN") {
			t.Errorf("famictl %s does not say where the token comes from", strings.Join(args, " "))
		}
	}
}

func TestTokenFromEnvironment(t *testing.T) {
	f := startFamid(t)
	t.Setenv("FAMICTL_TOKEN", f.admin)
	var out, errOut bytes.Buffer
	if err := execute([]string{"changes", "list", "--region", "lombardia", "--server", f.url}, nil, &out, &errOut); err != nil {
		t.Fatalf("changes list with FAMICTL_TOKEN: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), udpName) {
		t.Fatalf("changes list:\n%s", out.String())
	}
}

// TestTokenFromFile reads the token of --token-file (its trailing newline
// trimmed), refuses a file every user may read, a file that is not one
// token, and the file together with --token.
func TestTokenFromFile(t *testing.T) {
	f := startFamid(t)
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		return p
	}
	list := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := execute(append([]string{"changes", "list", "--region", "lombardia", "--server", f.url}, args...), nil, &out, &errOut)
		return out.String(), err
	}
	// The variable holds a token the server refuses: the file must win.
	t.Setenv("FAMICTL_TOKEN", "not-a-token")
	for _, tt := range []struct{ name, content string }{{"token", f.admin}, {"token-lf", f.admin + "\n"}, {"token-crlf", f.admin + "\r\n"}} {
		out, err := list("--token-file", write(tt.name, tt.content, 0o600))
		if err != nil || !strings.Contains(out, udpName) {
			t.Errorf("%s: err = %v, out:\n%s", tt.name, err, out)
		}
	}
	if out, err := list("--token-file", write("group", f.admin+"\n", 0o640)); err != nil || !strings.Contains(out, udpName) {
		t.Errorf("a file its group may read: err = %v, out:\n%s", err, out)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"readable by all", []string{"--token-file", write("public", f.admin, 0o644)}, "readable by every user"},
		{"empty", []string{"--token-file", write("empty", "\n", 0o600)}, "one token"},
		{"two lines", []string{"--token-file", write("two", f.admin+"\n"+f.admin+"\n", 0o600)}, "one token"},
		{"too long", []string{"--token-file", write("long", strings.Repeat("x", auth.MaxTokenBytes+1), 0o600)}, "one token"},
		{"missing", []string{"--token-file", filepath.Join(dir, "missing")}, "no such file"},
		{"with --token", []string{"--token-file", write("both", f.admin, 0o600), "--token", f.admin}, "token"},
	} {
		out, err := list(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) || out != "" {
			t.Errorf("%s: err = %v, printed %q; want an error saying %q", tt.name, err, out, tt.want)
		}
	}
}

func TestTokenCreateChecksRegionAndPartner(t *testing.T) {
	f := startFamid(t)
	create := func(server string, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := execute(append([]string{"token", "create", "--data-dir", f.dir, "--server", server}, args...), nil, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	member := func(partner string) []string {
		return []string{"--role", "network_member", "--region", "lombardia", "--partner", partner}
	}
	if out, _, err := create(f.url, "--role", "region_admin", "--region", "atlantide"); err == nil || out != "" || !strings.Contains(err.Error(), "atlantide") {
		t.Errorf("token for region atlantide: err = %v, printed %q", err, out)
	}
	if out, _, err := create(f.url, member("regions/lombardia/partners/nessuno")...); err == nil || out != "" || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("token for a missing partner: err = %v, printed %q", err, out)
	}
	out, _, err := create(f.url, member(udpName)...)
	if err != nil {
		t.Fatalf("token for an existing partner: %v", err)
	}
	if _, err := sdk.NewClient(nil, f.url, strings.TrimSpace(out)).Auth.WhoAmI(context.Background(), &famiv1.WhoAmIRequest{}); err != nil {
		t.Errorf("the printed token does not work: %v", err)
	}
	// No server to ask: the token is issued, with a warning.
	closed := closedPort(t)
	out, errOut, err := create(closed, member("regions/lombardia/partners/nessuno")...)
	if err != nil || out == "" || !strings.Contains(errOut, "unchecked") {
		t.Errorf("token with no server: err = %v, out %q, stderr %q", err, out, errOut)
	}
	if strings.Contains(errOut, strings.TrimSpace(out)) {
		t.Error("the warning shows the token")
	}
}

// TestTokenCreateAfterAReset: a connection reset while famictl asks about
// the partner (a famid restarting, a proxy) is a lost answer, asked for
// again: through a port that resets its first connection and forwards the
// next ones to famid, a missing partner is still refused and an existing
// one gets its token, without a warning; a port that resets every
// connection is asked three times, then the token is issued unchecked with
// a warning naming the reset. famictl used to stop at the first reset
// ("checking partner ...: canceled") and issue no token at all.
func TestTokenCreateAfterAReset(t *testing.T) {
	f := startFamid(t)
	create := func(server, partner string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := execute([]string{"token", "create", "--data-dir", f.dir, "--server", server,
			"--role", "network_member", "--region", "lombardia", "--partner", partner}, nil, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	out, _, err := create(resettingPort(t, 1, f.url).url, "regions/lombardia/partners/nessuno")
	if err == nil || out != "" || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing partner, first connection reset: err = %v, printed %q; want it refused", err, out)
	}
	out, errOut, err := create(resettingPort(t, 1, f.url).url, udpName)
	if err != nil || out == "" || errOut != "" {
		t.Errorf("an existing partner, first connection reset: err = %v, printed %q, stderr %q; want the token and no warning", err, out, errOut)
	}
	p := resettingPort(t, -1, "")
	out, errOut, err = create(p.url, udpName)
	if err != nil || out == "" || !strings.Contains(errOut, "unchecked") || !strings.Contains(errOut, "reset") {
		t.Errorf("every connection reset: err = %v, printed %q, stderr %q; want the token, with a warning naming the reset", err, out, errOut)
	}
	if got := p.conns.Load(); got != checkTries {
		t.Errorf("every connection reset: asked %d times, want %d", got, checkTries)
	}
}

// resetter is a loopback port that resets connections.
type resetter struct {
	url   string
	conns atomic.Int64 // connections accepted
}

// resettingPort listens on a loopback port that resets the first resets
// connections (every one when negative) once it has read their request,
// and forwards the next ones to the server at url.
func resettingPort(t *testing.T, resets int, url string) *resetter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r := &resetter{url: "http://" + l.Addr().String()}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			if n := r.conns.Add(1); resets < 0 || n <= int64(resets) {
				go func() {
					if req, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
						req.Body.Close()
					}
					conn.(*net.TCPConn).SetLinger(0) // close with a RST
					conn.Close()
				}()
				continue
			}
			go forward(conn, strings.TrimPrefix(url, "http://"))
		}
	}()
	return r
}

// forward copies conn to and from a new connection to addr, until either
// side closes.
func forward(conn net.Conn, addr string) {
	defer conn.Close()
	up, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, conn); done <- struct{}{} }()
	go func() { io.Copy(conn, up); done <- struct{}{} }()
	<-done
}

// closedPort returns the URL of a loopback port nobody listens on, nor can
// start listening on before the test ends: the port is the local end of a
// connection the test holds (to a listener it closes at once). A
// connection to it is refused, as to any port without a listener, and the
// kernel gives the port, bound already, to no new listener. (A port chosen
// free and released could be taken meanwhile by some other server, one
// that answers.)
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	peer, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return "http://" + held.LocalAddr().String()
}

// openProtocol creates with famictl a protocol between udp-bergamo and
// cpia-bergamo, valid from yesterday, and opens it for signature; it
// returns the protocol's name.
func (f *famidForTest) openProtocol() string {
	f.t.Helper()
	file := filepath.Join(f.t.TempDir(), "protocol.json")
	writeMessage(f.t, file, &famiv1.Protocol{
		Network: f.network, Title: "Protocollo UdP-CPIA", Body: "Le parti collaborano.",
		ValidFrom: servertest.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		Parties: []*famiv1.Party{
			{Partner: udpName, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT},
			{Partner: cpiaName, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY},
		},
	})
	name := "regions/lombardia/protocols/udp-cpia"
	f.must(f.admin, "protocol", "create", "--region", "lombardia", "--id", "udp-cpia", "--file", file)
	f.must(f.admin, "protocol", "open", name)
	return name
}

func TestProtocolSignFlagBeforeOrAfterName(t *testing.T) {
	f := startFamid(t)
	name := f.openProtocol()
	f.must(f.udp, "protocol", "sign", name, "--yes")
	out := f.must(f.cpia, "protocol", "sign", "--yes", name)
	if !strings.Contains(out, "PROTOCOL_STATE_IN_FORCE") {
		t.Fatalf("after both signatures:\n%s", out)
	}
	table := f.must(f.admin, "protocol", "list", "--region", "lombardia", "-o", "table")
	if !strings.Contains(table, "NAME") || !regexpLine(table, name, "IN_FORCE", "Protocollo UdP-CPIA") {
		t.Fatalf("protocol list -o table:\n%s", table)
	}
}

// TestRefusalNamesItsReason: famictl's error names the refusal's reason
// (its ErrorInfo) beside the code, the message and the field, so that a
// script tells apart refusals of one code; a reason that only repeats the
// code is not written twice. famictl used to leave every reason out.
func TestRefusalNamesItsReason(t *testing.T) {
	f := startFamid(t)
	name := f.openProtocol()
	_, _, err := f.run(f.udp, "", "protocol", "amend", name, "--id", "udp-cpia-2", "--remove-party", "udp-bergamo")
	if connect.CodeOf(err) != connect.CodePermissionDenied || !strings.Contains(err.Error(), "remove_parties[0]") ||
		!strings.HasSuffix(err.Error(), " (reason NOT_A_PARTY)") {
		t.Errorf("network staff leaving out their own partner: got %v, want permission_denied naming remove_parties[0], ending with its reason NOT_A_PARTY", err)
	}
	_, _, err = f.run(f.admin, "", "protocol", "get", name+"-2")
	if connect.CodeOf(err) != connect.CodeNotFound || strings.Contains(err.Error(), "reason") {
		t.Errorf("a protocol that does not exist: got %v, want not_found without a reason repeating it", err)
	}
}

// regexpLine reports whether one line of s contains every word, in order.
func regexpLine(s string, words ...string) bool {
	for _, line := range strings.Split(s, "\n") {
		rest, ok := line, true
		for _, w := range words {
			i := strings.Index(rest, w)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(w):]
		}
		if ok {
			return true
		}
	}
	return false
}

// writeMessage writes m as the API's JSON, the form --file reads.
func writeMessage(t *testing.T, path string, m proto.Message) {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestMeetingCommands(t *testing.T) {
	f := startFamid(t)
	start := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	file := filepath.Join(t.TempDir(), "meeting.json")
	writeMessage(t, file, &famiv1.Meeting{
		Networks: []string{f.network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo di marzo",
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)),
		Mode: famiv1.MeetingMode_MEETING_MODE_IN_PERSON, Place: "Bergamo", InvitedPartners: []string{udpName, cpiaName},
	})
	name := "regions/lombardia/meetings/tavolo-marzo"
	f.must(f.admin, "meeting", "create", "--region", "lombardia", "--id", "tavolo-marzo", "--file", file)
	f.must(f.admin, "meeting", "create", "--region", "lombardia", "--id", "tavolo-annullato", "--file", file)

	list := f.must(f.admin, "meeting", "list", "--region", "lombardia", "--state", "scheduled", "-o", "table")
	if !regexpLine(list, name, "COORDINATION_TABLE", "SCHEDULED", "2026-03-10", "Tavolo di marzo") {
		t.Fatalf("meeting list -o table:\n%s", list)
	}
	if _, _, err := f.run(f.admin, "", "meeting", "list", "--region", "lombardia", "--state", "finished"); err == nil ||
		!strings.Contains(err.Error(), "cancelled, held, scheduled") {
		t.Errorf("meeting list --state finished: %v", err)
	}

	held := f.must(f.admin, "meeting", "attendance", name, "--attended", "udp-bergamo=3,udp_manager=1,social_worker=2", "--attended", cpiaName+"=0")
	m := &famiv1.Meeting{}
	if err := protojson.Unmarshal([]byte(held), m); err != nil {
		t.Fatal(err)
	}
	if m.GetState() != famiv1.MeetingState_MEETING_STATE_HELD || len(m.GetAttendance()) != 2 ||
		m.GetAttendance()[0].GetAttendees() != 3 || len(m.GetAttendance()[0].GetRoles()) != 2 || m.GetAttendance()[1].GetAttendees() != 0 {
		t.Fatalf("after attendance: %v", m)
	}
	if _, _, err := f.run(f.admin, "", "meeting", "attendance", name, "--attended", "udp-bergamo"); err == nil {
		t.Error("attendance without a count was accepted")
	}

	minutes := filepath.Join(t.TempDir(), "verbale.txt")
	os.WriteFile(minutes, []byte("Si decide il calendario dei corsi.\n"), 0o600)
	out := f.must(f.admin, "meeting", "minutes", name, "--file", minutes,
		"--action", "cpia-bergamo:2027-04-30:Calendario dei corsi: bozza", "--action", udpName+":2026-03-20:Convocare il tavolo")
	if err := protojson.Unmarshal([]byte(out), m); err != nil {
		t.Fatal(err)
	}
	if m.GetMinutes() != "Si decide il calendario dei corsi.\n" || len(m.GetActionItems()) != 2 ||
		m.GetActionItems()[0].GetOwner() != cpiaName || m.GetActionItems()[0].GetDescription() != "Calendario dei corsi: bozza" {
		t.Fatalf("after minutes: %v", m)
	}
	items := f.must(f.admin, "meeting", "actions", "list", "--region", "lombardia", "--overdue", "-o", "table")
	if !regexpLine(items, name, "item-2", udpName, "2026-03-20", "OPEN", "true") || strings.Contains(items, "Calendario") {
		t.Fatalf("overdue action items (only the one due 2026-03-20):\n%s", items)
	}
	f.must(f.admin, "meeting", "actions", "set", name, "item-2", "--status", "done", "--note", "convocato")
	items = f.must(f.admin, "meeting", "actions", "list", "--region", "lombardia", "--status", "done", "-o", "table")
	if !regexpLine(items, name, "item-2", "DONE") || strings.Contains(items, "item-1") {
		t.Fatalf("done action items:\n%s", items)
	}

	out = f.must(f.admin, "meeting", "cancel", "regions/lombardia/meetings/tavolo-annullato", "--reason", "sciopero")
	if !strings.Contains(out, "MEETING_STATE_CANCELLED") {
		t.Fatalf("cancel:\n%s", out)
	}
	sum := &famiv1.SummarizeAttendanceResponse{}
	if err := protojson.Unmarshal([]byte(f.must(f.admin, "meeting", "summary", "--region", "lombardia", "--from", "2026-01-01", "--to", "2026-12-31", "--period", "quarter")), sum); err != nil {
		t.Fatal(err)
	}
	if sum.GetTotals().GetMeetingsHeld() != 1 || sum.GetTotals().GetAttendances() != 3 || len(sum.GetGroups()) != 1 || sum.GetGroups()[0].GetPeriod() != "2026-Q1" {
		t.Fatalf("meeting summary: %v", sum)
	}
	ics := filepath.Join(t.TempDir(), "rete.ics")
	f.must(f.admin, "meeting", "calendar", "--region", "lombardia", "--network", f.network, "--from", "2026-01-01", "--out", ics)
	if b, err := os.ReadFile(ics); err != nil || !strings.HasPrefix(string(b), "BEGIN:VCALENDAR\r\n") ||
		!strings.Contains(string(b), "UID:tavolo-marzo@regions.lombardia.raccordo\r\n") || !strings.Contains(string(b), "STATUS:CANCELLED\r\n") {
		t.Fatalf("meeting calendar wrote %v:\n%s", err, b)
	}

	get := f.must(f.udp, "meeting", "get", name, "-o", "table")
	if !regexpLine(get, "state", "HELD") || !regexpLine(get, "minutes", "Si decide il calendario") {
		t.Fatalf("meeting get -o table:\n%s", get)
	}
}

func TestAccountAndTokenCommands(t *testing.T) {
	f := startFamid(t)
	out, _, err := f.run(f.admin, "s3gret-Passw0rd!\n", "account", "create", "--region", "lombardia", "--username", "anna.bianchi",
		"--role", "network_member", "--name", "Anna Bianchi", "--partner", "udp-bergamo")
	if err != nil || !strings.Contains(out, "regions/lombardia/accounts/anna.bianchi") {
		t.Fatalf("account create: %v\n%s", err, out)
	}
	if strings.Contains(out, "s3gret") {
		t.Fatal("account create prints the password")
	}
	login := func(pw string) error {
		_, err := sdk.NewClient(nil, f.url, "").Auth.Login(context.Background(), &famiv1.LoginRequest{Username: "anna.bianchi@lombardia", Password: pw})
		return err
	}
	if err := login("s3gret-Passw0rd!"); err != nil {
		t.Fatalf("login with the password read from stdin: %v", err)
	}
	if list := f.must(f.admin, "account", "list", "--region", "lombardia", "-o", "table"); !regexpLine(list, "anna.bianchi", "Anna Bianchi", "NETWORK_MEMBER", udpName) {
		t.Fatalf("account list:\n%s", list)
	}
	if _, errOut, err := f.run(f.admin, "An0ther-Passw0rd?\n", "account", "password", "regions/lombardia/accounts/anna.bianchi"); err != nil {
		t.Fatalf("account password: %v %s", err, errOut)
	}
	if err := login("An0ther-Passw0rd?"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	f.must(f.admin, "account", "delete", "regions/lombardia/accounts/anna.bianchi")
	if err := login("An0ther-Passw0rd?"); err == nil {
		t.Fatal("login after delete succeeded")
	}

	created := &famiv1.CreateServiceTokenResponse{}
	if err := protojson.Unmarshal([]byte(f.must(f.admin, "service-token", "create", "--region", "lombardia", "--system-id", "sirl", "--name", "SIRL", "--ttl", "24h")), created); err != nil {
		t.Fatal(err)
	}
	system := sdk.NewClient(nil, f.url, created.GetToken())
	if _, err := system.Partners.ListPartners(context.Background(), &famiv1.ListPartnersRequest{Parent: "regions/lombardia"}); err != nil {
		t.Fatalf("the service token does not work: %v", err)
	}
	// -o table writes the new token's fields one a line, not as JSON.
	table := f.must(f.admin, "service-token", "create", "--region", "lombardia", "--system-id", "sirl-table", "--name", "SIRL tabella", "-o", "table")
	if !regexpLine(table, "service_token.name", "regions/lombardia/serviceTokens/") || !regexpLine(table, "service_token.display_name", "SIRL tabella") ||
		!regexpLine(table, "service_token.state", "ACTIVE") || !regexpLine(table, "token", "ey") || strings.ContainsAny(table, "{}") {
		t.Fatalf("service-token create -o table:\n%s", table)
	}
	list := f.must(f.admin, "service-token", "list", "--region", "lombardia", "-o", "table")
	if !regexpLine(list, created.GetServiceToken().GetName(), "SIRL", "ACTIVE") || strings.Contains(list, created.GetToken()) {
		t.Fatalf("service-token list:\n%s", list)
	}
	f.must(f.admin, "service-token", "revoke", created.GetServiceToken().GetName())
	if _, err := system.Partners.ListPartners(context.Background(), &famiv1.ListPartnersRequest{Parent: "regions/lombardia"}); err == nil {
		t.Fatal("the revoked service token still works")
	}
	if list := f.must(f.admin, "service-token", "list", "--region", "lombardia", "-o", "table"); !regexpLine(list, created.GetServiceToken().GetName(), "SIRL", "REVOKED") {
		t.Fatalf("service-token list after the revocation:\n%s", list)
	}

	cal := &famiv1.CreateCalendarTokenResponse{}
	if err := protojson.Unmarshal([]byte(f.must(f.udp, "calendar", "token", "create", "--region", "lombardia", "--label", "Thunderbird")), cal); err != nil {
		t.Fatal(err)
	}
	if cal.GetToken() == "" || cal.GetCalendarToken().GetOwner() != "test:udp" {
		t.Fatalf("calendar token: %v", cal)
	}
	if list := f.must(f.admin, "calendar", "token", "list", "--region", "lombardia", "-o", "table"); !regexpLine(list, cal.GetCalendarToken().GetName(), "Thunderbird", "test:udp", "LIVE") {
		t.Fatalf("calendar token list:\n%s", list)
	}
	revoked := f.must(f.udp, "calendar", "token", "revoke", cal.GetCalendarToken().GetName(), "-o", "table")
	if !regexpLine(revoked, "revoke_time", "20") {
		t.Fatalf("calendar token revoke:\n%s", revoked)
	}
	if list := f.must(f.admin, "calendar", "token", "list", "--region", "lombardia", "-o", "table"); !regexpLine(list, cal.GetCalendarToken().GetName(), "Thunderbird", "test:udp", "ENDED") {
		t.Fatalf("calendar token list after the revocation:\n%s", list)
	}
	again := &famiv1.CreateCalendarTokenResponse{}
	if err := protojson.Unmarshal([]byte(f.must(f.udp, "calendar", "token", "create", "--region", "lombardia", "--label", "Outlook")), again); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string // names, in order
	}{
		{[]string{"--state", "live"}, []string{again.GetCalendarToken().GetName()}},
		{[]string{"--state", "ended"}, []string{cal.GetCalendarToken().GetName()}},
		{[]string{"--newest-first"}, []string{again.GetCalendarToken().GetName(), cal.GetCalendarToken().GetName()}},
	} {
		res := &famiv1.ListCalendarTokensResponse{}
		if err := protojson.Unmarshal([]byte(f.must(f.udp, append([]string{"calendar", "token", "list", "--region", "lombardia"}, c.args...)...)), res); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ct := range res.GetCalendarTokens() {
			got = append(got, ct.GetName())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("calendar token list %q: %q, want %q", c.args, got, c.want)
		}
	}
	if _, _, err := f.run(f.udp, "", "calendar", "token", "list", "--region", "lombardia", "--state", "revoked"); err == nil || err.Error() != `--state "revoked" is not one of ended, live` {
		t.Errorf("calendar token list --state revoked: %v", err)
	}
}

// TestAccountGet shows an account, which TestAccountAndTokenCommands
// leaves out, and what the commands on one account say without its name.
func TestAccountGet(t *testing.T) {
	f := startFamid(t)
	name := "regions/lombardia/accounts/anna.bianchi"
	if _, errOut, err := f.run(f.admin, "s3gret-Passw0rd!\n", "account", "create", "--region", "lombardia", "--username", "anna.bianchi",
		"--role", "consultant", "--name", "Anna Bianchi"); err != nil {
		t.Fatalf("account create: %v %s", err, errOut)
	}
	if get := f.must(f.admin, "account", "get", name, "-o", "table"); !regexpLine(get, "display_name", "Anna Bianchi") || !regexpLine(get, "role", "CONSULTANT") {
		t.Fatalf("account get -o table:\n%s", get)
	}
	for _, verb := range []string{"get", "delete", "password"} {
		out, _, err := f.run(f.admin, "", "account", verb)
		if want := "famictl account " + verb + " needs the account's name, e.g. " + name; err == nil || err.Error() != want || out != "" {
			t.Errorf("account %s without a name: err = %v, printed %q; want %q", verb, err, out, want)
		}
	}
}

func TestPeriodSummaryAndChangeCommands(t *testing.T) {
	f := startFamid(t)
	consultant := f.token(auth.TokenSpec{Subject: "test:consulente", Role: principal.Consultant, Region: "lombardia"})
	hours := sdk.NewClient(nil, f.url, consultant).Support
	for _, day := range []string{"2026-05-04", "2026-05-05"} {
		if _, err := hours.CreateSupportEntry(context.Background(), &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
			SupportEntry: &famiv1.SupportEntry{Network: f.network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_PROJECT_FOCUS,
				Date: day, DurationMinutes: 90, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE}}); err != nil {
			t.Fatal(err)
		}
	}
	summary := &famiv1.SummarizeSupportEntriesResponse{}
	if err := protojson.Unmarshal([]byte(f.must(f.admin, "hours", "summary", "--region", "lombardia", "--from", "2026-05-01", "--to", "2026-05-31")), summary); err != nil {
		t.Fatal(err)
	}
	if summary.GetTotals().GetTotalMinutes() != 180 || summary.GetTotals().GetEntries() != 2 || len(summary.GetGroups()) != 1 {
		t.Fatalf("hours summary: %v", summary)
	}
	if table := f.must(f.admin, "hours", "summary", "--region", "lombardia", "--from", "2026-01-01", "--to", "2026-12-31", "--group-by", "network", "-o", "table"); !regexpLine(table, f.network, "180", "2") {
		t.Fatalf("hours summary -o table:\n%s", table)
	}

	// Two entries of the period still await review: closing needs --force.
	if _, stderr, err := f.run(f.admin, "", "period", "close", "--region", "lombardia", "--id", "q2-2026", "--from", "2026-04-01", "--to", "2026-06-30", "--reason", "Q2 rendicontato"); err == nil || !strings.Contains(stderr+err.Error(), "await review") {
		t.Fatalf("period close with entries awaiting review: err %v, stderr %q; want it refused", err, stderr)
	}
	f.must(f.admin, "period", "close", "--region", "lombardia", "--id", "q2-2026", "--from", "2026-04-01", "--to", "2026-06-30", "--reason", "Q2 rendicontato", "--force")
	if list := f.must(f.admin, "period", "list", "--region", "lombardia", "-o", "table"); !regexpLine(list, "regions/lombardia/closedPeriods/q2-2026", "2026-04-01", "2026-06-30", "CLOSED") {
		t.Fatalf("period list:\n%s", list)
	}
	if _, err := hours.CreateSupportEntry(context.Background(), &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
		SupportEntry: &famiv1.SupportEntry{Network: f.network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP,
			Date: "2026-05-06", DurationMinutes: 60, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE}}); err == nil {
		t.Fatal("an entry in the closed period was accepted")
	}
	f.must(f.admin, "period", "reopen", "regions/lombardia/closedPeriods/q2-2026", "--reason", "correzione")
	if list := f.must(f.admin, "period", "list", "--region", "lombardia", "-o", "table"); strings.Contains(list, "q2-2026") {
		t.Fatalf("period list shows the reopened period:\n%s", list)
	}
	if list := f.must(f.admin, "period", "list", "--region", "lombardia", "--show-reopened", "-o", "table"); !regexpLine(list, "q2-2026", "REOPENED") {
		t.Fatalf("period list --show-reopened:\n%s", list)
	}

	changes := &famiv1.ListChangesResponse{}
	if err := protojson.Unmarshal([]byte(f.must(f.admin, "changes", "list", "--region", "lombardia", "--since", "3", "--type", "fami.v1.ClosedPeriod")), changes); err != nil {
		t.Fatal(err)
	}
	if len(changes.GetChanges()) != 2 || changes.GetChanges()[1].GetOperation() != famiv1.ChangeOperation_CHANGE_OPERATION_UPDATE {
		t.Fatalf("changes list --type fami.v1.ClosedPeriod: %v", changes)
	}
	if table := f.must(f.admin, "changes", "list", "--region", "lombardia", "-o", "table"); !regexpLine(table, "1", "CREATE", udpName, "test:admin") {
		t.Fatalf("changes list -o table:\n%s", table)
	}
}

func TestWatchCommand(t *testing.T) {
	f := startFamid(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- executeContext(ctx, []string{"watch", "--region", "lombardia", "--since", "1", "--server", f.url, "--token", f.admin}, nil, w, io.Discard)
		w.Close()
	}()
	lines := bufio.NewScanner(r)
	next := func() *famiv1.Change {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("watch ended: %v", lines.Err())
		}
		ch := &famiv1.Change{}
		if err := protojson.Unmarshal(lines.Bytes(), ch); err != nil {
			t.Fatalf("watch printed %q: %v", lines.Text(), err)
		}
		return ch
	}
	if ch := next(); ch.GetRevision() != 2 || ch.GetResourceName() != cpiaName {
		t.Fatalf("first change: %v", ch)
	}
	if ch := next(); ch.GetRevision() != 3 {
		t.Fatalf("second change: %v", ch)
	}
	// A live change arrives too.
	if _, err := sdk.NewClient(nil, f.url, f.admin).Partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: "live",
		Partner: &famiv1.Partner{DisplayName: "live", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
		t.Fatal(err)
	}
	if ch := next(); ch.GetRevision() != 4 || ch.GetResourceName() != "regions/lombardia/partners/live" {
		t.Fatalf("live change: %v", ch)
	}
	cancel()
	go io.Copy(io.Discard, r)
	if err := <-done; err != nil {
		t.Fatalf("watch after cancel: %v", err)
	}
}

// TestMirrorCommandWritesRevisionAfterList: with nothing changing after
// the list, .revision must still be written, so a restart does not list
// again.
func TestMirrorCommandWritesRevisionAfterList(t *testing.T) {
	f := startFamid(t)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- executeContext(ctx, []string{"mirror", "--region", "lombardia", "--out", out, "--server", f.url, "--token", f.admin}, nil, io.Discard, &stderr)
	}()
	waittest.Until(t, ".revision 3 after the list", func() bool { return mirrorRevision(out) == "3" })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("mirror: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "networks", "rete-bergamo.json")); err != nil {
		t.Errorf("the listed network is missing: %v", err)
	}
	if !strings.Contains(stderr.String(), "mirroring region lombardia from "+f.url+" into "+out) {
		t.Errorf("mirror does not say what it does:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), f.admin) {
		t.Error("mirror logs the token")
	}
}

// TestShellCompletion: the completion script is generated, and flags
// complete from the region list and the enum values.
func TestShellCompletion(t *testing.T) {
	var out bytes.Buffer
	if err := execute([]string{"completion", "bash"}, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "__start_famictl") {
		t.Fatalf("completion bash: %v\n%.200s", err, out.String())
	}
	for args, want := range map[string]string{
		"meeting list --region ":             "lombardia",
		"hours export --region x --dialect ": "italian",
		"protocol list -o ":                  "table",
		"mee":                                "meeting",
	} {
		out.Reset()
		if err := execute(append([]string{"__complete"}, strings.Split(args, " ")...), nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), want) {
			t.Errorf("completing %q: %v, want %q in\n%s", args, err, want, out.String())
		}
	}
}

// TestChangesTableNamesThePrincipal: changes list -o table shows who made
// a change by display name beside the subject, and an empty cell for a
// subject without one.
func TestChangesTableNamesThePrincipal(t *testing.T) {
	f := startFamid(t)
	anna := f.token(auth.TokenSpec{Subject: "account:anna", Role: principal.RegionAdmin, Region: "lombardia", Name: "Anna Admin"})
	if _, err := sdk.NewClient(nil, f.url, anna).Partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia",
		PartnerId: "cedro", Partner: &famiv1.Partner{DisplayName: "Cedro", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
		t.Fatal(err)
	}
	table := f.must(f.admin, "changes", "list", "--region", "lombardia", "-o", "table")
	if !regexpLine(table, "REVISION", "PRINCIPAL", "PRINCIPAL_DISPLAY_NAME") {
		t.Errorf("changes list -o table has no PRINCIPAL_DISPLAY_NAME column:\n%s", table)
	}
	if !regexpLine(table, "CREATE", "regions/lombardia/partners/cedro", "account:anna", "Anna Admin") {
		t.Errorf("changes list -o table does not name the partner's author:\n%s", table)
	}
	if !regexpLine(table, "1", "CREATE", udpName, "test:admin") {
		t.Errorf("changes list -o table lost the change of a subject without a name:\n%s", table)
	}
}

// TestTokenCreateOfAnAccount: a token that famictl signs for an account
// made through the API (above generation 0, ADR 27) carries the account's
// credential generation, read from system.db with famid stopped, and
// famid started again accepts it. While famid runs famictl cannot read
// it, and refuses to print a token famid would refuse, naming --subject
// and what to do instead. famictl used to sign it with no generation,
// and famid refused it as revoked.
func TestTokenCreateOfAnAccount(t *testing.T) {
	f := startServer(t, server.Config{})
	admin := f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	if _, err := sdk.NewClient(nil, f.url, admin).Auth.CreateAccount(t.Context(), &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "mrossi",
		Password: "correct horse battery staple", Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT}}); err != nil {
		t.Fatal(err)
	}
	create := func() (string, error) {
		var out, errOut bytes.Buffer
		err := execute([]string{"token", "create", "--data-dir", f.dir, "--role", "consultant", "--region", "lombardia", "--subject", "account:mrossi"}, nil, &out, &errOut)
		return strings.TrimSpace(out.String()), err
	}
	out, err := create()
	if err == nil || out != "" {
		t.Fatalf("with famid running: printed %q, err %v; want a refusal", out, err)
	}
	for _, want := range []string{"--subject account:mrossi", "famid is running", "/v1/auth:login", "stop famid"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("with famid running, the refusal %q does not say %q", err, want)
		}
	}
	if err := f.srv.Stop(); err != nil {
		t.Fatalf("stop famid: %v", err)
	}
	token, err := create()
	if err != nil {
		t.Fatalf("with famid stopped: %v", err)
	}
	next := f.srv.Restart(t)
	who, err := sdk.NewClient(nil, next.URL(), token).Auth.WhoAmI(t.Context(), &famiv1.WhoAmIRequest{})
	if err != nil {
		t.Fatalf("the token famictl signed for the account, famid started again: %v", err)
	}
	if who.GetSubject() != "account:mrossi" {
		t.Errorf("WhoAmI says %q, want account:mrossi", who.GetSubject())
	}
}
