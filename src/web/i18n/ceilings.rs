//! The words of the mandate ceilings: the staff's list of employers over their ceiling
//! (console dashboard), the employer's warning (portal dashboard) and the ceiling form
//! (portal mandate page).

use crate::locale::Lang;

pub struct CeilingTexts {
    pub console_title: &'static str,
    pub console_hint: &'static str,
    pub count_label: &'static str,
    pub employer: &'static str,
    pub collection_date: &'static str,
    pub owed: &'static str,
    pub ceiling: &'static str,
    pub deadline: &'static str,
    pub portal_title: &'static str,
    /// "You owe" … "for the debit of" … "above your mandate's ceiling of" …
    pub portal_owed: &'static str,
    pub portal_for: &'static str,
    pub portal_above: &'static str,
    pub portal_skipped: &'static str,
    pub portal_raise_before: &'static str,
    pub portal_or_pay: &'static str,
    pub portal_change: &'static str,
    pub form_title: &'static str,
    pub form_current: &'static str,
    pub form_none: &'static str,
    pub form_label: &'static str,
    pub form_hint: &'static str,
    pub form_submit: &'static str,
    pub form_saved: &'static str,
    pub form_invalid: &'static str,
}

impl CeilingTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static CeilingTexts {
        lang.pick(&FR, &AR)
    }
}

pub static FR: CeilingTexts = CeilingTexts {
    console_title: "Employeurs au-dessus de leur plafond",
    console_hint: "Leur prélèvement n'est pas présenté : la caisse ne prélève jamais une partie seulement de ce qui est dû. Chacun a reçu un avis ; s'il relève ou supprime son plafond avant la date limite, le prélèvement est planifié au passage suivant.",
    count_label: "Au-dessus du plafond",
    employer: "Employeur",
    collection_date: "Prélèvement du",
    owed: "Montant dû",
    ceiling: "Plafond",
    deadline: "Date limite",
    portal_title: "Votre prélèvement ne sera pas présenté",
    portal_owed: "Vous devez",
    portal_for: "pour le prélèvement du",
    portal_above: "au-dessus du plafond par prélèvement de votre autorisation :",
    portal_skipped: "Nous ne prélevons jamais une partie seulement de ce qui est dû sans votre accord.",
    portal_raise_before: "Relevez ou supprimez le plafond avant le (inclus)",
    portal_or_pay: "ou réglez le montant par un autre moyen (virement ou guichet de votre agence).",
    portal_change: "Modifier le plafond",
    form_title: "Plafond par prélèvement",
    form_current: "Plafond actuel :",
    form_none: "aucun",
    form_label: "Nouveau plafond (DA)",
    form_hint: "Un montant positif en dinars, par exemple 150000 ou 150 000,50. Laissez vide pour supprimer le plafond.",
    form_submit: "Enregistrer le plafond",
    form_saved: "Plafond enregistré.",
    form_invalid: "Ce plafond n'est pas un montant valide : écrivez un montant positif en dinars avec au plus deux décimales (par exemple 150000 ou 150 000,50), ou laissez vide pour aucun plafond.",
};

pub static AR: CeilingTexts = CeilingTexts {
    console_title: "أصحاب عمل تجاوزوا سقف الاقتطاع",
    console_hint: "لا يُقدَّم اقتطاعهم: لا يقتطع الصندوق أبدًا جزءًا فقط مما هو مستحق. تلقى كل منهم إشعارًا؛ إذا رفع السقف أو ألغاه قبل التاريخ الأقصى، يُبرمج الاقتطاع في المرور التالي.",
    count_label: "تجاوز السقف",
    employer: "صاحب العمل",
    collection_date: "اقتطاع يوم",
    owed: "المبلغ المستحق",
    ceiling: "السقف",
    deadline: "التاريخ الأقصى",
    portal_title: "لن يُقدَّم اقتطاعكم",
    portal_owed: "المبلغ المستحق عليكم",
    portal_for: "لاقتطاع يوم",
    portal_above: "يتجاوز سقف الاقتطاع في ترخيصكم:",
    portal_skipped: "لا نقتطع أبدًا جزءًا فقط مما هو مستحق دون موافقتكم.",
    portal_raise_before: "ارفعوا السقف أو ألغوه قبل (مشمولًا)",
    portal_or_pay: "أو سدّدوا المبلغ بوسيلة أخرى (تحويل أو شباك الوكالة).",
    portal_change: "تعديل السقف",
    form_title: "سقف الاقتطاع",
    form_current: "السقف الحالي:",
    form_none: "بلا سقف",
    form_label: "السقف الجديد (د.ج)",
    form_hint: "مبلغ موجب بالدينار، مثل 150000 أو 150 000,50. اتركوه فارغًا لإلغاء السقف.",
    form_submit: "حفظ السقف",
    form_saved: "تم حفظ السقف.",
    form_invalid: "هذا السقف ليس مبلغًا صحيحًا: اكتبوا مبلغًا موجبًا بالدينار بخانتين عشريتين على الأكثر (مثل 150000 أو 150 000,50)، أو اتركوه فارغًا بلا سقف.",
};
