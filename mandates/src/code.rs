//! Closed sets of states stored as text codes (`planned`, `settled`, …): one way to
//! declare them with [`stored_codes!`], so every such enum has the same `ALL`, `as_str()`
//! (its stored code) and `parse()` that fails naming the unknown code.

use std::fmt;

/// A stored code that names no value of its set: a database or a file written by
/// something else, or a typo in a command's argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCode {
    /// What the codes name (`collection status`).
    pub what: &'static str,
    /// The code as found.
    pub code: String,
    /// The codes of the set, to say what would do.
    pub known: &'static [&'static str],
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}: use ", self.what, self.code)?;
        for (i, code) in self.known.iter().enumerate() {
            match i {
                0 => {}
                _ if i + 1 == self.known.len() => f.write_str(" or ")?,
                _ => f.write_str(", ")?,
            }
            f.write_str(code)?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownCode {}

/// Declares a closed set of states stored as text: the enum (`Clone`, `Copy`, `Debug`,
/// `PartialEq`, `Eq`, `Hash`, `PartialOrd`, `Ord`), `ALL` in declaration order,
/// `as_str()` (the stored code), `parse()` (an [`UnknownCode`] naming what is unknown),
/// `FromStr` and `TryFrom<String>` (for reading rows), `Display` and `Serialize` as the code.
///
/// ```
/// mandates::stored_codes! {
///     /// Where a thing is.
///     pub enum Light("light") {
///         /// Stop.
///         Red = "red",
///         Green = "green",
///     }
/// }
/// assert_eq!(Light::parse("green"), Ok(Light::Green));
/// assert_eq!(Light::Red.as_str(), "red");
/// assert_eq!(
///     Light::parse("blue").unwrap_err().to_string(),
///     "unknown light \"blue\": use red or green"
/// );
/// ```
#[macro_export]
macro_rules! stored_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// The stored code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $code ),+
                }
            }

            /// The value of a stored code; an unknown code is an error that names it.
            pub fn parse(code: &str) -> ::std::result::Result<$name, $crate::UnknownCode> {
                match code {
                    $( $code => Ok($name::$variant), )+
                    other => Err($crate::UnknownCode {
                        what: $what,
                        code: other.to_owned(),
                        known: &[$($code),+],
                    }),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownCode;
            fn from_str(code: &str) -> ::std::result::Result<$name, $crate::UnknownCode> {
                $name::parse(code)
            }
        }

        impl ::std::convert::TryFrom<String> for $name {
            type Error = $crate::UnknownCode;
            fn try_from(code: String) -> ::std::result::Result<$name, $crate::UnknownCode> {
                $name::parse(&code)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    stored_codes! {
        /// A test set.
        enum Light("light") {
            Red = "red",
            /// Go.
            Green = "green",
        }
    }

    #[test]
    fn codes_round_trip_and_unknown_ones_are_named() {
        for light in Light::ALL {
            assert_eq!(Light::parse(light.as_str()), Ok(light));
            assert_eq!(light.to_string(), light.as_str());
        }
        assert_eq!(format!("{:<6}|", Light::Red), "red   |");
        let err = Light::parse("Red").unwrap_err();
        assert_eq!(err.to_string(), "unknown light \"Red\": use red or green");
        assert_eq!("green".parse::<Light>(), Ok(Light::Green));
    }
}
