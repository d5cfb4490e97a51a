//! carbon's token bucket (`carbon.util.TokenBucket`), with the clock passed in.
//!
//! MAX_UPDATES_PER_SECOND is a bucket of capacity N refilled N tokens a second, drained one token
//! per `update_many` (a blocking wait when empty); MAX_CREATES_PER_MINUTE is a bucket of capacity
//! N refilled N/60 a second, drained one token per file created (never waited for).

use std::time::Duration;

/// A token bucket: starts full, refills continuously up to its capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    fill_rate_per_sec: f64,
    /// When `tokens` was last brought up to date, in seconds of the caller's clock.
    updated_at_secs: f64,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens refilled `fill_rate_per_sec` tokens a second.
    pub fn new(capacity: f64, fill_rate_per_sec: f64, now_secs: f64) -> Self {
        TokenBucket {
            capacity,
            tokens: capacity,
            fill_rate_per_sec,
            updated_at_secs: now_secs,
        }
    }

    /// The tokens available now.
    pub fn tokens(&mut self, now_secs: f64) -> f64 {
        if self.tokens < self.capacity {
            let refill = self.fill_rate_per_sec * (now_secs - self.updated_at_secs);
            self.tokens = self.capacity.min(self.tokens + refill);
            self.updated_at_secs = now_secs;
        }
        self.tokens
    }

    /// Takes `cost` tokens if they are there; otherwise takes nothing and returns false.
    pub fn try_drain(&mut self, cost: f64, now_secs: f64) -> bool {
        if cost <= self.tokens(now_secs) {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Takes `cost` tokens, going into debt if needed, and returns how long the caller must wait
    /// before acting (zero when the tokens were there), as the reference's blocking `drain`.
    pub fn drain_blocking(&mut self, cost: f64, now_secs: f64) -> Duration {
        if self.try_drain(cost, now_secs) {
            return Duration::ZERO;
        }
        let needed = cost - self.tokens;
        let wait_secs = if self.fill_rate_per_sec > 0.0 {
            self.updated_at_secs + needed / self.fill_rate_per_sec - now_secs
        } else {
            0.0
        };
        self.tokens -= cost;
        Duration::from_secs_f64(wait_secs.max(0.0))
    }

    /// How long until the bucket could pay `cost` without going into debt, or is full when its
    /// capacity is below `cost` (a rate under one update a second).
    pub fn time_until_affordable(&mut self, cost: f64, now_secs: f64) -> Duration {
        self.time_until(cost.min(self.capacity), now_secs)
    }

    /// How long until `cost` tokens are available (zero if they are now).
    pub fn time_until(&mut self, cost: f64, now_secs: f64) -> Duration {
        let missing = cost - self.tokens(now_secs);
        if missing <= 0.0 || self.fill_rate_per_sec <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(missing / self.fill_rate_per_sec)
    }

    /// Changes capacity and rate, keeping the tokens' distance to the capacity, as
    /// `setCapacityAndFillRate` (used for MAX_UPDATES_PER_SECOND_ON_SHUTDOWN).
    pub fn set_capacity_and_fill_rate(&mut self, capacity: f64, fill_rate_per_sec: f64) {
        let delta = capacity - self.capacity;
        self.capacity = capacity;
        self.fill_rate_per_sec = fill_rate_per_sec;
        self.tokens += delta;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_full_and_refills_at_the_rate() {
        let mut b = TokenBucket::new(2.0, 1.0, 100.0);
        assert!(b.try_drain(1.0, 100.0));
        assert!(b.try_drain(1.0, 100.0));
        assert!(!b.try_drain(1.0, 100.0));
        assert!(!b.try_drain(1.0, 100.5));
        assert!(b.try_drain(1.0, 101.0));
        // Never above capacity.
        assert_eq!(b.tokens(1000.0), 2.0);
    }

    #[test]
    fn blocking_drain_says_how_long_to_wait() {
        let mut b = TokenBucket::new(1.0, 2.0, 0.0);
        assert_eq!(b.drain_blocking(1.0, 0.0), Duration::ZERO);
        assert_eq!(b.drain_blocking(1.0, 0.0), Duration::from_millis(500));
        // In debt now: the next token comes a further half second later.
        assert_eq!(b.time_until(1.0, 0.5), Duration::from_millis(500));
    }

    #[test]
    fn creates_per_minute() {
        let mut b = TokenBucket::new(50.0, 50.0 / 60.0, 0.0);
        for _ in 0..50 {
            assert!(b.try_drain(1.0, 0.0));
        }
        assert!(!b.try_drain(1.0, 1.0));
        assert!(b.try_drain(1.0, 1.2));
    }

    #[test]
    fn shutdown_rate_keeps_the_deficit() {
        let mut b = TokenBucket::new(10.0, 10.0, 0.0);
        assert!(b.try_drain(4.0, 0.0));
        b.set_capacity_and_fill_rate(1000.0, 1000.0);
        assert_eq!(b.tokens(0.0), 996.0);
        // MAX_UPDATES_PER_SECOND_ON_SHUTDOWN = inf lifts the limit.
        b.set_capacity_and_fill_rate(f64::INFINITY, f64::INFINITY);
        for _ in 0..10_000 {
            assert_eq!(b.drain_blocking(1.0, 0.0), Duration::ZERO);
        }
    }
}
