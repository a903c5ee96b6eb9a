package bolt

// Every region file holds the same buckets, declared once here.
var (
	// bucketMeta holds the region's counters.
	bucketMeta = []byte("meta")
	// bucketResources maps "{collection}/{id}" to a resource, as
	// deterministic protobuf.
	bucketResources = []byte("resources")
	// bucketChanges maps a big-endian revision to its fami.v1.Change.
	bucketChanges = []byte("changes")
	// bucketRequests maps "{principal}\x00{request_id}" to the first result
	// of that request (see requestRecord).
	bucketRequests = []byte("requests")
	// bucketRequestTimes orders the request records by age: big-endian
	// Unix nanoseconds followed by the record's key, so the oldest are
	// pruned first.
	bucketRequestTimes = []byte("request_times")
	// bucketIndexes holds one nested bucket per secondary index.
	bucketIndexes = []byte("indexes")
	// bucketTypes maps a resource name to its protobuf type, so a delete
	// can record the last state with its type. It is the store's own, out
	// of reach of the index methods.
	bucketTypes = []byte("types")

	regionBuckets = [][]byte{bucketMeta, bucketResources, bucketChanges, bucketRequests, bucketRequestTimes, bucketIndexes, bucketTypes}
)

// Keys of bucketMeta: the region's current revision, and the revision its
// change log is compacted to.
var (
	keyRevision  = []byte("revision")
	keyCompacted = []byte("compacted")
)
