//! Why the store refused a request, as stable codes: the web says each in the viewer's
//! language, the JSON API chooses its status from it, logs and the CLI keep the English.
//!
//! Must not know: the words of any language (the web's `i18n` has them).

/// Why the store refused a request, as a stable code the web pages translate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Signing a mandate that is not waiting for a signature (already signed, revoked…).
    MandateNotPending,
    /// Revoking a mandate that has already ended (revoked, expired, superseded).
    MandateEnded,
    /// The signature evidence is incomplete (no signer name, no consent hash).
    MandateEvidence,
    /// Another mandate of the employer was signed at the same moment.
    MandateSignedMeanwhile,
    /// The mandate changed while it was being signed or revoked.
    MandateChanged,
    /// A mandate ceiling that is zero or negative.
    MandateCeiling,
    /// Adding a holiday that is already in the calendar on that date.
    HolidayExists,
    /// Confirming, moving or removing a holiday that is not in the calendar on that date.
    HolidayMissing,
    /// Moving a holiday onto a date where it already is.
    HolidayAlreadyOnDate,
    /// A contribution rate without its source (or one too long).
    RateSource,
    /// A contribution rate starting today or earlier.
    RateNotFuture,
    /// A contribution rate not starting on the first day of a month.
    RateNotFirstOfMonth,
    /// A contribution rate starting before (or on) a later rate of the same scheme.
    RateOutOfOrder,
    EmailInvalid,
    PasswordTooShort,
    PasswordTooLong,
    /// An employer user without any employer.
    EmployerUserNeedsEmployer,
    /// A staff user linked to employers.
    StaffUserWithEmployer,
    /// A password-reset link that is unknown, used or expired.
    ResetLinkInvalid,
    /// Resolving an exception without saying how.
    ResolutionEmpty,
    ExceptionAlreadyResolved,
    /// A staff action on a debit without its reason (or one too long).
    ActionReason,
    /// Putting back in the queue a job that has not failed (queued, running or done).
    JobNotFailed,
    /// A monthly period for a quarterly employer, or the reverse.
    PeriodKindMismatch,
    /// A declaration without any worksite line.
    DeclarationEmpty,
    DeclarationTotalTooLarge,
    /// A payment without its reference (or one too long).
    PaymentReference,
    /// A payment's note too long.
    PaymentNote,
    /// A payment of zero or less.
    PaymentAmount,
    /// A payment dated after today.
    PaymentInFuture,
    /// The same reference again for the same employer and channel.
    PaymentDuplicate,
    /// Allocating or setting aside an incoming credit already handled.
    IncomingCreditHandled,
    /// Allocating an incoming credit that is not an amount in dinars.
    IncomingCreditNotDinars,
    /// Setting an incoming credit aside without the reason (or one too long).
    IncomingCreditReason,
    /// Managing colleagues or the notice language without being the employer's owner.
    OwnerOnly,
    /// Inviting someone who already acts for the employer.
    ColleagueAlready,
    /// Inviting the address of a staff account.
    ColleagueNotEmployerUser,
    /// Revoking an owner (only staff can).
    OwnerNotRevocable,
    /// An activation code that is wrong, used, expired or of another employer.
    EnrolmentCodeInvalid,
    /// Too many enrolment attempts.
    EnrolmentThrottled,
    /// Changing a password without the right current one.
    CurrentPasswordWrong,
    /// A new address that is already an account's.
    EmailTaken,
    /// A link confirming an address that is unknown, used or expired.
    EmailLinkInvalid,
    /// A TOTP code that is not the current one.
    TotpCodeWrong,
    /// Setting up TOTP again while it is on.
    TotpAlreadyOn,
    /// An administrator turning their own TOTP off (required for administrators).
    TotpRequired,
    /// Turning off or resetting TOTP that is not on.
    TotpNotOn,
    /// An administrator resetting their own TOTP (another administrator does it).
    TotpResetSelf,
    /// Changing the capacity of an owner, or giving one (only staff make owners).
    OwnerCapacityFixed,
    /// A write-off without its reason (or one too long).
    WriteOffReason,
    /// A write-off without the name of the staff member who decided it.
    WriteOffBy,
    /// Writing off a line that is not an owed line of the employer.
    WriteOffLineNotOwed,
    /// Writing off a line held by a debit in a bank file.
    WriteOffLineInFile,
    /// Writing off "every owed line" of an employer that has none outside a bank file.
    WriteOffNothingOwed,
    /// Approving a write-off request one asked for oneself.
    WriteOffSamePerson,
    /// Approving or refusing a write-off request already decided.
    WriteOffNotPending,
}

impl Refusal {
    /// The stable code (snake case), for logs and tests.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::MandateNotPending => "mandate_not_pending",
            Refusal::MandateEnded => "mandate_ended",
            Refusal::MandateEvidence => "mandate_evidence",
            Refusal::MandateSignedMeanwhile => "mandate_signed_meanwhile",
            Refusal::MandateChanged => "mandate_changed",
            Refusal::MandateCeiling => "mandate_ceiling",
            Refusal::HolidayExists => "holiday_exists",
            Refusal::HolidayMissing => "holiday_missing",
            Refusal::HolidayAlreadyOnDate => "holiday_already_on_date",
            Refusal::RateSource => "rate_source",
            Refusal::RateNotFuture => "rate_not_future",
            Refusal::RateNotFirstOfMonth => "rate_not_first_of_month",
            Refusal::RateOutOfOrder => "rate_out_of_order",
            Refusal::EmailInvalid => "email_invalid",
            Refusal::PasswordTooShort => "password_too_short",
            Refusal::PasswordTooLong => "password_too_long",
            Refusal::EmployerUserNeedsEmployer => "employer_user_needs_employer",
            Refusal::StaffUserWithEmployer => "staff_user_with_employer",
            Refusal::ResetLinkInvalid => "reset_link_invalid",
            Refusal::ResolutionEmpty => "resolution_empty",
            Refusal::ExceptionAlreadyResolved => "exception_already_resolved",
            Refusal::ActionReason => "action_reason",
            Refusal::JobNotFailed => "job_not_failed",
            Refusal::PeriodKindMismatch => "period_kind_mismatch",
            Refusal::DeclarationEmpty => "declaration_empty",
            Refusal::DeclarationTotalTooLarge => "declaration_total_too_large",
            Refusal::PaymentReference => "payment_reference",
            Refusal::PaymentNote => "payment_note",
            Refusal::PaymentAmount => "payment_amount",
            Refusal::PaymentInFuture => "payment_in_future",
            Refusal::PaymentDuplicate => "payment_duplicate",
            Refusal::IncomingCreditHandled => "incoming_credit_handled",
            Refusal::IncomingCreditNotDinars => "incoming_credit_not_dinars",
            Refusal::IncomingCreditReason => "incoming_credit_reason",
            Refusal::OwnerOnly => "owner_only",
            Refusal::ColleagueAlready => "colleague_already",
            Refusal::ColleagueNotEmployerUser => "colleague_not_employer_user",
            Refusal::OwnerNotRevocable => "owner_not_revocable",
            Refusal::EnrolmentCodeInvalid => "enrolment_code_invalid",
            Refusal::EnrolmentThrottled => "enrolment_throttled",
            Refusal::CurrentPasswordWrong => "current_password_wrong",
            Refusal::EmailTaken => "email_taken",
            Refusal::EmailLinkInvalid => "email_link_invalid",
            Refusal::TotpCodeWrong => "totp_code_wrong",
            Refusal::TotpAlreadyOn => "totp_already_on",
            Refusal::TotpRequired => "totp_required",
            Refusal::TotpNotOn => "totp_not_on",
            Refusal::TotpResetSelf => "totp_reset_self",
            Refusal::OwnerCapacityFixed => "owner_capacity_fixed",
            Refusal::WriteOffReason => "write_off_reason",
            Refusal::WriteOffBy => "write_off_by",
            Refusal::WriteOffLineNotOwed => "write_off_line_not_owed",
            Refusal::WriteOffLineInFile => "write_off_line_in_file",
            Refusal::WriteOffNothingOwed => "write_off_nothing_owed",
            Refusal::WriteOffSamePerson => "write_off_same_person",
            Refusal::WriteOffNotPending => "write_off_not_pending",
        }
    }

    /// Whether the JSON API answers it as a conflict (409) rather than invalid input.
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            Refusal::MandateNotPending
                | Refusal::MandateEnded
                | Refusal::MandateEvidence
                | Refusal::MandateSignedMeanwhile
                | Refusal::MandateChanged
                | Refusal::HolidayExists
                | Refusal::HolidayAlreadyOnDate
                | Refusal::RateOutOfOrder
                | Refusal::ExceptionAlreadyResolved
                | Refusal::JobNotFailed
                | Refusal::PaymentDuplicate
                | Refusal::IncomingCreditHandled
                | Refusal::ColleagueAlready
                | Refusal::TotpAlreadyOn
                | Refusal::TotpNotOn
                | Refusal::WriteOffLineInFile
                | Refusal::WriteOffNotPending
        )
    }
}
