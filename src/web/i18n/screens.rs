//! The words issue 20 added to the screens: the confirmation pages of destructive actions
//! (revoking a mandate, removing a holiday), the technical detail kept out of sight, and
//! the pages of an address that does not exist (404) or a method it does not take (405).

use crate::locale::Lang;

pub struct ScreenTexts {
    /// The summary of a collapsed technical detail (audit codes and JSON).
    pub technical: &'static str,
    /// A signer's signed-in account: "signed in as".
    pub signed_in_as: &'static str,
    pub revoke_title: &'static str,
    pub revoke_intro: &'static str,
    pub revoke_owed: &'static str,
    pub revoke_nothing_owed: &'static str,
    pub revoke_planned: &'static str,
    pub revoke_in_bank: &'static str,
    pub upcoming_in_bank: &'static str,
    pub revoke_no_planned: &'static str,
    pub revoke_reason: &'static str,
    pub revoke_reason_hint: &'static str,
    pub revoke_reasons: [(&'static str, &'static str); 4],
    pub revoke_confirm: &'static str,
    pub revoke_keep: &'static str,
    pub revoke_done: &'static str,
    pub remove_title: &'static str,
    pub remove_intro: &'static str,
    pub remove_effect: &'static str,
    pub remove_confirm: &'static str,
    pub remove_keep: &'static str,
    pub method_title: &'static str,
    pub method_text: &'static str,
    pub home: &'static str,
    pub no_mandate: &'static str,
    pub mandate_suspended: &'static str,
    pub give_mandate: &'static str,
    pub owed_without_mandate: &'static str,
    pub debited_account: &'static str,
    pub owed_over_ceiling: &'static str,
}

impl ScreenTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static ScreenTexts {
        lang.pick(&FR, &AR)
    }
}

pub static FR: ScreenTexts = ScreenTexts {
    technical: "Détail technique",
    signed_in_as: "connecté en tant que",
    revoke_title: "Révoquer le mandat",
    revoke_intro: "Après la révocation, la caisse ne présente plus aucun nouveau prélèvement sur ce compte ; un prélèvement déjà transmis à la banque reste débité. Cette action ne peut pas être annulée : pour reprendre les prélèvements, il faudra signer un nouveau mandat.",
    revoke_owed: "Ce qui reste dû, à régler autrement (virement ou guichet) ou par un nouveau mandat :",
    revoke_nothing_owed: "Vous ne devez rien à ce jour.",
    revoke_planned: "Ces prélèvements prévus ne seront pas présentés :",
    upcoming_in_bank: "Ce prélèvement est déjà transmis à votre banque : il sera débité, ne le payez pas autrement.",
    revoke_in_bank: "Déjà transmis à votre banque, ces prélèvements seront débités malgré la révocation (ne les payez pas une seconde fois) :",
    revoke_no_planned: "Aucun prélèvement n'est prévu sur ce mandat.",
    revoke_reason: "Motif de la révocation",
    revoke_reason_hint: "La caisse garde ce motif avec la révocation.",
    revoke_reasons: [
        ("account_closed", "Le compte est clos ou va l'être"),
        ("other_payment", "Nous payons autrement (virement, guichet)"),
        ("activity_ended", "Notre activité a cessé"),
        ("other", "Autre motif"),
    ],
    revoke_confirm: "Révoquer définitivement le mandat",
    revoke_keep: "Garder le mandat",
    revoke_done: "Mandat révoqué : aucun nouveau prélèvement ne sera présenté sur ce compte.",
    remove_title: "Retirer un jour férié",
    remove_intro: "Ce jour redeviendra un jour ouvré pour les prélèvements et les fichiers :",
    remove_effect: "Les prélèvements déjà déplacés à cause de ce jour restent à leur nouvelle date ; les prochains pourront tomber ce jour-là.",
    remove_confirm: "Retirer ce jour férié",
    remove_keep: "Garder ce jour férié",
    method_title: "Cette page ne s'ouvre pas ainsi",
    method_text: "Cette adresse sert à envoyer un formulaire ; elle ne s'affiche pas seule (par exemple après un changement de langue ou un rafraîchissement). Reprenez depuis l'accueil.",
    home: "Retour à l'accueil",
    no_mandate: "Aucun mandat actif : la caisse ne peut rien prélever.",
    mandate_suspended: "Votre mandat est suspendu (la banque a refusé un prélèvement) : la caisse ne peut rien prélever tant qu'un nouveau mandat n'est pas signé.",
    give_mandate: "Donner un mandat de prélèvement",
    owed_without_mandate: "Montant dû : sans mandat actif, il ne sera pas prélevé. Réglez-le autrement (virement, guichet) ou signez un mandat.",
    debited_account: "Compte prélevé :",
    owed_over_ceiling: "Montant dû, au-dessus de votre plafond : il ne sera prélevé qu'une fois le plafond relevé (voir l'avertissement ci-dessus).",
};

pub static AR: ScreenTexts = ScreenTexts {
    technical: "تفاصيل تقنية",
    signed_in_as: "بحساب",
    revoke_title: "إلغاء التفويض",
    revoke_intro: "بعد الإلغاء لن يقدّم الصندوق أي اقتطاع جديد على هذا الحساب؛ أما الاقتطاع الذي أُرسل إلى البنك فيبقى مقتطعًا. لا يمكن التراجع عن هذا الإجراء: لاستئناف الاقتطاعات يجب توقيع تفويض جديد.",
    revoke_owed: "المبالغ التي تبقى مستحقة، تُدفع بطريقة أخرى (تحويل أو شباك) أو بتفويض جديد:",
    revoke_nothing_owed: "لا مبلغ مستحق عليكم حاليًا.",
    revoke_planned: "لن تُقدَّم هذه الاقتطاعات المبرمجة:",
    upcoming_in_bank: "أُرسل هذا الاقتطاع إلى بنككم: سيُقتطع، فلا تدفعوه بطريقة أخرى.",
    revoke_in_bank: "أُرسلت هذه الاقتطاعات إلى بنككم، وستُقتطع رغم الإلغاء (لا تدفعوها مرة ثانية):",
    revoke_no_planned: "لا اقتطاع مبرمج على هذا التفويض.",
    revoke_reason: "سبب الإلغاء",
    revoke_reason_hint: "يحتفظ الصندوق بهذا السبب مع الإلغاء.",
    revoke_reasons: [
        ("account_closed", "الحساب مغلق أو سيُغلق"),
        ("other_payment", "ندفع بطريقة أخرى (تحويل، شباك)"),
        ("activity_ended", "توقف نشاطنا"),
        ("other", "سبب آخر"),
    ],
    revoke_confirm: "إلغاء التفويض نهائيًا",
    revoke_keep: "الإبقاء على التفويض",
    revoke_done: "تم إلغاء التفويض: لن يُقدَّم أي اقتطاع جديد على هذا الحساب.",
    remove_title: "حذف يوم عطلة",
    remove_intro: "سيعود هذا اليوم يوم عمل للاقتطاعات والملفات:",
    remove_effect: "الاقتطاعات التي أُجّلت بسبب هذا اليوم تبقى في تاريخها الجديد؛ ويمكن أن تقع الاقتطاعات القادمة في هذا اليوم.",
    remove_confirm: "حذف يوم العطلة",
    remove_keep: "الإبقاء على يوم العطلة",
    method_title: "لا تُفتح هذه الصفحة بهذه الطريقة",
    method_text: "هذا العنوان مخصص لإرسال استمارة ولا يُعرض وحده (مثلًا بعد تغيير اللغة أو تحديث الصفحة). ابدأ من الصفحة الرئيسية.",
    home: "العودة إلى الصفحة الرئيسية",
    no_mandate: "لا يوجد تفويض ساري المفعول: لا يمكن للصندوق اقتطاع أي مبلغ.",
    mandate_suspended: "تفويضكم معلّق (رفض البنك اقتطاعًا): لا يمكن للصندوق اقتطاع أي مبلغ حتى توقيع تفويض جديد.",
    give_mandate: "منح تفويض بالاقتطاع",
    owed_without_mandate: "مبلغ مستحق: لن يُقتطع دون تفويض ساري المفعول. سدّدوه بطريقة أخرى (تحويل، شباك) أو وقّعوا تفويضًا.",
    debited_account: "الحساب المُقتطع منه:",
    owed_over_ceiling: "مبلغ مستحق يتجاوز سقفكم: لن يُقتطع إلا بعد رفع السقف (انظر التنبيه أعلاه).",
};
