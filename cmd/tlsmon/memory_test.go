package main

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512M", 512 << 20, true},
		{"2G", 2 << 30, true},
		{"2g", 2 << 30, true},
		{"1.5GiB", 3 << 29, true},
		{"256MB", 256 << 20, true},
		{"1T", 1 << 40, true},
		{"1048576", 1 << 20, true},
		{"none", -1, true},
		{"100K", 0, false}, // below 1M
		{"0", 0, false},
		{"-1G", 0, false},
		{"G", 0, false},
		{"12X", 0, false},
		{"", 0, false},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	var m memSize = defaultMaxMemory
	if m.String() != "1G" {
		t.Errorf("default %s", m.String())
	}
	if err := m.Set("768M"); err != nil || m.String() != "768M" {
		t.Errorf("Set: %v %s", err, m.String())
	}
}
