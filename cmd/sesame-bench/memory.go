package main

import (
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// memorySample is the process's memory after a scenario: the Go heap, as
// runtime/metrics counts it, and the resident set as Linux does, split into
// its anonymous part (the Go heap, SQLite's page caches, stacks) and its
// file-backed part (the program's code and, on SQLite, the database pages
// mapped by mmap_size, shared with the kernel's page cache). RSS counts a
// page once per mapping, and each SQLite connection maps the file for
// itself: the proportional set size (Pss) counts each page once, the
// memory the process really holds.
type memorySample struct {
	scenario        string
	heapObjects     uint64 // live and not yet swept objects
	heapTotal       uint64 // every byte the Go runtime holds from the OS
	rss, anon, file uint64 // VmRSS, RssAnon, RssFile
	peakRSS         uint64 // VmHWM
	statusRSS       bool
	pss, pssFile    uint64 // Pss, Pss_File from smaps_rollup; zero when unknown
}

var heapMetrics = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/total:bytes"},
}

// sampleMemory reads the Go runtime's metrics and /proc/self/status: the
// server runs in this process, with the load generator.
func sampleMemory(scenario string) memorySample {
	m := memorySample{scenario: scenario}
	samples := append([]metrics.Sample(nil), heapMetrics...)
	metrics.Read(samples)
	m.heapObjects = samples[0].Value.Uint64()
	m.heapTotal = samples[1].Value.Uint64()
	status, err := readKiB("/proc/self/status")
	if err != nil {
		return m
	}
	m.statusRSS = true
	m.rss, m.anon, m.file, m.peakRSS = status["VmRSS"], status["RssAnon"], status["RssFile"], status["VmHWM"]
	if rollup, err := readKiB("/proc/self/smaps_rollup"); err == nil {
		m.pss, m.pssFile = rollup["Pss"], rollup["Pss_File"]
	}
	return m
}

// readKiB reads the "Name:   1234 kB" lines of a /proc file, in bytes.
func readKiB(path string) (map[string]uint64, error) {
	text, err := os.ReadFile(path) // #nosec G304 -- the two /proc/self files named in sampleMemory
	if err != nil {
		return nil, err
	}
	values := map[string]uint64{}
	for _, line := range strings.Split(string(text), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			continue
		}
		values[name] = kb << 10
	}
	return values, nil
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// writeMemory prints the samples as a table.
func writeMemory(out io.Writer, samples []memorySample) {
	fmt.Fprintf(out, "\nmemory after each scenario (server and load generator in one process):\n\n")
	fmt.Fprintf(out, "| scenario | Go heap objects | Go runtime total | RSS | RSS anonymous | RSS file-backed (mmapped DB pages, code) | peak RSS | Pss (each page once) | Pss file-backed |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range samples {
		if !m.statusRSS {
			fmt.Fprintf(out, "| %s | %s | %s | unknown | unknown | unknown | unknown | unknown | unknown |\n", m.scenario, mib(m.heapObjects), mib(m.heapTotal))
			continue
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", m.scenario, mib(m.heapObjects), mib(m.heapTotal),
			mib(m.rss), mib(m.anon), mib(m.file), mib(m.peakRSS), mib(m.pss), mib(m.pssFile))
	}
}

// cpuTime is the CPU time this process used so far, user and system: on a
// shared machine, steadier than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedMemory says the heap and resident set after seeding.
func seedMemory() string {
	m := sampleMemory("seed")
	return fmt.Sprintf("Go heap %s, RSS %s (anonymous %s, file-backed %s), peak %s", mib(m.heapObjects), mib(m.rss), mib(m.anon), mib(m.file), mib(m.peakRSS))
}
