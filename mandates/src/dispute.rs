//! The rules of a dispute (an employer contesting one of its collections, the fund
//! answering): how long each side has, how many messages a case holds, what a message may
//! be, and why a contest or an answer is refused.
//!
//! A case is `open` until the fund answers it by its deadline ([`DISPUTE_DAYS`] days after
//! it was opened or reopened; past it the case is overdue); once answered the employer may
//! write again until its new deadline ([`DISPUTE_DAYS`] days after the answer), which
//! reopens it; after that it is closed.
//!
//! Must not know: where cases are kept, the words of any language but English.

use std::fmt;

use chrono::{Duration, NaiveDate};

/// Calendar days the fund has to answer a case, and the employer to write again after an
/// answer.
pub const DISPUTE_DAYS: i64 = 30;
/// The longest message, in characters.
pub const DISPUTE_MESSAGE_MAX_CHARS: usize = 2000;
/// Messages a case holds at most (both sides together).
pub const DISPUTE_MAX_MESSAGES: i64 = 50;

/// The deadline a message written on `day` sets: the answer date of a case opened or
/// reopened that day, the last day to write again after an answer given that day.
pub fn deadline_after(day: NaiveDate) -> NaiveDate {
    day + Duration::days(DISPUTE_DAYS)
}

/// Whether the time ending on `deadline` (`YYYY-MM-DD`, as stored) is over on `today`.
pub fn is_past(deadline: &str, today: NaiveDate) -> bool {
    NaiveDate::parse_from_str(deadline, "%Y-%m-%d").is_ok_and(|d| d < today)
}

/// Why a contest or an answer is refused. Nothing is recorded then; the web says each in
/// the reader's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisputeRefusal {
    UnknownReason,
    UnknownOutcome,
    EmptyMessage,
    MessageTooLong {
        chars: usize,
    },
    /// Control characters other than line breaks and tabs.
    NotPlainText,
    /// The collection was cancelled: it never reached the bank.
    NotContestable {
        status: crate::CollectionStatus,
    },
    /// Answered, and the time to write again is over.
    Closed {
        case_number: String,
        deadline: String,
    },
    TooManyMessages {
        case_number: String,
    },
    /// An answer to a case that is not waiting for one.
    NotOpen {
        case_number: String,
    },
}

impl fmt::Display for DisputeRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisputeRefusal::UnknownReason => write!(f, "reason: choose one from the list"),
            DisputeRefusal::UnknownOutcome => write!(f, "outcome: upheld or rejected"),
            DisputeRefusal::EmptyMessage => write!(f, "message: empty"),
            DisputeRefusal::MessageTooLong { chars } => write!(
                f,
                "message: {chars} characters, at most {DISPUTE_MESSAGE_MAX_CHARS}"
            ),
            DisputeRefusal::NotPlainText => write!(f, "message: control characters"),
            DisputeRefusal::NotContestable { status } => {
                write!(f, "a {} collection cannot be contested", status.as_str())
            }
            DisputeRefusal::Closed {
                case_number,
                deadline,
            } => write!(f, "case {case_number} is closed since {deadline}"),
            DisputeRefusal::TooManyMessages { case_number } => {
                write!(f, "case {case_number} has {DISPUTE_MAX_MESSAGES} messages")
            }
            DisputeRefusal::NotOpen { case_number } => {
                write!(f, "case {case_number} is not waiting for an answer")
            }
        }
    }
}

/// A message as stored: trimmed, line breaks as `\n`, checked for length and plain text.
pub fn dispute_message(text: &str) -> Result<String, DisputeRefusal> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(DisputeRefusal::EmptyMessage);
    }
    let chars = text.chars().count();
    if chars > DISPUTE_MESSAGE_MAX_CHARS {
        return Err(DisputeRefusal::MessageTooLong { chars });
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DisputeRefusal::NotPlainText);
    }
    Ok(text.to_owned())
}

/// A case with `messages` messages refuses one more: [`DISPUTE_MAX_MESSAGES`] at most.
pub fn check_room(case_number: &str, messages: i64) -> Result<(), DisputeRefusal> {
    if messages >= DISPUTE_MAX_MESSAGES {
        Err(DisputeRefusal::TooManyMessages {
            case_number: case_number.to_owned(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_plain_text_of_bounded_length() {
        assert_eq!(
            dispute_message("  Le montant\r\nest faux.\t "),
            Ok("Le montant\nest faux.".to_owned())
        );
        assert_eq!(dispute_message(" \n "), Err(DisputeRefusal::EmptyMessage));
        assert_eq!(
            dispute_message(&"é".repeat(DISPUTE_MESSAGE_MAX_CHARS)).map(|m| m.chars().count()),
            Ok(DISPUTE_MESSAGE_MAX_CHARS)
        );
        assert_eq!(
            dispute_message(&"x".repeat(DISPUTE_MESSAGE_MAX_CHARS + 1)),
            Err(DisputeRefusal::MessageTooLong {
                chars: DISPUTE_MESSAGE_MAX_CHARS + 1
            })
        );
        assert_eq!(
            dispute_message("a\u{0}b"),
            Err(DisputeRefusal::NotPlainText)
        );
    }

    #[test]
    fn deadlines_are_thirty_days_and_end_after_their_day() {
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(deadline_after(day(12, 1)), day(12, 31));
        assert!(!is_past("2026-12-31", day(12, 31)));
        assert!(is_past(
            "2026-12-31",
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        ));
        assert_eq!(
            check_room("RCL-2026-000001", DISPUTE_MAX_MESSAGES - 1),
            Ok(())
        );
        assert!(check_room("RCL-2026-000001", DISPUTE_MAX_MESSAGES).is_err());
    }
}
