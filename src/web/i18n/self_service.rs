//! The words of self-service (issue 20 point 3): enrolment with an activation code, the
//! second step of a sign-in, the profile page, colleagues and their capacities, the
//! activation code staff issue.

use crate::locale::Lang;
use crate::store::Capacity;
use mandates::NoticeLanguage;

#[derive(Debug)]
pub struct SelfServiceTexts {
    pub enrol_title: &'static str,
    pub enrol_intro: &'static str,
    pub enrol_link: &'static str,
    pub affiliation: &'static str,
    pub code: &'static str,
    pub code_hint: &'static str,
    pub your_name: &'static str,
    pub enrol_submit: &'static str,
    pub enrol_done: &'static str,
    pub second_title: &'static str,
    pub second_intro: &'static str,
    pub second_code: &'static str,
    pub second_submit: &'static str,
    pub second_refused: &'static str,
    pub second_throttled: &'static str,
    pub profile: &'static str,
    pub password_section: &'static str,
    pub current_password: &'static str,
    pub password_submit: &'static str,
    pub password_done: &'static str,
    pub email_section: &'static str,
    pub email_current: &'static str,
    pub new_email: &'static str,
    pub email_submit: &'static str,
    pub email_sent: &'static str,
    pub email_done: &'static str,
    pub language_section: &'static str,
    pub language_submit: &'static str,
    pub language_done: &'static str,
    pub two_factor_section: &'static str,
    pub two_factor_on: &'static str,
    pub two_factor_off: &'static str,
    pub two_factor_start: &'static str,
    pub two_factor_required: &'static str,
    pub two_factor_secret: &'static str,
    pub two_factor_uri: &'static str,
    pub two_factor_confirm: &'static str,
    pub two_factor_done: &'static str,
    pub recovery_title: &'static str,
    pub colleagues: &'static str,
    pub current_employer: &'static str,
    pub colleagues_intro: &'static str,
    pub colleague_name: &'static str,
    pub colleague_email: &'static str,
    pub colleague_capacity: &'static str,
    pub invite_title: &'static str,
    pub invite_submit: &'static str,
    pub invited_done: &'static str,
    pub revoke_colleague: &'static str,
    pub revoked_done: &'static str,
    pub pending_invitation: &'static str,
    pub owner_only_note: &'static str,
    pub notice_language_section: &'static str,
    pub notice_language_submit: &'static str,
    pub notice_language_done: &'static str,
    pub issue_code: &'static str,
    pub code_issued_title: &'static str,
    pub code_issued_text: &'static str,
    pub code_expires: &'static str,
    pub back_to_employer: &'static str,
}

impl SelfServiceTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static SelfServiceTexts {
        lang.pick(&FR, &AR)
    }

    /// The words of a capacity (one exhaustive match: a new capacity needs its words).
    pub fn capacity(&self, capacity: Capacity) -> &'static str {
        let fr = std::ptr::eq(self, &FR);
        match (capacity, fr) {
            (Capacity::Owner, true) => "Titulaire (tout, et les collaborateurs)",
            (Capacity::Sign, true) => "Signer les mandats",
            (Capacity::Declare, true) => "Déclarer",
            (Capacity::View, true) => "Consulter seulement",
            (Capacity::Owner, false) => "صاحب الحساب (كل شيء والمتعاونون)",
            (Capacity::Sign, false) => "توقيع التفويضات",
            (Capacity::Declare, false) => "التصريح",
            (Capacity::View, false) => "الاطلاع فقط",
        }
    }

    /// The words of a notice language.
    pub fn notice_language(&self, language: NoticeLanguage) -> &'static str {
        let fr = std::ptr::eq(self, &FR);
        match (language, fr) {
            (NoticeLanguage::Ar, true) => "Arabe",
            (NoticeLanguage::Fr, true) => "Français",
            (NoticeLanguage::Both, true) => "Arabe et français",
            (NoticeLanguage::Ar, false) => "العربية",
            (NoticeLanguage::Fr, false) => "الفرنسية",
            (NoticeLanguage::Both, false) => "العربية والفرنسية",
        }
    }
}

pub static FR: SelfServiceTexts = SelfServiceTexts {
    enrol_title: "Inscrire votre entreprise",
    enrol_intro: "Avec le numéro d'affiliation et le code d'activation de la lettre de la caisse, créez le compte de votre entreprise : vous en serez le titulaire et pourrez inviter vos collaborateurs.",
    enrol_link: "Première connexion ? Inscrivez votre entreprise avec son code d'activation",
    affiliation: "Numéro d'affiliation",
    code: "Code d'activation",
    code_hint: "Il figure sur la lettre de la caisse, par exemple ABCD-EFGH-JKMN (majuscules ou minuscules).",
    your_name: "Votre nom",
    enrol_submit: "Créer le compte",
    enrol_done: "Le compte de votre entreprise est créé : connectez-vous avec votre adresse et votre mot de passe.",
    second_title: "Code de vérification",
    second_intro: "Saisissez le code à six chiffres que votre application d'authentification affiche maintenant, ou l'un de vos codes de secours.",
    second_code: "Code",
    second_submit: "Vérifier",
    second_refused: "Ce code n'est pas valable (erroné, déjà utilisé ou trop ancien) : saisissez le code affiché maintenant. Au-delà de cinq minutes, reconnectez-vous.",
    second_throttled: "Trop de codes erronés : attendez un quart d'heure puis reconnectez-vous.",
    profile: "Mon compte",
    password_section: "Mot de passe",
    current_password: "Mot de passe actuel",
    password_submit: "Changer le mot de passe",
    password_done: "Votre mot de passe est changé ; vos autres sessions sont fermées.",
    email_section: "Adresse e-mail",
    email_current: "Adresse actuelle",
    new_email: "Nouvelle adresse",
    email_submit: "Envoyer le lien de confirmation",
    email_sent: "Un lien de confirmation est envoyé à la nouvelle adresse : elle remplacera l'actuelle quand vous l'aurez ouvert (valable 24 heures).",
    email_done: "Votre nouvelle adresse est confirmée : utilisez-la pour vous connecter.",
    language_section: "Langue des pages et des courriels de votre compte",
    language_submit: "Enregistrer la langue",
    language_done: "La langue est enregistrée.",
    two_factor_section: "Connexion en deux étapes",
    two_factor_on: "La connexion en deux étapes est activée : un code de votre application est demandé après le mot de passe.",
    two_factor_off: "La connexion en deux étapes n'est pas activée.",
    two_factor_start: "Activer la connexion en deux étapes",
    two_factor_required: "Les administrateurs doivent activer la connexion en deux étapes avant toute autre action.",
    two_factor_secret: "Clé à saisir dans votre application d'authentification",
    two_factor_uri: "Ou cette adresse, si votre application la lit",
    two_factor_confirm: "Confirmer avec le code affiché",
    two_factor_done: "La connexion en deux étapes est activée. Notez vos codes de secours : ils ne seront plus affichés.",
    recovery_title: "Codes de secours (un seul usage chacun)",
    colleagues: "Collaborateurs",
    current_employer: "Employeur actuel",
    colleagues_intro: "Les personnes qui agissent pour cet employeur et ce que chacune peut faire. Le titulaire invite et retire les collaborateurs.",
    colleague_name: "Nom",
    colleague_email: "Adresse e-mail",
    colleague_capacity: "Rôle",
    invite_title: "Inviter un collaborateur",
    invite_submit: "Inviter",
    invited_done: "L'invitation est envoyée : la personne choisit son mot de passe avec le lien reçu (valable 72 heures).",
    revoke_colleague: "Retirer",
    revoked_done: "Ce collaborateur n'a plus accès à cet employeur.",
    pending_invitation: "invitation en attente",
    owner_only_note: "Seul le titulaire du compte invite ou retire des collaborateurs.",
    notice_language_section: "Langue des avis de cet employeur",
    notice_language_submit: "Enregistrer la langue des avis",
    notice_language_done: "La langue des avis est enregistrée.",
    issue_code: "Émettre un code d'activation",
    code_issued_title: "Code d'activation",
    code_issued_text: "Code à imprimer sur la lettre à l'employeur (il n'est affiché qu'une fois ; un nouveau code n'annule pas les précédents) :",
    code_expires: "Valable jusqu'au",
    back_to_employer: "Retour à l'employeur",
};

pub static AR: SelfServiceTexts = SelfServiceTexts {
    enrol_title: "تسجيل مؤسستكم",
    enrol_intro: "برقم الانخراط ورمز التفعيل الواردين في رسالة الصندوق، أنشئوا حساب مؤسستكم: تكونون صاحبه وتستطيعون دعوة متعاونيكم.",
    enrol_link: "أول دخول؟ سجّلوا مؤسستكم برمز التفعيل",
    affiliation: "رقم الانخراط",
    code: "رمز التفعيل",
    code_hint: "تجدونه في رسالة الصندوق، مثلًا ABCD-EFGH-JKMN (بحروف كبيرة أو صغيرة).",
    your_name: "اسمكم",
    enrol_submit: "إنشاء الحساب",
    enrol_done: "أُنشئ حساب مؤسستكم: سجّلوا الدخول بعنوانكم وكلمة المرور.",
    second_title: "رمز التحقق",
    second_intro: "اكتبوا الرمز ذا الأرقام الستة الذي يعرضه تطبيق المصادقة الآن، أو أحد رموز النجدة.",
    second_code: "الرمز",
    second_submit: "تحقّق",
    second_refused: "هذا الرمز غير صالح (خاطئ أو مستعمل أو قديم): اكتبوا الرمز المعروض الآن. بعد خمس دقائق أعيدوا تسجيل الدخول.",
    second_throttled: "رموز خاطئة كثيرة جدًا: انتظروا ربع ساعة ثم أعيدوا تسجيل الدخول.",
    profile: "حسابي",
    password_section: "كلمة المرور",
    current_password: "كلمة المرور الحالية",
    password_submit: "تغيير كلمة المرور",
    password_done: "تغيّرت كلمة المرور، وأُغلقت جلساتكم الأخرى.",
    email_section: "البريد الإلكتروني",
    email_current: "العنوان الحالي",
    new_email: "العنوان الجديد",
    email_submit: "إرسال رابط التأكيد",
    email_sent: "أُرسل رابط تأكيد إلى العنوان الجديد: يحلّ محلّ العنوان الحالي عند فتحه (صالح 24 ساعة).",
    email_done: "تأكّد عنوانكم الجديد: استعملوه لتسجيل الدخول.",
    language_section: "لغة الصفحات ورسائل حسابكم",
    language_submit: "حفظ اللغة",
    language_done: "حُفظت اللغة.",
    two_factor_section: "تسجيل الدخول بخطوتين",
    two_factor_on: "تسجيل الدخول بخطوتين مفعّل: يُطلب رمز من تطبيقكم بعد كلمة المرور.",
    two_factor_off: "تسجيل الدخول بخطوتين غير مفعّل.",
    two_factor_start: "تفعيل تسجيل الدخول بخطوتين",
    two_factor_required: "على المديرين تفعيل تسجيل الدخول بخطوتين قبل أي عمل آخر.",
    two_factor_secret: "المفتاح الذي تكتبونه في تطبيق المصادقة",
    two_factor_uri: "أو هذا العنوان إن كان تطبيقكم يقرؤه",
    two_factor_confirm: "التأكيد بالرمز المعروض",
    two_factor_done: "فُعّل تسجيل الدخول بخطوتين. دوّنوا رموز النجدة: لن تُعرض مرة أخرى.",
    recovery_title: "رموز النجدة (كل رمز يُستعمل مرة واحدة)",
    colleagues: "المتعاونون",
    current_employer: "المؤسسة الحالية",
    colleagues_intro: "الأشخاص الذين يعملون لحساب هذه المؤسسة وما يستطيع كل منهم فعله. صاحب الحساب يدعو المتعاونين ويسحب صلاحياتهم.",
    colleague_name: "الاسم",
    colleague_email: "البريد الإلكتروني",
    colleague_capacity: "الدور",
    invite_title: "دعوة متعاون",
    invite_submit: "دعوة",
    invited_done: "أُرسلت الدعوة: يختار الشخص كلمة مروره بالرابط الذي يصله (صالح 72 ساعة).",
    revoke_colleague: "سحب الصلاحية",
    revoked_done: "لم يعد لهذا المتعاون وصول إلى هذه المؤسسة.",
    pending_invitation: "دعوة في الانتظار",
    owner_only_note: "صاحب الحساب وحده يدعو المتعاونين أو يسحب صلاحياتهم.",
    notice_language_section: "لغة إشعارات هذه المؤسسة",
    notice_language_submit: "حفظ لغة الإشعارات",
    notice_language_done: "حُفظت لغة الإشعارات.",
    issue_code: "إصدار رمز تفعيل",
    code_issued_title: "رمز التفعيل",
    code_issued_text: "الرمز الذي يُطبع في الرسالة إلى المؤسسة (يُعرض مرة واحدة فقط؛ الرمز الجديد لا يلغي السابقة):",
    code_expires: "صالح إلى غاية",
    back_to_employer: "العودة إلى المؤسسة",
};

impl super::Texts {
    /// The self-service words in the language of these texts (for a page that has only
    /// its frame's texts at hand).
    pub fn self_service(&self) -> &'static SelfServiceTexts {
        if std::ptr::eq(self, &super::FR) {
            &FR
        } else {
            &AR
        }
    }
}
