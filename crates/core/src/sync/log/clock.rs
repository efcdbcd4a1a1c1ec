//! Hybrid logical clocks (docs/FORMAT.md, schema 16): `<ms, 15 digits>-<counter, 6
//! digits>-<device>`, strings whose byte order is their time order. A device's next clock
//! is after the wall clock and after every clock it has made or merged, so an edit made
//! after seeing another always wins over it, whatever the two machines' clocks say.

const MAX_COUNTER: u32 = 999_999;
const DAY_MS: u64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    ms: u64,
    counter: u32,
    device: String,
}

impl Clock {
    pub fn start(device: &str) -> Self {
        Self {
            ms: 0,
            counter: 0,
            device: device.to_string(),
        }
    }

    /// The clock as stored; None if `text` is not one.
    pub fn parse(text: &str, device: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '-');
        let ms = parts.next().filter(|p| p.len() == 15)?.parse().ok()?;
        let counter = parts.next().filter(|p| p.len() == 6)?.parse().ok()?;
        parts.next().filter(|p| p.len() == 32)?;
        Some(Self {
            ms,
            counter,
            device: device.to_string(),
        })
    }

    /// The next clock of this device at wall time `now_ms`.
    pub fn tick(&mut self, now_ms: u64) -> String {
        if now_ms > self.ms {
            self.ms = now_ms;
            self.counter = 0;
        } else if self.counter == MAX_COUNTER {
            // Six digits keep byte order: past them, the next millisecond.
            self.ms += 1;
            self.counter = 0;
        } else {
            self.counter += 1;
        }
        self.to_string()
    }

    /// Whether `hlc` is a clock this device could have made: the right form, its id,
    /// not more than a day ahead of `now_ms`.
    pub fn is_valid(hlc: &str, device: &str, now_ms: u64) -> bool {
        hlc.len() == 15 + 1 + 6 + 1 + 32
            && hlc.ends_with(device)
            && Self::parse(hlc, device).is_some_and(|c| c.ms <= now_ms + DAY_MS)
    }

    /// After merging an op made at `seen`: later clocks of this device sort after it.
    pub fn observe(&mut self, seen: &str) {
        let mut parts = seen.splitn(3, '-');
        let ms: Option<u64> = parts.next().and_then(|p| p.parse().ok());
        let counter: Option<u32> = parts.next().and_then(|p| p.parse().ok());
        if let (Some(ms), Some(counter)) = (ms, counter)
            && (ms, counter) > (self.ms, self.counter)
        {
            self.ms = ms;
            self.counter = counter;
        }
    }

    /// Wall-clock milliseconds of a clock string, if it is one.
    pub fn millis_of(hlc: &str) -> Option<u64> {
        hlc.split('-').next()?.parse().ok()
    }
}

impl std::fmt::Display for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:015}-{:06}-{}", self.ms, self.counter, self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn clocks_sort_in_the_order_they_were_made() {
        let mut a = Clock::start(A);
        let first = a.tick(1_000);
        let second = a.tick(1_000);
        let third = a.tick(999); // the wall clock went back
        assert!(first < second && second < third, "{first} {second} {third}");
        assert_eq!(Clock::parse(&third, A), Some(a.clone()));
        assert_eq!(Clock::millis_of(&third), Some(1_000));
    }

    #[test]
    fn a_million_changes_in_one_millisecond_keep_their_order() {
        let mut a = Clock::start(A);
        let mut last = a.tick(5);
        for _ in 0..1_000_001 {
            let next = a.tick(5);
            assert!(next > last, "{next} after {last}");
            last = next;
        }
        assert_eq!(Clock::millis_of(&last), Some(6));
        assert!(Clock::is_valid(&last, A, 5));
        assert!(!Clock::is_valid(&last, B, 5));
        let far_ahead = Clock::start(A).tick(2 * DAY_MS);
        assert!(!Clock::is_valid(&far_ahead, A, 0));
        assert!(Clock::is_valid(&far_ahead, A, DAY_MS));
    }

    #[test]
    fn an_edit_after_seeing_another_wins_even_with_a_slow_clock() {
        let mut fast = Clock::start(B);
        let theirs = fast.tick(50_000);
        let mut slow = Clock::start(A);
        slow.observe(&theirs);
        assert!(slow.tick(10_000) > theirs);
    }
}
