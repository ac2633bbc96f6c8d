//! Money: Algerian dinars as an exact count of centimes.
//!
//! Storage and arithmetic use `i64` centimes with checked operations; decimal text
//! ("1234.50") only appears at the edges, through `rust_decimal`. No floats.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// An amount of DZD in centimes (1 DZD = 100 centimes). May be negative only where a
/// caller builds it so (e.g. a correction); parsing accepts a leading minus sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

/// Why a piece of text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount is empty")]
    Empty,
    #[error("amount {0:?} is not a decimal number (write it like 1234.50)")]
    NotANumber(String),
    #[error("amount {0:?} has more than 2 decimal places (centimes are the smallest unit)")]
    TooPrecise(String),
    #[error("amount {0:?} is too large")]
    Overflow(String),
    #[error("amount arithmetic overflowed")]
    ArithmeticOverflow,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_centimes(centimes: i64) -> Amount {
        Amount(centimes)
    }

    pub const fn centimes(self) -> i64 {
        self.0
    }

    /// Parses "1234.5", "1234.50", "1234", "-12.30". Spaces around are ignored;
    /// more than two decimal places is an error, never a silent rounding.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(AmountError::Empty);
        }
        if let Some(amount) = Amount::parse_plain(trimmed) {
            return Ok(amount);
        }
        if !trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
        {
            return Err(AmountError::NotANumber(trimmed.to_owned()));
        }
        let decimal =
            Decimal::from_str(trimmed).map_err(|_| AmountError::NotANumber(trimmed.to_owned()))?;
        Amount::from_decimal(decimal).map_err(|e| match e {
            AmountError::TooPrecise(_) => AmountError::TooPrecise(trimmed.to_owned()),
            AmountError::Overflow(_) => AmountError::Overflow(trimmed.to_owned()),
            other => other,
        })
    }

    /// The common shape ("1234", "1234.5", "1234.50", optional minus) without going through
    /// `Decimal`: bank files hold hundreds of thousands of amounts. `None` sends anything
    /// else (or anything that might overflow) down the general path.
    fn parse_plain(text: &str) -> Option<Amount> {
        // One pass over the bytes: this runs for every amount of every bank file.
        let (negative, digits) = match text.as_bytes() {
            [b'-', rest @ ..] => (true, rest),
            bytes => (false, bytes),
        };
        let whole_len = digits
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(digits.len());
        if whole_len == 0 || whole_len > 15 {
            return None;
        }
        let digit = |b: u8| i64::from(b - b'0');
        let units = digits[..whole_len]
            .iter()
            .fold(0i64, |acc, &b| acc * 10 + digit(b));
        let cents = match digits[whole_len..] {
            [] => 0,
            [b'.', tenths] if tenths.is_ascii_digit() => digit(tenths) * 10,
            [b'.', tenths, hundredths]
                if tenths.is_ascii_digit() && hundredths.is_ascii_digit() =>
            {
                digit(tenths) * 10 + digit(hundredths)
            }
            _ => return None,
        };
        let centimes = units * 100 + cents;
        Some(Amount(if negative { -centimes } else { centimes }))
    }

    /// Converts an exact decimal; more than two significant decimal places is refused.
    pub fn from_decimal(value: Decimal) -> Result<Amount, AmountError> {
        let normalized = value.normalize();
        if normalized.scale() > 2 {
            return Err(AmountError::TooPrecise(value.to_string()));
        }
        let centimes = normalized
            .checked_mul(Decimal::ONE_HUNDRED)
            .ok_or_else(|| AmountError::Overflow(value.to_string()))?;
        let centimes: i64 = centimes
            .try_into()
            .map_err(|_| AmountError::Overflow(value.to_string()))?;
        Ok(Amount(centimes))
    }

    /// The exact decimal value in dinars, with scale 2.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// Sums amounts, failing on overflow rather than wrapping.
    pub fn checked_sum<I: IntoIterator<Item = Amount>>(items: I) -> Option<Amount> {
        items
            .into_iter()
            .try_fold(Amount::ZERO, |acc, a| acc.checked_add(a))
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for Amount {
    /// Always two decimals, no thousands separator: "1234.50", "-0.05".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse(s)
    }
}

impl serde::Serialize for Amount {
    /// Serialised as a decimal string ("1234.50") so no JSON client turns it into a float.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Amount::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_exactly() {
        for (text, centimes, shown) in [
            ("1234.50", 123_450, "1234.50"),
            ("1234.5", 123_450, "1234.50"),
            ("1234", 123_400, "1234.00"),
            ("0.05", 5, "0.05"),
            ("-12.30", -1_230, "-12.30"),
            (" 7.00 ", 700, "7.00"),
            ("250000000.99", 25_000_000_099, "250000000.99"),
        ] {
            let amount = Amount::parse(text).unwrap();
            assert_eq!(amount.centimes(), centimes, "{text}");
            assert_eq!(amount.to_string(), shown, "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(Amount::parse(""), Err(AmountError::Empty));
        assert!(matches!(
            Amount::parse("12,50"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("1e5"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            Amount::parse("1.234"),
            Err(AmountError::TooPrecise(_))
        ));
        assert!(matches!(
            Amount::parse("99999999999999999999"),
            Err(AmountError::Overflow(_))
        ));
    }

    #[test]
    fn trailing_zeros_beyond_centimes_are_not_extra_precision() {
        assert_eq!(Amount::parse("1.2300").unwrap().centimes(), 123);
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(
            Amount::from_centimes(i64::MAX).checked_add(Amount::from_centimes(1)),
            None
        );
        assert_eq!(
            Amount::checked_sum([Amount::from_centimes(1), Amount::from_centimes(2)]),
            Some(Amount::from_centimes(3))
        );
    }
}
