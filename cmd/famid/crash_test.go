package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

var crashRounds = flag.Int("crash.rounds", 20, "rounds of the SIGKILL crash test")

// childEnv makes the test binary run famid instead of the tests, so the
// crash test kills a real server process without a separate build.
const childEnv = "FAMID_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runUntilSignalled(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// ackedWrite is a partner whose creation the server acknowledged.
type ackedWrite struct {
	partner *famiv1.Partner
	round   int
}

// TestCrashSafety runs famid as a subprocess, drives 32 concurrent writers
// through the gRPC API, kills the server with SIGKILL at a random moment,
// restarts it and checks that every acknowledged write is present and
// intact, that nothing unacknowledged is half-present, that the change log
// has no gaps, and that bbolt's consistency check passes. -crash.rounds
// sets the number of rounds.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs real server processes")
	}
	dir := t.TempDir()
	const writers = 32
	acked := map[string]ackedWrite{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))

	for round := 1; round <= *crashRounds; round++ {
		child := startChild(t, dir)
		token := mintAdminToken(t, dir)
		conn := dialChild(t, child.grpcAddr)
		client := famiv1.NewPartnerServiceClient(conn)

		// The writers run until the server dies under them.
		var mu sync.Mutex
		var wg sync.WaitGroup
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					id := fmt.Sprintf("r%d-w%d-%d", round, w, i)
					p, err := client.CreatePartner(ctx, &famiv1.CreatePartnerRequest{
						Parent: "regions/lombardia", PartnerId: id, RequestId: id,
						Partner: &famiv1.Partner{DisplayName: "Partner " + id, Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR, Description: strings.Repeat(id, 20)},
					})
					if err != nil {
						return
					}
					mu.Lock()
					acked[p.GetName()] = ackedWrite{partner: p, round: round}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		child.kill(t)
		wg.Wait()
		conn.Close()

		// Restart on the same data dir: every acknowledged write is there.
		child = startChild(t, dir)
		conn = dialChild(t, child.grpcAddr)
		client = famiv1.NewPartnerServiceClient(conn)
		present := listAll(t, ctx, client)
		for name, a := range acked {
			got, ok := present[name]
			if !ok {
				t.Fatalf("round %d: acknowledged write %s (round %d) is missing after SIGKILL", round, name, a.round)
			}
			if !proto.Equal(got, a.partner) {
				t.Fatalf("round %d: %s differs from what was acknowledged:\n got %v\nwant %v", round, name, got, a.partner)
			}
		}
		// Unacknowledged writes may or may not have landed, but whatever is
		// there is whole.
		for name, p := range present {
			id := name[strings.LastIndexByte(name, '/')+1:]
			if p.GetDisplayName() != "Partner "+id || p.GetDescription() != strings.Repeat(id, 20) || p.GetEtag() == "" {
				t.Fatalf("round %d: %s is half-written: %v", round, name, p)
			}
		}
		conn.Close()
		child.stop(t)
		checkFiles(t, dir, len(present))
		t.Logf("round %d: %d acknowledged writes so far, %d partners present", round, len(acked), len(present))
	}
}

// child is a famid subprocess. One goroutine owns cmd.Wait: it sends the
// result on exited, for the one reader that waits for it (kill, stop or a
// wait for readiness), then closes done, which anyone may watch; nothing
// else touches the process state, which Wait writes.
type child struct {
	cmd      *exec.Cmd
	grpcAddr string
	httpAddr string
	ready    string // its --ready-file
	exited   chan error
	done     chan struct{}
	// stderr is what it wrote on its stderr, also copied to the test's.
	stderr syncbuf.Buffer
}

// startChild starts famid on dir with flags besides, on ephemeral
// loopback ports it tells in its --ready-file, and waits until it serves.
func startChild(t *testing.T, dir string, flags ...string) *child {
	t.Helper()
	return startChildWith(t, dir, nil, flags...)
}

// startChildWith is startChild with env added to famid's environment
// ("NAME=value" each): a parallel test may not change the test process's
// own (t.Setenv).
func startChildWith(t *testing.T, dir string, env []string, flags ...string) *child {
	t.Helper()
	ready := readyPath(t)
	args := []string{"--data-dir", dir, "--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", loopback0,
		"--ready-file", ready, "--log-level", "error", "--lock-timeout", "5s"}
	cmd := exec.Command(os.Args[0], append(args, flags...)...)
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	c := &child{cmd: cmd, exited: make(chan error, 1), done: make(chan struct{})}
	cmd.Stderr = io.MultiWriter(os.Stderr, &c.stderr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.exited <- cmd.Wait()
		close(c.done)
	}()
	// A test that failed with famid still running kills it, and waits for
	// it so that it writes nothing into a data dir being removed.
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			cmd.Process.Kill()
			<-c.done
		}
	})
	bound, err := startBounds.until(ready, cmd, c.exited, &c.stderr)
	if err != nil {
		t.Fatal(err)
	}
	if bound.PID != cmd.Process.Pid {
		t.Fatalf("--ready-file %s names pid %d, famid is %d", ready, bound.PID, cmd.Process.Pid)
	}
	c.grpcAddr, c.httpAddr, c.ready = bound.GRPCAddr, bound.HTTPAddr, ready
	waitHealthyOr(t, c.httpAddr, c.exited)
	return c
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.exited
}

func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-c.exited; err != nil {
		t.Fatalf("famid did not exit cleanly on SIGTERM: %v", err)
	}
}

func mintAdminToken(t *testing.T, dir string) string {
	t.Helper()
	keys, err := auth.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := keys.Sign(auth.TokenSpec{Subject: "test:crash", Role: principal.RegionAdmin, Region: "lombardia", TTL: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func dialChild(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func listAll(t *testing.T, ctx context.Context, client famiv1.PartnerServiceClient) map[string]*famiv1.Partner {
	t.Helper()
	out := map[string]*famiv1.Partner{}
	token := ""
	for {
		res, err := client.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("ListPartners after restart: %v (%v)", err, status.Code(err))
		}
		for _, p := range res.GetPartners() {
			out[p.GetName()] = p
		}
		if token = res.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// checkFiles runs bbolt's consistency check on every file and checks that
// lombardia's change log is gapless and holds one CREATE per partner.
func checkFiles(t *testing.T, dir string, partners int) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "regions", "*.db"))
	files = append(files, filepath.Join(dir, "system.db"))
	for _, f := range files {
		bolttest.Check(t, f)
	}
	s, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
		var next int64 = 1
		creates := 0
		err := tx.Changes(0, func(ch *famiv1.Change) bool {
			if ch.GetRevision() != next {
				t.Errorf("change log: revision %d where %d was due", ch.GetRevision(), next)
				return false
			}
			if ch.GetOperation() == famiv1.ChangeOperation_CHANGE_OPERATION_CREATE {
				creates++
			}
			next++
			return true
		})
		if err != nil {
			return err
		}
		if got := next - 1; got != tx.Revision() {
			t.Errorf("change log ends at %d, region revision is %d", got, tx.Revision())
		}
		if creates != partners {
			t.Errorf("change log has %d CREATEs for %d partners", creates, partners)
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
