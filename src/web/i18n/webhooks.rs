//! The words of the portal's webhooks page (endpoints, secret, delivery log), of the
//! console's search and of the API documentation page, in Arabic and French.

use crate::locale::Lang;
use crate::store::WebhookUrlProblem;

#[derive(Debug)]
pub struct WebhookTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub docs_link: &'static str,
    pub endpoints: &'static str,
    pub none: &'static str,
    pub url: &'static str,
    pub url_hint: &'static str,
    pub add: &'static str,
    pub added: &'static str,
    pub secret: &'static str,
    pub show_secret: &'static str,
    pub secret_hint: &'static str,
    pub secret_set: &'static str,
    pub rotate: &'static str,
    pub rotated: &'static str,
    pub remove: &'static str,
    pub removed: &'static str,
    pub too_many: &'static str,
    pub duplicate: &'static str,
    pub log: &'static str,
    pub log_none: &'static str,
    pub event: &'static str,
    pub endpoint: &'static str,
    pub created: &'static str,
    pub status: &'static str,
    pub attempts: &'static str,
    pub next_retry: &'static str,
    pub no_answer: &'static str,
    pub redeliver: &'static str,
    pub redelivered: &'static str,
    pub already_queued: &'static str,
    pub milliseconds: &'static str,
}

impl WebhookTexts {
    pub fn of(lang: Lang) -> &'static WebhookTexts {
        lang.pick(&FR, &AR)
    }

    /// Why an address is refused, in `lang`.
    pub fn url_problem(lang: Lang, problem: WebhookUrlProblem) -> &'static str {
        let (f, a) = match problem {
            WebhookUrlProblem::Empty => (
                "Indiquez l'adresse (https://…) de votre logiciel.",
                "أدخلوا عنوان برنامجكم (…//:https).",
            ),
            WebhookUrlProblem::TooLong => (
                "L'adresse dépasse 500 caractères.",
                "العنوان يتجاوز 500 حرف.",
            ),
            WebhookUrlProblem::NotAnAddress => (
                "Ce n'est pas une adresse web : écrivez par exemple https://paie.example.dz/tahsil.",
                "هذا ليس عنوان ويب: اكتبوا مثلاً https://paie.example.dz/tahsil.",
            ),
            WebhookUrlProblem::Credentials => (
                "L'adresse ne doit contenir ni nom d'utilisateur ni mot de passe : la signature authentifie les envois.",
                "يجب ألّا يتضمن العنوان اسم مستخدم أو كلمة مرور: التوقيع يثبت مصدر الإرسال.",
            ),
            WebhookUrlProblem::Fragment => (
                "L'adresse ne doit pas contenir de partie après #.",
                "يجب ألّا يتضمن العنوان جزءاً بعد العلامة #.",
            ),
            WebhookUrlProblem::Loopback => (
                "Une adresse locale (127.0.0.1, localhost) n'est pas joignable depuis la caisse : indiquez l'adresse publique https:// de votre logiciel.",
                "العنوان المحلي (127.0.0.1، localhost) لا يمكن بلوغه من الصندوق: أدخلوا العنوان العمومي https:// لبرنامجكم.",
            ),
            WebhookUrlProblem::NotHttps => (
                "L'adresse doit commencer par https:// : les envois sont toujours chiffrés.",
                "يجب أن يبدأ العنوان بـ https://: الإرسال مشفّر دائماً.",
            ),
            WebhookUrlProblem::PrivateAddress => (
                "Cette adresse est privée ou réservée : indiquez l'adresse publique https:// de votre logiciel.",
                "هذا العنوان خاص أو محجوز: أدخلوا العنوان العمومي https:// لبرنامجكم.",
            ),
        };
        lang.pick(f, a)
    }
}

pub static FR: WebhookTexts = WebhookTexts {
    title: "Webhooks",
    intro: "Votre logiciel de paie ou de comptabilité peut recevoir chaque avis que la caisse vous envoie (préavis, reçu, échec, annulation, mandat…) sous forme de message JSON signé, envoyé à l'adresse que vous indiquez ici. Un envoi qui échoue est réessayé, de plus en plus espacé, jusqu'à 8 fois.",
    docs_link: "Format des messages et vérification de la signature",
    endpoints: "Adresses de réception",
    none: "Aucune adresse pour l'instant.",
    url: "Adresse (https://…)",
    url_hint: "L'adresse publique de votre logiciel qui recevra les messages (POST).",
    add: "Ajouter l'adresse",
    added: "Adresse ajoutée. Son secret de signature est ci-dessous.",
    secret: "Secret de signature",
    show_secret: "Afficher le secret",
    secret_hint: "Votre logiciel vérifie avec ce secret l'en-tête Tahsil-Signature de chaque message. Ne le communiquez à personne.",
    secret_set: "Secret défini le",
    rotate: "Renouveler le secret",
    rotated: "Nouveau secret défini : mettez-le à jour dans votre logiciel.",
    remove: "Retirer l'adresse",
    removed: "Adresse retirée : elle ne recevra plus de message.",
    too_many: "Cinq adresses au plus : retirez-en une d'abord.",
    duplicate: "Cette adresse est déjà enregistrée.",
    log: "Journal des envois",
    log_none: "Aucun envoi pour l'instant : le premier partira avec le prochain avis.",
    event: "Avis",
    endpoint: "Adresse",
    created: "Créé le",
    status: "État",
    attempts: "Tentatives",
    next_retry: "Prochain essai",
    no_answer: "pas de réponse",
    redeliver: "Renvoyer",
    redelivered: "Envoi remis en file : il part dans un instant.",
    already_queued: "Cet envoi est déjà en file.",
    milliseconds: "ms",
};

pub static AR: WebhookTexts = WebhookTexts {
    title: "الإشعارات الآلية (Webhooks)",
    intro: "يمكن لبرنامج الأجور أو المحاسبة لديكم أن يستقبل كل إشعار يرسله إليكم الصندوق (إشعار مسبق، وصل، إخفاق، إلغاء، تفويض…) في شكل رسالة JSON موقَّعة تُرسل إلى العنوان الذي تحددونه هنا. يعاد الإرسال الفاشل على فترات متباعدة أكثر فأكثر، حتى 8 مرات.",
    docs_link: "صيغة الرسائل والتحقق من التوقيع",
    endpoints: "عناوين الاستقبال",
    none: "لا يوجد أي عنوان حالياً.",
    url: "العنوان (…//:https)",
    url_hint: "العنوان العمومي لبرنامجكم الذي يستقبل الرسائل (POST).",
    add: "إضافة العنوان",
    added: "أضيف العنوان. سرّ التوقيع الخاص به أدناه.",
    secret: "سرّ التوقيع",
    show_secret: "إظهار السرّ",
    secret_hint: "يتحقق برنامجكم بهذا السرّ من الترويسة Tahsil-Signature لكل رسالة. لا تطلعوا عليه أحداً.",
    secret_set: "حُدِّد السرّ في",
    rotate: "تجديد السرّ",
    rotated: "حُدِّد سرّ جديد: حدِّثوه في برنامجكم.",
    remove: "حذف العنوان",
    removed: "حُذف العنوان: لن يستقبل أي رسالة بعد الآن.",
    too_many: "خمسة عناوين على الأكثر: احذفوا أحدها أولاً.",
    duplicate: "هذا العنوان مسجَّل من قبل.",
    log: "سجل الإرسال",
    log_none: "لا يوجد أي إرسال حالياً: يبدأ الأول مع الإشعار القادم.",
    event: "الإشعار",
    endpoint: "العنوان",
    created: "أنشئ في",
    status: "الحالة",
    attempts: "المحاولات",
    next_retry: "المحاولة القادمة",
    no_answer: "لا رد",
    redeliver: "إعادة الإرسال",
    redelivered: "أعيد الإرسال إلى الانتظار: ينطلق بعد لحظات.",
    already_queued: "هذا الإرسال في الانتظار من قبل.",
    milliseconds: "ملّي ثانية",
};
