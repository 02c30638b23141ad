//! Benchmarks `NickTracker` against a baseline measured in the same run, and the C ABI against
//! the Rust core it wraps. Run with `cargo bench` (`cargo bench -- --quick` for fewer rounds).
//!
//! Each scenario is a fixed, deterministic workload that every implementation runs in full.
//! Rounds interleave the implementations so that machine noise hits them alike, and the
//! report gives the median time per operation and the ratio against the first (baseline) row.
//! Every implementation must report the same number of departures, which shows they did the
//! same work.

mod jmcore_port;

use std::collections::HashSet;
use std::ffi::{CString, c_char, c_void};
use std::hint::black_box;
use std::time::{Duration, Instant};

use jmcore_port::JmcorePort;
use nick_tracker::{Event, Nick, NickTracker};

const DIRECTORIES: u64 = 4;

/// A small deterministic generator, so every run measures the same operations.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

fn nick_names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("J5peer{i:07}")).collect()
}

/// Individual presence reports: what a client sees from directory join/leave messages.
struct Churn {
    names: Vec<String>,
    c_names: Vec<CString>,
    ops: Vec<(usize, u64, bool)>,
}

impl Churn {
    fn new(nicks: usize, ops: usize) -> Self {
        let names = nick_names(nicks);
        let c_names = names
            .iter()
            .map(|n| CString::new(n.as_str()).unwrap())
            .collect();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let ops = (0..ops)
            .map(|_| {
                let directory = rng.below(DIRECTORIES as usize) as u64;
                (rng.below(nicks), directory, rng.below(3) != 0)
            })
            .collect();
        Churn {
            names,
            c_names,
            ops,
        }
    }
}

/// Periodic peerlists: each round, each directory lists its peers, a few of which changed.
struct Peerlists {
    lists: Vec<(u64, Vec<String>)>,
    /// The same lists as C strings, as a C caller would already hold them.
    c_lists: Vec<Vec<CString>>,
}

impl Peerlists {
    fn new(nicks: usize, rounds: usize) -> Self {
        let names = nick_names(nicks * 2);
        let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
        let mut listed: Vec<Vec<usize>> = (0..DIRECTORIES).map(|_| (0..nicks).collect()).collect();
        let mut lists = Vec::new();
        for _ in 0..rounds {
            for (directory, members) in listed.iter_mut().enumerate() {
                for _ in 0..nicks / 50 {
                    let slot = rng.below(members.len());
                    members[slot] = rng.below(names.len());
                }
                let list: Vec<String> = members.iter().map(|&i| names[i].clone()).collect();
                lists.push((directory as u64, list));
            }
        }
        let c_lists = lists
            .iter()
            .map(|(_, list)| {
                list.iter()
                    .map(|n| CString::new(n.as_str()).unwrap())
                    .collect()
            })
            .collect();
        Peerlists { lists, c_lists }
    }

    fn nick_count(&self) -> usize {
        self.lists.iter().map(|(_, list)| list.len()).sum()
    }
}

fn churn_jmcore_port(work: &Churn) -> usize {
    let mut tracker = JmcorePort::default();
    let ops = work.ops.iter();
    ops.filter(|&&(n, d, present)| tracker.update(&work.names[n], d, present))
        .count()
}

fn churn_core(work: &Churn) -> usize {
    let mut tracker = NickTracker::new();
    let ops = work.ops.iter();
    let mut departures = 0;
    for &(n, d, present) in ops {
        let events = tracker.update(Nick::new(&work.names[n]).unwrap(), d, present);
        departures += leaves(&events.unwrap());
    }
    departures
}

fn churn_c_abi(work: &Churn) -> usize {
    let tracker = CTracker::new();
    for &(n, directory, present) in &work.ops {
        tracker.update(&work.c_names[n], directory, present);
    }
    tracker.departures()
}

fn peerlists_jmcore_port(work: &Peerlists) -> usize {
    let mut tracker = JmcorePort::default();
    let mut departures = 0;
    for (directory, list) in &work.lists {
        let set: HashSet<&str> = list.iter().map(String::as_str).collect();
        departures += tracker.sync_with_peerlist(*directory, &set).len();
    }
    departures + tracker.remove_directory(0).len()
}

fn peerlists_core(work: &Peerlists) -> usize {
    let mut tracker = NickTracker::new();
    let mut departures = 0;
    for (directory, list) in &work.lists {
        let nicks: Vec<Nick> = list.iter().map(|n| Nick::new(n).unwrap()).collect();
        departures += leaves(&tracker.sync_peerlist(*directory, &nicks).unwrap());
    }
    departures + leaves(&tracker.remove_directory(0))
}

fn leaves(events: &[Event]) -> usize {
    events.iter().filter(|event| event.is_leave()).count()
}

fn peerlists_c_abi(work: &Peerlists) -> usize {
    let tracker = CTracker::new();
    for ((directory, _), c_list) in work.lists.iter().zip(&work.c_lists) {
        let pointers: Vec<*const c_char> = c_list.iter().map(|n| n.as_ptr()).collect();
        tracker.sync_peerlist(*directory, &pointers);
    }
    tracker.remove_directory(0);
    tracker.departures()
}

/// The exported C functions, called exactly as a C program calls them.
mod c_abi {
    use std::ffi::{c_char, c_void};

    pub type Callback = unsafe extern "C" fn(*mut c_void, *const c_char);

    unsafe extern "C" {
        pub fn nt_new(
            on_leave: Option<Callback>,
            user_data: *mut c_void,
            out: *mut *mut c_void,
        ) -> u32;
        pub fn nt_free(tracker: *mut c_void);
        pub fn nt_update(tracker: *mut c_void, nick: *const c_char, dir: u64, present: bool)
        -> u32;
        pub fn nt_remove_directory(tracker: *mut c_void, dir: u64, out_count: *mut usize) -> u32;
        pub fn nt_sync_peerlist(
            tracker: *mut c_void,
            dir: u64,
            nicks: *const *const c_char,
            count: usize,
        ) -> u32;
    }
}

/// Owns an `nt_tracker` whose leave callback counts departures.
struct CTracker {
    handle: *mut c_void,
    departures: Box<usize>,
}

unsafe extern "C" fn count_departure(user_data: *mut c_void, _nick: *const c_char) {
    // SAFETY: user_data is the Box<usize> owned by the CTracker that registered it.
    unsafe { *user_data.cast::<usize>() += 1 };
}

impl CTracker {
    fn new() -> Self {
        let mut departures = Box::new(0usize);
        let mut handle = std::ptr::null_mut();
        let counter: *mut usize = &mut *departures;
        // SAFETY: valid out pointer; the counter outlives the tracker (dropped after nt_free).
        let status = unsafe { c_abi::nt_new(Some(count_departure), counter.cast(), &mut handle) };
        assert_eq!(status, 0);
        CTracker { handle, departures }
    }

    fn update(&self, nick: &CString, directory: u64, present: bool) {
        // SAFETY: live handle and a valid C string.
        let status = unsafe { c_abi::nt_update(self.handle, nick.as_ptr(), directory, present) };
        assert_eq!(status, 0);
    }

    fn sync_peerlist(&self, directory: u64, nicks: &[*const c_char]) {
        // SAFETY: live handle; `nicks` points at live C strings.
        let status =
            unsafe { c_abi::nt_sync_peerlist(self.handle, directory, nicks.as_ptr(), nicks.len()) };
        assert_eq!(status, 0);
    }

    fn remove_directory(&self, directory: u64) {
        // SAFETY: live handle; a NULL count pointer is allowed.
        let status =
            unsafe { c_abi::nt_remove_directory(self.handle, directory, std::ptr::null_mut()) };
        assert_eq!(status, 0);
    }

    fn departures(&self) -> usize {
        *self.departures
    }
}

impl Drop for CTracker {
    fn drop(&mut self) {
        // SAFETY: the handle came from nt_new and is freed once.
        unsafe { c_abi::nt_free(self.handle) };
    }
}

/// A named implementation of a scenario; it returns how many nicks left.
type Implementation<W> = (&'static str, fn(&W) -> usize);

/// Runs every implementation `rounds` times, interleaved, and prints the median time per
/// operation with its ratio to the first implementation's.
fn compare<W>(
    title: &str,
    work: &W,
    operations: usize,
    rounds: usize,
    implementations: &[Implementation<W>],
) {
    let mut samples = vec![Vec::with_capacity(rounds); implementations.len()];
    let mut departures = vec![0; implementations.len()];
    for _ in 0..rounds {
        for (i, (_, run)) in implementations.iter().enumerate() {
            let started = Instant::now();
            departures[i] = black_box(run(black_box(work)));
            samples[i].push(started.elapsed());
        }
    }
    assert!(
        departures.iter().all(|&d| d == departures[0]),
        "{title}: implementations disagree on departures: {departures:?}"
    );
    println!(
        "\n{title}\n  {operations} operations, {} departures, median of {rounds} rounds; \
         speed relative to the first row",
        departures[0]
    );
    let medians: Vec<Duration> = samples.iter_mut().map(|s| median(s)).collect();
    for ((name, _), time) in implementations.iter().zip(&medians) {
        let per_op = time.as_nanos() as f64 / operations as f64;
        let speedup = medians[0].as_secs_f64() / time.as_secs_f64();
        println!("  {name:<34} {per_op:>9.1} ns/op   {speedup:>5.2}x");
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let args: Vec<String> = std::env::args().collect();
    let rounds = if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--quick") {
        15
    } else {
        1
    };

    let churn = Churn::new(2_000, 200_000);
    compare(
        "update (random present/gone reports, 2000 nicks, 4 directories)",
        &churn,
        churn.ops.len(),
        rounds,
        &[
            ("baseline: jmcore ported to Rust", churn_jmcore_port),
            ("NickTracker (Rust core)", churn_core),
            ("nt_update (C ABI)", churn_c_abi),
        ],
    );

    let peerlists = Peerlists::new(5_000, 10);
    compare(
        "sync_peerlist (4 directories x 5000 nicks, 2% change per round, 10 rounds)",
        &peerlists,
        peerlists.nick_count(),
        rounds,
        &[
            ("baseline: jmcore ported to Rust", peerlists_jmcore_port),
            ("NickTracker (Rust core)", peerlists_core),
            ("nt_sync_peerlist (C ABI)", peerlists_c_abi),
        ],
    );
}
