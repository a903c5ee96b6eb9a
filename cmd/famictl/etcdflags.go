package main

import (
	"context"
	"os"

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
	fs.DurationVar(&e.client.DialTimeout, "etcd-dial-timeout", etcd.DefaultDialTimeout, "how long to wait for the cluster's first answer")
}

// set says whether the command is to talk to etcd (--etcd-endpoints given).
func (e *etcdFlags) set() bool { return len(e.client.Endpoints) > 0 }

// open opens famid's store in the cluster, serving regions (none: the
// system records only), as famid opens it (etcd.Dial): a cluster that
// does not answer within the dial timeout is an error, not a wait for
// ever. close closes the store, then its client.
func (e *etcdFlags) open(ctx context.Context, regions []string) (*etcd.Store, func() error, error) {
	c := e.client
	c.Password = os.Getenv("FAMICTL_ETCD_PASSWORD")
	return etcd.Dial(ctx, c, etcd.Options{Prefix: e.prefix, Regions: regions})
}
