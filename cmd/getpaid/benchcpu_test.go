package main

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCPUColumns(t *testing.T) {
	t.Parallel()
	a := cpuSample{ok: true, ownServers: true, servers: time.Second, client: time.Second, machBusy: 100, machTime: 400}
	b := cpuSample{ok: true, ownServers: true, servers: 3 * time.Second, client: 1500 * time.Millisecond, machBusy: 250, machTime: 600}
	remote, remoteB := a, b
	remote.ownServers, remoteB.ownServers = false, false
	for _, tc := range []struct {
		name       string
		a, b       cpuSample
		lifecycles int
		want       []string
	}{
		{"per lifecycle and busy", a, b, 1000, []string{"2000", "500", "75%"}},
		{"servers not ours", remote, remoteB, 1000, []string{"-", "500", "75%"}},
		{"no lifecycles", a, b, 0, []string{"-", "-", "-"}},
		{"no /proc", cpuSample{}, b, 1000, []string{"-", "-", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := strings.Fields(cpuColumns(tc.a, tc.b, tc.lifecycles))
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("cpuColumns = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSampleCPUReadsProc(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	a := sampleCPU([]int{os.Getpid()})
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	b := sampleCPU([]int{os.Getpid()})
	if !a.ok || !b.ok {
		t.Fatal("sampleCPU could not read /proc")
	}
	if b.client <= a.client || b.machTime <= a.machTime || b.servers < a.servers {
		t.Errorf("CPU times did not advance: %+v then %+v", a, b)
	}
	if s := sampleCPU([]int{1 << 30}); s.ok {
		t.Error("a pid that does not exist gave a sample")
	}
}
