package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/raccordo/raccordo/internal/store/etcd"
)

// etcdFlags are the flags of every famictl command that talks to famid's
// etcd cluster itself rather than through famid (restore, token create):
// one set, so that they are named, documented and read alike. The
// password is read from FAMICTL_ETCD_PASSWORD when the command runs,
// never from a flag (it would show in the process list).
type etcdFlags struct {
	client etcd.ClientConfig
	prefix string
}

// add registers the flags on fs; use says what --etcd-endpoints does for
// this command.
func (e *etcdFlags) add(fs *pflag.FlagSet, use string) {
	fs.StringSliceVar(&e.client.Endpoints, "etcd-endpoints", nil, "comma-separated etcd client URLs: "+use)
	fs.StringVar(&e.prefix, "etcd-prefix", etcd.DefaultPrefix, "prefix of famid's etcd keys")
	fs.StringVar(&e.client.CertFile, "etcd-cert", "", "etcd client certificate, PEM")
	fs.StringVar(&e.client.KeyFile, "etcd-key", "", "etcd client certificate's key, PEM")
	fs.StringVar(&e.client.CAFile, "etcd-ca", "", "CA of the etcd members' certificates, PEM")
	fs.StringVar(&e.client.Username, "etcd-username", "", "etcd user (password in FAMICTL_ETCD_PASSWORD)")
	fs.DurationVar(&e.client.DialTimeout, "etcd-dial-timeout", defaultEtcdDial, "how long to wait for the cluster's first answer")
}

// defaultEtcdDial is famid's own --etcd-dial-timeout default.
const defaultEtcdDial = 5 * time.Second

// set says whether the command is to talk to etcd (--etcd-endpoints given).
func (e *etcdFlags) set() bool { return len(e.client.Endpoints) > 0 }

// open opens famid's store in the cluster, serving regions (none: the
// system records only), as famid opens it: the cluster must answer within
// the dial timeout, or the command would wait for ever on a wrong
// endpoint. close closes the store, then its client.
func (e *etcdFlags) open(ctx context.Context, regions []string) (st *etcd.Store, close func(), err error) {
	c := e.client
	c.Password = os.Getenv("FAMICTL_ETCD_PASSWORD")
	if c.DialTimeout <= 0 {
		c.DialTimeout = defaultEtcdDial
	}
	cli, err := etcd.NewClient(c)
	if err != nil {
		return nil, nil, err
	}
	octx, cancel := context.WithTimeout(ctx, c.DialTimeout)
	defer cancel()
	st, err = etcd.Open(octx, etcd.Options{Client: cli, Prefix: e.prefix, Regions: regions})
	if err != nil {
		cli.Close()
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("etcd %s gave no answer within %s (--etcd-dial-timeout): %w", strings.Join(c.Endpoints, ","), c.DialTimeout, err)
		}
		return nil, nil, err
	}
	return st, func() { st.Close(); cli.Close() }, nil
}
