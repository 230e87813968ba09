//go:build unix

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sampleCPU reads where CPU time stands (see cpuSample); it is empty where
// /proc is missing (every Unix but Linux).
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
	// user nice system idle iowait irq softirq steal; guest and
	// guest_nice that may follow are counted in user and nice already.
	for i, v := range f[1:min(len(f), 9)] {
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
