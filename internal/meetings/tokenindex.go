package meetings

import (
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// byCreation holds the calendar tokens of a region in creation order:
// "{create time, UTC}\x00{token id}" (creationKey) -> the token's
// attributes (tokenAttrs), which ListCalendarTokens in creation order
// filters on, so that a page decodes only the tokens it answers.
//
// Tokens stored before the index existed are not in it. Every
// CreateCalendarToken, which reads every token of the region anyway
// (roomForToken), puts in it those that are not there as stored
// (syncTokens), and the first marks the region's index whole; until then
// the list reads the tokens themselves, as it did before the index.
var byCreation = monthIndex{keys: "meeting_calendar_token_by_creation", months: "meeting_calendar_token_by_creation_months"}

// indexedTokens is the index whose one key, wholeKey, marks byCreation
// as holding every calendar token of the region.
const (
	indexedTokens = "meeting_calendar_token_by_creation_whole"
	wholeKey      = "whole"
)

// tokenAttrs are what byCreation's values hold of a token: its owner, its
// expiry and whether it is revoked, so that the list's owner and state
// filters read no token.
type tokenAttrs struct {
	owner   string
	expire  string // timeKey of the expiry
	revoked bool
}

func attrsOf(ct *famiv1.CalendarToken) tokenAttrs {
	return tokenAttrs{owner: ct.GetOwner(), expire: timeKey(ct.GetExpireTime()), revoked: ct.GetRevokeTime() != nil}
}

func (a tokenAttrs) encode() string {
	revoked := ""
	if a.revoked {
		revoked = "r"
	}
	return store.Key(a.owner, a.expire, revoked)
}

func decodeTokenAttrs(v string) tokenAttrs {
	parts, _ := store.SplitKey(v, 3)
	return tokenAttrs{owner: parts[0], expire: parts[1], revoked: parts[2] != ""}
}

// live is TokenLive by the attributes: not revoked, and expiring after now
// (timeKey's fixed width sorts as time does).
func (a tokenAttrs) live(now time.Time) bool {
	return !a.revoked && a.expire > now.UTC().Format(timeKeyLayout)
}

// inState is inState by the attributes.
func (a tokenAttrs) inState(state famiv1.CalendarTokenState, now time.Time) bool {
	switch state {
	case famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE:
		return a.live(now)
	case famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED:
		return !a.live(now)
	}
	return true
}

// indexToken puts ct, as stored (its create_time set), in byCreation, or
// updates its attributes there.
func indexToken(tx store.WriteTx, ct *famiv1.CalendarToken) error {
	return byCreation.put(tx, creationKey(ct), attrsOf(ct).encode())
}

// tokensIndexed reports whether byCreation holds every token of tx's
// region.
func tokensIndexed(tx store.ReadTx) bool {
	_, ok := tx.IndexGet(indexedTokens, wholeKey)
	return ok
}

// syncTokens puts every calendar token of tx's region in byCreation that
// is not there as it is stored, and marks the index whole. The first run
// in a region puts the tokens stored before the index existed; later ones
// mend what a famid without the index wrote meanwhile (a downgrade, or
// famids of two versions on one etcd during an upgrade): a token it
// created, or revoked. A damaged token fails it, as it fails
// roomForToken before it. The entries are written after the listing,
// which a write beside it could disturb.
func syncTokens(tx store.WriteTx) error {
	var stale [][2]string
	ct := &famiv1.CalendarToken{}
	err := tx.List(resource.CalendarTokens, "", func(_ string, raw []byte) (bool, error) {
		if err := proto.Unmarshal(raw, ct); err != nil {
			return false, err
		}
		k, v := creationKey(ct), attrsOf(ct).encode()
		if got, ok := tx.IndexGet(byCreation.keys, k); !ok || got != v {
			stale = append(stale, [2]string{k, v})
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, e := range stale {
		if err := byCreation.put(tx, e[0], e[1]); err != nil {
			return err
		}
	}
	if tokensIndexed(tx) {
		return nil
	}
	return tx.IndexPut(indexedTokens, wholeKey, "1")
}
