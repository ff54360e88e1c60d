package e2e

import (
	"fmt"
	"strings"
)

// diffLines shows the first difference between two event sequences.
func diffLines(want, got []string) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			fmt.Fprintf(&b, "first difference at event %d (of %d vs %d):\n want: %.300s\n  got: %.300s", i, len(want), len(got), w, g)
			break
		}
	}
	return b.String()
}
