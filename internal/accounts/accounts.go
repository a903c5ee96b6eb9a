// Package accounts implements fami.v1.AuthService: logins, the caller's
// identity, people's accounts and the service tokens of regional IT
// systems. Its records live in the system store, outside every region.
package accounts

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// System buckets of accounts and tokens.
const (
	bucketAccounts      = "accounts"       // {region}/{username} -> fami.v1.Account
	bucketPasswords     = "passwords"      // {region}/{username} -> argon2id hash
	bucketServiceTokens = "service_tokens" // {region}/{jti} -> fami.v1.ServiceToken
)

// Token lifetimes.
const (
	DefaultLoginTTL        = time.Hour
	DefaultServiceTokenTTL = 90 * 24 * time.Hour
	MaxServiceTokenTTL     = 366 * 24 * time.Hour
)

// MaxLiveServiceTokens is how many service tokens (ACTIVE: neither
// revoked nor expired) one system may hold in a region: a rotation needs
// two, a system run from several hosts one each (docs/limits.md).
const MaxLiveServiceTokens = 20

// Options configure the service.
type Options struct {
	// LoginTTL is the lifetime of a login token.
	LoginTTL time.Duration
	// ServiceTokenRetention is how long the record of an expired service
	// token stays listed; DefaultServiceTokenRetention when zero.
	ServiceTokenRetention time.Duration
	// Now is the clock: login lockouts, token issue and expiry times,
	// service-token states, the pruning of revocations and of token
	// records. Defaults to time.Now.
	Now func() time.Time
	// PasswordCost is the cost of the password hashes it makes: the
	// zero value (argon2id at OWASP's minimum) but in tests
	// (auth.TestPasswordCost).
	PasswordCost auth.PasswordCost
}

// Service implements fami.v1.AuthService.
type Service struct {
	famiv1.UnimplementedAuthServiceServer
	sys     store.System
	regions store.Store
	keys    *auth.KeySet
	revoked *revocations
	tokens  *tokenRecords
	// feedTokens are revoked with their credential (RevokeFeedTokens);
	// nil revokes none.
	feedTokens FeedTokens
	// stale is set while the copies above may lack a change another
	// process made: a change that FollowSystem failed to apply.
	stale   atomic.Bool
	users   *auth.LoginLimiter
	clients *auth.LoginLimiter
	// known holds the paths (username, client address) of recent
	// successful logins, most recent first, bounded.
	known    *lru.Cache[string, struct{}]
	loginTTL time.Duration
	// tokenRetention is Options.ServiceTokenRetention.
	tokenRetention time.Duration
	now            func() time.Time
	cost           auth.PasswordCost
	// dummyHash is checked against when a username does not exist, so a
	// login takes as long for an unknown user as for a wrong password. It
	// is made once, at the service's cost, by the first such login, not
	// by New: a hash at the full cost took 0.15 s of CPU under -race on
	// every start (the famid tests start it by the dozen), and most
	// processes never see an unknown username. Only that first login pays
	// a second hash: it tells an observer nothing of the username.
	dummyHash func() (string, error)
	// checkPassword is auth.CheckPassword; a test counts its calls.
	checkPassword func(hash, password string) (bool, error)
}

// New returns the service. It loads the revocation list, which the token
// verifier consults through Revocations.
func New(ctx context.Context, sys store.System, regions store.Store, keys *auth.KeySet, opts Options) (*Service, error) {
	if opts.LoginTTL <= 0 {
		opts.LoginTTL = DefaultLoginTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ServiceTokenRetention <= 0 {
		opts.ServiceTokenRetention = DefaultServiceTokenRetention
	}
	if err := migrateGlobalUsernames(ctx, sys); err != nil {
		return nil, fmt.Errorf("scope usernames to their region: %w", err)
	}
	// A damaged record stops the start: a revocation silently dropped
	// would let a revoked token back in (fail closed, ADR 12).
	rev, err := loadRevocations(ctx, sys)
	if err == nil {
		err = rev.damage()
	}
	if err != nil {
		return nil, fmt.Errorf("load revocations: %w", err)
	}
	if err := recordGenerations(ctx, sys, rev, opts.Now()); err != nil {
		return nil, fmt.Errorf("give every account its credential generation: %w", err)
	}
	if err := indexRevocations(ctx, sys); err != nil {
		return nil, fmt.Errorf("index the revocations by expiry: %w", err)
	}
	if err := rev.prune(ctx, sys, opts.Now()); err != nil {
		return nil, fmt.Errorf("prune expired revocations: %w", err)
	}
	records, revoked, err := indexTokenRecords(ctx, sys)
	if err != nil {
		return nil, fmt.Errorf("index the records of service tokens: %w", err)
	}
	if err := rev.restore(ctx, sys, revoked, opts.Now()); err != nil {
		return nil, fmt.Errorf("restore the revocations of service tokens: %w", err)
	}
	err = pruneAll(ctx, sys, func(tx store.SystemTx) ([]string, bool, error) {
		return pruneTokenRecords(tx, opts.Now(), opts.ServiceTokenRetention)
	}, func([]string) {})
	if err != nil {
		return nil, fmt.Errorf("prune the records of long-expired service tokens: %w", err)
	}
	known, err := lru.New[string, struct{}](maxKnownPaths)
	if err != nil {
		return nil, err
	}
	return &Service{
		sys: sys, regions: regions, keys: keys, revoked: rev, known: known,
		tokens: &tokenRecords{keys: records},
		// Five failures in a row, then one attempt a minute per username;
		// twenty, then one every fifteen seconds per client address.
		users:          auth.NewLoginLimiter(5, time.Minute),
		clients:        auth.NewLoginLimiter(20, 15*time.Second),
		loginTTL:       opts.LoginTTL,
		tokenRetention: opts.ServiceTokenRetention,
		now:            opts.Now,
		cost:           opts.PasswordCost,
		dummyHash: sync.OnceValues(func() (string, error) {
			return opts.PasswordCost.Hash("raccordo-dummy-password")
		}),
		checkPassword: auth.CheckPassword,
	}, nil
}

// FeedTokens are the records, in the regions, of the calendar feed tokens
// an account's credential issued (fami.v1.MeetingService's).
type FeedTokens interface {
	// RevokeTokensOf revokes every token of owner in region still live,
	// as the caller of ctx, and returns how many.
	RevokeTokensOf(ctx context.Context, region, owner string) (int, error)
}

// RevokeFeedTokens has DeleteAccount and SetAccountPassword revoke the
// account's calendar feed tokens in t: their records would otherwise say
// nothing of the credential's end, which ends them by the generation
// alone, and a generation-0 account's (ADR 27) would work again if the
// generation record were lost. The server sets it once, before it
// serves: the feed tokens' service is built after this one, over its
// revocations.
func (s *Service) RevokeFeedTokens(t FeedTokens) { s.feedTokens = t }

// maxKnownPaths bounds the memory of successful login paths.
const maxKnownPaths = 100000

// Revocations is the revocation list for the token verifier and the
// calendar feeds, with the system records behind it.
func (s *Service) Revocations() Credentials { return credentials{s.revoked, s.sys} }

// Credentials is what the platform tells of credentials: whether a token
// was revoked (auth.Revocations, from the list held in memory, on every
// call, and from the store where the list lacks the token's credential),
// and whether a subject is an account (IsAccount, from the store).
type Credentials interface {
	auth.Revocations
	// IsAccount reports whether subject is an account of region, read
	// from the system records: what a calendar feed token such a
	// subject creates dies with (its credential generation, not the
	// token that created it). It returns the store's error when it
	// cannot read them.
	IsAccount(ctx context.Context, subject, region string) (bool, error)
}

// credentials implements Credentials.
type credentials struct {
	*revocations
	sys store.System
}

// missReadBound bounds the store read of a credential the list in memory
// lacks (credentials.Revoked): auth.Revocations is asked with no context
// (the token verifier's cache answers without one), so the read has its
// own deadline. A store that cannot answer in it gets the token refused,
// as the list alone refused it before (fail closed, ADR 12).
const missReadBound = 2 * time.Second

// Revoked implements auth.Revocations: from the list in memory, and,
// where it has no record of the credential of a token that names a
// generation (revocations.lookup's missing), from the store, once. On a
// store that several famid share, an account another famid just made
// (and logged in) has its record in the store before any token of it
// exists, but reaches this famid's list only when the watch reports it,
// a few milliseconds later: the list alone refused a valid token in that
// window. A record read is held in the list (revocations.learn); a record
// missing from the store too is lost (ADR 27): the token stays refused,
// and so does every later one of that credential, without reading again
// (revocations.absent), until a record of the credential is written. The
// reads are bounded: only a token whose signature this platform made
// reaches here, and each credential costs one read.
func (c credentials) Revoked(jti, subject, region string, generation int64) bool {
	revoked, missing := c.lookup(jti, subject, region, generation)
	if !missing {
		return revoked
	}
	key, _ := credentialKey(subject, region)
	if c.isAbsent(key) {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), missReadBound)
	defer cancel()
	var gen int64
	var found bool
	err := c.sys.SystemView(ctx, func(tx store.SystemTx) (err error) {
		gen, found, err = storedGeneration(tx, key)
		return err
	})
	switch {
	case err != nil:
		return true // a damaged record or a store out of reach: refused, read again next time
	case !found:
		c.markAbsent(key)
		return true
	}
	c.learn(key, gen)
	revoked, _ = c.lookup(jti, subject, region, generation)
	return revoked
}

// IsAccount implements Credentials. It reads the store, not the list in
// memory: on a store that several famid share, an account another famid
// just made may not have reached this one's list yet, and an account an
// earlier version made (ADR 27) has no generation record until the next
// start. A damaged account record is an account: only an account has
// records to damage.
func (c credentials) IsAccount(ctx context.Context, subject, region string) (bool, error) {
	username, ok := strings.CutPrefix(subject, principal.AccountPrefix)
	if !ok || region == "" {
		return false, nil
	}
	var found bool
	err := c.sys.SystemView(ctx, func(tx store.SystemTx) error {
		var err error
		found, err = accountIn(tx, region, username)
		return err
	})
	if errs.CodeOf(err) == errs.DataLoss {
		return true, nil
	}
	return found, err
}

// accountIn reports whether region has the account username, in tx.
func accountIn(tx store.SystemTx, region, username string) (bool, error) {
	acc, err := tx.Get(bucketAccounts, accountKey(region, username))
	return acc != nil, err
}

var usernamePattern = regexp.MustCompile(`^[a-z][a-z0-9.-]{1,62}[a-z0-9]$`)

// Usernames are scoped to their region (ADR 14): two regions may each have
// an mrossi, so an admin learns nothing of other regions' usernames. A
// person logs in as {username}@{region}, the login name; the account's
// records are keyed {region}/{username}.

// accountKey is the system store key of an account.
func accountKey(region, username string) string { return region + "/" + username }

// loginName is a login name as the accounts are keyed and the login
// limits count it: with the spaces around it trimmed, and in lower case.
// Usernames and region ids are lowercase ASCII (usernamePattern,
// territory), so "MRossi@Lombardia" (a phone's keyboard capitalises the
// first letter) or a name pasted with a space after it can only mean
// mrossi@lombardia, and must not be refused as a wrong username; folded
// before the limits, its variants spend one username's budget. Only ASCII
// letters fold: a character that lowercases to one (the Kelvin sign to k)
// names no account.
func loginName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, strings.TrimSpace(s))
}

// parseLoginName splits a login name, {username}@{region}; ok is false for
// anything that cannot name an account.
func parseLoginName(login string) (region, username string, ok bool) {
	i := strings.LastIndexByte(login, '@')
	if i < 0 {
		return "", "", false
	}
	username, region = login[:i], login[i+1:]
	if _, known := territory.LookupRegion(region); !known || !usernamePattern.MatchString(username) {
		return "", "", false
	}
	return region, username, true
}

// subjectOf is the token subject of an account: like its username, unique
// within its region (which the token also names).
func subjectOf(username string) string { return principal.AccountPrefix + username }

// maxLoginName bounds a login name as typed: a username (64 characters
// at most, usernamePattern) @ a region id (21, friuli-venezia-giulia),
// with room for the spaces around it that loginName trims. It was 64, the
// username's own bound, and the accounts with the longest usernames could
// not log in.
const maxLoginName = 128

// errLogin is the single answer to a failed login, whichever part was wrong.
var errLogin = errs.LoginFailed.New("wrong username or password (a username reads name@region, e.g. mrossi@lombardia)")

// Login implements fami.v1.AuthService.
func (s *Service) Login(ctx context.Context, req *famiv1.LoginRequest) (*famiv1.LoginResponse, error) {
	var v errs.Violations
	check.Text(&v, "username", req.GetUsername(), true, maxLoginName, false)
	check.Text(&v, "password", req.GetPassword(), true, 256, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	user, client := loginName(req.GetUsername()), principal.Client(ctx)
	// An attempt is spent from the client address's budget, then from the
	// username's, before the password is checked, and given back if it was
	// right. The address comes first, so attempts it refuses never spend
	// the username's budget; and a username's lock does not apply where
	// its owner has logged in before (a known path: this username from
	// this address), so failures from elsewhere cannot lock the owner out.
	type budget struct {
		lim *auth.LoginLimiter
		key string
	}
	limits := []budget{{s.clients, client}}
	path := user + "\x00" + client
	if !s.known.Contains(path) {
		limits = append(limits, budget{s.users, user})
	}
	var releases []func(bool)
	ok := false
	defer func() {
		for _, release := range releases {
			release(ok)
		}
		if ok {
			s.known.Add(path, struct{}{})
		}
	}()
	for _, l := range limits {
		release, wait, allowed := l.lim.Take(l.key, now)
		if !allowed {
			secs := int(wait.Seconds()) + 1
			return nil, errs.TooManyLoginFailures.With(errs.Error{RetryAfter: secs,
				Message: "too many failed logins; try again in " + strconv.Itoa(secs) + " seconds"})
		}
		releases = append(releases, release)
	}
	var (
		acc                     *famiv1.Account
		hash                    string
		gen                     int64
		err                     error
		region, username, named = parseLoginName(user)
	)
	var damaged error
	if named {
		acc, hash, gen, err = s.account(ctx, region, username)
		switch code := errs.CodeOf(err); {
		case code == errs.DataLoss:
			// Only an existing account has records to damage: the answer
			// (and its cost) is an unknown username's, and the damage its
			// hidden cause, logged at the edge for the operator.
			damaged = err
		case err != nil && code != errs.NotFound:
			return nil, err
		}
	}
	if acc == nil {
		dummy, err := s.dummyHash()
		if err != nil {
			return nil, fmt.Errorf("make the dummy password hash: %w", err)
		}
		s.checkPassword(dummy, req.GetPassword())
	} else if ok, err = s.checkPassword(hash, req.GetPassword()); err != nil {
		return nil, fmt.Errorf("check password of %s: %w", user, err)
	}
	if !ok {
		if damaged != nil {
			return nil, errs.LoginFailed.With(errs.Error{Message: errLogin.Message, Cause: damaged})
		}
		return nil, errLogin
	}
	token, claims, err := s.keys.Sign(auth.TokenSpec{
		Subject: subjectOf(username), Role: RoleOf(acc.GetRole()), Region: region,
		Partner: acc.GetPartner(), Name: acc.GetDisplayName(), TTL: s.loginTTL,
		Generation: gen,
	}, now)
	if err != nil {
		return nil, err
	}
	return &famiv1.LoginResponse{Token: token, ExpireTime: timestamppb.New(claims.ExpiresAt.Time)}, nil
}

// WhoAmI implements fami.v1.AuthService.
func (s *Service) WhoAmI(ctx context.Context, _ *famiv1.WhoAmIRequest) (*famiv1.WhoAmIResponse, error) {
	p := principal.From(ctx)
	res := &famiv1.WhoAmIResponse{Subject: p.Subject, Role: roleProto(p.Role), Partner: p.Partner, DisplayName: p.DisplayName}
	if p.Region != "" {
		res.Region = "regions/" + p.Region
	}
	if !p.ExpiresAt.IsZero() {
		res.ExpireTime = timestamppb.New(p.ExpiresAt)
	}
	return res, nil
}

// AccountGeneration reads, in tx, the credential generation of the
// account username of region: what a token of it signed outside famid
// (famictl token create --subject account:...) must carry, since famid
// refuses one below it (ADR 27). found is false where region has no such
// account: a token of that subject is then a machine token, which no
// generation ends.
func AccountGeneration(tx store.SystemTx, region, username string) (gen int64, found bool, err error) {
	if found, err = accountIn(tx, region, username); err != nil || !found {
		return 0, false, err
	}
	gen, _, err = generationIn(tx, subjectOf(username), region)
	return gen, true, err
}

// account reads an account, its password hash and its credential
// generation from one snapshot.
func (s *Service) account(ctx context.Context, region, username string) (*famiv1.Account, string, int64, error) {
	var acc *famiv1.Account
	var hash string
	var gen int64
	key := accountKey(region, username)
	err := s.sys.SystemView(ctx, func(tx store.SystemTx) error {
		b, err := tx.Get(bucketAccounts, key)
		if err != nil {
			return err
		}
		if b == nil {
			return errs.NotFoundf("%s not found", aip.Name(region, resource.Accounts, username))
		}
		pw, err := tx.Get(bucketPasswords, key)
		if err != nil {
			return err
		}
		if gen, _, err = generationIn(tx, subjectOf(username), region); err != nil {
			return err
		}
		acc, hash = &famiv1.Account{}, string(pw)
		return proto.Unmarshal(b, acc)
	})
	if err != nil {
		return nil, "", 0, err
	}
	return acc, hash, gen, nil
}

// accountName splits regions/{region}/accounts/{username}.
func accountName(name string) (region, username string, err error) {
	region, username, err = aip.ParseName("name", name, resource.Accounts)
	if err != nil {
		return "", "", err
	}
	if _, err := aip.Region(region); err != nil {
		return "", "", err
	}
	return region, username, nil
}

func checkPassword(v *errs.Violations, field, pw string) {
	switch n := len([]rune(pw)); {
	case n < 12:
		v.Add(field, "must be at least 12 characters long")
	case n > 128:
		v.Add(field, "must be at most 128 characters long")
	}
}

// CreateAccount implements fami.v1.AuthService.
func (s *Service) CreateAccount(ctx context.Context, req *famiv1.CreateAccountRequest) (*famiv1.Account, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	in := req.GetAccount()
	var v errs.Violations
	if !usernamePattern.MatchString(req.GetAccountId()) {
		v.Add("account_id", "is not a valid username: 3-64 lowercase letters, digits, dots and hyphens, starting with a letter")
	}
	check.Text(&v, "account.display_name", in.GetDisplayName(), true, 200, false)
	check.Email(&v, "account.email", in.GetEmail())
	checkPassword(&v, "password", req.GetPassword())
	// The roles an account may be given, whoever asks (the rights table
	// lets the ministry and the region's admin ask): the ministry's
	// accounts and the regional systems' tokens are never made here.
	switch in.GetRole() {
	case famiv1.Role_ROLE_REGION_ADMIN, famiv1.Role_ROLE_CONSULTANT:
		if in.GetPartner() != "" {
			v.Add("account.partner", "is only for network members")
		}
	case famiv1.Role_ROLE_NETWORK_MEMBER:
		s.checkPartner(ctx, &v, in.GetPartner(), region)
	default:
		v.Add("account.role", "must be REGION_ADMIN, CONSULTANT or NETWORK_MEMBER")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.cost.Hash(req.GetPassword())
	if err != nil {
		return nil, err
	}
	now := timestamppb.New(s.now())
	acc := &famiv1.Account{
		Name:        aip.Name(region, resource.Accounts, req.GetAccountId()),
		DisplayName: in.GetDisplayName(), Role: in.GetRole(), Partner: in.GetPartner(), Email: in.GetEmail(),
		Etag: strconv.FormatInt(now.AsTime().UnixNano(), 36), CreateTime: now, UpdateTime: now,
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(acc)
	if err != nil {
		return nil, err
	}
	key := accountKey(region, req.GetAccountId())
	// The account's credential gets its generation record with it, so
	// that a record missing later is a loss (revocations.Revoked,
	// recordGenerations): a first generation, the time, or one above what
	// a deleted account of that username left (revocations.bump). Never 0:
	// a token of generation 0 is accepted where its credential has no
	// record, so the tokens of a deleted account whose record is then lost
	// would be valid again until they expired (a calendar feed's, a year).
	var commit func()
	err = s.sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
		old, err := tx.Get(bucketAccounts, key)
		if err != nil {
			return err // damaged: the name is taken, never written over
		}
		if old != nil {
			return resource.Taken(errs.UsernameTaken, "account_id", "username "+req.GetAccountId()+" is taken in regions/"+region)
		}
		if err := tx.Put(bucketAccounts, key, b); err != nil {
			return err
		}
		if err := tx.Put(bucketPasswords, key, []byte(hash)); err != nil {
			return err
		}
		_, commit, err = s.revoked.bump(tx, subjectOf(req.GetAccountId()), region, s.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	commit()
	return acc, nil
}

// checkPartner checks that a network member's partner exists in region.
func (s *Service) checkPartner(ctx context.Context, v *errs.Violations, partner, region string) {
	r, _, err := aip.ParseName("account.partner", partner, "partners")
	if err != nil || r != region {
		v.Add("account.partner", "a network member needs a partner of region %q: regions/%s/partners/{partner}", region, region)
		return
	}
	err = s.regions.View(ctx, region, func(tx store.ReadTx) error {
		resource.RefRead(tx, v, "account.partner", partner, resource.Partners, &famiv1.Partner{})
		return nil
	})
	if err != nil {
		v.Fail(err)
	}
}

// GetAccount implements fami.v1.AuthService.
func (s *Service) GetAccount(ctx context.Context, req *famiv1.GetAccountRequest) (*famiv1.Account, error) {
	region, user, err := accountName(req.GetName())
	if err != nil {
		return nil, err
	}
	acc, _, _, err := s.account(ctx, region, user)
	return acc, err
}

// ListAccounts implements fami.v1.AuthService.
func (s *Service) ListAccounts(ctx context.Context, req *famiv1.ListAccountsRequest) (*famiv1.ListAccountsResponse, error) {
	accs, next, err := listRegion(ctx, s.sys, bucketAccounts, req, func() *famiv1.Account { return &famiv1.Account{} })
	if err != nil {
		return nil, err
	}
	return &famiv1.ListAccountsResponse{Accounts: accs, NextPageToken: next}, nil
}

// listRegion is the standard List of a region's system records (accounts,
// service tokens): it pages through bucket's keys "{region}/..." of the
// region req's parent names, in key order, and returns the page and the
// next page token. A region that does not exist, regions/- among them, is
// NOT_FOUND, as for every List of a region: its empty page would say it
// exists.
func listRegion[T proto.Message](ctx context.Context, sys store.System, bucket string, req aip.ListRequest, newT func() T) ([]T, string, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, "", err
	}
	page, after, err := aip.StartPage(ctx, req)
	if err != nil {
		return nil, "", err
	}
	var (
		out     []T
		scanErr error
	)
	err = sys.SystemView(ctx, func(tx store.SystemTx) error {
		tx.Scan(bucket, region+"/", after, func(k string, b []byte, err error) bool {
			if scanErr = err; err != nil {
				return false
			}
			item := newT()
			if scanErr = proto.Unmarshal(b, item); scanErr != nil {
				return false
			}
			if !page.Add(item, k) {
				return false
			}
			out = append(out, item)
			return true
		})
		return scanErr
	})
	if err != nil {
		return nil, "", err
	}
	return out, page.Next(), nil
}

// DeleteAccount implements fami.v1.AuthService.
func (s *Service) DeleteAccount(ctx context.Context, req *famiv1.DeleteAccountRequest) (*emptypb.Empty, error) {
	if _, err := s.GetAccount(ctx, &famiv1.GetAccountRequest{Name: req.GetName()}); err != nil {
		return nil, err
	}
	region, user, _ := accountName(req.GetName())
	key := accountKey(region, user)
	err := s.revokingUpdate(ctx, region, user, func(tx store.SystemTx) error {
		if err := tx.Delete(bucketAccounts, key); err != nil {
			return err
		}
		return tx.Delete(bucketPasswords, key)
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// revokingUpdate runs change on the system records and, in the same
// transaction, moves on the revocation generation of the account user of
// region (writing a first one if it has none), so that every token
// issued to it before stops working; before, it revokes the records of
// the account's calendar feed tokens (RevokeFeedTokens). The generation
// is applied in memory once the transaction has committed.
func (s *Service) revokingUpdate(ctx context.Context, region, user string, change func(tx store.SystemTx) error) error {
	// The records of the account's feed tokens are revoked first: that
	// is repeatable, so a change that fails after it is sent again and
	// completes, where a failure after the change would leave records
	// that nothing revokes any more. The feed refuses the tokens by the
	// generation anyway, from the change on. A token created between
	// the two steps is revoked after the change, once the generation is
	// held here: a create that commits later is refused (the feed
	// tokens' service checks the credential in its transaction).
	if err := s.revokeFeedTokens(ctx, region, user); err != nil {
		return err
	}
	var commit func()
	err := s.sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
		if err := change(tx); err != nil {
			return err
		}
		var err error
		_, commit, err = s.revoked.bump(tx, subjectOf(user), region, s.now())
		return err
	})
	if err != nil {
		return err
	}
	commit()
	return s.revokeFeedTokens(ctx, region, user)
}

// revokeFeedTokens revokes the records of the calendar feed tokens of the
// account user of region still live (RevokeFeedTokens).
func (s *Service) revokeFeedTokens(ctx context.Context, region, user string) error {
	if s.feedTokens == nil {
		return nil
	}
	_, err := s.feedTokens.RevokeTokensOf(ctx, region, subjectOf(user))
	return err
}

// SetAccountPassword implements fami.v1.AuthService. The tokens issued
// before the change stop working.
func (s *Service) SetAccountPassword(ctx context.Context, req *famiv1.SetAccountPasswordRequest) (*emptypb.Empty, error) {
	var v errs.Violations
	checkPassword(&v, "password", req.GetPassword())
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.GetAccount(ctx, &famiv1.GetAccountRequest{Name: req.GetName()}); err != nil {
		return nil, err
	}
	region, user, _ := accountName(req.GetName())
	key := accountKey(region, user)
	hash, err := s.cost.Hash(req.GetPassword())
	if err != nil {
		return nil, err
	}
	err = s.revokingUpdate(ctx, region, user, func(tx store.SystemTx) error {
		acc, err := tx.Get(bucketAccounts, key)
		if err != nil {
			return err
		}
		if acc == nil {
			return errs.NotFoundf("%s not found", req.GetName())
		}
		return tx.Put(bucketPasswords, key, []byte(hash))
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// CreateServiceToken implements fami.v1.AuthService.
func (s *Service) CreateServiceToken(ctx context.Context, req *famiv1.CreateServiceTokenRequest) (*famiv1.CreateServiceTokenResponse, error) {
	region, err := aip.ParseRegion("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	if err := aip.CheckID("system_id", req.GetSystemId()); err != nil {
		v.AddFrom(err)
	}
	check.Text(&v, "display_name", req.GetDisplayName(), false, 200, false)
	ttl := DefaultServiceTokenTTL
	switch t := req.GetTtlSeconds(); {
	case t < 0 || t > int64(MaxServiceTokenTTL/time.Second):
		v.Add("ttl_seconds", "must be between 1 and %d (one year)", int64(MaxServiceTokenTTL/time.Second))
	case t > 0:
		ttl = time.Duration(t) * time.Second
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	token, claims, err := s.keys.Sign(auth.TokenSpec{
		Subject: principal.SystemPrefix + req.GetSystemId(), Role: principal.RegionalSystem, Region: region,
		Name: req.GetDisplayName(), TTL: ttl,
	}, now)
	if err != nil {
		return nil, err
	}
	st := &famiv1.ServiceToken{
		Name:    aip.Name(region, resource.ServiceTokens, claims.ID),
		Subject: claims.Subject, DisplayName: req.GetDisplayName(),
		CreateTime: timestamppb.New(now), ExpireTime: timestamppb.New(claims.ExpiresAt.Time),
		IssuedBy: principal.From(ctx).Subject,
	}
	if err := s.putServiceToken(ctx, region, claims.ID, st, now); err != nil {
		return nil, err
	}
	return &famiv1.CreateServiceTokenResponse{ServiceToken: withState(st, now), Token: token}, nil
}

// putServiceToken stores a new token's record, and forgets a few records
// of long-expired tokens (pruneTokenRecords) in the same transaction, so
// the records stay bounded while famid runs for months.
func (s *Service) putServiceToken(ctx context.Context, region, jti string, st *famiv1.ServiceToken, now time.Time) error {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(st)
	if err != nil {
		return err
	}
	return s.sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
		if err := roomForServiceToken(tx, region, st.GetSubject(), now); err != nil {
			return err
		}
		if err := tx.Put(bucketServiceTokens, region+"/"+jti, b); err != nil {
			return err
		}
		if err := indexToken(tx, region, jti, st); err != nil {
			return err
		}
		_, _, err := pruneTokenRecords(tx, now, s.tokenRetention)
		return err
	})
}

// roomForServiceToken refuses a new service token for subject in region
// when it already holds MaxLiveServiceTokens live ones, naming what to
// revoke. It reads the live tokens' index (liveTokens), not every record.
func roomForServiceToken(tx store.SystemTx, region, subject string, now time.Time) error {
	live, err := liveTokens(tx, region, subject, now, MaxLiveServiceTokens)
	if err != nil {
		return err
	}
	if live >= MaxLiveServiceTokens {
		return errs.TokensAtLimit(subject, resource.ServiceTokens, MaxLiveServiceTokens, "%s already holds %d live service tokens in region %s, the most one system may: "+
			"revoke one no longer used (ListServiceTokens, RevokeServiceToken) and create the new one again", subject, live, region)
	}
	return nil
}

// ListServiceTokens implements fami.v1.AuthService.
func (s *Service) ListServiceTokens(ctx context.Context, req *famiv1.ListServiceTokensRequest) (*famiv1.ListServiceTokensResponse, error) {
	sts, next, err := listRegion(ctx, s.sys, bucketServiceTokens, req, func() *famiv1.ServiceToken { return &famiv1.ServiceToken{} })
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, st := range sts {
		withState(st, now)
	}
	return &famiv1.ListServiceTokensResponse{ServiceTokens: sts, NextPageToken: next}, nil
}

// RevokeServiceToken implements fami.v1.AuthService.
func (s *Service) RevokeServiceToken(ctx context.Context, req *famiv1.RevokeServiceTokenRequest) (*famiv1.ServiceToken, error) {
	region, jti, err := aip.ParseName("name", req.GetName(), resource.ServiceTokens)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var st *famiv1.ServiceToken
	err = s.revokeToken(ctx, now, func(tx store.SystemTx) (string, time.Time, error) {
		var err error
		if st, err = markRevoked(tx, region, jti, now); err != nil {
			return "", time.Time{}, err
		}
		if st == nil {
			return "", time.Time{}, errs.NotFoundf("%s not found", req.GetName())
		}
		return jti, st.GetExpireTime().AsTime(), nil
	})
	if err != nil {
		return nil, err
	}
	return withState(st, now), nil
}

// Logout implements fami.v1.AuthService: it revokes the token the caller
// presented, until that token expires, and nothing else. A service token
// may log itself out too (a regional system retiring its credential, or
// one that leaked, needs no region admin for that): its record then shows
// it revoked, as RevokeServiceToken would.
func (s *Service) Logout(ctx context.Context, _ *famiv1.LogoutRequest) (*emptypb.Empty, error) {
	p := principal.From(ctx)
	if p.TokenID == "" {
		// The verifier refuses a token without a jti; this guards the
		// policy's SignedIn rule being met some other way.
		return nil, errs.TokenRequired.New("logging out needs the bearer token to revoke")
	}
	now := s.now()
	err := s.revokeToken(ctx, now, func(tx store.SystemTx) (string, time.Time, error) {
		if p.MachineToken() && p.Region != "" {
			if _, err := markRevoked(tx, p.Region, p.TokenID, now); err != nil {
				return "", time.Time{}, err
			}
		}
		return p.TokenID, p.ExpiresAt, nil
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// revokeToken runs revoke, which names the token to revoke and its expiry,
// and records the revocation in the same system transaction; the verifier
// refuses the token from the moment it returns. Revoking a token again is
// harmless.
func (s *Service) revokeToken(ctx context.Context, now time.Time, revoke func(tx store.SystemTx) (jti string, exp time.Time, err error)) error {
	var (
		jti       string
		exp       time.Time
		forgotten []string
	)
	err := s.sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
		var err error
		if jti, exp, err = revoke(tx); err != nil {
			return err
		}
		if err := putRevoked(tx, jti, exp); err != nil {
			return err
		}
		// Each revocation forgets a few expired ones: the list stays
		// bounded by the tokens still valid; finding them reads the
		// expired entries alone (pruneExpired).
		forgotten, _, err = pruneExpired(tx, now)
		return err
	})
	if err != nil {
		return err
	}
	s.revoked.addJTI(jti, exp)
	s.revoked.forget(forgotten) // this one too, if it had expired
	return nil
}

// markRevoked sets, in tx, the revoke time of the record of service token
// jti of region, unless it has one already, and returns the record; nil
// when there is none (a token minted with famictl has no record).
func markRevoked(tx store.SystemTx, region, jti string, now time.Time) (*famiv1.ServiceToken, error) {
	key := region + "/" + jti
	b, err := tx.Get(bucketServiceTokens, key)
	if err != nil || b == nil {
		return nil, err
	}
	st := &famiv1.ServiceToken{}
	if err := proto.Unmarshal(b, st); err != nil {
		return nil, err
	}
	if st.RevokeTime != nil {
		return st, nil
	}
	st.RevokeTime = timestamppb.New(now)
	nb, err := proto.MarshalOptions{Deterministic: true}.Marshal(st)
	if err != nil {
		return nil, err
	}
	if err := unindexRevoked(tx, region, jti, st); err != nil {
		return nil, err
	}
	return st, tx.Put(bucketServiceTokens, key, nb)
}

// parentOf returns "regions/{region}" of a resource name.
func parentOf(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 3 || parts[0] != "regions" {
		return ""
	}
	return "regions/" + parts[1]
}

var roles = map[famiv1.Role]principal.Role{
	famiv1.Role_ROLE_MINISTRY:        principal.Ministry,
	famiv1.Role_ROLE_REGION_ADMIN:    principal.RegionAdmin,
	famiv1.Role_ROLE_CONSULTANT:      principal.Consultant,
	famiv1.Role_ROLE_NETWORK_MEMBER:  principal.NetworkMember,
	famiv1.Role_ROLE_REGIONAL_SYSTEM: principal.RegionalSystem,
}

// RoleOf is the principal role of an API role (empty for an unknown one).
func RoleOf(r famiv1.Role) principal.Role { return roles[r] }

func roleProto(r principal.Role) famiv1.Role {
	for k, v := range roles {
		if v == r {
			return k
		}
	}
	return famiv1.Role_ROLE_UNSPECIFIED
}
