//! The word for every state, in Arabic and French: one exhaustive `match` per enum (no
//! wildcard), so a new state is a compile error here until it has its words, never its
//! raw code on a page, in a notice or on the command line.
//!
//! Staff (the console) read [`Word::word`]; where employers (the portal) read a plainer
//! word, the same table gives it as [`EmployerWord::employer_word`].

use bank_formats::reasons::ReasonCategory;
use mandates::{
    AccountKind, CollectionStatus, DebitAction, HolidayKind, MandateStatus, NoticeLanguage,
    PeriodKind,
};

use super::Lang;
use crate::store::{
    AllocationOrder, AssessmentStatus, CalendarAction, DebitChange, DeclarationStatus,
    DisputeAction, DisputeOutcome, DisputeReason, DisputeState, Effect, EntryKind, ExceptionKind,
    Institution, ItemOutcome, JobStatus, MessageAuthor, NoticeKind, NoticeStatus, PaymentChannel,
    RefundStatus, Role, RunStatus, WebhookStatus,
};

/// The word for a state in each language.
pub trait Word: Copy {
    fn word(self, lang: Lang) -> &'static str;
}

/// The word an employer reads for a state, where it is plainer than the staff's.
pub trait EmployerWord: Copy {
    fn employer_word(self, lang: Lang) -> &'static str;
}

/// A collection's state: for staff, and for the employer.
fn collection_status(status: CollectionStatus) -> [(&'static str, &'static str); 2] {
    match status {
        CollectionStatus::Planned => [("Planifié", "مبرمج"), ("Prévu", "مبرمج")],
        CollectionStatus::Submitted => [
            ("Présenté", "مقدَّم"),
            ("Transmis à la banque", "مرسل إلى البنك"),
        ],
        CollectionStatus::Settled => [("Réglé", "مسوّى"), ("Payé", "مدفوع")],
        CollectionStatus::Rejected => [("Rejeté", "مرفوض"), ("Rejeté", "مرفوض")],
        CollectionStatus::Returned => [
            ("Retourné", "مرتجع"),
            ("Retourné (impayé)", "مُرجَع (غير مدفوع)"),
        ],
        CollectionStatus::RetryPlanned => [
            (
                "Échec, nouvelle tentative prévue",
                "أخفق، محاولة جديدة مبرمجة",
            ),
            (
                "Non abouti, nouvelle présentation prévue",
                "لم يتم، تقديم جديد مبرمج",
            ),
        ],
        CollectionStatus::Cancelled => [("Annulé", "ملغى"), ("Annulé", "ملغى")],
    }
}

impl Word for CollectionStatus {
    fn word(self, lang: Lang) -> &'static str {
        let [(fr, ar), _] = collection_status(self);
        lang.pick(fr, ar)
    }
}

impl EmployerWord for CollectionStatus {
    fn employer_word(self, lang: Lang) -> &'static str {
        let [_, (fr, ar)] = collection_status(self);
        lang.pick(fr, ar)
    }
}

/// A staff action on a debit (its button, and what resolved an exception).
impl Word for DebitAction {
    fn word(self, lang: Lang) -> &'static str {
        let (fr, ar) = match self {
            DebitAction::Hold => ("Suspendre", "تعليق"),
            DebitAction::Release => ("Lever la suspension", "رفع التعليق"),
            DebitAction::Cancel => ("Annuler le prélèvement", "إلغاء الاقتطاع"),
            DebitAction::Represent => ("Représenter maintenant", "إعادة التقديم الآن"),
        };
        lang.pick(fr, ar)
    }
}

/// What a notice is about: for staff, and for the employer who received it.
fn notice_kind(kind: NoticeKind) -> [(&'static str, &'static str); 2] {
    match kind {
        NoticeKind::AdvanceNotice => [
            ("Préavis", "إشعار مسبق"),
            ("Avis de prélèvement", "إشعار مسبق بالاقتطاع"),
        ],
        NoticeKind::Receipt => [("Reçu", "وصل"), ("Reçu", "وصل")],
        NoticeKind::FailureNotice => [
            ("Avis d'échec", "إشعار إخفاق"),
            ("Prélèvement non abouti", "اقتطاع لم يتم"),
        ],
        NoticeKind::DebitCancelled => [
            ("Prélèvement annulé", "إلغاء اقتطاع"),
            ("Prélèvement annulé", "إلغاء اقتطاع"),
        ],
        NoticeKind::SurchargeNotice => [
            ("Majoration de retard", "زيادة تأخير"),
            ("Majoration de retard", "زيادة تأخير"),
        ],
        NoticeKind::ProvisionalAssessment => [
            ("Taxation provisoire", "تقدير مؤقت"),
            ("Taxation provisoire", "تقدير مؤقت"),
        ],
        NoticeKind::PlanSet => [
            ("Échéancier accordé", "منح جدول التقسيط"),
            ("Échéancier accordé", "منح جدول التقسيط"),
        ],
        NoticeKind::PlanRefused => [
            ("Échéancier refusé", "رفض جدول التقسيط"),
            ("Demande d'échéancier refusée", "رفض طلب جدول التقسيط"),
        ],
        NoticeKind::PlanBroken => [
            ("Échéancier rompu", "فسخ جدول التقسيط"),
            ("Échéancier rompu", "فسخ جدول التقسيط"),
        ],
        NoticeKind::PlanCancelled => [
            ("Échéancier annulé", "إلغاء جدول التقسيط"),
            ("Échéancier annulé", "إلغاء جدول التقسيط"),
        ],
        NoticeKind::PlanCompleted => [
            ("Échéancier soldé", "استيفاء جدول التقسيط"),
            ("Échéancier soldé", "استيفاء جدول التقسيط"),
        ],
        NoticeKind::OverCeiling => [
            ("Plafond dépassé", "تجاوز السقف"),
            (
                "Montant au-dessus de votre plafond",
                "مبلغ يتجاوز سقف الاقتطاع",
            ),
        ],
        NoticeKind::MandateSigned => [
            ("Mandat signé", "توقيع التفويض"),
            ("Autorisation enregistrée", "تسجيل الترخيص"),
        ],
        NoticeKind::MandateReplaced => [
            ("Mandat remplacé", "استبدال التفويض"),
            ("Nouveau compte de prélèvement", "حساب اقتطاع جديد"),
        ],
        NoticeKind::MandateRevoked => [
            ("Mandat révoqué", "إلغاء التفويض"),
            ("Autorisation révoquée", "إلغاء الترخيص"),
        ],
        NoticeKind::MandateSuspended => [
            ("Mandat suspendu", "تعليق التفويض"),
            ("Prélèvements suspendus", "تعليق الاقتطاعات"),
        ],
        NoticeKind::DisputeAcknowledged => [
            ("Réclamation reçue", "استلام الاعتراض"),
            ("Réclamation reçue", "استلام الاعتراض"),
        ],
        NoticeKind::DisputeAnswered => [
            ("Réponse à la réclamation", "الرد على الاعتراض"),
            ("Réponse à une réclamation", "الرد على الاعتراض"),
        ],
    }
}

impl Word for NoticeKind {
    fn word(self, lang: Lang) -> &'static str {
        let [(fr, ar), _] = notice_kind(self);
        lang.pick(fr, ar)
    }
}

impl EmployerWord for NoticeKind {
    fn employer_word(self, lang: Lang) -> &'static str {
        let [_, (fr, ar)] = notice_kind(self);
        lang.pick(fr, ar)
    }
}

/// Words of the enums every reader sees alike: `words! { Enum { Variant => ("fr", "ar"), … } }`
/// writes each one's exhaustive `match`.
macro_rules! words {
    ($($enum:ty { $($variant:pat => ($fr:literal, $ar:literal)),+ $(,)? })+) => {
        $(
            impl Word for $enum {
                fn word(self, lang: Lang) -> &'static str {
                    let (fr, ar) = match self {
                        $($variant => ($fr, $ar)),+
                    };
                    lang.pick(fr, ar)
                }
            }
        )+
    };
}

words! {
    AccountKind {
        AccountKind::Bank => ("Banque", "البنك"),
        AccountKind::Postal => ("Poste (CCP)", "البريد (الحساب البريدي الجاري)"),
    }
    Institution {
        Institution::Bank => ("Banque", "البنك"),
        Institution::Poste => ("Algérie Poste", "بريد الجزائر"),
    }
    MandateStatus {
        MandateStatus::Pending => ("En attente de signature", "في انتظار التوقيع"),
        MandateStatus::Active => ("Actif", "ساري"),
        MandateStatus::Suspended => ("Suspendu", "معلَّق"),
        MandateStatus::Revoked => ("Révoqué", "ملغى"),
        MandateStatus::Expired => ("Expiré", "منتهي الصلاحية"),
        MandateStatus::Superseded => ("Remplacé", "مستبدَل"),
    }
    NoticeStatus {
        NoticeStatus::Pending => ("En attente", "قيد الانتظار"),
        NoticeStatus::Sent => ("Envoyé", "مُرسَل"),
        NoticeStatus::Failed => ("Échec d'envoi", "فشل الإرسال"),
    }
    WebhookStatus {
        WebhookStatus::Pending => ("En attente d'envoi", "في انتظار الإرسال"),
        WebhookStatus::Delivered => ("Livré", "تم التسليم"),
        WebhookStatus::Failed => ("Non livré", "لم يُسلَّم"),
    }
    JobStatus {
        JobStatus::Queued => ("En attente", "في الانتظار"),
        JobStatus::Running => ("En cours", "قيد التنفيذ"),
        JobStatus::Done => ("Terminé", "منجَز"),
        JobStatus::Failed => ("En échec", "فاشل"),
    }
    ReasonCategory {
        ReasonCategory::InsufficientFunds => ("Provision insuffisante", "رصيد غير كاف"),
        ReasonCategory::AccountClosed => ("Compte clôturé ou inconnu", "حساب مغلق أو غير معروف"),
        ReasonCategory::AccountBlocked => ("Compte bloqué", "حساب مجمَّد"),
        ReasonCategory::NoOrInvalidMandate => ("Mandat absent ou invalide", "تفويض غائب أو غير صالح"),
        ReasonCategory::DebtorRefused => ("Refus du débiteur", "رفض من المدين"),
        ReasonCategory::AmountOrLimit => ("Montant ou plafond", "المبلغ أو السقف"),
        ReasonCategory::Duplicate => ("Doublon", "تكرار"),
        ReasonCategory::TechnicalOrFormat => ("Technique ou format", "خلل تقني أو في الصيغة"),
        ReasonCategory::Regulatory => ("Motif réglementaire", "سبب تنظيمي"),
        ReasonCategory::Other => ("Autre motif", "سبب آخر"),
    }
    RunStatus {
        RunStatus::Building => ("En cours", "قيد الإنجاز"),
        RunStatus::Complete => ("Terminée", "مكتملة"),
    }
    DeclarationStatus {
        DeclarationStatus::Draft => ("Brouillon", "مسودة"),
        DeclarationStatus::Submitted => ("Déposée", "مودَع"),
        DeclarationStatus::Cancelled => ("Annulée", "ملغى"),
    }
    Role {
        Role::Employer => ("Employeur", "مستخدم مؤسسة"),
        Role::Finance => ("Finances", "المالية"),
        Role::Admin => ("Administrateur", "مسؤول"),
    }
    HolidayKind {
        HolidayKind::Fixed => ("Date fixe", "تاريخ ثابت"),
        HolidayKind::Lunar { confirmed: true } => ("Lunaire, confirmé", "قمري، مؤكَّد"),
        HolidayKind::Lunar { confirmed: false } => (
            "Lunaire, estimé — à confirmer",
            "قمري، تاريخ تقديري — في انتظار التأكيد"
        ),
    }
    CalendarAction {
        CalendarAction::HolidayAdded => ("Jour férié ajouté", "إضافة عطلة"),
        CalendarAction::HolidayConfirmed => ("Jour férié confirmé", "تأكيد عطلة"),
        CalendarAction::HolidayShifted => ("Jour férié déplacé", "نقل عطلة"),
        CalendarAction::HolidayRemoved => ("Jour férié retiré", "حذف عطلة"),
        CalendarAction::CollectionsRescheduled => ("Prélèvements déplacés", "نقل الاقتطاعات"),
        CalendarAction::YearsLoaded => ("Années à venir chargées", "تحميل السنوات القادمة"),
    }
    NoticeLanguage {
        NoticeLanguage::Ar => ("Arabe", "العربية"),
        NoticeLanguage::Fr => ("Français", "الفرنسية"),
        NoticeLanguage::Both => ("Arabe et français", "العربية والفرنسية"),
    }
    PeriodKind {
        PeriodKind::Monthly => ("Mensuelle", "شهرية"),
        PeriodKind::Quarterly => ("Trimestrielle", "فصلية"),
    }
    ExceptionKind {
        ExceptionKind::Unmatched => ("Non rapprochée", "غير مطابَقة"),
        ExceptionKind::AmountMismatch => ("Montant différent", "مبلغ مختلف"),
        ExceptionKind::Duplicate => ("Doublon", "تكرار"),
        ExceptionKind::Conflict => ("Contraire à l'état du prélèvement", "مخالفة لحالة الاقتطاع"),
        ExceptionKind::NeedsStaff => ("Motif à examiner", "سبب يتطلب الفحص"),
    }
    DisputeReason {
        DisputeReason::AmountWrong => ("Montant erroné", "المبلغ خاطئ"),
        DisputeReason::AlreadyPaid => ("Déjà payé par un autre moyen", "تم الدفع مسبقا بوسيلة أخرى"),
        DisputeReason::NotAuthorised => ("Prélèvement non autorisé", "اقتطاع غير مرخّص به"),
        DisputeReason::DuplicateDebit => ("Prélèvement en double", "اقتطاع مكرر"),
        DisputeReason::Other => ("Autre motif", "سبب آخر"),
    }
    AssessmentStatus {
        AssessmentStatus::Assessed => ("Appliquée", "مطبَّق"),
        AssessmentStatus::Replaced => ("Remplacée par la déclaration", "استُبدل بالتصريح"),
    }
    AllocationOrder {
        AllocationOrder::PrincipalFirst => ("Le principal d'abord", "الأصل أولاً"),
        AllocationOrder::OldestFirst => ("Le plus ancien d'abord", "الأقدم أولاً"),
        AllocationOrder::SurchargesFirst => ("Les majorations d'abord", "الزيادات أولاً"),
    }
    PaymentChannel {
        PaymentChannel::Transfer => ("Virement", "تحويل"),
        PaymentChannel::Cheque => ("Chèque", "صك"),
        PaymentChannel::Counter => ("Guichet", "شباك"),
        PaymentChannel::Other => ("Autre moyen", "وسيلة أخرى"),
    }
    EntryKind {
        EntryKind::Due => ("Cotisations déclarées", "اشتراكات مصرّح بها"),
        EntryKind::DueWithdrawn => ("Déclaration corrigée (annulation)", "تصريح مصحَّح (إلغاء)"),
        EntryKind::DebitPresented => ("Prélèvement présenté", "اقتطاع مقدَّم"),
        EntryKind::Settled => ("Prélèvement payé", "اقتطاع مدفوع"),
        EntryKind::Rejected => ("Prélèvement rejeté", "اقتطاع مرفوض"),
        EntryKind::Returned => ("Prélèvement retourné", "اقتطاع مُرجَع"),
        EntryKind::PaymentReceived => ("Paiement reçu", "دفع مستلَم"),
        EntryKind::Allocation => ("Paiement imputé", "دفع مخصَّص"),
        EntryKind::Refund => ("Remboursement", "استرداد"),
        EntryKind::Credit => ("Crédit en faveur de l'employeur", "رصيد دائن لصالح المؤسسة"),
        EntryKind::WriteOff => ("Passé en perte", "شطب"),
        EntryKind::Surcharge => ("Majoration", "زيادة تأخير"),
        EntryKind::Waiver => ("Remise", "إعفاء"),
    }
    DisputeOutcome {
        DisputeOutcome::Upheld => ("Fondée", "مؤسَّس"),
        DisputeOutcome::Rejected => ("Non retenue", "غير مقبول"),
    }
    DisputeState {
        DisputeState::Open { .. } => ("En cours d'examen", "قيد الدراسة"),
        DisputeState::Answered => ("Répondue", "تم الرد"),
        DisputeState::Closed => ("Close", "مغلق"),
    }
    MessageAuthor {
        MessageAuthor::Employer => ("Employeur", "صاحب العمل"),
        MessageAuthor::Fund => ("Caisse", "الصندوق"),
    }
    DisputeAction {
        DisputeAction::Refund => ("Rembourser le montant contesté", "إرجاع المبلغ المعترض عليه"),
        DisputeAction::Credit => ("Porter le montant au crédit de l'employeur", "تسجيل المبلغ لصالح صاحب العمل"),
        DisputeAction::CancelDebit => ("Annuler le prélèvement prévu", "إلغاء الاقتطاع المبرمج"),
        DisputeAction::HoldDebit => ("Suspendre le prélèvement prévu", "تعليق الاقتطاع المبرمج"),
    }
    RefundStatus {
        RefundStatus::Requested => ("Demandé, en attente de validation", "مطلوب، في انتظار الموافقة"),
        RefundStatus::Approved => ("Validé, à virer", "تمت الموافقة، في انتظار التحويل"),
        RefundStatus::Refused => ("Refusé", "مرفوض"),
        RefundStatus::Withdrawn => ("Retiré (crédit conservé)", "مسحوب (الرصيد محفوظ)"),
        RefundStatus::Sent => ("Virement transmis à la banque", "أُرسل التحويل إلى البنك"),
        RefundStatus::Lapsed => ("Caduc : crédit déjà utilisé", "ملغى: الرصيد استُعمل"),
        RefundStatus::Settled => ("Remboursé", "تم الإرجاع"),
        RefundStatus::Rejected => ("Rejeté par la banque, crédit rétabli", "رفضه البنك، أُعيد الرصيد"),
    }
}

// A debit's timeline (the console's debit page): its audited changes, and what a bank
// report's item said of it and did.
words! {
    DebitChange {
        DebitChange::Planned => ("Planifié", "برمجة"),
        DebitChange::Amended => ("Montant modifié", "تعديل المبلغ"),
        DebitChange::Rescheduled => ("Date déplacée (calendrier)", "نقل التاريخ (الرزنامة)"),
        DebitChange::Submitted => ("Présenté à la banque", "تقديم إلى البنك"),
        DebitChange::Settled => ("Réglé", "تسوية"),
        DebitChange::Rejected => ("Rejeté", "رفض"),
        DebitChange::Returned => ("Retourné", "إرجاع"),
        DebitChange::RetryPlanned => ("Échec, nouvelle tentative prévue", "إخفاق، محاولة جديدة مبرمجة"),
        DebitChange::Cancelled => ("Annulé", "إلغاء"),
        DebitChange::Held => ("Suspendu", "تعليق"),
        DebitChange::Released => ("Suspension levée", "رفع التعليق"),
        DebitChange::Represented => ("Représenté", "إعادة التقديم"),
        DebitChange::OverCeiling => ("Au-delà du plafond", "تجاوز السقف"),
    }
    Effect {
        Effect::Settle => ("Réglé", "مسوّى"),
        Effect::Reject => ("Rejeté", "مرفوض"),
        Effect::Return => ("Retourné", "مرتجع"),
        Effect::Info => ("Pour information", "للعلم"),
    }
    ItemOutcome {
        ItemOutcome::Applied => ("appliqué", "طُبِّق"),
        ItemOutcome::Info => ("sans effet", "دون أثر"),
        ItemOutcome::Unmatched => ("non rapproché", "غير مطابَق"),
        ItemOutcome::AmountMismatch => ("montant différent (exception)", "مبلغ مختلف (استثناء)"),
        ItemOutcome::Duplicate => ("doublon (exception)", "تكرار (استثناء)"),
        ItemOutcome::Conflict => ("contraire à l'état (exception)", "مخالف للحالة (استثناء)"),
    }
}

/// What happened and what the employer should do, for a failure's reason category: the
/// taxonomy's own text (`bank_formats::reasons`), in `lang`.
pub fn reason_explanation(category: ReasonCategory, lang: Lang) -> &'static str {
    lang.pick(category.text_fr(), category.text_ar())
}

/// The words of why a planned debit was cancelled before any file (the codes the run's
/// re-check, a calendar change, planning and staff write); `None` for a code without words
/// (a bank's own reason code, shown as it is).
pub fn cancel_reason_word(code: &str, lang: Lang) -> Option<&'static str> {
    Some(match (code, lang) {
        ("mandate_inactive", Lang::Fr) => "mandat inactif",
        ("mandate_inactive", Lang::Ar) => "تفويض غير ساري",
        ("over_ceiling", Lang::Fr) => "au-delà du plafond",
        ("over_ceiling", Lang::Ar) => "يتجاوز السقف",
        ("notice_late", Lang::Fr) => "préavis trop tardif",
        ("notice_late", Lang::Ar) => "إشعار متأخر",
        ("calendar_clash", Lang::Fr) => "date déplacée sur un autre prélèvement",
        ("calendar_clash", Lang::Ar) => "تاريخ نُقل إلى اقتطاع آخر",
        ("staff_cancelled", Lang::Fr) => "annulé par la caisse",
        ("staff_cancelled", Lang::Ar) => "ألغاه الصندوق",
        ("held_past_its_date", Lang::Fr) => "suspendu au-delà de sa date",
        ("held_past_its_date", Lang::Ar) => "موقوف إلى ما بعد تاريخه",
        ("paid_otherwise", Lang::Fr) => "payé par un autre moyen",
        ("paid_otherwise", Lang::Ar) => "دُفع بوسيلة أخرى",
        ("written_off", Lang::Fr) => "admis en non-valeur par la caisse",
        ("written_off", Lang::Ar) => "شطبه الصندوق من الديون",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_name_the_same_codes() {
        for category in ReasonCategory::ALL {
            for lang in [Lang::Fr, Lang::Ar] {
                assert_ne!(category.word(lang), category.as_str());
            }
        }
        assert_eq!(
            ReasonCategory::InsufficientFunds.word(Lang::Fr),
            "Provision insuffisante"
        );
        assert_eq!(CollectionStatus::Settled.word(Lang::Ar), "مسوّى");
        assert_eq!(CollectionStatus::Settled.employer_word(Lang::Fr), "Payé");
        assert_eq!(NoticeKind::AdvanceNotice.word(Lang::Fr), "Préavis");
        assert_eq!(
            NoticeKind::AdvanceNotice.employer_word(Lang::Fr),
            "Avis de prélèvement"
        );
        // A code with no state is refused where it is read: never shown raw.
        assert!(CollectionStatus::parse("unheard_of").is_err());
    }
}
