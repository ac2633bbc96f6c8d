//! The texts of the staff actions on a debit (the console's debit page, and the action
//! forms of the exceptions page), in both languages; a field missing in one is a compile
//! error. The actions' own words are `crate::locale::words`' (`DebitAction`).

use super::Lang;

#[derive(Debug)]
pub struct DebitTexts {
    pub title: &'static str,
    pub date: &'static str,
    pub amount: &'static str,
    pub status: &'static str,
    pub attempt: &'static str,
    pub held: &'static str,
    pub file: &'static str,
    pub retry_of: &'static str,
    pub next_attempt: &'static str,
    pub employer: &'static str,
    pub actions: &'static str,
    /// The reason field of every action form.
    pub reason: &'static str,
    pub no_action: &'static str,
    /// What each action does, shown above the forms.
    pub actions_hint: &'static str,
    /// On a resolved exception: resolved by an action, or by a note.
    pub resolved_by_action: &'static str,
    pub resolved_by_note: &'static str,
    pub open_debit: &'static str,
    /// After an action (`{action}`: its word).
    done: &'static str,
    pub missed_its_date: &'static str,
    /// A settled debit's receipt, as a PDF.
    pub receipt_pdf: &'static str,
}

impl DebitTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static DebitTexts {
        lang.pick(&FR, &AR)
    }

    /// The confirmation after `action` (its word).
    pub fn done(&self, action: &str) -> String {
        self.done.replace("{action}", action)
    }
}

pub static FR: DebitTexts = DebitTexts {
    title: "Prélèvement",
    date: "Date de prélèvement",
    amount: "Montant",
    status: "État",
    attempt: "Tentative",
    held: "Suspendu : il reste hors des fichiers jusqu'à la levée de la suspension.",
    file: "Fichier",
    retry_of: "Nouvelle présentation du prélèvement",
    next_attempt: "Tentative suivante",
    employer: "Employeur",
    actions: "Actions",
    reason: "Raison (conservée dans le journal d'audit)",
    no_action: "Aucune action n'est possible dans cet état.",
    actions_hint: "Suspendre : le prélèvement reste hors du prochain fichier. Annuler : il ne sera pas présenté et ses lignes restent dues pour la prochaine échéance. Représenter : une nouvelle tentative à la première date qui respecte le préavis, avec un avis à l'employeur.",
    resolved_by_action: "Résolue par l'action",
    resolved_by_note: "Résolue par une note",
    open_debit: "Voir le prélèvement",
    done: "Action effectuée : {action}.",
    missed_its_date: "Les fichiers de sa date étaient déjà remis : le prélèvement est annulé et ses lignes restent dues pour la prochaine échéance.",
    receipt_pdf: "Reçu (PDF, arabe et français)",
};

pub static AR: DebitTexts = DebitTexts {
    title: "اقتطاع",
    date: "تاريخ الاقتطاع",
    amount: "المبلغ",
    status: "الحالة",
    attempt: "المحاولة",
    held: "معلّق: يبقى خارج الملفات إلى أن يُرفع التعليق.",
    file: "الملف",
    retry_of: "إعادة تقديم الاقتطاع",
    next_attempt: "المحاولة التالية",
    employer: "المستخدِم",
    actions: "الإجراءات",
    reason: "السبب (يُحفظ في سجل التدقيق)",
    no_action: "لا يمكن اتخاذ أي إجراء في هذه الحالة.",
    actions_hint: "تعليق: يبقى الاقتطاع خارج الملف القادم. إلغاء: لن يُقدَّم وتبقى سطوره مستحقة للأجل القادم. إعادة التقديم: محاولة جديدة في أول تاريخ يحترم أجل الإشعار، مع إشعار للمستخدِم.",
    resolved_by_action: "سُوّيت بالإجراء",
    resolved_by_note: "سُوّيت بملاحظة",
    open_debit: "عرض الاقتطاع",
    done: "تم الإجراء: {action}.",
    missed_its_date: "كانت ملفات تاريخه قد أُرسلت: أُلغي الاقتطاع وتبقى سطوره مستحقة للأجل القادم.",
    receipt_pdf: "الوصل (PDF، بالعربية والفرنسية)",
};
