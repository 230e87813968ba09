package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is where CPU time stood at one moment: the servers' (from
// /proc/PID/stat), this process's (the load generator) and the whole
// machine's busy and total time (from /proc/stat). Off Linux it is empty
// and the bench prints "-" for the CPU columns.
type cpuSample struct {
	ok                 bool
	servers, client    time.Duration
	ownServers         bool   // servers holds their CPU (pids were given)
	machBusy, machTime uint64 // clock ticks
}

// clockTick is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTick = 10 * time.Millisecond

func sampleCPU(pids []int) cpuSample {
	s := cpuSample{ownServers: len(pids) > 0}
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return cpuSample{}
		}
		// The command name is in parentheses and may hold spaces: count
		// fields after the last ')'. utime and stime are fields 14 and 15.
		rest := string(b)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 13 {
			return cpuSample{}
		}
		ut, err1 := strconv.ParseUint(f[11], 10, 64)
		st, err2 := strconv.ParseUint(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return cpuSample{}
		}
		s.servers += time.Duration(ut+st) * clockTick
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuSample{}
	}
	s.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return cpuSample{}
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cpuSample{}
		}
		s.machTime += n
		if i != 3 && i != 4 { // idle, iowait
			s.machBusy += n
		}
	}
	s.ok = true
	return s
}

// cpuColumns formats the CPU spent per lifecycle between two samples by the
// servers and by the load generator, and how busy the machine was: a
// server far below the ceiling on a machine that idles is waiting on
// something serial, not short of CPU.
func cpuColumns(a, b cpuSample, lifecycles int) string {
	if !a.ok || !b.ok || lifecycles == 0 || b.machTime <= a.machTime {
		return fmt.Sprintf(" %11s %11s %5s", "-", "-", "-")
	}
	per := func(d time.Duration) string {
		return strconv.FormatInt(d.Microseconds()/int64(lifecycles), 10)
	}
	busy := 100 * float64(b.machBusy-a.machBusy) / float64(b.machTime-a.machTime)
	server := "-" // --target: the servers are not this bench's children
	if b.ownServers {
		server = per(b.servers - a.servers)
	}
	return fmt.Sprintf(" %11s %11s %4.0f%%", server, per(b.client-a.client), busy)
}
