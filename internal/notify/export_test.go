package notify

import "io/fs"

// Templates are the embedded template files, for the test that each one is
// tested.
func Templates() fs.FS { return files }

// The two readings of plainText, held to the same text.
var (
	PlainTextOfOwn     = plainTextOfOwn
	PlainTextTokenized = plainTextTokenized
)
