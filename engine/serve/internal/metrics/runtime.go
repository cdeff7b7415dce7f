package metrics

import (
	"bytes"
	"os"
	"runtime"
	rm "runtime/metrics"
	"strconv"
	"strings"
	"syscall"
)

// runtimeFamilies are the Go runtime's and the process's figures under
// the names the Prometheus client gives them, read at each scrape.
func runtimeFamilies() []family {
	samples := []rm.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/sched/gomaxprocs:threads"},
	}
	rm.Read(samples)
	get := func(i int) func() (float64, bool) {
		return func() (float64, bool) {
			switch samples[i].Value.Kind() {
			case rm.KindUint64:
				return float64(samples[i].Value.Uint64()), true
			case rm.KindFloat64:
				return samples[i].Value.Float64(), true
			}
			return 0, false // not known to this Go version
		}
	}
	proc := readProc()
	fams := []family{
		&value{desc: desc{fqName: "go_goroutines", help: "Number of goroutines that currently exist.", kind: "gauge"}, read: get(0)},
		&value{desc: desc{fqName: "go_memstats_heap_alloc_bytes", help: "Number of heap bytes allocated and currently in use.", kind: "gauge"}, read: get(1)},
		&value{desc: desc{fqName: "go_memstats_sys_bytes", help: "Number of bytes obtained from system.", kind: "gauge"}, read: get(2)},
		&value{desc: desc{fqName: "go_gc_heap_goal_bytes", help: "Heap size target for the end of the GC cycle.", kind: "gauge"}, read: get(3)},
		&value{desc: desc{fqName: "go_gc_cycles_total", help: "Count of all completed GC cycles.", kind: "counter"}, read: get(4)},
		&value{desc: desc{fqName: "go_sched_gomaxprocs_threads", help: "The current runtime.GOMAXPROCS setting.", kind: "gauge"}, read: get(5)},
		&value{desc: desc{fqName: "go_info", help: "Information about the Go environment.", kind: "gauge", labels: []string{"version"}},
			labelValues: []string{runtime.Version()}, read: func() (float64, bool) { return 1, true }},
	}
	for _, p := range proc {
		fams = append(fams, p)
	}
	return fams
}

// clockTicks is USER_HZ, which Linux has fixed at 100 on every
// architecture Go supports (the Prometheus client assumes the same).
const clockTicks = 100

// readProc reads the process's figures from /proc (Linux); elsewhere, or
// when /proc cannot be read, there are none.
func readProc() []*value {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return nil
	}
	// The fields after the command name, which is in parentheses and may
	// hold anything: state is field 3 of proc(5).
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	f := strings.Fields(string(stat[i+1:]))
	field := func(n int) (float64, bool) { // n: the field's number in proc(5)
		if n-3 >= len(f) {
			return 0, false
		}
		v, err := strconv.ParseFloat(f[n-3], 64)
		return v, err == nil
	}
	var out []*value
	add := func(name, help, kind string, v float64, ok bool) {
		if ok {
			out = append(out, &value{desc: desc{fqName: name, help: help, kind: kind}, read: func() (float64, bool) { return v, true }})
		}
	}
	utime, ok1 := field(14)
	stime, ok2 := field(15)
	add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", (utime+stime)/clockTicks, ok1 && ok2)
	vsize, ok := field(23)
	add("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", vsize, ok)
	rss, ok := field(24)
	add("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", rss*float64(os.Getpagesize()), ok)
	if start, ok := field(22); ok {
		if boot, ok := bootTime(); ok {
			add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", boot+start/clockTicks, true)
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		add("process_open_fds", "Number of open file descriptors.", "gauge", float64(len(fds)), true)
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		add("process_max_fds", "Maximum number of open file descriptors.", "gauge", float64(lim.Cur), true)
	}
	return out
}

// bootTime is btime of /proc/stat: when the system booted, in seconds
// since the epoch.
func bootTime() (float64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}
