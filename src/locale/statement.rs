//! An employer's statement as a CSV file for a spreadsheet, the same from the command line
//! and the console: UTF-8 with a byte-order mark, `;` between fields, decimal commas (as a
//! spreadsheet set to French or Arabic in Algeria opens it), the labels in French and
//! Arabic, one line per ledger entry with the balance after it.

use mandates::Amount;

use super::{Lang, Word};
use crate::store::Statement;

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
            e.kind.word(Lang::Fr),
            e.kind.word(Lang::Ar),
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
