//! The words of the console's incoming credits page: the transfers on the fund's statement
//! that named no employer, with the forms that allocate one or set it aside.

use crate::locale::Lang;

pub struct CreditTexts {
    pub nav: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub amount: &'static str,
    pub date: &'static str,
    pub payer: &'static str,
    pub remittance: &'static str,
    pub account: &'static str,
    pub reference: &'static str,
    pub decision: &'static str,
    pub affiliation: &'static str,
    pub allocate: &'static str,
    pub reason: &'static str,
    pub dismiss: &'static str,
    pub allocated: &'static str,
    pub dismissed: &'static str,
    pub unknown_employer: &'static str,
    pub transfer_recorded: &'static str,
    pub possible_repeat: &'static str,
}

impl CreditTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static CreditTexts {
        lang.pick(&FR, &AR)
    }
}

pub static FR: CreditTexts = CreditTexts {
    nav: "Virements à affecter",
    title: "Virements reçus à affecter",
    intro: "Virements portés au compte de la caisse dont le libellé ne désigne aucun employeur (ni numéro d'affiliation, ni référence de mandat). Affectez chacun à son employeur, ou écartez-le s'il n'est pas pour la caisse.",
    none: "Aucun virement n'attend d'affectation.",
    amount: "Montant",
    date: "Date de comptabilisation",
    payer: "Donneur d'ordre",
    remittance: "Libellé",
    account: "Compte",
    reference: "Référence",
    decision: "Décision",
    affiliation: "N° d'affiliation",
    allocate: "Affecter à cet employeur",
    reason: "Motif",
    dismiss: "Pas pour la caisse",
    allocated: "Le virement a été enregistré comme paiement de l'employeur.",
    dismissed: "Le virement a été écarté, avec son motif.",
    unknown_employer: "Aucun employeur n'a ce numéro d'affiliation : vérifiez-le.",
    transfer_recorded: "Un virement de ce montant est déjà enregistré pour cet employeur : vérifiez qu'il ne s'agit pas du même avant de l'affecter.",
    possible_repeat: "Un virement du même jour, du même montant et du même compte figure déjà dans un autre relevé : vérifiez qu'il ne s'agit pas du même.",
};

pub static AR: CreditTexts = CreditTexts {
    nav: "تحويلات للتخصيص",
    title: "تحويلات واردة للتخصيص",
    intro: "تحويلات قُيّدت في حساب الصندوق ولا يدلّ بيانها على أي مؤسسة (لا رقم انتساب ولا مرجع تفويض). خصّصوا كلًّا منها لمؤسستها، أو استبعدوه إن لم يكن للصندوق.",
    none: "لا يوجد تحويل ينتظر التخصيص.",
    amount: "المبلغ",
    date: "تاريخ القيد",
    payer: "الآمر بالتحويل",
    remittance: "البيان",
    account: "الحساب",
    reference: "المرجع",
    decision: "القرار",
    affiliation: "رقم الانتساب",
    allocate: "تخصيص لهذه المؤسسة",
    reason: "السبب",
    dismiss: "ليس للصندوق",
    allocated: "سُجّل التحويل دفعًا للمؤسسة.",
    dismissed: "استُبعد التحويل مع سببه.",
    unknown_employer: "لا توجد مؤسسة بهذا الرقم للانتساب: تحقّقوا منه.",
    transfer_recorded: "سبق تسجيل تحويل بهذا المبلغ لهذه المؤسسة: تحقّقوا من أنه ليس التحويل نفسه قبل تخصيصه.",
    possible_repeat: "يوجد في كشف آخر تحويل بنفس اليوم والمبلغ والحساب: تحقّقوا من أنه ليس التحويل نفسه.",
};
