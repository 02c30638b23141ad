//! The tracker's clock: where its milliseconds come from, read at most once per call.

use std::time::Instant;

use super::config::ChangeError;

/// A source of milliseconds that never goes backwards (the tracker refuses a call that finds
/// it did). Any origin will do; the tracker only compares and subtracts readings.
pub type Clock = Box<dyn FnMut() -> u64 + Send>;

/// The default clock: milliseconds since the tracker was created, from std's monotonic
/// clock.
pub fn monotonic() -> Clock {
    let start = Instant::now();
    Box::new(move || start.elapsed().as_millis() as u64)
}

pub(crate) struct Time {
    clock: Clock,
    /// The latest reading.
    last: u64,
}

impl Time {
    pub fn new(clock: Clock) -> Self {
        Time { clock, last: 0 }
    }

    /// Reads the clock; refuses a reading earlier than the previous one.
    pub fn now(&mut self) -> Result<u64, ChangeError> {
        let now = (self.clock)();
        if now < self.last {
            return Err(ChangeError::ClockWentBackwards {
                last: self.last,
                now,
            });
        }
        self.last = now;
        Ok(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_earlier_than_the_last_is_refused_and_not_kept() {
        let readings = std::sync::Mutex::new(vec![9, 3, 7]);
        let mut time = Time::new(Box::new(move || readings.lock().unwrap().pop().unwrap()));
        assert_eq!(time.now(), Ok(7));
        let error = ChangeError::ClockWentBackwards { last: 7, now: 3 };
        assert_eq!(time.now(), Err(error));
        assert_eq!(time.now(), Ok(9), "measured from the last good reading");
        let mut real = Time::new(monotonic());
        assert!(real.now().unwrap() <= real.now().unwrap());
    }
}
