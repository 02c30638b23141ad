//! Replays a nick-tracker trace (benches/trace/FORMAT.md) on the Rust core, `NickTracker`.
//!
//! ```sh
//! cargo bench --bench replay -- --trace TRACE [--runs K] [--wait]   # or NICK_TRACKER_TRACE=TRACE
//! ```
//!
//! The file is read and parsed into memory first (nicks are slices of the file's text, and
//! each peerlist is packed into one buffer, every nick followed by a NUL, as a client holds
//! a peerlist it received); only the replay is timed. Each sync hands the raw buffer to
//! `sync_peerlist_bytes`, as the C ABI does, so validating it is part of the timed work.
//! Each run uses a fresh tracker and prints one JSON line. Without a trace (as under a plain
//! `cargo bench` or `cargo test --all-targets`) it replays a small built-in trace and checks
//! the results instead, so the target always does something useful.
//!
//! With `--wait` (used by run.py to interleave implementations) it prints `{"ready": true}`
//! once the trace is parsed, then reads one line from stdin before each run, stopping at EOF.
//!
//! Only the `core_api` module below touches the library's API: when the core API changes,
//! that module is the one thing to update.

use std::time::Instant;

/// The one place that uses `nick_tracker`'s Rust API. Everything else sees `Tracker`, whose
/// methods take plain `&str` nicks (valid by construction: the parser checks them) and report
/// departures through `on_leave`, in the order the tracker reports them.
mod core_api {
    use nick_tracker::{Events, Nick, NickTracker};

    pub struct Tracker {
        inner: NickTracker,
    }

    fn nick(name: &str) -> Nick<'_> {
        Nick::new(name).expect("the trace parser only accepts valid nicks")
    }

    /// Passes the nicks of the leave events on; join events are not observable through the
    /// other replayers' APIs, so they are not part of the checksum.
    fn leaves(events: &Events, on_leave: &mut impl FnMut(&str)) {
        for event in events.iter() {
            if event.is_leave() {
                on_leave(event.nick);
            }
        }
    }

    impl Tracker {
        pub fn new() -> Self {
            Tracker {
                inner: NickTracker::new(),
            }
        }

        pub fn update(
            &mut self,
            name: &str,
            directory: u64,
            present: bool,
            on_leave: &mut impl FnMut(&str),
        ) {
            let events = self.inner.update(nick(name), directory, present);
            leaves(events.expect("no limits are set"), on_leave);
        }

        /// `packed`: every nick followed by a NUL, validated by the tracker as it syncs.
        pub fn sync(&mut self, directory: u64, packed: &[u8], on_leave: &mut impl FnMut(&str)) {
            let events = self.inner.sync_peerlist_bytes(directory, packed);
            leaves(
                events.expect("valid nicks (the parser checks them) and no limits"),
                on_leave,
            );
        }

        pub fn remove(&mut self, directory: u64, on_leave: &mut impl FnMut(&str)) {
            if let Some(events) = self.inner.remove_directory(directory) {
                leaves(events, on_leave);
            }
        }

        pub fn is_active(&self, name: &str) -> bool {
            self.inner.is_active(name)
        }

        /// Replaces `out` with the directories reporting `name` present, in the tracker's order.
        pub fn active_directories(&self, name: &str, out: &mut Vec<u64>) {
            out.clear();
            out.extend(self.inner.active_directories(name));
        }

        pub fn active_count(&self) -> usize {
            self.inner.len()
        }
    }
}

const HEADER: &str = "nick-tracker-trace\t1";
const MAX_NICK_LEN: usize = 256;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

enum Op<'t> {
    Update {
        nick: &'t str,
        directory: u64,
        present: bool,
    },
    Sync {
        directory: u64,
        /// Every nick followed by a NUL.
        packed: Vec<u8>,
    },
    Remove {
        directory: u64,
    },
    IsActive {
        nick: &'t str,
    },
    ActiveDirectories {
        nick: &'t str,
    },
    ActiveCount,
}

struct Trace<'t> {
    ops: Vec<Op<'t>>,
    nick_refs: u64,
}

fn parse(text: &str) -> Result<Trace<'_>, String> {
    let mut lines = text.split('\n').enumerate();
    match lines.next() {
        Some((_, HEADER)) => {}
        _ => return Err(format!("line 1: expected the header {HEADER:?}")),
    }
    let mut ops = Vec::new();
    let mut nick_refs = 0;
    for (index, line) in lines {
        let fail = |what: &str| format!("line {}: {what}", index + 1);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let op = fields.next().unwrap_or_default();
        let args: Vec<&str> = if op == "sync" {
            Vec::new()
        } else {
            fields.by_ref().collect()
        };
        let op = match (op, args.as_slice()) {
            ("sync", _) => {
                let directory = directory(fields.next()).ok_or_else(|| fail("bad directory"))?;
                let count: usize = fields
                    .next()
                    .filter(|f| is_decimal(f))
                    .and_then(|f| f.parse().ok())
                    .ok_or_else(|| fail("bad count"))?;
                let mut packed = Vec::new();
                let mut listed = 0;
                for field in fields {
                    packed.extend_from_slice(
                        valid_nick(field)
                            .ok_or_else(|| fail("bad nick"))?
                            .as_bytes(),
                    );
                    packed.push(0);
                    listed += 1;
                }
                if listed != count {
                    return Err(fail("count does not match the nicks"));
                }
                nick_refs += count as u64;
                Op::Sync { directory, packed }
            }
            ("update", &[nick, dir, present]) => Op::Update {
                nick: valid_nick(nick).ok_or_else(|| fail("bad nick"))?,
                directory: directory(Some(dir)).ok_or_else(|| fail("bad directory"))?,
                present: match present {
                    "0" => false,
                    "1" => true,
                    _ => return Err(fail("present must be 0 or 1")),
                },
            },
            ("remove", &[dir]) => Op::Remove {
                directory: directory(Some(dir)).ok_or_else(|| fail("bad directory"))?,
            },
            ("is_active", &[nick]) => Op::IsActive {
                nick: valid_nick(nick).ok_or_else(|| fail("bad nick"))?,
            },
            ("active_directories", &[nick]) => Op::ActiveDirectories {
                nick: valid_nick(nick).ok_or_else(|| fail("bad nick"))?,
            },
            ("active_count", &[]) => Op::ActiveCount,
            ("update" | "remove" | "is_active" | "active_directories" | "active_count", _) => {
                return Err(fail(&format!("wrong number of fields for {op}")));
            }
            _ => return Err(fail(&format!("unknown operation {op:?}"))),
        };
        ops.push(op);
    }
    Ok(Trace { ops, nick_refs })
}

fn is_decimal(field: &str) -> bool {
    !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit())
}

fn directory(field: Option<&str>) -> Option<u64> {
    field.filter(|f| is_decimal(f))?.parse().ok()
}

fn valid_nick(field: &str) -> Option<&str> {
    (!field.is_empty() && field.len() <= MAX_NICK_LEN && !field.contains('\0')).then_some(field)
}

/// What one replay observed (FORMAT.md, "Checksum").
struct Checksum {
    leaves: u64,
    leaves_fnv: u64,
    active_true: u64,
    active_fnv: u64,
    dirs_total: u64,
    dirs_fnv: u64,
    count_sum: u64,
    count_fnv: u64,
}

fn fnv(mut state: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        state = (state ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
    }
    state
}

impl Checksum {
    fn new() -> Self {
        Checksum {
            leaves: 0,
            leaves_fnv: FNV_OFFSET,
            active_true: 0,
            active_fnv: FNV_OFFSET,
            dirs_total: 0,
            dirs_fnv: FNV_OFFSET,
            count_sum: 0,
            count_fnv: FNV_OFFSET,
        }
    }

    fn leave(&mut self, nick: &str) {
        self.leaves += 1;
        self.leaves_fnv = fnv(fnv(self.leaves_fnv, nick.as_bytes()), &[0]);
    }
}

/// Replays every operation on a fresh tracker; returns the elapsed seconds and what it saw.
fn replay(trace: &Trace<'_>) -> (f64, Checksum) {
    let mut seen = Checksum::new();
    let mut tracker = core_api::Tracker::new();
    let mut directories = Vec::new();
    let start = Instant::now();
    for op in &trace.ops {
        let mut on_leave = |nick: &str| seen.leave(nick);
        match op {
            Op::Sync { directory, packed } => tracker.sync(*directory, packed, &mut on_leave),
            Op::Update {
                nick,
                directory,
                present,
            } => tracker.update(nick, *directory, *present, &mut on_leave),
            Op::IsActive { nick } => {
                let active = tracker.is_active(nick);
                seen.active_true += u64::from(active);
                seen.active_fnv = fnv(seen.active_fnv, &[u8::from(active)]);
            }
            Op::ActiveDirectories { nick } => {
                tracker.active_directories(nick, &mut directories);
                seen.dirs_total += directories.len() as u64;
                seen.dirs_fnv = fnv(seen.dirs_fnv, &(directories.len() as u64).to_le_bytes());
                for directory in &directories {
                    seen.dirs_fnv = fnv(seen.dirs_fnv, &directory.to_le_bytes());
                }
            }
            Op::Remove { directory } => tracker.remove(*directory, &mut on_leave),
            Op::ActiveCount => {
                let count = tracker.active_count() as u64;
                seen.count_sum += count;
                seen.count_fnv = fnv(seen.count_fnv, &count.to_le_bytes());
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    drop(tracker); // after the clock, as in every replayer
    (elapsed, seen)
}

fn json_line(run: usize, elapsed: f64, trace: &Trace<'_>, c: &Checksum) -> String {
    format!(
        "{{\"impl\": \"rust\", \"run\": {run}, \"elapsed_s\": {elapsed:.9}, \"checksum\": {{\
         \"ops\": {}, \"nick_refs\": {}, \"leaves\": {}, \"leaves_fnv\": \"{:016x}\", \
         \"active_true\": {}, \"active_fnv\": \"{:016x}\", \"dirs_total\": {}, \
         \"dirs_fnv\": \"{:016x}\", \"count_sum\": {}, \"count_fnv\": \"{:016x}\"}}}}",
        trace.ops.len(),
        trace.nick_refs,
        c.leaves,
        c.leaves_fnv,
        c.active_true,
        c.active_fnv,
        c.dirs_total,
        c.dirs_fnv,
        c.count_sum,
        c.count_fnv,
    )
}

/// Replayed when no trace is given: a directory reconnect and a sync that makes nicks leave.
const SELF_CHECK: &str = "nick-tracker-trace\t1
# built into benches/trace/replay.rs
sync\t1\t3\tJ5alice\tJ5bob\tJ5carol
sync\t2\t2\tJ5bob\tJ5dave
update\tJ5erin\t2\t1
update\tJ5bob\t1\t0
is_active\tJ5bob
active_directories\tJ5bob
remove\t2
is_active\tJ5bob
active_count
sync\t1\t0
active_count
";

fn main() {
    let mut trace_path = std::env::var_os("NICK_TRACKER_TRACE").map(Into::into);
    let mut runs = 1;
    let mut wait = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--trace" => trace_path = args.next().map(Into::into),
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n >= 1)
                    .expect("--runs needs a positive integer");
            }
            "--wait" => wait = true,
            "--bench" | "--quick" => {} // passed by cargo bench / for the other bench target
            other => eprintln!("replay: ignoring argument {other:?}"),
        }
    }
    let Some(path): Option<std::path::PathBuf> = trace_path else {
        let trace = parse(SELF_CHECK).expect("the built-in trace parses");
        let (_, seen) = replay(&trace);
        // Removing directory 2 makes J5bob (already gone on 1), J5dave and J5erin leave; the
        // empty peerlist then makes J5alice and J5carol leave.
        assert_eq!(seen.leaves, 5);
        assert_eq!((seen.active_true, seen.dirs_total), (1, 1));
        assert_eq!(seen.count_sum, 2);
        eprintln!(
            "replay: no trace given (--trace PATH or NICK_TRACKER_TRACE; see \
             benches/trace/FORMAT.md); built-in self-check passed"
        );
        return;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("replay: {}: {error}", path.display());
            std::process::exit(1);
        }
    };
    let trace = match parse(&text) {
        Ok(trace) => trace,
        Err(error) => {
            eprintln!("replay: {}: {error}", path.display());
            std::process::exit(1);
        }
    };
    if wait {
        println!("{{\"ready\": true}}");
    }
    for run in 1..=runs {
        let mut go = String::new();
        if wait && !matches!(std::io::stdin().read_line(&mut go), Ok(n) if n > 0) {
            break;
        }
        let (elapsed, seen) = replay(&trace);
        println!("{}", json_line(run, elapsed, &trace, &seen));
    }
}
