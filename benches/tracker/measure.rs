//! Timing and memory measurement for the suite.
//!
//! Times are medians over interleaved rounds (machine noise hits every implementation alike);
//! memory is the live heap counted by a global allocator wrapper, exact to the byte.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, plus a count of the bytes currently allocated.
pub struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to System with the same arguments and only adds bookkeeping.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds GlobalAlloc's contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

pub fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Runs `body` and returns what it built with the heap bytes it left allocated.
pub fn heap_growth<T>(body: impl FnOnce() -> T) -> (T, usize) {
    let before = live_bytes();
    let value = body();
    (value, live_bytes().saturating_sub(before))
}

/// How many rounds to run and how many operations a round should at least take.
#[derive(Clone, Copy)]
pub struct Plan {
    pub rounds: usize,
    /// A batch of operations is repeated until it has run this long, so that even
    /// microsecond operations are timed over many calls.
    pub min_batch_time: Duration,
}

/// The calls one batch made and the time they took (excluding any untimed set-up).
pub struct Timed {
    pub calls: usize,
    pub elapsed: Duration,
}

/// Times `calls` calls made by `body`.
pub fn time(calls: usize, body: impl FnOnce()) -> Timed {
    let started = Instant::now();
    body();
    Timed {
        calls,
        elapsed: started.elapsed(),
    }
}

/// Times one operation of several implementations: each round runs every implementation's
/// batches in turn; the result is each implementation's median time per call, in seconds.
///
/// `batch(i)` runs implementation `i` over one batch and leaves the state as it found it.
pub fn compare(
    plan: Plan,
    implementations: usize,
    mut batch: impl FnMut(usize) -> Timed,
) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(plan.rounds); implementations];
    for _ in 0..plan.rounds {
        for (implementation, samples) in samples.iter_mut().enumerate() {
            let (mut calls, mut elapsed) = (0, Duration::ZERO);
            while calls == 0 || elapsed < plan.min_batch_time {
                let timed = batch(implementation);
                calls += timed.calls;
                elapsed += timed.elapsed;
            }
            samples.push(elapsed.as_secs_f64() / calls as f64);
        }
    }
    samples.into_iter().map(median).collect()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
