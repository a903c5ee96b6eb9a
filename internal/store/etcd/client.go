package etcd

import (
	"crypto/tls"
	"errors"
	"fmt"
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
		c.DialTimeout = 5 * time.Second
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
