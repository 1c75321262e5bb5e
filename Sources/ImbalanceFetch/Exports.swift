// The digests moved to their own module (data loading and records use them too); code that
// imports ImbalanceFetch keeps seeing them.
@_exported import ImbalanceDigest
