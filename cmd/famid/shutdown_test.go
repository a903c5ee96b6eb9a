package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// TestStopWithAStalledBackup: a famid process stopped while a REST backup
// download of a region goes to a client that has stopped reading stops
// within its shutdown timeout, cleanly: exit code 0 and its data files
// whole. The download held the region's read transaction while its write
// to the client was blocked, and closing the data files waited for it:
// famid hung past its shutdown timeout, past a second SIGTERM too, until
// the client read or its connection died.
func TestStopWithAStalledBackup(t *testing.T) {
	t.Parallel()
	const partners = 128
	// The 16 MiB region, more than the sockets' buffers hold, is written
	// once (the most of this test's time) and each surface gets a copy.
	large := t.TempDir()
	startChild(t, large).stop(t) // the data dir and its keys
	storeLarge(t, large, partners)
	for _, surface := range []string{"rest", "connect"} {
		t.Run(surface, func(t *testing.T) {
			t.Parallel()
			stopWithAStalledBackup(t, copyDataDir(t, large), partners, surface)
		})
	}
}

// stopWithAStalledBackup is TestStopWithAStalledBackup through surface:
// REST's download, or the Connect stream (AdminService.BackupRegion)
// famictl's clients may use on the HTTP port. dir is a stopped famid's
// data dir whose lombardia holds partners large partners (storeLarge).
func stopWithAStalledBackup(t *testing.T, dir string, partners int, surface string) {
	c := startChild(t, dir, "--shutdown-timeout", "500ms")
	defer stallBackup(t, c.httpAddr, mintAdminToken(t, dir), surface).Close()
	// The client reads no more: famid's writes fill the sockets' buffers
	// and block. The wait's bound is 60 times the shutdown timeout.
	c.terminate(t, "SIGTERM with a backup to a client that reads nothing (a 500ms shutdown timeout)")
	checkFiles(t, dir, partners)
}

// copyDataDir copies the data dir of a stopped famid into a new directory
// and returns it: a fixture written once, served by each test's own famid.
// Folders and files get the modes famid gives its own.
func copyDataDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil || rel == "." {
			return err
		}
		if d.IsDir() {
			return os.Mkdir(filepath.Join(to, rel), 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o600)
	})
	if err != nil {
		t.Fatalf("copy the data dir %s: %v", from, err)
	}
	return to
}

// storeLarge writes n partners of 128 KiB each straight into lombardia's
// file in dir, famid stopped.
func storeLarge(t *testing.T, dir string, n int) {
	t.Helper()
	st, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	putLarge(t, st, n)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// putLarge writes n partners of 128 KiB each into lombardia of st,
// largeInATx a transaction: the etcd store refuses a transaction over 1 MiB
// (its default), and each partner goes in twice (the record and its
// change). One a
// transaction, the 128 commits of a 16 MiB region (each an fsync on bbolt)
// took seconds of each test that stalls a backup.
func putLarge(t *testing.T, st store.Store, n int) {
	t.Helper()
	for first := 0; first < n; first += largeInATx {
		_, err := st.Update(context.Background(), "lombardia", store.Mutation{Principal: "test:large"}, func(tx store.WriteTx) (proto.Message, error) {
			for i := first; i < min(first+largeInATx, n); i++ {
				p := &famiv1.Partner{Name: fmt.Sprintf("regions/lombardia/partners/p%d", i), DisplayName: "Partner", Description: strings.Repeat("x", 128<<10), Etag: "1"}
				if err := tx.Put(p); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil // the store wants a result
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// largeInATx is how many of putLarge's partners go in one transaction:
// 3 of 128 KiB, twice each, is 768 KiB.
const largeInATx = 3

// stallBackup asks famid at httpAddr for lombardia's backup through
// surface ("rest" or "connect"), reads its status line, and reads no more:
// famid's writes fill the sockets' buffers and block, its copy of the
// region open. The caller closes the connection.
func stallBackup(t *testing.T, httpAddr, token, surface string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).SetReadBuffer(4 << 10); err != nil {
		t.Fatal(err)
	}
	switch surface {
	case "rest":
		fmt.Fprintf(conn, "GET /v1/regions/lombardia:backup HTTP/1.1\r\nHost: famid\r\nAuthorization: Bearer %s\r\n\r\n", token)
	case "connect":
		msg, err := proto.Marshal(&famiv1.BackupRegionRequest{Name: "regions/lombardia"})
		if err != nil {
			t.Fatal(err)
		}
		envelope := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg)))
		fmt.Fprintf(conn, "POST /fami.v1.AdminService/BackupRegion HTTP/1.1\r\nHost: famid\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/connect+proto\r\nConnect-Protocol-Version: 1\r\nContent-Length: %d\r\n\r\n%s%s", token, len(envelope)+len(msg), envelope, msg)
	}
	status, err := bufio.NewReaderSize(conn, 4<<10).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("the backup's answer: %q, %v; want 200", status, err)
	}
	return conn
}
