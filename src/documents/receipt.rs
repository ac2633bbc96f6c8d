//! The receipt of a settled debit as a PDF: the fund, the receipt's number, the facts
//! (employer, dates, amount, masked account, mandate) each between its French label on the
//! left and its Arabic label on the right, the worksites' breakdown and its total, and the
//! sentence that says what the receipt proves, in both languages. The same facts as the
//! portal's receipt page; the account masked as everywhere but the bank files.

use krilla::Document;
use krilla::SerializeSettings;
use krilla::color::rgb;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use mandates::{AccountKind, Lang};

use super::DocumentError;
use super::geometry::{Cpt, PAGE_WIDTH, page_size, pt, rectangle};
use super::text::{
    Align, Direction, Line, Style, Weight, isolate_ltr, line_shared, wrap, wrap_fixed, wrap_shared,
};
use crate::locale::{Word, digits, written_day_of};
use crate::store::{Employer, Institution, Receipt};

/// What a receipt PDF is made from.
#[derive(Clone, Copy, Debug)]
pub struct ReceiptFacts<'a> {
    /// The fund's short name (the creditor's name: `CACOBATPH`).
    pub fund: &'a str,
    pub receipt: &'a Receipt,
    pub employer: &'a Employer,
    /// The bank's name from the bank table, for an account at a bank.
    pub bank_name: Option<&'a str>,
}

/// The receipt as a PDF document, in Arabic and French.
pub fn receipt_pdf(facts: &ReceiptFacts<'_>) -> Result<Vec<u8>, DocumentError> {
    let layout = Layout::of(facts)?;
    let mut document = Document::new_with(SerializeSettings {
        // The XMP packet would repeat the metadata below; without it the file is smaller.
        xmp_metadata: false,
        ..SerializeSettings::default()
    });
    let number = &facts.receipt.number;
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {number} — {} {number}", FR.receipt, AR.receipt))
            .creator("tahsil".to_owned())
            .language("fr".to_owned()),
    );
    let (width, height) = page_size();
    let mut rows = layout.rows.iter().peekable();
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
        y = layout.draw_table_head(&mut surface, y)?;
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
        let footer = Line::new(&format!("{number} · {page_number}"), SMALL, Direction::Ltr)?;
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

pub(super) const LEFT: Cpt = pt(40);
pub(super) const RIGHT: Cpt = PAGE_WIDTH - pt(40);
pub(super) const TOP: Cpt = pt(48);
pub(super) const TABLE_BOTTOM: Cpt = pt(790);
pub(super) const FOOTER_BASELINE: Cpt = pt(815);
/// The facts' three columns: French label, value, Arabic label.
pub(super) const LABEL_FR_END: Cpt = pt(180);
pub(super) const VALUE_LEFT: Cpt = pt(186);
pub(super) const VALUE_RIGHT: Cpt = pt(409);
pub(super) const LABEL_AR_START: Cpt = pt(415);
/// The breakdown's columns: worksite, period, amount.
const PERIOD_LEFT: Cpt = pt(345);
const AMOUNT_LEFT: Cpt = pt(435);
pub(super) const CELL_PAD: Cpt = pt(4);

pub(super) const BODY: Style = Style {
    weight: Weight::Regular,
    size: 1000,
};
pub(super) const BODY_BOLD: Style = Style {
    weight: Weight::Bold,
    size: 1000,
};
pub(super) const SMALL: Style = Style {
    weight: Weight::Regular,
    size: 800,
};
pub(super) const TITLE: Style = Style {
    weight: Weight::Bold,
    size: 1500,
};
pub(super) const FUND: Style = Style {
    weight: Weight::Bold,
    size: 1400,
};

/// The height of a line of `style`.
pub(super) const fn leading(style: Style) -> Cpt {
    style.size * 140 / 100
}

/// The receipt's own words, in one language.
#[derive(Debug)]
pub(super) struct Texts {
    pub(super) fund_long: &'static str,
    receipt: &'static str,
    employer: &'static str,
    affiliation: &'static str,
    paid_on: &'static str,
    collection_date: &'static str,
    amount: &'static str,
    /// The breakdown's amount column, with its currency.
    amount_head: &'static str,
    currency: &'static str,
    account: &'static str,
    mandate: &'static str,
    issued_on: &'static str,
    worksite: &'static str,
    period: &'static str,
    total: &'static str,
    keep: &'static str,
}

pub(super) static FR: Texts = Texts {
    fund_long: "Caisse nationale des congés payés et du chômage-intempéries des secteurs du bâtiment, des travaux publics et de l'hydraulique",
    receipt: "Reçu n°",
    employer: "Employeur",
    affiliation: "N° d'affiliation",
    paid_on: "Payé le",
    collection_date: "Date du prélèvement",
    amount: "Montant",
    amount_head: "Montant (DA)",
    currency: "DA",
    account: "Compte débité",
    mandate: "Autorisation de prélèvement",
    issued_on: "Reçu établi le",
    worksite: "Chantier",
    period: "Période",
    total: "Total",
    keep: "Ce reçu atteste le paiement des cotisations détaillées ci-dessus, prélevées en vertu de votre autorisation de prélèvement. Conservez-le.",
};

pub(super) static AR: Texts = Texts {
    fund_long: "الصندوق الوطني للعطل المدفوعة الأجر والبطالة الناجمة عن سوء الأحوال الجوية لقطاعات البناء والأشغال العمومية والري",
    receipt: "وصل رقم",
    employer: "صاحب العمل",
    affiliation: "رقم الانخراط",
    paid_on: "تاريخ الدفع",
    collection_date: "تاريخ الاقتطاع",
    amount: "المبلغ",
    amount_head: "المبلغ (د.ج)",
    currency: "د.ج",
    account: "الحساب المقتطع منه",
    mandate: "ترخيص الاقتطاع",
    issued_on: "تاريخ إصدار الوصل",
    worksite: "الورشة",
    period: "الفترة",
    total: "المجموع",
    keep: "يشهد هذا الوصل بتسديد الاشتراكات المفصلة أعلاه، المقتطعة بموجب ترخيص الاقتطاع الخاص بكم. احتفظوا به.",
};

/// The fund's full name in French and in Arabic, for the other documents' heads.
pub(super) fn fund_long() -> (&'static str, &'static str) {
    (FR.fund_long, AR.fund_long)
}

/// Everything measured before the first page is drawn.
#[derive(Debug)]
struct Layout {
    fund: Line,
    fund_fr: &'static [Line],
    fund_ar: &'static [Line],
    title_fr: Line,
    title_ar: Line,
    facts: Vec<Fact>,
    head_fr: [&'static [Line]; 3],
    head_ar: [&'static [Line]; 3],
    rows: Vec<Row>,
    total: Row,
    keep_fr: &'static [Line],
    keep_ar: &'static [Line],
}

/// One fact: its French label, its value (one or more lines), its Arabic label.
#[derive(Debug)]
struct Fact {
    label_fr: &'static [Line],
    values: Vec<(Line, Align)>,
    label_ar: &'static [Line],
}

/// One line of the breakdown.
#[derive(Debug)]
struct Row {
    worksite: Vec<Line>,
    period: Line,
    amount: Line,
    height: Cpt,
}

impl Layout {
    fn of(facts: &ReceiptFacts<'_>) -> Result<Layout, DocumentError> {
        let receipt = facts.receipt;
        let c = &receipt.collection;
        let employer = facts.employer;
        let value_width = VALUE_RIGHT - VALUE_LEFT;
        let value = |text: &str, style: Style| -> Result<Vec<(Line, Align)>, DocumentError> {
            Ok(wrap(text, style, Direction::Auto, value_width)?
                .into_iter()
                .map(|line| (line, Align::Center))
                .collect())
        };
        // A day, the same on every receipt of a run: laid out once (`wrap_shared`).
        let shared = |text: &str| -> Result<Vec<(Line, Align)>, DocumentError> {
            Ok(wrap_shared(text, BODY, Direction::Auto, value_width)?
                .into_iter()
                .map(|line| (line, Align::Center))
                .collect())
        };
        let fact = |fr: &'static str,
                    ar: &'static str,
                    values: Vec<(Line, Align)>|
         -> Result<Fact, DocumentError> {
            Ok(Fact {
                label_fr: wrap_fixed(fr, BODY, Direction::Ltr, LABEL_FR_END - LEFT)?,
                values,
                label_ar: wrap_fixed(ar, BODY, Direction::Rtl, RIGHT - LABEL_AR_START)?,
            })
        };

        let mut names = value(&employer.name, BODY_BOLD)?;
        if let Some(name_ar) = employer.name_ar.as_deref().filter(|n| !n.trim().is_empty()) {
            names.extend(
                wrap(name_ar, BODY_BOLD, Direction::Rtl, value_width)?
                    .into_iter()
                    .map(|line| (line, Align::Center)),
            );
        }
        let amount = digits(c.amount);
        let mut amounts = value(&format!("{amount} {}", FR.currency), BODY_BOLD)?;
        amounts.extend(value_rtl(
            &format!("{} {}", isolate_ltr(&amount), AR.currency),
            BODY_BOLD,
            value_width,
        )?);
        let (institution_fr, institution_ar) = match (c.account_kind, facts.bank_name) {
            (AccountKind::Postal, _) => (
                Institution::Poste.word(Lang::Fr).to_owned(),
                Some(Institution::Poste.word(Lang::Ar).to_owned()),
            ),
            (AccountKind::Bank, Some(name)) => (name.to_owned(), None),
            (AccountKind::Bank, None) => (c.bank_code.clone(), None),
        };
        let mut account = value(&format!("{} — {institution_fr}", c.account_masked), BODY)?;
        if let Some(institution_ar) = institution_ar {
            account.extend(value_rtl(&institution_ar, BODY, value_width)?);
        }
        let paid_on = written_day_of(c.settled_on.as_deref().unwrap_or(&c.collection_date));
        let facts_rows = vec![
            fact(FR.employer, AR.employer, names)?,
            fact(
                FR.affiliation,
                AR.affiliation,
                value(&employer.affiliation_number, BODY)?,
            )?,
            fact(FR.paid_on, AR.paid_on, shared(&paid_on)?)?,
            fact(
                FR.collection_date,
                AR.collection_date,
                shared(&written_day_of(&c.collection_date))?,
            )?,
            fact(FR.amount, AR.amount, amounts)?,
            fact(FR.account, AR.account, account)?,
            fact(FR.mandate, AR.mandate, value(&c.mandate_reference, BODY)?)?,
            fact(
                FR.issued_on,
                AR.issued_on,
                shared(&crate::locale::written_day_of_moment(&receipt.issued_at))?,
            )?,
        ];

        let worksite_width = PERIOD_LEFT - LEFT - 2 * CELL_PAD;
        let mut rows = Vec::with_capacity(c.worksites.len());
        for w in &c.worksites {
            let worksite = wrap(
                &format!("{} — {}", w.worksite_code, w.worksite_name),
                BODY,
                Direction::Auto,
                worksite_width,
            )?;
            let height = leading(BODY) * Cpt::try_from(worksite.len()).unwrap_or(1) + pt(4);
            rows.push(Row {
                worksite,
                period: line_shared(&w.period, BODY, Direction::Ltr)?,
                amount: Line::new(&digits(w.amount), BODY, Direction::Ltr)?,
                height,
            });
        }
        let total = Row {
            worksite: vec![line_shared(
                &format!("{} — {}", FR.total, AR.total),
                BODY_BOLD,
                Direction::Ltr,
            )?],
            period: Line::new("", BODY, Direction::Ltr)?,
            amount: Line::new(&amount, BODY_BOLD, Direction::Ltr)?,
            height: leading(BODY) + pt(6),
        };
        let head = |t: &'static Texts,
                    direction: Direction|
         -> Result<[&'static [Line]; 3], DocumentError> {
            Ok([
                wrap_fixed(t.worksite, BODY_BOLD, direction, Cpt::MAX)?,
                wrap_fixed(t.period, BODY_BOLD, direction, Cpt::MAX)?,
                wrap_fixed(t.amount_head, BODY_BOLD, direction, Cpt::MAX)?,
            ])
        };
        let half = (RIGHT - LEFT) / 2 - pt(8);
        Ok(Layout {
            fund: line_shared(facts.fund, FUND, Direction::Auto)?,
            fund_fr: wrap_fixed(FR.fund_long, SMALL, Direction::Ltr, half)?,
            fund_ar: wrap_fixed(AR.fund_long, SMALL, Direction::Rtl, half)?,
            title_fr: Line::new(
                &format!("{} {}", FR.receipt, receipt.number),
                TITLE,
                Direction::Ltr,
            )?,
            title_ar: Line::new(
                &format!("{} {}", AR.receipt, isolate_ltr(&receipt.number)),
                TITLE,
                Direction::Rtl,
            )?,
            facts: facts_rows,
            head_fr: head(&FR, Direction::Ltr)?,
            head_ar: head(&AR, Direction::Rtl)?,
            rows,
            total,
            keep_fr: wrap_fixed(FR.keep, BODY, Direction::Ltr, RIGHT - LEFT)?,
            keep_ar: wrap_fixed(AR.keep, BODY, Direction::Rtl, RIGHT - LEFT)?,
        })
    }

    /// The fund, the title and the facts; returns where the next block starts.
    fn draw_head(&self, surface: &mut Surface<'_>, top: Cpt) -> Result<Cpt, DocumentError> {
        let mut y = top;
        self.fund.draw(surface, LEFT, RIGHT, y, Align::Center)?;
        y += leading(FUND);
        let middle = (LEFT + RIGHT) / 2;
        draw_lines(
            surface,
            self.fund_fr,
            LEFT,
            middle - pt(8),
            y,
            leading(SMALL),
            Align::Start,
        )?;
        draw_lines(
            surface,
            self.fund_ar,
            middle + pt(8),
            RIGHT,
            y,
            leading(SMALL),
            Align::Start,
        )?;
        y += leading(SMALL) * lines(self.fund_fr.len().max(self.fund_ar.len())) - pt(4);
        rule(surface, y, pt(1));
        y += pt(30);
        self.title_fr.draw(surface, LEFT, RIGHT, y, Align::Start)?;
        self.title_ar.draw(surface, LEFT, RIGHT, y, Align::Start)?;
        y += pt(28);
        for fact in &self.facts {
            draw_lines(
                surface,
                fact.label_fr,
                LEFT,
                LABEL_FR_END,
                y,
                leading(BODY),
                Align::Start,
            )?;
            draw_lines(
                surface,
                fact.label_ar,
                LABEL_AR_START,
                RIGHT,
                y,
                leading(BODY),
                Align::Start,
            )?;
            let mut value_y = y;
            for (line, align) in &fact.values {
                line.draw(surface, VALUE_LEFT, VALUE_RIGHT, value_y, *align)?;
                value_y += leading(BODY);
            }
            let tallest = fact
                .values
                .len()
                .max(fact.label_fr.len())
                .max(fact.label_ar.len());
            y += leading(BODY) * lines(tallest) + pt(6);
        }
        Ok(y + pt(10))
    }

    /// The breakdown's header: French labels over Arabic ones, on a light band.
    fn draw_table_head(&self, surface: &mut Surface<'_>, top: Cpt) -> Result<Cpt, DocumentError> {
        let height = 2 * leading(BODY_BOLD) + pt(6);
        band(surface, top, height);
        let first = top + leading(BODY_BOLD) - pt(2);
        let second = first + leading(BODY_BOLD);
        let columns = [
            (LEFT + CELL_PAD, PERIOD_LEFT - CELL_PAD),
            (PERIOD_LEFT + CELL_PAD, AMOUNT_LEFT - CELL_PAD),
            (AMOUNT_LEFT + CELL_PAD, RIGHT - CELL_PAD),
        ];
        for ((left, right), (fr, ar)) in columns.iter().zip(self.head_fr.iter().zip(&self.head_ar))
        {
            draw_lines(surface, fr, *left, *right, first, 0, Align::Center)?;
            draw_lines(surface, ar, *left, *right, second, 0, Align::Center)?;
        }
        Ok(top + height + pt(4))
    }

    fn tail_height(&self) -> Cpt {
        self.total.height
            + pt(16)
            + leading(BODY) * lines(self.keep_fr.len() + self.keep_ar.len())
            + pt(8)
    }

    /// The total, then what the receipt proves in both languages.
    fn draw_tail(&self, surface: &mut Surface<'_>, top: Cpt) -> Result<(), DocumentError> {
        rule(surface, top, pt(1) / 2);
        let mut y = self.total.draw(surface, top + pt(4))?;
        y += pt(16);
        y = draw_lines(
            surface,
            self.keep_fr,
            LEFT,
            RIGHT,
            y,
            leading(BODY),
            Align::Start,
        )?;
        y += pt(8);
        draw_lines(
            surface,
            self.keep_ar,
            LEFT,
            RIGHT,
            y,
            leading(BODY),
            Align::Start,
        )?;
        Ok(())
    }
}

impl Row {
    /// Draws the row below `top`; returns where the next row starts.
    fn draw(&self, surface: &mut Surface<'_>, top: Cpt) -> Result<Cpt, DocumentError> {
        let baseline = top + leading(BODY) - pt(3);
        draw_lines(
            surface,
            &self.worksite,
            LEFT + CELL_PAD,
            PERIOD_LEFT - CELL_PAD,
            baseline,
            leading(BODY),
            Align::Start,
        )?;
        self.period.draw(
            surface,
            PERIOD_LEFT + CELL_PAD,
            AMOUNT_LEFT - CELL_PAD,
            baseline,
            Align::Center,
        )?;
        self.amount.draw(
            surface,
            AMOUNT_LEFT + CELL_PAD,
            RIGHT - CELL_PAD,
            baseline,
            Align::End,
        )?;
        Ok(top + self.height)
    }
}

/// A value written right to left (an Arabic word, or an amount with its Arabic currency).
pub(super) fn value_rtl(
    text: &str,
    style: Style,
    width: Cpt,
) -> Result<Vec<(Line, Align)>, DocumentError> {
    Ok(wrap(text, style, Direction::Rtl, width)?
        .into_iter()
        .map(|line| (line, Align::Center))
        .collect())
}

/// Lines one under the other from the baseline `first`; returns the baseline after them.
pub(super) fn draw_lines(
    surface: &mut Surface<'_>,
    lines: &[Line],
    left: Cpt,
    right: Cpt,
    first: Cpt,
    leading: Cpt,
    align: Align,
) -> Result<Cpt, DocumentError> {
    let mut y = first;
    for line in lines {
        line.draw(surface, left, right, y, align)?;
        y += leading;
    }
    Ok(y)
}

pub(super) fn lines(count: usize) -> Cpt {
    Cpt::try_from(count).unwrap_or(Cpt::MAX / 1000)
}

/// A horizontal rule across the text width.
pub(super) fn rule(surface: &mut Surface<'_>, y: Cpt, thickness: Cpt) {
    if let Some(path) = rectangle(LEFT, y, RIGHT - LEFT, thickness) {
        surface.set_fill(Some(Fill::default()));
        surface.draw_path(&path);
    }
}

/// A light grey band behind the breakdown's header.
pub(super) fn band(surface: &mut Surface<'_>, top: Cpt, height: Cpt) {
    if let Some(path) = rectangle(LEFT, top, RIGHT - LEFT, height) {
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(232, 236, 240).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
        surface.draw_path(&path);
        surface.set_fill(Some(Fill::default()));
    }
}
