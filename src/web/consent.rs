//! The consent text of a mandate, versioned: what the portal shows and a signature keeps
//! (the exact text, stored once per text with its SHA-256), and the versions the fund
//! publishes — the current text in each language. A signature through the portal or the
//! admin API is accepted only under a published version, whose text tahsil writes itself.

use mandates::Lang;

use crate::store::MandateRecord;

/// The version of the consent text below: what the fund publishes today, one per language
/// ([`published_version`]).
pub const CONSENT_VERSION: &str = "2026-01";

/// The consent text shown for one mandate, in one language: what is signed.
pub fn consent_text(lang: Lang, employer: &str, mandate: &MandateRecord) -> String {
    let bank = mandate
        .bank_name
        .clone()
        .unwrap_or_else(|| mandate.bank_code.clone());
    consent_text_of(
        lang,
        employer,
        &mandate.reference,
        &mandate.account_masked,
        &bank,
    )
}

/// The consent text of a mandate not yet recorded: the reference it will get, the account
/// masked as the mandate will show it, the bank's name. The same text as
/// [`consent_text`] gives once the mandate exists with these.
pub fn consent_text_of(
    lang: Lang,
    employer: &str,
    reference: &str,
    account_masked: &str,
    bank: &str,
) -> String {
    match lang {
        Lang::Fr => format!(
            "En signant ce mandat (référence {reference}), {employer} autorise la CACOBATPH à présenter \
             des prélèvements sur le compte {account} ({bank}) pour les cotisations de congés payés et \
             de chômage-intempéries qu'elle déclare, et autorise sa banque ou Algérie Poste à débiter ce \
             compte. Chaque prélèvement est annoncé au moins cinq jours à l'avance, avec sa date et son \
             montant. Le mandat peut être révoqué à tout moment depuis cet espace ; une contestation peut \
             être formée auprès de la caisse. (Texte version {CONSENT_VERSION})",
            account = account_masked,
        ),
        Lang::Ar => format!(
            "بتوقيع هذا التفويض (المرجع {reference})، ترخّص {employer} للصندوق الوطني للعطل المدفوعة الأجر \
             والبطالة الناجمة عن سوء الأحوال الجوية (كاكوباث) بتقديم اقتطاعات من الحساب {account} ({bank}) \
             لتسديد الاشتراكات التي تصرّح بها، وترخّص لبنكها أو لبريد الجزائر بخصم هذا الحساب. يُعلَن عن كل \
             اقتطاع قبل خمسة أيام على الأقل بتاريخه ومبلغه. يمكن إلغاء التفويض في أي وقت من هذا الفضاء، \
             ويمكن تقديم اعتراض لدى الصندوق. (نص الإصدار {CONSENT_VERSION})",
            account = account_masked,
        ),
    }
}

/// The published version of the current text in `lang`, as a signature records it
/// (`2026-01-fr`).
pub fn published_version(lang: Lang) -> String {
    format!("{CONSENT_VERSION}-{}", lang.as_str())
}

/// Every consent version the fund publishes: the current text in each language.
pub fn published_versions() -> Vec<String> {
    Lang::ALL.into_iter().map(published_version).collect()
}

/// The language of a published version, or `None` for a version the fund does not publish
/// (an old, unknown or misspelled one).
pub fn published_lang(version: &str) -> Option<Lang> {
    Lang::ALL
        .into_iter()
        .find(|lang| published_version(*lang) == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_current_version_of_each_language_is_published() {
        assert_eq!(published_versions(), ["2026-01-ar", "2026-01-fr"]);
        assert_eq!(published_lang("2026-01-fr"), Some(Lang::Fr));
        assert_eq!(published_lang("2026-01-ar"), Some(Lang::Ar));
        for unknown in ["2026-01", "2025-01-fr", "2026-01-FR", "", "2026-01-fr "] {
            assert_eq!(published_lang(unknown), None, "{unknown:?}");
        }
    }
}
