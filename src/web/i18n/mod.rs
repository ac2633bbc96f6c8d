//! The two languages of the pages: Arabic (right to left) and French. Every text a page
//! shows is a field of a texts struct, so a missing translation is a compile error: the
//! shared [`Texts`] here (the frame, sign-in, the first portal and console pages,
//! disputes), and one struct per family of pages beside it — [`console`] (`lang.console()`),
//! [`portal`] (`lang.portal()`), [`declarations`] (`lang.declarations()`) — plus the
//! store's [`refusals`] in words. The language comes from the user's preference, else the
//! browser's `Accept-Language`, else Arabic; a visible switch on every page changes it.
//! Words and formats only: nothing here knows a request, a page or the store's SQL.

use mandates::Amount;

use crate::store::Employer;

mod console;
mod declarations;
mod portal;
pub mod refusals;

pub use console::ConsoleTexts;
pub use declarations::{DeclarationTexts, Place};
pub use portal::PortalTexts;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ar,
    Fr,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim() {
            "ar" => Some(Lang::Ar),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fr => "fr",
        }
    }
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::Fr => "ltr",
        }
    }
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Ar => &AR,
            Lang::Fr => &FR,
        }
    }
    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::Fr,
            Lang::Fr => Lang::Ar,
        }
    }
    /// The first of `ar`/`fr` in an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, u16)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map(quality_millis)
                .unwrap_or(1000);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary)
                && best.is_none_or(|(_, q)| quality > q)
            {
                best = Some((lang, quality));
            }
        }
        best.map(|(lang, _)| lang)
    }
}

/// A quality value (`q=0.8`) in thousandths, exactly; anything unreadable counts as 0.
fn quality_millis(text: &str) -> u16 {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return 0,
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let padded = format!("{fraction:0<3}");
    (whole + padded.parse::<u16>().unwrap_or(0)).min(1000)
}

/// An amount for people: thousands grouped with a space, a decimal comma, the currency.
/// Exact: built from the integer centimes.
pub fn money(amount: Amount, lang: Lang) -> String {
    let centimes = amount.centimes();
    let sign = if centimes < 0 { "-" } else { "" };
    let abs = centimes.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let currency = match lang {
        Lang::Ar => "د.ج",
        Lang::Fr => "DA",
    };
    format!("{sign}{grouped},{:02}\u{a0}{currency}", abs % 100)
}

/// An employer's name as a page in `lang` shows it: its Arabic name on Arabic pages when
/// it has one, else its registered name.
pub fn employer_name(employer: &Employer, lang: Lang) -> String {
    match (lang, &employer.name_ar) {
        (Lang::Ar, Some(name)) if !name.trim().is_empty() => name.clone(),
        _ => employer.name.clone(),
    }
}

/// Every text of the pages, in one language.
#[derive(Debug)]
pub struct Texts {
    pub app_name: &'static str,
    pub switch_to: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub new_password: &'static str,
    pub forgot_password: &'static str,
    pub sign_in_refused: &'static str,
    pub sign_in_throttled: &'static str,
    pub reset_title: &'static str,
    pub reset_send: &'static str,
    pub reset_sent: &'static str,
    pub reset_done: &'static str,
    pub reset_set: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_text: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub bad_form_title: &'static str,
    pub bad_form_text: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
    pub your_employers: &'static str,
    pub affiliation: &'static str,
    pub dashboard: &'static str,
    pub mandate: &'static str,
    pub declarations: &'static str,
    pub history: &'static str,
    pub upcoming_debit: &'static str,
    pub upcoming_planned: &'static str,
    pub upcoming_not_planned: &'static str,
    pub nothing_owed: &'static str,
    pub date: &'static str,
    pub amount: &'static str,
    pub status: &'static str,
    pub worksite: &'static str,
    pub period: &'static str,
    pub total: &'static str,
    pub channel: &'static str,
    pub mandate_none: &'static str,
    pub mandate_status: &'static str,
    pub account: &'static str,
    pub bank: &'static str,
    pub reference: &'static str,
    pub signed_on: &'static str,
    pub new_account: &'static str,
    pub account_hint: &'static str,
    pub check_account: &'static str,
    pub consent_title: &'static str,
    pub consent_agree: &'static str,
    pub signer_name: &'static str,
    pub sign: &'static str,
    pub revoke_confirm: &'static str,
    pub mandate_signed: &'static str,
    pub upload_csv: &'static str,
    pub csv_hint: &'static str,
    pub csv_file: &'static str,
    pub upload: &'static str,
    pub upload_refused: &'static str,
    pub declaration_recorded: &'static str,
    pub no_declarations: &'static str,
    pub lines: &'static str,
    pub attempt: &'static str,
    pub reason: &'static str,
    pub no_collections: &'static str,
    pub console: &'static str,
    pub runs_files: &'static str,
    pub exceptions: &'static str,
    pub quarantine: &'static str,
    pub collections_by_status: &'static str,
    pub count: &'static str,
    pub open_exceptions: &'static str,
    pub quarantined_files: &'static str,
    pub file: &'static str,
    pub format: &'static str,
    pub sequence: &'static str,
    pub transactions: &'static str,
    pub control_sum: &'static str,
    pub downloaded: &'static str,
    pub kind: &'static str,
    pub detail: &'static str,
    pub resolution: &'static str,
    pub resolve: &'static str,
    pub resolved_by: &'static str,
    pub no_exceptions: &'static str,
    pub older_exceptions: &'static str,
    pub newest_exceptions: &'static str,
    pub error: &'static str,
    pub no_files: &'static str,
    // Disputes.
    pub disputes: &'static str,
    pub contest: &'static str,
    pub contest_title: &'static str,
    pub case_number: &'static str,
    pub case: &'static str,
    pub collection: &'static str,
    pub opened_on: &'static str,
    pub deadline: &'static str,
    pub answer_by: &'static str,
    pub write_again_until: &'static str,
    pub case_closed_since: &'static str,
    pub message: &'static str,
    pub message_hint: &'static str,
    pub send_dispute: &'static str,
    pub reason_amount_wrong: &'static str,
    pub reason_already_paid: &'static str,
    pub reason_not_authorised: &'static str,
    pub reason_duplicate_debit: &'static str,
    pub reason_other: &'static str,
    pub dispute_open: &'static str,
    pub dispute_answered: &'static str,
    pub dispute_closed: &'static str,
    pub overdue: &'static str,
    pub outcome: &'static str,
    pub upheld: &'static str,
    pub rejected: &'static str,
    pub from_employer: &'static str,
    pub from_fund: &'static str,
    pub exchanges: &'static str,
    pub no_disputes: &'static str,
    pub contest_how: &'static str,
    pub dispute_does_not_stop: &'static str,
    pub existing_case: &'static str,
    pub dispute_opened: &'static str,
    pub dispute_joined: &'static str,
    pub dispute_reopened: &'static str,
    pub dispute_repeated: &'static str,
    pub confirmation_emailed: &'static str,
    pub write_again: &'static str,
    pub answer: &'static str,
    pub send_answer: &'static str,
    pub answer_hint: &'static str,
    pub answer_recorded: &'static str,
    pub nothing_recorded: &'static str,
    pub err_reason: &'static str,
    pub err_outcome: &'static str,
    pub err_message_empty: &'static str,
    pub err_message_long: &'static str,
    pub err_message_plain: &'static str,
    pub err_cancelled: &'static str,
    pub err_closed: &'static str,
    pub err_too_many: &'static str,
    pub err_not_open: &'static str,
}

pub static FR: Texts = Texts {
    app_name: "Tahsil — prélèvements CACOBATPH",
    switch_to: "العربية",
    sign_in: "Se connecter",
    sign_out: "Se déconnecter",
    email: "Adresse e-mail",
    password: "Mot de passe",
    new_password: "Nouveau mot de passe (10 caractères au moins)",
    forgot_password: "Mot de passe oublié ?",
    sign_in_refused: "Adresse e-mail ou mot de passe incorrect.",
    sign_in_throttled: "Trop de tentatives. Réessayez dans 15 minutes.",
    reset_title: "Réinitialiser le mot de passe",
    reset_send: "Envoyer le lien",
    reset_sent: "Si un compte existe pour cette adresse, un lien de réinitialisation vient d'y être envoyé. Il est valable une heure.",
    reset_done: "Votre mot de passe a été changé. Connectez-vous.",
    reset_set: "Changer le mot de passe",
    forbidden_title: "Accès refusé",
    forbidden_text: "Votre compte ne permet pas d'ouvrir cette page.",
    not_found_title: "Page introuvable",
    not_found_text: "Cette page n'existe pas ou ne vous est pas accessible.",
    bad_form_title: "Formulaire expiré",
    bad_form_text: "Le formulaire a expiré ou ne vient pas de ce site. Revenez en arrière, rechargez la page et recommencez.",
    error_title: "Erreur",
    error_text: "Le serveur n'a pas pu traiter la demande. Elle a été enregistrée ; réessayez plus tard.",
    your_employers: "Vos employeurs",
    affiliation: "N° d'affiliation",
    dashboard: "Tableau de bord",
    mandate: "Mandat de prélèvement",
    declarations: "Déclarations",
    history: "Historique",
    upcoming_debit: "Prochain prélèvement",
    upcoming_planned: "Prélèvement prévu",
    upcoming_not_planned: "Montant dû, qui sera prélevé à la prochaine échéance",
    nothing_owed: "Aucun prélèvement prévu : rien n'est dû pour le moment.",
    date: "Date",
    amount: "Montant",
    status: "État",
    worksite: "Chantier",
    period: "Période",
    total: "Total",
    channel: "Canal",
    mandate_none: "Aucun mandat actif : les cotisations ne peuvent pas être prélevées. Saisissez un compte ci-dessous.",
    mandate_status: "Mandats",
    account: "Compte",
    bank: "Banque",
    reference: "Référence",
    signed_on: "Signé le",
    new_account: "Nouveau compte à prélever",
    account_hint: "RIB ou RIP (20 chiffres), ou CCP sous la forme NUMÉRO CLÉ. La clé est vérifiée.",
    check_account: "Vérifier le compte",
    consent_title: "Autorisation de prélèvement",
    consent_agree: "J'ai lu ce texte et j'autorise ces prélèvements.",
    signer_name: "Nom et qualité du signataire",
    sign: "Signer le mandat",
    revoke_confirm: "Révoquer ce mandat (les prélèvements s'arrêtent)",
    mandate_signed: "Mandat signé : il est actif.",
    upload_csv: "Déposer une déclaration (CSV)",
    csv_hint: "Une ligne par chantier : code_chantier;effectif;masse_salariale;assiette_intemperies. Séparateur « ; » (virgule décimale) ou « , » (point décimal). Une ligne d'en-tête est permise.",
    csv_file: "Fichier CSV",
    upload: "Déposer",
    upload_refused: "Rien n'a été enregistré. Corrigez ces lignes puis déposez le fichier à nouveau :",
    declaration_recorded: "Déclaration enregistrée.",
    no_declarations: "Aucune déclaration.",
    lines: "Lignes",
    attempt: "Tentative",
    reason: "Motif",
    no_collections: "Aucun prélèvement pour l'instant.",
    console: "Console finances",
    runs_files: "Remises et fichiers",
    exceptions: "Anomalies",
    quarantine: "Quarantaine",
    collections_by_status: "Prélèvements par canal et état",
    count: "Nombre",
    open_exceptions: "Anomalies ouvertes",
    quarantined_files: "Fichiers en quarantaine",
    file: "Fichier",
    format: "Format",
    sequence: "Séquence",
    transactions: "Opérations",
    control_sum: "Montant total",
    downloaded: "Téléchargé",
    kind: "Type",
    detail: "Détail",
    resolution: "Résolution",
    resolve: "Résoudre",
    resolved_by: "Résolue par",
    no_exceptions: "Aucune anomalie.",
    older_exceptions: "Anomalies plus anciennes",
    newest_exceptions: "Les plus récentes",
    error: "Erreur",
    no_files: "Aucun fichier.",
    // Disputes.
    disputes: "Réclamations",
    contest: "Contester",
    contest_title: "Contester un prélèvement",
    case_number: "N° de dossier",
    case: "Dossier",
    collection: "Prélèvement",
    opened_on: "Ouvert le",
    deadline: "Échéance",
    answer_by: "Réponse de la caisse au plus tard le",
    write_again_until: "L'employeur peut écrire à nouveau jusqu'au",
    case_closed_since: "Dossier clos ; il était possible d'écrire à nouveau jusqu'au",
    message: "Message",
    message_hint: "Texte simple, 2 000 caractères au plus, sans pièce jointe.",
    send_dispute: "Envoyer la réclamation",
    reason_amount_wrong: "Montant erroné",
    reason_already_paid: "Déjà payé par un autre moyen",
    reason_not_authorised: "Prélèvement non autorisé",
    reason_duplicate_debit: "Prélèvement en double",
    reason_other: "Autre motif",
    dispute_open: "En cours d'examen",
    dispute_answered: "Répondue",
    dispute_closed: "Close",
    overdue: "En retard",
    outcome: "Décision",
    upheld: "Fondée",
    rejected: "Non retenue",
    from_employer: "Employeur",
    from_fund: "Caisse",
    exchanges: "Échanges",
    no_disputes: "Aucune réclamation.",
    contest_how: "Pour contester un prélèvement, choisissez « Contester » sur sa ligne de l'historique. Un prélèvement annulé, qui n'a jamais été présenté, ne peut pas être contesté.",
    dispute_does_not_stop: "Une réclamation n'arrête pas le prélèvement à elle seule : la caisse l'examine et vous répond avant l'échéance.",
    existing_case: "Ce prélèvement fait déjà l'objet d'un dossier : votre message y sera ajouté.",
    dispute_opened: "Réclamation enregistrée. Votre numéro de dossier :",
    dispute_joined: "Votre message a été ajouté au dossier déjà ouvert pour ce prélèvement :",
    dispute_reopened: "Le dossier est rouvert ; la caisse vous répondra avant la nouvelle échéance. Dossier :",
    dispute_repeated: "Ce message était déjà enregistré dans le dossier :",
    confirmation_emailed: "Une confirmation vous est envoyée par courriel.",
    write_again: "Écrire à la caisse sur ce dossier",
    answer: "Réponse",
    send_answer: "Envoyer la réponse",
    answer_hint: "La réponse est envoyée par courriel à l'employeur. Texte simple, 2 000 caractères au plus.",
    answer_recorded: "Réponse enregistrée ; l'employeur en est informé par courriel.",
    nothing_recorded: "Rien n'a été enregistré.",
    err_reason: "Choisissez un motif dans la liste.",
    err_outcome: "Choisissez la décision : fondée ou non retenue.",
    err_message_empty: "Le message est vide ; expliquez ce qui ne va pas.",
    err_message_long: "Le message dépasse 2 000 caractères ; raccourcissez-le. Caractères :",
    err_message_plain: "Le message contient des caractères de contrôle ; écrivez du texte simple.",
    err_cancelled: "Ce prélèvement a été annulé avant d'être présenté à la banque : il n'y a rien à contester.",
    err_closed: "Ce dossier est clos, le délai pour écrire à nouveau est passé. Adressez-vous à la caisse par courrier ou à ses guichets.",
    err_too_many: "Ce dossier a atteint le nombre maximal de messages ; adressez-vous à la caisse.",
    err_not_open: "Ce dossier a déjà reçu une réponse ; il sera rouvert si l'employeur écrit à nouveau.",
};

pub static AR: Texts = Texts {
    app_name: "تحصيل — الاقتطاعات المباشرة لصندوق كاكوباث",
    switch_to: "Français",
    sign_in: "تسجيل الدخول",
    sign_out: "تسجيل الخروج",
    email: "البريد الإلكتروني",
    password: "كلمة المرور",
    new_password: "كلمة مرور جديدة (10 أحرف على الأقل)",
    forgot_password: "نسيت كلمة المرور؟",
    sign_in_refused: "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
    sign_in_throttled: "محاولات كثيرة. أعد المحاولة بعد 15 دقيقة.",
    reset_title: "إعادة تعيين كلمة المرور",
    reset_send: "إرسال الرابط",
    reset_sent: "إذا كان هناك حساب بهذا العنوان، فقد أُرسل إليه رابط إعادة التعيين. الرابط صالح لمدة ساعة.",
    reset_done: "تم تغيير كلمة المرور. سجّل الدخول.",
    reset_set: "تغيير كلمة المرور",
    forbidden_title: "الدخول مرفوض",
    forbidden_text: "لا يسمح حسابك بفتح هذه الصفحة.",
    not_found_title: "الصفحة غير موجودة",
    not_found_text: "هذه الصفحة غير موجودة أو غير متاحة لك.",
    bad_form_title: "انتهت صلاحية الاستمارة",
    bad_form_text: "انتهت صلاحية الاستمارة أو أنها لا تأتي من هذا الموقع. عد إلى الخلف وأعد تحميل الصفحة ثم أعد المحاولة.",
    error_title: "خطأ",
    error_text: "تعذّر على الخادم معالجة الطلب. تم تسجيله؛ أعد المحاولة لاحقًا.",
    your_employers: "مؤسساتكم",
    affiliation: "رقم الانخراط",
    dashboard: "لوحة القيادة",
    mandate: "تفويض الاقتطاع",
    declarations: "التصريحات",
    history: "السجل",
    upcoming_debit: "الاقتطاع القادم",
    upcoming_planned: "اقتطاع مبرمج",
    upcoming_not_planned: "المبلغ المستحق، يُقتطع في الموعد القادم",
    nothing_owed: "لا يوجد اقتطاع مبرمج: لا شيء مستحق حاليًا.",
    date: "التاريخ",
    amount: "المبلغ",
    status: "الحالة",
    worksite: "الورشة",
    period: "الفترة",
    total: "المجموع",
    channel: "القناة",
    mandate_none: "لا يوجد تفويض ساري المفعول: لا يمكن اقتطاع الاشتراكات. أدخل حسابًا أدناه.",
    mandate_status: "التفويضات",
    account: "الحساب",
    bank: "البنك",
    reference: "المرجع",
    signed_on: "تاريخ التوقيع",
    new_account: "حساب جديد للاقتطاع",
    account_hint: "رقم الهوية البنكية أو البريدية (20 رقمًا)، أو الحساب البريدي الجاري على شكل الرقم ثم المفتاح. يتم التحقق من المفتاح.",
    check_account: "التحقق من الحساب",
    consent_title: "ترخيص الاقتطاع",
    consent_agree: "قرأت هذا النص وأرخّص بهذه الاقتطاعات.",
    signer_name: "اسم الموقّع وصفته",
    sign: "توقيع التفويض",
    revoke_confirm: "إلغاء هذا التفويض (تتوقف الاقتطاعات)",
    mandate_signed: "تم توقيع التفويض: إنه ساري المفعول.",
    upload_csv: "إيداع تصريح (CSV)",
    csv_hint: "سطر لكل ورشة: رمز_الورشة;عدد_العمال;كتلة_الأجور;وعاء_البطالة_الجوية. الفاصل « ; » (فاصلة عشرية) أو « , » (نقطة عشرية). يُسمح بسطر عناوين.",
    csv_file: "ملف CSV",
    upload: "إيداع",
    upload_refused: "لم يُسجَّل أي شيء. صحّح هذه الأسطر ثم أودع الملف من جديد:",
    declaration_recorded: "تم تسجيل التصريح.",
    no_declarations: "لا توجد تصريحات.",
    lines: "الأسطر",
    attempt: "المحاولة",
    reason: "السبب",
    no_collections: "لا توجد اقتطاعات بعد.",
    console: "وحدة المالية",
    runs_files: "الدفعات والملفات",
    exceptions: "الحالات الشاذة",
    quarantine: "الحجر",
    collections_by_status: "الاقتطاعات حسب القناة والحالة",
    count: "العدد",
    open_exceptions: "حالات شاذة مفتوحة",
    quarantined_files: "ملفات في الحجر",
    file: "الملف",
    format: "الصيغة",
    sequence: "التسلسل",
    transactions: "العمليات",
    control_sum: "المبلغ الإجمالي",
    downloaded: "تم التنزيل",
    kind: "النوع",
    detail: "التفاصيل",
    resolution: "الحل",
    resolve: "حلّ",
    resolved_by: "حلّها",
    no_exceptions: "لا توجد حالات شاذة.",
    older_exceptions: "حالات شاذة أقدم",
    newest_exceptions: "الأحدث",
    error: "الخطأ",
    no_files: "لا توجد ملفات.",
    // Disputes.
    disputes: "الاعتراضات",
    contest: "اعتراض",
    contest_title: "الاعتراض على اقتطاع",
    case_number: "رقم الملف",
    case: "الملف",
    collection: "الاقتطاع",
    opened_on: "تاريخ الفتح",
    deadline: "الأجل",
    answer_by: "آخر أجل لرد الصندوق",
    write_again_until: "يمكن لصاحب العمل الكتابة من جديد إلى غاية",
    case_closed_since: "الملف مغلق؛ كانت الكتابة من جديد ممكنة إلى غاية",
    message: "الرسالة",
    message_hint: "نص بسيط، 2000 حرف على الأكثر، دون مرفقات.",
    send_dispute: "إرسال الاعتراض",
    reason_amount_wrong: "المبلغ خاطئ",
    reason_already_paid: "تم الدفع مسبقا بوسيلة أخرى",
    reason_not_authorised: "اقتطاع غير مرخّص به",
    reason_duplicate_debit: "اقتطاع مكرر",
    reason_other: "سبب آخر",
    dispute_open: "قيد الدراسة",
    dispute_answered: "تم الرد",
    dispute_closed: "مغلق",
    overdue: "متأخر",
    outcome: "القرار",
    upheld: "مؤسَّس",
    rejected: "غير مقبول",
    from_employer: "صاحب العمل",
    from_fund: "الصندوق",
    exchanges: "المراسلات",
    no_disputes: "لا توجد اعتراضات.",
    contest_how: "للاعتراض على اقتطاع، اختاروا « اعتراض » في سطره من السجل. لا يمكن الاعتراض على اقتطاع ملغى لم يُقدَّم أبدا.",
    dispute_does_not_stop: "الاعتراض لا يوقف الاقتطاع بحد ذاته: يدرسه الصندوق ويرد عليكم قبل الأجل.",
    existing_case: "هذا الاقتطاع موضوع ملف قائم: ستضاف رسالتكم إليه.",
    dispute_opened: "تم تسجيل الاعتراض. رقم ملفكم:",
    dispute_joined: "أضيفت رسالتكم إلى الملف المفتوح مسبقا لهذا الاقتطاع:",
    dispute_reopened: "أعيد فتح الملف؛ سيرد الصندوق قبل الأجل الجديد. الملف:",
    dispute_repeated: "هذه الرسالة مسجلة مسبقا في الملف:",
    confirmation_emailed: "يُرسَل إليكم تأكيد عبر البريد الإلكتروني.",
    write_again: "الكتابة إلى الصندوق بشأن هذا الملف",
    answer: "الرد",
    send_answer: "إرسال الرد",
    answer_hint: "يُرسَل الرد إلى صاحب العمل عبر البريد الإلكتروني. نص بسيط، 2000 حرف على الأكثر.",
    answer_recorded: "تم تسجيل الرد؛ يُبلَّغ صاحب العمل عبر البريد الإلكتروني.",
    nothing_recorded: "لم يُسجَّل أي شيء.",
    err_reason: "اختاروا سببا من القائمة.",
    err_outcome: "اختاروا القرار: مؤسَّس أو غير مقبول.",
    err_message_empty: "الرسالة فارغة؛ اشرحوا المشكلة.",
    err_message_long: "الرسالة تتجاوز 2000 حرف؛ اختصروها. عدد الأحرف:",
    err_message_plain: "تحتوي الرسالة على رموز تحكم؛ اكتبوا نصا بسيطا.",
    err_cancelled: "أُلغي هذا الاقتطاع قبل تقديمه إلى البنك: لا شيء للاعتراض عليه.",
    err_closed: "هذا الملف مغلق، انقضى أجل الكتابة من جديد. تواصلوا مع الصندوق كتابيا أو في شبابيكه.",
    err_too_many: "بلغ هذا الملف الحد الأقصى للرسائل؛ تواصلوا مع الصندوق.",
    err_not_open: "تم الرد على هذا الملف مسبقا؛ يعاد فتحه إذا كتب صاحب العمل من جديد.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_exactly() {
        assert_eq!(
            money(Amount::from_centimes(123_456_789), Lang::Fr),
            "1\u{a0}234\u{a0}567,89\u{a0}DA"
        );
        assert_eq!(money(Amount::from_centimes(5), Lang::Fr), "0,05\u{a0}DA");
        assert_eq!(
            money(Amount::from_centimes(-100_000), Lang::Ar),
            "-1\u{a0}000,00\u{a0}د.ج"
        );
    }

    #[test]
    fn qualities_are_read_exactly() {
        assert_eq!(quality_millis("0.8"), 800);
        assert_eq!(quality_millis("1"), 1000);
        assert_eq!(quality_millis("0.125"), 125);
        assert_eq!(quality_millis("x"), 0);
    }

    #[test]
    fn the_browser_language_is_taken_by_quality() {
        assert_eq!(
            Lang::from_accept_language("fr-DZ,fr;q=0.9,ar;q=0.8"),
            Some(Lang::Fr)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=1,ar-DZ;q=0.9,fr;q=0.5"),
            Some(Lang::Ar)
        );
        assert_eq!(Lang::from_accept_language("en-US,en"), None);
    }
}
