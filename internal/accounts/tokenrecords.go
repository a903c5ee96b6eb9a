package accounts

import (
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
)

// DefaultServiceTokenRetention is how long the record of a service token
// stays after the token expired (Options.ServiceTokenRetention), listed as
// EXPIRED, so that an audit can still tell who issued which token to which
// system and when. Past it the record is forgotten, as expired revocations
// are (pruneExpired): the list of a region's tokens is bounded by those
// issued in the last year and a quarter, not by every token ever issued.
const DefaultServiceTokenRetention = 90 * 24 * time.Hour

// withState sets the state of st, derived at now (the verifier's clock
// leeway included), and returns st. The state is never stored.
func withState(st *famiv1.ServiceToken, now time.Time) *famiv1.ServiceToken {
	switch {
	case st.GetRevokeTime() != nil:
		st.State = famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED
	case auth.Expired(st.GetExpireTime().AsTime(), now):
		st.State = famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_EXPIRED
	default:
		st.State = famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE
	}
	return st
}
