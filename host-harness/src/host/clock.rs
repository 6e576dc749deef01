//! The wall clock the addon reads through WASI, pinned by default for deterministic tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime_wasi::HostWallClock;

/// Where a fresh [`Clock`] is pinned: 2026-01-01T09:00:00Z, in Unix milliseconds.
pub const DEFAULT_NOW_MILLIS: i64 = 1_767_258_000_000;

/// A wall clock shared by the host and every store using it. Cheap to clone; clones share
/// the time, so a test can move time while sessions run.
#[derive(Clone, Debug)]
pub struct Clock {
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    pinned: AtomicBool,
    millis: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::pinned(DEFAULT_NOW_MILLIS)
    }
}

fn system_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

impl Clock {
    /// A clock standing still at `unix_millis` until [`Clock::set`] or [`Clock::advance`].
    pub fn pinned(unix_millis: i64) -> Self {
        Self {
            state: Arc::new(State {
                pinned: AtomicBool::new(true),
                millis: AtomicI64::new(unix_millis),
            }),
        }
    }

    /// A clock following the system's real time (until `set` or `advance` pins it).
    pub fn system() -> Self {
        let clock = Self::pinned(0);
        clock.state.pinned.store(false, Ordering::SeqCst);
        clock
    }

    /// Whether the clock stands still.
    pub fn is_pinned(&self) -> bool {
        self.state.pinned.load(Ordering::SeqCst)
    }

    /// The current time in Unix milliseconds.
    pub fn now_millis(&self) -> i64 {
        if self.is_pinned() {
            self.state.millis.load(Ordering::SeqCst)
        } else {
            system_millis()
        }
    }

    /// Pins the clock at `unix_millis`.
    pub fn set(&self, unix_millis: i64) {
        self.state.millis.store(unix_millis, Ordering::SeqCst);
        self.state.pinned.store(true, Ordering::SeqCst);
    }

    /// Moves the clock forward by `by` (a system clock is pinned at now + `by`).
    pub fn advance(&self, by: Duration) {
        self.advance_millis(by.as_millis() as i64);
    }

    /// Moves the clock by `millis` (negative moves it back), pinning it.
    pub fn advance_millis(&self, millis: i64) {
        if self.is_pinned() {
            self.state.millis.fetch_add(millis, Ordering::SeqCst);
        } else {
            self.set(system_millis() + millis);
        }
    }
}

/// WASI's `wall-clock.now` reads the shared time (times before 1970 read as the epoch, since
/// WASI's datetime is unsigned).
impl HostWallClock for Clock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        Duration::from_millis(self.now_millis().max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_clock_moves_only_when_told() {
        let clock = Clock::default();
        assert_eq!(clock.now_millis(), DEFAULT_NOW_MILLIS);
        let shared = clock.clone();
        shared.advance(Duration::from_secs(60));
        assert_eq!(clock.now_millis(), DEFAULT_NOW_MILLIS + 60_000);
        clock.set(5);
        assert_eq!(HostWallClock::now(&shared), Duration::from_millis(5));
        clock.set(-5);
        assert_eq!(HostWallClock::now(&shared), Duration::ZERO);
    }

    #[test]
    fn system_clock_follows_real_time_until_pinned() {
        let clock = Clock::system();
        assert!(!clock.is_pinned());
        assert!(clock.now_millis() > DEFAULT_NOW_MILLIS - 10 * 365 * 86_400_000);
        clock.set(42);
        assert!(clock.is_pinned());
        assert_eq!(clock.now_millis(), 42);
    }
}
