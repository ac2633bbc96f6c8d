//! The words of the console's search (the box in the header and its results page) and
//! of the API documentation page, in Arabic and French.

use crate::locale::Lang;

#[derive(Debug)]
pub struct SearchTexts {
    pub label: &'static str,
    pub placeholder: &'static str,
    pub button: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    pub nothing: &'static str,
    pub debits: &'static str,
    pub mandates: &'static str,
    pub employers: &'static str,
    pub users: &'static str,
    pub debit: &'static str,
    pub date: &'static str,
    pub amount: &'static str,
    pub status: &'static str,
    pub reference: &'static str,
    pub account: &'static str,
    pub affiliation: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub role: &'static str,
    pub pages: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
}

impl SearchTexts {
    pub fn of(lang: Lang) -> &'static SearchTexts {
        lang.pick(&FR, &AR)
    }

    fn fr(&self) -> bool {
        std::ptr::eq(self, &FR)
    }

    /// Which of a kind's results this page shows: `26–50 sur 61` (or `3 sur 3`).
    pub fn shown(&self, first: i64, last: i64, total: i64) -> String {
        let range = if first == last {
            first.to_string()
        } else {
            format!("{first}–{last}")
        };
        if self.fr() {
            format!("{range} sur {total}")
        } else {
            format!("{range} من {total}")
        }
    }

    /// `Page 2 sur 3`.
    pub fn page_of(&self, page: i64, pages: i64) -> String {
        if self.fr() {
            format!("Page {page} sur {pages}")
        } else {
            format!("الصفحة {page} من {pages}")
        }
    }
}

pub static FR: SearchTexts = SearchTexts {
    label: "Rechercher",
    placeholder: "N° de prélèvement, mandat, e-mail, affiliation, fin de compte",
    button: "Rechercher",
    title: "Recherche",
    hint: "Un numéro de prélèvement ou sa référence bancaire, une référence de mandat, une adresse e-mail, un numéro d'affiliation ou un nom d'employeur, les derniers chiffres d'un compte (ou le numéro entier).",
    nothing: "Rien ne correspond à cette recherche.",
    debits: "Prélèvements",
    mandates: "Mandats",
    employers: "Employeurs",
    users: "Utilisateurs",
    debit: "Prélèvement",
    date: "Date",
    amount: "Montant",
    status: "État",
    reference: "Référence",
    account: "Compte",
    affiliation: "N° d'affiliation",
    name: "Nom",
    email: "E-mail",
    role: "Rôle",
    pages: "Pages de résultats",
    previous_page: "Page précédente",
    next_page: "Page suivante",
};

pub static AR: SearchTexts = SearchTexts {
    label: "بحث",
    placeholder: "رقم الاقتطاع، التفويض، البريد، الانتساب، آخر أرقام الحساب",
    button: "بحث",
    title: "البحث",
    hint: "رقم اقتطاع أو مرجعه البنكي، مرجع تفويض، عنوان بريد إلكتروني، رقم انتساب أو اسم مستخدِم، آخر أرقام حساب (أو الرقم كاملاً).",
    nothing: "لا شيء يطابق هذا البحث.",
    debits: "الاقتطاعات",
    mandates: "التفويضات",
    employers: "المستخدِمون",
    users: "المستخدمون",
    debit: "الاقتطاع",
    date: "التاريخ",
    amount: "المبلغ",
    status: "الحالة",
    reference: "المرجع",
    account: "الحساب",
    affiliation: "رقم الانتساب",
    name: "الاسم",
    email: "البريد الإلكتروني",
    role: "الدور",
    pages: "صفحات النتائج",
    previous_page: "الصفحة السابقة",
    next_page: "الصفحة التالية",
};

#[derive(Debug)]
pub struct ApiDocsTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub language_note: &'static str,
    pub json: &'static str,
    pub contents: &'static str,
    pub endpoints: &'static str,
    pub parameters: &'static str,
    pub body: &'static str,
    pub responses: &'static str,
    pub schemas: &'static str,
    pub required: &'static str,
    pub webhooks: &'static str,
    pub webhooks_intro: &'static str,
}

impl ApiDocsTexts {
    pub fn of(lang: Lang) -> &'static ApiDocsTexts {
        lang.pick(&DOCS_FR, &DOCS_AR)
    }
}

pub static DOCS_FR: ApiDocsTexts = ApiDocsTexts {
    title: "Documentation de l'API",
    intro: "L'API JSON de tahsil, lue dans son document OpenAPI : chaque adresse, ses paramètres, ce qu'elle reçoit et ce qu'elle répond.",
    language_note: "Les descriptions techniques sont en anglais, comme le document.",
    json: "Le document OpenAPI (JSON)",
    contents: "Sommaire",
    endpoints: "Adresses",
    parameters: "Paramètres",
    body: "Corps de la requête",
    responses: "Réponses",
    schemas: "Schémas",
    required: "obligatoire",
    webhooks: "Webhooks",
    webhooks_intro: "Chaque avis envoyé à un employeur est aussi envoyé, en JSON signé, aux adresses que l'employeur a indiquées sur le portail (page « Webhooks »). L'en-tête Tahsil-Signature porte t (l'heure d'envoi, en secondes Unix) et v1, le HMAC-SHA256 de « t.corps » avec le secret de l'adresse. Les montants sont donnés deux fois : en dinars (texte décimal) et en centimes (entier). Aucun numéro de compte en clair : ses 4 derniers chiffres seulement.",
};

pub static DOCS_AR: ApiDocsTexts = ApiDocsTexts {
    title: "توثيق واجهة البرمجة (API)",
    intro: "واجهة JSON لتحصيل، مقروءة من وثيقة OpenAPI الخاصة بها: كل عنوان ومعاملاته وما يستقبله وما يرد به.",
    language_note: "الأوصاف التقنية بالإنجليزية، كما في الوثيقة.",
    json: "وثيقة OpenAPI ‏(JSON)",
    contents: "المحتويات",
    endpoints: "العناوين",
    parameters: "المعاملات",
    body: "محتوى الطلب",
    responses: "الردود",
    schemas: "المخططات",
    required: "إلزامي",
    webhooks: "الإشعارات الآلية (Webhooks)",
    webhooks_intro: "كل إشعار يرسل إلى مستخدِم يرسل أيضاً، في شكل JSON موقَّع، إلى العناوين التي حددها المستخدِم في البوابة (صفحة «الإشعارات الآلية»). تحمل الترويسة Tahsil-Signature القيمة t (وقت الإرسال بثواني يونكس) والقيمة v1، أي HMAC-SHA256 للنص «t.المحتوى» بسرّ العنوان. تُعطى المبالغ مرتين: بالدينار (نص عشري) وبالسنتيم (عدد صحيح). لا رقم حساب ظاهراً: آخر 4 أرقام فقط.",
};
