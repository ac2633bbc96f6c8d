//! One reason taxonomy for every format: an ISO 20022 reason code or a fixed-width
//! layout's return code becomes a [`Reason`] — the code verbatim, where it came from, a
//! small internal [`ReasonCategory`] and a [`RetryClass`] that drives what happens next.
//! Each category has a plain-language text in Arabic and French for the employer.
//!
//! Unknown codes are never dropped: they are kept verbatim as `Other` / `NeedsStaff`
//! with `recognised = false`, so finance staff see them and can extend the mapping.

use std::fmt;

use crate::layout::{Layout, shipped_layout};

mandates::stored_codes! {
    /// The internal reason for a failed collection; the code is stable (storage, APIs,
    /// layout descriptions).
    pub enum ReasonCategory("reason category") {
        InsufficientFunds = "insufficient_funds",
        /// Closed, unknown or invalid account (including a deceased holder).
        AccountClosed = "account_closed",
        /// The account exists but refuses this debit (blocked, no direct debits allowed).
        AccountBlocked = "account_blocked",
        NoOrInvalidMandate = "no_or_invalid_mandate",
        /// Refused or reclaimed on the debtor's side (by the employer or its bank).
        DebtorRefused = "debtor_refused",
        /// Amount invalid or above a limit (the debtor's, the bank's, the system's).
        AmountOrLimit = "amount_or_limit",
        Duplicate = "duplicate",
        /// Something in our file or its data was wrong; finance staff fix and resend.
        TechnicalOrFormat = "technical_or_format",
        Regulatory = "regulatory",
        Other = "other",
    }
}

mandates::stored_codes! {
    /// What to do after a failure of this kind.
    pub enum RetryClass("retry class") {
        /// Re-present automatically after the configured delay (up to the configured count).
        RetryLater = "retry_later",
        /// Do not re-present; the mandate or account must change first (the employer acts).
        Never = "never",
        /// Do not re-present automatically; an exception for finance staff.
        NeedsStaff = "needs_staff",
    }
}

/// Where a code comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReasonSource {
    /// ISO 20022 external reason code (pain.002, camt.05x).
    Iso,
    /// The return codes of the named fixed-width layout.
    Layout(String),
}

impl fmt::Display for ReasonSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReasonSource::Iso => f.write_str("iso20022"),
            ReasonSource::Layout(name) => f.write_str(name),
        }
    }
}

/// A classified reason code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reason {
    /// The code exactly as the file gave it, e.g. `AM04` (never normalised away).
    pub code: String,
    pub source: ReasonSource,
    pub category: ReasonCategory,
    pub retry_class: RetryClass,
    /// False when the code is not in the mapping (kept verbatim as Other / NeedsStaff).
    pub recognised: bool,
}

impl Reason {
    /// The unknown-code reason: kept verbatim, Other / NeedsStaff.
    pub fn unknown(code: &str, source: ReasonSource) -> Reason {
        Reason {
            code: code.to_owned(),
            source,
            category: ReasonCategory::Other,
            retry_class: RetryClass::NeedsStaff,
            recognised: false,
        }
    }

    /// The employer-facing French text of the category.
    pub fn text_fr(&self) -> &'static str {
        self.category.text_fr()
    }

    /// The employer-facing Arabic text of the category.
    pub fn text_ar(&self) -> &'static str {
        self.category.text_ar()
    }
}

impl ReasonCategory {
    /// The usual retry class; a code may override it (see [`classify_iso`]).
    pub fn retry_class(self) -> RetryClass {
        match self {
            ReasonCategory::InsufficientFunds => RetryClass::RetryLater,
            ReasonCategory::AccountClosed
            | ReasonCategory::AccountBlocked
            | ReasonCategory::NoOrInvalidMandate
            | ReasonCategory::DebtorRefused => RetryClass::Never,
            ReasonCategory::AmountOrLimit
            | ReasonCategory::Duplicate
            | ReasonCategory::TechnicalOrFormat
            | ReasonCategory::Regulatory
            | ReasonCategory::Other => RetryClass::NeedsStaff,
        }
    }

    /// What happened and what the employer should do, in French.
    pub fn text_fr(self) -> &'static str {
        match self {
            ReasonCategory::InsufficientFunds => {
                "Provision insuffisante sur le compte au moment du prélèvement. \
                 Approvisionnez le compte : le prélèvement sera présenté à nouveau automatiquement \
                 à la date indiquée dans votre espace."
            }
            ReasonCategory::AccountClosed => {
                "Le compte est clôturé, inconnu ou son numéro est erroné. \
                 Aucun nouveau prélèvement ne sera présenté sur ce compte : \
                 enregistrez un nouveau compte et signez une nouvelle autorisation dans votre espace."
            }
            ReasonCategory::AccountBlocked => {
                "Le compte est bloqué ou n'accepte pas les prélèvements. \
                 Contactez votre banque ou votre bureau de poste pour lever le blocage, \
                 ou enregistrez un autre compte dans votre espace."
            }
            ReasonCategory::NoOrInvalidMandate => {
                "Votre banque ne dispose pas d'une autorisation de prélèvement valable \
                 (absente, révoquée ou incomplète). Signez à nouveau l'autorisation de \
                 prélèvement dans votre espace et faites-la enregistrer par votre banque."
            }
            ReasonCategory::DebtorRefused => {
                "Le prélèvement a été refusé ou contesté auprès de votre banque. \
                 Il ne sera pas représenté automatiquement : réglez le montant dû par un autre \
                 moyen, ou ouvrez une réclamation dans votre espace si le montant vous paraît erroné."
            }
            ReasonCategory::AmountOrLimit => {
                "Le montant dépasse un plafond (de votre autorisation, de votre compte ou de la \
                 banque) ou n'est pas accepté. Nos services vérifient le prélèvement ; vous pouvez \
                 relever le plafond auprès de votre banque ou régler par un autre moyen."
            }
            ReasonCategory::Duplicate => {
                "La banque a considéré ce prélèvement comme un doublon d'une opération déjà reçue. \
                 Aucune action n'est nécessaire de votre part : nos services vérifient qu'il n'y a \
                 ni double débit ni montant restant dû."
            }
            ReasonCategory::TechnicalOrFormat => {
                "Le prélèvement n'a pas pu être traité pour une raison technique de notre côté \
                 ou de celui de la banque. Aucune action n'est nécessaire de votre part : \
                 nos services corrigent et vous informent de la nouvelle date."
            }
            ReasonCategory::Regulatory => {
                "Le prélèvement a été bloqué pour un motif réglementaire (contrôle, saisie ou \
                 donnée d'identification manquante). Nos services vous contacteront ; \
                 rapprochez-vous aussi de votre banque."
            }
            ReasonCategory::Other => {
                "Le prélèvement n'a pas abouti pour un motif que la banque n'a pas précisé \
                 ou que nous n'avons pas encore identifié. Nos services l'examinent et vous \
                 informeront de la suite ; vous pouvez aussi contacter votre banque."
            }
        }
    }

    /// What happened and what the employer should do, in Arabic.
    pub fn text_ar(self) -> &'static str {
        match self {
            ReasonCategory::InsufficientFunds => {
                "رصيد الحساب غير كاف عند تنفيذ الاقتطاع. يرجى تزويد الحساب بالمبلغ اللازم، \
                 وسيُعاد تقديم الاقتطاع تلقائيا في التاريخ المبين في فضائكم."
            }
            ReasonCategory::AccountClosed => {
                "الحساب مغلق أو غير موجود أو رقمه خاطئ. لن يُقدَّم أي اقتطاع جديد على هذا الحساب: \
                 يرجى تسجيل حساب جديد وتوقيع ترخيص اقتطاع جديد في فضائكم."
            }
            ReasonCategory::AccountBlocked => {
                "الحساب مجمد أو لا يقبل الاقتطاعات. يرجى الاتصال بالبنك أو بمكتب البريد لرفع التجميد، \
                 أو تسجيل حساب آخر في فضائكم."
            }
            ReasonCategory::NoOrInvalidMandate => {
                "لا يتوفر لدى البنك ترخيص اقتطاع صالح (غير موجود أو ملغى أو ناقص). \
                 يرجى توقيع ترخيص الاقتطاع من جديد في فضائكم وتسجيله لدى البنك."
            }
            ReasonCategory::DebtorRefused => {
                "تم رفض الاقتطاع أو الاعتراض عليه لدى البنك. لن يُعاد تقديمه تلقائيا: \
                 يرجى تسديد المبلغ المستحق بوسيلة أخرى، أو فتح اعتراض في فضائكم إذا كان المبلغ خاطئا."
            }
            ReasonCategory::AmountOrLimit => {
                "المبلغ يتجاوز سقفا محددا (سقف الترخيص أو الحساب أو البنك) أو غير مقبول. \
                 مصالحنا تتحقق من الاقتطاع؛ يمكنكم رفع السقف لدى البنك أو التسديد بوسيلة أخرى."
            }
            ReasonCategory::Duplicate => {
                "اعتبر البنك هذا الاقتطاع تكرارا لعملية سبق استلامها. لا يلزمكم أي إجراء: \
                 مصالحنا تتحقق من عدم وجود اقتطاع مزدوج أو مبلغ متبقٍّ."
            }
            ReasonCategory::TechnicalOrFormat => {
                "تعذرت معالجة الاقتطاع لسبب تقني من جهتنا أو من جهة البنك. لا يلزمكم أي إجراء: \
                 مصالحنا تصحح الخلل وتعلمكم بالتاريخ الجديد."
            }
            ReasonCategory::Regulatory => {
                "تم توقيف الاقتطاع لسبب تنظيمي (مراقبة أو حجز أو بيانات تعريف ناقصة). \
                 ستتصل بكم مصالحنا؛ يرجى أيضا التقرب من البنك."
            }
            ReasonCategory::Other => {
                "لم يتم الاقتطاع لسبب لم يحدده البنك أو لم نتعرف عليه بعد. \
                 مصالحنا تدرس الحالة وستعلمكم بالمتابعة؛ يمكنكم أيضا الاتصال بالبنك."
            }
        }
    }
}

use ReasonCategory as C;
use RetryClass as R;

/// ISO 20022 reason codes (ExternalStatusReason1Code / ExternalReturnReason1Code and the
/// cancellation/reversal reasons seen in SDD files): code, category, retry override,
/// ISO meaning (abridged). Every code of `shared/iso20022/README.md` §5 is here, plus
/// the common SEPA set.
const ISO_CODES: &[(&str, ReasonCategory, Option<RetryClass>, &str)] = &[
    // Account
    (
        "AC01",
        C::AccountClosed,
        None,
        "account number invalid or missing",
    ),
    (
        "AC02",
        C::AccountClosed,
        None,
        "debtor account number invalid",
    ),
    (
        "AC03",
        C::TechnicalOrFormat,
        None,
        "creditor account number invalid",
    ),
    ("AC04", C::AccountClosed, None, "account closed"),
    ("AC05", C::AccountClosed, None, "debtor account closed"),
    (
        "AC06",
        C::AccountBlocked,
        None,
        "account blocked (or direct debits blocked)",
    ),
    (
        "AC07",
        C::TechnicalOrFormat,
        None,
        "creditor account closed",
    ),
    (
        "AC09",
        C::TechnicalOrFormat,
        None,
        "invalid account currency",
    ),
    (
        "AC13",
        C::AccountBlocked,
        None,
        "debtor account type missing or invalid",
    ),
    (
        "AG01",
        C::AccountBlocked,
        None,
        "transaction forbidden on this type of account",
    ),
    (
        "AG02",
        C::TechnicalOrFormat,
        None,
        "invalid bank operation code",
    ),
    (
        "AG03",
        C::TechnicalOrFormat,
        None,
        "transaction type not supported",
    ),
    ("AG04", C::TechnicalOrFormat, None, "invalid agent country"),
    // Amount
    ("AM01", C::AmountOrLimit, None, "zero amount"),
    ("AM02", C::AmountOrLimit, None, "amount not allowed"),
    ("AM03", C::TechnicalOrFormat, None, "currency not allowed"),
    ("AM04", C::InsufficientFunds, None, "insufficient funds"),
    ("AM05", C::Duplicate, None, "duplication"),
    ("AM06", C::AmountOrLimit, None, "amount too low"),
    ("AM07", C::AmountOrLimit, None, "amount blocked"),
    ("AM09", C::AmountOrLimit, None, "wrong amount"),
    ("AM10", C::TechnicalOrFormat, None, "control sum wrong"),
    ("AM12", C::AmountOrLimit, None, "invalid amount"),
    (
        "AM13",
        C::AmountOrLimit,
        None,
        "amount exceeds clearing system limit",
    ),
    (
        "AM14",
        C::AmountOrLimit,
        None,
        "amount exceeds agreed limit",
    ),
    (
        "AM18",
        C::TechnicalOrFormat,
        None,
        "invalid number of transactions",
    ),
    // Party
    (
        "BE01",
        C::NoOrInvalidMandate,
        None,
        "debtor identification inconsistent with account",
    ),
    (
        "BE04",
        C::TechnicalOrFormat,
        None,
        "creditor address missing",
    ),
    (
        "BE05",
        C::TechnicalOrFormat,
        None,
        "initiating party (creditor identifier) not recognised",
    ),
    ("BE06", C::AccountClosed, None, "end customer unknown"),
    ("BE07", C::TechnicalOrFormat, None, "debtor address missing"),
    // Clearing and settlement
    (
        "CNOR",
        C::TechnicalOrFormat,
        None,
        "creditor bank not registered in the clearing system",
    ),
    (
        "DNOR",
        C::TechnicalOrFormat,
        None,
        "debtor bank not registered in the clearing system",
    ),
    ("DT01", C::TechnicalOrFormat, None, "invalid date"),
    ("ED05", C::TechnicalOrFormat, None, "settlement failed"),
    (
        "TM01",
        C::TechnicalOrFormat,
        None,
        "received after the cut-off time",
    ),
    (
        "FF01",
        C::TechnicalOrFormat,
        None,
        "file format incomplete or invalid",
    ),
    (
        "RC01",
        C::TechnicalOrFormat,
        None,
        "bank identifier incorrect",
    ),
    // Duplicates
    ("DU01", C::Duplicate, None, "message id not unique"),
    (
        "DU02",
        C::Duplicate,
        None,
        "payment information block not unique",
    ),
    ("DU03", C::Duplicate, None, "transaction not unique"),
    ("DU04", C::Duplicate, None, "end-to-end id not unique"),
    ("DU05", C::Duplicate, None, "instruction id not unique"),
    ("DUPL", C::Duplicate, None, "duplicate payment"),
    // Mandate
    ("MD01", C::NoOrInvalidMandate, None, "no mandate"),
    (
        "MD02",
        C::NoOrInvalidMandate,
        None,
        "mandate data missing or incorrect",
    ),
    // A refund claimed by the debtor within 8 weeks: debtor-side refusal, never retried.
    (
        "MD06",
        C::DebtorRefused,
        None,
        "refund requested by end customer",
    ),
    // For an employer this means the sole proprietor died: the account is finished.
    ("MD07", C::AccountClosed, None, "end customer deceased"),
    // No reason given
    (
        "MS02",
        C::DebtorRefused,
        None,
        "refused by the debtor, reason not specified",
    ),
    // Banks commonly mask insufficient funds as MS03 (brief §5): one automatic retry is
    // the usual practice, so the retry class is overridden.
    (
        "MS03",
        C::DebtorRefused,
        Some(R::RetryLater),
        "reason not specified by the bank",
    ),
    // Not in the brief's table; seen in the CaixaBank pain.002 sample. Treated like MS03.
    (
        "MS01",
        C::DebtorRefused,
        Some(R::RetryLater),
        "reason not specified",
    ),
    // Regulatory
    (
        "RR01",
        C::Regulatory,
        None,
        "debtor account or identification missing (regulatory)",
    ),
    (
        "RR02",
        C::Regulatory,
        None,
        "debtor name or address missing (regulatory)",
    ),
    (
        "RR03",
        C::Regulatory,
        None,
        "creditor name or address missing (regulatory)",
    ),
    ("RR04", C::Regulatory, None, "regulatory reason"),
    ("FRAD", C::Regulatory, None, "fraudulent origin"),
    // Debtor bank services
    (
        "SL01",
        C::AmountOrLimit,
        None,
        "specific service offered by the debtor bank (limit, white/black list)",
    ),
    (
        "SL11",
        C::AccountBlocked,
        None,
        "creditor not on the debtor's whitelist",
    ),
    (
        "SL12",
        C::AccountBlocked,
        None,
        "creditor on the debtor's blacklist",
    ),
    (
        "SL13",
        C::AmountOrLimit,
        None,
        "maximum number of direct debits exceeded",
    ),
    (
        "SL14",
        C::AmountOrLimit,
        None,
        "maximum direct debit amount exceeded",
    ),
    // Cancellation and reversal reasons
    ("CUST", C::DebtorRefused, None, "requested by the debtor"),
    ("TECH", C::TechnicalOrFormat, None, "technical problem"),
    // Our own cancellation request was carried out: staff decide what follows.
    (
        "FOCR",
        C::TechnicalOrFormat,
        None,
        "following a cancellation request",
    ),
    // The meaning is in the free text: known code, but only staff can read it.
    ("NARR", C::Other, None, "reason given as narrative text"),
];

/// Classifies an ISO 20022 reason code (case and surrounding spaces ignored for the
/// lookup; the code is kept verbatim). Unknown codes: Other / NeedsStaff.
pub fn classify_iso(code: &str) -> Reason {
    let key = code.trim().to_ascii_uppercase();
    match ISO_CODES.iter().find(|(c, ..)| *c == key) {
        Some((_, category, retry, _)) => Reason {
            code: code.to_owned(),
            source: ReasonSource::Iso,
            category: *category,
            retry_class: retry.unwrap_or(category.retry_class()),
            recognised: true,
        },
        None => Reason::unknown(code, ReasonSource::Iso),
    }
}

/// The abridged ISO meaning of a code tahsil knows, for staff screens.
pub fn iso_meaning(code: &str) -> Option<&'static str> {
    let key = code.trim().to_ascii_uppercase();
    ISO_CODES
        .iter()
        .find(|(c, ..)| *c == key)
        .map(|(.., meaning)| *meaning)
}

/// Every ISO code in the mapping.
pub fn iso_codes() -> impl Iterator<Item = &'static str> {
    ISO_CODES.iter().map(|(c, ..)| *c)
}

/// Classifies a return code of a shipped layout (by layout name). An unknown layout or
/// code: Other / NeedsStaff, verbatim. For an institution's own layout use
/// [`classify_with_layout`].
pub fn classify_layout(layout_name: &str, code: &str) -> Reason {
    match shipped_layout(layout_name) {
        Some(layout) => classify_with_layout(layout, code),
        None => Reason::unknown(code, ReasonSource::Layout(layout_name.to_owned())),
    }
}

/// Classifies a return code with the `[[return_codes]]` table of any layout.
pub fn classify_with_layout(layout: &Layout, code: &str) -> Reason {
    let source = ReasonSource::Layout(layout.name().to_owned());
    match layout.return_code(code) {
        Some(def) => Reason {
            code: code.to_owned(),
            source,
            category: def.category,
            retry_class: def.retry.unwrap_or(def.category.retry_class()),
            recognised: true,
        },
        None => Reason::unknown(code, source),
    }
}

/// Classifies a code from any source.
pub fn classify(source: &ReasonSource, code: &str) -> Reason {
    match source {
        ReasonSource::Iso => classify_iso(code),
        ReasonSource::Layout(name) => classify_layout(name, code),
    }
}
