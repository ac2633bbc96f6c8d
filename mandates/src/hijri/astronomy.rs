//! The two instants a lunar month's first day is estimated from, in integer arithmetic
//! (the workspace has no floats): the conjunction of the moon and the sun (new moon), and
//! sunset in Algiers.
//!
//! The conjunction follows Jean Meeus, *Astronomical Algorithms* (2nd ed., 1998), ch. 49:
//! the mean new moon of lunation `k` plus its 25 periodic terms and 14 planetary terms,
//! angles in hundred-millionths of a degree and times in billionths of a day. The terms in
//! T² (under 10 seconds before 2100) are left out, and TT − UT is taken as 69 s; the result
//! is within about a minute of the published instants, far finer than the hours the
//! crescent rule works in.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};

/// Angles are in units of 10⁻⁸ degree.
const DEGREE: i64 = 100_000_000;
const TURN: i64 = 360 * DEGREE;
/// Times are in units of 10⁻⁹ day.
const DAY: i128 = 1_000_000_000;
/// The fixed-point unit of the sine series (10¹⁸).
const UNIT: i128 = 1_000_000_000_000_000_000;
/// π × 10¹⁸.
const PI: i128 = 3_141_592_653_589_793_238;
/// Terrestrial time minus universal time, about 69 s in the 2020s and drifting slowly.
const TT_MINUS_UT_SECONDS: i64 = 69;

/// `sin(angle)` × 10⁹, for an angle in 10⁻⁸ degree (any value, reduced to a turn): a
/// Taylor series in 10¹⁸ fixed point on the first quadrant, exact to about 10⁻¹².
pub(crate) fn sine(angle: i64) -> i128 {
    let angle = angle.rem_euclid(TURN);
    let (angle, negative) = if angle >= 180 * DEGREE {
        (angle - 180 * DEGREE, true)
    } else {
        (angle, false)
    };
    let angle = if angle > 90 * DEGREE {
        180 * DEGREE - angle
    } else {
        angle
    };
    let x = i128::from(angle) * PI / (180 * i128::from(DEGREE));
    let x_squared = x * x / UNIT;
    let mut term = x;
    let mut sum = x;
    for n in 1..=10_i128 {
        term = -term * x_squared / UNIT / ((2 * n) * (2 * n + 1));
        sum += term;
    }
    let value = (sum + 500_000_000) / 1_000_000_000;
    if negative { -value } else { value }
}

/// An angle `base + rate × k`, both in 10⁻⁸ degree.
fn angle(base: i64, rate: i64, k: i64) -> i64 {
    (i128::from(base) + i128::from(rate) * i128::from(k)).rem_euclid(i128::from(TURN)) as i64
}

/// One periodic term of the new moon (Meeus table 49.A): a coefficient in 10⁻⁵ day, the
/// power of the eccentricity factor E, and the multiples of M, M′, F and Ω in its argument.
struct Term(i128, u32, i64, i64, i64, i64);

const PERIODIC_TERMS: [Term; 25] = [
    Term(-40720, 0, 0, 1, 0, 0),
    Term(17241, 1, 1, 0, 0, 0),
    Term(1608, 0, 0, 2, 0, 0),
    Term(1039, 0, 0, 0, 2, 0),
    Term(739, 1, -1, 1, 0, 0),
    Term(-514, 1, 1, 1, 0, 0),
    Term(208, 2, 2, 0, 0, 0),
    Term(-111, 0, 0, 1, -2, 0),
    Term(-57, 0, 0, 1, 2, 0),
    Term(56, 1, 1, 2, 0, 0),
    Term(-42, 0, 0, 3, 0, 0),
    Term(42, 1, 1, 0, 2, 0),
    Term(38, 1, 1, 0, -2, 0),
    Term(-24, 1, -1, 2, 0, 0),
    Term(-17, 0, 0, 0, 0, 1),
    Term(-7, 0, 2, 1, 0, 0),
    Term(4, 0, 0, 2, -2, 0),
    Term(4, 0, 3, 0, 0, 0),
    Term(3, 0, 1, 1, -2, 0),
    Term(3, 0, 0, 2, 2, 0),
    Term(-3, 0, 1, 1, 2, 0),
    Term(3, 0, -1, 1, 2, 0),
    Term(-2, 0, -1, 1, -2, 0),
    Term(-2, 0, 1, 3, 0, 0),
    Term(2, 0, 0, 4, 0, 0),
];

/// The planetary terms (Meeus, after table 49.A): a coefficient in 10⁻⁶ day and the
/// argument `base + rate × k` in 10⁻⁸ degree.
const PLANETARY_TERMS: [(i128, i64, i64); 14] = [
    (325, 29_977_000_000, 10_740_800),
    (165, 25_188_000_000, 1_632_100),
    (164, 25_183_000_000, 2_665_188_600),
    (126, 34_942_000_000, 3_641_247_800),
    (110, 8_466_000_000, 1_820_623_900),
    (62, 14_174_000_000, 5_330_377_100),
    (60, 20_714_000_000, 245_373_200),
    (56, 15_484_000_000, 730_686_000),
    (47, 3_452_000_000, 2_726_123_900),
    (42, 20_719_000_000, 12_182_400),
    (40, 29_134_000_000, 184_437_900),
    (37, 16_172_000_000, 2_419_815_400),
    (35, 23_956_000_000, 2_551_309_900),
    (23, 33_155_000_000, 359_251_800),
];

/// The conjunction of lunation `k`, counted from the new moon of 6 January 2000 (k = 0),
/// in universal time.
pub fn new_moon(k: i64) -> DateTime<Utc> {
    let m = angle(255_340_000, 2_910_535_670, k);
    let m_prime = angle(20_156_430_000, 38_581_693_528, k);
    let f = angle(16_071_080_000, 39_067_050_284, k);
    let omega = angle(12_477_460_000, -156_375_588, k);
    // E = 1 − 0.002516 T, with T = k / 1236.85 Julian centuries; × 10⁹.
    let e = DAY - i128::from(k) * 251_600_000 / 123_685;
    let mut jde = 2_451_550_097_660_000 + 29_530_588_861 * i128::from(k);
    for Term(coefficient, e_power, m_times, m_prime_times, f_times, omega_times) in PERIODIC_TERMS {
        let argument = m_times * m + m_prime_times * m_prime + f_times * f + omega_times * omega;
        let mut value = coefficient * sine(argument);
        for _ in 0..e_power {
            value = value * e / DAY;
        }
        jde += value / 100_000;
    }
    for (coefficient, base, rate) in PLANETARY_TERMS {
        jde += coefficient * sine(angle(base, rate, k)) / 1_000_000;
    }
    // Julian day 2451545.0 is 1 January 2000 at 12:00 TT.
    let seconds = (jde - 2_451_545 * DAY) * 86_400 / DAY;
    let j2000 = DateTime::from_timestamp(946_728_000, 0).unwrap_or_default();
    j2000 + TimeDelta::seconds(seconds as i64 - TT_MINUS_UT_SECONDS)
}

/// Sunset in Algiers (36.75° N, 3.06° E) on the 1st and 16th of each month, in minutes
/// after midnight UTC: the standard solar formula (upper limb, refraction −0.833°),
/// computed once for 2026. From one year to the next it moves by under a minute.
const SUNSET_MINUTES_UTC: [[i64; 2]; 12] = [
    [1003, 1017],
    [1034, 1050],
    [1063, 1076],
    [1090, 1103],
    [1117, 1130],
    [1142, 1150],
    [1152, 1147],
    [1136, 1120],
    [1099, 1076],
    [1053, 1032],
    [1013, 1000],
    [993, 994],
];

/// Sunset in Algiers on `date` (UTC), interpolated between the table's half-months
/// (within two minutes of the formula).
pub fn sunset_in_algiers(date: NaiveDate) -> DateTime<Utc> {
    let month = date.month0() as usize;
    let day = i64::from(date.day());
    let [first, sixteenth] = SUNSET_MINUTES_UTC[month];
    let next_first = SUNSET_MINUTES_UTC[(month + 1) % 12][0];
    let minutes = if day < 16 {
        first + (sixteenth - first) * (day - 1) / 15
    } else {
        let span = i64::from(days_in_month(date)) - 15;
        sixteenth + (next_first - sixteenth) * (day - 16) / span
    };
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + TimeDelta::minutes(minutes)
}

fn days_in_month(date: NaiveDate) -> u32 {
    let first = date.with_day(1).unwrap_or(date);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.checked_sub_days(Days::new(1)))
        .map_or(31, |last| last.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn within(actual: DateTime<Utc>, expected: &str, minutes: i64) {
        let gap = (actual - at(expected)).num_minutes().abs();
        assert!(gap <= minutes, "{actual} is {gap} min from {expected}");
    }

    #[test]
    fn the_sine_is_exact_to_nine_places() {
        assert_eq!(sine(0), 0);
        assert_eq!(sine(30 * DEGREE), 500_000_000);
        assert_eq!(sine(90 * DEGREE), 1_000_000_000);
        assert_eq!(sine(150 * DEGREE), 500_000_000);
        assert_eq!(sine(-30 * DEGREE), -500_000_000);
        assert_eq!(sine(210 * DEGREE), -500_000_000);
        assert_eq!(sine(45 * DEGREE), 707_106_781);
        assert_eq!(sine(1_000 * DEGREE), sine(280 * DEGREE));
        assert_eq!(sine(280 * DEGREE), -984_807_753);
    }

    #[test]
    fn meeus_worked_example_new_moon_of_february_1977() {
        // Meeus example 49.a: k = −283, JDE 2443192.65118 = 1977 Feb 18, 3:37:42 TD
        // (less the 69 s this module takes for TT − UT).
        within(new_moon(-283), "1977-02-18T03:36:33Z", 1);
    }

    #[test]
    fn new_moons_agree_with_the_published_instants() {
        // Published conjunctions (UT), rounded to the minute.
        within(new_moon(0), "2000-01-06T18:14:00Z", 1);
        within(new_moon(312), "2025-03-29T10:58:00Z", 1);
        within(new_moon(314), "2025-05-27T03:02:00Z", 1);
        within(new_moon(324), "2026-03-19T01:23:00Z", 1);
        within(new_moon(326), "2026-05-16T20:01:00Z", 1);
        within(new_moon(327), "2026-06-15T02:54:00Z", 1);
        within(new_moon(329), "2026-08-12T17:37:00Z", 1);
    }

    #[test]
    fn sunset_in_algiers_through_the_year() {
        // Winter solstice ≈ 17:36 local (UTC+1), summer ≈ 20:11, equinox ≈ 19:00; a leap day.
        for (date, expected) in [
            ((2026, 12, 21), "2026-12-21T16:36:00Z"),
            ((2026, 6, 21), "2026-06-21T19:11:00Z"),
            ((2026, 3, 19), "2026-03-19T17:59:00Z"),
            ((2028, 2, 29), "2028-02-29T17:42:00Z"),
        ] {
            let (y, m, d) = date;
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            within(sunset_in_algiers(date), expected, 2);
        }
    }
}
