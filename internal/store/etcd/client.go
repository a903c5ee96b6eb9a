package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// ClientConfig is how famid and famictl reach a cluster.
type ClientConfig struct {
	// Endpoints are the members' client URLs.
	Endpoints []string
	// CertFile and KeyFile are the client certificate, CAFile the CA that
	// signed the members' certificates; all empty means plain TCP.
	CertFile, KeyFile, CAFile string
	// Username and Password authenticate to etcd's own RBAC.
	Username, Password string
	// DialTimeout bounds the first connection; defaults to 5 seconds.
	DialTimeout time.Duration
}

// DefaultDialTimeout is ClientConfig.DialTimeout's default.
const DefaultDialTimeout = 5 * time.Second

// NewClient returns a client of the cluster; it connects in the
// background, so the first request waits for (at most DialTimeout) or
// fails on an unreachable cluster.
func NewClient(c ClientConfig) (*clientv3.Client, error) {
	if len(c.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints")
	}
	var tlsCfg *tls.Config
	if c.CertFile != "" || c.KeyFile != "" || c.CAFile != "" {
		info := transport.TLSInfo{CertFile: c.CertFile, KeyFile: c.KeyFile, TrustedCAFile: c.CAFile}
		var err error
		if tlsCfg, err = info.ClientConfig(); err != nil {
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: c.Endpoints, TLS: tlsCfg, Username: c.Username, Password: c.Password,
		DialTimeout: c.DialTimeout, Logger: zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	return cli, nil
}

// Dial opens the store of opts on a new client of c, as famid and famictl
// open it: the cluster must answer within c.DialTimeout, or the open fails
// naming the endpoints and --etcd-dial-timeout (the flag of both), where
// the first read would otherwise wait for ever on an endpoint nobody
// answers. opts.Client is the new client; close closes the store, then
// the client.
func Dial(ctx context.Context, c ClientConfig, opts Options) (st *Store, close func() error, err error) {
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	cli, err := NewClient(c)
	if err != nil {
		return nil, nil, err
	}
	octx, cancel := context.WithTimeout(ctx, c.DialTimeout)
	defer cancel()
	opts.Client = cli
	if st, err = Open(octx, opts); err != nil {
		cli.Close()
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("etcd %s gave no answer within %s (--etcd-dial-timeout): %w", strings.Join(c.Endpoints, ","), c.DialTimeout, err)
		}
		return nil, nil, err
	}
	return st, func() error { return errors.Join(st.Close(), cli.Close()) }, nil
}
