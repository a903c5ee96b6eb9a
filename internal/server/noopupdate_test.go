package server_test

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestEveryNoOpUpdateIsCheckedAsAChange: on every Update that takes an
// update_mask, found by walking the API, each caller of the region (and
// the ministry) first sends the resource with a mask that changes nothing
// (only the etag), then a real change of one mutable field. Whoever is
// refused the change is refused the no-op with the same code, reason and
// status, and whoever may make the change gets the no-op's answer: the
// answer to someone who may not update a resource does not depend on
// whether the mask changes anything. The no-op skipped the capability's
// checks: the staff of a network's member that is not its lead
// "updated" the network (it is NOT_NETWORK_LEAD).
func TestEveryNoOpUpdateIsCheckedAsAChange(t *testing.T) {
	t.Parallel()
	updates := updateMethods(t)
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		names := seedEveryType(t, ts)
		reads := standardReads(t)
		admin := newSurface(t, ts, kind)
		callers := map[string]surface{
			"region_admin":     admin,
			"consultant":       newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion}),
			"other consultant": newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:noop:consultant", Role: principal.Consultant, Region: ownRegion}),
			"lead's staff":     newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:noop:udp", Role: principal.NetworkMember, Region: ownRegion, Partner: partnerName("udp")}),
			"member's staff":   newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:noop:cpia", Role: principal.NetworkMember, Region: ownRegion, Partner: partnerName("cpia")}),
			"regional_system":  newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:noop:system", Role: principal.RegionalSystem, Region: ownRegion}),
			"ministry":         newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:noop:ministry", Role: principal.Ministry}),
		}
		refusedSomewhere := map[string]bool{}
		for typ, procedure := range updates {
			mu := maskedUpdates[typ]
			for who, s := range callers {
				cur := getByName(t, admin, reads[typ].get, names[typ])
				noop, noopErr := updateWithMask(t, s, procedure, cur, []string{"etag"})
				edited := proto.CloneOf(cur.Interface()).ProtoReflect()
				setString(edited, mu.edit, "Cambiato da "+who)
				edited.Clear(edited.Descriptor().Fields().ByName("etag"))
				_, changeErr := updateWithMask(t, s, procedure, edited, []string{mu.edit})
				switch {
				case changeErr != nil:
					refusedSomewhere[typ] = true
					c, _ := asCallError(changeErr)
					n, ok := asCallError(noopErr)
					if c == nil || !ok || n.Code != c.Code || n.Reason != c.Reason || n.HTTPStatus != c.HTTPStatus {
						t.Errorf("%s by %s: the change is refused (%v) but the no-op answered %v, %v", procedure, who, changeErr, noopErr, protoText(noop))
					}
				case noopErr != nil:
					t.Errorf("%s by %s: the change is made but the no-op is refused: %v", procedure, who, noopErr)
				case !proto.Equal(noop.Interface(), cur.Interface()):
					t.Errorf("%s by %s: the no-op answered %v, want the resource as it was, %v", procedure, who, noop.Interface(), cur.Interface())
				}
			}
		}
		for typ, procedure := range updates {
			if !refusedSomewhere[typ] {
				t.Errorf("%s: no caller was refused the change, so the no-op's refusal was not compared", procedure)
			}
		}
	})
}

// protoText is m as text, or nothing for an invalid message.
func protoText(m protoreflect.Message) any {
	if m == nil || !m.IsValid() {
		return nil
	}
	return m.Interface()
}
