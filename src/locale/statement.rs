//! An employer's statement as a CSV file for a spreadsheet, the same from the command line
//! and the console: UTF-8 with a byte-order mark, `;` between fields, decimal commas (as a
//! spreadsheet set to French or Arabic in Algeria opens it), the labels in French and
//! Arabic, one line per ledger entry with the balance after it.

use mandates::Amount;

use super::{Lang, Medium, Word, money, written_day_of};
use crate::store::{LedgerEntry, Statement, SurchargeFacts, SurchargeKind};

/// An amount as a French-locale spreadsheet reads it: `-1234,50`.
fn csv_amount(amount: Amount) -> String {
    amount.to_string().replace('.', ",")
}

/// Text for one CSV field: quoted when it holds `;`, a quote or a line break.
fn csv_text(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
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
            csv_text(&entry_label(e, Lang::Fr)),
            csv_text(&entry_label(e, Lang::Ar)),
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

/// An entry's label on a statement: its kind in words, and for a surcharge or a waiver
/// what explains it.
pub fn entry_label(entry: &LedgerEntry, lang: Lang) -> String {
    match &entry.surcharge {
        Some(facts) => format!(
            "{} — {}",
            entry.kind.word(lang),
            surcharge_explanation(facts, lang)
        ),
        None => entry.kind.word(lang).to_owned(),
    }
}
