package main

import (
	"fmt"
	"strconv"
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

// machineCPU is the CPU the servers and the load generator together spent
// per lifecycle between two samples, in µs; false when it is not known
// (off Linux, or --target servers that are not this bench's children).
func machineCPU(a, b cpuSample, lifecycles int) (float64, bool) {
	if !a.ok || !b.ok || !b.ownServers || lifecycles == 0 {
		return 0, false
	}
	return float64((b.servers-a.servers)+(b.client-a.client)) / float64(time.Microsecond) / float64(lifecycles), true
}
