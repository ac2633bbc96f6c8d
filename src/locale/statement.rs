//! An employer's statement as a CSV file for a spreadsheet, the same from the command line
//! and the console: UTF-8 with a byte-order mark, `;` between fields, decimal commas (as a
//! spreadsheet set to French or Arabic in Algeria opens it), the labels in French and
//! Arabic, one line per ledger entry with the balance after it.

use mandates::Amount;

use super::{Lang, Medium, Word, money, written_day_of};
use crate::store::{LedgerEntry, Statement, SurchargeFacts, SurchargeKind};

/// An amount as a French-locale spreadsheet reads it: `-1234,50`.
pub fn csv_amount(amount: Amount) -> String {
    amount.to_string().replace('.', ",")
}

/// The statement as CSV for a spreadsheet (UTF-8 with a byte-order mark, `;` between
/// fields, decimal commas), its labels in French and Arabic.
pub fn statement_csv(statement: &Statement) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str("date;libellé;البيان;période;montant présenté;montant;solde\r\n");
    let from = statement.from.as_deref().unwrap_or("");
    out.push_str(&format!(
        "{from};Solde d'ouverture;الرصيد الافتتاحي;;;;{}\r\n",
        csv_amount(statement.opening)
    ));
    for line in &statement.lines {
        let e = &line.entry;
        out.push_str(&format!(
            "{};{};{};{};{};{};{}\r\n",
            e.entry_date,
            cell(&entry_label(e, Lang::Fr)),
            cell(&entry_label(e, Lang::Ar)),
            e.period.as_deref().unwrap_or(""),
            if e.memo == Amount::ZERO {
                String::new()
            } else {
                csv_amount(e.memo)
            },
            csv_amount(e.amount),
            csv_amount(line.balance)
        ));
    }
    out
}

/// A rate in basis points for readers: `500` is `5,00 %`.
pub fn rate_words(bp: i64) -> String {
    format!("{},{:02}\u{a0}%", bp / 100, (bp % 100).abs())
}

/// What a surcharge is, in a sentence for the statement and the employer's notice: its
/// kind, the month of delay, the rate and base, the period, the deadline and the days late,
/// and the rule's source.
pub fn surcharge_explanation(f: &SurchargeFacts, lang: Lang) -> String {
    let rate = rate_words(f.rate_bp);
    let base = money(f.base, lang, Medium::Page);
    let deadline = written_day_of(&f.deadline);
    let days = f.days_late;
    let month = f.month;
    let period = &f.period;
    let source = &f.rule_source;
    match (f.kind, lang) {
        (SurchargeKind::LatePayment, Lang::Fr) => format!(
            "Retard de paiement, mois {month} : {rate} de {base} (période {period}, à payer au plus tard le \
             {deadline}, {days} jours de retard ; règle : {source})"
        ),
        (SurchargeKind::LatePayment, Lang::Ar) => format!(
            "تأخر في الدفع، الشهر {month}: {rate} من {base} (الفترة {period}، آخر أجل للدفع {deadline}، \
             {days} يوم تأخير؛ القاعدة: {source})"
        ),
        (SurchargeKind::LateDeclaration, Lang::Fr) => format!(
            "Déclaration tardive : {rate} de {base} (période {period}, à déclarer au plus tard le {deadline}, \
             {days} jours de retard ; règle : {source})"
        ),
        (SurchargeKind::LateDeclaration, Lang::Ar) => format!(
            "تصريح متأخر: {rate} من {base} (الفترة {period}، آخر أجل للتصريح {deadline}، {days} يوم تأخير؛ \
             القاعدة: {source})"
        ),
        (SurchargeKind::ProvisionalAssessment, Lang::Fr) => format!(
            "Majoration de taxation provisoire : {rate} de {base} (période {period} ; règle : {source})"
        ),
        (SurchargeKind::ProvisionalAssessment, Lang::Ar) => {
            format!("زيادة التقدير المؤقت: {rate} من {base} (الفترة {period}؛ القاعدة: {source})")
        }
    }
}

/// What a provisional assessment's due is (or its reversal, `replaced`), in a sentence for
/// the statement and the employer's notice: the period, the base and where it comes from,
/// the deadline missed, the increase's rate and rule.
pub fn provisional_explanation(f: &SurchargeFacts, replaced: bool, lang: Lang) -> String {
    let rate = rate_words(f.rate_bp);
    let base = money(f.base, lang, Medium::Page);
    let deadline = written_day_of(&f.deadline);
    let period = &f.period;
    let source = &f.rule_source;
    match (replaced, lang) {
        (false, Lang::Fr) => format!(
            "Taxation provisoire de la période {period} (déclaration non reçue au {deadline}) : {base} \
             (cotisations de votre dernière déclaration), majorées de {rate} (règle : {source}) ; \
             remplacée par vos cotisations déclarées dès que vous déclarez cette période"
        ),
        (false, Lang::Ar) => format!(
            "تقدير مؤقت للفترة {period} (لم يصل التصريح في أجل {deadline}): {base} (اشتراكات آخر تصريح لكم)، \
             مع زيادة {rate} (القاعدة: {source})؛ يُستبدل باشتراكاتكم المصرح بها عند تصريحكم بهذه الفترة"
        ),
        (true, Lang::Fr) => format!(
            "Taxation provisoire de la période {period} annulée : remplacée par votre déclaration"
        ),
        (true, Lang::Ar) => {
            format!("إلغاء التقدير المؤقت للفترة {period}: استُبدل بتصريحكم")
        }
    }
}

/// An entry's label on a statement: its kind in words, and for a surcharge or a waiver
/// what explains it.
pub fn entry_label(entry: &LedgerEntry, lang: Lang) -> String {
    use crate::store::EntryKind;
    if let Some(facts) = entry
        .surcharge
        .as_ref()
        .filter(|f| f.kind == SurchargeKind::ProvisionalAssessment)
    {
        // A provisional assessment's due and its reversal (its increase is a surcharge).
        if matches!(entry.kind, EntryKind::Due | EntryKind::DueWithdrawn) {
            return format!(
                "{} — {}",
                entry.kind.word(lang),
                provisional_explanation(facts, entry.kind == EntryKind::DueWithdrawn, lang)
            );
        }
    }
    match (&entry.surcharge, entry.plan_instalment) {
        (Some(facts), _) => format!(
            "{} — {}",
            entry.kind.word(lang),
            surcharge_explanation(facts, lang)
        ),
        // A debit collecting a payment plan's instalment says so.
        (None, Some((plan, number))) => format!(
            "{} — {} {number} {} {plan}",
            entry.kind.word(lang),
            lang.pick("échéance", "القسط"),
            lang.pick("de l'échéancier n°", "من جدول التقسيط رقم"),
        ),
        (None, None) => entry.kind.word(lang).to_owned(),
    }
}

/// A text cell: quoted (quotes doubled) when it holds `;`, a quote or a line break, and
/// prefixed with `'` when a spreadsheet would take it for a formula — a name is never run.
/// Amounts are written by [`csv_amount`], never through this (a negative amount must stay
/// a number).
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The columns of [`receivables_csv`], in order (documented in README: columns keep their
/// meaning; new ones are added at the end).
pub const RECEIVABLES_COLUMNS: &str = "n° d'affiliation;employeur;صاحب العمل;lignes dues;\
     0-30 jours;31-90 jours;91-180 jours;plus de 180 jours;total dû";

/// The employers owing as CSV (same conventions as [`statement_csv`]), each with what it
/// owes by age, then a total line for the whole fund: [`receivables_csv_head`], the rows
/// of every page ([`receivables_csv_rows`]) and [`receivables_csv_total`] (the exports
/// write them as they read the pages).
pub fn receivables_csv(
    receivables: &crate::store::Receivables,
    employers: &[crate::store::EmployerOwing],
) -> String {
    let mut out = receivables_csv_head();
    receivables_csv_rows(&mut out, employers);
    out.push_str(&receivables_csv_total(receivables));
    out
}

/// The byte-order mark and the header line of [`receivables_csv`].
pub fn receivables_csv_head() -> String {
    format!("\u{feff}{RECEIVABLES_COLUMNS}\r\n")
}

fn bucket_cells(b: &crate::store::AgeBuckets) -> String {
    [
        b.up_to_30,
        b.from_31_to_90,
        b.from_91_to_180,
        b.over_180,
        b.total,
    ]
    .map(csv_amount)
    .join(";")
}

/// One line per employer owing, appended to `out`.
pub fn receivables_csv_rows(out: &mut String, employers: &[crate::store::EmployerOwing]) {
    for e in employers {
        out.push_str(&format!(
            "{};{};{};{};{}\r\n",
            cell(&e.affiliation_number),
            cell(&e.name),
            cell(e.name_ar.as_deref().unwrap_or("")),
            e.lines,
            bucket_cells(&e.owed)
        ));
    }
}

/// The last line of [`receivables_csv`]: the whole fund.
pub fn receivables_csv_total(receivables: &crate::store::Receivables) -> String {
    format!(
        "Total;{} employeurs;المجموع;{};{}\r\n",
        receivables.employers,
        receivables.lines,
        bucket_cells(&receivables.total)
    )
}

/// The columns of [`journal_csv`], in order (documented in README).
pub const JOURNAL_COLUMNS: &str = "date;écriture n°;n° d'affiliation;nature;طبيعة القيد;montant;\
     congés payés;intempéries part employeur;intempéries part salarié;non affecté;\
     montant concerné (mémo);référence";

/// The ledger's entries as the accounting journal: one line per entry (same conventions as
/// [`statement_csv`]; amounts signed as the ledger signs them — positive, owed more).
pub fn journal_csv(entries: &[crate::store::JournalEntry]) -> String {
    let mut out = journal_csv_head();
    journal_csv_rows(&mut out, entries);
    out
}

/// The byte-order mark and the header line of [`journal_csv`].
pub fn journal_csv_head() -> String {
    format!("\u{feff}{JOURNAL_COLUMNS}\r\n")
}

/// One line per entry, appended to `out` (the exports write a page at a time).
pub fn journal_csv_rows(out: &mut String, entries: &[crate::store::JournalEntry]) {
    for e in entries {
        out.push_str(&format!(
            "{};{};{};{};{};{};{};{};{};{};{};{}\r\n",
            e.entry_date,
            e.id,
            cell(&e.affiliation_number),
            e.kind.word(Lang::Fr),
            e.kind.word(Lang::Ar),
            csv_amount(e.amount),
            csv_amount(e.paid_leave),
            csv_amount(e.bad_weather_employer),
            csv_amount(e.bad_weather_employee),
            csv_amount(e.unallocated),
            csv_amount(e.memo),
            cell(&e.reference),
        ));
    }
}

/// The columns of [`journal_totals_csv`], in order (documented in README).
pub const JOURNAL_TOTALS_COLUMNS: &str = "date;nature;طبيعة القيد;écritures;montant;congés payés;\
     intempéries part employeur;intempéries part salarié;non affecté;montant concerné (mémo)";

/// The journal's totals per day and kind, what the fund's accounting posts.
pub fn journal_totals_csv(totals: &[crate::store::JournalTotal]) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(JOURNAL_TOTALS_COLUMNS);
    out.push_str("\r\n");
    for t in totals {
        out.push_str(&format!(
            "{};{};{};{};{};{};{};{};{};{}\r\n",
            t.entry_date,
            t.kind.word(Lang::Fr),
            t.kind.word(Lang::Ar),
            t.entries,
            csv_amount(t.amount),
            csv_amount(t.paid_leave),
            csv_amount(t.bad_weather_employer),
            csv_amount(t.bad_weather_employee),
            csv_amount(t.unallocated),
            csv_amount(t.memo),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_never_formulas_and_amounts_stay_numbers() {
        assert_eq!(cell("a;b"), "\"a;b\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_amount(Amount::from_centimes(-123_456)), "-1234,56");
        assert_eq!(csv_amount(Amount::from_centimes(5)), "0,05");
    }
}
