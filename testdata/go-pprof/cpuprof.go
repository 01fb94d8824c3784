// cpuprof writes a Go CPU profile (runtime/pprof) of two busy functions,
// hot (about 3/4 of the work) and cold (about 1/4), to the file named by
// its first argument, for the pprof input tests of `stackfire diff`
// (tests/diff/check_diff_cli.py builds and runs it; see README.md here).
//
//	go build -o cpuprof cpuprof.go && ./cpuprof cpu.prof [ITERATIONS]
//	go tool pprof -proto cpu.prof > cpu.pb.gz
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
)

//go:noinline
func hot(n int, x uint64) uint64 {
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	return x
}

//go:noinline
func cold(n int, x uint64) uint64 {
	for i := 0; i < n; i++ {
		x = x*2862933555777941757 + 3037000493
		x ^= x >> 31
	}
	return x
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cpuprof OUT.prof [ITERATIONS]")
		os.Exit(2)
	}
	iterations := 300
	if len(os.Args) > 2 {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "ITERATIONS must be a positive number")
			os.Exit(2)
		}
		iterations = n
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// hot's work, then cold's, each in one stretch: alternating them every
	// few milliseconds would alias with the profiler's 10 ms clock (a
	// loaded run gave cold no sample at all).
	x := uint64(1)
	for i := 0; i < iterations; i++ {
		x = hot(3_000_000, x)
	}
	for i := 0; i < iterations; i++ {
		x = cold(1_000_000, x)
	}
	pprof.StopCPUProfile()
	f.Close()
	fmt.Println(x & 0xff)
}
