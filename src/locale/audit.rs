//! The audit trail as people read it: each action (`mandate.revoked`) and each kind of
//! thing it is about (`mandate`) in words. The codes stay in the trail (they are what
//! `audit verify` hashes) and are shown to staff only as technical detail, on demand.

use super::Lang;

/// An audit action in words; `None` for an action this table does not know yet (the page
/// then shows a general word and keeps the code in the technical detail).
pub fn audit_action_word(action: &str, lang: Lang) -> Option<&'static str> {
    let (fr, ar) = match action {
        "employer.created" => ("Employeur créé", "إنشاء المستخدِم"),
        "worksite.created" => ("Chantier ajouté", "إضافة ورشة"),
        "mandate.created" => ("Mandat préparé", "إعداد تفويض"),
        "mandate.signed" => ("Mandat signé", "توقيع التفويض"),
        "mandate.superseded" => ("Mandat remplacé", "استبدال التفويض"),
        "mandate.revoked" => ("Mandat révoqué", "إلغاء التفويض"),
        "mandate.ceiling_changed" => ("Plafond modifié", "تعديل السقف"),
        "account.read" => (
            "Numéro de compte lu pour un fichier bancaire",
            "قراءة رقم الحساب لملف بنكي",
        ),
        "accounts.decrypted" => ("Numéros de compte lus", "قراءة أرقام الحسابات"),
        "declaration.submitted" => ("Déclaration déposée", "إيداع التصريح"),
        "declaration.corrected" => ("Déclaration corrigée", "تصحيح التصريح"),
        "collection.planned" => ("Prélèvement planifié", "برمجة اقتطاع"),
        "collection.held" => ("Prélèvement suspendu", "تعليق اقتطاع"),
        "collection.released" => ("Prélèvement libéré", "رفع تعليق اقتطاع"),
        "collection.cancelled" => ("Prélèvement annulé", "إلغاء اقتطاع"),
        "collection.represented" => ("Prélèvement représenté", "إعادة تقديم اقتطاع"),
        "collections.rescheduled" => ("Prélèvements déplacés", "تأجيل اقتطاعات"),
        "notice.sent" => ("Avis envoyé", "إرسال إشعار"),
        "notice.failed" => ("Avis non envoyé", "تعذّر إرسال إشعار"),
        "notice.requeued" => ("Avis remis en file", "إعادة إشعار إلى الانتظار"),
        "webhook.endpoint_added" => ("Webhook ajouté", "إضافة عنوان إشعار آلي (webhook)"),
        "webhook.endpoint_removed" => ("Webhook retiré", "حذف عنوان إشعار آلي (webhook)"),
        "webhook.secret_rotated" => ("Secret de webhook renouvelé", "تجديد سرّ الإشعار الآلي"),
        "webhook.redelivery_requested" => ("Webhook renvoyé", "إعادة إرسال إشعار آلي"),
        "dispute.opened" => ("Contestation ouverte", "فتح اعتراض"),
        "dispute.message" => ("Message de contestation", "رسالة اعتراض"),
        "dispute.answered" => ("Contestation tranchée", "الفصل في اعتراض"),
        "dispute.reopened" => ("Contestation rouverte", "إعادة فتح اعتراض"),
        "exception.resolved" => ("Anomalie résolue", "تسوية حالة شاذة"),
        "bank_file.recorded" => ("Fichier bancaire enregistré", "تسجيل ملف بنكي"),
        "report.imported" => ("Relevé bancaire importé", "استيراد كشف بنكي"),
        "report.empty" => ("Relevé bancaire vide", "كشف بنكي فارغ"),
        "api_token.created" | "user_api_token.created" => {
            ("Jeton d'API créé", "إنشاء رمز واجهة برمجية")
        }
        "user.created" => ("Utilisateur créé", "إنشاء مستخدم"),
        "user.disabled" => ("Utilisateur désactivé", "تعطيل مستخدم"),
        "user.enabled" => ("Utilisateur réactivé", "إعادة تفعيل مستخدم"),
        "user.signed_in" => ("Connexion", "تسجيل الدخول"),
        "user.password_reset" => ("Mot de passe changé", "تغيير كلمة المرور"),
        "user.password_reset_requested" => ("Lien de mot de passe demandé", "طلب رابط كلمة المرور"),
        "job.retried" => ("Tâche relancée", "إعادة تشغيل مهمة"),
        "rate.added" => ("Taux ajouté", "إضافة نسبة"),
        "surcharge_rule.added" => ("Règle de majoration ajoutée", "إضافة قاعدة زيادة"),
        "surcharge_rule.confirmed" => ("Règle de majoration confirmée", "تأكيد قاعدة زيادة"),
        "surcharge_policy.changed" => ("Délais des majorations modifiés", "تعديل آجال الزيادات"),
        "allocation_policy.changed" => (
            "Ordre d'imputation des paiements modifié",
            "تعديل ترتيب تخصيص المدفوعات",
        ),
        "surcharges.accrued" => ("Majorations calculées", "حساب الزيادات"),
        "surcharge_waiver.requested" => ("Remise de majorations demandée", "طلب إعفاء من الزيادات"),
        "surcharge_waiver.applied" => ("Remise de majorations accordée", "منح إعفاء من الزيادات"),
        "surcharge_waiver.approved" => (
            "Remise de majorations approuvée",
            "الموافقة على إعفاء من الزيادات",
        ),
        "surcharge_waiver.refused" => ("Remise de majorations refusée", "رفض إعفاء من الزيادات"),
        "ledger.write_off" => ("Dette passée en non-valeur", "شطب دين"),
        "ledger.write_off_requested" => (
            "Mise en non-valeur demandée (à approuver)",
            "طلب شطب دين (في انتظار الموافقة)",
        ),
        "ledger.write_off_approved" => ("Mise en non-valeur approuvée", "الموافقة على شطب دين"),
        "ledger.write_off_refused" => ("Mise en non-valeur refusée", "رفض شطب دين"),
        "write_off_policy.updated" => (
            "Seuil de double validation des mises en non-valeur modifié",
            "تعديل سقف الموافقة المزدوجة على شطب الديون",
        ),
        "amnesty.created" => ("Amnistie préparée", "إعداد عفو"),
        "amnesty.applied" => ("Amnistie appliquée", "تطبيق عفو"),
        "amnesty.reversed" => ("Amnistie annulée", "إلغاء عفو"),
        "scheduler.day" => ("Bilan de la journée", "حصيلة اليوم"),
        "calendar.holiday_added" => ("Jour férié ajouté", "إضافة عطلة"),
        "calendar.holiday_confirmed" => ("Jour férié confirmé", "تأكيد عطلة"),
        "calendar.holiday_removed" => ("Jour férié retiré", "حذف عطلة"),
        "calendar.holiday_shifted" => ("Jour férié déplacé", "نقل عطلة"),
        "calendar.years_loaded" => ("Années du calendrier chargées", "تحميل سنوات التقويم"),
        "refund.requested" => ("Remboursement demandé", "طلب إرجاع"),
        "refund.approved" => ("Remboursement validé", "الموافقة على إرجاع"),
        "refund.refused" => ("Remboursement refusé", "رفض إرجاع"),
        "refund.withdrawn" => ("Demande de remboursement retirée", "سحب طلب إرجاع"),
        "refund.lapsed" => ("Remboursement caduc", "إلغاء إرجاع لاستعمال الرصيد"),
        "refund.settled" => ("Remboursement réglé", "تسوية إرجاع"),
        "refund.rejected" => ("Remboursement rejeté par la banque", "رفض البنك لإرجاع"),
        "refund_file.written" => ("Fichier de remboursements écrit", "كتابة ملف إرجاع"),
        "dispute.credited" => (
            "Contestation : montant crédité",
            "اعتراض: تسجيل المبلغ لصالح صاحب العمل",
        ),
        "attestation.issued" => (
            "Attestation de mise à jour délivrée",
            "إصدار شهادة أداء الاشتراكات",
        ),
        "attestation.revoked" => (
            "Attestation de mise à jour révoquée",
            "إلغاء شهادة أداء الاشتراكات",
        ),
        "employer.evidence_pack" => ("Dossier de preuves téléchargé", "تحميل ملف الإثبات"),
        "payment_plan.requested" => ("Échéancier demandé", "طلب جدول تقسيط"),
        "payment_plan.set" => ("Échéancier accordé", "منح جدول تقسيط"),
        "payment_plan.refused" => ("Échéancier refusé", "رفض جدول تقسيط"),
        "payment_plan.withdrawn" => ("Demande d'échéancier retirée", "سحب طلب جدول تقسيط"),
        "payment_plan.cancelled" => ("Échéancier annulé", "إلغاء جدول تقسيط"),
        "payment_plan.broken" => ("Échéancier rompu", "إخلال بجدول التقسيط"),
        "payment_plan.completed" => ("Échéancier soldé", "استيفاء جدول التقسيط"),
        _ => return None,
    };
    Some(lang.pick(fr, ar))
}

/// An audit action in words, or a general word for one not in the table.
pub fn audit_action(action: &str, lang: Lang) -> &'static str {
    audit_action_word(action, lang).unwrap_or(lang.pick("Autre opération", "عملية أخرى"))
}

/// What an audit entry is about (`mandate`, `collection`) in words.
pub fn audit_entity(entity: &str, lang: Lang) -> &'static str {
    let (fr, ar) = match entity {
        "employer" => ("Employeur", "المستخدِم"),
        "worksite" => ("Chantier", "الورشة"),
        "mandate" => ("Mandat", "التفويض"),
        "declaration" => ("Déclaration", "التصريح"),
        "collection" => ("Prélèvement", "الاقتطاع"),
        "notice_event" => ("Avis", "الإشعار"),
        "dispute" => ("Contestation", "الاعتراض"),
        "exception" => ("Anomalie", "الحالة الشاذة"),
        "bank_file" => ("Fichier bancaire", "الملف البنكي"),
        "report" => ("Relevé bancaire", "الكشف البنكي"),
        "user" => ("Utilisateur", "المستخدم"),
        "job" => ("Tâche", "المهمة"),
        "webhook_endpoint" => ("Webhook", "عنوان الإشعار الآلي"),
        "webhook_delivery" => ("Envoi de webhook", "إرسال إشعار آلي"),
        "refund" => ("Remboursement", "الإرجاع"),
        "refund_file" => ("Fichier de remboursements", "ملف الإرجاع"),
        "attestation" => ("Attestation", "الشهادة"),
        "surcharge_rule" | "surcharge_policy" => ("Règle de majoration", "قاعدة الزيادة"),
        "allocation_policy" => ("Ordre d'imputation", "ترتيب التخصيص"),
        "surcharge_run" => ("Calcul des majorations", "حساب الزيادات"),
        "surcharge_waiver" => ("Remise de majorations", "الإعفاء من الزيادات"),
        "amnesty" => ("Amnistie", "العفو"),
        "payment_plan" => ("Échéancier", "جدول التقسيط"),
        "write_off_request" => ("Demande de mise en non-valeur", "طلب شطب دين"),
        "write_off_policy" => ("Règle des mises en non-valeur", "قاعدة شطب الديون"),
        _ => ("Autre", "أخرى"),
    };
    lang.pick(fr, ar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_read_in_words() {
        assert_eq!(audit_action("mandate.revoked", Lang::Fr), "Mandat révoqué");
        assert_eq!(audit_action("mandate.revoked", Lang::Ar), "إلغاء التفويض");
        assert_eq!(audit_action("new.thing", Lang::Fr), "Autre opération");
        assert_eq!(audit_entity("collection", Lang::Fr), "Prélèvement");
    }
}
