// Go peer: os/exec (see common.mjs in this folder for the contract).
//
//	go_exec MODE N HEAP_MB BUDGET_MS
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const nobody = 65534

var held [][]byte

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go peer: "+format+"\n", args...)
	os.Exit(1)
}

func statusKb(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := s.Text(); strings.HasPrefix(line, field+":") {
			v, _ := strconv.ParseInt(strings.Fields(line[len(field)+1:])[0], 10, 64)
			return v
		}
	}
	return -1
}

func growHeap(mb int64) {
	const chunk, page = 64 << 20, 4096
	for statusKb("VmRSS") < mb*1024 {
		b := make([]byte, chunk)
		for i := 0; i < chunk; i += page {
			b[i] = 1
		}
		held = append(held, b)
	}
}

func command(argv []string, drop bool) *exec.Cmd {
	c := exec.Command(argv[0], argv[1:]...)
	// *os.File values are passed to the child as they are (nil would open /dev/null).
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	if drop {
		// An empty, non-nil Groups list: setgroups(0) before setgid/setuid.
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	}
	return c
}

func capture(argv []string, drop bool) string {
	c := command(argv, drop)
	c.Stdout = nil
	out, err := c.Output()
	if err != nil {
		fail("%v: %v", argv, err)
	}
	return string(out)
}

func verifyDrop(status string) {
	ok := regexp.MustCompile(`(?m)^Uid:\t65534\t65534\t65534\t65534$`).MatchString(status) &&
		regexp.MustCompile(`(?m)^Gid:\t65534\t65534\t65534\t65534$`).MatchString(status) &&
		regexp.MustCompile(`(?m)^Groups:[ \t]*$`).MatchString(status)
	if !ok {
		fail("drop not applied; the child's status:\n%s", status)
	}
}

func main() {
	if len(os.Args) < 5 {
		fail("usage: go_exec seq|drop|conc|capture N HEAP_MB BUDGET_MS")
	}
	mode := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	heapMb, _ := strconv.ParseInt(os.Args[3], 10, 64)
	budgetMs, _ := strconv.ParseInt(os.Args[4], 10, 64)
	budget := time.Duration(budgetMs) * time.Millisecond
	drop := mode == "drop"

	growHeap(heapMb)
	rss := statusKb("VmRSS")
	if drop {
		verifyDrop(capture([]string{"/bin/cat", "/proc/self/status"}, true))
	}
	trueArgv := []string{"/bin/true"}
	var times []time.Duration
	var total time.Duration
	switch mode {
	case "conc":
		t0 := time.Now()
		cmds := make([]*exec.Cmd, n)
		for i := range cmds {
			cmds[i] = command(trueArgv, false)
			if err := cmds[i].Start(); err != nil {
				fail("start: %v", err)
			}
		}
		for _, c := range cmds {
			if err := c.Wait(); err != nil {
				fail("wait: %v", err)
			}
		}
		total = time.Since(t0)
		times = append(times, total)
	case "seq", "drop", "capture":
		once := func() {
			if mode == "capture" {
				if out := capture([]string{"/bin/echo", "hello"}, false); out != "hello\n" {
					fail("unexpected output %q", out)
				}
			} else if err := command(trueArgv, drop).Run(); err != nil {
				fail("run: %v", err)
			}
		}
		w0 := time.Now()
		for i := 0; i < 10 && time.Since(w0) < budget/4; i++ {
			once()
		}
		t0 := time.Now()
		for len(times) < n {
			a := time.Now()
			once()
			times = append(times, time.Since(a))
			if time.Since(t0) > budget && len(times) >= 3 {
				break
			}
		}
		total = time.Since(t0)
	default:
		fail("unknown mode %s", mode)
	}
	done := len(times)
	if mode == "conc" {
		done = n
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	out, _ := json.Marshal(map[string]interface{}{
		"mode": mode, "n": done, "totalNs": total.Nanoseconds(), "medianNs": times[len(times)/2].Nanoseconds(),
		"rssKb": rss, "hwmKb": statusKb("VmHWM"),
	})
	fmt.Println(string(out))
}
