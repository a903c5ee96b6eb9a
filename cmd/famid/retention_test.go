package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestServiceTokenRetention: FAMID_SERVICE_TOKEN_RETENTION
// (--service-token-retention) decides how long famid lists the record of
// an expired service token. famid runs in this process on a clock the test
// moves ahead instead of waiting: within the retention the record is
// listed as EXPIRED, past it the next token issued forgets it (under the
// default, 90 days, it would still be listed). A retention under an hour is
// refused, naming the setting.
func TestServiceTokenRetention(t *testing.T) {
	for _, bad := range []string{"30m", "-2h", "0", "two hours"} {
		t.Run("refused/"+bad, func(t *testing.T) {
			t.Setenv("FAMID_SERVICE_TOKEN_RETENTION", bad)
			if _, err := parseOptions(nil, io.Discard); err == nil ||
				!strings.Contains(err.Error(), "FAMID_SERVICE_TOKEN_RETENTION") || !strings.Contains(err.Error(), "service-token-retention") {
				t.Errorf("got %v, want a refusal naming FAMID_SERVICE_TOKEN_RETENTION and service-token-retention", err)
			}
		})
	}

	t.Setenv("FAMID_SERVICE_TOKEN_RETENTION", "2h")
	dir, ready := t.TempDir(), readyPath(t)
	o, err := parseOptions([]string{"--data-dir", dir, "--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", loopback0,
		"--ready-file", ready, "--log-level", "warn"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeclock.Shifted{}
	o.server.Now = clock.Now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		m := &Main{opts: o, stderr: io.Discard, hurry: context.Background()}
		err := m.Run(ctx)
		done <- errors.Join(err, m.Close())
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("famid: %v", err)
		}
	})
	conn := dialChild(t, waitReady(t, ready, done).GRPCAddr)
	defer conn.Close()
	tokens := famiv1.NewAuthServiceClient(conn)
	keys, err := auth.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	// admin is a region admin's call, its token issued at famid's time.
	admin := func() context.Context {
		tok, _, err := keys.Sign(auth.TokenSpec{Subject: "test:retention", Role: principal.RegionAdmin, Region: "lombardia", TTL: time.Hour}, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	}
	issue := func(system string) *famiv1.ServiceToken {
		res, err := tokens.CreateServiceToken(admin(), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: system, TtlSeconds: 3600})
		if err != nil {
			t.Fatalf("CreateServiceToken %s: %v", system, err)
		}
		return res.GetServiceToken()
	}
	listed := func() map[string]famiv1.ServiceTokenState {
		res, err := tokens.ListServiceTokens(admin(), &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]famiv1.ServiceTokenState{}
		for _, st := range res.GetServiceTokens() {
			states[st.GetName()] = st.GetState()
		}
		return states
	}

	old := issue("vecchio")
	// An hour of life, then two hours of retention less a minute.
	clock.Advance(time.Hour + 2*time.Hour - time.Minute)
	issue("nuovo") // issuing a token forgets the records past their retention
	if got, ok := listed()[old.GetName()]; !ok || got != famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_EXPIRED {
		t.Fatalf("within the retention: the expired token is listed %v (%v), want EXPIRED", ok, got)
	}
	clock.Advance(2 * time.Minute)
	last := issue("ultimo")
	states := listed()
	if got, ok := states[old.GetName()]; ok {
		t.Errorf("past the retention: the expired token is still listed, %v", got)
	}
	if got := states[last.GetName()]; got != famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE || len(states) != 2 {
		t.Errorf("past the retention: listed %v, want the two newer tokens, the last ACTIVE", states)
	}
}
