//! Property tests for money arithmetic: [`Usage::cost_micros`] (rounding, monotonicity, no
//! overflow) and [`MicroUsd`] parsing and display. Tests only; the code under test lives in
//! `proxy/usage.rs` and `budgets/money.rs`.

use proptest::prelude::*;

use crate::budgets::money::MicroUsd;
use crate::catalog::Price;
use crate::proxy::usage::Usage;

/// Largest token count the properties use: far beyond any real request.
const MAX_TOKENS: u64 = 1_000_000_000_000;
/// Largest price the properties use: $1000 per million tokens, in micro-USD.
const MAX_PRICE: i64 = 1_000_000_000;

fn usage() -> impl Strategy<Value = Usage> {
    (0..=MAX_TOKENS, 0..=MAX_TOKENS, 0..=MAX_TOKENS).prop_map(|(input, output, cached)| Usage {
        input_tokens: input,
        output_tokens: output,
        cached_tokens: cached.min(input),
    })
}

fn price() -> impl Strategy<Value = Price> {
    (
        0..=MAX_PRICE,
        0..=MAX_PRICE,
        proptest::option::of(0..=MAX_PRICE),
    )
        .prop_map(|(input, output, cached_input)| Price {
            input,
            output,
            cached_input,
        })
}

/// The exact cost in micro-USD × 10⁶ (prices are per million tokens), computed independently.
fn exact(u: &Usage, p: &Price) -> i128 {
    let cached_price = p.cached_input.unwrap_or(p.input);
    i128::from(u.input_tokens - u.cached_tokens) * i128::from(p.input)
        + i128::from(u.cached_tokens) * i128::from(cached_price)
        + i128::from(u.output_tokens) * i128::from(p.output)
}

fn add(a: &Usage, b: &Usage) -> Usage {
    Usage {
        input_tokens: a.input_tokens + b.input_tokens,
        output_tokens: a.output_tokens + b.output_tokens,
        cached_tokens: a.cached_tokens + b.cached_tokens,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn cost_is_the_exact_cost_rounded_up_to_a_whole_micro_dollar(u in usage(), p in price()) {
        let cost = i128::from(u.cost_micros(&p));
        let exact = exact(&u, &p);
        prop_assert!(cost * 1_000_000 >= exact, "{cost} µ$ under-counts {exact}");
        prop_assert!(cost * 1_000_000 < exact + 1_000_000, "{cost} µ$ over-counts {exact}");
    }

    #[test]
    fn more_tokens_of_any_kind_never_cost_less(
        u in usage(), p in price(), more in 0..=MAX_TOKENS, kind in 0..3usize
    ) {
        let mut bigger = u;
        match kind {
            0 => bigger.input_tokens += more,
            1 => bigger.output_tokens += more,
            _ => {
                // Cached tokens are a subset of input tokens: both grow together.
                bigger.input_tokens += more;
                bigger.cached_tokens += more;
            }
        }
        prop_assert!(bigger.cost_micros(&p) >= u.cost_micros(&p));
    }

    #[test]
    fn a_higher_price_never_costs_less(
        u in usage(), p in price(), more in 0..=MAX_PRICE, kind in 0..3usize
    ) {
        let mut dearer = p;
        match kind {
            0 => dearer.input += more,
            1 => dearer.output += more,
            _ => dearer.cached_input = Some(p.cached_input.unwrap_or(p.input) + more),
        }
        prop_assert!(u.cost_micros(&dearer) >= u.cost_micros(&p));
    }

    #[test]
    fn splitting_usage_costs_at_most_one_micro_dollar_more_and_never_less(
        a in usage(), b in usage(), p in price()
    ) {
        let whole = add(&a, &b).cost_micros(&p);
        let parts = a.cost_micros(&p) + b.cost_micros(&p);
        prop_assert!(whole <= parts, "{whole} > {parts}");
        prop_assert!(parts <= whole + 1, "{parts} > {whole} + 1");
    }

    #[test]
    fn cached_tokens_never_cost_more_than_uncached_when_their_price_is_no_higher(
        u in usage(), p in price(), discount in 0..=MAX_PRICE
    ) {
        let p = Price { cached_input: Some((p.input - discount).max(0)), ..p };
        let uncached = Usage { cached_tokens: 0, ..u };
        prop_assert!(u.cost_micros(&p) <= uncached.cost_micros(&p));
        // An unset cached price bills cached tokens as plain input.
        let unset = Price { cached_input: None, ..p };
        prop_assert_eq!(u.cost_micros(&unset), uncached.cost_micros(&unset));
    }

    #[test]
    fn a_displayed_amount_parses_back_to_the_same_amount(micros in 0..=i64::MAX) {
        let amount = MicroUsd::from_micros(micros);
        let shown = amount.to_string();
        let digits = shown.strip_prefix('$').unwrap();
        prop_assert_eq!(MicroUsd::parse_usd(digits), Ok(amount));
        // At least two fractional digits, and no trailing zeros beyond those.
        let fraction = digits.split_once('.').unwrap().1;
        prop_assert!((2..=6).contains(&fraction.len()), "{shown}");
        prop_assert!(fraction.len() == 2 || !fraction.ends_with('0'), "{shown}");
    }

    #[test]
    fn negative_amounts_display_as_their_magnitude_with_a_minus(micros in 1..=i64::MAX) {
        let shown = MicroUsd::from_micros(-micros).to_string();
        prop_assert_eq!(shown, format!("-{}", MicroUsd::from_micros(micros)));
    }

    #[test]
    fn a_parsed_amount_is_exactly_the_decimal_written(
        whole in 0..=(i64::MAX / 1_000_000 - 1), fraction in "[0-9]{0,6}"
    ) {
        let text = if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") };
        let scaled: i64 = format!("{fraction:0<6}").parse().unwrap();
        let parsed = MicroUsd::parse_usd(&text).unwrap();
        prop_assert_eq!(parsed.as_i64(), whole * 1_000_000 + scaled);
        // Display is canonical: re-parsing what it shows gives the same amount.
        let shown = parsed.to_string();
        prop_assert_eq!(MicroUsd::parse_usd(&shown[1..]), Ok(parsed));
    }

    #[test]
    fn more_than_six_fractional_digits_never_parse(whole in 0..1_000_000i64, fraction in "[0-9]{7,12}") {
        let text = format!("{whole}.{fraction}");
        prop_assert!(MicroUsd::parse_usd(&text).is_err(), "{text} parsed");
    }

    #[test]
    fn checked_addition_is_exact_or_reports_overflow(a in any::<i64>(), b in any::<i64>()) {
        let sum = MicroUsd::from_micros(a).checked_add(MicroUsd::from_micros(b));
        prop_assert_eq!(sum.map(MicroUsd::as_i64), a.checked_add(b));
    }
}

#[test]
fn the_largest_usage_at_the_largest_price_is_exact_and_does_not_overflow() {
    let p = Price {
        input: MAX_PRICE,
        output: MAX_PRICE,
        cached_input: Some(MAX_PRICE),
    };
    let u = Usage {
        input_tokens: MAX_TOKENS,
        output_tokens: MAX_TOKENS,
        cached_tokens: MAX_TOKENS,
    };
    // 2 × 10¹² tokens × 10⁹ µ$ per 10⁶ tokens = 2 × 10¹⁵ µ$.
    assert_eq!(u.cost_micros(&p), 2_000_000_000_000_000);
    assert_eq!(Usage::default().cost_micros(&p), 0);
}
