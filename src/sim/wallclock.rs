//! Wall-clock time, for the record only: when a session started, so learning records
//! can say when it happened. It never enters the simulation (whose clock advances only
//! by actions), so a session replays to the same state whenever it is replayed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC, to the millisecond; written as RFC 3339 (`2026-11-28T11:13:02.123Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallClock {
    unix_ms: i64,
}

impl WallClock {
    /// The current time of this computer.
    pub fn now() -> WallClock {
        // A browser has no system clock for std (it panics there), only the page's.
        #[cfg(target_arch = "wasm32")]
        let ms = js_sys::Date::now() as i64;
        #[cfg(not(target_arch = "wasm32"))]
        let ms = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_millis() as i64,
            Err(e) => -(e.duration().as_millis() as i64),
        };
        WallClock { unix_ms: ms }
    }

    pub fn from_unix_ms(unix_ms: i64) -> WallClock {
        WallClock { unix_ms }
    }

    pub fn unix_ms(self) -> i64 {
        self.unix_ms
    }

    /// This instant plus `seconds` (rounded to the millisecond).
    pub fn plus_seconds(self, seconds: f64) -> WallClock {
        WallClock { unix_ms: self.unix_ms + (seconds * 1000.0).round() as i64 }
    }

    /// Parse `YYYY-MM-DDTHH:MM:SS[.fff]Z` (RFC 3339 in UTC, as this type writes it).
    pub fn parse(s: &str) -> Result<WallClock, String> {
        let bad = || format!("`{s}` is not a UTC time like 2026-11-28T11:13:02Z");
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
            let t = &s[r];
            if t.bytes().all(|c| c.is_ascii_digit()) { t.parse().map_err(|_| bad()) } else { Err(bad()) }
        };
        let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
        let rest = &s[19..];
        let ms = match rest {
            "Z" | "z" => 0,
            _ if rest.starts_with('.') && rest.len() >= 3 && rest.ends_with(['Z', 'z']) => {
                let frac = &rest[1..rest.len() - 1];
                if !frac.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad());
                }
                let mut digits: String = frac.chars().take(3).collect();
                while digits.len() < 3 {
                    digits.push('0');
                }
                digits.parse::<i64>().map_err(|_| bad())?
            }
            _ => return Err(bad()),
        };
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59 {
            return Err(bad());
        }
        let days = days_from_civil(y, mo, d);
        Ok(WallClock { unix_ms: ((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + ms })
    }
}

impl fmt::Display for WallClock {
    /// RFC 3339 in UTC with milliseconds, the form xAPI timestamps use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix_ms.div_euclid(86_400_000);
        let ms_of_day = self.unix_ms.rem_euclid(86_400_000);
        let (y, mo, d) = civil_from_days(days);
        let s = ms_of_day / 1000;
        write!(f, "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, s / 60 % 60, s % 60, ms_of_day % 1000)
    }
}

impl Serialize for WallClock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WallClock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WallClock, D::Error> {
        let s = String::deserialize(d)?;
        WallClock::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_are_written_as_utc() {
        // `date -u -d @0`, `date -u -d @951782400` (a leap day), `date -u -d @1795864382`.
        assert_eq!(WallClock::from_unix_ms(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(WallClock::from_unix_ms(951_782_400_000).to_string(), "2000-02-29T00:00:00.000Z");
        assert_eq!(WallClock::from_unix_ms(1_795_864_382_123).to_string(), "2026-11-28T11:13:02.123Z");
    }

    #[test]
    fn written_times_read_back_and_bad_ones_are_refused() {
        let t = WallClock::parse("2026-11-28T11:13:02.123Z").unwrap();
        assert_eq!(t.unix_ms(), 1_795_864_382_123);
        assert_eq!(WallClock::parse("2026-11-28T11:13:02Z").unwrap().unix_ms(), 1_795_864_382_000);
        assert_eq!(t.plus_seconds(60.5).to_string(), "2026-11-28T11:14:02.623Z");
        for bad in ["2026-02-30T00:00:00Z", "2026-11-28 11:13:02Z", "2026-11-28T11:13:02+01:00", "yesterday", ""] {
            assert!(WallClock::parse(bad).is_err(), "{bad}");
        }
    }
}
