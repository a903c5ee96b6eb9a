package main

import (
	"testing"

	"connectrpc.com/connect"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestLogout: famictl logout revokes the token it calls with, and only
// that one.
func TestLogout(t *testing.T) {
	f := startFamid(t)
	spec := auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia"}
	session, other := f.token(spec), f.token(spec)
	f.must(session, "logout")
	if out, errOut, err := f.run(session, "", "logout"); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Errorf("famictl logout with the revoked token: got %v, want UNAUTHENTICATED\n%s%s", err, out, errOut)
	}
	if out, errOut, err := f.run(other, "", "logout"); err != nil {
		t.Errorf("famictl logout with another token of the same subject: %v, want it still valid\n%s%s", err, out, errOut)
	}
}
