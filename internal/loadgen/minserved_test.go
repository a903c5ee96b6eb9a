package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// creator is a PartnerService that serves every CreatePartner.
type creator struct {
	famiv1connect.UnimplementedPartnerServiceHandler
}

func (creator) CreatePartner(_ context.Context, req *famiv1.CreatePartnerRequest) (*famiv1.Partner, error) {
	return &famiv1.Partner{Name: req.GetParent() + "/partners/" + req.GetPartnerId()}, nil
}

// TestMinServed: a load whose time is too short to serve anything goes on
// until it has served MinServed calls, closed loop and open loop alike,
// and reports the time it took; its counts still add up.
func TestMinServed(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(famiv1connect.NewPartnerServiceHandler(creator{}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	target := Target{HTTPURL: srv.URL, Tokens: map[string]string{"lombardia": "t"}}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a watchdog
	defer cancel()
	for _, load := range []Load{{Concurrency: 2}, {Rate: 1000}} {
		load.Surface, load.Op, load.Regions = Connect, Create, []string{"lombardia"}
		load.Duration, load.MinServed = time.Nanosecond, 20
		r, err := target.Run(ctx, load)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK < load.MinServed || r.Sent != r.OK+r.Refused+r.Throttled+r.Errors+r.Late {
			t.Errorf("%s: %d served of %d sent, want at least %d and every call counted once", r.Mode, r.OK, r.Sent, load.MinServed)
		}
		if r.Seconds <= load.Duration.Seconds() || r.Goodput != float64(r.OK)/r.Seconds {
			t.Errorf("%s: %v s, goodput %v; want the time the load took, and the goodput over it", r.Mode, r.Seconds, r.Goodput)
		}
	}
}
