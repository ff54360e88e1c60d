package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		done     bool
		inStdout string
		inStderr string
	}{
		{args: nil, code: exitUsage, done: true, inStderr: "-r FILE"},
		{args: []string{"--help"}, code: exitOK, done: true, inStdout: "--analyze-encrypted"},
		{args: []string{"-h"}, code: exitOK, done: true, inStdout: "usage: tlsmon"},
		{args: []string{"--version"}, code: exitOK, done: true, inStdout: "tlsmon "},
		{args: []string{"--bogus"}, code: exitUsage, done: true, inStderr: "bogus"},
		{args: []string{"-r", "a.pcap", "extra"}, code: exitUsage, done: true, inStderr: "extra"},
		{args: []string{"-r", ""}, code: exitUsage, done: true},
		{args: []string{"-r", "a.pcap", "-o", ""}, code: exitUsage, done: true},
		{args: []string{"-r", "a.pcap"}, code: exitOK, done: false},
	}
	for _, c := range cases {
		var o, e bytes.Buffer
		_, code, done := parseArgs(c.args, &o, &e)
		if code != c.code || done != c.done {
			t.Errorf("%q: code %d done %v, want %d %v (stderr %q)", c.args, code, done, c.code, c.done, e.String())
		}
		if !strings.Contains(o.String(), c.inStdout) || !strings.Contains(e.String(), c.inStderr) {
			t.Errorf("%q: stdout %q stderr %q, want %q / %q in them", c.args, o.String(), e.String(), c.inStdout, c.inStderr)
		}
	}
}

func TestParseArgsValues(t *testing.T) {
	var o, e bytes.Buffer
	cfg, _, done := parseArgs([]string{"-r", "a.pcap", "--r", "b.pcap.gz", "-o", "/x", "--json", "-events",
		"--analyze-encrypted", "--no-progress"}, &o, &e)
	if done {
		t.Fatalf("unexpected end: %s", e.String())
	}
	if !slices.Equal(cfg.reads, []string{"a.pcap", "b.pcap.gz"}) || cfg.outDir != "/x" || !cfg.json ||
		!cfg.events || !cfg.analyzeEncrypted || cfg.progress {
		t.Errorf("parsed %+v", cfg)
	}
	cfg, _, done = parseArgs([]string{"-r", "a.pcap", "-q", "--events-text", "--verify-checksums"}, &o, &e)
	if done || !cfg.quiet || !cfg.eventsText || !cfg.verifyChecksums {
		t.Errorf("parsed %+v", cfg)
	}
	cfg, _, _ = parseArgs([]string{"-r", "-"}, &o, &e)
	if cfg.outDir != "." || cfg.json || cfg.events || cfg.analyzeEncrypted || !cfg.progress || cfg.quiet ||
		cfg.eventsText || cfg.verifyChecksums {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestHuman(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{{0, "", "0"}, {999, "B", "999 B"}, {1500, "", "1.5 k"}, {2_500_000, "B", "2.50 MB"}, {3e9, "B", "3.00 GB"}} {
		if got := human(c.v, c.unit); got != c.want {
			t.Errorf("human(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
}
