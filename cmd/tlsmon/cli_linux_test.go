//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Tests of the exit paths that need Linux: /dev/full, signals sent to a process, FIONREAD.

// A full disk mid-run stops the reading at once, with one error naming the file and exit 1;
// every file ends with a whole line.
func TestOutputFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	// With 2 workers the lines are written by the merger (split.go), behind the reading by
	// up to a shard's chunks in flight (engine's inFlight: 16 batches of 1,024 frames for
	// two shards): a longer capture shows the stop.
	for _, c := range []struct {
		workers string
		n       int
	}{{"1", 3000}, {"2", 60000}} {
		t.Run("workers="+c.workers, func(t *testing.T) {
			in := filepath.Join(t.TempDir(), "many.pcap")
			os.WriteFile(in, manyUDP(c.n), 0o644)
			fullDisk(t, in, c.n, c.workers)
		})
	}
}

func fullDisk(t *testing.T, in string, n int, workers string) {
	out := t.TempDir()
	if err := os.Symlink("/dev/full", filepath.Join(out, "conn.log")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "-r", in, "-o", out, "--no-progress", "--events", "--workers", workers)
	lines := errorLines(stderr)
	if code != exitRuntime || len(lines) != 1 || !strings.Contains(lines[0], "conn.log") ||
		!strings.Contains(lines[0], "no space left on device") {
		t.Fatalf("exit %d, stderr %q: want %d and one error naming conn.log", code, stderr, exitRuntime)
	}
	m := regexp.MustCompile(`packets=(\d+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary: %q", stderr)
	}
	if read, _ := strconv.Atoi(m[1]); read >= n/2 {
		t.Errorf("%d of %d packets read after the write error: reading did not stop", read, n)
	} else {
		t.Logf("%d of %d packets read", read, n)
	}
	if _, err := os.Stat(filepath.Join(out, "weird.log")); err != nil {
		t.Error("weird.log, which still worked, was not written")
	}
	checkWholeLines(t, out, true) // weird.log closed with #close
}

// The first signal stops the reading, the second aborts (signals sent to the test process
// itself are caught by the handler, as they would be by the command).
func TestWatchSignals(t *testing.T) {
	s := newRunStop()
	cr := newCountingReader(&frames{n: 10}, time.Now())
	s.setReader(cr)
	aborted := make(chan struct{})
	unwatch := s.watchSignals(io.Discard, func() { close(aborted) })
	defer unwatch()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case <-s.ch:
	case <-time.After(5 * time.Second):
		t.Fatal("first signal did not stop the run")
	}
	if !cr.stop.Load() || s.signalled() != syscall.SIGTERM {
		t.Errorf("stop %v, signal %v", cr.stop.Load(), s.signalled())
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case <-aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not abort")
	}
	if signalStatus(syscall.SIGINT) != 130 || signalStatus(syscall.SIGTERM) != 143 {
		t.Error("signal exit statuses are not 128+n")
	}
}

// Ctrl-C while the command waits on an idle standard input: it stops at once, writes the
// logs of what it read (whole lines, #close) and exits 130; SIGTERM exits 143.
func TestSignalOnIdleStdin(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		out := t.TempDir()
		cmd := command(t, "-r", "-", "-o", out, "--events", "--no-progress")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The first packet, then nothing: the pipe stays open.
		rec := pcapBytes([]pcapRecord{{ts: 1_700_000_000_000_000, data: udpPacket(hostA, hostB, 40000, 5353, []byte("q"))}})
		stdin.Write(rec)
		// events.jsonl is created once the signal handler is in place and the input open.
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
		// Wait until it has read the packet (the pipe is empty), and a little more for the
		// packet to go through the engine.
		for pipeBytes(t, stdin.(*os.File)) > 0 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the packet is never read")
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v ignored while stdin is idle", sig)
		}
		stdin.Close()
		if got, want := cmd.ProcessState.ExitCode(), 128+int(sig); got != want {
			t.Errorf("%v: exit %d, want %d; stderr %q", sig, got, want, stderr.String())
		}
		if !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("%v: stderr %q", sig, stderr.String())
		}
		b, err := os.ReadFile(filepath.Join(out, "conn.log"))
		if err != nil || !strings.Contains(string(b), hostA.String()+"\t40000") {
			t.Errorf("%v: conn.log lacks the packet read before the signal: %v %q", sig, err, b)
		}
		checkWholeLines(t, out, true)
	}
}

// pipeBytes returns how many bytes wait in the pipe of f (FIONREAD works on either end).
func pipeBytes(t *testing.T, f *os.File) int {
	var n int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("FIONREAD: %v", e)
	}
	return int(n)
}
