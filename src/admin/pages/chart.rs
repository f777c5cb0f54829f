//! Geometry for the spend page's server-rendered SVG: daily spend stacked by key for the top
//! keys (the rest as "Other"), with a dollar y-axis, day labels and a legend. Only numbers and
//! labels come out of here; `templates/spend.html` draws them (askama escapes the labels), so
//! no markup is built from data and no script is needed.

use super::view::usd;

pub const WIDTH: f64 = 1000.0;
pub const HEIGHT: f64 = 300.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 32.0;
/// Legend layout: an average glyph width at 12px, the swatch plus its gap, the gap between
/// entries, the line height, and the longest label shown in full.
const GLYPH: f64 = 7.0;
const SWATCH: f64 = 18.0;
const ENTRY_GAP: f64 = 28.0;
const LEGEND_LINE: f64 = 22.0;
const LEGEND_CHARS: usize = 28;
/// Distinct keys drawn; the rest are summed as "Other".
pub const TOP_KEYS: usize = 5;
const PALETTE: [&str; TOP_KEYS + 1] = [
    "#2f5bea", "#1f8a4c", "#d97706", "#9333ea", "#0891b2", "#98a2b3",
];

/// One series: a label and its spend (micro-USD) per day, aligned with the chart's days.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub per_day: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub fill: &'static str,
    /// Hover text: day, key and amount.
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    /// Left edge of the swatch.
    pub x: f64,
    /// Top of the swatch.
    pub y: f64,
    /// The label, shortened to fit.
    pub short: String,
    pub label: String,
    pub fill: &'static str,
    pub total: String,
}

/// Everything the template needs to draw the chart.
#[derive(Debug, Clone)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub bars: Vec<Bar>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    pub legend: Vec<LegendItem>,
    /// Height of the legend's own SVG (it wraps onto more lines when labels are long).
    pub legend_height: f64,
    /// Nothing priced was spent in the period.
    pub empty: bool,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A "nice" step (1, 2, 2.5 or 5 × 10ⁿ micro-USD) that splits `max` into at most ~4 intervals.
fn nice_step(max: i64) -> i64 {
    let raw = (max.max(1) as f64 / 4.0).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step.round().max(1.0) as i64
}

/// Keeps the `TOP_KEYS` largest series (by total) and folds the rest into "Other".
pub fn top(mut series: Vec<Series>, days: usize) -> Vec<Series> {
    series.sort_by_key(|s| std::cmp::Reverse(s.per_day.iter().sum::<i64>()));
    if series.len() <= TOP_KEYS {
        return series;
    }
    let rest = series.split_off(TOP_KEYS);
    let mut other = vec![0i64; days];
    for s in rest {
        for (o, v) in other.iter_mut().zip(s.per_day) {
            *o += v;
        }
    }
    series.push(Series {
        label: "Other".into(),
        per_day: other,
    });
    series
}

/// Lays out stacked daily bars for `series` over `days` (`YYYY-MM-DD`, oldest first).
pub fn stacked(days: &[String], series: &[Series]) -> Chart {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let totals: Vec<i64> = (0..days.len())
        .map(|d| {
            series
                .iter()
                .map(|s| s.per_day.get(d).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let step = nice_step(max);
    let ceiling = (max.max(1) + step - 1) / step * step;
    let y_of = |v: i64| TOP + plot_h - plot_h * (v as f64 / ceiling as f64);
    let y_ticks = (0..=ceiling / step)
        .map(|i| Tick {
            at: round1(y_of(i * step)),
            label: usd(i * step),
        })
        .collect();
    let slot = plot_w / days.len().max(1) as f64;
    let bar_w = round1((slot * 0.7).max(1.0));
    let label_every = days.len().div_ceil(10).max(1);
    let x_ticks = days
        .iter()
        .enumerate()
        .filter(|(i, _)| i.is_multiple_of(label_every))
        .map(|(i, d)| Tick {
            at: round1(LEFT + slot * (i as f64 + 0.5)),
            label: d.get(5..).unwrap_or(d).to_string(),
        })
        .collect();
    let mut bars = Vec::new();
    for (d, day) in days.iter().enumerate() {
        let mut base = 0i64;
        for (s, fill) in series.iter().zip(PALETTE) {
            let v = s.per_day.get(d).copied().unwrap_or(0);
            if v <= 0 {
                continue;
            }
            let (y0, y1) = (y_of(base), y_of(base + v));
            base += v;
            bars.push(Bar {
                x: round1(LEFT + slot * d as f64 + (slot - bar_w) / 2.0),
                y: round1(y1),
                w: bar_w,
                h: round1((y0 - y1).max(0.5)),
                fill,
                title: format!("{day} · {}: {}", s.label, usd(v)),
            });
        }
    }
    let (legend, legend_height) = legend(series);
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        bars,
        y_ticks,
        x_ticks,
        legend,
        legend_height,
        empty: max == 0,
    }
}

/// Legend entries left to right, wrapping onto a new line before the right edge.
fn legend(series: &[Series]) -> (Vec<LegendItem>, f64) {
    let (mut x, mut y) = (LEFT, 6.0);
    let mut items = Vec::with_capacity(series.len());
    for (s, fill) in series.iter().zip(PALETTE) {
        let short: String = if s.label.chars().count() > LEGEND_CHARS {
            let mut t: String = s.label.chars().take(LEGEND_CHARS - 1).collect();
            t.push('…');
            t
        } else {
            s.label.clone()
        };
        let width = SWATCH + GLYPH * short.chars().count() as f64;
        if x > LEFT && x + width > WIDTH - RIGHT {
            x = LEFT;
            y += LEGEND_LINE;
        }
        items.push(LegendItem {
            x: round1(x),
            y,
            short,
            label: s.label.clone(),
            fill,
            total: usd(s.per_day.iter().sum()),
        });
        x += width + ENTRY_GAP;
    }
    (items, y + LEGEND_LINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(label: &str, per_day: &[i64]) -> Series {
        Series {
            label: label.into(),
            per_day: per_day.to_vec(),
        }
    }

    #[test]
    fn steps_are_round_numbers_that_cover_the_maximum() {
        for (max, step) in [(0, 1), (7, 2), (1_000, 250), (1_234_567, 500_000), (40, 10)] {
            let got = nice_step(max);
            assert!(got * 5 >= max, "{max}: step {got} is too small");
            assert_eq!(got, step, "max {max}");
        }
    }

    #[test]
    fn keys_beyond_the_top_five_are_folded_into_other() {
        let series: Vec<Series> = (1..=7).map(|i| s(&format!("k{i}"), &[i, 1])).collect();
        let top = top(series, 2);
        let labels: Vec<&str> = top.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["k7", "k6", "k5", "k4", "k3", "Other"]);
        assert_eq!(top[5].per_day, vec![1 + 2, 2]);
    }

    #[test]
    fn bars_stack_within_the_plot_and_the_tallest_day_reaches_the_top_tick() {
        let days: Vec<String> = ["2025-01-01", "2025-01-02"].map(String::from).to_vec();
        let c = stacked(&days, &[s("a", &[100, 0]), s("b", &[300, 50])]);
        assert_eq!(c.bars.len(), 3, "zero values draw nothing");
        for b in &c.bars {
            assert!(b.y >= c.top && b.y + b.h <= c.bottom + 0.1, "{b:?}");
            assert!(b.x >= c.left && b.x + b.w <= c.right, "{b:?}");
        }
        // Day one: "a" sits on the axis and "b" on top of it, up to the highest tick.
        assert_eq!(c.bars[0].y + c.bars[0].h, c.bottom);
        assert_eq!(c.bars[1].y, c.y_ticks.last().unwrap().at);
        assert_eq!(c.legend[1].total, "$0.00035");
        assert!(!c.empty);
        assert!(stacked(&days, &[s("a", &[0, 0])]).empty);
    }

    #[test]
    fn long_legends_wrap_instead_of_overlapping() {
        let long: Vec<Series> = (0..6)
            .map(|i| s(&format!("a-rather-long-service-account-name-{i}"), &[1]))
            .collect();
        let (items, height) = legend(&long);
        assert!(height > LEGEND_LINE, "wrapped onto more lines");
        for pair in items.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let end = a.x + SWATCH + GLYPH * a.short.chars().count() as f64;
            assert!(b.y > a.y || b.x > end, "{a:?} overlaps {b:?}");
            assert!(end <= WIDTH, "{a:?} runs off the chart");
        }
        assert!(items[0].short.ends_with('…'));
    }
}
