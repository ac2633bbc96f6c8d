//! The words of an employer's write-offs in the console (`/console/employers/{id}/write-offs`):
//! the lines that may be written off, the form (reason required), the requests waiting for
//! a second member of staff.

use crate::locale::Lang;

pub struct WriteOffTexts {
    pub title: &'static str,
    /// The link from the employer's account page.
    pub link: &'static str,
    pub back: &'static str,
    pub hint: &'static str,
    /// Followed by the amount.
    pub four_eyes: &'static str,
    pub lines: &'static str,
    pub lines_hint: &'static str,
    pub none: &'static str,
    pub choose: &'static str,
    pub period: &'static str,
    pub worksite: &'static str,
    pub amount: &'static str,
    pub planned_debit: &'static str,
    pub reason: &'static str,
    pub reason_hint: &'static str,
    pub submit: &'static str,
    pub pending: &'static str,
    pub no_pending: &'static str,
    pub requested_at: &'static str,
    pub requested_by: &'static str,
    pub line_count: &'static str,
    pub approve: &'static str,
    pub refuse: &'static str,
    pub refuse_reason: &'static str,
    /// After an action: followed by the amount.
    pub written: &'static str,
    pub requested: &'static str,
    pub approved: &'static str,
    pub refused: &'static str,
    pub debits_reduced: &'static str,
    pub debits_cancelled: &'static str,
    pub already: &'static str,
}

impl WriteOffTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static WriteOffTexts {
        lang.pick(&FR, &AR)
    }
}

pub static FR: WriteOffTexts = WriteOffTexts {
    title: "Mises en non-valeur",
    link: "Passer une dette en non-valeur",
    back: "Retour au compte de l'employeur",
    hint: "Une ligne passée en non-valeur n'est plus due : elle ne sera plus prélevée ni relancée. Un prélèvement prévu qui la contient est réduit ou annulé, et l'employeur prévenu. Une ligne d'un prélèvement remis à la banque ne peut pas l'être avant son résultat.",
    four_eyes: "Au-delà de ce montant (avec les mises en non-valeur de l'employeur des 30 derniers jours), un autre membre du personnel doit approuver :",
    lines: "Lignes dues hors d'un fichier bancaire",
    lines_hint: "Cochez les lignes à passer en non-valeur ; sans case cochée, toutes les lignes de la liste.",
    none: "Aucune ligne due hors d'un fichier bancaire.",
    choose: "Choisir",
    period: "Période",
    worksite: "Chantier",
    amount: "Montant",
    planned_debit: "Prélèvement prévu",
    reason: "Motif",
    reason_hint: "Pourquoi la dette ne peut pas être recouvrée (entreprise liquidée, jugement…), 500 caractères au plus : il est conservé dans le journal d'audit.",
    submit: "Passer en non-valeur",
    pending: "Demandes en attente d'approbation",
    no_pending: "Aucune demande en attente.",
    requested_at: "Demandée le",
    requested_by: "Par",
    line_count: "Lignes",
    approve: "Approuver",
    refuse: "Refuser",
    refuse_reason: "Motif du refus",
    written: "Passé en non-valeur :",
    requested: "Au-delà du seuil : rien n'est encore passé en non-valeur ; la demande attend l'approbation d'un autre membre du personnel. Montant :",
    approved: "Demande approuvée, passé en non-valeur :",
    refused: "Demande refusée : les lignes restent dues.",
    debits_reduced: "Prélèvements prévus réduits (nouvel avis envoyé) :",
    debits_cancelled: "Prélèvements prévus annulés (employeur prévenu) :",
    already: "Lignes déjà passées en non-valeur, rien de refait :",
};

pub static AR: WriteOffTexts = WriteOffTexts {
    title: "شطب الديون",
    link: "شطب دين غير قابل للتحصيل",
    back: "العودة إلى حساب المؤسسة",
    hint: "السطر المشطوب لم يعد مستحقًا: لن يُقتطع ولن يُطالب به بعد الآن. يُخفَّض الاقتطاع المبرمج الذي يتضمّنه أو يُلغى، وتُبلَّغ المؤسسة. لا يمكن شطب سطر في اقتطاع سُلّم إلى البنك قبل نتيجته.",
    four_eyes: "فوق هذا المبلغ (مع ما شُطب للمؤسسة خلال الثلاثين يومًا الأخيرة) يجب أن يوافق عون آخر:",
    lines: "الأسطر المستحقة خارج ملف بنكي",
    lines_hint: "اختاروا الأسطر المراد شطبها؛ إن لم يُختر أي سطر فجميع أسطر القائمة.",
    none: "لا يوجد سطر مستحق خارج ملف بنكي.",
    choose: "اختيار",
    period: "الفترة",
    worksite: "الورشة",
    amount: "المبلغ",
    planned_debit: "الاقتطاع المبرمج",
    reason: "السبب",
    reason_hint: "لماذا يتعذّر تحصيل الدين (مؤسسة مصفّاة، حكم…)، 500 حرف على الأكثر: يُحفظ في سجل التدقيق.",
    submit: "شطب",
    pending: "طلبات في انتظار الموافقة",
    no_pending: "لا توجد طلبات في الانتظار.",
    requested_at: "تاريخ الطلب",
    requested_by: "من طرف",
    line_count: "الأسطر",
    approve: "موافقة",
    refuse: "رفض",
    refuse_reason: "سبب الرفض",
    written: "شُطب:",
    requested: "فوق السقف: لم يُشطب شيء بعد؛ الطلب في انتظار موافقة عون آخر. المبلغ:",
    approved: "تمت الموافقة على الطلب، شُطب:",
    refused: "رُفض الطلب: تبقى الأسطر مستحقة.",
    debits_reduced: "اقتطاعات مبرمجة خُفّضت (أُرسل إشعار جديد):",
    debits_cancelled: "اقتطاعات مبرمجة أُلغيت (أُبلغت المؤسسة):",
    already: "أسطر مشطوبة من قبل، لم يُعد شيء:",
};
