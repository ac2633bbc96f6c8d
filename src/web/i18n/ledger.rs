//! The words of the employer's account in the console: its balance by scheme, its payments
//! by other channels and the form that records one (its statement's words are
//! `statement.rs`'s, shared with the portal).

use crate::locale::Lang;

pub struct LedgerTexts {
    pub title: &'static str,
    pub link: &'static str,
    pub balance: &'static str,
    pub balance_hint: &'static str,
    pub paid_leave: &'static str,
    pub bad_weather_employer: &'static str,
    pub bad_weather_employee: &'static str,
    pub unallocated: &'static str,
    pub total: &'static str,
    pub date: &'static str,
    pub amount: &'static str,
    pub none: &'static str,
    pub payments: &'static str,
    pub channel: &'static str,
    pub reference: &'static str,
    pub note: &'static str,
    pub form_title: &'static str,
    pub form_hint: &'static str,
    pub form_amount: &'static str,
    pub form_date: &'static str,
    pub form_submit: &'static str,
    pub amount_invalid: &'static str,
    pub date_invalid: &'static str,
    pub channel_invalid: &'static str,
    /// After a payment: "Payment recorded:" … lines paid … debits reduced/cancelled.
    pub recorded: &'static str,
    pub lines_paid: &'static str,
    pub debits_reduced: &'static str,
    pub debits_cancelled: &'static str,
    pub credit_kept: &'static str,
}

impl LedgerTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static LedgerTexts {
        lang.pick(&FR, &AR)
    }
}

pub static FR: LedgerTexts = LedgerTexts {
    title: "Compte de l'employeur",
    link: "Compte, relevé et paiements",
    balance: "Solde",
    balance_hint: "Positif : dû à la caisse ; négatif : en faveur de l'employeur.",
    paid_leave: "Congés payés",
    bad_weather_employer: "Chômage intempéries (employeur)",
    bad_weather_employee: "Chômage intempéries (salarié)",
    unallocated: "Reçu non imputé",
    total: "Total",
    date: "Date",
    amount: "Montant",
    none: "Aucune écriture.",
    payments: "Paiements par un autre moyen",
    channel: "Moyen",
    reference: "Référence",
    note: "Note",
    form_title: "Enregistrer un paiement reçu",
    form_hint: "Le paiement règle d'abord les lignes dues les plus anciennes, entières ; un prélèvement planifié qui les contenait est réduit (nouvel avis) ou annulé ; le reste est gardé en crédit.",
    form_amount: "Montant (DA, par exemple 1234,50)",
    form_date: "Date de réception",
    form_submit: "Enregistrer le paiement",
    amount_invalid: "Le montant n'est pas lisible : écrivez-le en dinars avec au plus deux décimales, par exemple 1234,50.",
    date_invalid: "La date n'est pas lisible : choisissez le jour de réception (AAAA-MM-JJ).",
    channel_invalid: "Choisissez le moyen de paiement : virement, chèque, guichet ou autre.",
    recorded: "Paiement enregistré.",
    lines_paid: "Lignes réglées :",
    debits_reduced: "Prélèvements planifiés réduits (nouvel avis envoyé) :",
    debits_cancelled: "Prélèvements planifiés annulés :",
    credit_kept: "Gardé en crédit :",
};

pub static AR: LedgerTexts = LedgerTexts {
    title: "حساب المؤسسة",
    link: "الحساب وكشفه والمدفوعات",
    balance: "الرصيد",
    balance_hint: "موجب: مستحق للصندوق؛ سالب: لصالح المؤسسة.",
    paid_leave: "العطل المدفوعة الأجر",
    bad_weather_employer: "البطالة الناجمة عن سوء الأحوال الجوية (صاحب العمل)",
    bad_weather_employee: "البطالة الناجمة عن سوء الأحوال الجوية (الأجير)",
    unallocated: "مبالغ مستلمة غير مخصَّصة",
    total: "المجموع",
    date: "التاريخ",
    amount: "المبلغ",
    none: "لا توجد قيود.",
    payments: "المدفوعات بوسيلة أخرى",
    channel: "الوسيلة",
    reference: "المرجع",
    note: "ملاحظة",
    form_title: "تسجيل دفع مستلَم",
    form_hint: "يسدّد الدفع أولًا أقدم الأسطر المستحقة كاملة؛ يُخفَّض الاقتطاع المبرمج الذي يتضمنها (مع إشعار جديد) أو يُلغى؛ ويُحفظ الباقي رصيدًا دائنًا.",
    form_amount: "المبلغ (د.ج، مثلا 1234,50)",
    form_date: "تاريخ الاستلام",
    form_submit: "تسجيل الدفع",
    amount_invalid: "تعذرت قراءة المبلغ: اكتبوه بالدينار مع رقمين عشريين على الأكثر، مثلا 1234,50.",
    date_invalid: "تعذرت قراءة التاريخ: اختاروا يوم الاستلام (سنة-شهر-يوم).",
    channel_invalid: "اختاروا وسيلة الدفع: تحويل أو صك أو شباك أو وسيلة أخرى.",
    recorded: "سُجّل الدفع.",
    lines_paid: "الأسطر المسدَّدة:",
    debits_reduced: "اقتطاعات مبرمجة خُفّضت (أُرسل إشعار جديد):",
    debits_cancelled: "اقتطاعات مبرمجة أُلغيت:",
    credit_kept: "محفوظ رصيدًا دائنًا:",
};
