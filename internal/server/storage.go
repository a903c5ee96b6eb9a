package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/admin"
	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/filelock"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/etcd"
)

// Store backends (Config.Store).
const (
	StoreBolt = "bbolt"
	StoreEtcd = "etcd"
)

// EtcdConfig configures the etcd store.
type EtcdConfig struct {
	etcd.ClientConfig
	// Prefix is prepended to every key; see etcd.Options.
	Prefix string
	// RequestTimeout bounds each etcd round trip of a write batch.
	RequestTimeout time.Duration
	// MaxTxnOps is the cluster's --max-txn-ops; MaxTxnBytes a little less
	// than its --max-request-bytes.
	MaxTxnOps, MaxTxnBytes int
}

// backend is what the server needs of its storage.
type backend interface {
	store.Store
	store.System
	admin.Store
}

// openStore opens the configured backend and returns it with the function
// that releases it.
// obs is told of the bbolt store's transactions and commits (metrics and
// spans).
func openStore(ctx context.Context, cfg Config, regions []string, obs bolt.Observer) (backend, func() error, error) {
	switch cfg.Store {
	case "", StoreBolt:
		st, err := bolt.Open(cfg.DataDir, bolt.Options{Regions: regions, LockTimeout: cfg.LockTimeout, RequestRetention: cfg.RequestRetention,
			ChangeRetention: cfg.ChangeRetention, Observer: obs, Now: cfg.Now})
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	case StoreEtcd:
		return openEtcd(ctx, cfg, regions)
	default:
		return nil, nil, fmt.Errorf("store %q: want %s or %s", cfg.Store, StoreBolt, StoreEtcd)
	}
}

func openEtcd(ctx context.Context, cfg Config, regions []string) (backend, func() error, error) {
	ec := cfg.Etcd
	if len(ec.Endpoints) == 0 {
		return nil, nil, errors.New("store etcd: no endpoints (--etcd-endpoints)")
	}
	dirLock, err := lockDataDir(cfg.DataDir, cfg.LockTimeout)
	if err != nil {
		return nil, nil, err
	}
	st, closeStore, err := etcd.Dial(ctx, ec.ClientConfig, etcd.Options{
		Prefix: ec.Prefix, Regions: regions, Now: cfg.Now,
		RequestRetention: cfg.RequestRetention, RequestTimeout: ec.RequestTimeout, MaxTxnOps: ec.MaxTxnOps, MaxTxnBytes: ec.MaxTxnBytes,
	})
	if err != nil {
		dirLock.Close()
		return nil, nil, err
	}
	// A famid killed in the middle of a backup left its copy of the
	// region behind: the next start removes it. The data dir's lock says
	// that no other famid is making one there.
	exports := filepath.Join(cfg.DataDir, backupsInProgress)
	if err := os.RemoveAll(exports); err != nil {
		closeStore()
		dirLock.Close()
		return nil, nil, err
	}
	return etcdBackend{st, exports}, func() error { return errors.Join(closeStore(), dirLock.Close()) }, nil
}

// dataDirLock is the file of an etcd famid's data dir that it holds
// locked while it runs.
const dataDirLock = "famid.lock"

// lockDataDir takes the lock of an etcd famid's data dir, waiting up to
// timeout (1s when 0) for a famid that is stopping, and holds it until
// the file returned is closed. Two famids sharing a --data-dir removed
// each other's backups in progress as they started; the second is now
// refused, naming the dir. (A bbolt famid's data dir is locked by its
// system.db, which bbolt locks.) Where the system has no file locks,
// nothing is locked.
func lockDataDir(dir string, timeout time.Duration) (*os.File, error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, dataDirLock)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	switch err := filelock.Lock(f, timeout); {
	case err == nil, errors.Is(err, errors.ErrUnsupported):
		return f, nil
	case errors.Is(err, filelock.ErrLocked):
		f.Close()
		return nil, fmt.Errorf("data dir %s is in use by another famid, which holds %s: give each famid its own --data-dir: %w", absPath(dir), path, err)
	default:
		f.Close()
		return nil, err
	}
}

// backupsInProgress is the data dir's directory of the region files an
// etcd famid's backups are exported into before they are sent.
const backupsInProgress = "backups-in-progress"

// etcdBackend gives the etcd store the backups of the bbolt one: a region
// file, exported at one etcd revision into exports.
type etcdBackend struct {
	*etcd.Store
	exports string
}

// Backup implements admin.Store: the region is exported into a temporary
// region file, then sent. The file is in the data dir, which is kept as
// the data is, and where the next start finds what a famid killed
// meanwhile left: it was in the system's temporary directory, where a
// full copy of the region's personal data outlived the kill.
func (b etcdBackend) Backup(ctx context.Context, region string, w io.Writer, start func(revision, size int64) error) error {
	if err := os.MkdirAll(b.exports, 0o700); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(b.exports, region+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, region+".db")
	var revision int64
	err = bolt.WriteRegionFile(path, func(put func(store.Record) error) error {
		var err error
		revision, err = b.ExportRegion(ctx, region, put)
		return err
	})
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := start(revision, fi.Size()); err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return err
}

// bucketSigningKeys holds the signing keys in the system store when
// several processes share it: file name -> PEM, as in the key dir.
const bucketSigningKeys = "signing_keys"

// shareKeys makes the data dir's key files and the shared system store
// hold the same keys (the union of both), so that every famid on one etcd
// cluster signs with the newest key and verifies every key. The private
// keys are in etcd then: the cluster must be protected like the data dir
// (TLS, etcd users; see docs/deploy-etcd.md). wrote reports that it
// wrote key files the data dir lacked, even when it then fails.
func shareKeys(ctx context.Context, sys store.System, dataDir string) (wrote bool, err error) {
	dir := filepath.Join(dataDir, auth.KeyDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("create key dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("read key dir: %w", err)
	}
	local := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pem") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return false, fmt.Errorf("read key: %w", err)
		}
		local[e.Name()] = b
	}
	var missing map[string][]byte
	err = sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
		missing = map[string][]byte{}
		shared := map[string]bool{}
		var damaged error
		tx.Scan(bucketSigningKeys, "", "", func(name string, b []byte, err error) bool {
			shared[name], damaged = true, err
			if _, ok := local[name]; !ok && err == nil {
				missing[name] = b
			}
			return err == nil
		})
		if damaged != nil {
			return damaged
		}
		for name, b := range local {
			if !shared[name] {
				if err := tx.Put(bucketSigningKeys, name, b); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("share signing keys: %w", err)
	}
	for name, b := range missing {
		if filepath.Base(name) != name || !strings.HasSuffix(name, ".pem") {
			return wrote, fmt.Errorf("shared signing key %q: not a key file name", name)
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return wrote, fmt.Errorf("write shared key: %w", err)
		}
		wrote = true
	}
	return wrote, nil
}

// followShared opens the accounts (open) and keeps this process's copies
// of shared system records (the revocation list, the signing keys) in
// step with the other processes' changes: a token revoked through one
// famid is refused by all of them as soon as the etcd watch reports the
// change. It indexes too the service tokens that a famid of an earlier
// version issued, which the limit then counts. The accounts open inside
// the following's first notice (accounts.OpenFollowing), which reads every
// record once; each later change reads the records it names alone
// (accounts.FollowSystem). The signing keys, a few records, are put in
// step at every change, whatever it names: that is also when a key
// rotated into this famid's data dir while it runs reaches the others;
// those created at the start reach them before it ends, shared once by
// the start itself, whose error stops it, and not again at the first
// notice, which opens the accounts (OpenFollowing tells after only the
// notices it follows).
func (s *Server) followShared(ctx context.Context, shared store.SharedSystem, open func() (*accounts.Service, error)) (*accounts.Service, error) {
	fctx, cancel := context.WithCancel(context.Background())
	acc, done, err := accounts.OpenFollowing(fctx, shared, open, func(_ store.SystemChange, err error) {
		if err != nil && fctx.Err() == nil {
			s.log.Warn("follow the system records", "err", err)
		}
		wrote, err := shareKeys(fctx, s.store, s.cfg.DataDir)
		if wrote {
			// A token signed with a key another famid just shared
			// verifies here from now on (KeySet.Reload).
			err = errors.Join(err, s.keys.Reload())
		}
		if err != nil && fctx.Err() == nil {
			s.log.Warn("share signing keys", "err", err)
		}
	})
	// It ends with fctx (Close stops following before it closes the
	// store).
	s.stopFollow = func() { cancel(); <-done }
	if err == nil {
		_, err = shareKeys(ctx, s.store, s.cfg.DataDir)
	}
	if err != nil {
		s.stopFollow()
		return nil, err
	}
	return acc, nil
}
