//! The words of the certificates of being up to date: the portal's and the console's list
//! with the request, issue and revoke forms, and the public verification page; and the
//! console's evidence pack button.

use crate::locale::Lang;
use crate::store::AttestationState;

pub struct AttestationTexts {
    pub title: &'static str,
    pub nav: &'static str,
    /// What a certificate is and when it is given (the fund's policy).
    pub intro: &'static str,
    pub request: &'static str,
    pub issue: &'static str,
    pub issued: &'static str,
    /// Before the amount still owed.
    pub not_up_to_date: &'static str,
    /// After the amount: what to do.
    pub not_up_to_date_then: &'static str,
    pub number: &'static str,
    pub issued_on: &'static str,
    pub valid_until: &'static str,
    pub state: &'static str,
    pub download: &'static str,
    pub none: &'static str,
    pub valid: &'static str,
    pub expired: &'static str,
    pub revoked: &'static str,
    pub revoke: &'static str,
    pub reason: &'static str,
    pub reason_missing: &'static str,
    pub revoked_done: &'static str,
    pub already_revoked: &'static str,
    pub verify_title: &'static str,
    pub verify_valid: &'static str,
    pub verify_expired: &'static str,
    pub verify_revoked: &'static str,
    pub verify_unknown: &'static str,
    pub verify_throttled: &'static str,
    pub employer: &'static str,
    pub affiliation: &'static str,
    pub verify_hint: &'static str,
    /// The console's evidence pack of an employer (a ZIP download).
    pub evidence_pack: &'static str,
    pub evidence_pack_hint: &'static str,
}

impl AttestationTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static AttestationTexts {
        lang.pick(&FR, &AR)
    }

    /// A certificate's state in words.
    pub fn state(&self, state: AttestationState) -> &'static str {
        match state {
            AttestationState::Valid => self.valid,
            AttestationState::Expired => self.expired,
            AttestationState::Revoked => self.revoked,
        }
    }
}

static FR: AttestationTexts = AttestationTexts {
    title: "Attestations de mise à jour des cotisations",
    nav: "Attestations",
    intro: "L'attestation de mise à jour est délivrée lorsque aucune cotisation échue ne reste due (un prélèvement en cours compte une fois réglé). Elle est valable pour la durée fixée par la Caisse et porte un code de vérification et un code QR que tout destinataire peut contrôler.",
    request: "Demander une attestation",
    issue: "Délivrer une attestation",
    issued: "Attestation délivrée : téléchargez-la ci-dessous.",
    not_up_to_date: "Aucune attestation ne peut être délivrée : il reste à payer",
    not_up_to_date_then: "de cotisations échues. Réglez-les (ou attendez le règlement du prélèvement en cours), puis renouvelez la demande.",
    number: "Numéro",
    issued_on: "Délivrée le",
    valid_until: "Valable jusqu'au",
    state: "État",
    download: "Télécharger (PDF)",
    none: "Aucune attestation délivrée.",
    valid: "Valable",
    expired: "Expirée",
    revoked: "Révoquée",
    revoke: "Révoquer",
    reason: "Motif de la révocation",
    reason_missing: "Indiquez le motif de la révocation : rien n'a été révoqué.",
    revoked_done: "Attestation révoquée : la page de vérification l'indique désormais.",
    already_revoked: "Cette attestation était déjà révoquée.",
    verify_title: "Vérification d'une attestation de mise à jour",
    verify_valid: "Cette attestation est valable.",
    verify_expired: "Cette attestation a expiré.",
    verify_revoked: "Cette attestation a été révoquée par la Caisse.",
    verify_unknown: "Code inconnu.",
    verify_throttled: "Trop de vérifications depuis cette adresse. Réessayez dans 15 minutes.",
    employer: "Employeur",
    affiliation: "N° d'affiliation",
    verify_hint: "Cette page indique seulement l'état de l'attestation, l'employeur et sa date de fin de validité.",
    evidence_pack: "Télécharger le dossier de preuves (ZIP)",
    evidence_pack_hint: "Mandats, avis envoyés, lignes bancaires, reçus, relevé, journal d'audit et empreintes SHA-256. Le téléchargement est inscrit au journal d'audit.",
};

static AR: AttestationTexts = AttestationTexts {
    title: "شهادات أداء الاشتراكات",
    nav: "الشهادات",
    intro: "تُسلَّم شهادة أداء الاشتراكات عندما لا يبقى أي اشتراك مستحق غير مدفوع (الاقتطاع الجاري يُحتسب بعد تسويته). وهي صالحة للمدة التي يحددها الصندوق، وتحمل رمز تحقق ورمز استجابة سريعة يمكن لأي مستلم التحقق منهما.",
    request: "طلب شهادة",
    issue: "إصدار شهادة",
    issued: "تم إصدار الشهادة: حمّلوها أدناه.",
    not_up_to_date: "لا يمكن إصدار شهادة: يبقى للدفع",
    not_up_to_date_then: "من الاشتراكات المستحقة. سددوها (أو انتظروا تسوية الاقتطاع الجاري)، ثم أعيدوا الطلب.",
    number: "الرقم",
    issued_on: "تاريخ الإصدار",
    valid_until: "صالحة إلى غاية",
    state: "الحالة",
    download: "تحميل (PDF)",
    none: "لم تصدر أي شهادة.",
    valid: "صالحة",
    expired: "منتهية الصلاحية",
    revoked: "ملغاة",
    revoke: "إلغاء",
    reason: "سبب الإلغاء",
    reason_missing: "اذكروا سبب الإلغاء: لم يُلغَ شيء.",
    revoked_done: "أُلغيت الشهادة: صفحة التحقق تبين ذلك من الآن.",
    already_revoked: "هذه الشهادة ملغاة من قبل.",
    verify_title: "التحقق من شهادة أداء الاشتراكات",
    verify_valid: "هذه الشهادة صالحة.",
    verify_expired: "انتهت صلاحية هذه الشهادة.",
    verify_revoked: "ألغى الصندوق هذه الشهادة.",
    verify_unknown: "رمز غير معروف.",
    verify_throttled: "محاولات تحقق كثيرة من هذا العنوان. أعد المحاولة بعد 15 دقيقة.",
    employer: "صاحب العمل",
    affiliation: "رقم الانخراط",
    verify_hint: "تبين هذه الصفحة حالة الشهادة وصاحب العمل وتاريخ نهاية صلاحيتها فقط.",
    evidence_pack: "تحميل ملف الإثبات (ZIP)",
    evidence_pack_hint: "التفويضات والإشعارات المرسلة والأسطر البنكية والوصولات وكشف الحساب وسجل التدقيق وبصمات SHA-256. يُسجَّل التحميل في سجل التدقيق.",
};
