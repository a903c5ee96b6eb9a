package accounts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
)

// migrateGlobalUsernames moves the accounts of a system store written
// before usernames were scoped to their region (keyed {username}) to
// {region}/{username}, the region read from the account's name (ADR 14).
// Each account moves in its own transaction (an etcd transaction holds a
// bounded number of operations), so an interrupted start resumes where it
// stopped. Subjects stay account:{username}, so the region data naming them
// (entries' consultants, owners, reviewers) needs no move, and the tokens
// issued before stay as valid or void as they were (credentialKey).
func migrateGlobalUsernames(ctx context.Context, sys store.System) error {
	var legacy []string
	err := sys.SystemView(ctx, func(tx store.SystemTx) error {
		// Only the keys count here: a damaged account already moved must
		// not stop the start (it answers DATA_LOSS when read); one still
		// to move fails its move below.
		tx.Scan(bucketAccounts, "", "", func(k string, _ []byte, _ error) bool {
			if !strings.Contains(k, "/") {
				legacy = append(legacy, k)
			}
			return true
		})
		return nil
	})
	if err != nil {
		return err
	}
	for _, user := range legacy {
		err := sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
			b, err := tx.Get(bucketAccounts, user)
			if err != nil || b == nil {
				return err
			}
			acc := &famiv1.Account{}
			if err := proto.Unmarshal(b, acc); err != nil {
				return fmt.Errorf("account %q: %w", user, err)
			}
			region := strings.TrimPrefix(parentOf(acc.GetName()), "regions/")
			if region == "" {
				return fmt.Errorf("account %q is named %q, outside every region", user, acc.GetName())
			}
			key := accountKey(region, user)
			if err := tx.Put(bucketAccounts, key, b); err != nil {
				return err
			}
			hash, err := tx.Get(bucketPasswords, user)
			if err != nil {
				return err
			}
			if hash != nil {
				if err := tx.Put(bucketPasswords, key, hash); err != nil {
					return err
				}
			}
			if err := tx.Delete(bucketAccounts, user); err != nil {
				return err
			}
			if err := tx.Delete(bucketPasswords, user); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("move account %q: %w", user, err)
		}
	}
	return nil
}

// bucketMigrations records the start's one-time moves of the system
// records: migratedGenerations, once every account has its generation
// record (recordGenerations).
const (
	bucketMigrations    = "accounts_migrations"
	migratedGenerations = "generations"
)

// recordGenerations gives every account whose credential has no
// generation record one, at the start, in rev (the list as read) and the
// store. Accounts are made with their record (CreateAccount), so that a
// record missing later is a loss (revocations.Revoked); those an earlier
// famid made, never given a new password since, have none.
//
// The first start that finds no migratedGenerations mark is the upgrade:
// it writes generation 0, or what the legacy key holds for an account
// from before usernames were per region (credentialKey), which keeps
// those accounts' sessions valid (ADR 14's promise for the move of
// usernames holds here too), and then the mark; the legacy record is no
// record of the account's own (generationIn). Past the mark, an account with no record has lost it (a
// damaged one deleted), or was made by an earlier famid sharing the etcd
// cluster in a rolling upgrade: it gets a first record above every
// generation (revocations.bump, firstGeneration), which ends every token
// issued to it so far, those the lost record had revoked among them, where
// reading its absence as 0 revived them (ADR 27). Accounts go pruneBatch
// a transaction (an etcd transaction holds a bounded number of
// operations); one given a record meanwhile by another famid keeps it.
//
// The mark is one record: lost, the next start would take itself for the
// upgrade. A generation that is a time (revocations.timed) is written only
// by a famid that gives every account its record, and tells the upgrade
// done as well; the start then writes the mark again. Every account made
// since the upgrade has one (CreateAccount): only where none was made, nor
// any given a first generation at a start, does the mark stand alone.
func recordGenerations(ctx context.Context, sys store.System, rev *revocations, now time.Time) error {
	type credential struct{ region, username string }
	var (
		missing          []credential
		marked, upgraded bool
	)
	err := sys.SystemView(ctx, func(tx store.SystemTx) error {
		mark, err := tx.Get(bucketMigrations, migratedGenerations)
		if err != nil {
			return err
		}
		// The mark lost (a damaged one deleted), a generation that is a
		// time still tells the upgrade done: the accounts whose record is
		// lost too must not get 0, which revives every token their lost
		// record had revoked.
		marked = mark != nil
		upgraded = marked || rev.timed()
		// Only the keys count here, as in migrateGlobalUsernames: a
		// damaged account answers DATA_LOSS when read.
		tx.Scan(bucketAccounts, "", "", func(k string, _ []byte, _ error) bool {
			region, username, scoped := strings.Cut(k, "/")
			if scoped && !rev.Recorded(subjectOf(username), region) {
				missing = append(missing, credential{region, username})
			}
			return true
		})
		return nil
	})
	if err != nil {
		return err
	}
	for batch := range slices.Chunk(missing, pruneBatch) {
		var commits []func()
		err := sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
			commits = commits[:0]
			for _, c := range batch {
				subject := subjectOf(c.username)
				gen, found, err := generationIn(tx, subject, c.region)
				if err != nil {
					return err
				}
				if found {
					continue // given one meanwhile by another famid: it keeps it
				}
				var commit func()
				if upgraded {
					_, commit, err = rev.bump(tx, subject, c.region, now)
				} else {
					key, _ := credentialKey(subject, c.region)
					commit, err = rev.put(tx, key, gen)
				}
				if err != nil {
					return err
				}
				commits = append(commits, commit)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, commit := range commits {
			commit()
		}
	}
	if marked {
		return nil
	}
	return sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
		return tx.Put(bucketMigrations, migratedGenerations, []byte{1})
	})
}
