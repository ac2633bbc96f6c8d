//! What may go into an e-mail's headers, checked where it enters (the API, the console, the
//! command line, the seed) rather than refused by the mailer days later: an e-mail address
//! ([`parse_email`]) and a name shown beside it ([`check_header_text`]). A line break in
//! either would let the sender add headers of its own.

use std::fmt;

/// The longest address a mail server must accept (RFC 5321: 64 + 1 + 255, limited to 254
/// by the path).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Why an address or a header text is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactError {
    Empty,
    /// A line break, tab or other control character.
    ControlCharacter,
    TooLong {
        max: usize,
    },
    /// Not exactly one `@`, or a space.
    NotAnAddress,
    /// The part before `@`.
    LocalPart,
    /// The part after `@`.
    Domain,
}

impl fmt::Display for ContactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactError::Empty => write!(f, "it is empty"),
            ContactError::ControlCharacter => write!(
                f,
                "it contains a line break, a tab or another control character: type it on one line"
            ),
            ContactError::TooLong { max } => write!(f, "it is longer than {max} characters"),
            ContactError::NotAnAddress => write!(
                f,
                "it is not an e-mail address: write it as name@domain.dz, without spaces"
            ),
            ContactError::LocalPart => write!(
                f,
                "the part before @ may hold only letters, digits and . _ - + (not at its start or end, no two dots in a row)"
            ),
            ContactError::Domain => write!(
                f,
                "the part after @ must be a domain name such as example.dz (letters, digits and hyphens between dots)"
            ),
        }
    }
}

impl std::error::Error for ContactError {}

/// An e-mail address as typed (surrounding spaces trimmed), checked: one `@`, a local part
/// of the usual characters, a domain of at least two labels, nothing that could break a
/// header. Returns the trimmed address.
pub fn parse_email(input: &str) -> Result<&str, ContactError> {
    if input.chars().any(char::is_control) {
        return Err(ContactError::ControlCharacter);
    }
    let address = input.trim();
    if address.is_empty() {
        return Err(ContactError::Empty);
    }
    if address.chars().count() > MAX_EMAIL_CHARS {
        return Err(ContactError::TooLong {
            max: MAX_EMAIL_CHARS,
        });
    }
    if address.chars().any(char::is_whitespace) {
        return Err(ContactError::NotAnAddress);
    }
    let Some((local, domain)) = address.split_once('@') else {
        return Err(ContactError::NotAnAddress);
    };
    if domain.contains('@') {
        return Err(ContactError::NotAnAddress);
    }
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'));
    if !local_ok {
        return Err(ContactError::LocalPart);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_alphabetic()));
    if !domain_ok {
        return Err(ContactError::Domain);
    }
    Ok(address)
}

/// A text that goes into a header beside an address (a name): no line break or other
/// control character, at most `max` characters.
pub fn check_header_text(input: &str, max: usize) -> Result<(), ContactError> {
    if input.chars().any(char::is_control) {
        return Err(ContactError::ControlCharacter);
    }
    if input.chars().count() > max {
        return Err(ContactError::TooLong { max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_pass_trimmed() {
        for ok in [
            "a@a.dz",
            "compta.a@example.dz",
            "comptabilite+16000001@demo.tahsil.dz",
            "Gerant@Example.dz",
            "first_last-2@sub.domain-x.example.com",
        ] {
            assert_eq!(parse_email(ok), Ok(ok));
        }
        assert_eq!(parse_email("  a@a.dz "), Ok("a@a.dz"));
    }

    #[test]
    fn header_breaking_and_malformed_addresses_are_refused_with_their_reason() {
        for (input, reason) in [
            (
                "a@a.dz\r\nBcc: all@evil.example",
                ContactError::ControlCharacter,
            ),
            (
                "a@a.dz\nBcc: x@evil.example",
                ContactError::ControlCharacter,
            ),
            ("a@a.dz\r", ContactError::ControlCharacter),
            ("a\t@a.dz", ContactError::ControlCharacter),
            ("a@a.dz\u{0}", ContactError::ControlCharacter),
            ("a@a.dz\u{85}", ContactError::ControlCharacter),
            ("", ContactError::Empty),
            ("   ", ContactError::Empty),
            ("a.dz", ContactError::NotAnAddress),
            ("a@b@c.dz", ContactError::NotAnAddress),
            ("a b@c.dz", ContactError::NotAnAddress),
            ("@a.dz", ContactError::LocalPart),
            (".a@a.dz", ContactError::LocalPart),
            ("a..b@a.dz", ContactError::LocalPart),
            ("\"a\"@a.dz", ContactError::LocalPart),
            ("a<b>@a.dz", ContactError::LocalPart),
            ("a,b@a.dz", ContactError::LocalPart),
            ("a@", ContactError::Domain),
            ("a@localhost", ContactError::Domain),
            ("a@a..dz", ContactError::Domain),
            ("a@-a.dz", ContactError::Domain),
            ("a@a.dz.", ContactError::Domain),
            ("a@[127.0.0.1]", ContactError::Domain),
            ("a@1.2.3.4", ContactError::Domain),
        ] {
            assert_eq!(parse_email(input), Err(reason), "{input:?}");
        }
        let long = format!("{}@a.dz", "a".repeat(250));
        assert_eq!(
            parse_email(&long),
            Err(ContactError::TooLong {
                max: MAX_EMAIL_CHARS
            })
        );
        assert!(
            ContactError::ControlCharacter
                .to_string()
                .contains("line break")
        );
    }

    #[test]
    fn names_for_headers_refuse_line_breaks() {
        assert_eq!(check_header_text("Entreprise Benali SARL", 200), Ok(()));
        assert_eq!(check_header_text("مؤسسة بن علي", 200), Ok(()));
        assert_eq!(
            check_header_text("Benali\r\nBcc: x@evil.example", 200),
            Err(ContactError::ControlCharacter)
        );
        assert_eq!(
            check_header_text(&"x".repeat(201), 200),
            Err(ContactError::TooLong { max: 200 })
        );
    }
}
