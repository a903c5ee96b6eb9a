package bolt

// StorageErr exposes the translation of storage failures to the tests.
var StorageErr = closedErr
