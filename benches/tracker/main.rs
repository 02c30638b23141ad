//! The benchmark suite: every tracker operation at every scale, against a baseline measured
//! in the same run.
//!
//! For each N nicks x D directories (every directory lists every nick, the worst case for
//! memory and per-nick work), it builds the state, then times realistic operations with the
//! Rust core, with the C ABI (up to 10^4 nicks), and with the baseline: jmcore's algorithm
//! as the reference model has it (tests/support/reference_model.rs: jmcore transcribed into
//! Rust the obvious way, the one model the tests check against too). It reports the median
//! time per call, each implementation's speed relative to the baseline, and the core's heap
//! bytes per (nick, directory) pair. Scenarios that touch one small directory while the
//! tracker holds N nicks show that cost follows the work asked, not the total state.
//!
//! Run: `cargo bench --bench tracker` (full grid, several minutes and ~8 GB at N = 10^6,
//! D = 64), `-- --quick` (N <= 10^4), `-- --nicks 10000 --directories 16`, and
//! `-- --json FILE` for the machine-readable results that BENCHMARKS.md is made from.
//! `cargo test --benches` runs a tiny grid once, as a smoke test.

mod c_abi;
mod measure;
#[path = "../../tests/support/reference_model.rs"]
mod reference_model;

use std::ffi::c_char;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use c_abi::CTracker;
use measure::{CountingAllocator, Plan, compare, heap_growth, time};
use nick_tracker::{Limits, Nick, NickTracker, PickMode};
use reference_model::ReferenceModel;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The C ABI is measured up to this many nicks (beyond, a third copy of the state would only
/// repeat what the smaller sizes show, at gigabytes of memory).
const C_ABI_MAX_NICKS: usize = 10_000;
/// The directory used by the "small directory" scenarios, and its size.
const SMALL_DIRECTORY: u64 = u64::MAX;
const SMALL_DIRECTORY_NICKS: usize = 100;
/// Operations per batch in the single-call scenarios.
const OPS: usize = 4096;

const BASELINE: &str = "reference model (jmcore, baseline)";
const CORE: &str = "Rust core";
const C_ABI: &str = "C ABI";
const C_ABI_PACKED: &str = "C ABI, packed list";

/// A deterministic generator, so every run measures the same operations.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

/// A nick as long as a JoinMarket one (16 bytes), distinct per (prefix, index).
fn nick_name(prefix: &str, index: usize) -> String {
    format!("{prefix}{index:014}")
}

fn c_string(name: &str) -> Vec<u8> {
    let mut bytes = name.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

fn packed(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|name| c_string(name)).collect()
}

/// A peerlist in every form an implementation takes it.
struct Peerlist<'a> {
    names: Vec<&'a str>,
    nicks: Vec<Nick<'a>>,
    c_strings: Vec<Vec<u8>>,
    pointers: Vec<*const c_char>,
    packed: Vec<u8>,
}

impl<'a> Peerlist<'a> {
    fn new(names: Vec<&'a str>) -> Self {
        let c_strings: Vec<Vec<u8>> = names.iter().map(|name| c_string(name)).collect();
        Peerlist {
            nicks: names.iter().map(|name| Nick::new(name).unwrap()).collect(),
            pointers: c_strings.iter().map(|s| s.as_ptr().cast()).collect(),
            packed: packed(&names),
            c_strings,
            names,
        }
    }

    /// The same list with 1% of the nicks (at least one) replaced by others: a directory's
    /// next peerlist after some peers left and others came.
    fn churned(&self, replacements: &'a [String]) -> Self {
        let mut names = self.names.clone();
        let changes = (names.len() / 100).max(1);
        let step = names.len() / changes;
        let slots = names.iter_mut().step_by(step).take(changes);
        for (slot, replacement) in slots.zip(replacements) {
            *slot = replacement;
        }
        Peerlist::new(names)
    }
}

/// Everything one grid cell measures, generated before anything is timed.
struct Workload {
    directories: u64,
    names: Vec<String>,
    c_names: Vec<Vec<u8>>,
    /// Nicks the tracker never holds: for misses, and for joins that leave again.
    strangers: Vec<String>,
    c_strangers: Vec<Vec<u8>>,
    /// Replacement nicks for churned peerlists.
    newcomers: Vec<String>,
    /// Random (nick index, directory) pairs.
    ops: Vec<(usize, u64)>,
}

impl Workload {
    fn new(nicks: usize, directories: u64) -> Self {
        let names: Vec<String> = (0..nicks).map(|i| nick_name("J5", i)).collect();
        let strangers: Vec<String> = (0..OPS).map(|i| nick_name("J7", i)).collect();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let ops = (0..OPS)
            .map(|_| (rng.below(nicks), rng.below(directories as usize) as u64))
            .collect();
        Workload {
            directories,
            c_names: names.iter().map(|n| c_string(n)).collect(),
            c_strangers: strangers.iter().map(|n| c_string(n)).collect(),
            newcomers: (0..nicks / 100 + 1).map(|i| nick_name("J6", i)).collect(),
            names,
            strangers,
            ops,
        }
    }
}

/// The three implementations, each holding the same state.
struct Trackers {
    core: NickTracker,
    port: ReferenceModel,
    c: Option<CTracker>,
}

/// One result row: an operation and each implementation's median seconds per call.
struct Row {
    operation: &'static str,
    results: Vec<(&'static str, f64)>,
}

struct Cell {
    nicks: usize,
    directories: u64,
    core_bytes_per_pair: f64,
    port_bytes_per_pair: f64,
    rows: Vec<Row>,
}

fn measure_cell(nicks: usize, directories: u64, plan: Plan) -> Cell {
    let work = Workload::new(nicks, directories);
    let full = Peerlist::new(work.names.iter().map(String::as_str).collect());
    let full_churned = full.churned(&work.newcomers);
    let small = Peerlist::new(full.names[..SMALL_DIRECTORY_NICKS.min(nicks)].to_vec());
    let small_churned = small.churned(&work.newcomers);

    let pairs = (nicks * directories as usize) as f64;
    let nick_bytes: usize = work.names.iter().map(String::len).sum();
    let (core, core_bytes) = heap_growth(|| {
        let mut core = NickTracker::new();
        for directory in 0..directories {
            core.sync_peerlist(directory, &full.nicks).unwrap();
        }
        core
    });
    let (port, port_bytes) = heap_growth(|| {
        let mut port = ReferenceModel::new(Limits::default(), PickMode::Random);
        for directory in 0..directories {
            port.sync_peerlist(directory, &full.names).unwrap();
        }
        port
    });
    let c = (nicks <= C_ABI_MAX_NICKS).then(|| {
        let c = CTracker::new();
        for directory in 0..directories {
            c.sync_peerlist_packed(directory, &full.packed);
        }
        c
    });
    let mut t = Trackers { core, port, c };
    t.core.sync_peerlist(SMALL_DIRECTORY, &small.nicks).unwrap();
    t.port.sync_peerlist(SMALL_DIRECTORY, &small.names).unwrap();
    if let Some(c) = &t.c {
        c.sync_peerlist_packed(SMALL_DIRECTORY, &small.packed);
    }

    let rows = vec![
        update_hit(&mut t, &work, plan),
        update_change(&mut t, &work, plan),
        update_miss(&mut t, &work, plan),
        join_and_leave(&mut t, &work, plan),
        sync(
            &mut t,
            "sync_peerlist, full list, 1% churn",
            0,
            [&full, &full_churned],
            plan,
        ),
        sync(
            &mut t,
            "sync_peerlist, 100-nick directory, 1% churn",
            SMALL_DIRECTORY,
            [&small, &small_churned],
            plan,
        ),
        chunked(
            &mut t,
            "peerlist in 20-nick chunks, 1% churn (per listed nick)",
            CHUNK,
            [&full, &full_churned],
            plan,
        ),
        chunked(
            &mut t,
            "peerlist in 1-nick chunks, 1% churn (per listed nick, so per chunk)",
            1,
            [&full, &full_churned],
            plan,
        ),
        remove(
            &mut t,
            "remove_directory, full directory",
            work.directories - 1,
            &full,
            plan,
        ),
        remove(
            &mut t,
            "remove_directory, 100-nick directory",
            SMALL_DIRECTORY,
            &small,
            plan,
        ),
        queries(&mut t, &work, plan),
        directories_of(&mut t, &work, plan),
        count(&mut t, plan),
        all_active(&mut t, plan),
    ]
    .into_iter()
    .flatten()
    .collect();

    Cell {
        nicks,
        directories,
        core_bytes_per_pair: core_bytes.saturating_sub(nick_bytes) as f64 / pairs,
        port_bytes_per_pair: port_bytes.saturating_sub(nick_bytes) as f64 / pairs,
        rows,
    }
}

/// Names the implementations a row measures: the baseline and the core always, the C ABI
/// variants when this cell has a C tracker.
fn implementations(t: &Trackers, c_variants: &[&'static str]) -> Vec<&'static str> {
    let mut names = vec![BASELINE, CORE];
    if t.c.is_some() {
        names.extend_from_slice(c_variants);
    }
    names
}

fn finish(operation: &'static str, names: Vec<&'static str>, seconds: Vec<f64>) -> Option<Row> {
    Some(Row {
        operation,
        results: names.into_iter().zip(seconds).collect(),
    })
}

fn update_hit(t: &mut Trackers, work: &Workload, plan: Plan) -> Option<Row> {
    let names = implementations(t, &[C_ABI]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(OPS, || {
            for &(n, d) in &work.ops {
                black_box(t.port.update(&work.names[n], d, true).unwrap());
            }
        }),
        CORE => time(OPS, || {
            for &(n, d) in &work.ops {
                black_box(t.core.mark_present(Nick::new(&work.names[n]).unwrap(), d)).unwrap();
            }
        }),
        _ => time(OPS, || {
            let c = t.c.as_ref().unwrap();
            for &(n, d) in &work.ops {
                c.update(&work.c_names[n], d, true);
            }
        }),
    });
    finish("update, hit (known nick and directory)", names, seconds)
}

/// Updates that change a report: each known (nick, directory) pair is reported gone, then
/// present again. The nick stays active on its other directories, so the state is restored.
fn update_change(t: &mut Trackers, work: &Workload, plan: Plan) -> Option<Row> {
    if work.directories < 2 {
        return None; // the nick would leave and be forgotten: not this row's workload
    }
    let names = implementations(t, &[C_ABI]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(2 * OPS, || {
            for &(n, d) in &work.ops {
                black_box(t.port.update(&work.names[n], d, false).unwrap());
                black_box(t.port.update(&work.names[n], d, true).unwrap());
            }
        }),
        CORE => time(2 * OPS, || {
            for &(n, d) in &work.ops {
                let nick = Nick::new(&work.names[n]).unwrap();
                black_box(t.core.mark_gone(nick, d).unwrap());
                black_box(t.core.mark_present(nick, d).unwrap());
            }
        }),
        _ => time(2 * OPS, || {
            let c = t.c.as_ref().unwrap();
            for &(n, d) in &work.ops {
                c.update(&work.c_names[n], d, false);
                c.update(&work.c_names[n], d, true);
            }
        }),
    });
    finish(
        "update, change (known nick gone, then present again)",
        names,
        seconds,
    )
}

fn update_miss(t: &mut Trackers, work: &Workload, plan: Plan) -> Option<Row> {
    let names = implementations(t, &[C_ABI]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(OPS, || {
            for (stranger, &(_, d)) in work.strangers.iter().zip(&work.ops) {
                black_box(t.port.update(stranger, d, false).unwrap());
            }
        }),
        CORE => time(OPS, || {
            for (stranger, &(_, d)) in work.strangers.iter().zip(&work.ops) {
                black_box(t.core.mark_gone(Nick::new(stranger).unwrap(), d).unwrap());
            }
        }),
        _ => time(OPS, || {
            let c = t.c.as_ref().unwrap();
            for (stranger, &(_, d)) in work.c_strangers.iter().zip(&work.ops) {
                c.update(stranger, d, false);
            }
        }),
    });
    finish(
        "update, miss (gone report for an unknown nick)",
        names,
        seconds,
    )
}

fn join_and_leave(t: &mut Trackers, work: &Workload, plan: Plan) -> Option<Row> {
    let names = implementations(t, &[C_ABI]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(2 * OPS, || {
            for stranger in &work.strangers {
                black_box(t.port.update(stranger, 0, true).unwrap());
                black_box(t.port.update(stranger, 0, false).unwrap());
            }
        }),
        CORE => time(2 * OPS, || {
            for stranger in &work.strangers {
                let nick = Nick::new(stranger).unwrap();
                black_box(t.core.mark_present(nick, 0).unwrap());
                black_box(t.core.mark_gone(nick, 0).unwrap());
            }
        }),
        _ => time(2 * OPS, || {
            let c = t.c.as_ref().unwrap();
            for stranger in &work.c_strangers {
                c.update(stranger, 0, true);
                c.update(stranger, 0, false);
            }
        }),
    });
    finish("update, new nick joins then leaves", names, seconds)
}

/// Alternates `directory` between two peerlists 1% apart, so every call is a real sync with
/// churn and each batch leaves the state as it was.
fn sync(
    t: &mut Trackers,
    operation: &'static str,
    directory: u64,
    lists: [&Peerlist<'_>; 2],
    plan: Plan,
) -> Option<Row> {
    let names = implementations(t, &[C_ABI, C_ABI_PACKED]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(2, || {
            for list in [lists[1], lists[0]] {
                black_box(t.port.sync_peerlist(directory, &list.names).unwrap());
            }
        }),
        CORE => time(2, || {
            for list in [lists[1], lists[0]] {
                black_box(t.core.sync_peerlist(directory, &list.nicks).unwrap());
            }
        }),
        C_ABI => time(2, || {
            for list in [lists[1], lists[0]] {
                t.c.as_ref()
                    .unwrap()
                    .sync_peerlist(directory, &list.pointers);
            }
        }),
        _ => time(2, || {
            for list in [lists[1], lists[0]] {
                t.c.as_ref()
                    .unwrap()
                    .sync_peerlist_packed(directory, &list.packed);
            }
        }),
    });
    // The C strings must outlive every pointer handed out above.
    black_box(&lists[0].c_strings);
    finish(operation, names, seconds)
}

/// Times removing `directory`, then (untimed) lists `list` on it again.
fn remove(
    t: &mut Trackers,
    operation: &'static str,
    directory: u64,
    list: &Peerlist<'_>,
    plan: Plan,
) -> Option<Row> {
    let names = implementations(t, &[]);
    let seconds = compare(plan, names.len(), |i| {
        // Only the implementation just timed is restored: restoring is often the slow part.
        if names[i] == BASELINE {
            let timed = time(1, || {
                black_box(t.port.remove_directory(directory));
            });
            t.port.sync_peerlist(directory, &list.names).unwrap();
            timed
        } else {
            let timed = time(1, || {
                black_box(t.core.remove_directory(directory));
            });
            t.core.sync_peerlist(directory, &list.nicks).unwrap();
            timed
        }
    });
    finish(operation, names, seconds)
}

fn queries(t: &mut Trackers, work: &Workload, plan: Plan) -> Option<Row> {
    let names = implementations(t, &[]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(OPS, || {
            for &(n, _) in &work.ops {
                black_box(t.port.is_active(&work.names[n]));
            }
        }),
        _ => time(OPS, || {
            for &(n, _) in &work.ops {
                black_box(t.core.is_active(&work.names[n]));
            }
        }),
    });
    finish("is_active", names, seconds)
}

fn directories_of(t: &mut Trackers, work: &Workload, plan: Plan) -> Option<Row> {
    let names = implementations(t, &[]);
    let mut buffer = Vec::with_capacity(work.directories as usize + 1);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(OPS, || {
            for &(n, _) in &work.ops {
                buffer.clear();
                buffer.extend(t.port.active_directories(&work.names[n]));
                black_box(&buffer);
            }
        }),
        _ => time(OPS, || {
            for &(n, _) in &work.ops {
                buffer.clear();
                buffer.extend(t.core.active_directories(&work.names[n]));
                black_box(&buffer);
            }
        }),
    });
    finish("active_directories", names, seconds)
}

fn count(t: &mut Trackers, plan: Plan) -> Option<Row> {
    let names = implementations(t, &[]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(1, || {
            black_box(t.port.len());
        }),
        _ => time(OPS, || {
            for _ in 0..OPS {
                black_box(black_box(&t.core).len());
            }
        }),
    });
    finish("active nick count", names, seconds)
}

fn all_active(t: &mut Trackers, plan: Plan) -> Option<Row> {
    let names = implementations(t, &[]);
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(1, || {
            black_box(t.port.active_nick_set());
        }),
        _ => time(1, || {
            black_box(t.core.active_nicks());
        }),
    });
    finish("all active nicks", names, seconds)
}

/// `expire` when a share of the pairs is due: every nick is seen by every directory at a
/// time spread over the TTL, then expiry runs that share of the TTL after it ran out. The
/// core keeps deadlines in a queue, so its cost follows what is due; the reference model
/// scans every pair.
fn expiry_table(nicks: usize, directories: u64, rounds: usize) {
    const TTL: u64 = 100_000;
    let names: Vec<String> = (0..nicks).map(|i| nick_name("T", i)).collect();
    println!(
        "\n### expire at N = {nicks} nicks, D = {directories} (presence TTL; median of \
         {rounds} runs)\n\n| pairs due | reference model | Rust core | Rust core per expired pair |\n|---|---|---|---|"
    );
    for share in [0.0, 0.001, 0.01, 0.1] {
        let config = nick_tracker::Config {
            expiry: nick_tracker::Expiry {
                presence_ttl_ms: Some(TTL),
                ..Default::default()
            },
            ..Default::default()
        };
        let clock = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let set = |ms: u64| clock.store(ms, std::sync::atomic::Ordering::Relaxed);
        let (mut core_times, mut model_times, mut expired) = (Vec::new(), Vec::new(), 0);
        for _ in 0..rounds.max(3) {
            let time = clock.clone();
            let read = Box::new(move || time.load(std::sync::atomic::Ordering::Relaxed));
            let mut core = NickTracker::with_clock(config, read);
            let mut model = ReferenceModel::with_config(config);
            for (i, name) in names.iter().enumerate() {
                let at = i as u64 * TTL / nicks as u64;
                set(at);
                model.set_time(at);
                for directory in 0..directories {
                    core.mark_present(Nick::new(name).unwrap(), directory)
                        .unwrap();
                    model.mark_present(name, directory).unwrap();
                }
            }
            let due = TTL + (share * TTL as f64) as u64;
            set(due);
            model.set_time(due);
            let started = std::time::Instant::now();
            expired = black_box(core.expire().unwrap()).len();
            core_times.push(started.elapsed().as_secs_f64());
            let started = std::time::Instant::now();
            black_box(model.expire().unwrap());
            model_times.push(started.elapsed().as_secs_f64());
        }
        core_times.sort_by(f64::total_cmp);
        model_times.sort_by(f64::total_cmp);
        let (core, model) = (
            core_times[core_times.len() / 2],
            model_times[model_times.len() / 2],
        );
        let per_pair = match expired {
            0 => "-".to_string(),
            _ => human(core / (expired as f64 * directories as f64)),
        };
        println!(
            "| {:.1}% ({} nicks leave) | {} | {} | {} |",
            share * 100.0,
            expired,
            human(model),
            human(core),
            per_pair
        );
    }
}

/// How many nicks a JoinMarket directory puts in one PEERLIST message.
const CHUNK: usize = 20;

/// The full list resent in chunks of `chunk` nicks (begin, chunks, commit), alternating
/// between two lists 1% apart like `sync`; the time per listed nick, to set against an update
/// hit. With 1-nick chunks, every nick pays a chunk's overhead: the two rows give it.
fn chunked(
    t: &mut Trackers,
    operation: &'static str,
    chunk: usize,
    lists: [&Peerlist<'_>; 2],
    plan: Plan,
) -> Option<Row> {
    let names = implementations(t, &[C_ABI_PACKED]);
    let chunks =
        |list: &Peerlist<'_>| -> Vec<Vec<u8>> { list.names.chunks(chunk).map(packed).collect() };
    let packed_chunks = [chunks(lists[0]), chunks(lists[1])];
    let listed = 2 * lists[0].names.len();
    let directory = 1;
    let seconds = compare(plan, names.len(), |i| match names[i] {
        BASELINE => time(listed, || {
            for list in [lists[1], lists[0]] {
                t.port.begin_peerlist(directory).unwrap();
                for nicks in list.names.chunks(chunk) {
                    black_box(t.port.add_peerlist_chunk(directory, nicks).unwrap());
                }
                black_box(t.port.commit_peerlist(directory).unwrap());
            }
        }),
        CORE => time(listed, || {
            for chunks in [&packed_chunks[1], &packed_chunks[0]] {
                t.core.begin_peerlist(directory).unwrap();
                for chunk in chunks {
                    black_box(t.core.add_peerlist_chunk(directory, chunk).unwrap());
                }
                black_box(t.core.commit_peerlist(directory).unwrap());
            }
        }),
        _ => time(listed, || {
            let c = t.c.as_ref().unwrap();
            for chunks in [&packed_chunks[1], &packed_chunks[0]] {
                c.peerlist_in_chunks(directory, chunks);
            }
        }),
    });
    finish(operation, names, seconds)
}

fn human(seconds: f64) -> String {
    match seconds {
        s if s < 1e-6 => format!("{:.1} ns", s * 1e9),
        s if s < 1e-3 => format!("{:.1} µs", s * 1e6),
        s if s < 1.0 => format!("{:.1} ms", s * 1e3),
        s => format!("{s:.2} s"),
    }
}

fn print_cell(cell: &Cell) {
    println!(
        "\n### N = {} nicks, D = {} directories\n\nHeap per (nick, directory) pair beyond the \
         nick bytes: Rust core {:.1} B, reference model {:.1} B.\n",
        cell.nicks, cell.directories, cell.core_bytes_per_pair, cell.port_bytes_per_pair
    );
    println!("| operation | {BASELINE} | {CORE} | {C_ABI} | {C_ABI_PACKED} |");
    println!("|---|---|---|---|---|");
    for row in &cell.rows {
        let baseline = row.results[0].1;
        let mut line = format!("| {} |", row.operation);
        for implementation in [BASELINE, CORE, C_ABI, C_ABI_PACKED] {
            match row.results.iter().find(|(name, _)| *name == implementation) {
                Some(&(_, s)) => write!(line, " {} ({:.1}x) |", human(s), baseline / s).unwrap(),
                None => line.push_str(" |"),
            }
        }
        println!("{line}");
    }
}

/// The speed and memory targets of the performance issue, checked where they apply.
fn check_targets(cells: &[Cell]) -> bool {
    let mut all_met = true;
    let mut report = |what: String, met: bool| {
        println!("- {} {what}", if met { "met:   " } else { "MISSED:" });
        all_met &= met;
    };
    println!("\n### Targets\n");
    for cell in cells {
        report(
            format!(
                "memory < 100 B per pair at N = {}, D = {}: {:.1} B",
                cell.nicks, cell.directories, cell.core_bytes_per_pair
            ),
            cell.core_bytes_per_pair < 100.0,
        );
        if (cell.nicks, cell.directories) != (10_000, 16) {
            continue;
        }
        let core_time = |operation: &str| {
            let row = cell.rows.iter().find(|r| r.operation == operation).unwrap();
            row.results.iter().find(|(n, _)| *n == CORE).unwrap().1
        };
        let update = core_time("update, hit (known nick and directory)");
        report(
            format!("update < 60 ns at 10^4 x 16: {}", human(update)),
            update < 60e-9,
        );
        let change = core_time("update, change (known nick gone, then present again)");
        println!(
            "- (for reference: an update that changes a report at 10^4 x 16: {})",
            human(change)
        );
        let sync = core_time("sync_peerlist, full list, 1% churn");
        report(
            format!("sync_peerlist < 300 µs at 10^4 x 16: {}", human(sync)),
            sync < 300e-6,
        );
    }
    all_met
}

fn write_json(path: &str, cells: &[Cell]) {
    let mut json = String::from("[\n");
    for (c, cell) in cells.iter().enumerate() {
        write!(
            json,
            "  {{\"nicks\": {}, \"directories\": {}, \"core_bytes_per_pair\": {:.2}, \
             \"baseline_bytes_per_pair\": {:.2}, \"rows\": [",
            cell.nicks, cell.directories, cell.core_bytes_per_pair, cell.port_bytes_per_pair
        )
        .unwrap();
        for (r, row) in cell.rows.iter().enumerate() {
            let results: Vec<String> = row
                .results
                .iter()
                .map(|(name, s)| format!("\"{name}\": {s:e}"))
                .collect();
            let comma = if r + 1 < cell.rows.len() { "," } else { "" };
            write!(
                json,
                "\n    {{\"operation\": \"{}\", \"seconds\": {{{}}}}}{comma}",
                row.operation,
                results.join(", ")
            )
            .unwrap();
        }
        let comma = if c + 1 < cells.len() { "," } else { "" };
        writeln!(json, "\n  ]}}{comma}").unwrap();
    }
    json.push_str("]\n");
    std::fs::write(path, json).expect("cannot write the JSON results");
}

struct Args {
    nicks: Vec<usize>,
    directories: Vec<u64>,
    plan: Plan,
    json: Option<String>,
}

fn parse_args() -> Args {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        let at = args.iter().position(|a| a == flag)?;
        Some(
            args.get(at + 1)
                .unwrap_or_else(|| panic!("{flag} needs a value"))
                .clone(),
        )
    };
    let list = |flag: &str| -> Option<Vec<u64>> {
        value(flag).map(|v| {
            v.split(',')
                .map(|n| n.trim().parse().expect("a number"))
                .collect()
        })
    };
    // `cargo bench` passes --bench; without it (cargo test --benches) this is a smoke test.
    let (nicks, directories, plan) = if !args.iter().any(|a| a == "--bench") {
        (
            vec![100],
            vec![3],
            Plan {
                rounds: 1,
                min_batch_time: Duration::ZERO,
            },
        )
    } else if args.iter().any(|a| a == "--quick") {
        let plan = Plan {
            rounds: 3,
            min_batch_time: Duration::from_millis(2),
        };
        (vec![100, 10_000], vec![3, 16], plan)
    } else {
        let plan = Plan {
            rounds: 7,
            min_batch_time: Duration::from_millis(20),
        };
        (vec![100, 10_000, 1_000_000], vec![3, 16, 64], plan)
    };
    Args {
        nicks: list("--nicks").map_or(nicks, |v| v.into_iter().map(|n| n as usize).collect()),
        directories: list("--directories").unwrap_or(directories),
        plan,
        json: value("--json"),
    }
}

fn main() {
    let args = parse_args();
    println!(
        "Median time per call over {} rounds; (Nx) = speed relative to the baseline, \
         measured in the same run.",
        args.plan.rounds
    );
    let mut cells = Vec::new();
    for &nicks in &args.nicks {
        for &directories in &args.directories {
            let cell = measure_cell(nicks, directories, args.plan);
            print_cell(&cell);
            cells.push(cell);
        }
    }
    let nicks = args.nicks.iter().copied().filter(|&n| n <= 10_000).max();
    if let (Some(nicks), Some(&directories)) = (nicks, args.directories.iter().max()) {
        expiry_table(nicks, directories, args.plan.rounds);
    }
    let met = check_targets(&cells);
    if let Some(path) = &args.json {
        write_json(path, &cells);
        println!("\nResults written to {path}");
    }
    if !met {
        println!("\nSome targets were missed.");
    }
}
