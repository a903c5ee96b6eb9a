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
// and reports the time it took; its counts still add up. So does a load
// on a server that refuses every call until MinAnswered calls have had
// their answer.
func TestMinServed(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(famiv1connect.NewPartnerServiceHandler(creator{}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	serving := Target{HTTPURL: srv.URL, Tokens: map[string]string{"lombardia": "t"}}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a watchdog
	defer cancel()
	for _, c := range []struct {
		name   string
		target Target
		min    Load
		got    func(Result) int64
	}{
		{"served", serving, Load{MinServed: 20}, func(r Result) int64 { return r.OK }},
		{"answered", refusingServer(t), Load{MinAnswered: 20}, func(r Result) int64 { return r.Refused }},
	} {
		for _, load := range []Load{{Concurrency: 2}, {Rate: 1000}} {
			load.Surface, load.Op, load.Regions = Connect, Create, []string{"lombardia"}
			load.Duration, load.MinServed, load.MinAnswered = time.Nanosecond, c.min.MinServed, c.min.MinAnswered
			r, err := c.target.Run(ctx, load)
			if err != nil {
				t.Fatal(err)
			}
			want := max(load.MinServed, load.MinAnswered)
			if c.got(r) < want || r.Sent != r.OK+r.Refused+r.Throttled+r.Errors+r.Late {
				t.Errorf("%s, %s: %d of %d sent, want at least %d and every call counted once", c.name, r.Mode, c.got(r), r.Sent, want)
			}
			if r.Seconds <= load.Duration.Seconds() || r.Goodput != float64(r.OK)/r.Seconds {
				t.Errorf("%s, %s: %v s, goodput %v; want the time the load took, and the goodput over it", c.name, r.Mode, r.Seconds, r.Goodput)
			}
		}
	}
}
