package sdk_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/syncbuf"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/sdktest"
)

// TestMirrorSaysOnceWhatItDoes: a mirror that lists the region says so
// once, "listing", then once that it listed and watches, with the
// revision and the count, and records that revision once. It said
// "listed; watching" a second time after every list, and handed the
// same revision to Synced twice.
func TestMirrorSaysOnceWhatItDoes(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var synced []int64
	var logged syncbuf.Buffer
	m := &sdk.Mirror{
		Client:  sdk.NewClient(nil, serverURL, token),
		Region:  "lombardia",
		Handler: onSynced{&sdktest.Memory{}, func(revision int64) { synced = append(synced, revision); stop() }},
		Logger:  slog.New(slog.NewTextHandler(&logged, nil)),
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	var listing, watching []string
	for line := range strings.Lines(logged.String()) {
		if strings.Contains(line, "listing") {
			listing = append(listing, line)
		}
		if strings.Contains(line, "watching") {
			watching = append(watching, line)
		}
	}
	if len(listing) != 1 || len(watching) != 1 {
		t.Fatalf("the mirror logged %d lines about listing and %d about watching, want 1 each:\n%s", len(listing), len(watching), logged.String())
	}
	if w := watching[0]; !strings.Contains(w, "revision=5") || !strings.Contains(w, "resources=4") {
		t.Errorf("the mirror said %q, want its revision (5) and resources (4)", w)
	}
	if len(synced) != 1 || synced[0] != 5 {
		t.Errorf("Synced got %v after the list, want [5] (once)", synced)
	}
}

// TestMirrorAheadAfterAListBacksOff: a mirror whose watch refuses the
// revision its lists just answered, as beyond the region's (lists served
// by a replica ahead of the watch's, a region being restored), lists
// again only after a backoff that grows. It listed again at once, over
// and over, as fast as the server answered.
func TestMirrorAheadAfterAListBacksOff(t *testing.T) {
	const backoff = 400 * time.Millisecond
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	c := sdk.NewClient(nil, serverURL, token)
	partners := sdk.RegistryListers(c)[0]
	var lists []time.Time
	m := &sdk.Mirror{
		Client: c,
		Region: "lombardia",
		Listers: []sdk.Lister{func(ctx context.Context, region, tok string) ([]sdk.Resource, string, int64, error) {
			items, next, rev, err := partners(ctx, region, tok)
			return items, next, rev + 1000, err
		}},
		Nested: []sdk.NestedLister{},
		Handler: onSynced{&sdktest.Memory{}, func(int64) {
			if lists = append(lists, time.Now()); len(lists) == 3 {
				stop()
			}
		}},
		MinBackoff: backoff,
		Logger:     slog.New(slog.DiscardHandler),
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// The waits are jittered within half the backoff: at least 200 ms,
	// then 400 ms.
	if len(lists) != 3 {
		t.Fatalf("%d lists, want 3", len(lists))
	}
	if gap := lists[2].Sub(lists[0]); gap < backoff/2+backoff {
		t.Errorf("three lists in %v, want at least %v between the first and the third", gap, backoff/2+backoff)
	}
}
