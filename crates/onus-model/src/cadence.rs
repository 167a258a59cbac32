//! ISO 8601 durations, the form of an activity's cadence.
//!
//! Written here rather than taken from a crate: the grammar onus needs is tiny (`PnYnMnWnD`,
//! `TnHnMnS`, integers only) and the crates that exist also parse intervals and dates we
//! neither need nor want to accept.

use std::fmt;

/// A duration as written in a model (`P1Y`, `P3M`, `P1W`, `PT24H`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cadence {
    pub years: u32,
    pub months: u32,
    pub weeks: u32,
    pub days: u32,
    pub hours: u32,
    pub minutes: u32,
    pub seconds: u32,
}

/// Why a text is not a duration onus accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an ISO 8601 duration: {why}")]
pub struct CadenceError {
    pub text: String,
    pub why: &'static str,
}

impl Cadence {
    pub fn parse(text: &str) -> Result<Cadence, CadenceError> {
        let err = |why| CadenceError {
            text: text.to_string(),
            why,
        };
        let rest = text
            .strip_prefix('P')
            .ok_or_else(|| err("it must start with P"))?;
        if rest.is_empty() {
            return Err(err("it names no amount"));
        }
        let mut c = Cadence::default();
        let mut in_time = false;
        let mut number = String::new();
        let mut any = false;
        for ch in rest.chars() {
            if ch.is_ascii_digit() {
                number.push(ch);
                continue;
            }
            if ch == 'T' {
                if in_time || !number.is_empty() {
                    return Err(err("T is misplaced"));
                }
                in_time = true;
                continue;
            }
            let n: u32 = number
                .parse()
                .map_err(|_| err("a unit has no number before it"))?;
            number.clear();
            any = true;
            let slot = match (in_time, ch) {
                (false, 'Y') => &mut c.years,
                (false, 'M') => &mut c.months,
                (false, 'W') => &mut c.weeks,
                (false, 'D') => &mut c.days,
                (true, 'H') => &mut c.hours,
                (true, 'M') => &mut c.minutes,
                (true, 'S') => &mut c.seconds,
                _ => return Err(err("units are Y, M, W, D and, after T, H, M, S")),
            };
            *slot = n;
        }
        if !number.is_empty() {
            return Err(err("a number has no unit after it"));
        }
        if !any {
            return Err(err("it names no amount"));
        }
        Ok(c)
    }

    /// An approximate length in seconds (a month is 30 days, a year 365), for due dates.
    pub fn approx_seconds(&self) -> u64 {
        let days = u64::from(self.years) * 365
            + u64::from(self.months) * 30
            + u64::from(self.weeks) * 7
            + u64::from(self.days);
        days * 86_400
            + u64::from(self.hours) * 3600
            + u64::from(self.minutes) * 60
            + u64::from(self.seconds)
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P")?;
        for (n, u) in [
            (self.years, 'Y'),
            (self.months, 'M'),
            (self.weeks, 'W'),
            (self.days, 'D'),
        ] {
            if n > 0 {
                write!(f, "{n}{u}")?;
            }
        }
        if self.hours + self.minutes + self.seconds > 0 {
            write!(f, "T")?;
            for (n, u) in [(self.hours, 'H'), (self.minutes, 'M'), (self.seconds, 'S')] {
                if n > 0 {
                    write!(f, "{n}{u}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_cadences() {
        assert_eq!(Cadence::parse("P1Y").unwrap().years, 1);
        assert_eq!(Cadence::parse("P3M").unwrap().months, 3);
        assert_eq!(Cadence::parse("PT24H").unwrap().hours, 24);
        let c = Cadence::parse("P1DT12H").unwrap();
        assert_eq!((c.days, c.hours), (1, 12));
        assert_eq!(c.approx_seconds(), 36 * 3600);
        assert_eq!(Cadence::parse("P1W").unwrap().to_string(), "P1W");
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in [
            "", "1Y", "P", "PT", "P1", "PY", "P1H", "PT1D", "P1.5Y", "yearly", "P1T1H",
        ] {
            assert!(Cadence::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
