//! Column types the `Any` driver does not decode by itself: times stored as RFC 3339 text, flags
//! stored as integers (SQLite has no boolean), JSON stored as text, and the survey's own values.
//! Rows name them in `#[sqlx(try_from = "…")]`; each converts into the type the row exposes, so
//! the public structs keep plain `DateTime<Utc>`, `bool`, `Lang` and `SurveyState` fields.

use super::parse_timestamp;
use crate::core::flow::Lang;
use crate::core::survey::SurveyState;
use chrono::{DateTime, Utc};
use sqlx::any::AnyTypeInfo;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Type};

type ValueRef<'r> = <Any as Database>::ValueRef<'r>;

fn text(value: ValueRef<'_>) -> Result<String, BoxDynError> {
    <String as Decode<Any>>::decode(value)
}

/// Implements `Type<Any>` for a column read from `$base`'s stored type.
macro_rules! stored_as {
    ($name:ty, $base:ty) => {
        impl Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <$base as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <$base as Type<Any>>::compatible(ty)
            }
        }
    };
}

/// A time stored as RFC 3339 text.
pub struct Stamp(DateTime<Utc>);
stored_as!(Stamp, String);

impl<'r> Decode<'r, Any> for Stamp {
    fn decode(value: ValueRef<'r>) -> Result<Stamp, BoxDynError> {
        Ok(Stamp(parse_timestamp(&text(value)?)?))
    }
}

impl From<Stamp> for DateTime<Utc> {
    fn from(stamp: Stamp) -> DateTime<Utc> {
        stamp.0
    }
}

/// A time that may be absent (NULL).
pub struct MaybeStamp(Option<DateTime<Utc>>);
stored_as!(MaybeStamp, String);

impl<'r> Decode<'r, Any> for MaybeStamp {
    fn decode(value: ValueRef<'r>) -> Result<MaybeStamp, BoxDynError> {
        let stored = <Option<String> as Decode<Any>>::decode(value)?;
        Ok(MaybeStamp(
            stored.as_deref().map(parse_timestamp).transpose()?,
        ))
    }
}

impl From<MaybeStamp> for Option<DateTime<Utc>> {
    fn from(stamp: MaybeStamp) -> Option<DateTime<Utc>> {
        stamp.0
    }
}

/// A yes/no stored as 0 or 1.
pub struct Flag(bool);
stored_as!(Flag, i64);

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: ValueRef<'r>) -> Result<Flag, BoxDynError> {
        Ok(Flag(<i64 as Decode<Any>>::decode(value)? != 0))
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

/// A scale level (1–5) that may be absent; a value outside `u8` reads as absent.
pub struct Level(Option<u8>);
stored_as!(Level, i64);

impl<'r> Decode<'r, Any> for Level {
    fn decode(value: ValueRef<'r>) -> Result<Level, BoxDynError> {
        let stored = <Option<i64> as Decode<Any>>::decode(value)?;
        Ok(Level(stored.and_then(|level| u8::try_from(level).ok())))
    }
}

impl From<Level> for Option<u8> {
    fn from(level: Level) -> Option<u8> {
        level.0
    }
}

/// A JSON document stored as text.
pub struct JsonText(serde_json::Value);
stored_as!(JsonText, String);

impl<'r> Decode<'r, Any> for JsonText {
    fn decode(value: ValueRef<'r>) -> Result<JsonText, BoxDynError> {
        Ok(JsonText(serde_json::from_str(&text(value)?)?))
    }
}

impl From<JsonText> for serde_json::Value {
    fn from(json: JsonText) -> serde_json::Value {
        json.0
    }
}

/// A session's language; an unknown code reads as the default language, as it always has.
pub struct LangCode(Lang);
stored_as!(LangCode, String);

impl<'r> Decode<'r, Any> for LangCode {
    fn decode(value: ValueRef<'r>) -> Result<LangCode, BoxDynError> {
        Ok(LangCode(Lang::parse(&text(value)?).unwrap_or_default()))
    }
}

impl From<LangCode> for Lang {
    fn from(code: LangCode) -> Lang {
        code.0
    }
}

/// A survey state stored as JSON.
pub struct StateJson(SurveyState);
stored_as!(StateJson, String);

impl<'r> Decode<'r, Any> for StateJson {
    fn decode(value: ValueRef<'r>) -> Result<StateJson, BoxDynError> {
        Ok(StateJson(SurveyState::from_json(&text(value)?)?))
    }
}

impl From<StateJson> for SurveyState {
    fn from(state: StateJson) -> SurveyState {
        state.0
    }
}
