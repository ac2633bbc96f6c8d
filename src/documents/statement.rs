//! An employer's statement of account as a PDF, in French and Arabic: the fund, the
//! employer and the period, then the entries — date, what happened in both languages,
//! amount and the balance after it — from the opening balance to the closing one, and what
//! is owed by age. The same figures as the portal's and the console's statement pages and
//! the statement CSV (`crate::store::Statement`); drawn with the receipt's layout helpers.

use krilla::Document;
use krilla::SerializeSettings;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::surface::Surface;
use mandates::{Amount, Lang};

use super::DocumentError;
use super::geometry::{Cpt, page_size, pt};
use super::receipt::{
    AR as RECEIPT_AR, BODY, BODY_BOLD, CELL_PAD, FOOTER_BASELINE, FR as RECEIPT_FR, FUND,
    LABEL_AR_START, LABEL_FR_END, LEFT, RIGHT, SMALL, TABLE_BOTTOM, TITLE, TOP, VALUE_LEFT,
    VALUE_RIGHT, band, draw_lines, leading, lines, rule,
};
use super::text::{Align, Direction, Line, isolate_ltr, wrap, wrap_fixed};
use crate::locale::{digits, written_day, written_day_of};
use crate::store::{Employer, Statement};

/// What a statement PDF is made from.
#[derive(Clone, Copy, Debug)]
pub struct StatementFacts<'a> {
    /// The fund's short name (the creditor's name: `CACOBATPH`).
    pub fund: &'a str,
    pub statement: &'a Statement,
    pub employer: &'a Employer,
    /// The day it is made (the one clock's).
    pub today: chrono::NaiveDate,
}

/// The table's columns: date, what happened, amount, balance.
const LABEL_LEFT: Cpt = pt(112);
const AMOUNT_LEFT: Cpt = pt(372);
const BALANCE_LEFT: Cpt = pt(462);

struct Texts {
    title: &'static str,
    employer: &'static str,
    affiliation: &'static str,
    period: &'static str,
    whole: &'static str,
    issued_on: &'static str,
    date: &'static str,
    entry: &'static str,
    amount: &'static str,
    balance: &'static str,
    opening: &'static str,
    closing: &'static str,
    presented: &'static str,
    aging: &'static str,
    buckets: [&'static str; 4],
    unallocated: &'static str,
    sign: &'static str,
}

static FR: Texts = Texts {
    title: "Relevé de compte",
    employer: "Employeur",
    affiliation: "N° d'affiliation",
    period: "Période",
    whole: "depuis la première écriture",
    issued_on: "Établi le",
    date: "Date",
    entry: "Opération",
    amount: "Montant (DA)",
    balance: "Solde (DA)",
    opening: "Solde d'ouverture",
    closing: "Solde de clôture",
    presented: "montant",
    aging: "Montants dus par ancienneté (jours depuis l'échéance)",
    buckets: [
        "0 à 30 jours",
        "31 à 90 jours",
        "91 à 180 jours",
        "Plus de 180 jours",
    ],
    unallocated: "Reçu non imputé",
    sign: "Montants positifs : dus à la caisse ; négatifs : en faveur de l'employeur.",
};

static AR: Texts = Texts {
    title: "كشف الحساب",
    employer: "صاحب العمل",
    affiliation: "رقم الانخراط",
    period: "الفترة",
    whole: "منذ القيد الأول",
    issued_on: "تاريخ الإصدار",
    date: "التاريخ",
    entry: "العملية",
    amount: "المبلغ (د.ج)",
    balance: "الرصيد (د.ج)",
    opening: "الرصيد الافتتاحي",
    closing: "الرصيد الختامي",
    presented: "المبلغ",
    aging: "المبالغ المستحقة حسب الأقدمية (أيام منذ الاستحقاق)",
    buckets: [
        "من 0 إلى 30 يومًا",
        "من 31 إلى 90 يومًا",
        "من 91 إلى 180 يومًا",
        "أكثر من 180 يومًا",
    ],
    unallocated: "مبالغ مستلمة غير مخصَّصة",
    sign: "المبالغ الموجبة: مستحقة للصندوق؛ السالبة: لصالح المؤسسة.",
};

/// One line of the table: the date, the label in French over the label in Arabic, the
/// amount and the balance after it.
struct Row {
    date: Line,
    label_fr: Vec<Line>,
    label_ar: Vec<Line>,
    amount: Line,
    balance: Line,
    height: Cpt,
}

/// A fact: French label, value lines, Arabic label.
struct Fact {
    label_fr: &'static [Line],
    values: Vec<Line>,
    label_ar: &'static [Line],
}

/// The statement as a PDF document, in French and Arabic.
pub fn statement_pdf(facts: &StatementFacts<'_>) -> Result<Vec<u8>, DocumentError> {
    let s = facts.statement;
    let label_width = AMOUNT_LEFT - LABEL_LEFT - 2 * CELL_PAD;
    let row = |date: &str,
               fr: &str,
               ar: &str,
               amount: Option<Amount>,
               balance: Amount,
               bold: bool|
     -> Result<Row, DocumentError> {
        let style = if bold { BODY_BOLD } else { BODY };
        let label_fr = wrap(fr, style, Direction::Ltr, label_width)?;
        let label_ar = wrap(ar, style, Direction::Rtl, label_width)?;
        let count = lines(label_fr.len() + label_ar.len());
        Ok(Row {
            date: Line::new(date, BODY, Direction::Ltr)?,
            label_fr,
            label_ar,
            amount: Line::new(
                &amount.map(digits).unwrap_or_default(),
                style,
                Direction::Ltr,
            )?,
            balance: Line::new(&digits(balance), style, Direction::Ltr)?,
            height: leading(BODY) * count + pt(5),
        })
    };
    let mut rows = Vec::with_capacity(s.lines.len() + 2);
    let from = s.from.as_deref().map(written_day_of).unwrap_or_default();
    rows.push(row(&from, FR.opening, AR.opening, None, s.opening, true)?);
    for line in &s.lines {
        let e = &line.entry;
        let mut fr = crate::locale::statement::entry_label(e, Lang::Fr);
        let mut ar = crate::locale::statement::entry_label(e, Lang::Ar);
        if let Some(period) = &e.period {
            fr.push_str(&format!(" {period}"));
            ar.push_str(&format!(" {}", isolate_ltr(period)));
        }
        if e.memo != Amount::ZERO {
            let memo = digits(e.memo);
            fr.push_str(&format!(" ({} {memo} DA)", FR.presented));
            ar.push_str(&format!(" ({} {} د.ج)", AR.presented, isolate_ltr(&memo)));
        }
        rows.push(row(
            &written_day_of(&e.entry_date),
            &fr,
            &ar,
            Some(e.amount),
            line.balance,
            false,
        )?);
    }
    let to = s.to.as_deref().map(written_day_of).unwrap_or_default();
    rows.push(row(&to, FR.closing, AR.closing, None, s.closing, true)?);

    let value_width = VALUE_RIGHT - VALUE_LEFT;
    let fact =
        |fr: &'static str, ar: &'static str, values: Vec<Line>| -> Result<Fact, DocumentError> {
            Ok(Fact {
                label_fr: wrap_fixed(fr, BODY, Direction::Ltr, LABEL_FR_END - LEFT)?,
                values,
                label_ar: wrap_fixed(ar, BODY, Direction::Rtl, RIGHT - LABEL_AR_START)?,
            })
        };
    let mut names = wrap(
        &facts.employer.name,
        BODY_BOLD,
        Direction::Auto,
        value_width,
    )?;
    if let Some(name_ar) = facts
        .employer
        .name_ar
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        names.extend(wrap(name_ar, BODY_BOLD, Direction::Rtl, value_width)?);
    }
    let period = match (&s.from, &s.to) {
        (None, None) => vec![
            Line::new(FR.whole, BODY, Direction::Ltr)?,
            Line::new(AR.whole, BODY, Direction::Rtl)?,
        ],
        (from, to) => vec![Line::new(
            &format!(
                "{} – {}",
                from.as_deref().map(written_day_of).unwrap_or_default(),
                to.as_deref()
                    .map_or_else(|| written_day(facts.today), written_day_of)
            ),
            BODY,
            Direction::Ltr,
        )?],
    };
    let head_facts = vec![
        fact(FR.employer, AR.employer, names)?,
        fact(
            FR.affiliation,
            AR.affiliation,
            vec![Line::new(
                &facts.employer.affiliation_number,
                BODY,
                Direction::Ltr,
            )?],
        )?,
        fact(FR.period, AR.period, period)?,
        fact(
            FR.issued_on,
            AR.issued_on,
            vec![Line::new(&written_day(facts.today), BODY, Direction::Ltr)?],
        )?,
    ];
    let a = &s.aging;
    let mut tail_facts = Vec::new();
    for (i, amount) in [a.up_to_30, a.from_31_to_90, a.from_91_to_180, a.over_180]
        .into_iter()
        .enumerate()
    {
        tail_facts.push(fact(
            FR.buckets[i],
            AR.buckets[i],
            vec![Line::new(
                &format!("{} DA", digits(amount)),
                BODY,
                Direction::Ltr,
            )?],
        )?);
    }
    if s.unallocated != Amount::ZERO {
        tail_facts.push(fact(
            FR.unallocated,
            AR.unallocated,
            vec![Line::new(
                &format!("{} DA", digits(s.unallocated)),
                BODY,
                Direction::Ltr,
            )?],
        )?);
    }
    let layout = Layout {
        fund: Line::new(facts.fund, FUND, Direction::Auto)?,
        fund_fr: wrap_fixed(
            RECEIPT_FR.fund_long,
            SMALL,
            Direction::Ltr,
            (RIGHT - LEFT) / 2 - pt(8),
        )?,
        fund_ar: wrap_fixed(
            RECEIPT_AR.fund_long,
            SMALL,
            Direction::Rtl,
            (RIGHT - LEFT) / 2 - pt(8),
        )?,
        title_fr: Line::new(FR.title, TITLE, Direction::Ltr)?,
        title_ar: Line::new(AR.title, TITLE, Direction::Rtl)?,
        head_facts,
        aging_fr: Line::new(FR.aging, BODY_BOLD, Direction::Ltr)?,
        aging_ar: Line::new(AR.aging, BODY_BOLD, Direction::Rtl)?,
        tail_facts,
        sign_fr: wrap_fixed(FR.sign, SMALL, Direction::Ltr, RIGHT - LEFT)?,
        sign_ar: wrap_fixed(AR.sign, SMALL, Direction::Rtl, RIGHT - LEFT)?,
    };

    let mut document = Document::new_with(SerializeSettings {
        xmp_metadata: false,
        ..SerializeSettings::default()
    });
    let affiliation = &facts.employer.affiliation_number;
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {affiliation} — {}", FR.title, AR.title))
            .creator("tahsil".to_owned())
            .language("fr".to_owned()),
    );
    let (width, height) = page_size();
    let mut rows = rows.iter().peekable();
    let mut page_number = 1;
    loop {
        let settings = PageSettings::from_wh(width, height)
            .ok_or_else(|| DocumentError::Pdf("page size".to_owned()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut y = TOP;
        if page_number == 1 {
            y = layout.draw_head(&mut surface, y)?;
        }
        y = draw_table_head(&mut surface, y)?;
        while let Some(row) = rows.peek() {
            if y + row.height > TABLE_BOTTOM {
                break;
            }
            y = row.draw(&mut surface, y)?;
            rows.next();
        }
        let done = rows.peek().is_none() && y + layout.tail_height() <= TABLE_BOTTOM;
        if done {
            layout.draw_tail(&mut surface, y)?;
        }
        let footer = Line::new(
            &format!("{affiliation} · {page_number}"),
            SMALL,
            Direction::Ltr,
        )?;
        footer.draw(&mut surface, LEFT, RIGHT, FOOTER_BASELINE, Align::Center)?;
        surface.finish();
        page.finish();
        if done {
            break;
        }
        page_number += 1;
    }
    document
        .finish()
        .map_err(|err| DocumentError::Pdf(format!("{err:?}")))
}

struct Layout {
    fund: Line,
    fund_fr: &'static [Line],
    fund_ar: &'static [Line],
    title_fr: Line,
    title_ar: Line,
    head_facts: Vec<Fact>,
    aging_fr: Line,
    aging_ar: Line,
    tail_facts: Vec<Fact>,
    sign_fr: &'static [Line],
    sign_ar: &'static [Line],
}

impl Layout {
    fn draw_head(&self, surface: &mut Surface<'_>, top: Cpt) -> Result<Cpt, DocumentError> {
        let mut y = top;
        self.fund.draw(surface, LEFT, RIGHT, y, Align::Center)?;
        y += leading(FUND);
        let middle = (LEFT + RIGHT) / 2;
        let step = leading(SMALL);
        draw_lines(
            surface,
            self.fund_fr,
            LEFT,
            middle - pt(8),
            y,
            step,
            Align::Start,
        )?;
        draw_lines(
            surface,
            self.fund_ar,
            middle + pt(8),
            RIGHT,
            y,
            step,
            Align::Start,
        )?;
        y += step * lines(self.fund_fr.len().max(self.fund_ar.len())) - pt(4);
        rule(surface, y, pt(1));
        y += pt(30);
        self.title_fr.draw(surface, LEFT, RIGHT, y, Align::Start)?;
        self.title_ar.draw(surface, LEFT, RIGHT, y, Align::Start)?;
        y += pt(26);
        y = draw_facts(surface, &self.head_facts, y)?;
        Ok(y + pt(6))
    }

    fn tail_height(&self) -> Cpt {
        pt(14)
            + leading(BODY_BOLD) * 2
            + self
                .tail_facts
                .iter()
                .map(|f| leading(BODY) * lines(f.values.len()) + pt(6))
                .sum::<Cpt>()
            + pt(6)
            + leading(SMALL) * lines(self.sign_fr.len() + self.sign_ar.len())
    }

    fn draw_tail(&self, surface: &mut Surface<'_>, top: Cpt) -> Result<(), DocumentError> {
        rule(surface, top, pt(1) / 2);
        let mut y = top + pt(14) + leading(BODY_BOLD) / 2;
        self.aging_fr.draw(surface, LEFT, RIGHT, y, Align::Start)?;
        y += leading(BODY_BOLD);
        self.aging_ar.draw(surface, LEFT, RIGHT, y, Align::Start)?;
        y += leading(BODY_BOLD);
        y = draw_facts(surface, &self.tail_facts, y)?;
        y += pt(6);
        y = draw_lines(
            surface,
            self.sign_fr,
            LEFT,
            RIGHT,
            y,
            leading(SMALL),
            Align::Start,
        )?;
        draw_lines(
            surface,
            self.sign_ar,
            LEFT,
            RIGHT,
            y,
            leading(SMALL),
            Align::Start,
        )?;
        Ok(())
    }
}

/// Facts one under the other: French label left, value centred, Arabic label right.
fn draw_facts(surface: &mut Surface<'_>, facts: &[Fact], top: Cpt) -> Result<Cpt, DocumentError> {
    let mut y = top;
    for fact in facts {
        let step = leading(BODY);
        draw_lines(
            surface,
            fact.label_fr,
            LEFT,
            LABEL_FR_END,
            y,
            step,
            Align::Start,
        )?;
        draw_lines(
            surface,
            fact.label_ar,
            LABEL_AR_START,
            RIGHT,
            y,
            step,
            Align::Start,
        )?;
        draw_lines(
            surface,
            &fact.values,
            VALUE_LEFT,
            VALUE_RIGHT,
            y,
            step,
            Align::Center,
        )?;
        let tallest = fact
            .values
            .len()
            .max(fact.label_fr.len())
            .max(fact.label_ar.len());
        y += step * lines(tallest) + pt(6);
    }
    Ok(y)
}

/// The table's header: French labels over Arabic ones, on a light band.
fn draw_table_head(surface: &mut Surface<'_>, top: Cpt) -> Result<Cpt, DocumentError> {
    let height = 2 * leading(BODY_BOLD) + pt(6);
    band(surface, top, height);
    let first = top + leading(BODY_BOLD) - pt(2);
    let second = first + leading(BODY_BOLD);
    let columns = [
        (LEFT, LABEL_LEFT, FR.date, AR.date),
        (LABEL_LEFT, AMOUNT_LEFT, FR.entry, AR.entry),
        (AMOUNT_LEFT, BALANCE_LEFT, FR.amount, AR.amount),
        (BALANCE_LEFT, RIGHT, FR.balance, AR.balance),
    ];
    for (left, right, fr, ar) in columns {
        let fr = wrap_fixed(fr, BODY_BOLD, Direction::Ltr, Cpt::MAX)?;
        let ar = wrap_fixed(ar, BODY_BOLD, Direction::Rtl, Cpt::MAX)?;
        let (left, right) = (left + CELL_PAD, right - CELL_PAD);
        draw_lines(surface, fr, left, right, first, 0, Align::Center)?;
        draw_lines(surface, ar, left, right, second, 0, Align::Center)?;
    }
    Ok(top + height + pt(4))
}

impl Row {
    fn draw(&self, surface: &mut Surface<'_>, top: Cpt) -> Result<Cpt, DocumentError> {
        let step = leading(BODY);
        let baseline = top + step - pt(3);
        self.date.draw(
            surface,
            LEFT + CELL_PAD,
            LABEL_LEFT - CELL_PAD,
            baseline,
            Align::Start,
        )?;
        let (left, right) = (LABEL_LEFT + CELL_PAD, AMOUNT_LEFT - CELL_PAD);
        let y = draw_lines(
            surface,
            &self.label_fr,
            left,
            right,
            baseline,
            step,
            Align::Start,
        )?;
        draw_lines(surface, &self.label_ar, left, right, y, step, Align::Start)?;
        self.amount.draw(
            surface,
            AMOUNT_LEFT + CELL_PAD,
            BALANCE_LEFT - CELL_PAD,
            baseline,
            Align::End,
        )?;
        self.balance.draw(
            surface,
            BALANCE_LEFT + CELL_PAD,
            RIGHT - CELL_PAD,
            baseline,
            Align::End,
        )?;
        Ok(top + self.height)
    }
}
