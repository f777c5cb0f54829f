//! Money as integer micro-dollars (1 USD = 1 000 000 µUSD). Never floats: every amount in the
//! gateway — prices, budgets, spend — is a [`MicroUsd`], so sums are exact and comparable.

use std::fmt;
use std::str::FromStr;

/// Micro-dollars per dollar.
const MICROS_PER_USD: i64 = 1_000_000;
/// Digits after the decimal point that a micro-dollar can represent.
const MAX_FRACTION_DIGITS: usize = 6;

/// An amount of US dollars in micro-dollars. May be negative (differences, refunds), but
/// [`MicroUsd::parse_usd`] only accepts non-negative amounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MicroUsd(i64);

impl MicroUsd {
    pub const ZERO: MicroUsd = MicroUsd(0);

    /// Wraps a raw micro-dollar count (e.g. read back from the database).
    pub const fn from_micros(micros: i64) -> MicroUsd {
        MicroUsd(micros)
    }

    /// The raw micro-dollar count, as stored in the database.
    pub const fn as_i64(self) -> i64 {
        self.0
    }

    /// Parses a non-negative decimal USD string such as `"0.15"`, `"1000"` or `"12.5"`.
    ///
    /// At most six fractional digits; no sign, exponent, spaces or thousands separators.
    pub fn parse_usd(s: &str) -> Result<MicroUsd, String> {
        let expected = "expected a non-negative decimal USD amount like \"12.50\" \
                        (digits, optional '.' and at most 6 fractional digits)";
        let (whole, fraction) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(format!("{s:?} is not a valid amount: {expected}"));
        }
        if s.contains('.') && fraction.is_empty() {
            return Err(format!(
                "{s:?} is not a valid amount: digits must follow the '.'; {expected}"
            ));
        }
        if fraction.len() > MAX_FRACTION_DIGITS {
            return Err(format!(
                "{s:?} has more than {MAX_FRACTION_DIGITS} fractional digits \
                 (the smallest unit is one micro-dollar, 0.000001)"
            ));
        }
        let too_large = || format!("{s:?} is too large: at most {}", MicroUsd(i64::MAX));
        let whole_micros = whole
            .parse::<i64>()
            .ok()
            .and_then(|w| w.checked_mul(MICROS_PER_USD))
            .ok_or_else(too_large)?;
        let mut fraction_micros: i64 = 0;
        for position in 0..MAX_FRACTION_DIGITS {
            let digit = fraction.as_bytes().get(position).map_or(0, |b| b - b'0');
            fraction_micros = fraction_micros * 10 + i64::from(digit);
        }
        whole_micros
            .checked_add(fraction_micros)
            .map(MicroUsd)
            .ok_or_else(too_large)
    }

    pub fn checked_add(self, other: MicroUsd) -> Option<MicroUsd> {
        self.0.checked_add(other.0).map(MicroUsd)
    }

    pub fn checked_sub(self, other: MicroUsd) -> Option<MicroUsd> {
        self.0.checked_sub(other.0).map(MicroUsd)
    }
}

impl FromStr for MicroUsd {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MicroUsd::parse_usd(s)
    }
}

/// `$12.50`, `$0.000150` → `$0.00015`, `$1000.00`: at least two fractional digits, trailing
/// zeros beyond that trimmed, so no precision is ever hidden.
impl fmt::Display for MicroUsd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let micros_per_usd = MICROS_PER_USD.unsigned_abs();
        let whole = magnitude / micros_per_usd;
        let digits = format!("{:06}", magnitude % micros_per_usd);
        let trimmed = digits.trim_end_matches('0');
        let fraction = if trimmed.len() < 2 {
            &digits[..2]
        } else {
            trimmed
        };
        write!(f, "{sign}${whole}.{fraction}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn micros(s: &str) -> i64 {
        MicroUsd::parse_usd(s).unwrap().as_i64()
    }

    #[test]
    fn whole_dollars_parse_to_millions_of_micros() {
        assert_eq!(micros("1000"), 1_000_000_000);
        assert_eq!(micros("0"), 0);
        assert_eq!(micros("007"), 7_000_000);
    }

    #[test]
    fn fractional_dollars_parse_exactly() {
        assert_eq!(micros("0.15"), 150_000);
        assert_eq!(micros("12.5"), 12_500_000);
        assert_eq!(micros("0.000001"), 1);
        assert_eq!(micros("2.500000"), 2_500_000);
    }

    #[test]
    fn more_than_six_fractional_digits_is_rejected() {
        let err = MicroUsd::parse_usd("0.0000001").unwrap_err();
        assert!(err.contains("more than 6 fractional digits"), "{err}");
    }

    #[test]
    fn signs_exponents_spaces_and_separators_are_rejected_with_the_expected_form() {
        for bad in [
            "-1", "+1", "1e3", " 1", "1 ", "1,000", "1_000", "", ".5", "5.", "1.2.3", "abc", "$5",
            "NaN",
        ] {
            let err = MicroUsd::parse_usd(bad).unwrap_err();
            assert!(
                err.contains("expected a non-negative decimal"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn amounts_beyond_i64_micros_are_an_overflow_error_not_a_wrap() {
        let max_whole = i64::MAX / 1_000_000;
        assert_eq!(micros(&format!("{max_whole}")), max_whole * 1_000_000);
        let err = MicroUsd::parse_usd(&format!("{}", max_whole + 1)).unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = MicroUsd::parse_usd(&format!("{max_whole}.999999")).unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = MicroUsd::parse_usd("99999999999999999999999").unwrap_err();
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn display_shows_dollars_with_at_least_two_decimals_and_no_lost_precision() {
        assert_eq!(MicroUsd::from_micros(12_500_000).to_string(), "$12.50");
        assert_eq!(MicroUsd::from_micros(1_000_000_000).to_string(), "$1000.00");
        assert_eq!(MicroUsd::from_micros(150).to_string(), "$0.00015");
        assert_eq!(MicroUsd::from_micros(1).to_string(), "$0.000001");
        assert_eq!(MicroUsd::from_micros(-1_500_000).to_string(), "-$1.50");
        assert_eq!(MicroUsd::ZERO.to_string(), "$0.00");
    }

    #[test]
    fn display_of_a_parsed_amount_parses_back_to_the_same_amount() {
        for s in ["0.15", "12.5", "1000", "0.000001", "123456.654321"] {
            let amount = MicroUsd::parse_usd(s).unwrap();
            let shown = amount.to_string();
            assert_eq!(MicroUsd::parse_usd(&shown[1..]).unwrap(), amount, "{s}");
        }
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        let max = MicroUsd::from_micros(i64::MAX);
        assert_eq!(max.checked_add(MicroUsd::from_micros(1)), None);
        assert_eq!(
            MicroUsd::from_micros(5).checked_sub(MicroUsd::from_micros(7)),
            Some(MicroUsd::from_micros(-2))
        );
    }
}
