package server

import (
	"context"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestRESTTriesHoldOneSlot: the tries of a REST write made once per tag
// of its If-Match list (nextTag) are one request, which holds its one
// place under the concurrency limit from its arrival to the end of its
// last try. Here the pipeline (run), with the server's shedder at a limit
// of one, runs a REST request's two tries as the gateway's connection
// makes them, and between them another call asks for a place: it is
// refused, and the second try is served. Before, the first try gave the
// place back as it ended, so the other call took it and the second try
// was refused OVERLOADED (429), which its first try had not been.
func TestRESTTriesHoldOneSlot(t *testing.T) {
	var logged syncbuf.Buffer
	p := faultPipeline(&logged)
	p.metrics = newMetrics()
	p.shed = newShedder(1, time.Hour, defaultRefusedBodyLimit, p.metrics, p.log)
	cond := &condition{ifMatch: []string{"1", "2"}, tries: &tries{}}
	arrived, err := p.shed.arrive(context.WithValue(t.Context(), conditionKey{}, cond), true) // admitREST
	if err != nil {
		t.Fatal(err)
	}
	defer arrived.done()
	try := func() error {
		c := call{procedure: famiv1.PartnerService_UpdatePartner_FullMethodName, protocol: "rest", req: &famiv1.UpdatePartnerRequest{}}
		_, err := p.run(inprocServerContext{arrived}, &c, func(context.Context) (any, error) { return &famiv1.Partner{}, nil })
		return err
	}
	if err := try(); err != nil {
		t.Fatalf("first try: %v", err)
	}
	if p.shed.take() {
		p.shed.free()
		t.Error("another call took a place between the tries of a request at the limit of one")
	}
	if err := try(); err != nil {
		t.Errorf("second try: %v, want it served in its request's place", err)
	}
	cond.tries.flush()
	if !p.shed.take() {
		t.Error("the request's place is still held after its last try")
	}
}
