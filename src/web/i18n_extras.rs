//! The texts of the portal's extra pages (API access, receipts, notices received) and of
//! the history's failure explanations, in Arabic and French: a struct like
//! [`super::i18n::Texts`], so a missing translation is a compile error too. Kept apart so
//! the shared `Texts` does not grow with every page.

use super::i18n::Lang;

#[derive(Debug)]
pub struct ExtraTexts {
    pub api_access: &'static str,
    pub api_intro: &'static str,
    pub api_employers: &'static str,
    pub token_label: &'static str,
    pub token_label_hint: &'static str,
    pub token_create: &'static str,
    pub token_created: &'static str,
    pub token_shown_once: &'static str,
    pub token_label_invalid: &'static str,
    pub token_too_many: &'static str,
    pub token_revoke: &'static str,
    pub token_revoked: &'static str,
    pub token_revoked_on: &'static str,
    pub tokens_none: &'static str,
    pub created: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub live: &'static str,
    pub api_docs: &'static str,
}

pub static FR: ExtraTexts = ExtraTexts {
    api_access: "Accès API",
    api_intro: "Un jeton d'API permet à un logiciel (comptabilité, paie) de lire vos mandats, déclarations et prélèvements, et de déposer des déclarations, en votre nom. Il agit pour les employeurs que vous représentez, et pour eux seuls.",
    api_employers: "Employeurs accessibles avec vos jetons",
    token_label: "Nom du jeton",
    token_label_hint: "Par exemple le logiciel qui l'utilisera (80 caractères au plus).",
    token_create: "Créer un jeton",
    token_created: "Jeton créé. Copiez-le maintenant : il ne sera plus jamais affiché.",
    token_shown_once: "Envoyez-le dans l'en-tête Authorization: Bearer <jeton>.",
    token_label_invalid: "Donnez un nom au jeton (1 à 80 caractères).",
    token_too_many: "Vous avez déjà 10 jetons actifs : révoquez-en un que vous n'utilisez plus.",
    token_revoke: "Révoquer",
    token_revoked: "Jeton révoqué : il ne fonctionne plus.",
    token_revoked_on: "révoqué le",
    tokens_none: "Aucun jeton.",
    created: "Créé le",
    last_used: "Dernière utilisation",
    never: "jamais",
    live: "actif",
    api_docs: "Description de l'API (OpenAPI)",
};

pub static AR: ExtraTexts = ExtraTexts {
    api_access: "الوصول عبر واجهة البرمجة",
    api_intro: "يسمح رمز واجهة البرمجة لبرنامج (محاسبة، أجور) بالاطلاع على تفويضاتكم وتصريحاتكم واقتطاعاتكم، وبإيداع التصريحات باسمكم. يعمل للمؤسسات التي تمثلونها، ولها وحدها.",
    api_employers: "المؤسسات المتاحة برموزكم",
    token_label: "اسم الرمز",
    token_label_hint: "مثلا البرنامج الذي سيستعمله (80 حرفا على الأكثر).",
    token_create: "إنشاء رمز",
    token_created: "تم إنشاء الرمز. انسخوه الآن: لن يُعرض مرة أخرى أبدا.",
    token_shown_once: "أرسلوه في الترويسة Authorization: Bearer <الرمز>.",
    token_label_invalid: "سمّوا الرمز (من 1 إلى 80 حرفا).",
    token_too_many: "لديكم 10 رموز سارية: ألغوا رمزا لم تعودوا تستعملونه.",
    token_revoke: "إلغاء",
    token_revoked: "تم إلغاء الرمز: لم يعد يعمل.",
    token_revoked_on: "أُلغي في",
    tokens_none: "لا توجد رموز.",
    created: "تاريخ الإنشاء",
    last_used: "آخر استعمال",
    never: "أبدا",
    live: "ساري",
    api_docs: "وصف واجهة البرمجة (OpenAPI)",
};

pub fn extras(lang: Lang) -> &'static ExtraTexts {
    match lang {
        Lang::Ar => &AR,
        Lang::Fr => &FR,
    }
}
