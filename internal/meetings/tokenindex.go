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
// CreateCalendarToken, which reads every token of the region anyway to
// count its owner's live ones, puts in it, from that same reading
// (readTokens), those that are not there as stored, and the first marks
// the region's index whole; until then the list reads the tokens
// themselves, as it did before the index.
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

// tokensSeen is what a create learns from one reading of its region's
// calendar tokens: how many live ones its owner holds, for the limit
// (roomForToken), and the byCreation entries that are missing or differ
// from the tokens as stored, for mend.
type tokensSeen struct {
	live  int
	stale [][2]string // key, value
}

// readTokens reads every calendar token of tx's region once, counting
// owner's working ones (by works) and noting the byCreation entries to mend:
// after the region's first create, those a famid without the index wrote
// meanwhile (a downgrade, or famids of two versions on one etcd during an
// upgrade): a token it created, or revoked. Only the records tell which;
// a damaged one fails the create.
func readTokens(tx store.ReadTx, owner string, works func(*famiv1.CalendarToken) bool) (tokensSeen, error) {
	var seen tokensSeen
	ct := &famiv1.CalendarToken{}
	err := tx.List(resource.CalendarTokens, "", func(_ string, raw []byte) (bool, error) {
		if err := proto.Unmarshal(raw, ct); err != nil {
			return false, err
		}
		if ct.GetOwner() == owner && works(ct) {
			seen.live++
		}
		k, v := creationKey(ct), attrsOf(ct).encode()
		if got, ok := tx.IndexGet(byCreation.keys, k); !ok || got != v {
			seen.stale = append(seen.stale, [2]string{k, v})
		}
		return true, nil
	})
	return seen, err
}

// mend puts the entries readTokens found missing or stale in byCreation,
// after the listing, which a write beside it could disturb, and marks the
// index whole.
func (seen tokensSeen) mend(tx store.WriteTx) error {
	for _, e := range seen.stale {
		if err := byCreation.put(tx, e[0], e[1]); err != nil {
			return err
		}
	}
	if tokensIndexed(tx) {
		return nil
	}
	return tx.IndexPut(indexedTokens, wholeKey, "1")
}
