// Rust peer: std::process::Command (see common.mjs in this folder for the contract).
//
//   rust_command MODE N HEAP_MB BUDGET_MS
use std::os::unix::process::CommandExt;
use std::process::{exit, Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;

fn fail(msg: &str) -> ! {
    eprintln!("rust peer: {msg}");
    exit(1)
}

fn status_kb(field: &str) -> i64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(field).and_then(|r| r.strip_prefix(':')) {
            return rest.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(-1);
        }
    }
    -1
}

fn grow_heap(mb: i64, held: &mut Vec<Vec<u8>>) {
    const CHUNK: usize = 64 << 20;
    const PAGE: usize = 4096;
    while status_kb("VmRSS") < mb * 1024 {
        let mut b = vec![0u8; CHUNK];
        for i in (0..CHUNK).step_by(PAGE) {
            b[i] = 1;
        }
        held.push(b);
    }
}

fn command(argv: &[&str], drop: bool) -> Command {
    let mut c = Command::new(argv[0]);
    c.args(&argv[1..]);
    if drop {
        // As root, std also calls setgroups(0, NULL) when a uid is set.
        c.uid(NOBODY).gid(NOBODY);
    }
    c
}

fn capture(argv: &[&str], drop: bool) -> String {
    let out = command(argv, drop).output().unwrap_or_else(|e| fail(&format!("{argv:?}: {e}")));
    if !out.status.success() {
        fail(&format!("{argv:?}: {}", out.status));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has_line(text: &str, want: &str) -> bool {
    text.lines().any(|l| l == want)
}

fn verify_drop(status: &str) {
    let ok = has_line(status, "Uid:\t65534\t65534\t65534\t65534")
        && has_line(status, "Gid:\t65534\t65534\t65534\t65534")
        && status.lines().any(|l| l.strip_prefix("Groups:").map_or(false, |r| r.trim().is_empty()));
    if !ok {
        fail(&format!("drop not applied; the child's status:\n{status}"));
    }
}

fn run_true(drop: bool) {
    match command(&["/bin/true"], drop).status() {
        Ok(s) if s.success() => {}
        other => fail(&format!("/bin/true: {other:?}")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        fail("usage: rust_command seq|drop|conc|capture N HEAP_MB BUDGET_MS");
    }
    let mode = args[1].as_str();
    let n: usize = args[2].parse().unwrap_or(0);
    let heap_mb: i64 = args[3].parse().unwrap_or(0);
    let budget = Duration::from_millis(args[4].parse().unwrap_or(0));
    let drop = mode == "drop";

    let mut held = Vec::new();
    grow_heap(heap_mb, &mut held);
    let rss = status_kb("VmRSS");
    if drop {
        verify_drop(&capture(&["/bin/cat", "/proc/self/status"], true));
    }
    let mut times: Vec<Duration> = Vec::new();
    let total;
    let mut done = 0;
    match mode {
        "conc" => {
            let t0 = Instant::now();
            let children: Vec<Child> = (0..n)
                .map(|_| command(&["/bin/true"], false).stdin(Stdio::inherit()).spawn().unwrap_or_else(|e| fail(&format!("spawn: {e}"))))
                .collect();
            for mut c in children {
                if !c.wait().map(|s| s.success()).unwrap_or(false) {
                    fail("a child failed");
                }
            }
            total = t0.elapsed();
            times.push(total);
            done = n;
        }
        "seq" | "drop" | "capture" => {
            let once = || {
                if mode == "capture" {
                    let out = capture(&["/bin/echo", "hello"], false);
                    if out != "hello\n" {
                        fail(&format!("unexpected output {out:?}"));
                    }
                } else {
                    run_true(drop);
                }
            };
            let w0 = Instant::now();
            let mut i = 0;
            while i < 10 && w0.elapsed() < budget / 4 {
                once();
                i += 1;
            }
            let t0 = Instant::now();
            while done < n {
                let a = Instant::now();
                once();
                times.push(a.elapsed());
                done += 1;
                if t0.elapsed() > budget && done >= 3 {
                    break;
                }
            }
            total = t0.elapsed();
        }
        _ => fail(&format!("unknown mode {mode}")),
    }
    times.sort();
    println!(
        "{{\"mode\":\"{mode}\",\"n\":{done},\"totalNs\":{},\"medianNs\":{},\"rssKb\":{rss},\"hwmKb\":{}}}",
        total.as_nanos(),
        times[times.len() / 2].as_nanos(),
        status_kb("VmHWM")
    );
    std::mem::drop(held);
}
