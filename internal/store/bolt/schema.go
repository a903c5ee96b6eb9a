package bolt

import "github.com/raccordo/raccordo/internal/store"

// Every region file holds the same buckets, declared once here. They are
// named after the store.Table names: a region file is also the
// backend-neutral form of a region (the backups of every backend).
var (
	// bucketMeta holds the region's counters.
	bucketMeta = []byte(store.TableMeta)
	// bucketResources maps "{collection}/{id}" to a resource, as
	// deterministic protobuf.
	bucketResources = []byte(store.TableResources)
	// bucketChanges maps a big-endian revision to its fami.v1.Change.
	bucketChanges = []byte(store.TableChanges)
	// bucketRequests maps "{principal}\x00{request_id}" to the first result
	// of that request (see requestRecord).
	bucketRequests = []byte(store.TableRequests)
	// bucketRequestTimes orders the request records by age: big-endian
	// Unix nanoseconds followed by the record's key, so the oldest are
	// pruned first.
	bucketRequestTimes = []byte(store.TableRequestTimes)
	// bucketIndexes holds one nested bucket per secondary index.
	bucketIndexes = []byte(store.TableIndexes)
	// bucketTypes maps a resource name to its protobuf type, so a delete
	// can record the last state with its type. It is the store's own, out
	// of reach of the index methods.
	bucketTypes = []byte(store.TableTypes)

	regionBuckets = [][]byte{bucketMeta, bucketResources, bucketChanges, bucketRequests, bucketRequestTimes, bucketIndexes, bucketTypes}
)

// Keys of bucketMeta: the region's current revision, and the revision its
// change log is compacted to.
var (
	keyRevision  = []byte("revision")
	keyCompacted = []byte("compacted")
)
