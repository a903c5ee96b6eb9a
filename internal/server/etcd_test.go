package server_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/syncbuf"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestEtcdTwoServers runs two famid on one etcd cluster, each with its own
// data dir: they share the signing keys, the accounts and the data, and a
// service token revoked through one is refused by the other. How soon is
// logged, not asserted (the etcd watch usually takes a few milliseconds;
// the acceptance bound is one second): a one-second bound failed
// on a loaded CI machine, so the test waits up to waittest's bound.
func TestEtcdTwoServers(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	a := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/two/"))
	b := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/two/"))
	ctx := t.Context()
	onA, onB := newSurface(t, a, "grpc"), newSurfaceAs(t, b, "grpc", a.token)

	p, err := onA.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano", Partner: &famiv1.Partner{
		DisplayName: "Ufficio di Piano di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}})
	if err != nil {
		t.Fatalf("create partner through A: %v", err)
	}
	got, err := onB.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: p.GetName()})
	if err != nil || got.GetEtag() != p.GetEtag() {
		t.Fatalf("read through B (with a token signed by A's key): got %v, %v, want the partner A created", got, err)
	}

	const password = "correct horse battery staple"
	_, err = onB.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: lombardia, AccountId: "mrossi", Password: password,
		Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT}})
	if err != nil {
		t.Fatalf("create account through B: %v", err)
	}
	login, err := newSurfaceAs(t, a, "grpc", "").Login(ctx, &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password})
	if err != nil {
		t.Fatalf("login through A to an account created through B: %v", err)
	}
	if _, err := newSurfaceAs(t, b, "grpc", login.GetToken()).WhoAmI(ctx, &famiv1.WhoAmIRequest{}); err != nil {
		t.Fatalf("A's login token through B: %v", err)
	}

	created, err := onA.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage", DisplayName: "SIAGE"})
	if err != nil {
		t.Fatalf("CreateServiceToken through A: %v", err)
	}
	withToken := newSurfaceAs(t, b, "grpc", created.GetToken())
	if _, err := withToken.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
		t.Fatalf("service token from A, through B: %v", err)
	}
	if _, err := onA.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: created.GetServiceToken().GetName()}); err != nil {
		t.Fatalf("RevokeServiceToken through A: %v", err)
	}
	waittest.Until(t, "B to refuse the service token revoked through A", func() bool {
		_, err := withToken.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
		if e, ok := asCallError(err); ok && e.Code == codes.Unauthenticated {
			return true
		}
		if err != nil {
			t.Fatalf("revoked token through B: got %v, want Unauthenticated", err)
		}
		return false
	})
}

// TestEtcdRotatedKeyVerifiedOnceShared: a signing key rotated into famid
// A's data dir reaches famid B through the shared system records at A's
// next system change, and B verifies with it as soon as it has written it
// into its own data dir: its key set reads the directory again then
// (KeySet.Reload), where it read it only at an unknown key id, at most
// every five seconds, and refused A's tokens meanwhile. B's JWKS lists the
// key once its key set holds it.
func TestEtcdRotatedKeyVerifiedOnceShared(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	a := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/rotate/"))
	b := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/rotate/"))
	ctx := t.Context()
	kid, err := auth.RotateKey(a.DataDir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A shares its keys at each system change: one made through A.
	if _, err := newSurface(t, a, "grpc").CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage", DisplayName: "SIAGE"}); err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, "B's JWKS to list the key rotated into A", func() bool {
		res, err := http.Get(b.httpURL() + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(body), kid)
	})
	token := a.mintToken(ministrySpec) // signed with the rotated key, the newest in A's dir
	if _, err := newSurfaceAs(t, b, "grpc", token).WhoAmI(ctx, &famiv1.WhoAmIRequest{}); err != nil {
		t.Errorf("a token signed with the key rotated into A, through B: %v", err)
	}
}

// TestEtcdReadiness: famid on etcd is ready only while its cluster
// answers. With the cluster's member down, /readyz answers 503 within the
// probe's time; with it back, 200 again.
func TestEtcdReadiness(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	ts := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/ready/"))
	ready := func() int {
		t.Helper()
		res, err := http.Get(ts.httpURL() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	until := func(step string, want int) {
		t.Helper()
		got := 0
		if waittest.Eventually(t, step+": /readyz to answer "+strconv.Itoa(want), func() error {
			if got = ready(); got != want {
				return errors.New("not yet")
			}
			return nil
		}) != nil {
			t.Fatalf("%s: /readyz answers %d, want %d", step, got, want)
		}
	}
	until("cluster up", http.StatusOK)
	c.Kill(0)
	until("the cluster's member down", http.StatusServiceUnavailable)
	c.Restart(0)
	until("the member back", http.StatusOK)
}

// TestScenarioEtcd runs the end-to-end scenario on gRPC once with the etcd
// store and once with bbolt: the transcripts must be identical.
func TestScenarioEtcd(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	transcripts := map[string][]string{}
	for name, cfg := range map[string]server.Config{"bbolt": {}, "etcd": servertest.EtcdConfig(c.Endpoints(), "/scenario/")} {
		t.Run(name, func(t *testing.T) {
			cfg.MunicipalitiesFile = municipalitiesFile
			ts := startServer(t, cfg)
			tr := &transcript{t: t, render: brief, messages: true}
			newScenario(&onSurface{transcript: tr, ctx: t.Context(), ts: ts, kind: "grpc"}).run()
			transcripts[name] = tr.steps
		})
	}
	if len(transcripts["etcd"]) == 0 {
		t.Fatal("the etcd scenario recorded nothing")
	}
	if d := diffLines(transcripts["bbolt"], transcripts["etcd"]); d != "" {
		t.Errorf("the etcd transcript differs from the bbolt one (-bbolt +etcd):\n%s", d)
	}
}

// TestEtcdDamagedRecord: on etcd, a region record whose stored value was
// changed behind famid's back (one bit flipped by a direct Put) fails its
// checksum (ADR 12) on every surface: a Get, the region's list, its
// change feed, a watch from its start and its backup answer DATA_LOSS,
// the damaged data never served; the
// national list answers the other regions and names the region in
// unreachable; the log names the record.
func TestEtcdDamagedRecord(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var log syncbuf.Buffer
			prefix := "/damaged-" + kind + "/"
			cfg := servertest.EtcdConfig(c.Endpoints(), prefix)
			cfg.Logger = textLog(&log, slog.LevelWarn)
			ts := startServer(t, cfg)
			ctx := t.Context()
			for _, r := range []string{"lombardia", "veneto"} {
				admin := newSurfaceFor(t, ts, kind, regionAdminSpec(r))
				mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/" + r, PartnerId: "udp", Partner: &famiv1.Partner{
					DisplayName: "MARKER-partner-" + r, Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner")
			}
			etcdtest.Damage(t, c.Client(t), prefix+"regions/lombardia/", "MARKER-partner-lombardia")

			admin := newSurfaceFor(t, ts, kind, regionAdminSpec("lombardia"))
			from := len(log.String())
			_, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/udp"})
			wantCode(t, "Get of the damaged partner", err, codes.DataLoss)
			if l := log.String()[from:]; !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "regions/lombardia/partners/udp") {
				t.Errorf("log of the damaged Get: %q, want an error line naming the record", l)
			}
			_, err = admin.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/lombardia"})
			wantCode(t, "the region's partners", err, codes.DataLoss)
			_, err = admin.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: "regions/lombardia"})
			wantCode(t, "the region's change feed", err, codes.DataLoss)
			feed := newFeedSurface(t, ts, kind, ts.token)
			_, err = feed.WatchFirst(ctx, &famiv1.WatchRequest{Parent: "regions/lombardia"})
			wantCode(t, "a watch of the region from its start", err, codes.DataLoss)
			_, err = feed.Backup(ctx, &famiv1.BackupRegionRequest{Name: "regions/lombardia"})
			wantCode(t, "the region's backup", err, codes.DataLoss)

			ministry := newSurfaceFor(t, ts, kind, ministrySpec)
			from = len(log.String())
			partners := mustOK(ministry.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/-"}))(t, "national partners with a damaged one")
			if got, want := partnerNames(partners.GetPartners()), []string{"regions/veneto/partners/udp"}; !slices.Equal(got, want) {
				t.Errorf("national partners: got %v, want %v", got, want)
			}
			wantUnreachable(t, "national partners", partners.GetUnreachable(), "regions/lombardia")
			wantDegradedLog(t, log.String()[from:], "PartnerService/ListPartners", "regions/lombardia", "regions/lombardia/partners/udp")
		})
	}
}

// TestEtcdTokenOfAnEarlierVersion: a service token that a famid of an
// earlier version issues on the shared cluster (its record alone, without
// the keys of the token indexes) is indexed by a running famid once it
// follows the change, without a restart, and takes one of its system's
// places.
func TestEtcdTokenOfAnEarlierVersion(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	ts := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/earlier/"))
	earlier, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Prefix: "/earlier/", Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { earlier.Close() })
	b, err := proto.Marshal(&famiv1.ServiceToken{
		Name: lombardia + "/serviceTokens/earlier", Subject: "system:siage", CreateTime: timestamppb.New(servertest.Now()),
		ExpireTime: timestamppb.New(servertest.Now().Add(time.Hour)), IssuedBy: "account:admin",
	})
	if err != nil {
		t.Fatal(err)
	}
	err = earlier.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Put("service_tokens", "lombardia/earlier", b) })
	if err != nil {
		t.Fatal(err)
	}

	// A bound for a famid that never indexes it, not a speed asserted:
	// the watch takes milliseconds, five seconds was close under load.
	waittest.Until(t, "famid to index the token of the earlier version", func() bool {
		return hasLiveKey(t, earlier, "lombardia/system:siage/", "/earlier")
	})
	admin := newSurface(t, ts, "grpc")
	for i := range accounts.MaxLiveServiceTokens - 1 {
		if _, err := admin.CreateServiceToken(t.Context(), &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage"}); err != nil {
			t.Fatalf("service token %d beside the earlier version's: %v", i+1, err)
		}
	}
	_, err = admin.CreateServiceToken(t.Context(), &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage"})
	checkErr(t, "a service token past the cap, one of the earlier version's", err, wantErr{codes.FailedPrecondition, "TOO_MANY_TOKENS", nil})
}

// hasLiveKey reports whether the index of live service tokens holds a key
// with prefix and suffix.
func hasLiveKey(t *testing.T, sys store.System, prefix, suffix string) bool {
	t.Helper()
	found := false
	err := sys.SystemView(t.Context(), func(tx store.SystemTx) error {
		tx.Scan("service_tokens_live", prefix, "", func(k string, _ []byte, _ error) bool {
			found = strings.HasSuffix(k, suffix)
			return !found
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
