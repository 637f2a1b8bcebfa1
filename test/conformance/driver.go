// The Go side of the conformance suite: starts the probe with os/exec and
// syscall.SysProcAttr from a case written in procctl's option names, waits for
// it, and writes what happened as JSON.
//
//	driver SPEC.json RESULT.json
//
// SPEC: {"file", "args", "options": {procctl options}, "fixtures": {...}}.
// Each procctl option maps to what a Go program writes for the same effect: a
// SysProcAttr field (setsid -> Setsid, user -> Credential, ...), a Cmd field
// (cwd -> Dir, env -> Env, stdio -> Stdin/Stdout/Stderr/ExtraFiles), or, where
// Go has no field, the parent state Go programs set on themselves before Start
// (umask -> syscall.Umask, rlimits -> Setrlimit, noNewPrivs -> prctl on the
// locked OS thread that forks). An option with no mapping is an error, never
// silently dropped.
//
// Written for Go 1.19 (Debian bookworm's golang-go). SysProcAttr fields added
// later and not used here: UseCgroupFD/CgroupFD (1.20), PidFD (1.22). procctl
// options with no Go 1.19 counterpart (cgroup, hostname, the bounding set,
// scheduling's resetOnFork) are left out of the Go side by their cases
// (cases.cjs `procctlOnly`); given here anyway, they stop the run.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

type spec struct {
	File     string                     `json:"file"`
	Args     []string                   `json:"args"`
	Options  map[string]json.RawMessage `json:"options"`
	Fixtures map[string]string          `json:"fixtures"`
}

type result struct {
	Started bool           `json:"started"`
	Errno   *int           `json:"errno,omitempty"` // 0 too: Go 1.19 can report errno 0
	Error   string         `json:"error,omitempty"`
	Code    string         `json:"code,omitempty"`
	Exit    *exitStatus    `json:"exit,omitempty"`
	Pids    map[string]int `json:"pids"`
}

type exitStatus struct {
	Code   int    `json:"code"`
	Signal string `json:"signal,omitempty"`
}

var signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT,
	"SIGKILL": syscall.SIGKILL, "SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2,
	"SIGPIPE": syscall.SIGPIPE, "SIGALRM": syscall.SIGALRM, "SIGTERM": syscall.SIGTERM,
	"SIGCHLD": syscall.SIGCHLD, "SIGCONT": syscall.SIGCONT, "SIGSTOP": syscall.SIGSTOP,
	"SIGTSTP": syscall.SIGTSTP, "SIGTTIN": syscall.SIGTTIN, "SIGTTOU": syscall.SIGTTOU,
}

var rlimitResources = map[string]int{
	"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6, "nofile": 7,
	"memlock": 8, "as": 9, "locks": 10, "sigpending": 11, "msgqueue": 12, "nice": 13,
	"rtprio": 14, "rttime": 15,
}

var cloneFlags = map[string]uintptr{
	"pid": syscall.CLONE_NEWPID, "mount": syscall.CLONE_NEWNS, "net": syscall.CLONE_NEWNET,
	"uts": syscall.CLONE_NEWUTS, "ipc": syscall.CLONE_NEWIPC, "user": syscall.CLONE_NEWUSER,
	"cgroup": 0x02000000, // CLONE_NEWCGROUP (not in Go 1.19's syscall)
}

var schedPolicies = map[string]uintptr{"other": 0, "fifo": 1, "rr": 2, "batch": 3, "idle": 5}

var ioprioClasses = map[string]int{"realtime": 1, "best-effort": 2, "idle": 3}

// capNumber: a capability as procctl names it ('CAP_NET_BIND_SERVICE',
// 'net_bind_service'), by linux/capability.h's number.
func capNumber(name string) uintptr {
	key := strings.TrimPrefix(strings.ToLower(name), "cap_")
	for i, c := range capNames {
		if c == key {
			return uintptr(i)
		}
	}
	panic("capability " + name)
}

var capNames = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

func idMappings(raw json.RawMessage, name string) []syscall.SysProcIDMap {
	var list []struct{ Inside, Outside, Count int }
	decode(raw, &list, name)
	out := []syscall.SysProcIDMap{}
	for _, m := range list {
		out = append(out, syscall.SysProcIDMap{ContainerID: m.Inside, HostID: m.Outside, Size: m.Count})
	}
	return out
}

// startError carries the errno a refusal is compared by.
type startError struct {
	errno syscall.Errno
	err   error
}

func (e *startError) Error() string { return e.err.Error() }

func errnoOf(err error) (syscall.Errno, bool) {
	var se *startError
	if errors.As(err, &se) {
		return se.errno, true
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en, true
	}
	// exec.Command's PATH search (LookPath, for a name without a slash) reports
	// fs errors and ErrNotFound without an errno.
	switch {
	case errors.Is(err, fs.ErrPermission):
		return syscall.EACCES, true
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, exec.ErrNotFound):
		return syscall.ENOENT, true
	}
	return 0, false
}

func must(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("%s: %v", what, err))
	}
}

func decode(raw json.RawMessage, v interface{}, name string) {
	must(json.Unmarshal(raw, v), "options."+name)
}

// envList keeps an object's key order, as procctl's driver passes it.
func envList(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	_, err := dec.Token()
	must(err, "options.env")
	out := []string{}
	for dec.More() {
		k, err := dec.Token()
		must(err, "options.env key")
		var v string
		must(dec.Decode(&v), "options.env value")
		out = append(out, k.(string)+"="+v)
	}
	return out
}

func lookupUser(v interface{}) *user.User {
	s := fmt.Sprint(v)
	u, err := user.Lookup(s)
	if err != nil {
		u, err = user.LookupId(s)
	}
	must(err, "user "+s)
	return u
}

func lookupGroup(v interface{}) uint32 {
	s := fmt.Sprint(v)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return uint32(n)
	}
	g, err := user.LookupGroup(s)
	must(err, "group "+s)
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	must(err, "gid")
	return uint32(n)
}

func atou(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	must(err, "id "+s)
	return uint32(n)
}

// credential maps user/group/groups as procctl resolves them: user alone sets
// the passwd gid and clears the supplementary groups (Go's setgroups(0) when
// Groups is empty); group or groups alone keep the current uid (and gid).
func credential(opts map[string]json.RawMessage) *syscall.Credential {
	_, hasUser := opts["user"]
	_, hasGroup := opts["group"]
	_, hasGroups := opts["groups"]
	if !hasUser && !hasGroup && !hasGroups {
		return nil
	}
	cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
	var u *user.User
	if hasUser {
		var v interface{}
		decode(opts["user"], &v, "user")
		u = lookupUser(v)
		cred.Uid, cred.Gid = atou(u.Uid), atou(u.Gid)
	}
	if hasGroup {
		var v interface{}
		decode(opts["group"], &v, "group")
		cred.Gid = lookupGroup(v)
	}
	if hasGroups {
		var v interface{}
		decode(opts["groups"], &v, "groups")
		switch g := v.(type) {
		case string:
			switch g {
			case "init":
				ids, err := u.GroupIds()
				must(err, "GroupIds")
				for _, id := range ids {
					cred.Groups = append(cred.Groups, atou(id))
				}
			case "keep":
				cred.NoSetGroups = true
			default:
				panic("options.groups: " + g)
			}
		case []interface{}:
			cred.Groups = []uint32{}
			for _, x := range g {
				cred.Groups = append(cred.Groups, lookupGroup(x))
			}
		}
	} else if !hasUser {
		// procctl changes no supplementary group unless user or groups is given.
		cred.NoSetGroups = true
	}
	return cred
}

// fixtureArg resolves "$name" to a fixture's pid.
func fixtureArg(raw json.RawMessage, pids map[string]int, name string) int {
	var v interface{}
	decode(raw, &v, name)
	switch x := v.(type) {
	case float64:
		return int(x)
	case string:
		if pid, ok := pids[strings.TrimPrefix(x, "$")]; ok && strings.HasPrefix(x, "$") {
			return pid
		}
	}
	panic(fmt.Sprintf("options.%s: %s", name, raw))
}

func startFixtures(fixtures map[string]string, pids map[string]int) []*exec.Cmd {
	var cmds []*exec.Cmd
	for name, kind := range fixtures {
		c := exec.Command("/bin/sleep", "1000")
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		switch kind {
		case "group":
			c.SysProcAttr.Setpgid = true
		case "session":
			c.SysProcAttr.Setsid = true
		default:
			panic("fixture " + kind)
		}
		must(c.Start(), "fixture "+name)
		pids[name] = c.Process.Pid
		cmds = append(cmds, c)
	}
	return cmds
}

// One stdio entry: a word ('pipe', 'inherit', 'ignore'), {fd: N} (the driver's
// inherited fd N), or {file, flags} (opened here); all empty: null.
type rawStdio struct {
	word string
	obj  *struct {
		Fd    *int   `json:"fd"`
		Path  string `json:"file"`
		Flags string `json:"flags"`
	}
}

func parseStdio(raw json.RawMessage) []rawStdio {
	var word string
	if json.Unmarshal(raw, &word) == nil {
		return []rawStdio{{word: word}, {word: word}, {word: word}}
	}
	var entries []json.RawMessage
	must(json.Unmarshal(raw, &entries), "options.stdio")
	out := make([]rawStdio, len(entries))
	for i, e := range entries {
		if string(e) == "null" {
			continue
		}
		if json.Unmarshal(e, &out[i].word) == nil {
			continue
		}
		must(json.Unmarshal(e, &out[i].obj), "options.stdio entry")
	}
	return out
}

var openFlags = map[string]int{
	"r": os.O_RDONLY, "r+": os.O_RDWR, "w": os.O_WRONLY | os.O_CREATE | os.O_TRUNC,
	"a": os.O_WRONLY | os.O_CREATE | os.O_APPEND,
}

// stdio fills Stdin/Stdout/Stderr/ExtraFiles; it returns, by child fd, the
// parent's fd number (Foreground's Ctty is a parent fd), and the parent ends of
// socketpairs, held open until the probe has exited (as procctl's driver does).
func stdio(cmd *exec.Cmd, raw json.RawMessage) (map[int]int, []int) {
	// No stdio option, or a null entry, is what a Go program gets by leaving the
	// field alone (the null device for 0..2), not procctl's 'pipe' default: the
	// defaults are compared as such.
	var entries []rawStdio
	if raw != nil {
		entries = parseStdio(raw)
	}
	for len(entries) < 3 {
		entries = append(entries, rawStdio{})
	}
	parentFd := map[int]int{}
	var held []int
	std := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	for i, e := range entries {
		var f *os.File
		word := e.word
		switch {
		case word == "inherit":
			if i <= 2 {
				f = std[i]
			} else {
				f = os.NewFile(uintptr(i), "inherited")
			}
		case word == "ignore":
			if i > 2 {
				var err error
				f, err = os.OpenFile(os.DevNull, os.O_RDWR, 0)
				must(err, "/dev/null")
			} // 0..2: nil, os/exec opens the null device itself
		case word == "pipe":
			switch i {
			case 0:
				_, err := cmd.StdinPipe()
				must(err, "StdinPipe")
			case 1:
				_, err := cmd.StdoutPipe()
				must(err, "StdoutPipe")
			case 2:
				_, err := cmd.StderrPipe()
				must(err, "StderrPipe")
			default:
				// procctl's 'pipe' above 2 is a socketpair.
				sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
				must(err, "socketpair")
				f = os.NewFile(uintptr(sp[1]), "socketpair")
				held = append(held, sp[0])
			}
			if i <= 2 {
				continue
			}
		case e.obj != nil && e.obj.Fd != nil:
			f = os.NewFile(uintptr(*e.obj.Fd), "fd")
		case e.obj != nil:
			flags, ok := openFlags[e.obj.Flags]
			if !ok {
				panic("stdio flags " + e.obj.Flags)
			}
			var err error
			f, err = os.OpenFile(e.obj.Path, flags, 0644)
			must(err, e.obj.Path)
		}
		if f != nil {
			parentFd[i] = int(f.Fd())
		}
		switch i {
		case 0:
			if f != nil {
				cmd.Stdin = f
			}
		case 1:
			if f != nil {
				cmd.Stdout = f
			}
		case 2:
			if f != nil {
				cmd.Stderr = f
			}
		default:
			cmd.ExtraFiles = append(cmd.ExtraFiles, f)
		}
	}
	return parentFd, held
}

func rlimitValue(v interface{}) uint64 {
	switch x := v.(type) {
	case float64:
		return uint64(x)
	case string:
		if x == "Infinity" {
			return ^uint64(0)
		}
	}
	panic(fmt.Sprintf("rlimit value %v", v))
}

func run(s *spec, res *result) error {
	// One OS thread for the fixtures, the prctls and the fork: a parent-death
	// signal follows the creating thread (go.dev/issue/27505), no_new_privs is
	// per thread.
	runtime.LockOSThread()
	pids := res.Pids
	for _, c := range startFixtures(s.Fixtures, pids) {
		c := c
		defer func() {
			c.Process.Kill()
			c.Wait()
		}()
	}

	cmd := exec.Command(s.File, s.Args...)
	sys := &syscall.SysProcAttr{}
	opts := s.Options
	parentFd, held := stdio(cmd, opts["stdio"])
	defer func() {
		for _, fd := range held {
			syscall.Close(fd)
		}
	}()
	sys.Credential = credential(opts)

	for name, raw := range opts {
		switch name {
		case "stdio", "user", "group", "groups":
			// above
		case "argv0":
			decode(raw, &cmd.Args[0], name)
		case "env":
			cmd.Env = envList(raw)
		case "cwd":
			decode(raw, &cmd.Dir, name)
		case "setsid":
			decode(raw, &sys.Setsid, name)
		case "processGroup":
			sys.Setpgid = true
			sys.Pgid = fixtureArg(raw, pids, name)
		case "controllingTerminal":
			sys.Setctty = true
			decode(raw, &sys.Ctty, name) // a child fd for Setctty
		case "foregroundTerminal":
			var fd int
			decode(raw, &fd, name)
			sys.Foreground = true
			sys.Ctty = parentFd[fd] // a parent fd for Foreground
		case "noControllingTerminal":
			decode(raw, &sys.Noctty, name)
		case "parentDeathSignal":
			var sig string
			decode(raw, &sig, name)
			n, ok := signals[sig]
			if !ok {
				panic("signal " + sig)
			}
			sys.Pdeathsig = n
		case "umask":
			var m int
			decode(raw, &m, name)
			syscall.Umask(m)
		case "rlimits":
			var lims map[string]interface{}
			decode(raw, &lims, name)
			for key, v := range lims {
				soft, hard := v, v
				if pair, ok := v.([]interface{}); ok {
					soft, hard = pair[0], pair[1]
				}
				lim := syscall.Rlimit{Cur: rlimitValue(soft), Max: rlimitValue(hard)}
				if err := syscall.Setrlimit(rlimitResources[key], &lim); err != nil {
					return &startError{err.(syscall.Errno), fmt.Errorf("setrlimit %s: %w", key, err)}
				}
			}
		case "allowRelativePath":
			// Go's documented way to accept a program found through a relative
			// PATH entry: clear ErrDot from cmd.Err.
			var on bool
			decode(raw, &on, name)
			if on && errors.Is(cmd.Err, exec.ErrDot) {
				cmd.Err = nil
			}
		case "capabilities":
			var c struct {
				Ambient  []string        `json:"ambient"`
				Bounding json.RawMessage `json:"bounding"`
			}
			decode(raw, &c, name)
			if c.Bounding != nil {
				panic("options.capabilities.bounding: Go 1.19 has no bounding-set field (procctl-only)")
			}
			for _, n := range c.Ambient {
				sys.AmbientCaps = append(sys.AmbientCaps, capNumber(n))
			}
		case "namespaces":
			var list []string
			decode(raw, &list, name)
			for _, n := range list {
				flag, ok := cloneFlags[n]
				if !ok {
					panic("namespace " + n)
				}
				sys.Cloneflags |= flag
			}
		case "uidMap":
			sys.UidMappings = idMappings(raw, name)
		case "gidMap":
			sys.GidMappings = idMappings(raw, name)
		case "userNamespaceSetgroups":
			decode(raw, &sys.GidMappingsEnableSetgroups, name)
		case "chroot":
			decode(raw, &sys.Chroot, name)
		// Placement has no SysProcAttr field: a Go program sets it on the OS
		// thread that forks (nice, policy, affinity and I/O priority are per
		// thread on Linux and inherited by fork) or on itself (oom_score_adj is
		// per process), before Start, as for umask and rlimits above.
		case "nice":
			var n int
			decode(raw, &n, name)
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, n); err != nil {
				return &startError{err.(syscall.Errno), fmt.Errorf("setpriority: %w", err)}
			}
		case "scheduling":
			var sc struct {
				Policy      string `json:"policy"`
				Priority    int    `json:"priority"`
				ResetOnFork bool   `json:"resetOnFork"`
			}
			decode(raw, &sc, name)
			if sc.ResetOnFork {
				// Set on the forking thread, it would be reset in the child by the fork itself.
				panic("options.scheduling.resetOnFork: no Go counterpart (procctl-only)")
			}
			policy, ok := schedPolicies[sc.Policy]
			if !ok {
				panic("scheduling policy " + sc.Policy)
			}
			param := int32(sc.Priority)
			if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, policy, uintptr(unsafe.Pointer(&param))); e != 0 {
				return &startError{e, fmt.Errorf("sched_setscheduler: %w", e)}
			}
		case "cpuAffinity":
			var cpus []int
			decode(raw, &cpus, name)
			var mask [1024 / 64]uint64
			for _, c := range cpus {
				if c >= len(mask)*64 {
					return &startError{syscall.EINVAL, fmt.Errorf("cpu %d", c)}
				}
				mask[c/64] |= 1 << (c % 64)
			}
			if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0]))); e != 0 {
				return &startError{e, fmt.Errorf("sched_setaffinity: %w", e)}
			}
		case "ioPriority":
			var io struct {
				Class string `json:"class"`
				Level *int   `json:"level"`
			}
			decode(raw, &io, name)
			class, ok := ioprioClasses[io.Class]
			if !ok {
				panic("ioPriority class " + io.Class)
			}
			level := 4 // ionice's default level
			if class == 3 {
				level = 0
			}
			if io.Level != nil {
				level = *io.Level
			}
			if _, _, e := syscall.RawSyscall(syscall.SYS_IOPRIO_SET, 1 /* IOPRIO_WHO_PROCESS */, 0, uintptr(class<<13|level)); e != 0 {
				return &startError{e, fmt.Errorf("ioprio_set: %w", e)}
			}
		case "oomScoreAdj":
			var n int
			decode(raw, &n, name)
			if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(n)), 0); err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					if en, ok := pe.Err.(syscall.Errno); ok {
						return &startError{en, err}
					}
				}
				return err
			}
		case "noNewPrivs":
			var on bool
			decode(raw, &on, name)
			if on {
				if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0, 0); e != 0 {
					return &startError{e, fmt.Errorf("prctl: %w", e)}
				}
			}
		default:
			panic("no Go mapping for option " + name)
		}
	}
	cmd.SysProcAttr = sys

	if err := cmd.Start(); err != nil {
		return err
	}
	pids["probe"] = cmd.Process.Pid
	res.Started = true
	err := cmd.Wait()
	st := cmd.ProcessState.Sys().(syscall.WaitStatus)
	res.Exit = &exitStatus{Code: st.ExitStatus()}
	if st.Signaled() {
		res.Exit.Signal = unix2name(st.Signal())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err
	}
	return nil
}

func unix2name(s syscall.Signal) string {
	for name, n := range signals {
		if n == s {
			return name
		}
	}
	return strconv.Itoa(int(s))
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: driver SPEC.json RESULT.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	must(err, "spec")
	var s spec
	must(json.Unmarshal(raw, &s), "spec")
	res := &result{Pids: map[string]int{"driver": os.Getpid()}}
	if err := run(&s, res); err != nil {
		res.Error = err.Error()
		if errors.Is(err, exec.ErrDot) {
			// No errno: compared by procctl's code for the same refusal.
			res.Code = "ERR_RELATIVE_PATH_LOOKUP"
		} else if n, ok := errnoOf(err); ok {
			e := int(n)
			res.Errno = &e
		}
	}
	out, err := json.Marshal(res)
	must(err, "result")
	must(os.WriteFile(os.Args[2], out, 0644), "result")
}
