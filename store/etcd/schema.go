package etcd

// SchemaVersion is the layout version of the keys this store writes; it
// refuses a cluster holding a newer one. `muster version` prints it.
const SchemaVersion = schemaVersion
