//go:build !unix

package main

// sampleCPU is empty without /proc and getrusage: the bench prints "-" for
// the CPU columns.
func sampleCPU([]int) cpuSample { return cpuSample{} }
