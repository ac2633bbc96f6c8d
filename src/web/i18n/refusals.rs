//! The store's refusals in Arabic and French. The store gives each refusal a stable code
//! ([`Refusal`]) beside its English text (kept for logs, the CLI and the JSON API); a page
//! shows the text of the code in the viewer's language. One exhaustive `match` per
//! language, so a code without a translation is a compile error. A refusal that still
//! comes as free English text gets a translated lead in front of it, never the English alone.

use super::Lang;
use crate::store::{Refusal, StoreError};
use mandates::AccountError;

/// What a page says for a refusal of the store, in `lang`; `None` for errors that are not
/// refusals (not found, database…), which the caller handles as before.
pub fn refusal_message(lang: Lang, err: &StoreError) -> Option<String> {
    match err {
        StoreError::Refused { refusal, .. } => Some(refusal_text(lang, *refusal).to_owned()),
        StoreError::Invalid(message) | StoreError::Conflict(message) => {
            Some(format!("{} ({message})", generic_lead(lang)))
        }
        _ => None,
    }
}

/// The lead shown before a refusal the pages have no words of their own for.
pub fn generic_lead(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "L'opération a été refusée.",
        Lang::Ar => "رُفضت العملية.",
    }
}

pub fn refusal_text(lang: Lang, refusal: Refusal) -> &'static str {
    match lang {
        Lang::Fr => fr(refusal),
        Lang::Ar => ar(refusal),
    }
}

fn fr(refusal: Refusal) -> &'static str {
    match refusal {
        Refusal::MandateNotPending => {
            "Ce mandat n'attend plus de signature (il est déjà signé ou a pris fin). Rechargez la page pour voir son état."
        }
        Refusal::MandateEnded => {
            "Ce mandat a déjà pris fin (révoqué, expiré ou remplacé) : il n'y a plus rien à révoquer. Rechargez la page pour voir son état."
        }
        Refusal::MandateEvidence => {
            "La signature est incomplète : saisissez le nom du signataire puis signez à nouveau."
        }
        Refusal::MandateSignedMeanwhile => {
            "Un autre mandat de cet employeur a été signé au même moment. Rechargez la page et réessayez."
        }
        Refusal::MandateChanged => {
            "Le mandat a changé pendant l'opération. Rechargez la page et réessayez."
        }
        Refusal::MandateCeiling => {
            "Le plafond doit être un montant positif, ou absent pour ne pas en avoir."
        }
        Refusal::HolidayExists => "Ce jour férié figure déjà au calendrier à cette date.",
        Refusal::HolidayMissing => {
            "Ce jour férié ne figure pas au calendrier à cette date : vérifiez le nom et la date dans la liste ci-dessous."
        }
        Refusal::HolidayAlreadyOnDate => {
            "Ce jour férié figure déjà au calendrier à la nouvelle date : choisissez une autre date."
        }
        Refusal::RateSource => {
            "Indiquez la source du taux (un décret, une décision du conseil) : de 1 à 300 caractères."
        }
        Refusal::RateNotFuture => {
            "Un nouveau taux doit commencer après aujourd'hui : les taux déjà utilisés par des déclarations ne sont pas modifiés."
        }
        Refusal::RateNotFirstOfMonth => {
            "Un taux commence le premier jour d'un mois (comme les périodes de déclaration) : choisissez le 1er du mois."
        }
        Refusal::RateOutOfOrder => {
            "Un taux de ce régime commence déjà à cette date ou plus tard : ajoutez les taux dans l'ordre des dates."
        }
        Refusal::EmailInvalid => {
            "L'adresse e-mail n'est pas valide : vérifiez-la (par exemple nom@exemple.dz)."
        }
        Refusal::PasswordTooShort => {
            "Le mot de passe est trop court : utilisez au moins 10 caractères."
        }
        Refusal::PasswordTooLong => "Le mot de passe est trop long : utilisez au plus 1024 octets.",
        Refusal::EmployerUserNeedsEmployer => {
            "Un utilisateur employeur doit être rattaché à au moins un employeur : indiquez son numéro d'affiliation."
        }
        Refusal::StaffUserWithEmployer => {
            "Seuls les utilisateurs employeurs sont rattachés à des employeurs : retirez les numéros d'affiliation ou choisissez le rôle employeur."
        }
        Refusal::ResetLinkInvalid => {
            "Ce lien de réinitialisation n'est plus valable : demandez-en un nouveau."
        }
        Refusal::ResolutionEmpty => {
            "Indiquez comment l'anomalie a été résolue (le texte de résolution est vide)."
        }
        Refusal::ExceptionAlreadyResolved => {
            "Cette anomalie est déjà résolue. Rechargez la page pour voir la liste à jour."
        }
        Refusal::ActionReason => {
            "Indiquez la raison de l'action (1 à 500 caractères) : elle est conservée dans le journal d'audit."
        }
        Refusal::JobNotFailed => {
            "Ce travail n'est pas en échec (il est en attente, en cours ou terminé) : il n'y a rien à relancer. Rechargez la page pour voir son état."
        }
        Refusal::PeriodKindMismatch => {
            "Cette période ne correspond pas à la périodicité de déclaration de l'employeur (mensuelle ou trimestrielle)."
        }
        Refusal::DeclarationEmpty => "Une déclaration doit compter au moins une ligne de chantier.",
        Refusal::DeclarationTotalTooLarge => {
            "Le total de la déclaration est trop grand : vérifiez les montants."
        }
        Refusal::PaymentReference => {
            "Indiquez la référence du paiement (numéro du virement, du chèque ou du reçu), 70 caractères au plus."
        }
        Refusal::PaymentNote => "La note dépasse 500 caractères : raccourcissez-la.",
        Refusal::PaymentAmount => {
            "Le montant d'un paiement doit être supérieur à zéro (par exemple 1234,50)."
        }
        Refusal::PaymentInFuture => {
            "La date du paiement est postérieure à aujourd'hui : enregistrez un paiement une fois reçu."
        }
        Refusal::PaymentDuplicate => {
            "Un paiement de ce canal avec cette référence est déjà enregistré pour cet employeur : rien n'a été enregistré. Vérifiez la référence ou le relevé de l'employeur."
        }
        Refusal::IncomingCreditHandled => {
            "Ce virement reçu a déjà été traité (rapproché, affecté ou écarté) : rien n'a changé. Rechargez la liste."
        }
        Refusal::IncomingCreditNotDinars => {
            "Ce virement n'est pas un montant en dinars : il ne peut pas payer de cotisations. Écartez-le en indiquant le motif."
        }
        Refusal::IncomingCreditReason => {
            "Indiquez pourquoi ce virement n'est pas pour la caisse (500 caractères au plus)."
        }
        Refusal::OwnerOnly => {
            "Seul le titulaire du compte de l'employeur peut gérer ses collaborateurs et la langue de ses avis."
        }
        Refusal::ColleagueAlready => {
            "Cette personne agit déjà pour cet employeur : pour changer son rôle, retirez-la puis invitez-la à nouveau."
        }
        Refusal::ColleagueNotEmployerUser => {
            "Cette adresse est celle d'un agent de la caisse : invitez une autre adresse."
        }
        Refusal::OwnerNotRevocable => {
            "Un titulaire ne peut pas être retiré ici : adressez-vous à la caisse."
        }
        Refusal::EnrolmentCodeInvalid => {
            "Ce numéro d'affiliation et ce code d'activation ne correspondent à aucun code valable (erroné, déjà utilisé ou expiré) : vérifiez les deux, ou demandez un nouveau code à la caisse."
        }
        Refusal::EnrolmentThrottled => {
            "Trop de tentatives d'inscription : attendez un quart d'heure puis réessayez."
        }
        Refusal::CurrentPasswordWrong => {
            "Le mot de passe actuel n'est pas le bon : saisissez-le à nouveau."
        }
        Refusal::EmailTaken => {
            "Cette adresse est déjà celle d'un compte : choisissez-en une autre."
        }
        Refusal::EmailLinkInvalid => {
            "Ce lien de confirmation n'est plus valable : demandez à nouveau le changement d'adresse."
        }
        Refusal::TotpCodeWrong => {
            "Ce code n'est pas celui que l'application affiche maintenant : saisissez le code actuel."
        }
        Refusal::TotpAlreadyOn => "La connexion en deux étapes est déjà activée pour ce compte.",
        Refusal::TotpRequired => {
            "Les administrateurs gardent la connexion en deux étapes : elle ne peut pas être désactivée. Téléphone perdu ? Un autre administrateur la réinitialise."
        }
        Refusal::TotpNotOn => {
            "La connexion en deux étapes n'est pas activée pour ce compte : il n'y a rien à désactiver."
        }
        Refusal::TotpResetSelf => {
            "Vous ne réinitialisez pas votre propre connexion en deux étapes : demandez-le à un autre administrateur."
        }
        Refusal::OwnerCapacityFixed => {
            "Le rôle d'un titulaire ne se change pas ici, et on ne nomme pas de titulaire : adressez-vous à la caisse."
        }
        Refusal::WriteOffReason => {
            "Indiquez pourquoi la dette ne peut pas être recouvrée (1 à 500 caractères) : rien n'a été passé en perte."
        }
        Refusal::WriteOffBy => {
            "Indiquez le nom de l'agent qui décide la mise en non-valeur : rien n'a été passé en perte."
        }
        Refusal::WriteOffLineNotOwed => {
            "Une des lignes choisies n'est plus due par cet employeur (payée, annulée, corrigée ou d'un autre employeur) : rien n'a été passé en perte. Rechargez le compte de l'employeur."
        }
        Refusal::WriteOffLineInFile => {
            "Une des lignes choisies est dans un prélèvement déjà remis à la banque : elle lui appartient jusqu'à son résultat. Rien n'a été passé en perte ; recommencez si le prélèvement échoue."
        }
        Refusal::WriteOffNothingOwed => {
            "Cet employeur n'a aucune ligne due hors d'un fichier bancaire : il n'y a rien à passer en perte."
        }
        Refusal::WriteOffSamePerson => {
            "Vous avez demandé cette mise en non-valeur : un autre membre du personnel doit l'approuver."
        }
        Refusal::WriteOffNotPending => {
            "Cette demande de mise en non-valeur a déjà été approuvée ou refusée : rien n'a changé. Rechargez la page."
        }
    }
}

fn ar(refusal: Refusal) -> &'static str {
    match refusal {
        Refusal::MandateNotPending => {
            "هذا التفويض لم يعد في انتظار التوقيع (موقَّع من قبل أو انتهى). أعد تحميل الصفحة لرؤية حالته."
        }
        Refusal::MandateEnded => {
            "هذا التفويض انتهى من قبل (ملغى أو منتهي الصلاحية أو مستبدَل): لا شيء لإلغائه. أعد تحميل الصفحة لرؤية حالته."
        }
        Refusal::MandateEvidence => "التوقيع غير مكتمل: أدخل اسم الموقِّع ثم وقِّع من جديد.",
        Refusal::MandateSignedMeanwhile => {
            "وُقِّع تفويض آخر لهذه المؤسسة في اللحظة نفسها. أعد تحميل الصفحة وحاول مجددًا."
        }
        Refusal::MandateChanged => "تغيّر التفويض أثناء العملية. أعد تحميل الصفحة وحاول مجددًا.",
        Refusal::MandateCeiling => "يجب أن يكون السقف مبلغًا موجبًا، أو أن يُترك فارغًا بلا سقف.",
        Refusal::HolidayExists => "هذه العطلة موجودة من قبل في الرزنامة بهذا التاريخ.",
        Refusal::HolidayMissing => {
            "هذه العطلة غير موجودة في الرزنامة بهذا التاريخ: تحقّق من الاسم والتاريخ في القائمة أدناه."
        }
        Refusal::HolidayAlreadyOnDate => {
            "هذه العطلة موجودة من قبل في الرزنامة بالتاريخ الجديد: اختر تاريخًا آخر."
        }
        Refusal::RateSource => "اذكر مصدر النسبة (مرسوم، قرار مجلس الإدارة): من 1 إلى 300 حرف.",
        Refusal::RateNotFuture => {
            "يجب أن تبدأ النسبة الجديدة بعد اليوم: النسب المستعملة في تصريحات سابقة لا تُغيَّر."
        }
        Refusal::RateNotFirstOfMonth => {
            "تبدأ النسبة في اليوم الأول من الشهر (مثل فترات التصريح): اختر أول الشهر."
        }
        Refusal::RateOutOfOrder => {
            "توجد نسبة لهذا النظام تبدأ في هذا التاريخ أو بعده: أضف النسب بترتيب التواريخ."
        }
        Refusal::EmailInvalid => "عنوان البريد الإلكتروني غير صالح: تحقّق منه (مثلًا name@example.dz).",
        Refusal::PasswordTooShort => "كلمة المرور قصيرة جدًا: استعمل 10 أحرف على الأقل.",
        Refusal::PasswordTooLong => "كلمة المرور طويلة جدًا: استعمل 1024 بايت على الأكثر.",
        Refusal::EmployerUserNeedsEmployer => {
            "يجب ربط مستخدم المؤسسة بمؤسسة واحدة على الأقل (رقم انخراطها)."
        }
        Refusal::StaffUserWithEmployer => {
            "يُربط مستخدمو المؤسسات وحدهم بالمؤسسات: احذف أرقام الانخراط أو اختر دور مستخدم المؤسسة."
        }
        Refusal::ResetLinkInvalid => "رابط إعادة التعيين هذا لم يعد صالحًا: اطلب رابطًا جديدًا.",
        Refusal::ResolutionEmpty => "اذكر كيف عولجت الحالة الشاذة (نص المعالجة فارغ).",
        Refusal::ExceptionAlreadyResolved => {
            "هذه الحالة الشاذة معالَجة من قبل. أعد تحميل الصفحة لرؤية القائمة المحدَّثة."
        }
        Refusal::ActionReason => "اذكروا سبب الإجراء (من 1 إلى 500 حرف): يُحفظ في سجل التدقيق.",
        Refusal::JobNotFailed => {
            "هذه المهمة ليست فاشلة (في الانتظار أو قيد التنفيذ أو منجزة): لا شيء لإعادة تشغيله. أعد تحميل الصفحة لرؤية حالتها."
        }
        Refusal::PeriodKindMismatch => "هذه الفترة لا توافق دورية تصريح المؤسسة (شهرية أو ثلاثية).",
        Refusal::DeclarationEmpty => "يجب أن يتضمّن التصريح سطر ورشة واحدًا على الأقل.",
        Refusal::DeclarationTotalTooLarge => "مجموع التصريح كبير جدًا: تحقّق من المبالغ.",
        Refusal::PaymentReference => {
            "اذكروا مرجع الدفع (رقم التحويل أو الصك أو الوصل)، 70 حرفًا على الأكثر."
        }
        Refusal::PaymentNote => "الملاحظة تتجاوز 500 حرف: اختصروها.",
        Refusal::PaymentAmount => "يجب أن يكون مبلغ الدفع أكبر من الصفر (مثلا 1234,50).",
        Refusal::PaymentInFuture => "تاريخ الدفع لاحق لتاريخ اليوم: سجّلوا الدفع بعد استلامه.",
        Refusal::PaymentDuplicate => {
            "دفع بهذه القناة وهذا المرجع مسجّل من قبل لهذه المؤسسة: لم يُسجَّل شيء. تحقّقوا من المرجع أو من كشف حساب المؤسسة."
        }
        Refusal::IncomingCreditHandled => {
            "سبق أن عولج هذا التحويل الوارد (طوبق أو خُصّص أو استُبعد): لم يتغيّر شيء. أعيدوا تحميل القائمة."
        }
        Refusal::IncomingCreditNotDinars => {
            "هذا التحويل ليس مبلغًا بالدينار: لا يمكنه تسديد الاشتراكات. استبعدوه مع ذكر السبب."
        }
        Refusal::IncomingCreditReason => {
            "اذكروا سبب كون هذا التحويل ليس للصندوق (500 حرف على الأكثر)."
        }
        Refusal::OwnerOnly => "لا يدير المتعاونين ولغة الإشعارات إلا صاحب حساب المؤسسة.",
        Refusal::ColleagueAlready => {
            "هذا الشخص يعمل لحساب هذه المؤسسة من قبل: لتغيير دوره اسحبوا صلاحيته ثم ادعوه من جديد."
        }
        Refusal::ColleagueNotEmployerUser => "هذا العنوان لأحد أعوان الصندوق: ادعوا عنوانًا آخر.",
        Refusal::OwnerNotRevocable => "لا يمكن سحب صلاحية صاحب الحساب هنا: اتصلوا بالصندوق.",
        Refusal::EnrolmentCodeInvalid => {
            "رقم الانخراط ورمز التفعيل هذان لا يوافقان أي رمز صالح (خاطئ أو مستعمل أو منتهي الصلاحية): تحقّقوا منهما أو اطلبوا رمزًا جديدًا من الصندوق."
        }
        Refusal::EnrolmentThrottled => {
            "محاولات تسجيل كثيرة جدًا: انتظروا ربع ساعة ثم أعيدوا المحاولة."
        }
        Refusal::CurrentPasswordWrong => "كلمة المرور الحالية غير صحيحة: أعيدوا كتابتها.",
        Refusal::EmailTaken => "هذا العنوان مستعمل لحساب آخر: اختاروا عنوانًا آخر.",
        Refusal::EmailLinkInvalid => "رابط التأكيد هذا لم يعد صالحًا: اطلبوا تغيير العنوان من جديد.",
        Refusal::TotpCodeWrong => {
            "هذا الرمز ليس الرمز الذي يعرضه التطبيق الآن: اكتبوا الرمز الحالي."
        }
        Refusal::TotpAlreadyOn => "تسجيل الدخول بخطوتين مفعّل من قبل لهذا الحساب.",
        Refusal::TotpRequired => {
            "يحتفظ المديرون بتسجيل الدخول بخطوتين: لا يمكن تعطيله. ضاع الهاتف؟ يعيد مدير آخر ضبطه."
        }
        Refusal::TotpNotOn => "تسجيل الدخول بخطوتين غير مفعّل لهذا الحساب: لا شيء لتعطيله.",
        Refusal::TotpResetSelf => {
            "لا تعيدون ضبط تسجيل الدخول بخطوتين لحسابكم بأنفسكم: اطلبوا ذلك من مدير آخر."
        }
        Refusal::OwnerCapacityFixed => {
            "دور صاحب الحساب لا يُغيَّر هنا، ولا يُعيَّن صاحب حساب من هنا: اتصلوا بالصندوق."
        }
        Refusal::WriteOffReason => "اذكروا سبب تعذّر تحصيل الدين (من 1 إلى 500 حرف): لم يُشطب شيء.",
        Refusal::WriteOffBy => "اذكروا اسم العون الذي قرّر الشطب: لم يُشطب شيء.",
        Refusal::WriteOffLineNotOwed => {
            "أحد الأسطر المختارة لم يعد مستحقًا على هذه المؤسسة (مسدَّد أو ملغى أو مصحَّح أو لمؤسسة أخرى): لم يُشطب شيء. أعيدوا تحميل حساب المؤسسة."
        }
        Refusal::WriteOffLineInFile => {
            "أحد الأسطر المختارة في اقتطاع سُلّم إلى البنك: يبقى للبنك إلى حين نتيجته. لم يُشطب شيء؛ أعيدوا المحاولة إن فشل الاقتطاع."
        }
        Refusal::WriteOffNothingOwed => {
            "ليس على هذه المؤسسة أي سطر مستحق خارج ملف بنكي: لا شيء للشطب."
        }
        Refusal::WriteOffSamePerson => "أنتم من طلب هذا الشطب: يجب أن يوافق عليه عون آخر.",
        Refusal::WriteOffNotPending => {
            "سبقت الموافقة على طلب الشطب هذا أو رفضه: لم يتغيّر شيء. أعيدوا تحميل الصفحة."
        }
    }
}

/// Why an account number typed on the mandate page is refused, in `lang`.
pub fn account_error(lang: Lang, err: &AccountError) -> String {
    match (lang, err) {
        (Lang::Fr, AccountError::Empty) => "Saisissez le RIB ou le RIP du compte.".to_owned(),
        (Lang::Ar, AccountError::Empty) => "أدخل رقم RIB أو RIP للحساب.".to_owned(),
        (Lang::Fr, AccountError::Length { found }) => format!(
            "{found} chiffres saisis, alors qu'un RIB ou un RIP en compte 20 (banque 3, agence 5, compte 10, clé 2) : vérifiez qu'il ne manque ou ne dépasse aucun chiffre."
        ),
        (Lang::Ar, AccountError::Length { found }) => format!(
            "أُدخل {found} رقما، بينما يتكوّن RIB أو RIP من 20 رقما (البنك 3، الوكالة 5، الحساب 10، المفتاح 2): تحقّق من عدم نقص رقم أو زيادته."
        ),
        (Lang::Fr, AccountError::NotADigit { character, position }) => format!(
            "Le caractère « {character} » en position {position} n'est pas un chiffre : n'utilisez que des chiffres, séparés par des espaces ou des tirets."
        ),
        (Lang::Ar, AccountError::NotADigit { character, position }) => format!(
            "الحرف «{character}» في الموضع {position} ليس رقما: استعمل الأرقام فقط، مع مسافات أو شرطات بين المجموعات."
        ),
        (Lang::Fr, AccountError::Key) => "La clé (2 derniers chiffres) ne correspond pas à l'agence et au numéro de compte : vérifiez les chiffres sur le relevé bancaire.".to_owned(),
        (Lang::Ar, AccountError::Key) => "المفتاح (آخر رقمين) لا يوافق الوكالة ورقم الحساب: تحقّق من الأرقام في كشف الحساب البنكي.".to_owned(),
        (Lang::Fr, AccountError::CcpLength { found }) => format!(
            "Un numéro CCP compte de 1 à 10 chiffres suivis de sa clé de 2 chiffres (par exemple « NUMÉRO CLÉ ») ; le numéro saisi en compte {found}."
        ),
        (Lang::Ar, AccountError::CcpLength { found }) => format!(
            "يتكوّن رقم CCP من 1 إلى 10 أرقام يليها مفتاحه من رقمين (مثلا «الرقم المفتاح»)؛ الرقم المُدخل فيه {found} رقما."
        ),
        (Lang::Fr, AccountError::CcpKey) => "La clé ne correspond pas au numéro CCP : vérifiez les deux sur le chéquier.".to_owned(),
        (Lang::Ar, AccountError::CcpKey) => "المفتاح لا يوافق رقم CCP: تحقّق منهما في دفتر الصكوك.".to_owned(),
        (Lang::Fr, AccountError::NotPostal { bank, agency }) => format!(
            "Un RIP postal commence par 007 99999 ; celui-ci a la banque {bank} et l'agence {agency}."
        ),
        (Lang::Ar, AccountError::NotPostal { bank, agency }) => format!(
            "يبدأ RIP البريدي بـ 007 99999؛ هذا الرقم بنكه {bank} ووكالته {agency}."
        ),
        (Lang::Fr, AccountError::UnknownBank(code)) => format!(
            "Le code banque {code} n'est pas dans la table des banques : vérifiez les 3 premiers chiffres."
        ),
        (Lang::Ar, AccountError::UnknownBank(code)) => format!(
            "رمز البنك {code} غير موجود في جدول البنوك: تحقّق من الأرقام الثلاثة الأولى."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untranslated_refusals_get_a_translated_lead() {
        let err = StoreError::Conflict("something English".to_owned());
        let fr = refusal_message(Lang::Fr, &err).unwrap();
        assert!(fr.starts_with("L'opération a été refusée."), "{fr}");
        let ar = refusal_message(Lang::Ar, &err).unwrap();
        assert!(ar.starts_with("رُفضت العملية."), "{ar}");
        assert!(refusal_message(Lang::Fr, &StoreError::Other(anyhow::anyhow!("x"))).is_none());
    }
}
