//! The dashboard's two charts, drawn on the server as SVG geometry (no script; the
//! template writes the SVG): the collection rate of the last collection dates, and their
//! failures stacked by internal reason — each with its table, for screen readers and
//! for the exact figures. Right to left mirrors the time axis. Only the charts: the page
//! around them (counts, files, next runs) is [`super::dashboard`].

use std::collections::BTreeMap;

use super::amount;
use crate::web::WebState;
use bank_formats::reasons::ReasonCategory;

use crate::locale::{Lang, Word, written_day_of};
use crate::web::i18n::PageTexts;
use crate::web::session::{PageError, Viewer};

/// A share in thousandths as a percentage with one decimal ("95,2 %"), exactly rounded
/// half up from the two counts.
fn percent(part: i64, whole: i64) -> (i64, String) {
    if whole <= 0 {
        return (0, "—".to_owned());
    }
    let permille = (part * 2000 + whole) / (2 * whole);
    (
        permille,
        format!("{},{}\u{a0}%", permille / 10, permille % 10),
    )
}

/// Dates shown in the charts.
const CHART_DATES: i64 = 12;

/// One bar (or stacked segment) of a chart, in SVG user units.
pub(super) struct Bar {
    pub(super) x: i64,
    pub(super) y: i64,
    pub(super) w: i64,
    pub(super) h: i64,
    pub(super) fill: &'static str,
    pub(super) title: String,
}

/// A text drawn in a chart.
pub(super) struct Label {
    pub(super) x: i64,
    pub(super) y: i64,
    pub(super) text: String,
}

/// A horizontal grid line with its value.
pub(super) struct Tick {
    pub(super) y: i64,
    pub(super) label: String,
}

/// A bar chart drawn on the server: geometry only, the template writes the SVG.
pub(super) struct Chart {
    pub(super) width: i64,
    pub(super) height: i64,
    pub(super) plot_x1: i64,
    pub(super) plot_x2: i64,
    pub(super) tick_x: i64,
    pub(super) tick_anchor: &'static str,
    pub(super) ticks: Vec<Tick>,
    pub(super) bars: Vec<Bar>,
    pub(super) values: Vec<Label>,
    pub(super) dates: Vec<Label>,
}

const WIDTH: i64 = 640;
const HEIGHT: i64 = 250;
const TOP: i64 = 22;
const BASELINE: i64 = 214;
const AXIS: i64 = 56;
const PAD: i64 = 12;

/// Where things go: right to left mirrors the time axis (oldest on the right) and puts
/// the value axis on the right.
struct Frame {
    rtl: bool,
    slots: i64,
}

impl Frame {
    fn plot(&self) -> (i64, i64) {
        if self.rtl {
            (PAD, WIDTH - AXIS)
        } else {
            (AXIS, WIDTH - PAD)
        }
    }
    /// The centre and bar width of slot `index` (0 = oldest).
    fn slot(&self, index: i64) -> (i64, i64) {
        let (x1, x2) = self.plot();
        let slot = (x2 - x1) / self.slots.max(1);
        let position = if self.rtl {
            self.slots - 1 - index
        } else {
            index
        };
        (x1 + slot * position + slot / 2, (slot * 3 / 5).clamp(2, 48))
    }
    fn y(value: i64, max: i64) -> i64 {
        BASELINE - value * (BASELINE - TOP) / max.max(1)
    }
    fn chart(&self, ticks: Vec<Tick>, dates: &[String]) -> Chart {
        let (plot_x1, plot_x2) = self.plot();
        let (tick_x, tick_anchor) = if self.rtl {
            (plot_x2 + 6, "start")
        } else {
            (plot_x1 - 6, "end")
        };
        let dates = dates
            .iter()
            .enumerate()
            .map(|(i, date)| Label {
                x: self.slot(i as i64).0,
                y: BASELINE + 18,
                // Day and month under the bar (`15/12`); the full day is in the titles
                // and the table.
                text: written_day_of(date).get(..5).unwrap_or(date).to_owned(),
            })
            .collect();
        Chart {
            width: WIDTH,
            height: HEIGHT,
            plot_x1,
            plot_x2,
            tick_x,
            tick_anchor,
            ticks,
            bars: Vec::new(),
            values: Vec::new(),
            dates,
        }
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at least `at_least`.
fn nice_step(at_least: i64) -> i64 {
    let mut power = 1;
    loop {
        for factor in [1, 2, 5] {
            if factor * power >= at_least {
                return factor * power;
            }
        }
        power *= 10;
    }
}

/// The colour of each internal reason, in the taxonomy's order.
fn reason_colour(category: ReasonCategory) -> &'static str {
    match category {
        ReasonCategory::InsufficientFunds => "#e69f00",
        ReasonCategory::AccountClosed => "#d55e00",
        ReasonCategory::AccountBlocked => "#cc79a7",
        ReasonCategory::NoOrInvalidMandate => "#0072b2",
        ReasonCategory::DebtorRefused => "#56b4e9",
        ReasonCategory::AmountOrLimit => "#009e73",
        ReasonCategory::Duplicate => "#f0e442",
        ReasonCategory::TechnicalOrFormat => "#555555",
        ReasonCategory::Regulatory => "#8c564b",
        ReasonCategory::Other => "#999999",
    }
}

pub(super) struct OutcomeRow {
    pub(super) date: String,
    pub(super) presented: i64,
    pub(super) settled: i64,
    pub(super) failed: i64,
    pub(super) rate: String,
    pub(super) presented_amount: String,
    pub(super) settled_amount: String,
}

pub(super) struct LegendItem {
    pub(super) colour: &'static str,
    pub(super) label: &'static str,
}

pub(super) struct FailureRow {
    pub(super) date: String,
    pub(super) counts: Vec<i64>,
    pub(super) total: i64,
}

/// The two charts and their tables.
pub(super) struct Charts {
    pub(super) rate_chart: Option<Chart>,
    pub(super) outcomes: Vec<OutcomeRow>,
    pub(super) failure_chart: Option<Chart>,
    pub(super) legend: Vec<LegendItem>,
    pub(super) failures: Vec<FailureRow>,
}

/// Reads the last dates' outcomes and failures and draws the charts in the viewer's
/// language and direction.
pub(super) async fn charts(state: &WebState, viewer: &Viewer) -> Result<Charts, PageError> {
    let store = state.store();
    let lang = viewer.lang;
    let k = lang.console();
    let outcomes = store
        .date_outcomes(CHART_DATES)
        .await
        .map_err(|e| viewer.fail(e))?;
    let dates: Vec<String> = outcomes.iter().map(|o| o.collection_date.clone()).collect();
    let frame = Frame {
        rtl: lang == Lang::Ar,
        slots: dates.len() as i64,
    };

    // Collection rate: settled / presented, in thousandths.
    let rate_chart = (!dates.is_empty()).then(|| {
        let ticks = (0..=4)
            .map(|i| Tick {
                y: Frame::y(i * 250, 1000),
                label: format!("{}\u{a0}%", i * 25),
            })
            .collect();
        let mut chart = frame.chart(ticks, &dates);
        for (i, o) in outcomes.iter().enumerate() {
            let (permille, text) = percent(o.settled, o.presented);
            let (centre, width) = frame.slot(i as i64);
            let top = Frame::y(permille, 1000);
            chart.bars.push(Bar {
                x: centre - width / 2,
                y: top,
                w: width,
                h: BASELINE - top,
                fill: "#0b5394",
                // Written here, not left to the page's rewriting of days: a tooltip's
                // `2026-12-15:` is glued to its colon and would stay ISO (issue 20).
                title: format!(
                    "{}: {} {} / {} {} ({text})",
                    written_day_of(&o.collection_date),
                    o.settled,
                    k.settled,
                    o.presented,
                    k.presented
                ),
            });
            chart.values.push(Label {
                x: centre,
                y: top - 4,
                text,
            });
        }
        chart
    });
    let outcome_rows = outcomes
        .iter()
        .map(|o| OutcomeRow {
            date: written_day_of(&o.collection_date),
            presented: o.presented,
            settled: o.settled,
            failed: o.failed,
            rate: percent(o.settled, o.presented).1,
            presented_amount: amount(o.presented_centimes, lang),
            settled_amount: amount(o.settled_centimes, lang),
        })
        .collect();

    // Failures by internal reason, stacked per date.
    let mut by_date: BTreeMap<String, BTreeMap<ReasonCategory, i64>> = BTreeMap::new();
    if let Some(first) = dates.first() {
        for f in store
            .failures_by_reason(first)
            .await
            .map_err(|e| viewer.fail(e))?
        {
            *by_date
                .entry(f.collection_date)
                .or_default()
                .entry(f.category)
                .or_default() += f.count;
        }
    }
    let used: Vec<(ReasonCategory, &'static str)> = ReasonCategory::ALL
        .into_iter()
        .filter(|category| by_date.values().any(|m| m.contains_key(category)))
        .map(|category| (category, reason_colour(category)))
        .collect();
    let failures: Vec<FailureRow> = dates
        .iter()
        .map(|date| {
            let mut counts = vec![0; used.len()];
            if let Some(m) = by_date.get(date) {
                for (i, (code, _)) in used.iter().enumerate() {
                    counts[i] = m.get(code).copied().unwrap_or(0);
                }
            }
            FailureRow {
                date: written_day_of(date),
                total: counts.iter().sum(),
                counts,
            }
        })
        .collect();
    let highest = failures.iter().map(|f| f.total).max().unwrap_or(0);
    let failure_chart = (highest > 0).then(|| {
        let step = nice_step((highest + 3) / 4);
        let top = step * ((highest + step - 1) / step);
        let ticks = (0..=top / step)
            .map(|i| Tick {
                y: Frame::y(i * step, top),
                label: (i * step).to_string(),
            })
            .collect();
        let mut chart = frame.chart(ticks, &dates);
        for (i, row) in failures.iter().enumerate() {
            let (centre, width) = frame.slot(i as i64);
            let mut below = 0;
            for (j, count) in row.counts.iter().enumerate() {
                if *count == 0 {
                    continue;
                }
                let (code, colour) = used[j];
                let y_low = Frame::y(below, top);
                let y_high = Frame::y(below + count, top);
                chart.bars.push(Bar {
                    x: centre - width / 2,
                    y: y_high,
                    w: width,
                    h: (y_low - y_high).max(1),
                    fill: colour,
                    title: format!("{} — {}: {count}", row.date, code.word(lang)),
                });
                below += count;
            }
            if row.total > 0 {
                chart.values.push(Label {
                    x: centre,
                    y: Frame::y(row.total, top) - 4,
                    text: row.total.to_string(),
                });
            }
        }
        chart
    });
    let legend = used
        .iter()
        .map(|(code, colour)| LegendItem {
            colour,
            label: code.word(lang),
        })
        .collect();
    Ok(Charts {
        rate_chart,
        outcomes: outcome_rows,
        failure_chart,
        legend,
        failures: if highest > 0 { failures } else { Vec::new() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_rounded_half_up_from_counts() {
        assert_eq!(percent(57, 60).1, "95,0\u{a0}%");
        assert_eq!(percent(2, 3), (667, "66,7\u{a0}%".to_owned()));
        assert_eq!(percent(0, 0).1, "—");
        assert_eq!(percent(1, 2000).0, 1, "0.05 % rounds up to 0.1 %");
    }

    #[test]
    fn steps_are_one_two_or_five() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(3), 5);
        assert_eq!(nice_step(7), 10);
        assert_eq!(nice_step(11), 20);
        assert_eq!(nice_step(260), 500);
    }

    #[test]
    fn right_to_left_mirrors_the_time_axis() {
        let ltr = Frame {
            rtl: false,
            slots: 4,
        };
        let rtl = Frame {
            rtl: true,
            slots: 4,
        };
        assert!(ltr.slot(0).0 < ltr.slot(3).0, "oldest on the left");
        assert!(rtl.slot(0).0 > rtl.slot(3).0, "oldest on the right");
        assert_eq!(Frame::y(0, 10), BASELINE);
        assert_eq!(Frame::y(10, 10), TOP);
    }
}
