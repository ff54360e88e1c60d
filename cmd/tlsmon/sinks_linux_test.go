//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsmon/tlsmon/internal/kafkatest"
)

// Ctrl-C while the command waits for a Kafka cluster that is away: the first signal lets
// the rows flush (the wait goes on), the second stops waiting at once (the one signal
// handler of the command, runStop.watchSignals, interrupts the sink). The rows not
// delivered are reported, the log files are closed, and the exit status is 3: lost rows win
// over the interruption's 130.
func TestKafkaSecondSignalStopsWaiting(t *testing.T) {
	c, addr := kafkatest.Cluster(t, 1, "zeek")
	kafkatest.Outage(c, false, func() bool { return true })
	out := t.TempDir()
	cmd := command(t, "-r", filepath.Join("..", "..", "testdata", "sample.pcap"), "-o", out, "--events",
		"--kafka", addr, "--kafka-flush-timeout", "2m", "--no-progress")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// events.jsonl is created once the signal handler is in place; sample.pcap is then read
	// in milliseconds, and the command waits for the cluster.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, eventsFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("command did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
		t.Fatalf("the first signal did not leave the rows time to flush: %s", stderr.String())
	case <-time.After(500 * time.Millisecond):
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the second signal did not stop the wait for Kafka: %s", stderr.String())
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("the second signal took %v to end the run", waited)
	}
	se := stderr.String()
	t.Logf("stderr:\n%s", se)
	if code := cmd.ProcessState.ExitCode(); code != exitLost {
		t.Errorf("exit %d, want %d; stderr %s", code, exitLost, se)
	}
	for _, want := range []string{"second signal", "tlsmon: interrupted (SIGINT)", "rows not delivered", "logs to Kafka"} {
		if !strings.Contains(se, want) {
			t.Errorf("stderr lacks %q: %s", want, se)
		}
	}
	checkWholeLines(t, out, true)
}
