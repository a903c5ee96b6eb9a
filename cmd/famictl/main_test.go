package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server/servertest"
)

// run executes famictl with args, reading answers from the process's
// standard input.
func run(args []string, stdout, stderr io.Writer) error {
	return execute(args, os.Stdin, stdout, stderr)
}

// execute runs famictl with args and a background context.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return executeContext(context.Background(), args, stdin, stdout, stderr)
}

// executeContext runs famictl with args and ctx as main does, on the test
// servers' clock: the real famictl signs its tokens on the clock of the
// machine it shares with famid.
func executeContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := newApp(stdin, stdout, stderr)
	a.now = servertest.Now
	return a.execute(ctx, args)
}

func TestTokenCreate(t *testing.T) {
	dir := t.TempDir()
	if _, err := auth.LoadOrCreateKeys(dir); err != nil { // as famid's first start does
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run([]string{"token", "create", "--data-dir", dir, "--role", "network_member", "--region", "lombardia",
		"--partner", "regions/lombardia/partners/udp-bergamo", "--name", "Anna Bianchi", "--ttl", "10m"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v (%s)", err, errOut.String())
	}
	keys, err := auth.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := auth.NewVerifier(keys, nil, servertest.Now).Verify(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("the printed token does not verify: %v", err)
	}
	p := claims.Principal()
	want := principal.Principal{Subject: "cli:network_member:lombardia", Role: principal.NetworkMember, Region: "lombardia",
		Partner: "regions/lombardia/partners/udp-bergamo", DisplayName: "Anna Bianchi", ExpiresAt: p.ExpiresAt, TokenID: claims.ID}
	if p.TokenID == "" {
		t.Errorf("the principal carries no token id")
	}
	if p != want {
		t.Fatalf("principal = %+v, want %+v", p, want)
	}
}

func TestTokenCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no keys yet":            {"token", "create", "--data-dir", t.TempDir(), "--role", "ministry"},
		"unknown role":           {"token", "create", "--data-dir", dir, "--role", "root"},
		"region admin no region": {"token", "create", "--data-dir", dir, "--role", "region_admin"},
		"member without partner": {"token", "create", "--data-dir", dir, "--role", "network_member", "--region", "lombardia"},
		"ministry with region":   {"token", "create", "--data-dir", dir, "--role", "ministry", "--region", "lombardia"},
		"unknown command":        {"token", "destroy"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := auth.LoadOrCreateKeys(dir); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if err := run(args, &out, &errOut); err == nil {
				t.Fatalf("run succeeded, printed %q", out.String())
			}
			if out.Len() != 0 {
				t.Errorf("printed %q on failure", out.String())
			}
		})
	}
}

// TestTokenCreateRefusesAMinistryAccount: an account: subject is an
// account of a region; a ministry token of it shared that account's
// calendar feed tokens (their owner, limit, list and revocations), and
// famictl signed it.
func TestTokenCreateRefusesAMinistryAccount(t *testing.T) {
	dir := t.TempDir()
	if _, err := auth.LoadOrCreateKeys(dir); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run([]string{"token", "create", "--data-dir", dir, "--role", "ministry", "--subject", "account:mrossi"}, &out, &errOut)
	if err == nil || out.Len() != 0 || !strings.Contains(err.Error(), "subject") || !strings.Contains(err.Error(), "names an account of a region") {
		t.Errorf("a ministry token of account:mrossi: err = %v, printed %q; want it refused naming the subject", err, out.String())
	}
}

func TestKeyRotate(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"token", "create", "--data-dir", dir, "--role", "ministry"}, &out, &bytes.Buffer{}); err == nil {
		t.Fatal("token create without a key succeeded")
	}
	if err := run([]string{"key", "rotate", "--data-dir", dir}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"token", "create", "--data-dir", dir, "--role", "ministry"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("token create after key rotate: %v", err)
	}
}
