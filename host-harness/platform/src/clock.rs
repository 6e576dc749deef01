//! The wall clock the addon reads through WASI, pinned by default for deterministic tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a fresh [`Clock`] is pinned: 2026-01-01T09:00:00Z, in Unix milliseconds.
pub const DEFAULT_NOW_MILLIS: i64 = 1_767_258_000_000;

/// The latest time the addon accepts: the largest 13-digit count of milliseconds
/// (2286-11-20T17:46:39.999Z). [`Clock::try_advance_millis`] keeps the clock between the epoch
/// and this.
pub const MAX_MILLIS: i64 = 9_999_999_999_999;

/// A move [`Clock::try_advance_millis`] refused: it would leave the range from the epoch to
/// [`MAX_MILLIS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange {
    /// The time before the move.
    pub now: i64,
    /// The move asked for.
    pub by_millis: i128,
}

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "moving the clock by {} ms from {} would take it outside the clock's range \
             (1970-01-01 to 2286-11-20, 0 to {MAX_MILLIS} ms); it stays where it was",
            self.by_millis, self.now
        )
    }
}

impl std::error::Error for OutOfRange {}

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

    /// Moves the clock by `millis` (negative moves it back) and pins it, unless that would take
    /// it before the epoch or past [`MAX_MILLIS`]: then it fails and the clock stays as it was.
    /// The time it moved to. (`i128`: any `i64` count of minutes, in milliseconds, fits.)
    pub fn try_advance_millis(&self, millis: i128) -> Result<i64, OutOfRange> {
        let moved = |now: i64| {
            i128::from(now)
                .checked_add(millis)
                .and_then(|t| i64::try_from(t).ok())
                .filter(|t| (0..=MAX_MILLIS).contains(t))
                .ok_or(OutOfRange {
                    now,
                    by_millis: millis,
                })
        };
        if self.is_pinned() {
            // The time it saw: the one it moved from, or the one it refused to move from.
            let (Ok(seen) | Err(seen)) =
                self.state
                    .millis
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| moved(now).ok());
            moved(seen)
        } else {
            let to = moved(system_millis())?;
            self.set(to);
            Ok(to)
        }
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

/// The time the addon reads (times before 1970 read as the epoch: WASI's datetime is unsigned).
impl order_messages_host::Clock for Clock {
    fn now_millis(&self) -> i64 {
        Clock::now_millis(self)
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
        assert_eq!(shared.now_millis(), 5);
        clock.set(-5);
        assert_eq!(shared.now_millis(), -5);
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

    #[test]
    fn a_move_out_of_range_is_refused_and_leaves_the_clock() {
        let clock = Clock::default();
        let far = i128::from(MAX_MILLIS - DEFAULT_NOW_MILLIS);
        for by in [
            far + 1,
            -i128::from(DEFAULT_NOW_MILLIS) - 1,
            i128::from(i64::MAX) * 60_000,
            i128::MAX,
        ] {
            let err = clock.try_advance_millis(by).unwrap_err();
            assert_eq!(
                err,
                OutOfRange {
                    now: DEFAULT_NOW_MILLIS,
                    by_millis: by
                }
            );
            assert_eq!(clock.now_millis(), DEFAULT_NOW_MILLIS);
        }
        // To the very ends of the range.
        assert_eq!(clock.try_advance_millis(far), Ok(MAX_MILLIS));
        assert_eq!(clock.try_advance_millis(-i128::from(MAX_MILLIS)), Ok(0));
        assert_eq!(clock.now_millis(), 0);
        // A system clock is pinned where it moved, or not at all.
        let system = Clock::system();
        assert!(system.try_advance_millis(far * 2).is_err());
        assert!(!system.is_pinned());
        let to = system.try_advance_millis(60_000).unwrap();
        assert!(system.is_pinned());
        assert_eq!(system.now_millis(), to);
    }
}
