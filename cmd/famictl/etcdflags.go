package main

import (
	"context"
	"fmt"
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
	// fs is the flag set add registered them on: it says which were given.
	fs *pflag.FlagSet
}

// etcdFlagNames are the flags add registers, --etcd-endpoints first.
var etcdFlagNames = []string{"etcd-endpoints", "etcd-prefix", "etcd-cert", "etcd-key", "etcd-ca", "etcd-username", "etcd-dial-timeout"}

// add registers the flags on fs; use says what --etcd-endpoints does for
// this command.
func (e *etcdFlags) add(fs *pflag.FlagSet, use string) {
	e.fs = fs
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

// given is the first etcd flag given on the command line, "" when none
// was.
func (e *etcdFlags) given() string {
	for _, name := range etcdFlagNames {
		if e.fs.Changed(name) {
			return name
		}
	}
	return ""
}

// check refuses an etcd flag given without --etcd-endpoints, naming it,
// rather than ignore it: a forgotten or mistyped --etcd-endpoints would
// then pass for work done on the cluster.
func (e *etcdFlags) check() error {
	if name := e.given(); name != "" && !e.set() {
		return fmt.Errorf("--%s is given without --etcd-endpoints: the etcd flags are read only with the cluster's endpoints", name)
	}
	return nil
}

// unread refuses any etcd flag given to a command that will read nothing
// from the cluster, naming it; why says when it does.
func (e *etcdFlags) unread(why string) error {
	if name := e.given(); name != "" {
		return fmt.Errorf("--%s is given, but this command reads nothing from etcd: %s", name, why)
	}
	return nil
}

// open opens famid's store in the cluster, serving regions (none: the
// system records only), as famid opens it (etcd.Dial): a cluster that
// does not answer within the dial timeout is an error, not a wait for
// ever. close closes the store, then its client.
func (e *etcdFlags) open(ctx context.Context, regions []string) (*etcd.Store, func() error, error) {
	c := e.client
	c.Password = os.Getenv("FAMICTL_ETCD_PASSWORD")
	return etcd.Dial(ctx, c, etcd.Options{Prefix: e.prefix, Regions: regions})
}
