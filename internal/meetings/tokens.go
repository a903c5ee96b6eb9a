package meetings

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Feed tokens let calendar clients, which cannot send an Authorization
// header, read the .ics feeds: an opaque random token in the URL
// (?token=...), accepted there only, carrying its owner's read rights in
// one region. The region keeps a CalendarToken resource (owner, expiry,
// revocation: in the change log like every write) and, in an index outside
// the change log, the token's SHA-256, never the token.
const (
	// tokenPrefix marks feed tokens, so they are recognisable in a leak
	// report (and never mistaken for a JWT).
	tokenPrefix = "rcal_"
	// tokenBytes of randomness: 256 bits.
	tokenBytes = 32
	// indexTokenHashes maps the hex SHA-256 of a token to its id, after a
	// NUL the credential generation of its owner when it was issued, and
	// after another the id of the machine token that created it (empty for
	// an account), so the feed token dies with the owner's account or
	// password, or with the service token.
	indexTokenHashes = "meeting_calendar_token_hashes"
	// indexTokenIDs maps a token's id to its hash, to drop it on
	// revocation.
	indexTokenIDs = "meeting_calendar_token_ids"

	defaultTokenTTL = 365 * 24 * time.Hour
	maxTokenTTL     = 2 * 365 * 24 * time.Hour
	minTokenTTL     = time.Hour
	// MaxLiveTokens is how many feed tokens (neither revoked nor expired)
	// one owner may hold in a region: one per calendar application and
	// device, with room to spare (docs/limits.md).
	MaxLiveTokens = 20
)

var roleProtos = map[principal.Role]famiv1.Role{
	principal.Ministry:       famiv1.Role_ROLE_MINISTRY,
	principal.RegionAdmin:    famiv1.Role_ROLE_REGION_ADMIN,
	principal.Consultant:     famiv1.Role_ROLE_CONSULTANT,
	principal.NetworkMember:  famiv1.Role_ROLE_NETWORK_MEMBER,
	principal.RegionalSystem: famiv1.Role_ROLE_REGIONAL_SYSTEM,
}

func roleOf(r famiv1.Role) principal.Role {
	for k, v := range roleProtos {
		if v == r {
			return k
		}
	}
	return ""
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateCalendarToken implements fami.v1.MeetingService.
func (s *Service) CreateCalendarToken(ctx context.Context, req *famiv1.CreateCalendarTokenRequest) (*famiv1.CreateCalendarTokenResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	check.Text(&v, "display_name", req.GetDisplayName(), false, maxLabel, false)
	ttl := defaultTokenTTL
	if n := req.GetTtlSeconds(); n != 0 {
		if n < int64(minTokenTTL/time.Second) || n > int64(maxTokenTTL/time.Second) {
			v.Add("ttl_seconds", "%d is out of range: %d (an hour) to %d (two years)", n, int64(minTokenTTL/time.Second), int64(maxTokenTTL/time.Second))
		}
		ttl = time.Duration(n) * time.Second
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	who := principal.From(ctx)
	if !who.Authenticated() {
		return nil, errs.TokenRequired.New("a feed token is issued to an authenticated caller")
	}
	// The token and its id are drawn once, outside the transaction, which
	// may run more than once.
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	id := aip.NewID()
	// No request_id: a replay would have to store the token to return it.
	m, err := store.MutationOf(ctx, "", req)
	if err != nil {
		return nil, err
	}
	bound, expire, err := s.boundTo(ctx, who, s.cal.Now().Add(ttl))
	if err != nil {
		return nil, err
	}
	res, err := store.Mutate(ctx, s.store, region, m, func(tx store.WriteTx) (*famiv1.CreateCalendarTokenResponse, error) {
		// The caller's credential may have ended since the call was
		// authenticated: an account's deletion or new password revokes
		// its feed tokens' records after the change, and a token stored
		// after that revocation would be left live in its record.
		if s.revoked != nil && s.revoked.Revoked(who.TokenID, who.Subject, who.Region, who.Generation) {
			return nil, errs.InvalidToken.New("the bearer token is not valid: revoked")
		}
		// One reading of the region's tokens serves the limit and the
		// index by creation.
		seen, err := readTokens(tx, who.Subject, func(ct *famiv1.CalendarToken) bool { return s.works(tx, ct, s.cal.Now()) })
		if err != nil {
			return nil, err
		}
		if err := roomForToken(who.Subject, seen.live); err != nil {
			return nil, err
		}
		if err := seen.mend(tx); err != nil {
			return nil, err
		}
		ct := &famiv1.CalendarToken{
			Name:             aip.Name(region, resource.CalendarTokens, id),
			Owner:            who.Subject,
			OwnerDisplayName: who.Name(),
			OwnerRole:        roleProtos[who.Role],
			OwnerPartner:     who.Partner,
			DisplayName:      req.GetDisplayName(),
			ExpireTime:       timestamppb.New(expire),
		}
		h := hashToken(token)
		if err := tx.IndexPut(indexTokenHashes, h, store.Key(id, strconv.FormatInt(who.Generation, 10), bound)); err != nil {
			return nil, err
		}
		if err := tx.IndexPut(indexTokenIDs, id, h); err != nil {
			return nil, err
		}
		if err := tx.Put(ct); err != nil {
			return nil, err
		}
		if err := indexToken(tx, ct); err != nil { // stored, its create_time set
			return nil, err
		}
		return &famiv1.CreateCalendarTokenResponse{CalendarToken: ct, Token: token}, nil
	})
	if err != nil {
		return nil, err
	}
	s.withState(res.GetCalendarToken())
	return res, nil
}

// boundTo is the id of the token a feed token that who creates, to expire
// at expire, dies with, and its expiry capped by that token's. A feed
// token dies with the credential that created it: an account's by its
// generation (no id), whether who holds a login session of it or a token
// famictl signed for it, so that it lasts its year and not the session's
// hour; a machine token's by its id (revocation) and its expiry, which
// the feed token's cannot pass. A token signed for an account: subject
// that no account has (famictl's) is a machine token: no generation would
// ever end it. Whether the account exists is read from the store
// (Revocations.IsAccount), not from the revocation list in memory, which
// on etcd may not yet hold an account another famid just made.
func (s *Service) boundTo(ctx context.Context, who principal.Principal, expire time.Time) (string, time.Time, error) {
	if !who.MachineToken() {
		account := true // with no Revocations, nothing is checked
		if s.revoked != nil {
			var err error
			if account, err = s.revoked.IsAccount(ctx, who.Subject, who.Region); err != nil {
				return "", time.Time{}, err
			}
		}
		if account {
			return "", expire, nil
		}
	}
	if !who.ExpiresAt.IsZero() && who.ExpiresAt.Before(expire) {
		expire = who.ExpiresAt
	}
	return who.TokenID, expire, nil
}

// roomForToken refuses a new feed token to an owner who already holds
// live ones, MaxLiveTokens or more, in the region, naming what to revoke.
func roomForToken(owner string, live int) error {
	if live >= MaxLiveTokens {
		return errs.TokensAtLimit(owner, resource.CalendarTokens, MaxLiveTokens, "%s already holds %d live calendar feed tokens in this region, the most one owner may: "+
			"revoke one no longer used (ListCalendarTokens, RevokeCalendarToken) and create the new one again", owner, live)
	}
	return nil
}

// TokenLive reports whether ct's own record lets it open the feeds at
// now: neither revoked nor expired. It is half of what works decides: the
// credential that created the token may have ended without a write to it.
func TokenLive(ct *famiv1.CalendarToken, now time.Time) bool {
	return ct.GetRevokeTime() == nil && ct.GetExpireTime().AsTime().After(now)
}

// tokenCredential is what indexTokenHashes holds of a token: its id, its
// owner's credential generation when it was issued, and the id of the
// machine token that created it (empty for an account's session).
type tokenCredential struct {
	id, bound string
	gen       int64
}

// parseCredential reads an indexTokenHashes value: id NUL generation
// [NUL creating token's id]. Tokens issued before feed tokens were bound
// to machine tokens have no third part and are checked by generation only.
func parseCredential(v string) tokenCredential {
	parts, _ := store.SplitKey(v, 3)
	gen, _ := strconv.ParseInt(parts[1], 10, 64)
	return tokenCredential{id: parts[0], bound: parts[2], gen: gen}
}

// revokedCredential reports whether the credential that issued c to owner
// in region has ended since: the owner's account deleted or given a new
// password, or the machine token that created it revoked.
func (s *Service) revokedCredential(c tokenCredential, owner, region string) bool {
	return s.revoked != nil && s.revoked.Revoked(c.bound, owner, region, c.gen)
}

// works reports whether ct opens the feeds of tx's region at now, as
// FeedPrincipal decides: TokenLive, and its credential not ended
// (revokedCredential). A token whose credential the index does not name
// (only a revoke deletes its entries, and sets its revoke time) is judged
// by its record alone. The limit of live tokens, the state filter of
// ListCalendarTokens and every token's state field (which the web's list
// shows) all decide by it, so that a token the feed refuses is never
// listed LIVE nor counted against its owner's limit.
func (s *Service) works(tx store.ReadTx, ct *famiv1.CalendarToken, now time.Time) bool {
	return TokenLive(ct, now) && !s.credentialEnded(tx, resource.ID(ct.GetName()), ct.GetOwner())
}

// credentialEnded reports whether the credential that issued token id to
// owner has ended, by the index alone (no record read): false where the
// index names none.
func (s *Service) credentialEnded(tx store.ReadTx, id, owner string) bool {
	h, ok := tx.IndexGet(indexTokenIDs, id)
	if !ok {
		return false
	}
	v, ok := tx.IndexGet(indexTokenHashes, h)
	return ok && s.revokedCredential(parseCredential(v), owner, tx.Region())
}

// stateIn is ct's state in tx at now, by works.
func (s *Service) stateIn(tx store.ReadTx, ct *famiv1.CalendarToken, now time.Time) famiv1.CalendarTokenState {
	if s.works(tx, ct, now) {
		return famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE
	}
	return famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
}

// withState sets ct's output-only state on the answer of a create (LIVE:
// it was just issued to a verified credential) or a revoke (ENDED), by
// its record: the state is derived on every read and never stored, since a
// token ends by its expiry or its credential's end without a write.
func (s *Service) withState(ct *famiv1.CalendarToken) {
	ct.State = famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
	if TokenLive(ct, s.cal.Now()) {
		ct.State = famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE
	}
}

// ListCalendarTokens implements fami.v1.MeetingService.
func (s *Service) ListCalendarTokens(ctx context.Context, req *famiv1.ListCalendarTokensRequest) (*famiv1.ListCalendarTokensResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	check.Enum(&v, "state", req.GetState(), false)
	// The default order is by name.
	req, byCreation, newestFirst := aip.OrderByTime(&v, req, aip.TimeOrder{Field: "create_time"})
	if err := v.Err(); err != nil {
		return nil, err
	}
	who, now := principal.From(ctx), s.cal.Now()
	all := slices.Contains(tokenOverseers, who.Role)
	keep := func(tx store.ReadTx, ct *famiv1.CalendarToken) bool {
		if !all && ct.GetOwner() != who.Subject {
			return false
		}
		want := req.GetState()
		return want == famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_UNSPECIFIED || s.stateIn(tx, ct, now) == want
	}
	// keep by byCreation's attributes of the token at key k, and its
	// credential in the index, without reading it.
	want := func(tx store.ReadTx, k string, a tokenAttrs) bool {
		if !all && a.owner != who.Subject {
			return false
		}
		switch req.GetState() {
		case famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE:
			return a.live(now) && !s.credentialEnded(tx, creationID(k), a.owner)
		case famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED:
			return !a.live(now) || s.credentialEnded(tx, creationID(k), a.owner)
		}
		return true
	}
	// Each token is answered with its state at the instant the filter
	// decided by.
	state := resource.Computed[*famiv1.CalendarToken]{Field: "state", Fill: func(tx store.ReadTx, ct *famiv1.CalendarToken) {
		ct.State = s.stateIn(tx, ct, now)
	}}
	if !byCreation {
		return resource.ListWithin[*famiv1.ListCalendarTokensResponse](ctx, s.store, region, req, func(tx store.ReadTx) (string, func(*famiv1.CalendarToken) (bool, error), error) {
			return resource.CalendarTokens, func(ct *famiv1.CalendarToken) (bool, error) { return keep(tx, ct), nil }, nil
		}, state)
	}
	return s.tokensByCreation(ctx, region, req, newestFirst, want, keep, state)
}

// tokensByCreation answers ListCalendarTokens in creation order, from
// byCreation once it holds every token of the region (tokensByIndex), and
// until then by reading them all (tokensByScan). A position is the
// token's creation time and id (creationKey), so tokens created in the
// same instant keep one order, and a page token is the same in both.
func (s *Service) tokensByCreation(ctx context.Context, region string, req *famiv1.ListCalendarTokensRequest, newestFirst bool,
	want func(store.ReadTx, string, tokenAttrs) bool, keep func(store.ReadTx, *famiv1.CalendarToken) bool, state resource.Computed[*famiv1.CalendarToken]) (*famiv1.ListCalendarTokensResponse, error) {
	page, after, err := aip.StartPage(ctx, req)
	if err != nil {
		return nil, err
	}
	res := &famiv1.ListCalendarTokensResponse{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		var err error
		if tokensIndexed(tx) {
			res.CalendarTokens, err = tokensByIndex(tx, region, page, after, newestFirst, want, keep, state)
		} else {
			res.CalendarTokens, err = tokensByScan(tx, req, page, after, newestFirst, keep, state)
		}
		res.NextPageToken = page.Next()
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// tokensByIndex fills page from byCreation after the position after,
// newest first when asked: the attributes there decide which tokens want
// keeps, and only those are read, each checked again by keep (an entry
// naming no token, or a token keep leaves out, is passed over). What is
// passed over counts against the page's scan budget (aip.Page.Skip).
func tokensByIndex(tx store.ReadTx, region string, page *aip.Page, after string, newestFirst bool,
	want func(store.ReadTx, string, tokenAttrs) bool, keep func(store.ReadTx, *famiv1.CalendarToken) bool, state resource.Computed[*famiv1.CalendarToken]) ([]*famiv1.CalendarToken, error) {
	var (
		out []*famiv1.CalendarToken
		err error
	)
	visit := func(k, v string) bool {
		var ct *famiv1.CalendarToken
		if want(tx, k, decodeTokenAttrs(v)) {
			if ct, err = tokenAt(tx, region, k); err != nil {
				return false
			}
		}
		if ct == nil || !keep(tx, ct) {
			return page.Skip(k)
		}
		state.Fill(tx, ct)
		if !page.Add(ct, k) {
			return false
		}
		out = append(out, ct)
		return true
	}
	if newestFirst {
		byCreation.scanDesc(tx, "", "", after, visit)
	} else {
		byCreation.scan(tx, "", "", after, visit)
	}
	return out, err
}

// tokenAt reads the token at key k of byCreation, nil when there is none
// (tokens are never deleted: only an index older than its records would
// name one); a damaged one fails the read.
func tokenAt(tx store.ReadTx, region, k string) (*famiv1.CalendarToken, error) {
	ct := &famiv1.CalendarToken{}
	found, err := store.Find(tx, aip.Name(region, resource.CalendarTokens, creationID(k)), ct)
	if !found {
		return nil, err
	}
	return ct, nil
}

// tokensByScan fills page in creation order from the region's tokens
// themselves, for a region whose byCreation is not whole yet: it reads
// them all once, as the owner filter and a create (readTokens) do, and holds only
// those that may join the page, the first ones after the position after.
func tokensByScan(tx store.ReadTx, req *famiv1.ListCalendarTokensRequest, page *aip.Page, after string, newestFirst bool,
	keep func(store.ReadTx, *famiv1.CalendarToken) bool, state resource.Computed[*famiv1.CalendarToken]) ([]*famiv1.CalendarToken, error) {
	size, _ := aip.PageSize(req.GetPageSize()) // checked by StartPage
	earlier := func(a, b string) bool { return a < b }
	if newestFirst {
		earlier = func(a, b string) bool { return a > b }
	}
	// One more than the page: when it is there, the page is full and the
	// listing goes on.
	first := firstOf[*famiv1.CalendarToken]{n: size + 1, earlier: earlier}
	err := tx.List(resource.CalendarTokens, "", func(_ string, raw []byte) (bool, error) {
		ct := &famiv1.CalendarToken{}
		if err := proto.Unmarshal(raw, ct); err != nil {
			return false, err
		}
		if k := creationKey(ct); keep(tx, ct) && (after == "" || earlier(after, k)) {
			first.offer(k, ct)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	var out []*famiv1.CalendarToken
	for _, e := range first.items {
		state.Fill(tx, e.item)
		if !page.Add(e.item, e.key) {
			break
		}
		out = append(out, e.item)
	}
	return out, nil
}

// creationKey is ct's position in creation order: its creation time, in
// the fixed width that sorts as time does, then its id.
func creationKey(ct *famiv1.CalendarToken) string {
	return store.Key(timeKey(ct.GetCreateTime()), resource.ID(ct.GetName()))
}

// creationID is the token id of creationKey k.
func creationID(k string) string {
	parts, _ := store.SplitKey(k, 2)
	return parts[1]
}

// firstOf keeps the n items that come first by earlier among those
// offered, in that order: a page's worth, whatever the number offered.
type firstOf[T any] struct {
	n       int
	earlier func(a, b string) bool
	items   []keyed[T]
}

type keyed[T any] struct {
	key  string
	item T
}

// offer keeps item, at key, if it is among the first n so far.
func (f *firstOf[T]) offer(key string, item T) {
	i, _ := slices.BinarySearchFunc(f.items, key, func(e keyed[T], k string) int {
		switch {
		case f.earlier(e.key, k):
			return -1
		case f.earlier(k, e.key):
			return 1
		}
		return 0
	})
	if i >= f.n {
		return
	}
	f.items = slices.Insert(f.items, i, keyed[T]{key, item})
	if len(f.items) > f.n {
		f.items = slices.Delete(f.items, f.n, len(f.items))
	}
}

// notOwnToken refuses to revoke the calendar token called name to a
// caller who lists only their own: another user's token and one that does
// not exist get this same answer, so that its id tells them nothing
// (AIP-211: "permission denied, or it might not exist").
func notOwnToken(name string) error {
	return errs.NotOwnToken.With(errs.Error{
		Message:  errs.Sprintf("%s is not one of your calendar tokens, or does not exist: only its owner or the region admin can revoke it", name),
		Metadata: map[string]string{"calendar_token": name},
	})
}

// RevokeCalendarToken implements fami.v1.MeetingService. Revoking a
// revoked token changes nothing and returns it.
func (s *Service) RevokeCalendarToken(ctx context.Context, req *famiv1.RevokeCalendarTokenRequest) (*famiv1.CalendarToken, error) {
	r, _, err := aip.ParseName("name", req.GetName(), resource.CalendarTokens)
	if err != nil {
		return nil, err
	}
	region, err := aip.Region(r)
	if err != nil {
		return nil, err
	}
	who := principal.From(ctx)
	m, err := store.MutationOf(ctx, "", req)
	if err != nil {
		return nil, err
	}
	ct, err := store.Mutate(ctx, s.store, region, m, func(tx store.WriteTx) (*famiv1.CalendarToken, error) {
		ct := &famiv1.CalendarToken{}
		overseer := slices.Contains(tokenOverseers, who.Role)
		if err := tx.Get(req.GetName(), ct); err != nil {
			if !overseer && errs.CodeOf(err) == errs.NotFound {
				return nil, notOwnToken(req.GetName())
			}
			return nil, err
		}
		if ct.GetOwner() != who.Subject && !overseer {
			return nil, notOwnToken(ct.GetName())
		}
		if ct.GetRevokeTime() != nil {
			return ct, nil
		}
		return ct, revokeIn(tx, ct, who.Subject, s.cal.Now())
	})
	if err != nil {
		return nil, err
	}
	s.withState(ct)
	return ct, nil
}

// revokeIn revokes the token ct, stored in tx and not revoked, by by at
// now: its hash leaves the index, so the feed no longer finds it, and its
// record says who revoked it and when.
func revokeIn(tx store.WriteTx, ct *famiv1.CalendarToken, by string, now time.Time) error {
	id := resource.ID(ct.GetName())
	if h, ok := tx.IndexGet(indexTokenIDs, id); ok {
		if err := tx.IndexDelete(indexTokenHashes, h); err != nil {
			return err
		}
		if err := tx.IndexDelete(indexTokenIDs, id); err != nil {
			return err
		}
	}
	ct.RevokeTime = timestamppb.New(now)
	ct.RevokedBy = by
	if err := tx.Put(ct); err != nil {
		return err
	}
	return indexToken(tx, ct)
}

// revokeBatch bounds the tokens one transaction of RevokeTokensOf
// revokes: each is a record, its change and four index writes, and an
// etcd transaction holds a bounded number of operations.
const revokeBatch = 16

// RevokeTokensOf revokes every calendar token of owner in region that its
// record still says live (TokenLive), as the caller of ctx, in
// transactions of revokeBatch tokens: the accounts call it when owner's
// account is deleted or given a new password. The feed refuses those
// tokens already, by the account's credential generation; revoked, their
// records say so too, in the change log a regional system follows, and
// no later loss of the generation record can bring them back. It returns
// how many it revoked.
func (s *Service) RevokeTokensOf(ctx context.Context, region, owner string) (int, error) {
	who := principal.From(ctx)
	m := store.By(who)
	revoked := 0
	// after is the id where the last batch stopped: each batch reads on
	// from there, not the region's tokens again from the first.
	for after := ""; ; {
		// batch is what the transaction revoked, set by its last run (a
		// transaction may run more than once).
		var batch []*famiv1.CalendarToken
		_, err := store.Mutate(ctx, s.store, region, m, func(tx store.WriteTx) (*emptypb.Empty, error) {
			now := s.cal.Now()
			var found []*famiv1.CalendarToken
			err := tx.List(resource.CalendarTokens, after, func(_ string, raw []byte) (bool, error) {
				ct := &famiv1.CalendarToken{}
				if err := proto.Unmarshal(raw, ct); err != nil {
					return false, err
				}
				if ct.GetOwner() == owner && TokenLive(ct, now) {
					found = append(found, ct)
				}
				return len(found) < revokeBatch, nil
			})
			if err != nil {
				return nil, err
			}
			// Revoked after the listing, which a write beside it could
			// disturb.
			for _, ct := range found {
				if err := revokeIn(tx, ct, who.Subject, now); err != nil {
					return nil, err
				}
			}
			batch = found
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			return revoked, err
		}
		revoked += len(batch)
		if len(batch) < revokeBatch {
			return revoked, nil
		}
		after = resource.ID(batch[len(batch)-1].GetName())
	}
}

// errBadFeedToken is the one answer to a feed token that is malformed,
// unknown, revoked or expired, so a guess learns nothing.
func errBadFeedToken() error {
	return errs.InvalidCalendarToken.With(errs.Error{
		Message: "the calendar feed token is not valid (unknown, expired or revoked): create a new one (CreateCalendarToken)",
	})
}

// FeedPrincipal returns the principal a feed token of region acts as: its
// owner, with the role, region and partner the owner had when the token
// was issued, so the policy table and this package decide what the feed
// may show. Returns Unauthenticated (INVALID_CALENDAR_TOKEN) for a token
// that is malformed, unknown in region, revoked or expired.
func (s *Service) FeedPrincipal(ctx context.Context, region, token string) (principal.Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		return principal.Principal{}, errBadFeedToken()
	}
	if _, err := aip.Parent("regions/" + region); err != nil {
		return principal.Principal{}, err
	}
	var who principal.Principal
	err := s.store.View(ctx, region, func(tx store.ReadTx) error {
		v, ok := tx.IndexGet(indexTokenHashes, hashToken(token))
		if !ok {
			return errBadFeedToken()
		}
		c := parseCredential(v)
		ct := &famiv1.CalendarToken{}
		// A damaged record (DATA_LOSS) is returned as it is: the token
		// is not known to be good, and the operator must hear of it. The
		// hash matched, so the caller holds a token that was issued.
		switch found, err := store.Find(tx, aip.Name(region, resource.CalendarTokens, c.id), ct); {
		case err != nil:
			return err
		case !found:
			return errBadFeedToken()
		}
		if !TokenLive(ct, s.cal.Now()) {
			return errBadFeedToken()
		}
		if s.revokedCredential(c, ct.GetOwner(), region) {
			return errBadFeedToken()
		}
		who = principal.Principal{
			Subject:     ct.GetOwner(),
			Role:        roleOf(ct.GetOwnerRole()),
			Partner:     ct.GetOwnerPartner(),
			DisplayName: ct.GetOwnerDisplayName(),
			ExpiresAt:   ct.GetExpireTime().AsTime(),
		}
		if who.Role != principal.Ministry {
			who.Region = region
		}
		return nil
	})
	if err != nil {
		return principal.Principal{}, err
	}
	return who, nil
}
