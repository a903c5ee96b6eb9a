package accounts

import (
	"context"
	"fmt"
	"strings"

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
