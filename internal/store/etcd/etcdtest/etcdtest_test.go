package etcdtest

import (
	"net"
	"net/url"
	"testing"
)

// TestStartOnATakenPort: a port chosen free and taken before the member
// binds it (another socket got it in between) makes Start try again on
// other ports, and the cluster it returns serves.
func TestStartOnATakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	picks := 0
	pickURL = func(t testing.TB) url.URL {
		if picks++; picks == 2 { // the first member's peer port
			return url.URL{Scheme: "http", Host: taken.Addr().String()}
		}
		return freeURL(t)
	}
	defer func() { pickURL = freeURL }()

	c := Start(t, Options{Members: 2, NoFsync: true})
	if picks <= 4 {
		t.Fatalf("Start picked %d ports, want a second attempt's", picks)
	}
	cli := c.Client(t)
	if _, err := cli.Put(t.Context(), "k", "v"); err != nil {
		t.Fatalf("put on the cluster started again: %v", err)
	}
	res, err := cli.Get(t.Context(), "k")
	if err != nil || len(res.Kvs) != 1 || string(res.Kvs[0].Value) != "v" {
		t.Fatalf("get k: %v, %v", res, err)
	}
}
