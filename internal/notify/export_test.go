package notify

import "io/fs"

// Templates are the embedded template files, for the test that each one is
// tested.
func Templates() fs.FS { return files }
