// Package servertest is the one way a test starts a real server in its
// own process: on loopback ports the system chooses, over a fresh data dir
// or the one given (to reopen it), on a clock that starts at StartTime and
// that the test can move ahead, with
// tokens signed by the data dir's key at the server's time, as `famictl
// token create` signs them. The harnesses of the server's and the web's
// tests, and the tests of famictl, famiload and the sdk, start theirs here.
package servertest

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// Server is a running server and its data dir.
type Server struct {
	*server.Server
	DataDir string
	// Clock is the server's clock (Config.Now) when the caller gave none:
	// it runs at the real rate from StartTime, and the test moves it ahead
	// to pass an expiry or a closing time instead of waiting for it. It is
	// nil when the caller gave a Now of its own.
	Clock *fakeclock.Shifted

	cfg    server.Config // as opened: Restart opens it again
	cancel context.CancelFunc
	done   chan error
	stop   sync.Once
	err    error // Run's, once stopped

	keysMu sync.Mutex
	keys   signingKeys // Sign's, as last read
}

// signingKeys are the data dir's keys and the names of the key files they
// were read from. Tests sign thousands of tokens: reading and parsing the
// key files each time cost more than the signing, so Sign reads them again
// only when the files change (a key rotated while the server runs).
type signingKeys struct {
	files []string
	set   *auth.KeySet
}

// StartTime is the instant a test server's clock reads when the process
// starts its first one: noon in Rome on 30 November 2026, the last day the
// tests passed on the real clock, and far from midnight in Rome and in UTC,
// so that no run crosses a day. The tests date their entries, periods,
// meetings and quarters in November 2026 and compare them with the server's
// today; on the real clock they would break as the calendar moves on (two
// did at midnight in Rome on 1 December). A test that needs another day
// gives its server a Now of its own.
var StartTime = time.Date(2026, time.November, 30, 11, 0, 0, 0, time.UTC) // 12:00 in Rome (UTC+1)

// offset is how far the test servers' clocks run from the real one. It is
// taken once per process, so that every server of the process reads the
// same time: famids of one cluster, a server and its restart, a TestMain's
// server and a test's.
var offset = sync.OnceValue(func() time.Duration { return time.Until(StartTime) })

// Now is the process's test time: what a test server's clock reads until
// its test moves it. A program that a test runs in its own process beside
// the servers it started (famictl, famiload) signs its tokens on it, as the
// real program signs on the machine's clock, which famid shares.
func Now() time.Time { return time.Now().Add(offset()) }

// newClock is a test server's clock: the real one moved to the process's
// test time.
func newClock() *fakeclock.Shifted {
	c := &fakeclock.Shifted{}
	c.Advance(offset())
	return c
}

// Start opens and runs a server with cfg for the test t, and stops it when
// the test ends, failing t if its Run returns an error then. An empty
// DataDir becomes a fresh temporary directory, a nil Logger one that
// writes warnings and errors into the test's output (Logger), a nil Now a
// Clock, a zero PasswordCost auth.TestPasswordCost.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
		if cfg.Store == "" || cfg.Store == server.StoreBolt {
			newDataDir(t, cfg.DataDir)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = Logger(t)
	}
	s, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("server Run returned %v, want nil after a graceful shutdown", err)
		}
	})
	return s
}

// emptyFiles are the files of a data dir the store has just created, by
// path under the dir: the system file and every region's, each with its
// buckets and format marker. Creating them costs a commit and two fsyncs a
// file, 22 files a server, and was the most of a test server's start;
// servertest creates them once per process and gives each new data dir a
// copy (newDataDir). The store's own tests, and server.Open called on an
// empty dir, still create them.
var emptyFiles = sync.OnceValues(func() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "servertest-empty-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := bolt.Open(dir, bolt.Options{Regions: aip.RegionIDs()})
	if err != nil {
		return nil, err
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err == nil {
			files[rel], err = os.ReadFile(path)
		}
		return err
	})
	return files, err
})

// newDataDir writes into dir, an empty directory, the files of a data dir
// the store has just created (emptyFiles), as the store would have.
func newDataDir(t testing.TB, dir string) {
	t.Helper()
	files, err := emptyFiles()
	if err != nil {
		t.Fatalf("create the files of an empty data dir: %v", err)
	}
	for rel, data := range files {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// Run opens a server with cfg and runs it until Stop, for a caller without
// a test to fail (a TestMain): it must give the DataDir (and remove it
// after Stop), since the server's default is ./data. A nil Logger becomes
// one that discards, a nil Now a Clock, a zero PasswordCost
// auth.TestPasswordCost; ctx bounds the opening only.
func Run(ctx context.Context, cfg server.Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("servertest.Run: no DataDir")
	}
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PasswordCost == (auth.PasswordCost{}) {
		// Tests create accounts and log in by the hundred: hashes that
		// protect nothing need not cost argon2id's 19 MiB and two passes.
		cfg.PasswordCost = auth.TestPasswordCost
	}
	var clock *fakeclock.Shifted
	if cfg.Now == nil {
		clock = newClock()
		cfg.Now = clock.Now
	}
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Server{Server: srv, DataDir: cfg.DataDir, Clock: clock, cfg: cfg, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Run(runCtx) }()
	return s, nil
}

// Logger writes the server's warnings and errors into t's output, so that
// an internal error shows next to the failing test.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Stop shuts the server down gracefully, waits for Run to return and
// returns its error. It may be called more than once, from any goroutine:
// each call waits for the same stop and returns the same error.
func (s *Server) Stop() error {
	s.stop.Do(func() {
		s.cancel()
		s.err = <-s.done
	})
	return s.err
}

// Restart stops s and starts a server anew for t on s's data dir, with
// s's configuration and clock, on new ports, as famid restarted on the
// same files. s's Run error is checked where s was started.
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	_ = s.Stop()
	next := Start(t, s.cfg)
	next.Clock = s.Clock // s.cfg.Now is its Now
	return next
}

// StoredDirectly stops s, writes what write puts in region straight to the
// region's file, as a famid of an earlier version (or an import) would
// have left it, with none of the services' checks, and starts the server
// again on the data dir (Restart).
func (s *Server) StoredDirectly(t testing.TB, region string, write func(tx store.WriteTx) error) *Server {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	st, err := bolt.Open(s.DataDir, bolt.Options{Regions: []string{region}})
	if err != nil {
		t.Fatalf("open the data dir: %v", err)
	}
	_, err = st.Update(t.Context(), region, store.Mutation{Principal: "test:stored-directly"}, func(tx store.WriteTx) (proto.Message, error) {
		return &emptypb.Empty{}, write(tx) // the store wants a result
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("store straight to the file: %v", err)
	}
	return s.Restart(t)
}

// Now reads the server's clock (its Config.Now): Clock's, or the one the
// caller gave, so that what a test builds beside the server (a web
// application over its own connection) runs on the same time.
func (s *Server) Now() time.Time { return s.cfg.Now() }

// URL is the base URL of the server's HTTP port.
func (s *Server) URL() string { return "http://" + s.HTTPAddr() }

// Sign signs a token for spec with the data dir's key at the server's
// time, valid for an hour when spec.TTL is zero.
func (s *Server) Sign(spec auth.TokenSpec) (string, error) {
	keys, err := s.signingKeys()
	if err != nil {
		return "", err
	}
	if spec.TTL == 0 {
		spec.TTL = time.Hour
	}
	tok, _, err := keys.Sign(spec, s.cfg.Now())
	return tok, err
}

// signingKeys returns the data dir's keys, read again only when the names
// of the key files differ from those last read: a key file is written
// whole under a new name (auth.RotateKey) and never changed after.
func (s *Server) signingKeys() (*auth.KeySet, error) {
	var files []string
	entries, err := os.ReadDir(filepath.Join(s.DataDir, auth.KeyDir))
	if err != nil {
		return auth.LoadKeys(s.DataDir) // which says what is wrong
	}
	for _, e := range entries {
		files = append(files, e.Name())
	}
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if s.keys.set != nil && slices.Equal(s.keys.files, files) {
		return s.keys.set, nil
	}
	set, err := auth.LoadKeys(s.DataDir)
	if err != nil {
		return nil, err
	}
	s.keys = signingKeys{files: files, set: set}
	return set, nil
}

// Token is Sign for a test: t is the test (or subtest) that fails if the
// token cannot be signed.
func (s *Server) Token(t testing.TB, spec auth.TokenSpec) string {
	t.Helper()
	tok, err := s.Sign(spec)
	if err != nil {
		t.Fatalf("sign a token: %v", err)
	}
	return tok
}
