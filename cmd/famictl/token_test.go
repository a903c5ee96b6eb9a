package main

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/sdk"
)

// TestTokenCreateOfAnAccountOnEtcd: with famid's etcd flags (the set
// restore takes), famictl reads an account's credential generation from
// the cluster while famid serves it, and the running famid accepts the
// token it signs; once the account is given a new password, famid refuses
// it. An account the region does not have is refused, naming --subject.
// famictl used to refuse every account: subject on etcd.
func TestTokenCreateOfAnAccountOnEtcd(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	f := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/tok/"))
	admin := sdk.NewClient(nil, f.url, f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"}))
	if _, err := admin.Auth.CreateAccount(t.Context(), &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: "mrossi",
		Password: "correct horse battery staple", Account: &famiv1.Account{DisplayName: "Mario Rossi", Role: famiv1.Role_ROLE_CONSULTANT}}); err != nil {
		t.Fatal(err)
	}
	create := func(subject string) (string, error) {
		var out, errOut bytes.Buffer
		err := run([]string{"token", "create", "--data-dir", f.dir, "--etcd-endpoints", strings.Join(c.Endpoints(), ","), "--etcd-prefix", "/tok/",
			"--role", "consultant", "--region", "lombardia", "--subject", subject}, &out, &errOut)
		return strings.TrimSpace(out.String()), err
	}

	token, err := create("account:mrossi")
	if err != nil {
		t.Fatalf("token create of account:mrossi on etcd, famid running: %v", err)
	}
	who, err := sdk.NewClient(nil, f.url, token).Auth.WhoAmI(t.Context(), &famiv1.WhoAmIRequest{})
	if err != nil {
		t.Fatalf("the running famid refuses the token famictl signed for the account: %v", err)
	}
	if who.GetSubject() != "account:mrossi" {
		t.Errorf("WhoAmI says %q, want account:mrossi", who.GetSubject())
	}

	out, err := create("account:mrosi")
	if err == nil || out != "" || !strings.Contains(err.Error(), "--subject account:mrosi") || !strings.Contains(err.Error(), "has no account mrosi") {
		t.Errorf("an account the region does not have: printed %q, err %v; want refused naming --subject", out, err)
	}

	if _, err := admin.Auth.SetAccountPassword(t.Context(), &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/mrossi",
		Password: "another horse battery staple"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.NewClient(nil, f.url, token).Auth.WhoAmI(t.Context(), &famiv1.WhoAmIRequest{}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Errorf("the token famictl signed, after the account's new password: %v, want UNAUTHENTICATED", err)
	}
	// Signed again, it carries the new generation.
	if token, err = create("account:mrossi"); err != nil {
		t.Fatalf("token create after the new password: %v", err)
	}
	if _, err := sdk.NewClient(nil, f.url, token).Auth.WhoAmI(t.Context(), &famiv1.WhoAmIRequest{}); err != nil {
		t.Errorf("the token signed after the new password: %v", err)
	}
}

// TestTokenCreateRefusesAnUnknownAccount: on bbolt, famid stopped, an
// account: subject that names no account of the region is refused as on
// etcd; famictl signed it with generation 0, a token that looked like an
// account's and was none.
func TestTokenCreateRefusesAnUnknownAccount(t *testing.T) {
	f := startServer(t, server.Config{})
	if err := f.srv.Stop(); err != nil {
		t.Fatalf("stop famid: %v", err)
	}
	var out, errOut bytes.Buffer
	err := run([]string{"token", "create", "--data-dir", f.dir, "--role", "consultant", "--region", "lombardia", "--subject", "account:nobody"}, &out, &errOut)
	if err == nil || out.Len() != 0 || !strings.Contains(err.Error(), "--subject account:nobody") || !strings.Contains(err.Error(), "has no account nobody") {
		t.Errorf("an account the region does not have: printed %q, err %v; want refused naming --subject", out.String(), err)
	}
}

// TestTokenCreateWithoutSystemDBSaysEtcd: a data dir with keys and no
// system.db (famid on etcd) says to give the etcd flags.
func TestTokenCreateWithoutSystemDBSaysEtcd(t *testing.T) {
	dir := t.TempDir()
	if _, err := auth.LoadOrCreateKeys(dir); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run([]string{"token", "create", "--data-dir", dir, "--role", "consultant", "--region", "lombardia", "--subject", "account:mrossi"}, &out, &errOut)
	if err == nil || out.Len() != 0 || !strings.Contains(err.Error(), "--etcd-endpoints") {
		t.Errorf("no system.db: printed %q, err %v; want refused, saying to give --etcd-endpoints", out.String(), err)
	}
}

// TestEtcdFlagsUnansweredSaysSo: restore and token create, given an etcd
// endpoint that does not answer, stop at --etcd-dial-timeout naming the
// endpoint and the flag, as famid's start does; restore waited for ever.
func TestEtcdFlagsUnansweredSaysSo(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	l.Close() // nothing answers there now
	src := t.TempDir()
	writeHistory(t, src)
	dir := t.TempDir()
	if _, err := auth.LoadOrCreateKeys(dir); err != nil {
		t.Fatal(err)
	}
	etcdFlags := []string{"--etcd-endpoints", endpoint, "--etcd-dial-timeout", "300ms"}
	for name, args := range map[string][]string{
		"restore":      {"restore", "--region", "lombardia", "--from", filepath.Join(src, "regions", "lombardia.db")},
		"token create": {"token", "create", "--data-dir", dir, "--role", "consultant", "--region", "lombardia", "--subject", "account:mrossi"},
	} {
		var out, errOut bytes.Buffer
		err := run(append(args, etcdFlags...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), endpoint) || !strings.Contains(err.Error(), "--etcd-dial-timeout") {
			t.Errorf("%s, etcd not answering: %v; want an error naming %s and --etcd-dial-timeout", name, err, endpoint)
		}
	}
}

// TestUnusedEtcdFlagsAreRefused: an etcd flag the command would not read
// is refused, naming it, and nothing is done: one given without
// --etcd-endpoints (restore, token create of an account), or any for a
// token of no account, which reads nothing from the cluster. Before, each
// was silently ignored: the restore went into the data dir, and the
// tokens were printed.
func TestUnusedEtcdFlagsAreRefused(t *testing.T) {
	src := t.TempDir()
	writeHistory(t, src)
	dir := t.TempDir()
	if _, err := auth.LoadOrCreateKeys(dir); err != nil {
		t.Fatal(err)
	}
	token := []string{"token", "create", "--data-dir", dir, "--role", "consultant", "--region", "lombardia"}
	for _, tc := range []struct {
		name, flag string
		args       []string
	}{
		{"restore without endpoints", "--etcd-prefix",
			[]string{"restore", "--data-dir", dir, "--region", "lombardia", "--from", filepath.Join(src, "regions", "lombardia.db"), "--etcd-prefix", "/altro/"}},
		{"token create of an account without endpoints", "--etcd-ca",
			append(slices.Clone(token), "--subject", "account:mrossi", "--etcd-ca", "ca.pem")},
		{"token create of no account with endpoints", "--etcd-endpoints",
			append(slices.Clone(token), "--etcd-endpoints", "http://127.0.0.1:2379")},
		{"token create of no account with a dial timeout", "--etcd-dial-timeout",
			append(slices.Clone(token), "--subject", "cli:script", "--etcd-dial-timeout", "1s")},
	} {
		var out, errOut bytes.Buffer
		err := run(tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.flag) || out.Len() != 0 {
			t.Errorf("%s: printed %q, err %v; want refused naming %s", tc.name, out.String(), err, tc.flag)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "regions", "lombardia.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused restore installed the region's file: %v", err)
	}
}
