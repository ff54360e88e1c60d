//go:build !unix

package capture

import "os"

const maxMapped = 0

const pageSize = 4096

func mapFile(*os.File, int64) ([]byte, func(), bool) { return nil, nil, false }

func dropPages([]byte) {}

func populate([]byte) {}
