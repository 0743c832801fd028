package store

// SchemaVersion is the layout version of the files this store writes: it
// opens files of this version and older ones (moving them up once) and
// refuses newer ones. `muster version` prints it.
const SchemaVersion = schemaVersion
