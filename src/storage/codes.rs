//! Closed sets of values stored as text (statuses, roles, levels): each is an enum declared once
//! with [`stored_code!`], which gives it its stored code, parsing, `Display`, and the sqlx
//! encoding, so a status is bound and read as the enum and its string lives in one place.

/// A stored code that names no value of its set: damaged data, or input that is not a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {code:?}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}

/// Declares an enum whose values are stored as the given codes. The enum gets `ALL`, `code()`,
/// `from_code()`, `FromStr`, `Display`, and sqlx `Type`/`Encode`/`Decode` for the `Any` driver.
macro_rules! stored_code {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)?
        }
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored form.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The value stored as `code`, exactly.
            pub fn from_code(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::storage::UnknownCode;

            fn from_str(code: &str) -> Result<$name, Self::Err> {
                $name::from_code(code).ok_or_else(|| $crate::storage::UnknownCode {
                    what: $what,
                    code: code.to_string(),
                })
            }
        }

        impl ::sqlx::Type<::sqlx::Any> for $name {
            fn type_info() -> ::sqlx::any::AnyTypeInfo {
                <String as ::sqlx::Type<::sqlx::Any>>::type_info()
            }

            fn compatible(ty: &::sqlx::any::AnyTypeInfo) -> bool {
                <String as ::sqlx::Type<::sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <::sqlx::Any as ::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&str as ::sqlx::Encode<'q, ::sqlx::Any>>::encode(self.code(), buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $name {
            fn decode(
                value: <::sqlx::Any as ::sqlx::Database>::ValueRef<'r>,
            ) -> Result<$name, ::sqlx::error::BoxDynError> {
                let code = <String as ::sqlx::Decode<'r, ::sqlx::Any>>::decode(value)?;
                Ok(code.parse::<$name>()?)
            }
        }
    };
}

pub(super) use stored_code;

#[cfg(test)]
mod tests {
    use crate::storage::{
        AgencyLevel, FlowStatus, InvitationStatus, OutboxStatus, ReminderStatus, Role,
        SessionStatus, SubmissionChannel,
    };
    use std::collections::HashSet;

    /// Every value reads back from its code, the codes of a set are distinct, and anything
    /// else is refused with a message naming the set.
    fn round_trips<T>(all: &[T], code: fn(T) -> &'static str, what: &str)
    where
        T: Copy + PartialEq + std::fmt::Debug + std::str::FromStr<Err = super::UnknownCode>,
    {
        let codes: HashSet<_> = all.iter().map(|value| code(*value)).collect();
        assert_eq!(codes.len(), all.len(), "{what}: codes are distinct");
        for value in all {
            assert_eq!(code(*value).parse::<T>().unwrap(), *value);
        }
        let refused = "Completed!".parse::<T>().unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!("unknown {what} \"Completed!\"")
        );
    }

    #[test]
    fn every_stored_code_round_trips() {
        round_trips(FlowStatus::ALL, FlowStatus::code, "flow status");
        round_trips(
            InvitationStatus::ALL,
            InvitationStatus::code,
            "invitation status",
        );
        round_trips(OutboxStatus::ALL, OutboxStatus::code, "outbox status");
        round_trips(ReminderStatus::ALL, ReminderStatus::code, "reminder status");
        round_trips(SessionStatus::ALL, SessionStatus::code, "session status");
        round_trips(Role::ALL, Role::code, "role");
        round_trips(
            SubmissionChannel::ALL,
            SubmissionChannel::code,
            "submission channel",
        );
        // Agency levels belong to the pure core (`crate::core::agency`); storage checks them on read.
        for level in AgencyLevel::ALL {
            assert_eq!(AgencyLevel::from_code(level.code()), Some(*level));
        }
    }

    #[test]
    fn codes_are_the_strings_stored_before_the_enums() {
        // Existing databases hold these strings: changing one needs a migration.
        assert_eq!(InvitationStatus::Undeliverable.to_string(), "undeliverable");
        assert_eq!(SessionStatus::Paused.code(), "paused");
        assert_eq!(OutboxStatus::Sending.code(), "sending");
        assert_eq!(ReminderStatus::Scheduled.code(), "scheduled");
        assert_eq!(FlowStatus::Validated.code(), "validated");
        assert_eq!(AgencyLevel::parse("Huyện"), Some(AgencyLevel::Huyen));
        assert_eq!(AgencyLevel::from_code("Huyện"), None);
    }
}
