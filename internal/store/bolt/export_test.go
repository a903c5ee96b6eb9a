package bolt

// StorageErr exposes the translation of storage failures to the tests.
var StorageErr = closedErr

// OpenFrame exposes the check of a stored frame to the tests.
var OpenFrame = openFrame
