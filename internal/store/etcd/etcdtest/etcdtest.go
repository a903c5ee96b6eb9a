// Package etcdtest runs etcd members in the test process
// (go.etcd.io/etcd/server/v3/embed) on loopback ports, with their data in
// the test's temporary folder, so the etcd store is tested against a real
// cluster without installing anything. Clients reach each member through a
// gate of its own (see gate), so that Kill is a crash as clients see it.
package etcdtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Options configure Start.
type Options struct {
	// Members is the cluster size; defaults to 1.
	Members int
	// NoFsync skips fsync in the members, for tests that check semantics
	// rather than durability on power loss.
	NoFsync bool
	// MaxTxnOps is the members' --max-txn-ops; 0 keeps etcd's default.
	MaxTxnOps uint
	// Direct gives clients the members' own addresses, without the gates
	// (see gate): for benchmarks, which must not measure a proxy's hop.
	// Kill then stops a member gracefully, as embed's Close does, waiting
	// up to 7 s for its clients' open streams.
	Direct bool
}

// Cluster is a running set of embedded members.
type Cluster struct {
	t       testing.TB
	opts    Options
	mu      sync.Mutex
	cfgs    []*embed.Config
	members []*embed.Etcd
	// gates are the members' client addresses, as clients know them.
	gates []*gate
}

// Start starts a cluster and stops it when the test ends.
//
// A member's ports are chosen free (freeURL) and bound by etcd a moment
// later; on a busy machine another socket can take one in between (the
// members' own connections to each other among them, whose local ports
// come from the same range). A start that finds a port taken is made
// again, from nothing, on other ports: up to startAttempts times.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Members <= 0 {
		opts.Members = 1
	}
	for attempt := 1; ; attempt++ {
		c, err := tryStart(t, opts)
		if err == nil {
			t.Cleanup(c.stop)
			return c
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == startAttempts {
			t.Fatalf("etcdtest: %v", err)
		}
		t.Logf("etcdtest: %v; starting again on other ports", err)
	}
}

// startAttempts bounds Start's attempts on ports taken.
const startAttempts = 3

// tryStart starts a cluster in a folder of its own, or stops what it
// started and says why not.
func tryStart(t testing.TB, opts Options) (*Cluster, error) {
	c := &Cluster{t: t, opts: opts, members: make([]*embed.Etcd, opts.Members)}
	dir := t.TempDir()
	var initial []string
	for i := range opts.Members {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = fmt.Sprintf("%s/%s", dir, cfg.Name)
		cfg.ListenClientUrls = []url.URL{pickURL(t)}
		cfg.AdvertiseClientUrls = cfg.ListenClientUrls
		var g *gate // nil: Direct
		if !opts.Direct {
			var err error
			if g, err = newGate(cfg.ListenClientUrls[0].Host); err != nil {
				c.stop()
				return nil, err
			}
			cfg.AdvertiseClientUrls = []url.URL{g.url}
		}
		c.gates = append(c.gates, g)
		cfg.ListenPeerUrls = []url.URL{pickURL(t)}
		cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
		cfg.InitialClusterToken = "raccordo-test"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		cfg.UnsafeNoFsync = opts.NoFsync
		if opts.MaxTxnOps > 0 {
			cfg.MaxTxnOps = opts.MaxTxnOps
		}
		initial = append(initial, cfg.Name+"="+cfg.ListenPeerUrls[0].String())
		c.cfgs = append(c.cfgs, cfg)
	}
	for _, cfg := range c.cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
	}
	// Members of a new cluster wait for each other: start them together,
	// and stop waiting as soon as one of them cannot start.
	var (
		wg     sync.WaitGroup
		failed = make(chan struct{})
		once   sync.Once
	)
	errs := make([]error, len(c.cfgs))
	for i := range c.cfgs {
		wg.Go(func() {
			if errs[i] = c.start(i, failed); errs[i] != nil {
				once.Do(func() { close(failed) })
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// stop stops the members and closes the gates.
func (c *Cluster) stop() {
	c.stopAll()
	for _, g := range c.gates {
		if g != nil {
			g.close()
		}
	}
}

// start starts member i and waits until it is ready, for a minute at most,
// or until abandon closes (another member of a new cluster failed).
func (c *Cluster) start(i int, abandon <-chan struct{}) error {
	e, err := embed.StartEtcd(c.cfgs[i])
	if err != nil {
		return fmt.Errorf("start member %d: %w", i, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-abandon:
		e.Server.HardStop()
		e.Close()
		return fmt.Errorf("member %d abandoned: another member did not start", i)
	case <-time.After(60 * time.Second):
		e.Close()
		return fmt.Errorf("member %d not ready within a minute", i)
	}
	if g := c.gates[i]; g != nil {
		g.open()
	}
	c.mu.Lock()
	c.members[i] = e
	c.mu.Unlock()
	return nil
}

func (c *Cluster) stopAll() {
	for i := range c.members {
		c.Kill(i)
	}
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, cfg := range c.cfgs {
		out = append(out, cfg.AdvertiseClientUrls[0].String())
	}
	return out
}

// Client returns a client of every member, closed when the test ends.
func (c *Cluster) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	return c.client(t, c.Endpoints())
}

// DirectClient returns a client of every member's own address, past the
// gates: Cut does not reach it. Closed when the test ends.
func (c *Cluster) DirectClient(t testing.TB) *clientv3.Client {
	t.Helper()
	var endpoints []string
	for _, cfg := range c.cfgs {
		endpoints = append(endpoints, cfg.ListenClientUrls[0].String())
	}
	return c.client(t, endpoints)
}

func (c *Cluster) client(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Cut closes the connections of member i's clients and refuses new ones,
// the member running on: a network cut between the member and its clients
// (those of DirectClient excepted). Mend ends it; the clients reconnect
// and resume their watches, as after a member's restart. Not with
// Options.Direct, which has no gates.
func (c *Cluster) Cut(i int) { c.gate(i).shut() }

// Mend lets the clients of member i through again after Cut.
func (c *Cluster) Mend(i int) { c.gate(i).open() }

func (c *Cluster) gate(i int) *gate {
	if c.gates[i] == nil {
		c.t.Fatalf("etcdtest: member %d has no gate (Options.Direct)", i)
	}
	return c.gates[i]
}

// Leader returns the index of the member that leads, or -1.
func (c *Cluster) Leader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.members {
		if e != nil && e.Server.Leader() == e.Server.MemberID() {
			return i
		}
	}
	return -1
}

// Kill stops member i at once, as a crash would (its data stays): its
// clients lose their connections (unless Direct), and it hands its
// leadership to nobody.
func (c *Cluster) Kill(i int) {
	c.mu.Lock()
	e := c.members[i]
	c.members[i] = nil
	c.mu.Unlock()
	if e == nil {
		return
	}
	if g := c.gates[i]; g != nil {
		g.shut()
	}
	// Stopped hard first, Close finds the member stopped and skips the
	// leadership transfer of a graceful stop.
	e.Server.HardStop()
	e.Close()
}

// Restart starts member i again on its data and ports. The other members
// know it by its peer address, so it cannot move: while another socket
// holds one of its ports (a connection's local port, say), it tries again,
// for up to restartWait.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.cfgs[i].ClusterState = embed.ClusterStateFlagExisting
	deadline := time.Now().Add(restartWait)
	for {
		err := c.start(i, nil)
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			c.t.Fatalf("etcdtest: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// restartWait bounds Restart's wait for its member's ports.
const restartWait = 10 * time.Second

// pickURL chooses the members' addresses: freeURL, or a port already taken
// in this package's test of Start's new attempt.
var pickURL = freeURL

// freeURL returns a loopback URL on a port free at the time of the call.
func freeURL(t testing.TB) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

// gate stands at a member's client address and forwards each connection
// to the member's own listener. Shut, it closes every connection and
// refuses new ones, as the member's death would; it keeps its port, which
// nothing else can take before the member comes back. It makes Kill quick
// too: embed's Close stops the gRPC server gracefully, waiting up to the
// member's request timeout (7 s) for open streams such as a store's watch,
// and after the gate is shut there are none.
type gate struct {
	member string  // the member's own client address
	url    url.URL // the gate's, which clients are given
	l      net.Listener
	// accepting ends when the listener closes.
	accepting chan struct{}
	mu        sync.Mutex
	up        bool
	conns     map[net.Conn]struct{}
	// forwarding counts the connections forwarded while up.
	forwarding sync.WaitGroup
}

// newGate listens on a loopback port for member, shut until open.
func newGate(member string) (*gate, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	g := &gate{member: member, url: url.URL{Scheme: "http", Host: l.Addr().String()}, l: l,
		accepting: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	go g.accept()
	return g, nil
}

func (g *gate) accept() {
	defer close(g.accepting)
	for {
		conn, err := g.l.Accept()
		if err != nil {
			return // closed
		}
		g.mu.Lock()
		if !g.up {
			g.mu.Unlock()
			conn.Close()
			continue
		}
		g.forwarding.Add(1)
		g.mu.Unlock()
		go g.forward(conn)
	}
}

// forward joins conn to a new connection to the member until either side
// ends or the gate is shut.
func (g *gate) forward(conn net.Conn) {
	defer g.forwarding.Done()
	defer conn.Close()
	m, err := net.Dial("tcp", g.member)
	if err != nil {
		return
	}
	defer m.Close()
	g.mu.Lock()
	if !g.up { // shut while dialling
		g.mu.Unlock()
		return
	}
	g.conns[conn], g.conns[m] = struct{}{}, struct{}{}
	g.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(m, conn)
	go pipe(conn, m)
	<-done
	// Either side's end ends both directions.
	conn.Close()
	m.Close()
	<-done
	g.mu.Lock()
	delete(g.conns, conn)
	delete(g.conns, m)
	g.mu.Unlock()
}

// open lets connections through to the member.
func (g *gate) open() {
	g.mu.Lock()
	g.up = true
	g.mu.Unlock()
}

// shut closes every connection through the gate and refuses new ones; it
// returns when nothing is forwarded any more.
func (g *gate) shut() {
	g.mu.Lock()
	g.up = false
	for conn := range g.conns {
		conn.Close()
	}
	g.mu.Unlock()
	g.forwarding.Wait()
}

// close shuts the gate and gives its port back.
func (g *gate) close() {
	g.shut()
	g.l.Close()
	<-g.accepting
}

// Damage flips one bit (of its last byte) of the text marker in every
// value under prefix that holds it, by a Put of a client of its own, as
// a member's failing disk would for the store reading it: the records
// holding marker then fail their checksum (ADR 12). marker must be a text
// of the records' values, never of a key. It stops the test when no value
// under prefix holds marker.
func Damage(t testing.TB, cli *clientv3.Client, prefix, marker string) {
	t.Helper()
	resp, err := cli.Get(t.Context(), prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatalf("damage %s: %v", prefix, err)
	}
	hit := 0
	for _, kv := range resp.Kvs {
		i := bytes.LastIndex(kv.Value, []byte(marker))
		if i < 0 {
			continue
		}
		v := bytes.Clone(kv.Value)
		v[i+len(marker)-1] ^= 1
		if _, err := cli.Put(t.Context(), string(kv.Key), string(v)); err != nil {
			t.Fatalf("damage %s: %v", kv.Key, err)
		}
		hit++
	}
	if hit == 0 {
		t.Fatalf("damage %s: %q is in no value", prefix, marker)
	}
}
