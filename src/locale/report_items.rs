//! A bank report's item as an exception keeps it (`end_to_end_id E2E-1, amount 12345
//! centimes, status RJCT, reason AM04, effect reject`, written by the reconciliation in
//! SQL) said in words for staff: the bank's own codes (status, reason) stay, as banks and
//! staff name them; the field names, centimes and effect codes do not.

use mandates::Amount;

use super::{Lang, Medium, money};

/// The item's detail in words; a detail in any other shape (a note, an older format) is
/// kept as it is.
pub fn report_item_detail(detail: &str, lang: Lang) -> String {
    parse(detail).map_or_else(|| detail.to_owned(), |item| words(&item, lang))
}

struct Item<'a> {
    end_to_end_id: &'a str,
    centimes: Option<i64>,
    status: &'a str,
    reason: &'a str,
    effect: &'a str,
}

fn parse(detail: &str) -> Option<Item<'_>> {
    let rest = detail.strip_prefix("end_to_end_id ")?;
    let (rest, effect) = rest.rsplit_once(", effect ")?;
    let (rest, reason) = rest.rsplit_once(", reason ")?;
    let (rest, status) = rest.rsplit_once(", status ")?;
    let (end_to_end_id, amount) = rest.rsplit_once(", amount ")?;
    let centimes = match amount.strip_suffix(" centimes")? {
        "(none)" => None,
        digits => Some(digits.parse().ok()?),
    };
    Some(Item {
        end_to_end_id,
        centimes,
        status,
        reason,
        effect,
    })
}

/// What a report item did (`settle`, `reject`, `return`, `info`) in words.
pub fn effect_word(effect: &str, lang: Lang) -> &'static str {
    match effect {
        "settle" => lang.pick("règlement", "تسوية"),
        "reject" => lang.pick("rejet", "رفض"),
        "return" => lang.pick("retour (impayé)", "إرجاع (غير مدفوع)"),
        "info" => lang.pick("information seulement", "للعلم فقط"),
        _ => lang.pick("autre", "أخرى"),
    }
}

fn words(item: &Item<'_>, lang: Lang) -> String {
    let none = lang.pick("aucun", "لا يوجد");
    let code = |text: &str| {
        if text == "(none)" {
            none.to_owned()
        } else {
            text.to_owned()
        }
    };
    let effect = effect_word(item.effect, lang);
    let amount = item.centimes.map_or_else(
        || none.to_owned(),
        |c| money(Amount::from_centimes(c), lang, Medium::Page),
    );
    match lang {
        Lang::Fr => format!(
            "Référence {} — montant {amount} — statut bancaire {} — motif {} — effet : {effect}",
            code(item.end_to_end_id),
            code(item.status),
            code(item.reason),
        ),
        Lang::Ar => format!(
            "المرجع {} — المبلغ {amount} — حالة البنك {} — السبب {} — الأثر: {effect}",
            code(item.end_to_end_id),
            code(item.status),
            code(item.reason),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_item_reads_in_words() {
        let detail = "end_to_end_id TSL-E2E-7, amount 123456 centimes, status RJCT, reason AM04, effect reject";
        assert_eq!(
            report_item_detail(detail, Lang::Fr),
            "Référence TSL-E2E-7 — montant 1\u{a0}234,56\u{a0}DA — statut bancaire RJCT — motif AM04 — effet : rejet"
        );
        let none = "end_to_end_id (none), amount (none) centimes, status (none), reason (none), effect info";
        assert!(!report_item_detail(none, Lang::Ar).contains("none"));
        assert_eq!(report_item_detail("a note", Lang::Fr), "a note");
    }
}
